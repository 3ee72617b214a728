"""A share link as the very first request of a fresh server, for every page, in Debian's Chromium.

Streamlit runs a pages/ file straight from the URL on a cold server's first request, before app.py
has declared the navigation; the page must still come up as the app: its title, the sidebar with
every page's name, and the link's settings (ui/navigation.py), and nothing fetched from another host. Each case starts its own server, so
one page of each kind is opened cold (home, a lesson, Compare); every page file is checked to open
with the same `navigation.declare_if_cold()` call that makes it work.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, number_input, require_chromium, start_app

from core.tasks.registry import tasks
from ui.navigation import page_entries

PAGES = page_entries()
LAB_PATHS = {record.page.path for record in tasks()}
ROOT = Path(__file__).resolve().parents[1]
# One page of each kind: the lessons' pages are one shape (a title and ui.lab.lesson).
COLD = [entry for entry in PAGES if entry[0] not in LAB_PATHS] + [next(e for e in PAGES if e[0] in LAB_PATHS)]


def _first_call(path: str) -> str:
    """The first statement after a page file's docstring and imports, as source text."""
    file = Path(path) if Path(path).is_absolute() else ROOT / path
    body = ast.parse(file.read_text()).body
    statements = [node for node in body if not isinstance(node, (ast.Import, ast.ImportFrom))
                  and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    return ast.unparse(statements[0]) if statements else ""


@pytest.mark.parametrize("path", [path for path, _, _ in PAGES])
def test_every_page_file_declares_the_navigation_before_anything_else(path):
    # The teacher's page of a class opens with its key, not behind a student's class gate.
    assert _first_call(path) in ("navigation.declare_if_cold()", "navigation.declare_if_cold(class_gate=False)"), path

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # require_chromium skips (or, under CI, fails) with the reason
    expect = None


SEED = "4242"


@pytest.mark.browser
@pytest.mark.timeout(120)
@pytest.mark.parametrize("path, title", [(path, title) for path, title, _ in COLD], ids=[p[1] for p in COLD])
def test_a_link_opens_its_page_as_the_first_request_of_a_fresh_server(tmp_path, path, title):
    require_chromium()
    server = start_app(tmp_path, max_jobs=1)
    name = path.removeprefix("pages/").removesuffix(".py")
    is_home = path == PAGES[0][0]
    # A lab page's heading is its title and its link carries an experiment; others just open.
    is_lab = path in LAB_PATHS
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            foreign: list[str] = []
            page.on("request", lambda request: foreign.append(request.url)
                    if urlsplit(request.url).hostname not in ("127.0.0.1", "localhost") else None)
            page.goto(server.url("" if is_home else f"{name}?seed={SEED}" if is_lab else name))
            heading = page.get_by_role("heading", name=title, exact=True) if is_lab else page.locator("h1").first
            expect(heading).to_be_visible(timeout=60_000)
            expect(page).to_have_title("RNN Playground")
            navigation = page.get_by_test_id("stSidebarNav")
            for _, other, _ in PAGES:
                expect(navigation.get_by_text(other, exact=True)).to_be_visible()
            if is_lab:
                expect(number_input(page, "Seed")).to_have_value(SEED)
                assert f"seed={SEED}" in page.url
            expect(page.get_by_test_id("stException")).to_have_count(0)
            # The favicon is the page config's emoji, even on the request that declares the navigation:
            # a page's Material icon as favicon is fetched from Google's servers.
            expect(page.locator("link[rel='shortcut icon']")).to_have_attribute("href", re.compile(r"^(?!https?:)"))
            assert foreign == [], foreign
            browser.close()
    finally:
        server.stop()
    assert "Traceback (most recent call last)" not in server.log()
