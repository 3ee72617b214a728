"""A guided lesson on a lab page: the step's question, its locked settings, the run and its check.

A link such as `?lesson=memory-vanishing&step=2` opens step 2 of a lesson (core/guided/lessons/).
`opening` runs before the page's widgets: it validates both parameters like every other (a bad
value gets the page's notice and is corrected in the address), applies the step's settings on
entering it, and puts a locked setting back whenever a link or a session moved it. `panel` draws
the step; the student picks a prediction before Train is enabled, and once the run is stored the
check (core/guided/checks.py) says, in words that fit its numbers, whether the run showed the point.
`lesson` and `step` are reserved parameters, so they never enter a run's settings or its id.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitAPIException

from core.guided import checks
from core.guided.lesson import Lesson, lessons, lessons_of
from core.settings.fields import shortened
from core.tasks import experiment as config
from core.tasks.experiment import Experiment
from core.tasks.registry import task
from ui import plain
from ui.class_student import class_store, member
from ui.services import run_store

# The (lesson, step) whose settings this session last applied: entering another step applies its own.
APPLIED_KEY = "guided_applied"
RECORDED_KEY = "guided_recorded"
PREDICT = "Pick your prediction in the guided lesson above, then press **Train**."


@dataclass(frozen=True)
class Opened:
    lesson: Lesson
    number: int  # from 1
    messages: tuple[str, ...]

    @property
    def step(self):
        return self.lesson.steps[self.number - 1]

    @property
    def locked(self) -> frozenset[str]:
        return frozenset(self.lesson.locked(self.number))


def page_link_params(lesson: Lesson, number: int = 1) -> dict[str, str]:
    return {"lesson": lesson.identifier, "step": str(number)}


def page_slug(lesson: Lesson) -> str:
    """The address path of the lesson's page (Streamlit names a page by its file)."""
    return Path(task(lesson.task).page.path).stem


def _drop(*keys: str) -> None:
    for key in keys:
        if key in st.query_params:
            del st.query_params[key]


def _read(page_task: str) -> tuple[Lesson | None, int, list[str]]:
    """The lesson and step the address names for this page, corrected in place, and what was wrong."""
    raw_lesson, raw_step = st.query_params.get("lesson"), st.query_params.get("step")
    if raw_lesson is None:
        if raw_step is not None:
            _drop("step")
            return None, 0, ["Ignored 'step': it belongs to a guided lesson, and this link names none."]
        return None, 0, []
    lesson = lessons().get(raw_lesson)
    if lesson is None or lesson.task != page_task:
        _drop("lesson", "step")
        names = ", ".join(found.identifier for found in lessons_of(page_task)) or "none"
        return None, 0, [f"Guided lesson: {shortened(raw_lesson)!r} is not a lesson of this page (its lessons: "
                         f"{names}); the page opened without one."]
    count = len(lesson.steps)
    text = (raw_step or "1").strip()
    number = int(text) if text.isascii() and text.isdigit() and len(text) < 4 else None
    if number is not None and 1 <= number <= count:
        return lesson, number, []
    fixed = 1 if number is None or number < 1 else count
    st.query_params["step"] = str(fixed)
    return lesson, fixed, [f"Step: {shortened(raw_step)!r} is not a step of this lesson (1 to {count}); "
                           f"opened step {fixed}."]


def opening(page_task: str) -> Opened | None:
    """The guided step this page opens on, with its settings in the address and in the widgets'
    state (before any widget exists); None without a lesson (a bad one is reported in the notice)."""
    lesson, number, messages = _read(page_task)
    if lesson is None:
        st.session_state.pop(APPLIED_KEY, None)
        if messages:
            st.session_state["guided_notice"] = messages
        return None
    opened = Opened(lesson, number, tuple(messages))
    entering = st.session_state.get(APPLIED_KEY) != (lesson.identifier, number)
    wanted = lesson.experiment(number)
    raw = {key: st.query_params.get_all(key) for key in st.query_params}
    current, _ = config.from_params({**raw, "task": page_task})
    shown = config.link_params(wanted)
    moved = []
    for name, (_, spec) in config.parameter_fields(page_task).items():
        value = config.value_of(wanted, name)
        if (name not in opened.locked and not entering) or config.value_of(current, name) == value:
            continue
        if not entering:
            moved.append(spec.metadata["label"])
        try:
            if name in shown:
                st.query_params[name] = shown[name]
            else:
                _drop(name)
        except StreamlitAPIException:
            pass  # bound to its widget already this run: the session state below moves both
        st.session_state[name] = list(value) if isinstance(value, tuple) else value
    st.session_state[APPLIED_KEY] = (lesson.identifier, number)
    if moved:
        messages.append(f"{', '.join(moved)}: locked by step {number} of the guided lesson, so put back to the "
                        "step's value.")
    _record(opened)
    return dataclasses.replace(opened, messages=tuple(messages))


def pending_notices() -> list[str]:
    """Messages about a lesson parameter from a run that then opened without a lesson."""
    return st.session_state.pop("guided_notice", [])


def _record(opened: Opened) -> None:
    """A class's student's step, for the teacher's page (written when it changes, not on every rerun)."""
    student = member()
    if student is None:
        return
    now = (student.code, student.name_key, opened.lesson.identifier, opened.number)
    if st.session_state.get(RECORDED_KEY) != now:
        class_store().record_step(student, opened.lesson.identifier, opened.number)
        st.session_state[RECORDED_KEY] = now


def lock_note(opened: Opened | None) -> str:
    if opened is None:
        return ""
    free = [config.parameter_fields(opened.lesson.task)[name][1].metadata["label"] for name in opened.step.unlocked]
    return (f"Locked by step {opened.number} of the guided lesson: greyed settings stay as the step set them. "
            f"You may move: {', '.join(free) or 'nothing'}.")


def _answer_key(opened: Opened) -> str:
    return f"guided_answer_{opened.lesson.identifier}_{opened.number}"


def panel(opened: Opened, experiment: Experiment, parts):
    """Draw the step above the lab; the page's parts come back with Train blocked until a prediction."""
    lesson, step = opened.lesson, opened.step
    with st.container(border=True, key="guided_panel"):
        st.markdown(f"**Guided lesson: {lesson.title}**, step {opened.number} of {len(lesson.steps)}: "
                    f"*{step.title}*")
        answer = st.radio(f"**Predict:** {step.question}", step.answers, index=None, key=_answer_key(opened))
        st.markdown(f"**Run:** {step.run}")
        stored = run_store().find(experiment)
        if stored is not None and stored.status != "running":
            if answer is None:
                st.caption("Pick your prediction to see what your run shows.")
            else:
                st.markdown(f"**Look:** {step.look}")
                plain.caption("You predicted: {answer}", answer=answer)
                _outcome(checks.outcome(step.check, stored.histories))
        _navigation(opened)
    earlier = parts.blocker

    def blocker(chosen: Experiment) -> str | None:
        if st.session_state.get(_answer_key(opened)) is None:
            return PREDICT
        return earlier(chosen) if earlier else None

    return dataclasses.replace(parts, blocker=blocker)


def _outcome(outcome: checks.Outcome) -> None:
    if outcome.shown is True:
        st.success(outcome.text, icon=":material/check_circle:")
    elif outcome.shown is False:
        st.info(outcome.text, icon=":material/info:")
    else:
        st.warning(outcome.text, icon=":material/help:")


def _navigation(opened: Opened) -> None:
    back, forward, leave = st.columns(3)
    if opened.number > 1 and back.button("Previous step", icon=":material/arrow_back:", key="guided_back"):
        st.query_params["step"] = str(opened.number - 1)
        st.rerun()
    if opened.number < len(opened.lesson.steps) and forward.button(
            "Next step", icon=":material/arrow_forward:", key="guided_next"):
        st.query_params["step"] = str(opened.number + 1)
        st.rerun()
    if leave.button("Leave the lesson", icon=":material/close:", key="guided_leave",
                    help="Every setting unlocks; the page keeps the settings it has now."):
        _drop("lesson", "step")
        st.rerun()


def entry(page_task: str) -> None:
    """A lab page's "Guided lesson" entry: each of its lessons as a link to step 1."""
    found = lessons_of(page_task)
    if not found:
        return
    with st.expander("Guided lesson: predict, train, check", icon=":material/school:"):
        links(found)


def links(found: list[Lesson]) -> None:
    """A button per lesson that opens its page on step 1 (buttons, not page links: the home page's
    page links are its presets, one each)."""
    for lesson in found:
        st.markdown(f"**{lesson.title}** ({len(lesson.steps)} steps): {lesson.summary}")
        if st.button("Start the guided lesson", icon=":material/school:", key=f"guided_open_{lesson.identifier}"):
            st.switch_page(task(lesson.task).page.path, query_params=page_link_params(lesson))


def home_entry() -> None:
    """The home page's "Guided lessons": every lesson, each a link to its page's step 1."""
    st.subheader("Guided lessons")
    st.caption("A few steps each: predict what will happen, train with the settings the step unlocks, and see "
               "whether your own run showed it.")
    with st.expander("Guided lessons", icon=":material/school:"):
        links(list(lessons().values()))
