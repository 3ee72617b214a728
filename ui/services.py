"""The server-wide objects every session shares: the run store and the job runner.

Both are created once per server process (`st.cache_resource`) and never mutated by the pages
except through their own thread-safe methods.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.engine.jobs import JobRunner
from core.engine.warming import PresetWarmer
from core.settings import environment
from core.store.runs import RunStore
from core.tasks.base import TaskData
from core.tasks.experiment import Experiment
from core.tasks.registry import build_task, build_views, task

# Finished runs' views hold a small part of their data (an eighth of it for the memory lab); a
# class whose students each open a different run keeps this many, the rest built again if reopened.
VIEW_DATA_ENTRIES = 6


@st.cache_resource(show_spinner=False)
def run_store() -> RunStore:
    return RunStore()


# Training threads (the thread backend) hand the GIL back and forth with page redraws hundreds of
# times a step; at Python's default 5 ms switch interval each hand-back can stall a step, so switch
# more often. Worker processes (the default) have a GIL of their own and need none of this.
SWITCH_INTERVAL_SECONDS = 0.0005


@st.cache_resource(show_spinner=False)
def job_runner() -> JobRunner:
    runner = JobRunner(store=run_store())
    if runner.backend == "thread":
        sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    runner.start()  # the first page view warms the workers, so the first Train starts at once
    if environment.read("RNN_PLAYGROUND_WARM_ON_START") == "on":
        PresetWarmer(runner).start()  # a host with no build step trains the presets now, when idle
    return runner


def grace_seconds() -> float:
    """A reload or a dropped connection reconnects to the same session within seconds; only a
    session gone for this long has really been closed (RNN_PLAYGROUND_SESSION_GRACE_SECONDS)."""
    return environment.read("RNN_PLAYGROUND_SESSION_GRACE_SECONDS")


def session_owner() -> str | None:
    """This browser session's id, for the job runner's per-session budget; None under AppTest."""
    context = get_script_run_ctx()
    return context.session_id if context is not None and Runtime.exists() else None


def session_liveness() -> Callable[[], bool] | None:
    """A check the job runner calls to learn whether this browser session is still open.

    Under AppTest there is no runtime, so there is nothing to watch and jobs run to the end.
    """
    context = get_script_run_ctx()
    if context is None or not Runtime.exists():
        return None
    runtime = Runtime.instance()
    session_id = context.session_id
    gone_since: list[float] = []
    grace = grace_seconds()

    def is_alive() -> bool:
        if runtime.is_active_session(session_id):
            gone_since.clear()
            return True
        if not gone_since:
            gone_since.append(time.monotonic())
        return time.monotonic() - gone_since[0] < grace

    return is_alive


# A lesson's data depends on its task, its own settings and the seed, and on nothing else of a run
# (core/tasks/registry.build_task): runs that differ in cells, sizes or training share one copy.
def data_key(experiment: Experiment) -> str:
    return f"{experiment.task}|{experiment.seed}|{experiment.task_config!r}"


@st.cache_resource(show_spinner="Preparing the data...", max_entries=6)
def _task_data(_experiment: Experiment, key: str) -> TaskData:
    return build_task(_experiment)


@st.cache_resource(show_spinner=False, max_entries=VIEW_DATA_ENTRIES)
def _view_data(_experiment: Experiment, key: str) -> TaskData:
    return build_views(_experiment)


def task_data(experiment: Experiment) -> TaskData:
    """The experiment's data, built once per server for every session that shows it.

    Keyed by the settings the data depends on (`data_key`); the experiment object is not hashed.
    Raises the task's DataError when the data cannot be built (e.g. a missing upload).
    """
    return _task_data(experiment, data_key(experiment))


def view_data(experiment: Experiment) -> TaskData:
    """The data a finished run's views read (looking inside, the model download): for a lesson that can
    leave out its training examples (its record's `build_views`), only the small rest, so a page showing
    a stored run never builds the training split; for other lessons the same data as `task_data`."""
    if task(experiment.task).build_views is None:
        return task_data(experiment)
    return _view_data(experiment, data_key(experiment))
