"""The teacher's page of a class: every student, what each trains now, their finished runs and scores,
everyone's latest curves overlaid, counts, exports, and closing or deleting the class.

The page opens only with the class's code and its teacher key in the address (the teacher link);
without them, with another class's key or with a guess, it says so and shows nothing of any class.
The live part redraws every REFRESH_SECONDS, so a run that finishes shows within that (the
acceptance asks for 5 s). Every student's name and every setting a student chose is plain text
(ui/plain.py); on the charts a name is a Vega label, which draws text, never markup.
"""

from __future__ import annotations

import datetime
import time
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from core.classes import results
from core.classes.rules import ClassError
from core.classes.store import ClassInfo
from core.guided.lesson import lessons
from core.nn.cells import CELL_LABELS, model_label
from core.report import compare
from core.report.html_page import UnsafeFigure, report_html
from core.store.records import DamagedRun, StoredRun
from core.tasks import experiment as config
from core.tasks.registry import task
from ui import class_student, compare_charts, figures, guided, plain, run_report
from ui.class_student import TEACHER_PAGE, class_store
from ui.services import job_runner, run_store

REFRESH_SECONDS = 2.0
# Stored runs the teacher pages keep read (a class of 40 students with a few runs each, and more).
STORED_RUNS_KEPT = 400
REFUSED = ("This page shows a class to its teacher, and opens only from the teacher link given when the class "
           "started. This address has no valid teacher key for a class on this server, or the class has ended.")
DELETED_KEY = "class_deleted"
STARTED_KEY = "class_started"


def base_url() -> str:
    """The app's address (its home page), from the page the browser is on; "" when unknown (AppTest)."""
    scheme, separator, rest = (st.context.url or "").partition("://")
    if not separator:
        return ""
    return f"{scheme}{separator}{rest.rsplit('/', 1)[0] if '/' in rest else rest}/"


def student_link(code: str, lesson: str | None = None) -> str:
    """The link a class's students open: the home page, or the first step of the class's guided lesson."""
    found = lessons().get(lesson) if lesson else None
    if found is None:
        return f"{base_url()}?{urlencode({'class': code})}"
    return f"{base_url()}{guided.page_slug(found)}?{urlencode({'class': code, **guided.page_link_params(found)})}"


def teacher_link(code: str, key: str) -> str:
    return f"{base_url()}{TEACHER_PAGE}?{urlencode({'class': code, 'key': key})}"


def _when(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def render() -> None:
    if st.session_state.pop(DELETED_KEY, False):
        st.success("The class was deleted, with its students' names. Its runs stay in this server's run store.",
                   icon=":material/delete:")
        return
    info = class_store().for_teacher(st.query_params.get("class"), st.query_params.get("key"))
    if info is None:
        st.warning(REFUSED, icon=":material/lock:")
        return
    state = "open" if info.is_open else f"closed since {_when(info.closed)}"
    plain.markdown("Class **{code}**: {state}; it ends, with its students' names, at {end}.", code=info.code,
                   state=state, end=_when(info.expires))
    lesson = lessons().get(class_store().lesson(info.code) or "")
    if lesson is not None:
        st.markdown(f"Started on the guided lesson **{lesson.title}** ({len(lesson.steps)} steps).")
    st.markdown("**Student link** (give this one to the class; it does not carry your key):")
    st.code(student_link(info.code, lesson and lesson.identifier), language=None, wrap_lines=True)
    live(info.code)
    _exports(info.code)
    _actions(info)


def _live_status(job_id: str) -> tuple[str, dict[str, Any]] | None:
    job = job_runner().job(job_id)
    if job is None or job.done:
        return None
    progress = job.progress()
    if progress.status == "queued":
        status = f"queued, position {progress.position}"
    else:
        status = f"training, {progress.steps_done // max(progress.models, 1)} of " \
                 f"{progress.steps_total // max(progress.models, 1)} steps"
    return status, config.to_params(config.as_trained(job.experiment))


@st.cache_resource(max_entries=STORED_RUNS_KEPT, show_spinner=False)
def _stored_run(run_id: str, updated: float) -> StoredRun | None:
    """A stored run as saved at `updated`, read once for every teacher's page (never changed by them)."""
    try:
        return run_store().load(run_id)
    except DamagedRun:
        return None


def class_view(code: str) -> tuple[results.ClassView, dict[str, str], list]:
    store = class_store()
    students = store.students(code)
    tagged = store.class_runs(code)
    view = results.class_view(run_store(), students, tagged, _live_status, load=_stored_run)
    return view, {student.name_key: student.name for student in students}, tagged


def settings_text(changed: dict[str, Any]) -> str:
    if not changed:
        return "the lesson's starting settings"
    shown = []
    for name, value in changed.items():
        if name == "cells" and isinstance(value, list):
            value = "+".join(CELL_LABELS.get(cell, cell) for cell in value)
        elif isinstance(value, list):
            value = "+".join(map(str, value))
        shown.append(f"{name} {value}")
    return ", ".join(shown)


def finished_text(count: int) -> str:
    return f"{count} finished run" + ("" if count == 1 else "s")


def scores_text(run: results.RunLine) -> str:
    scores = [f"{model_label(name)} {score:.3f}" for name, score in run.scores.items() if score is not None]
    return f"{', '.join(scores)} ({run.metric})" if scores else "no score yet"


def _lesson(name: str) -> str:
    try:
        return task(name).page.title
    except KeyError:
        return name or "a lesson"


@st.fragment(run_every=REFRESH_SECONDS)
def live(code: str) -> None:
    """Everything that changes while the class trains, redrawn on its own every REFRESH_SECONDS."""
    if class_store().get(code) is None:
        st.warning("This class has ended.", icon=":material/link_off:")
        return
    view, names, _ = class_view(code)
    st.subheader(f"Students ({len(view.students)})")
    _steps(code, names)
    for winner, loser, did, total in results.beats(view):
        st.markdown(f"**{did} of {total}** have a run where the {CELL_LABELS[winner]} beats the "
                    f"{CELL_LABELS[loser]} (final validation score).")
    if not view.students:
        st.caption("No one has joined yet: give the class the student link above.")
    for line in view.students:
        with st.container(border=True):
            plain.markdown("**{name}**: {count}", name=line.name, count=finished_text(len(line.finished)))
            for run in line.training:
                plain.markdown("Now: {status} on {lesson} with {settings}", status=run.status,
                               lesson=_lesson(run.task), settings=settings_text(run.changed))
            for run in reversed(line.finished):
                plain.caption("{lesson}, {status}, run {run}: {settings}. Scores: {scores}", lesson=_lesson(run.task),
                              status=run.status, run=run.run_id, settings=settings_text(run.changed),
                              scores=scores_text(run))
    _curves(view)


def step_rows(code: str, names: dict[str, str]) -> list[dict[str, str]]:
    """Who is at which step of a guided lesson: a row per student who opened one (plain text cells)."""
    rows = []
    for name_key, (identifier, number) in class_store().steps(code).items():
        lesson = lessons().get(identifier)
        if name_key in names and lesson is not None and 1 <= number <= len(lesson.steps):
            rows.append({"student": names[name_key], "lesson": lesson.title,
                         "step": f"{number} of {len(lesson.steps)}: {lesson.steps[number - 1].title}"})
    return sorted(rows, key=lambda row: row["student"].casefold())


def _steps(code: str, names: dict[str, str]) -> None:
    rows = step_rows(code, names)
    if rows:
        st.markdown("**Guided lesson: who is at which step**")
        st.dataframe(rows, hide_index=True, key="class_steps")


def latest_charts(view: results.ClassView) -> dict[str, list]:
    """Per lesson title, each student's latest finished run overlaid: a colour per student (the Compare
    page's charts, with students as its runs), a dash per model; its metric, then its train loss."""
    found = {}
    for lesson in dict.fromkeys(view.latest_task.values()):
        names = [name for name, shown in view.latest_task.items() if shown == lesson]
        rows = compare.comparison_rows({name: view.latest[name] for name in names})
        metric = next(iter(view.latest[names[0]].values())).metric
        found[_lesson(lesson)] = [
            compare_charts.curve_chart(rows, f"validation {metric}", f"Validation {metric}", names,
                                       run_title="Student"),
            compare_charts.curve_chart(rows, "train loss", "Train loss", names, run_title="Student")]
    return found


def _curves(view: results.ClassView) -> None:
    for lesson, (metric, loss) in latest_charts(view).items():
        st.subheader(f"Latest runs: {lesson}")
        left, right = st.columns(2)
        figures.show(metric, left)
        figures.show(loss, right)


def class_report(code: str, link: str) -> str:
    """The class as one HTML file a teacher keeps (core/report/html_page.py): the counts, each student's
    runs, the latest curves as SVG, and the student link (never the teacher's)."""
    view, _, _ = class_view(code)
    sentences = [f"**{did} of {total}** have a run where the {CELL_LABELS[winner]} beats the {CELL_LABELS[loser]}."
                 for winner, loser, did, total in results.beats(view)]
    rows = []
    for line in view.students:
        # A name goes in as typed: the page escapes it, and it is never put inside our own markup.
        sentences.append(f"{line.name}: {finished_text(len(line.finished))}.")
        rows += [(f"{line.name}, run {run.run_id}", f"{_lesson(run.task)}, {run.status}: "
                  f"{settings_text(run.changed)}; {scores_text(run)}") for run in line.finished]
    drawn = run_report.drawn([chart for charts in latest_charts(view).values() for chart in charts])
    page = dict(title=f"Class {code}", made=_when(time.time()), link=link, sentences=sentences, settings=rows,
                sentences_heading="The class")
    try:
        return report_html(figures=drawn, **page)
    except UnsafeFigure:  # a name in a legend that reads like an SVG attribute: the text stays, the charts go
        return report_html(figures=[], notes=["The charts were left out: a student's name in their legends looked "
                                              "like markup to the file's safety check."], **page)


def _exports(code: str) -> None:
    st.subheader("Export")
    left, right = st.columns(2)
    left.download_button("Class results as CSV", lambda: results.to_csv(results.csv_rows(*class_view(code))),
                         file_name=f"class-{code}.csv", mime="text/csv", on_click="ignore",
                         icon=":material/download:", key="class_csv")
    right.download_button("Every run as bundles (zip)",
                          lambda: results.bundles_zip(run_store(), code, *class_view(code)[1:]),
                          file_name=f"class-{code}-runs.zip", mime="application/zip", on_click="ignore",
                          icon=":material/download:", key="class_zip")
    link = student_link(code)  # read now: the report is made later, when its button is pressed
    left.download_button("Class report (one HTML file)", lambda: class_report(code, link).encode(),
                         file_name=f"class-{code}.html", mime="text/html", on_click="ignore",
                         icon=":material/description:", key="class_report",
                         help="The counts, every student's runs and the latest curves in one file that opens "
                              "anywhere, with no network, and prints well.")


def _actions(info: ClassInfo) -> None:
    st.subheader("End the class")
    if info.is_open and st.button("Close the class", icon=":material/door_front:", key="close_class",
                                  help="Students can no longer join or train in it; you still see it here."):
        class_store().close(info.code)
        st.rerun()
    sure = st.checkbox("Delete it now, with every student's name (their runs stay in the run store)",
                       key="delete_sure")
    if st.button("Delete the class", icon=":material/delete:", key="delete_class", disabled=not sure):
        class_store().delete(info.code)
        st.session_state[DELETED_KEY] = True
        st.rerun()


def start_box() -> None:
    """The home page's "Teach a class": start one and get its two links, the teacher's shown only here."""
    if class_student.member() is not None:
        return  # a student in a class has a teacher already
    st.subheader("Teach a class")
    st.caption("Start a class and give your students its link: each picks a name, trains as usual, and your "
               "teacher page shows every student's runs, scores and curves live.")
    shipped = lessons()
    lesson = st.selectbox("Start on a guided lesson (optional)", [None, *shipped], key="class_lesson",
                          format_func=lambda name: "No guided lesson: the home page" if name is None
                          else f"{shipped[name].title} ({task(shipped[name].task).page.title})")
    if st.button("Start a class", icon=":material/school:", key="start_class"):
        try:
            info, key = class_store().create(lesson=lesson)
        except ClassError as error:
            plain.message(error, icon=":material/error:")
            return
        st.session_state[STARTED_KEY] = (info.code, key, lesson)
    started = st.session_state.get(STARTED_KEY)
    if not started:
        return
    code, key, lesson = started
    st.markdown("**Student link**: give it to the class.")
    st.code(student_link(code, lesson), language=None, wrap_lines=True)
    st.markdown("**Teacher link**: keep it to yourself. It carries your key, which is shown only here and now: "
                "the server keeps only a digest of it and cannot show it again.")
    st.code(teacher_link(code, key), language=None, wrap_lines=True)
    if st.button("I have saved the teacher link", key="saved_teacher_link"):
        st.session_state.pop(STARTED_KEY)
        st.rerun()
