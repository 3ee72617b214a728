"""End-to-end tests: the real app in Debian's Chromium, driven by Playwright.

One `streamlit run app.py` serves the whole module with a private run store and a single training
slot (RNN_PLAYGROUND_MAX_JOBS=1), so every test stops or finishes what it trains. Experiments are
tiny and opened through the URL; each test uses its own seed so stored runs never leak between
tests. Every wait is an auto-waiting `expect` with a deadline, never a sleep.

Run: .venv/bin/python -m pytest -q tests/test_browser.py   (or `-m browser` across the suite)
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `server` fixture skips (or, under CI, fails) with the reason
    expect = None

from browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    button,
    charts,
    multiselect_tags,
    number_input,
    progress_text,
    require_chromium,
    share_code,
    slider,
    start_app,
)

from ui.navigation import page_entries

pytestmark = [pytest.mark.browser, pytest.mark.timeout(150)]

SCREENSHOTS = Path("/tmp/rnn-playground-browser")
UI_TIMEOUT = 15_000  # page loads and reruns
TRAIN_TIMEOUT = 90_000  # anything that waits on training or a training slot (generous: CI cores are busy)
TINY = {"distance": "8", "hidden_size": "8", "steps": "60", "batch_size": "16",
        "eval_every": "10", "probe_every": "10"}
LONG = {"distance": "100", "hidden_size": "64", "steps": "5000"}


def lab_url(server, params: dict) -> str:
    return server.url("memory_lab") + "?" + urlencode(params, doseq=True)


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


# --- fixtures -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    # A closed tab's job stops one second after its session goes, not ten: the grace is for reconnects,
    # and no test here reconnects.
    app = start_app(tmp_path_factory.mktemp("browser-app"), max_jobs=1,
                    extra_env={"RNN_PLAYGROUND_SESSION_GRACE_SECONDS": "1"})
    yield app
    app.stop()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    expect.set_options(timeout=UI_TIMEOUT)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, request):
    """A factory of pages, each in its own browser context (its own Streamlit session).

    On failure every page is screenshotted under /tmp/rnn-playground-browser/ before it closes.
    """
    contexts = []
    failed_before = request.session.testsfailed

    def make():
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(UI_TIMEOUT)
        contexts.append(context)
        return context.new_page()

    yield make
    if request.session.testsfailed > failed_before:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for index, context in enumerate(contexts):
            for number, page in enumerate(context.pages):
                path = SCREENSHOTS / f"{request.node.name}-{index}-{number}.png"
                try:
                    page.screenshot(path=str(path), full_page=True)
                    print(f"screenshot: {path}")
                except Exception as error:  # noqa: BLE001 - a screenshot must not hide the failure
                    print(f"screenshot of {path.name} failed: {error}")
    for context in contexts:
        context.close()  # closing the session also stops any job it left running


@pytest.fixture(autouse=True)
def server_log_is_clean(server):
    """No test may leave a Python traceback in the server's output (a job thread's crash, say)."""
    start = server.log_size()
    yield
    output = server.log(start)
    assert "Traceback (most recent call last)" not in output, f"the server logged a traceback:\n{output}"


@pytest.fixture
def page(new_page):
    return new_page()


# --- helpers ------------------------------------------------------------------------------------

def expect_no_traceback(page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)


def open_lab(page, url: str):
    """Open the memory lab and wait until its controls and its Train button are drawn."""
    page.goto(url)
    expect(page.get_by_role("heading", name="Memory lab")).to_be_visible(timeout=30_000)
    expect(slider(page, "Distance")).to_be_attached(timeout=30_000)
    expect(share_code(page)).to_be_visible(timeout=30_000)
    return page


def start_training(page) -> None:
    train = button(page, "Train")
    expect(train).to_be_enabled()
    train.click()
    # A tiny (or quickly diverging) run on a warm worker can end before the first progress redraw:
    # the progress bar, or the stored run's Pin button that only an ended run has, will do.
    ended = button(page, "Pin this run")
    expect(progress_text(page).or_(ended)).to_be_visible(timeout=TRAIN_TIMEOUT)


def stop_training(page) -> None:
    """Press Stop and wait until the run has ended (so the single training slot is free again)."""
    stop = button(page, "Stop")
    expect(stop).to_be_visible()
    stop.click()
    expect(page.get_by_text("stopped after").first).to_be_visible(timeout=20_000)
    expect(page.get_by_test_id("stProgress")).to_have_count(0)
    expect(button(page, "Train")).to_be_enabled()


# --- tests --------------------------------------------------------------------------------------

def test_a_deep_link_on_a_fresh_server_runs_through_the_app(server, page):
    """Must be the module's first page load: a share link opened first after a server start must still
    run through app.py (page config, navigation), which Streamlit's pages/ folder mode would skip
    (ui/navigation.py; tests/test_browser_cold.py does the same for every page)."""
    open_lab(page, lab_url(server, {"seed": "11"}))
    # st.navigation's titles, not file names (app / home / memory lab) as an old-style app lists them.
    expect(page.get_by_test_id("stSidebarNavLink")).to_have_text(
        [re.compile(rf"{re.escape(title)}$") for _, title, _ in page_entries()])
    expect(page).to_have_title(re.compile("Memory lab|RNN Playground"))
    expect_no_traceback(page)


def test_moving_a_slider_changes_the_url(server, page):
    open_lab(page, lab_url(server, {"seed": "101"}))
    distance = slider(page, "Distance")
    expect(distance).to_have_value("50")
    assert "distance" not in query(page)
    distance.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(distance).to_have_value("52")
    expect(page).to_have_url(re.compile(r"[?&]distance=52(&|$)"))
    # The share box follows the slider too.
    expect(share_code(page)).to_contain_text("distance=52")
    expect_no_traceback(page)


def test_share_link_reopens_the_same_experiment(server, new_page):
    params = {**TINY, "distance": "12", "hidden_size": "16", "seed": "7", "cells": ["GRU", "LSTM"]}
    page = open_lab(new_page(), lab_url(server, params))
    expect(slider(page, "Distance")).to_have_value("12")
    expect(slider(page, "Hidden size")).to_have_value("16")
    expect(slider(page, "Steps")).to_have_value("60")
    expect(number_input(page, "Seed")).to_have_value("7")
    expect(multiselect_tags(page, "Cells")).to_have_text(["GRU", "LSTM"])
    code = share_code(page)
    for fragment in ("distance=12", "hidden_size=16", "seed=7", "cells=GRU&cells=LSTM", "steps=60"):
        expect(code).to_contain_text(fragment)
    expect(page.get_by_text("Not trained yet")).to_be_visible()

    start_training(page)
    # Right after training the page says it trained, not that it loaded a stored run (issue 17, item 4).
    expect(page.get_by_text(re.compile(r"Trained and saved as run [0-9a-f]{16}"))).to_be_visible(timeout=TRAIN_TIMEOUT)
    expect(page.get_by_text("Loaded finished run")).to_have_count(0)
    expect(page.get_by_test_id("stProgress")).to_have_count(0)
    link = re.sub(r"\s+", "", code.inner_text())
    assert link.startswith(server.url("memory_lab") + "?"), link
    shared = parse_qs(urlsplit(link).query)
    assert shared["distance"] == ["12"] and shared["hidden_size"] == ["16"] and shared["seed"] == ["7"]
    assert shared["cells"] == ["GRU", "LSTM"]
    expect_no_traceback(page)

    # A fresh session opening the link shows the stored run at once: nothing to press, nothing training.
    other = new_page()
    other.goto(link)
    expect(other.get_by_text("Loaded finished run")).to_be_visible(timeout=30_000)
    expect(other.get_by_test_id("stProgress")).to_have_count(0)
    expect(other.get_by_text("Not trained yet")).to_have_count(0)
    expect(slider(other, "Distance")).to_have_value("12")
    expect(multiselect_tags(other, "Cells")).to_have_text(["GRU", "LSTM"])
    expect(charts(other).first).to_be_visible()
    expect_no_traceback(other)


def test_training_draws_live_curves(server, page):
    open_lab(page, lab_url(server, {"steps": "600", "hidden_size": "32", "distance": "30", "seed": "303",
                                    "eval_every": "10", "probe_every": "20"}))
    start_training(page)
    expect(charts(page).first).to_be_visible(timeout=TRAIN_TIMEOUT)
    expect(page.locator(".vega-embed canvas, .vega-embed svg").first).to_be_visible()
    progress = progress_text(page)
    first = re.match(r"Training \d+ models?: (\d+) of", progress.inner_text())
    assert first, progress.inner_text()
    # The fragment redraws on its own: the step count moves without any click.
    expect(progress).not_to_have_text(re.compile(rf"^Training \d+ models?: {first.group(1)} of"), timeout=30_000)
    stop_training(page)
    expect(charts(page).first).to_be_visible()
    expect_no_traceback(page)


def test_stop_stops_a_long_run(server, page):
    open_lab(page, lab_url(server, {**LONG, "seed": "404"}))
    start_training(page)
    stop = button(page, "Stop")
    expect(stop).to_be_visible()
    stop.click()
    expect(page.get_by_text("stopped after").first).to_be_visible(timeout=10_000)
    expect(page.get_by_test_id("stProgress")).to_have_count(0)
    expect(button(page, "Stop")).to_have_count(0)
    expect(button(page, "Train")).to_be_enabled()
    expect_no_traceback(page)


def test_tampered_link_shows_a_notice(server, page):
    page.goto(server.url("memory_lab") + "?hidden_size=99999&lr=abc&cells=Transformer&cells=LSTM&bogus=1")
    notice = page.get_by_test_id("stAlert").filter(has_text="could not be used as given")
    expect(notice).to_be_visible(timeout=30_000)
    expect(notice).to_contain_text("Hidden size")
    expect(notice).to_contain_text("256")
    expect(notice).to_contain_text("Learning rate")
    expect(notice).to_contain_text("bogus")
    expect(notice).to_contain_text(re.compile("transformer", re.IGNORECASE))
    expect(slider(page, "Hidden size")).to_have_value("256")
    expect(slider(page, "Learning rate")).to_be_attached()
    expect(multiselect_tags(page, "Cells")).to_have_text(["LSTM"])
    # The address bar is corrected, so the page's link no longer carries the bad values.
    expect(page).not_to_have_url(re.compile(r"bogus|99999|abc|Transformer"))
    expect(share_code(page)).to_contain_text("hidden_size=256")
    expect_no_traceback(page)


def test_two_tabs_share_one_training_slot(server, new_page):
    first = open_lab(new_page(), lab_url(server, {**LONG, "seed": "601"}))
    second = open_lab(new_page(), lab_url(server, {**LONG, "seed": "602"}))
    start_training(first)
    button(second, "Train").click()
    expect(second.get_by_text(re.compile(r"Queued: position\s*1"))).to_be_visible(timeout=TRAIN_TIMEOUT)
    expect(second.get_by_test_id("stProgress")).to_have_count(0)

    stop_training(first)
    expect(progress_text(second)).to_be_visible(timeout=TRAIN_TIMEOUT)
    expect(second.get_by_text("Queued: position")).to_have_count(0)
    stop_training(second)
    expect_no_traceback(first)
    expect_no_traceback(second)


def test_a_diverging_learning_rate_is_explained(server, page):
    open_lab(page, lab_url(server, {"lr": "1", "clip": "0", "optimizer": "adam", "hidden_size": "64",
                                    "steps": "300", "distance": "20", "seed": "3"}))
    start_training(page)
    error = page.get_by_test_id("stAlert").filter(has_text="diverged")
    expect(error.first).to_be_visible(timeout=TRAIN_TIMEOUT)
    expect(error.first).to_contain_text("learning rate")
    expect(page.get_by_test_id("stProgress")).to_have_count(0)
    expect(charts(page).first).to_be_visible()
    expect_no_traceback(page)


def test_home_presets_open_the_memory_lab(server, page):
    from core.tasks import experiment as config
    from core.tasks.registry import task

    presets = task("memory").presets
    defaults = config.to_params(config.Experiment())
    page.goto(server.url(""))
    expect(page.get_by_role("heading", name="RNN Playground")).to_be_visible(timeout=30_000)
    links = page.get_by_role("link", name=re.compile("Open in the memory lab"))
    expect(links).to_have_count(len(presets))
    expect_no_traceback(page)
    for index, preset in enumerate(presets):
        if index:
            page.goto(server.url(""))
        page.get_by_role("link", name=re.compile("Open in the memory lab")).nth(index).click()
        page.wait_for_url(re.compile(r"/memory_lab(\?|$)"))
        expect(page.get_by_role("heading", name="Memory lab")).to_be_visible()
        expect(slider(page, "Distance")).to_have_value(str(preset.params["distance"]))
        expect(multiselect_tags(page, "Cells")).to_have_text(list(preset.params["cells"]))
        for key, value in preset.params.items():
            wanted = value if isinstance(value, list) else [value]
            if wanted != (defaults[key] if isinstance(defaults[key], list) else [defaults[key]]):
                # Settings away from their defaults stay in the address bar, so the tab is a share link.
                assert query(page).get(key) == wanted, (preset.title, key, page.url)
        expect(share_code(page)).to_contain_text(f"distance={preset.params['distance']}")
        expect_no_traceback(page)


def test_closing_the_tab_stops_its_job(server, new_page):
    """The liveness hook: a job whose browser session is gone stops (after a short grace period for
    reconnects) and its curves are saved, so the slot is freed for others."""
    url = lab_url(server, {**LONG, "seed": "707"})
    trainer = open_lab(new_page(), url)
    start_training(trainer)
    trainer.context.close()
    watcher = new_page()
    deadline = time.monotonic() + 60
    # Until the job ends nothing is stored for this link; reopen it until the stopped run shows.
    while True:
        open_lab(watcher, url)
        if watcher.get_by_text("browser session that started it has closed").count():
            break
        assert time.monotonic() < deadline, "the job of a closed tab was never stopped"
        watcher.wait_for_timeout(2_000)
    expect(watcher.get_by_text("stopped after").first).to_be_visible()
    expect_no_traceback(watcher)
