"""Acceptance 3 of issue 20 in Debian's Chromium: every shipped guided lesson walked end to end on its
page. Each step opens with the settings it locks disabled (a lock note above them) and the seed free;
the student picks a prediction before Train; the step's check says the right thing for a stored run
that shows the lesson (seed 0) and for one that does not (seed 1); Next step moves on to the last
step. One real run (the memory lesson's first step, a few seconds) is trained in the browser and its
check read against its own stored numbers.

Stored runs are hand-made histories (tests/test_guided.py) where a real run is not the point, so no
page trains but the one; one server for the module (tests/test_browser.py's fixtures).
"""

from __future__ import annotations

import re

import pytest
from browser_support import button, number_input, require_chromium, slider, start_app
from test_browser import (  # noqa: F401 - fixtures
    TRAIN_TIMEOUT,
    browser,
    expect,
    expect_no_traceback,
    new_page,
    server_log_is_clean,
)
from test_guided import made_histories, values_for

from core.guided import checks
from core.guided.lesson import lessons
from core.store.runs import RunStore
from core.tasks import experiment as config
from ui import guided
from ui.form import ADVANCED

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

LESSONS = list(lessons().values())
REAL_SEED = 2


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server for the module, training in its own threads: the one real run here is a few seconds,
    and a worker process's start would cost as much again."""
    require_chromium()
    app = start_app(tmp_path_factory.mktemp("guided-app"), max_jobs=1, extra_env={"RNN_PLAYGROUND_BACKEND": "thread"})
    yield app
    app.stop()


def store_runs(server, lesson, number: int, seeds=((0, True), (1, False))) -> dict[int, str]:
    """Hand-made stored runs of a step by seed; each one's check sentence. A run another step of the
    lesson shares (the memory lesson reads step 2's run again for its gradient) shows that step's
    point too, as a real run would show both or neither."""
    check = lesson.steps[number - 1].check
    texts = {}
    for seed, shows in seeds:
        experiment = config.replace(lesson.experiment(number), seed=str(seed))
        measures: dict[str, dict[str, float]] = {}
        for other in range(1, len(lesson.steps) + 1):
            if lesson.experiment(other) == lesson.experiment(number):
                shared = lesson.steps[other - 1].check
                for name, value in values_for(shared, shows).items():
                    measures.setdefault(name, {})[shared.measure] = value
        histories = made_histories(measures)
        RunStore(server.store_path).save(experiment, histories)
        texts[seed] = checks.outcome(check, histories).text
    return texts


def locked_slider(lesson, number: int) -> str | None:
    """The label of a slider the step locks in the sidebar's first section (not an idle one)."""
    experiment = lesson.experiment(number)
    idle = config.idle_settings(experiment)
    for name, (_, spec) in config.parameter_fields(lesson.task).items():
        meta = spec.metadata
        if (name in lesson.locked(number) and name not in ADVANCED and name not in idle and meta["choices"] is None
                and meta["pattern"] is None and not (isinstance(spec.default, int) and meta["high"] > 10_000)):
            return meta["label"]
    return None


def alert(page, text: str):
    return page.get_by_test_id("stAlert").filter(has_text=text)


def predict(page, step) -> None:
    """Pick the step's last answer, in its own question's radio (the step before's may still be drawn
    for a moment after Next step, with the same answers)."""
    radio = page.get_by_test_id("stRadio").filter(has_text=step.question)
    radio.get_by_text(step.answers[-1], exact=True).click()


def set_seed(page, seed: int) -> None:
    box = number_input(page, "Seed")
    box.fill(str(seed))
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"[?&]seed={seed}(&|$)"))


def check_step(page, lesson, number: int, texts: dict[int, str]) -> None:
    step = lesson.steps[number - 1]
    expect(page.get_by_text(step.title).first).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stSidebar").get_by_text(f"Locked by step {number}")).to_be_visible()
    label = locked_slider(lesson, number)
    if label is not None:
        expect(slider(page, label)).to_be_disabled()
    expect(number_input(page, "Seed")).to_be_enabled()
    expect(button(page, "Train")).to_be_disabled()  # until a prediction is picked
    predict(page, step)
    expect(alert(page, texts[0])).to_be_visible()
    if 1 in texts:
        set_seed(page, 1)
        expect(alert(page, texts[1])).to_be_visible()
        expect(alert(page, texts[0])).to_have_count(0)
    expect_no_traceback(page)


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.identifier for lesson in LESSONS])
def test_each_lesson_end_to_end(server, new_page, lesson):
    texts = {number: store_runs(server, lesson, number, ((0, True), (1, False)) if number == 1 else ((0, True),))
             for number in range(1, len(lesson.steps) + 1)}
    page = new_page()
    page.goto(server.url(guided.page_slug(lesson)) + f"?lesson={lesson.identifier}&step=1")
    for number in range(1, len(lesson.steps) + 1):
        check_step(page, lesson, number, texts[number])
        if number < len(lesson.steps):
            button(page, "Next step").click()
            expect(page).to_have_url(re.compile(rf"[?&]step={number + 1}(&|$)"))
    expect(button(page, "Next step")).to_have_count(0)


def test_a_real_run_from_the_home_page_gets_its_own_check(server, new_page):
    lesson = lessons()["memory-vanishing"]
    page = new_page()
    page.goto(server.url(""))
    # The subheader carries the same words; before the expander has rendered, a text match finds only
    # the subheader and the click opens nothing, so name the expander's own summary.
    page.locator("[data-testid=stExpander] summary", has_text="Guided lessons").click()
    page.locator(".st-key-guided_open_memory-vanishing button").click()
    expect(page).to_have_url(re.compile(r"memory_lab\?.*lesson=memory-vanishing"))
    expect(slider(page, "Distance")).to_be_disabled(timeout=30_000)
    expect(slider(page, "Distance")).to_have_value("5")
    set_seed(page, REAL_SEED)
    predict(page, lesson.steps[0])
    train = button(page, "Train")
    expect(train).to_be_enabled()
    train.click()
    look = page.get_by_text(re.compile(r"^Look:"))
    expect(look).to_be_visible(timeout=TRAIN_TIMEOUT)
    stored = RunStore(server.store_path).find(config.replace(lesson.experiment(1), seed=str(REAL_SEED)))
    assert stored is not None and stored.status == "finished"
    outcome = checks.outcome(lesson.steps[0].check, stored.histories)
    assert outcome.shown is not None
    expect(alert(page, outcome.text)).to_be_visible()
    expect_no_traceback(page)
