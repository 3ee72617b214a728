"""The Markdown/HTML payload corpus on every page, in Debian's Chromium: shown as text, never fetched.

One page of each kind (browser_support.one_page_of_each_kind; tests/test_plain_text.py opens every
page through AppTest) opens with payloads in its link (keys and values); the sentiment
page also gets a table whose file name and labels are payloads, and the memory lab a stored run
whose message is one. The page must show the payload's text, hold no image, link, script or frame
that points at the payload's host, and the browser must ask no host but the app's own.

Run: .venv/bin/python -m pytest -q -m browser tests/test_browser_plain_text.py
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `server` fixture skips (or, under CI, fails) with the reason
    expect = None

from browser_support import one_page_of_each_kind, require_chromium, start_app
from test_browser import browser  # noqa: F401 - the shared Chromium fixture, over this module's server
from test_plain_text import HOST, PAYLOADS, table_with_labels

from core.data.history import History
from core.store.runs import RunStore
from core.tasks import experiment as config
from core.tasks.registry import tasks

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

LAB_NAMES = {record.page.path.removeprefix("pages/").removesuffix(".py") for record in tasks()}

UI_TIMEOUT = 20_000
INJECTED = ", ".join(f'{tag}[{attribute}*="{HOST}"]' for tag, attribute in (
    ("img", "src"), ("a", "href"), ("script", "src"), ("iframe", "src"), ("object", "data"), ("embed", "src"),
    ("link", "href"), ("source", "src"), ("*", "style"), ("*", "srcset")))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    folder = tmp_path_factory.mktemp("browser-plain")
    app = start_app(folder, max_jobs=1)
    app.store_path = folder / "runs.sqlite"
    yield app
    app.stop()


@pytest.fixture
def watched(browser, server):
    """A page in its own session, and the list of hosts other than the app's that it asked for."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(UI_TIMEOUT)
    page = context.new_page()
    foreign: list[str] = []

    def note(request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in ("127.0.0.1", "localhost"):
            foreign.append(request.url)

    page.on("request", note)
    yield page, foreign
    context.close()


def payload_query() -> str:
    params: dict[str, object] = {"optimizer": PAYLOADS[0], "seed": PAYLOADS[1], "cells": [PAYLOADS[2], "LSTM"],
                                 "upload": PAYLOADS[3], "lr": PAYLOADS[8]}
    for payload in PAYLOADS[4:8] + PAYLOADS[9:]:
        params[payload] = "1"
    return urlencode(params, doseq=True)


def assert_nothing_injected(page, foreign: list[str]) -> None:
    assert page.locator(INJECTED).count() == 0
    scripts = page.evaluate(f"[...document.scripts].filter(s => s.textContent.includes('{HOST}')).length")
    assert scripts == 0
    page.wait_for_timeout(500)  # an image or a font the markup asked for would be requested by now
    assert foreign == [], foreign


@pytest.mark.parametrize("name", one_page_of_each_kind())
def test_link_payloads_show_as_text_on_every_page(server, watched, name):
    page, foreign = watched
    path = "" if name == "home" else name
    page.goto(server.url(path) + "?" + payload_query())
    expect(page.get_by_test_id("stApp")).to_be_visible()
    expect(page.locator("h1").first).to_be_visible()
    if name == "class_teacher":
        # Without its key the teacher page reads no other value of the link: it refuses it whole.
        expect(page.get_by_test_id("stAlert").filter(has_text="no valid teacher key")).to_be_visible()
    elif name != "home":
        notice = page.get_by_test_id("stAlert").filter(has_text="could not be used")
        # A lab page echoes the bad value of a setting it has; any page echoes unknown keys.
        expect(notice).to_contain_text(f"{HOST}/x.png" if name in LAB_NAMES else f"{HOST}/auto")
    assert_nothing_injected(page, foreign)


def test_an_uploaded_tables_name_and_labels_show_as_text(server, watched):
    page, foreign = watched
    page.goto(server.url("sentiment") + "?source=upload")
    chooser = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    chooser.set_input_files(files=[{"name": f"{PAYLOADS[0]}.csv", "mimeType": "text/csv",
                                    "buffer": b"text,label\na,x\n"}])
    expect(page.get_by_test_id("stAlert").filter(has_text=f"{HOST}/x.png")).to_be_visible()
    assert_nothing_injected(page, foreign)
    chooser.set_input_files(files=[{"name": "reviews.csv", "mimeType": "text/csv",
                                    "buffer": table_with_labels(PAYLOADS[1], PAYLOADS[2])}])
    expect(page.get_by_text(f"{HOST}/login", exact=False).first).to_be_visible()
    assert_nothing_injected(page, foreign)


def test_a_stored_runs_message_shows_as_text(server, watched):
    page, foreign = watched
    params = {"distance": "6", "hidden_size": "8", "steps": "20", "seed": "777", "cells": ["RNN", "LSTM"]}
    experiment, _ = config.from_params(params)
    histories = {cell: History(cell=cell, status="stopped", message=PAYLOADS[1], steps=[1, 2], wall_seconds=[0.1, 0.2],
                               train_loss=[2.0, 1.9], grad_norm=[1.0, 1.0], eval_steps=[2], val_loss=[1.9],
                               val_metric=[0.2]) for cell in ("rnn", "lstm")}
    RunStore(server.store_path).save(experiment, histories, status="stopped", message=PAYLOADS[1])
    page.goto(server.url("memory_lab") + "?" + urlencode(params, doseq=True))
    expect(page.get_by_test_id("stAlert").filter(has_text="Log in again").first).to_contain_text(f"{HOST}/login")
    assert_nothing_injected(page, foreign)


def test_the_metrics_endpoint_holds_no_visitor_text(server, watched):
    import urllib.request

    page, _ = watched
    page.goto(server.url("memory_lab") + "?" + payload_query())
    expect(page.get_by_test_id("stAlert").filter(has_text="could not be used")).to_be_visible()
    with urllib.request.urlopen(server.url("_stcore/metrics"), timeout=10) as response:
        metrics = response.read().decode()
    assert HOST not in metrics and "evil" not in metrics
