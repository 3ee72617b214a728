"""Train more: a finished stored run continued for more steps, as a new run that names its parent.

The continued run is the parent's experiment with more steps and `parent` set (core/engine/
continuation.py), so its link is a link like any other: the button puts it in the address bar and
submits it, its curves go on where the parent's stopped, and the parent's own link still opens the
parent. The button's work happens in its callback, before the page runs again, the one moment the
Steps slider's value may be set from code.
"""

from __future__ import annotations

import streamlit as st

from core.engine.continuation import continued
from core.engine.jobs import JobRefused
from core.store import runs
from core.tasks.experiment import Experiment, model_names, parameter_fields
from ui import plain
from ui.class_student import submit as submit_tagged
from ui.services import run_store

DEFAULT_MORE = 1000
REFUSED_KEY = "train_more_refused"


def job_key(experiment: Experiment) -> str:
    """Where the session keeps the id of the job its lesson page is training."""
    return f"{experiment.task}_job"


def _continue(stored: runs.StoredRun) -> None:
    more = int(st.session_state.get("more_steps", DEFAULT_MORE))
    try:
        experiment = continued(stored, more)
        job = submit_tagged(experiment)  # a class's student's continued run is theirs too
    except (ValueError, JobRefused) as refusal:
        st.session_state[REFUSED_KEY] = str(refusal)
        return
    st.session_state[job_key(experiment)] = job.id
    st.session_state["steps"] = experiment.train.steps  # the slider, and with it the address bar
    st.query_params["parent"] = stored.run_id


def train_more_box(experiment: Experiment, stored: runs.StoredRun) -> None:
    """Under a finished run trained here: how many more steps, and the button that trains them."""
    if experiment.train.parent:
        plain.caption("This run continues run {parent} from its last step; that run's own link still opens it.",
                      parent=experiment.train.parent)
    room = parameter_fields(experiment.task)["steps"][1].metadata["high"] - experiment.train.steps
    if stored.status != "finished" or stored.imported or room < 1:
        return
    names = [name for name in model_names(experiment) if name in stored.histories]
    if not names or run_store().load_training_state(stored.run_id, names[0]) is None:
        return  # trained before runs kept their optimizer state: it cannot be continued exactly
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    more = left.number_input("More steps", min_value=1, max_value=room, value=min(DEFAULT_MORE, room), step=100,
                             key="more_steps", help="Steps to add to every model; the new run starts from this "
                                                    "one's weights, optimizer state and random streams.")
    right.button(f"Train {more:,} more steps", key="train_more", icon=":material/fast_forward:",
                 on_click=_continue, args=(stored,),
                 help="A new run that names this one as its parent: its curves go on where these stopped.")
    if REFUSED_KEY in st.session_state:
        plain.warning("{reason}", reason=st.session_state.pop(REFUSED_KEY), icon=":material/block:")
