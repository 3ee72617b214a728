"""A lab page's one status box: what the shown run's state is, and what Train will do to it.

The newest news comes first (a refused Train, a job that could not start), then the stored run
(diverged, stopped, just trained here or opened from the store, without weights), then why Train
waits, then "not trained yet". Two boxes for one state read as two problems.
"""

from __future__ import annotations

import streamlit as st

from core.data.history import History
from core.nn.cells import model_label
from core.store import runs
from core.tasks.experiment import Experiment, model_names
from ui import plain
from ui.services import run_store


def train_note(stored: runs.StoredRun | None) -> str | None:
    """What pressing Train will do to a stored run: a finished one is already trained, a stopped one
    restarts from step 0 (said beside the button and in its help, so nothing retrains silently)."""
    if stored is not None and stored.status == "finished":
        return "These settings are already trained and shown below; training again gives the same curves."
    if stored is not None and stored.status == "stopped":
        return "A stopped run does not resume: training starts again from step 0."
    return None



NO_WEIGHTS = ("This run has no saved weights (a run imported from a bundle carries none): its curves are below; "
              "train it again to use its trained models on this page.")
WEIGHTS_NEEDED = "This needs the run's trained weights, which it does not have (see above)."


def state_message(experiment: Experiment, stored: runs.StoredRun | None, blocked: str | None,
                  refused: str | None, failure: str | None, other_settings: bool = False,
                  trained_here: bool = False) -> None:
    """The one status box about the run's state: the newest news first (a refused Train, a job that
    could not start), then the stored run, then why Train waits, then "not trained yet". Two boxes
    for one state read as two problems, so each case says all it has to say in one."""
    if refused is not None:
        plain.warning("{reason}", reason=refused, icon=":material/block:")
    elif failure is not None:
        # A failure may come before the first step (the data) or during training (a killed worker).
        plain.error("Training did not finish: {message}", message=failure, icon=":material/error:")
    elif stored is not None:
        _stored_status(stored, [stored.histories[name] for name in model_names(experiment)
                                if name in stored.histories], trained_here)
    elif blocked is not None:
        if blocked:  # "" means the upload box or the data panel above already says why
            st.info(blocked, icon=":material/upload_file:")
    else:
        earlier = (" Your last run used other settings; its results stay in the run store."
                   if other_settings else "")
        st.info("Not trained yet. Press **Train** to train the selected cells side by side; the curves grow "
                "live and you can keep using the page." + earlier, icon=":material/model_training:")


def _stored_status(stored: runs.StoredRun, histories: list[History], trained_here: bool = False) -> None:
    """A stored run's state in one box: red if a model diverged, amber if one stopped, else green.
    A run this page just trained says so; one opened from the store says it was not retrained."""
    lines = []
    for history in histories:
        name = model_label(history.cell)
        if history.status == "diverged":
            lines.append(plain.fill("{name}: {message} The curves up to that point are kept below.", name=name,
                                    message=history.message))
        elif history.status == "stopped":
            lines.append(plain.fill("{name} stopped after {steps} steps: {message} Training again starts from "
                                    "step 0 (a stopped run does not resume).", name=name, steps=len(history.steps),
                                    message=history.message))
    if stored.imported:
        # Said first and in every state: its curves are someone's bundle, not training on this server.
        lines.insert(0, f"Imported run `{stored.run_id}`: its curves come from a bundle someone uploaded, not from "
                        "training here. Train these settings to get a run trained on this server.")
    elif stored.status == "finished":
        # A run id is hexadecimal, made here, so it needs no escaping.
        if trained_here:
            seconds = max((history.wall_seconds[-1] for history in histories if history.wall_seconds), default=0.0)
            lines.append(f"Trained and saved as run `{stored.run_id}` in {seconds:.1f} s; this link reopens it "
                         "at once, with no retraining.")
        else:
            lines.append(f"Loaded finished run `{stored.run_id}` from the run store: no retraining needed.")
    if not run_store().has_weights(stored.run_id):
        # Said once here; the views below that need the trained models only point back to it.
        lines.append(NO_WEIGHTS)
    statuses = {history.status for history in histories}
    kind, icon = (("error", ":material/warning:") if "diverged" in statuses else
                  ("warning", ":material/stop_circle:") if "stopped" in statuses else
                  ("success", ":material/check_circle:"))
    if lines:
        getattr(st, kind)("\n\n".join(lines), icon=icon)
