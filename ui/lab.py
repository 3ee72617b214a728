"""Every page's training body: train and stop, live curves, stored results and the look inside.

Training happens in the job runner's threads; this module only submits, polls snapshots from a
fragment (once a second) and draws. Session state holds the job id and nothing heavier. A page
adds its own parts through `PageParts`: how to explain a run, and what to show after it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

import streamlit as st

from core import config, runs, uploads
from core.config import Experiment, model_label, model_names
from core.explain import memory_lines
from core.history import History
from core.jobs import Job, JobRefused
from ui import charts, ghosts, inspect_view, lab_seeds, plain, share
from core.tasks.base import DataError, TaskData
from ui.services import job_runner, run_store, session_liveness, session_owner, task_data

REFRESH_SECONDS = 1.0


@dataclass(frozen=True)
class PageParts:
    """What differs between pages around the shared train-and-watch body."""

    position_label: str = "steps back from the end"
    explain: Callable[[Experiment, list[History]], list[str]] | None = None
    # Drawn under a finished (or stopped) run's results, e.g. "type a review".
    after_results: Callable[[Experiment, runs.StoredRun], None] | None = None
    # Drawn at the end of the page whatever the state, e.g. memory against distance.
    footer: Callable[[Experiment], None] | None = None
    # Checked before Train: a message when the experiment cannot train yet (e.g. no file uploaded).
    blocker: Callable[[Experiment], str | None] | None = None
    inspect_caption: str = ""
    # Dashed reference lines on the charts of further scores, e.g. {"chrF": copying the source}.
    baselines: Callable[[Experiment], dict[str, float]] | None = None
    # Earlier runs drawn faded on the step charts (set by render from the session's ghosts and pins).
    ghosts: tuple[ghosts.Ghost, ...] = ()


def upload_blocker(what: str) -> Callable[[Experiment], str | None]:
    """A PageParts.blocker for pages whose data source can be an upload that has not happened yet."""
    def blocker(experiment: Experiment) -> str | None:
        if experiment.task_config.source == "upload" and not experiment.task_config.upload:
            return f"Upload {what} above, then press **Train**."
        return None

    return blocker


def data_or_error(experiment: Experiment, upload_box: Callable[[Experiment], None] | None = None) -> TaskData | None:
    """The experiment's data, after the upload box when the source is an upload; None, with the
    reason shown on the page, while there is no file or the data cannot be built."""
    if upload_box is not None and experiment.task_config.source == "upload":
        upload_box(experiment)
        if not experiment.task_config.upload:
            return None
    try:
        return task_data(experiment)
    except DataError as error:
        plain.message(error, icon=":material/error:")
        return None


def confirm_upload(notices: list[str], summary: str, label: str, key: str, content: Callable[[], bytes],
                   format: str) -> None:
    """What the importer said of a read file, and a button that keeps it and puts its key in the URL."""
    plain.notes([*notices, summary])
    if st.button(label, key=key, icon=":material/check:"):
        try:
            st.query_params["upload"] = uploads.save(content(), format)
        except DataError as error:
            plain.message(error, icon=":material/error:")
            return
        st.rerun()


def _job_key(experiment: Experiment) -> str:
    return f"{experiment.task}_job"


def render(experiment: Experiment, parts: PageParts | None = None) -> None:
    parts = parts or PageParts()
    share.share_box(experiment)
    job = _current_job(experiment)
    running = job is not None and not job.done
    blocked = parts.blocker(experiment) if parts.blocker else None
    stored = None if running else run_store().find(experiment)
    left, right, _ = st.columns([1, 1, 4])
    if left.button("Train", type="primary", disabled=running or bool(blocked),
                   icon=":material/play_arrow:", key="train", help=train_note(stored)):
        try:
            job = job_runner().submit(experiment, is_alive=session_liveness(), owner=session_owner())
        except JobRefused as refusal:
            plain.warning("{reason}", reason=str(refusal), icon=":material/block:")
        else:
            st.session_state[_job_key(experiment)] = job.id
            # Rerun so the whole page, Train button included, redraws in its training state.
            st.rerun()
    if blocked:
        st.info(blocked, icon=":material/upload_file:")
    elif train_note(stored):
        st.caption(train_note(stored))
    shown = job if running else stored
    if shown is not None:
        params = config.to_params(job.experiment) if running else stored.params
        parts = dataclasses.replace(parts, ghosts=ghosts.render(experiment.task, shown.run_id, params, not running))
    if running:
        _live(job.id, right, parts, parts.baselines(experiment) if parts.baselines else {})
        return
    if job is not None and job.status == "failed" and job.run_id == runs.run_id(experiment):
        plain.error("Training could not start: {message}", message=job.message, icon=":material/error:")
    if job is not None and job.run_id != runs.run_id(experiment):
        st.info("Your last run used other settings; its results stay in the run store. "
                "Press **Train** to run the settings shown in the sidebar.", icon=":material/history:")
    if stored is None:
        if not blocked:
            st.info("Not trained yet. Press **Train** to train the selected cells side by side; the curves grow "
                    "live and you can keep using the page.", icon=":material/model_training:")
    else:
        _stored_results(experiment, stored, parts)
        lab_seeds.render(stored)
    if parts.footer:
        parts.footer(experiment)


def train_note(stored: runs.StoredRun | None) -> str | None:
    """What pressing Train will do to a stored run: a finished one is already trained, a stopped one
    restarts from step 0 (said beside the button and in its help, so nothing retrains silently)."""
    if stored is not None and stored.status == "finished":
        return "These settings are already trained and shown below; training again gives the same curves."
    if stored is not None and stored.status == "stopped":
        return "A stopped run does not resume: training starts again from step 0."
    return None


def progress_text(done: int, total: int, models: int, elapsed: float) -> str:
    """Steps per model, since the job counts every model's steps together."""
    models = max(models, 1)
    each, done_each = total // models, done // models
    noun = "model" if models == 1 else "models"
    return f"Training {models} {noun}: {done_each} of {each} steps each, {elapsed:.1f} s"


def _current_job(experiment: Experiment) -> Job | None:
    job_id = st.session_state.get(_job_key(experiment))
    return job_runner().job(job_id) if job_id else None


def _live(job_id: str, stop_column, parts: PageParts, baselines: dict[str, float]) -> None:
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
            st.progress(min(fraction, 1.0), text=progress_text(snapshot.steps_done, snapshot.steps_total,
                                                               len(snapshot.histories), snapshot.elapsed))
        histories = list(snapshot.histories.values())
        if histories and any(h.steps for h in histories):
            curves(histories, parts, baselines=baselines)
        if job.done:
            st.rerun(scope="app")

    poll()


def curves(histories: list[History], parts: PageParts, probe_step: int | None = None,
           baselines: dict[str, float] | None = None) -> None:
    classes = max((len(h.class_names) for h in histories), default=0)
    chance = 1 / classes if classes else None
    left, right = st.columns(2)
    left.altair_chart(ghosts.over(charts.loss_chart(histories), parts.ghosts, charts.loss_frame), width="stretch")
    right.altair_chart(ghosts.over(charts.metric_chart(histories, chance), parts.ghosts, charts.metric_frame),
                       width="stretch")
    score_names = list(dict.fromkeys(name for h in histories for name in h.scores))
    if score_names:
        columns = st.columns(2)
        for index, name in enumerate(score_names):
            chart = charts.score_chart(histories, name, (baselines or {}).get(name))
            columns[index % 2].altair_chart(
                ghosts.over(chart, parts.ghosts, lambda shown, name=name: charts.score_frame(shown, name)),
                width="stretch")
    if any(h.group_metric for h in histories):
        st.altair_chart(charts.group_chart(histories))
    left, right = st.columns(2)
    left.altair_chart(charts.gradient_chart(histories, probe_step, parts.position_label), width="stretch")
    right.altair_chart(ghosts.over(charts.ratio_chart(histories), parts.ghosts, charts.ratio_frame), width="stretch")
    st.altair_chart(charts.layer_norm_chart(histories))


def _stored_results(experiment: Experiment, stored: runs.StoredRun, parts: PageParts) -> None:
    histories = [stored.histories[name] for name in model_names(experiment) if name in stored.histories]
    _status_line(stored, histories)
    probe_steps = sorted({step for h in histories for step in h.probe_steps})
    probe_step = None
    if len(probe_steps) > 1:
        probe_step = st.select_slider("Gradient-through-time probe at step", options=probe_steps,
                                      value=probe_steps[-1], key="probe_step",
                                      help="Slide back to see how the gradient reaching early steps changed "
                                           "over training.")
    curves(histories, parts, probe_step, parts.baselines(experiment) if parts.baselines else {})
    if parts.explain:
        st.subheader("What this run shows")
        for line in parts.explain(experiment, plain.histories(histories)):
            st.markdown(line)
    if parts.after_results:
        parts.after_results(experiment, stored)
    inspect_view.render(experiment, stored, parts.inspect_caption)


def _status_line(stored: runs.StoredRun, histories: list[History]) -> None:
    for history in histories:
        name = model_label(history.cell)
        if history.status == "diverged":
            plain.error("{name}: {message} The curves up to that point are kept below.", name=name,
                        message=history.message, icon=":material/warning:")
        elif history.status == "stopped":
            plain.warning("{name} stopped after {steps} steps: {message} Training again starts from step 0 "
                          "(a stopped run does not resume).",
                          name=name, steps=len(history.steps), message=history.message, icon=":material/stop_circle:")
    if stored.status == "finished":
        st.success(f"Loaded finished run `{stored.run_id}` from the run store: no retraining needed.",
                   icon=":material/check_circle:")


def distance_view(experiment: Experiment) -> None:
    """Accuracy against distance, gathered from finished stored runs that differ only in distance."""
    spec = config.parameter_fields(experiment.task)["distance"][1].metadata
    variants = {}
    for distance in range(int(spec["low"]), int(spec["high"]) + 1):
        task_config = dataclasses.replace(experiment.task_config, distance=distance)
        variants[runs.run_id(dataclasses.replace(experiment, task_config=task_config))] = distance
    found = run_store().summaries(list(variants))
    rows = [{"distance": variants[identifier], "model": model_label(cell), "accuracy": accuracy}
            for identifier, summary in found.items() if summary.status == "finished"
            for cell, accuracy in summary.final_metrics.items() if accuracy is not None]
    st.subheader("Memory against distance")
    if len({row["distance"] for row in rows}) < 2:
        st.caption("Train these settings at two or more distances (move the Distance slider and press Train) "
                   "to draw accuracy against the distance the model must remember.")
        return
    rows.sort(key=lambda row: row["distance"])
    st.altair_chart(charts.distance_chart(rows, 1 / experiment.task_config.symbols), width="stretch")


MEMORY_PARTS = PageParts(explain=memory_lines, footer=distance_view,
                         inspect_caption="Look for cell-state units that jump at step 1 and then stay flat "
                                         "while the forget gate holds them.")
