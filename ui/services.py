"""The server-wide objects every session shares: the run store and the job runner.

Both are created once per server process (`st.cache_resource`) and never mutated by the pages
except through their own thread-safe methods.
"""

from __future__ import annotations

import sys
import time
from typing import Callable

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.jobs import JobRunner
from core.runs import RunStore


@st.cache_resource(show_spinner=False)
def run_store() -> RunStore:
    return RunStore()


# Training threads hand the GIL back and forth with page redraws hundreds of times a step; at
# Python's default 5 ms switch interval each hand-back can stall a step, so switch more often.
SWITCH_INTERVAL_SECONDS = 0.0005


@st.cache_resource(show_spinner=False)
def job_runner() -> JobRunner:
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    return JobRunner(store=run_store())


# A reload or a dropped connection reconnects to the same session within seconds; only a session
# gone for this long has really been closed.
GRACE_SECONDS = 10.0


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

    def is_alive() -> bool:
        if runtime.is_active_session(session_id):
            gone_since.clear()
            return True
        if not gone_since:
            gone_since.append(time.monotonic())
        return time.monotonic() - gone_since[0] < GRACE_SECONDS

    return is_alive
