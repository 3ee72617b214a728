"""The memory lab's body: train and stop, live curves, stored results and the look inside.

Training happens in the job runner's threads; this module only submits, polls snapshots from a
fragment (once a second) and draws. Session state holds the job id and nothing heavier.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from core import config, runs
from core.config import CELL_LABELS, Experiment
from core.explain import memory_lines
from core.history import History
from core.jobs import Job
from ui import charts, inspect_view, share
from ui.services import job_runner, run_store, session_liveness

JOB_KEY = "memory_job"
REFRESH_SECONDS = 1.0


def render(experiment: Experiment) -> None:
    share.share_box(experiment)
    job = _current_job()
    running = job is not None and not job.done
    left, right, _ = st.columns([1, 1, 4])
    if left.button("Train", type="primary", disabled=running, icon=":material/play_arrow:"):
        job = job_runner().submit(experiment, is_alive=session_liveness())
        st.session_state[JOB_KEY] = job.id
        # Rerun so the whole page, Train button included, redraws in its training state.
        st.rerun()
    if running:
        _live(job.id, right)
        return
    stored = run_store().find(experiment)
    if job is not None and job.run_id != runs.run_id(experiment):
        st.info("Your last run used other settings; its results stay in the run store. "
                "Press **Train** to run the settings shown in the sidebar.", icon=":material/history:")
    if stored is None:
        st.info("Not trained yet. Press **Train** to train the selected cells side by side; the curves grow "
                "live and you can keep using the page.", icon=":material/model_training:")
    else:
        _stored_results(experiment, stored)
    _distance_view(experiment)


def _current_job() -> Job | None:
    job_id = st.session_state.get(JOB_KEY)
    return job_runner().job(job_id) if job_id else None


def _live(job_id: str, stop_column) -> None:
    # The Stop button lives outside the fragment so it is visible at once and works mid-redraw.
    if stop_column.button("Stop", icon=":material/stop:"):
        job = job_runner().job(job_id)
        if job is not None:
            job.stop()

    @st.fragment(run_every=REFRESH_SECONDS)
    def poll() -> None:
        job = job_runner().job(job_id)
        if job is None:
            st.warning("This training job is no longer known to the server (it may have restarted).")
            return
        snapshot = job.snapshot()
        if snapshot.status == "queued":
            st.info(f"Queued: position **{snapshot.position}** in line. Training starts when a slot frees up "
                    "(this server trains a limited number of jobs at once).", icon=":material/hourglass_top:")
        else:
            fraction = snapshot.steps_done / max(snapshot.steps_total, 1)
            st.progress(min(fraction, 1.0), text=f"Training: {snapshot.steps_done} of {snapshot.steps_total} steps, "
                                                 f"{snapshot.elapsed:.1f} s")
        histories = list(snapshot.histories.values())
        if histories and any(h.steps for h in histories):
            curves(job.experiment, histories)
        if job.done:
            st.rerun(scope="app")

    poll()


def curves(experiment: Experiment, histories: list[History], probe_step: int | None = None) -> None:
    chance = 1 / experiment.task_config.symbols
    left, right = st.columns(2)
    left.altair_chart(charts.loss_chart(histories), width="stretch")
    right.altair_chart(charts.metric_chart(histories, chance), width="stretch")
    left, right = st.columns(2)
    left.altair_chart(charts.gradient_chart(histories, probe_step), width="stretch")
    right.altair_chart(charts.ratio_chart(histories), width="stretch")
    st.altair_chart(charts.layer_norm_chart(histories))


def _stored_results(experiment: Experiment, stored: runs.StoredRun) -> None:
    histories = [stored.histories[cell] for cell in experiment.model.cells if cell in stored.histories]
    _status_line(stored, histories)
    probe_steps = sorted({step for h in histories for step in h.probe_steps})
    probe_step = None
    if len(probe_steps) > 1:
        probe_step = st.select_slider("Gradient-through-time probe at step", options=probe_steps,
                                      value=probe_steps[-1], key="probe_step",
                                      help="Slide back to see how the gradient reaching early steps changed "
                                           "over training.")
    curves(experiment, histories, probe_step)
    st.subheader("What this run shows")
    for line in memory_lines(experiment, histories):
        st.markdown(line)
    inspect_view.render(experiment, stored)


def _status_line(stored: runs.StoredRun, histories: list[History]) -> None:
    for history in histories:
        name = CELL_LABELS.get(history.cell, history.cell)
        if history.status == "diverged":
            st.error(f"{name}: {history.message} The curves up to that point are kept below.",
                     icon=":material/warning:")
        elif history.status == "stopped":
            st.warning(f"{name} stopped after {len(history.steps)} steps: {history.message} "
                       "Press **Train** to run it to the end.", icon=":material/stop_circle:")
    if stored.status == "finished":
        st.success(f"Loaded finished run `{stored.run_id}` from the run store: no retraining needed.",
                   icon=":material/check_circle:")


def _distance_view(experiment: Experiment) -> None:
    """Accuracy against distance, gathered from finished stored runs that differ only in distance."""
    spec = config.parameter_fields(experiment.task)["distance"][1].metadata
    variants = {}
    for distance in range(int(spec["low"]), int(spec["high"]) + 1):
        task_config = dataclasses.replace(experiment.task_config, distance=distance)
        variants[runs.run_id(dataclasses.replace(experiment, task_config=task_config))] = distance
    found = run_store().summaries(list(variants))
    rows = [{"distance": variants[identifier], "model": CELL_LABELS.get(cell, cell), "accuracy": accuracy}
            for identifier, summary in found.items() if summary.status == "finished"
            for cell, accuracy in summary.final_metrics.items() if accuracy is not None]
    st.subheader("Memory against distance")
    if len({row["distance"] for row in rows}) < 2:
        st.caption("Train these settings at two or more distances (move the Distance slider and press Train) "
                   "to draw accuracy against the distance the model must remember.")
        return
    rows.sort(key=lambda row: row["distance"])
    st.altair_chart(charts.distance_chart(rows, 1 / experiment.task_config.symbols), width="stretch")
