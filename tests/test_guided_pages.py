"""Guided lessons on their pages, through AppTest: each shipped lesson's every step opens from its
link with the settings it locks disabled and the others free, Train waits for a prediction, the
step's check is right for a stored run that shows the lesson and for one that does not, a tampered
lesson, step or locked setting gets the page's notice, and a class's student's step reaches the
teacher's page."""

from __future__ import annotations

import pytest
from test_guided import histories_for
from test_pages import open_page

from core.classes.store import ClassStore
from core.guided import checks
from core.guided.lesson import lessons
from core.tasks import experiment as config
from ui import class_teacher, guided
from ui.services import run_store

LESSONS = list(lessons().values())


def widgets(block, found=None) -> dict:
    """Every keyed widget under a block (the sidebar), by key: whether it is disabled."""
    found = {} if found is None else found
    for child in getattr(block, "children", {}).values():
        key = getattr(child, "key", None)
        if key is not None and hasattr(child.proto, "disabled"):
            found[key] = child.proto.disabled
        widgets(child, found)
    return found


def train_button(app):
    [train] = [button for button in app.button if button.label == "Train"]
    return train


def boxes(app) -> list[str]:
    return [box.value for kind in ("success", "info", "warning") for box in getattr(app, kind)]


def store_step_runs(lesson, number) -> tuple[str, str]:
    """A run of the step that shows its point (seed 0) and one that does not (seed 1): the check's
    sentences for each."""
    check = lesson.steps[number - 1].check
    texts = []
    for seed, shows in ((0, True), (1, False)):
        experiment = config.replace(lesson.experiment(number), seed=str(seed))
        histories = histories_for(check, shows)
        run_store().save(experiment, histories)
        outcome = checks.outcome(check, histories)
        assert outcome.shown is shows
        texts.append(outcome.text)
    return texts[0], texts[1]


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.identifier for lesson in LESSONS])
def test_each_lesson_walks_its_steps_with_locks_a_prediction_and_a_right_check(lesson):
    slug = guided.page_slug(lesson)
    shows, misses = store_step_runs(lesson, 1)
    app = open_page(slug, {"lesson": lesson.identifier, "step": "1"})
    for number in range(1, len(lesson.steps) + 1):
        step = lesson.steps[number - 1]
        assert step.title in " ".join(block.value for block in app.markdown), number
        states = widgets(app.sidebar)
        shown_settings = set(states) & set(config.parameter_fields(lesson.task))
        assert shown_settings, states
        for name in shown_settings:
            assert states[name] == (name not in step.unlocked), (number, name)
        assert any("Locked by step" in box.value for box in app.sidebar.info)
        if number == 1:
            assert train_button(app).disabled
            assert "Pick your prediction" in " ".join(block.value for block in [*app.markdown, *app.caption])
            assert shows not in boxes(app) and misses not in boxes(app)  # no check before a prediction
            app.radio(key=f"guided_answer_{lesson.identifier}_1").set_value(step.answers[0]).run()
            assert not train_button(app).disabled
            assert shows in boxes(app) and misses not in boxes(app)
            app.number_input(key="seed").set_value(1).run()
            assert misses in boxes(app) and shows not in boxes(app)
        if number < len(lesson.steps):
            [forward] = [button for button in app.button if button.label == "Next step"]
            forward.click().run()
            assert not app.exception, app.exception
            assert app.query_params["step"] == [str(number + 1)] or app.query_params["step"] == str(number + 1)
    # The step's settings are the run's: they reach the page's experiment.
    last = len(lesson.steps)
    for name in lesson.locked(last):
        assert name not in app.query_params or config.value_of(lesson.experiment(last), name) is not None


def test_a_tampered_link_gets_the_notice_and_the_locked_setting_back():
    app = open_page("memory_lab", {"lesson": "memory-vanishing", "step": "2"})
    assert app.slider(key="distance").value == 50 and app.slider(key="distance").disabled
    app.query_params["distance"] = "5"
    app.run()
    assert app.slider(key="distance").value == 50
    assert any("locked by step 2" in warning.value for warning in app.warning)
    for params, words in (({"lesson": "memory-vanishing", "step": "99"}, "opened step 4"),
                          ({"lesson": "memory-vanishing", "step": "-1"}, "opened step 1"),
                          ({"lesson": "<script>x</script>", "step": "2"}, "is not a lesson of this page"),
                          ({"lesson": "ner-future"}, "is not a lesson of this page"),
                          ({"step": "2"}, "Ignored")):
        app = open_page("memory_lab", params)
        assert not app.exception
        assert any(words in warning.value.replace("\\", "") for warning in app.warning), (params, app.warning)
    assert "<script>" not in " ".join(warning.value for warning in app.warning)


def test_a_lab_page_and_the_home_page_offer_the_guided_lessons():
    app = open_page("memory_lab")
    assert all(not disabled for disabled in widgets(app.sidebar).values())
    [start] = [button for button in app.button if button.key == "guided_open_memory-vanishing"]
    home = open_page("home")
    keys = {button.key for button in home.button}
    assert {f"guided_open_{name}" for name in lessons()} <= keys


def test_a_class_started_on_a_lesson_shows_each_students_step_to_its_teacher():
    classes = ClassStore(run_store())
    info, key = classes.create(lesson="memory-vanishing")
    try:
        student, token = classes.join(info.code, "Ada <b>")
        open_page("memory_lab", {"class": info.code, "student": token, "lesson": "memory-vanishing",
                                   "step": "3"})
        assert classes.steps(info.code) == {student.name_key: ("memory-vanishing", 3)}
        assert "memory_lab?" in class_teacher.student_link(info.code, "memory-vanishing")
        assert "lesson=memory-vanishing" in class_teacher.student_link(info.code, "memory-vanishing")
        teacher = open_page("class_teacher", {"class": info.code, "key": key})
        [table] = teacher.dataframe
        assert table.value.to_dict("records") == [{"student": "Ada <b>", "lesson": lessons()["memory-vanishing"].title,
                                                   "step": "3 of 4: Where the gradient goes"}]
        assert any("Started on the guided lesson" in block.value for block in teacher.markdown)
    finally:
        classes.delete(info.code)
