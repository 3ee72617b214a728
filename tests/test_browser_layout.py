"""Every page with a finished run, at a phone's width (390 px) and a desktop's (1400 px), in Debian's
Chromium: no chart is wider than its container or the window, nothing scrolls sideways, and no
legend or title is cut short (Vega ends a cut label with "…") or drawn outside its chart.

One server serves the module. Each lab page opens a tiny run trained by the test and stored where the
server reads it (as a shared link opens a finished run), then is measured at both widths in the same browser page (a resize re-lays out Streamlit's columns and
re-fits every chart); the Compare page is opened on the runs the labs stored. Screenshots of a
failing page go to /tmp/rnn-playground-browser-layout/.

Run: .venv/bin/python -m pytest -q tests/test_browser_layout.py
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `server` fixture skips (or, under CI, fails) with the reason
    expect = None

from browser_support import CHROMIUM, CHROMIUM_ARGS, charts, require_chromium, start_app, store_trained_run
from golden_runs import experiment_of

from core.tasks import experiment as config
from core.tasks.registry import tasks
from ui.navigation import page_entries

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

SCREENSHOTS = Path("/tmp/rnn-playground-browser-layout")
WIDTHS = (1400, 390)
TRAIN_TIMEOUT = 150_000
SETTLE_SECONDS = 20.0
SMALL = {"steps": "30", "batch_size": "16", "eval_every": "10", "probe_every": "10", "seed": "907"}
# A tiny run per lab page, with the cells that draw every chart the page has (gates, attention, ...);
# a lesson not named here is measured on its golden run's settings (tiny by design).
RUNS = {
    "memory": {**SMALL, "distance": "8", "hidden_size": "40", "cells": ["RNN", "LSTM"]},
    "sentiment": {**SMALL, "hidden_size": "8", "train_size": "500", "vocab_size": "200", "embedding_size": "8",
                  "cells": ["LSTM", "BiLSTM", "BoW"]},
    "handwriting": {**SMALL, "hidden_size": "8", "train_size": "500", "points": "16", "cells": ["GRU", "LSTM"]},
    "translation": {**SMALL, "hidden_size": "16", "train_size": "300", "largest": "499"},
}
TASK_OF_PATH = {record.page.path: record.name for record in tasks()}

# Everything wrong with the page's layout, as sentences (empty when it is right).
MEASURE = """() => {
  const problems = [];
  const main = document.querySelector('[data-testid="stMain"]');
  for (const [name, element] of [['the page', document.documentElement], ['the main area', main]]) {
    if (element && element.scrollWidth > element.clientWidth + 1)
      problems.push(`${name} scrolls sideways: ${element.scrollWidth} px of content in ${element.clientWidth} px`);
  }
  document.querySelectorAll('[data-testid="stTable"]').forEach((table, index) => {
    const box = table.getBoundingClientRect();
    if (table.scrollWidth > table.clientWidth + 1 || box.right > window.innerWidth + 1)
      problems.push(`table ${index} is cut at the right: ${table.scrollWidth} px of content in ${table.clientWidth} px`);
  });
  document.querySelectorAll('[data-testid="stDataFrame"]').forEach((grid, index) => {
    const scroller = grid.querySelector('.dvn-scroller');
    if (scroller && scroller.scrollWidth > scroller.clientWidth + 1)
      problems.push(`data grid ${index} is cut at the right: ${scroller.scrollWidth} px of columns in ${scroller.clientWidth} px`);
  });
  document.querySelectorAll('[data-testid="stVegaLiteChart"]').forEach((chart, index) => {
    const drawing = chart.querySelector('svg, canvas');
    if (!drawing) { problems.push(`chart ${index} is not drawn`); return; }
    const box = drawing.getBoundingClientRect();
    const holder = chart.closest('[data-testid="stVerticalBlock"]').getBoundingClientRect();
    const titles = [...chart.querySelectorAll('.role-title text')].map(text => text.textContent);
    const name = `chart ${index} (${titles.join(' / ') || 'untitled'})`;
    if (box.left < holder.left - 1 || box.right > holder.right + 1)
      problems.push(`${name} spans ${Math.round(box.left)}-${Math.round(box.right)} px, its container ` +
                    `${Math.round(holder.left)}-${Math.round(holder.right)} px`);
    if (box.right > window.innerWidth + 1)
      problems.push(`${name} ends at ${Math.round(box.right)} px, past the window`);
    if (chart.scrollWidth > chart.clientWidth + 1) problems.push(`${name} scrolls sideways inside its frame`);
    for (const text of chart.querySelectorAll('.role-legend text, .role-title text')) {
      if (text.textContent.endsWith('…')) problems.push(`${name}: "${text.textContent}" is cut short`);
    }
    for (const legend of chart.querySelectorAll('.role-legend')) {
      const own = legend.getBoundingClientRect();
      if (own.left < box.left - 1 || own.right > box.right + 1 || own.top < box.top - 1 || own.bottom > box.bottom + 1)
        problems.push(`${name}: a legend is drawn outside the chart`);
    }
  });
  return problems;
}"""
# Charts drawn (each has its SVG or canvas), and their sizes, so a settled page can be told apart.
SIZES = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].map(chart => {
  const drawing = chart.querySelector('svg, canvas');
  if (!drawing) return 'none';
  const box = drawing.getBoundingClientRect();
  return `${Math.round(box.width)}x${Math.round(box.height)}`;
}).join(',')"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    app = start_app(tmp_path_factory.mktemp("layout-app"), max_jobs=1)
    yield app
    app.stop()
    assert "Traceback (most recent call last)" not in app.log(), app.log()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def stored_runs() -> dict[str, str]:
    """Run ids the lab pages stored, by task, for the Compare page."""
    return {}


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 1000})
    context.set_default_timeout(30_000)
    page = context.new_page()
    failed_before = request.session.testsfailed
    yield page
    if request.session.testsfailed > failed_before:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 1000})
            # The app scrolls inside its main area, so a tall window shows the whole page at once.
            height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight || 1000")
            page.set_viewport_size({"width": width, "height": min(int(height), 16_000)})
            path = SCREENSHOTS / f"{request.node.name}-{width}.png"
            page.screenshot(path=str(path))
            print(f"screenshot: {path}")
    context.close()


def settled(page) -> None:
    """Wait until the script has finished and every chart is drawn at a size that holds still."""
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
    deadline, last = time.monotonic() + SETTLE_SECONDS, None
    while True:
        page.wait_for_function(f"() => !({SIZES})().includes('none')")
        sizes = page.evaluate(SIZES)
        if sizes == last:
            return
        assert time.monotonic() < deadline, f"the charts never stopped changing size: {sizes}"
        last = sizes
        page.wait_for_timeout(400)  # one poll interval between two readings of the sizes


def measure_at_both_widths(page) -> dict[int, list[str]]:
    found = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 1000})
        settled(page)
        found[width] = page.evaluate(MEASURE)
    return found


def lab_paths() -> list[str]:
    return [path for path, _, _ in page_entries() if path in TASK_OF_PATH]


@pytest.mark.parametrize("path", lab_paths(), ids=[TASK_OF_PATH[path] for path in lab_paths()])
def test_a_lab_page_with_a_finished_run_fits_phone_and_desktop(server, page, stored_runs, path):
    task = TASK_OF_PATH[path]
    name = path.removeprefix("pages/").removesuffix(".py")
    settings = RUNS.get(task) or {**config.to_params(experiment_of(task)), "seed": SMALL["seed"]}
    # Trained here and stored where the server reads, weights and all: the page then opens the finished
    # run as a shared link does. Training through the page is what tests/test_browser.py covers; this
    # module measures the finished page, and a browser watching a run train costs it seconds per lesson.
    stored_runs[task] = store_trained_run(server, {**settings, "task": task})
    page.goto(server.url(name) + "?" + urlencode(settings, doseq=True))
    expect(page.get_by_text(re.compile(rf"Loaded finished run `?{stored_runs[task]}"))).to_be_visible(timeout=60_000)
    if task == "handwriting":
        # A generated sample read by the models adds the answer and confidence-path charts.
        page.get_by_test_id("stSelectbox").filter(has_text="let the models read").click()
        page.keyboard.type("sample 1:")
        page.keyboard.press("Enter")
        expect(page.get_by_text(re.compile(r"Each dot is a point the model read"))).to_be_visible()
    if task == "translation":
        # "Where the models go wrong" wraps its sentences in a static table that a phone shows whole
        # (as do the data panel's example pairs).
        expect(page.get_by_test_id("stTable").filter(has_text="reference")).to_have_count(1)
    expect(charts(page).first).to_be_visible(timeout=30_000)  # a busy CI core draws a page of charts slowly
    problems = measure_at_both_widths(page)
    assert problems == {width: [] for width in WIDTHS}, problems
    expect(page.get_by_test_id("stException")).to_have_count(0)


def other_paths() -> list[str]:
    return [path for path, _, _ in page_entries() if path not in TASK_OF_PATH]


@pytest.mark.parametrize("path", other_paths(), ids=[path.removeprefix("pages/") for path in other_paths()])
def test_every_other_page_fits_phone_and_desktop(server, page, stored_runs, path):
    name = path.removeprefix("pages/").removesuffix(".py")
    # The Compare page opens on the runs the lab pages stored (all of them when the whole module runs).
    runs = list(stored_runs.values()) if name == "compare" else []
    query = "?" + urlencode({"runs": runs}, doseq=True) if runs else ""
    page.goto(server.url("" if path == page_entries()[0][0] else name) + query)
    expect(page.locator("h1").first).to_be_visible(timeout=60_000)
    if query:
        expect(charts(page).first).to_be_visible(timeout=60_000)
    problems = measure_at_both_widths(page)
    assert problems == {width: [] for width in WIDTHS}, problems
    expect(page.get_by_test_id("stException")).to_have_count(0)
