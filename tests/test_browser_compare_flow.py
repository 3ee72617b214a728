"""Acceptance 1 of issue 10 in Debian's Chromium: two learning rates in the memory lab, the first
left as a ghost beside the second, then both compared, viewed, diffed, exported and shared.

Same rules as tests/test_browser.py (whose fixtures and helpers this module reuses): a private
server with one training slot, tiny experiments opened by URL, auto-waiting `expect`s, no sleeps.
Charts are read in the DOM: Streamlit draws small Vega charts as SVG, whose legend labels are text
elements, whose lines are paths with their own stroke and dash, and whose axes say their scale type.
"""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from browser_support import button, charts, slider
from test_browser import (  # noqa: F401 - fixtures
    TINY,
    TRAIN_TIMEOUT,
    browser,
    expect,
    expect_no_traceback,
    lab_url,
    new_page,
    open_lab,
    page,
    query,
    server,
    server_log_is_clean,
    start_training,
)

from core.report import compare
from core.store import runs
from core.store.runs import RunStore
from core.tasks import experiment as config
from ui.charts import PALETTE
from ui.ghosts import DASHES, faded

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

SEED = "951"
LABEL = "lr 0.003 -> 0.01"


def chart(page, title: str):
    """The Vega chart whose title is `title` (its SVG title text, exactly)."""
    return charts(page).filter(has=page.locator("text", has_text=re.compile(rf"^{re.escape(title)}$")))


def line_marks(chart_locator):
    """One per drawn line: Vega groups a line mark by each run and model it is coloured and dashed by."""
    return chart_locator.locator("g.mark-line")


# Two runs of two models each: four lines, and four more when smoothing draws over the raw ones.
LINES = 2 * 2


def open_compare(page, url: str):
    page.goto(url)
    expect(page.get_by_role("heading", name="Compare runs")).to_be_visible(timeout=30_000)
    return page


def run_tags(page):
    return page.get_by_test_id("stMultiSelect").filter(has_text="Runs to compare").locator("[data-tag]")


def log_y_switch(page):
    return page.get_by_test_id("stCheckbox").filter(has_text="Log y").locator("input")


def train_two_learning_rates(page, server) -> list[str]:
    """Train lr 0.003, move the slider to 0.01 in the same session and train again; the two run ids."""
    params = {**TINY, "seed": SEED}
    open_lab(page, lab_url(server, params))
    expect(page.get_by_text("Not trained yet")).to_be_visible()
    start_training(page)
    expect(page.get_by_text("Trained and saved as run")).to_be_visible(timeout=TRAIN_TIMEOUT)
    learning_rate = slider(page, "Learning rate")
    learning_rate.focus()
    page.keyboard.press("ArrowRight")  # 0.005
    page.keyboard.press("ArrowRight")  # 0.01
    expect(page).to_have_url(re.compile(r"[?&]lr=0\.01(&|$)"))
    expect(page.get_by_text("Not trained yet")).to_be_visible()
    start_training(page)
    expect(page.get_by_text("Trained and saved as run")).to_be_visible(timeout=TRAIN_TIMEOUT)
    return [runs.run_id(config.from_params({**params, "lr": lr})[0]) for lr in ("0.003", "0.01")]


def expect_ghost_beside_the_run(page) -> None:
    loss = chart(page, "Loss")
    expect(loss).to_have_count(1)
    # The legend names the earlier run by what changed; its lines are the models' faded colours in
    # the first ghost dash, drawn beside the shown run's full-colour lines.
    expect(loss.locator("text", has_text=LABEL)).to_have_count(1)
    expect(loss.locator("text", has_text="Earlier runs")).to_have_count(1)
    dash = ",".join(map(str, DASHES[0]))
    for model in ("RNN", "LSTM"):
        ghost_lines = loss.locator(f'path[stroke="{faded(PALETTE[model])}"][stroke-dasharray="{dash}"]')
        expect(ghost_lines).to_have_count(2)  # its train and validation losses
        expect(loss.locator(f'path[stroke="{PALETTE[model]}"]').first).to_be_attached()
    expect(chart(page, "Validation accuracy").locator("text", has_text=LABEL)).to_have_count(1)
    expect(page.get_by_text(re.compile(r"Ghost: lr 0\.003 . 0\.01"))).to_be_visible()


def pick_runs(page, run_ids: list[str]) -> None:
    box = page.get_by_test_id("stMultiSelect").filter(has_text="Runs to compare")
    for run_id in run_ids:
        box.click()
        # The picker names a run by its settings and the start of its id (issue 17, item 8).
        page.get_by_role("option").filter(has_text=run_id[:8]).click()
        expect(run_tags(page).filter(has_text=run_id[:8])).to_have_count(1)
    page.keyboard.press("Escape")


def expect_settings_diff_only_lr(page, run_ids: list[str]) -> None:
    # The runs table has a status column; the settings table has a row per differing setting.
    diff = page.get_by_test_id("stTable").filter(has_not_text="status")
    rows = diff.locator("tr")
    expect(rows).to_have_count(2)  # the header and one setting
    expect(rows.first).to_have_text(re.compile(r"^\s*lr 0\.003\s*lr 0\.01\s*$"))  # runs named by what sets them apart
    expect(rows.nth(1)).to_have_text(re.compile(r"^\s*lr\s*0\.003\s*0\.01\s*$"))


def expect_view(page, smoothing: str) -> None:
    """Log y on and smoothing on: a log axis, and a smoothed line over each faint raw one."""
    train_loss = chart(page, "Train loss")
    expect(train_loss.locator('[aria-label*="Y-axis"][aria-label*="log scale"]')).to_have_count(1)
    expect(line_marks(train_loss)).to_have_count(2 * LINES)
    expect(slider(page, "Smoothing")).to_have_value(smoothing)
    expect(log_y_switch(page)).to_be_checked()


def test_two_learning_rates_ghost_then_compare_export_and_share(server, new_page):
    page = new_page()
    run_ids = train_two_learning_rates(page, server)
    expect_ghost_beside_the_run(page)
    expect_no_traceback(page)

    page.get_by_test_id("stSidebarNavLink").filter(has_text="Compare").click()
    expect(page.get_by_role("heading", name="Compare runs")).to_be_visible(timeout=30_000)
    pick_runs(page, run_ids)
    # The page writes the chosen ids into the address when its run ends.
    expect(page).to_have_url(re.compile(rf"[?&]runs={run_ids[0]}&runs={run_ids[1]}(&|$)"))
    assert query(page)["runs"] == run_ids
    train_loss = chart(page, "Train loss")
    expect(line_marks(train_loss)).to_have_count(LINES)
    expect(train_loss.locator('[aria-label*="Y-axis"][aria-label*="linear scale"]')).to_have_count(1)
    page.get_by_test_id("stCheckbox").filter(has_text="Log y").click()
    expect(page).to_have_url(re.compile(r"[?&]log_y=true(&|$)"))
    smoothing = slider(page, "Smoothing")
    smoothing.focus()
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"[?&]smoothing=0\.01(&|$)"))
    expect_view(page, "0.01")
    expect_settings_diff_only_lr(page, run_ids)

    # A download button's file is made for one script run; the smoothing's rerun must be over before
    # the click, or the click asks for a file the next run has already replaced. The app root says at
    # once whether a script runs; the status widget shows only once a run has lasted a while, so a short
    # rerun could still be going when it was found absent (a fresh-clone run logged the replaced file).
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=30_000)
    with page.expect_download() as download:
        button(page, "Curves as CSV").click()
    exported = download.value.path().read_text(encoding="utf-8")
    store = RunStore(server.log_path.parent / "runs.sqlite")
    names = dict(zip(run_ids, ("lr 0.003", "lr 0.01")))
    expected = compare.comparison_rows({names[run_id]: store.load(run_id).histories for run_id in run_ids})
    table = list(csv.DictReader(io.StringIO(exported)))
    assert list(table[0]) == ["run", "run id", *compare.CSV_COLUMNS[1:]]
    assert {(row["run"], row["run id"]) for row in table} == {(name, run_id) for run_id, name in names.items()}
    assert len(table) == len(expected)
    assert exported == compare.to_csv(expected, {name: run_id for run_id, name in names.items()})

    link = page.get_by_test_id("stCode").locator("code").first
    # The link is drawn after the charts, so wait for it to hold both view options before reading it.
    expect(link).to_contain_text("log_y=true")
    expect(link).to_contain_text("smoothing=0.01")
    shared = re.sub(r"\s+", "", link.inner_text())
    assert shared.startswith(server.url("compare") + "?"), shared
    assert parse_qs(urlsplit(shared).query)["runs"] == run_ids
    expect_no_traceback(page)

    other = open_compare(new_page(), shared)  # another browser context: only the link carries over
    expect(run_tags(other)).to_have_count(2)
    expect(run_tags(other)).to_have_text([re.compile(run_id[:8]) for run_id in run_ids])
    expect_view(other, "0.01")
    expect_settings_diff_only_lr(other, run_ids)
    expect_no_traceback(other)
