"""Guided lessons in core: every shipped lesson file loads and refers to real settings, models and
measures; a broken file is refused with words that say where and what; each step's check reads a
run's numbers right (shown, not shown, cannot tell) on hand-made histories; the lesson's parameters
never enter a run's id; and a class keeps each student's step."""

from __future__ import annotations

import sqlite3

import pytest
from test_explain import make_history

from core.classes.store import ClassStore
from core.guided import checks
from core.guided.lesson import MEASURES, PLACEHOLDERS, LessonError, lessons, parse
from core.nn.cells import model_label
from core.store import runs
from core.store.runs import RunStore
from core.tasks import experiment as config
from core.tasks.registry import task_names

STEPS = [(lesson, number) for lesson in lessons().values() for number in range(1, len(lesson.steps) + 1)]
STEP_IDS = [f"{lesson.identifier}-{number}" for lesson, number in STEPS]


def values_for(check, shows: bool) -> dict[str, float]:
    """Each model's measure in a run that shows the check's point, or one that falls just short of it."""
    if check.than is not None:
        low = 0.3 if check.measure == "metric" else -4.0
        return {check.than: low, check.model: low + check.margin + (0.2 if shows else -0.02)}
    line = check.above if check.above is not None else check.below
    above = shows == (check.above is not None)
    return {check.model: line + (0.05 if above else -0.05)}


def made_histories(measures: dict[str, dict[str, float]]) -> dict:
    """Hand-made finished histories from each model's measures ({"metric": 0.9, "gradient": -2.0})."""
    histories = {}
    for name, values in measures.items():
        # A gradient is log10 of the first step's share of the last step's, the same at each probe.
        ratio = 10 ** values.get("gradient", -1.0)
        histories[name] = make_history(name, "finished", values.get("metric", 0.5), [(100, ratio), (200, ratio)])
    return histories


def histories_for(check, shows: bool) -> dict:
    """Hand-made histories of a run that shows the check's point, or one that falls just short of it."""
    return made_histories({name: {check.measure: value} for name, value in values_for(check, shows).items()})


def test_every_lab_page_ships_a_lesson_and_every_lesson_file_loads():
    shipped = lessons()
    assert {lesson.task for lesson in shipped.values()} == set(task_names())
    memory = shipped["memory-vanishing"]
    assert len(memory.steps) == 4


@pytest.mark.parametrize(("lesson", "number"), STEPS, ids=STEP_IDS)
def test_each_step_refers_to_real_settings_models_and_measures(lesson, number):
    step = lesson.steps[number - 1]
    experiment, messages = config.from_params({**step.params, "task": lesson.task})
    assert messages == []
    fields = config.parameter_fields(lesson.task)
    assert set(step.unlocked) <= set(fields)
    assert lesson.locked(number) == set(fields) - set(step.unlocked)
    models = config.model_names(experiment)
    assert step.check.model in models and (step.check.than is None or step.check.than in models)
    assert step.check.measure in MEASURES
    # The step's run is its own: the lesson's parameters change nothing in it.
    linked = config.from_params({**step.params, "task": lesson.task, "lesson": lesson.identifier,
                                 "step": str(number)})
    assert linked == (experiment, [])
    assert runs.run_id(linked[0]) == runs.run_id(experiment)


@pytest.mark.parametrize(("lesson", "number"), STEPS, ids=STEP_IDS)
def test_each_steps_check_is_right_for_a_run_that_shows_it_and_one_that_does_not(lesson, number):
    check = lesson.steps[number - 1].check
    shown = checks.outcome(check, histories_for(check, shows=True))
    missed = checks.outcome(check, histories_for(check, shows=False))
    assert shown.shown is True and missed.shown is False
    assert shown.text != missed.text
    # The sentences for a run that missed the point are the file's own words for that case.
    assert shown.text.startswith(check.shown.split("{")[0]) and missed.text.startswith(check.not_shown.split("{")[0])
    # Each sentence quotes the run's own numbers, not the textbook's.
    for outcome, shows in ((shown, True), (missed, False)):
        histories = histories_for(check, shows)
        value = checks.measure(histories[check.model], check.measure)
        if "{model_value}" in (check.shown if shows else check.not_shown):
            assert checks.shown_as(value, check.measure) in outcome.text
        assert "{" not in outcome.text


def test_a_check_cannot_tell_from_a_diverged_missing_or_unevaluated_model():
    check = lessons()["memory-vanishing"].steps[1].check  # LSTM above RNN by a margin
    good = {"rnn": make_history("rnn", "finished", 0.1, []), "lstm": make_history("lstm", "finished", 0.9, [])}
    assert checks.outcome(check, good).shown is True
    cases = {"diverged": {**good, "lstm": make_history("lstm", "diverged", 0.9, [])},
             "has no LSTM": {"rnn": good["rnn"]},
             "no evaluation": {**good, "rnn": make_history("rnn", "finished", None, [])}}
    for words, histories in cases.items():
        outcome = checks.outcome(check, histories)
        assert outcome.shown is None and words in outcome.text and "cannot answer" in outcome.text, outcome
    gradient = lessons()["memory-vanishing"].steps[2].check
    unprobed = {"rnn": make_history("rnn", "finished", 0.1, []), "lstm": make_history("lstm", "finished", 0.9, [])}
    assert checks.outcome(gradient, unprobed).shown is None


def test_a_margin_is_a_margin_and_the_numbers_are_the_runs():
    check = parse("exact", GOOD.replace("margin = 0.1", "margin = 0.25")).steps[0].check
    # Numbers a float holds exactly: 25 points ahead is not more than a margin of 25 points.
    at = {"rnn": make_history("rnn", "finished", 0.5, []), "lstm": make_history("lstm", "finished", 0.75, [])}
    assert checks.outcome(check, at).shown is False
    assert checks.outcome(check, {**at, "lstm": make_history("lstm", "finished", 0.875, [])}).shown is True
    check = lessons()["memory-vanishing"].steps[1].check
    over = {"rnn": make_history("rnn", "finished", 0.125, []), "lstm": make_history("lstm", "finished", 0.97, [])}
    text = checks.outcome(check, over).text
    assert "97%" in text and "12%" in text and model_label("lstm") in text


GOOD = """
task = "memory"
title = "T"
summary = "S"
[[steps]]
title = "One"
question = "Q?"
answers = ["a", "b"]
settings = { distance = 20 }
unlocked = ["seed"]
run = "R"
look = "L"
[steps.check]
model = "lstm"
than = "rnn"
margin = 0.1
shown = "{model} {model_value} over {than_value}"
not_shown = "not by {margin}"
"""


def test_a_good_file_parses_into_its_steps():
    lesson = parse("my-lesson", GOOD)
    assert lesson.task == "memory" and lesson.experiment(1).task_config.distance == 20
    assert "distance" in lesson.locked(1) and "seed" not in lesson.locked(1)


@pytest.mark.parametrize(("change", "words"), [
    (("distance = 20", "distanse = 20"), "distanse"),
    (("distance = 20", "distance = 99999"), "Distance"),
    (('than = "rnn"', 'than = "gru"'), "'gru' is not a model this step trains"),
    (('model = "lstm"', 'model = "transformer"'), "'transformer'"),
    (('unlocked = ["seed"]', 'unlocked = ["speed"]'), "`unlocked` must list settings"),
    (("{model_value} over", "{model.__class__} over"), "{model.__class__}"),
    (("{model_value} over", "{model_value:>999999} over"), "the words it may fill in"),
    (("not by {margin}", "not by {margin"), "stray brace"),
    (('margin = 0.1', 'margin = 0.1\nabove = 0.5'), "exactly one of"),
    (('model = "lstm"', 'measure = "speed"\nmodel = "lstm"'), "measure 'speed'"),
    (('task = "memory"', 'task = "chess"'), "`task` 'chess'"),
    (('answers = ["a", "b"]', 'answers = ["a"]'), "two to six answers"),
    (('title = "One"', 'title = "One"\ncolour = "red"'), "unknown key(s) colour"),
    (("[[steps]]", "[[steps]"), "not valid TOML"),
])
def test_a_broken_file_is_refused_saying_where_and_what(change, words):
    before, after = change
    assert before in GOOD
    with pytest.raises(LessonError) as refused:
        parse("my-lesson", GOOD.replace(before, after, 1))
    assert words in str(refused.value) and "lesson 'my-lesson'" in str(refused.value)


def test_a_file_name_must_be_a_plain_identifier():
    for name in ("My Lesson", "../etc", "x" * 41, ""):
        with pytest.raises(LessonError, match="name the file"):
            parse(name, GOOD)


def test_placeholders_are_what_the_check_fills_in():
    check = lessons()["memory-vanishing"].steps[1].check
    histories = histories_for(check, True)
    words = checks.outcome(check, histories)
    assert words.shown and all(name in PLACEHOLDERS for name in ("model", "than", "margin", "difference"))


def test_a_class_keeps_its_lesson_and_each_students_step(store):
    classes = ClassStore(store)
    info, _ = classes.create(lesson="memory-vanishing")
    plain_class, _ = classes.create()
    assert classes.lesson(info.code) == "memory-vanishing" and classes.lesson(plain_class.code) is None
    ada, _ = classes.join(info.code, "Ada")
    bo, _ = classes.join(info.code, "Bo")
    classes.record_step(ada, "memory-vanishing", 1)
    classes.record_step(ada, "memory-vanishing", 3)
    classes.record_step(bo, "memory-vanishing", 2)
    assert classes.steps(info.code) == {ada.name_key: ("memory-vanishing", 3), bo.name_key: ("memory-vanishing", 2)}
    classes.delete(info.code)
    assert classes.steps(info.code) == {} and classes.lesson(info.code) is None
    classes.record_step(ada, "memory-vanishing", 4)  # the class is gone: nothing is written
    assert classes.steps(info.code) == {}


def test_a_store_file_from_before_the_step_tables_gains_them(tmp_path):
    path = tmp_path / "runs.sqlite"
    RunStore(path)
    with sqlite3.connect(path) as connection:  # a schema 3 file as the class branch wrote it
        connection.execute("DROP TABLE class_steps")
        connection.execute("DROP TABLE class_lessons")
    classes = ClassStore(RunStore(path))
    info, _ = classes.create(lesson="ner-future")
    student, _ = classes.join(info.code, "Ada")
    classes.record_step(student, "ner-future", 2)
    assert classes.steps(info.code) == {student.name_key: ("ner-future", 2)}
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 3
