"""A student's side of a class: the join form a class link opens on, and the tag on each run they train.

A student link is the app's address with `?class=<code>`. Opening it, a student picks a display
name; then every page works as usual, with the class and their name kept in the session and in
the address (`class` and `student`, their own token), so a page switch, a reload or a new tab stays
in the class. Their runs are tagged with both when they press Train (`submit`). Without a class
in the link or the session, `admit` lets the page run and does nothing else. The teacher's page is
never gated: its link carries the teacher's key instead.
"""

from __future__ import annotations

import streamlit as st

from core.classes import rules
from core.classes.rules import ClassError
from core.classes.store import CLOSED, ClassStore, Student
from core.engine.job import Job
from core.engine.jobs import JobRefused
from core.store import runs
from core.tasks.experiment import Experiment
from ui import plain
from ui.services import job_runner, run_store, session_liveness, session_owner

MEMBER_KEY = "class_member"
# The teacher page's address (pages/class_teacher.py, named by its file).
TEACHER_PAGE = "class_teacher"
ENDED = ("This class link has ended: its teacher deleted the class, or its time ran out. The playground itself "
         "still works without a class: open it from its address without `?class=`.")


def class_store() -> ClassStore:
    return ClassStore(run_store())


def member() -> Student | None:
    """The student this session joined as, if any."""
    found = st.session_state.get(MEMBER_KEY)
    return Student(**found["student"]) if found else None


def _remember(student: Student, token: str) -> None:
    st.session_state[MEMBER_KEY] = {"student": vars(student), "token": token}


def admit() -> bool:
    """Whether the page may run: always without a class in the link or the session; in a class, once
    the student has a name in it (else the join form is drawn) and while it is open (else a notice)."""
    raw_code = st.query_params.get("class")
    joined = st.session_state.get(MEMBER_KEY)
    if joined and raw_code is not None and rules.check_code(raw_code) != joined["student"]["code"]:
        st.session_state.pop(MEMBER_KEY)  # another class's link opened in this tab: that class counts
        joined = None
    if joined is None and raw_code is None:
        return True
    code = joined["student"]["code"] if joined else rules.check_code(raw_code)
    store = class_store()
    info = store.get(code) if code else None
    if info is None:
        st.warning(ENDED, icon=":material/link_off:")
        return False
    if not info.is_open:
        st.warning(CLOSED + " The playground itself still works without a class: open it from its address "
                   "without `?class=`.", icon=":material/door_front:")
        return False
    student = member() if joined else store.student_by_token(code, st.query_params.get("student"))
    if student is None or store.student(code, student.name_key) is None:
        st.session_state.pop(MEMBER_KEY, None)
        _join_form(store, code)
        return False
    if not joined:
        _remember(student, st.query_params.get("student"))
    _keep_in_address()
    st.sidebar.caption(plain.fill("In class **{code}** as **{name}**: your runs are tagged for your teacher.",
                                  code=code, name=student.name))
    return True


def _keep_in_address() -> None:
    """Put the class and the student's token back in the address: a page switch clears it."""
    joined = st.session_state[MEMBER_KEY]
    wanted = {"class": joined["student"]["code"], "student": joined["token"]}
    for key, value in wanted.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value


def _join_form(store: ClassStore, code: str) -> None:
    st.title("Join the class")
    st.markdown("Pick the name your teacher will see next to your runs. Then use the playground as usual: "
                "each run you train is shown to your teacher.")
    with st.form("join_class"):
        name = st.text_input("Your name", max_chars=rules.NAME_LENGTH, key="class_name",
                             help=f"Plain text, at most {rules.NAME_LENGTH} characters, not used by anyone else "
                                  "in this class.")
        joined = st.form_submit_button("Join", type="primary", icon=":material/login:")
    if not joined:
        return
    try:
        student, token = store.join(code, name)
    except ClassError as error:
        plain.message(error, icon=":material/error:")
        return
    _remember(student, token)
    _keep_in_address()
    st.rerun()


def submit(experiment: Experiment) -> Job:
    """Submit a training job as the lab's Train does, tagged with the session's class and name when it
    has them; JobRefused, saying why, when the class is closed or the student is past their runs."""
    student = member()
    if student is None:
        return job_runner().submit(experiment, is_alive=session_liveness(), owner=session_owner())
    store = class_store()
    try:
        store.check_run(student, runs.run_id(experiment))
    except ClassError as error:
        raise JobRefused(str(error)) from None
    job = job_runner().submit(experiment, is_alive=session_liveness(), owner=session_owner())
    try:
        store.record_run(student, job.run_id, job.id)
    except ClassError as error:  # the class closed between the check and the tag
        job.stop()
        raise JobRefused(str(error)) from None
    return job
