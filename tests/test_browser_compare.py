"""The Compare page in Debian's Chromium: small multiples that fit a phone, a chart saved as SVG, and a
share link opened on a server that has none of its runs, which retrains them from the link.

Same rules as tests/test_browser.py (whose fixtures this module reuses): the module's server has an
empty run store and is the "other" server here; a second server holds the two runs that are shared.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from browser_support import button, charts, multiselect_tags, share_code, start_app
from test_browser import (  # noqa: F401 - fixtures
    TRAIN_TIMEOUT,
    browser,
    expect,
    expect_no_traceback,
    new_page,
    server,
    server_log_is_clean,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

TINY = {"task": "memory", "distance": "6", "hidden_size": "8", "steps": "30", "batch_size": "16",
        "eval_every": "10", "probe_every": "10", "seed": "9301"}
PHONE = {"width": 390, "height": 900}


def stored_runs(path) -> list[str]:
    """Two tiny runs that differ in learning rate, trained here into the store at `path`."""
    from core.store.runs import RunStore
    from core.tasks import experiment as config
    from core.training.trainer import prepare, run_interleaved

    store = RunStore(path)
    identifiers = []
    for lr in ("0.003", "0.01"):
        experiment = config.from_params({**TINY, "lr": lr})[0]
        trainers = prepare(experiment)
        run_interleaved(trainers)
        identifiers.append(store.save(experiment, {trainer.cell: trainer.history for trainer in trainers}))
    return identifiers


def overflow(page) -> int:
    """How many pixels the page is wider than its window (0 when nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def drawn_beyond(chart) -> float:
    """How far a chart's drawing is wider than its element: Streamlit clips the overflow, so a
    chart can be cut off without the page scrolling sideways."""
    return chart.evaluate("element => element.querySelector('canvas, svg').getBoundingClientRect().width"
                          " - element.getBoundingClientRect().width")


def test_small_multiples_fit_a_phone_a_chart_saves_as_svg_and_a_link_retrains_elsewhere(
        server, browser, tmp_path):
    holder = tmp_path / "holder"
    holder.mkdir()
    identifiers = stored_runs(holder / "runs.sqlite")
    holding = start_app(holder, max_jobs=1)
    try:
        phone = browser.new_context(viewport=PHONE, accept_downloads=True).new_page()
        phone.goto(holding.url("compare") + "?" + urlencode({"runs": identifiers, "layout": "panel per run"},
                                                             doseq=True))
        expect(phone.get_by_role("heading", name="Compare runs")).to_be_visible(timeout=30_000)
        loss = charts(phone).filter(has_text="Train loss")
        expect(loss).to_have_count(1)
        expect(loss).to_contain_text("lr 0.01")  # the second panel's title: the run, named by its learning rate
        loss.scroll_into_view_if_needed()
        assert loss.bounding_box()["width"] <= PHONE["width"]
        # Two pixels of slack: the ends of the grid lines' strokes.
        assert drawn_beyond(loss) <= 2
        assert overflow(phone) <= 0
        with phone.expect_download() as download:
            button(phone, "Chart as SVG").click()
        svg = open(download.value.path(), encoding="utf-8").read()
        assert svg.startswith("<svg") and "Train loss" in svg
        link = share_code(phone).first
        expect(link).to_contain_text("settings=")
        shared = link.inner_text().strip()
        expect_no_traceback(phone)
    finally:
        holding.stop()
    # The module's server has never stored these runs: it names them and retrains them from the link.
    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    other.goto(server.url("compare") + "?" + shared.split("?", 1)[1])
    expect(other.get_by_text("This server does not store 2 of the linked runs")).to_be_visible(timeout=30_000)
    expect(other.get_by_text("lr 0.01")).to_be_visible()
    button(other, "Retrain 2 missing runs from the link's settings").click()
    expect(multiselect_tags(other, "Runs to compare")).to_have_count(2, timeout=TRAIN_TIMEOUT * 2)
    expect(charts(other).filter(has_text="Train loss")).to_have_count(1)
    expect(other.get_by_text("This server does not store")).to_have_count(0)
    expect_no_traceback(other)
