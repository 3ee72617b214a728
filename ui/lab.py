"""Every page's training body: train and stop, live curves, stored results and the look inside.

Training happens in the job runner (worker processes by default); this module only submits, polls snapshots from a
fragment (once a second) and draws. Session state holds the job id and nothing heavier. A page
adds its own parts through `PageParts`: how to explain a run, and what to show after it.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from core.data import uploads
from core.data.history import History
from core.engine.job import Job
from core.engine.jobs import JobRefused
from core.store import runs
from core.tasks import experiment as config
from core.tasks.base import DataError, TaskData
from core.tasks.experiment import Experiment, model_names
from core.tasks.registry import task
from ui import charts, figures, form, ghosts, guided, inspect_view, lab_seeds, plain, run_report, share, upload_memory
from ui.class_student import submit as submit_tagged
from ui.lab_status import state_message, train_note
from ui.model_download import download_button
from ui.services import job_runner, run_store, task_data
from ui.train_more import job_key, train_more_box

REFRESH_SECONDS = 1.0
# Small charts per row on a desktop (Streamlit stacks columns on a phone).
GROUP_PANELS_PER_ROW = 4
LAYER_PANELS_PER_ROW = 3


@dataclass(frozen=True)
class PageParts:
    """What differs between pages around the shared train-and-watch body."""

    position_label: str = "steps back from the end"
    # How to explain a run; None: the lesson's own explanation (its task record's `explain`).
    explain: Callable[[Experiment, list[History]], list[str]] | None = None
    # Drawn between the settings and the training body, e.g. the data source and the upload box.
    data_panel: Callable[[Experiment], object] | None = None
    # Drawn under a finished (or stopped) run's results, e.g. "type a review".
    after_results: Callable[[Experiment, runs.StoredRun], None] | None = None
    # Drawn under the live curves at each redraw while a job trains, from its snapshot's histories
    # (e.g. the language models' latest samples); never by running a model in the page.
    live: Callable[[Experiment, list[History]], None] | None = None
    # Drawn at the end of the page whatever the state, e.g. memory against distance.
    footer: Callable[[Experiment], None] | None = None
    # Checked before Train: a message when the experiment cannot train yet (e.g. no file uploaded).
    blocker: Callable[[Experiment], str | None] | None = None
    # What to look for in the gate heatmaps; a function when it depends on the data source.
    inspect_caption: str | Callable[[Experiment], str] = ""
    # Dashed reference lines on the charts of further scores, e.g. {"chrF": copying the source}.
    baselines: Callable[[Experiment], dict[str, float]] | None = None
    # Earlier runs drawn faded on the step charts (set by render from the session's ghosts and pins).
    ghosts: tuple[ghosts.Ghost, ...] = ()


def upload_blocker(what: str, uploader_key: str | None = None) -> Callable[[Experiment], str | None]:
    """A PageParts.blocker for pages whose data panel builds the data and whose source can be an
    upload: a message while no file is kept; "" (blocked, nothing more to say) while the upload box
    holds a file it refused or waits for its confirmation, or while the data cannot be built, since
    the box or the data panel above already says why (one message for one problem)."""
    def blocker(experiment: Experiment) -> str | None:
        if experiment.task_config.source == "upload" and not experiment.task_config.upload:
            if uploader_key and st.session_state.get(uploader_key) is not None:
                return ""
            return f"Upload {what} above, then press **Train**."
        try:
            task_data(experiment)
        except DataError:
            return ""
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


# The keys of the files this session kept, for its share of the server's upload quota.
KEPT_KEY = "kept_uploads"


def confirm_upload(notices: list[str], summary: str, label: str, key: str, content: Callable[[], bytes],
                   format: str, uploaded: Any = None, settings: dict[str, str] | None = None) -> None:
    """What the importer said of a read file, and a button that keeps it and puts its key in the URL
    (with `settings` that suit the file, applied on the next run); then the uploaded bytes are let go
    of (the kept copy is what the run reads)."""
    plain.notes([*notices, summary])
    if st.button(label, key=key, icon=":material/check:"):
        kept = st.session_state.setdefault(KEPT_KEY, [])
        try:
            saved = uploads.save(content(), format, held=kept)
        except DataError as error:
            plain.message(error, icon=":material/error:")
            return
        kept.append(saved)
        st.query_params["upload"] = saved
        # The file's own settings, under those the address already holds (set by the visitor or a link).
        st.session_state[form.PENDING_KEY] = {k: v for k, v in (settings or {}).items() if k not in st.query_params}
        upload_memory.release(uploaded)
        st.rerun()


def file_box(experiment: Experiment, *, what: str, prompt: str, label: str, types: list[str], key: str,
             read: Callable[[bytes], tuple[list[str], str]], confirm: tuple[str, str], format: str,
             note: str = "", settings: Callable[[bytes], dict[str, str]] | None = None) -> None:
    """A lesson's upload box: the format in words, the uploader, what reading the file found (its
    notices and a one-line summary, from `read`) and a button that keeps it; a refused file's reason
    under its own name. `what` names the kept file ("the pairs") while no new file is chosen;
    `confirm` is the keep button's label and key."""
    st.markdown(prompt)
    if note:
        st.caption(note)
    uploaded = st.file_uploader(label, type=types, key=key)
    if uploaded is None:
        if experiment.task_config.upload:
            plain.caption("Training on {what} kept under key {key}.", what=what, key=experiment.task_config.upload)
        return
    content = uploaded.getvalue()
    try:
        notices, summary = read(content)
    except DataError as error:
        plain.error("{name}: {error}", name=uploaded.name, error=error, icon=":material/error:")
        return
    confirm_upload(notices, summary, *confirm, lambda: content, format, uploaded,
                   settings(content) if settings else None)


def render(experiment: Experiment, parts: PageParts | None = None) -> None:
    parts = parts or PageParts()
    share.share_box(experiment)
    job = _current_job(experiment)
    running = job is not None and not job.done
    blocked = parts.blocker(experiment) if parts.blocker else None
    stored = None if running else run_store().find(experiment)
    left, right, _ = st.columns([1, 1, 4])
    refused = None
    if left.button("Train", type="primary", disabled=running or blocked is not None,
                   icon=":material/play_arrow:", key="train", help=train_note(stored)):
        try:
            job = submit_tagged(experiment)  # job_runner().submit, tagged with a class's student if any
        except JobRefused as refusal:
            refused = str(refusal)
        else:
            st.session_state[job_key(experiment)] = job.id
            # Rerun so the whole page, Train button included, redraws in its training state.
            st.rerun()
    if blocked is None and train_note(stored):
        st.caption(train_note(stored))
    shown = job if running else stored
    if shown is not None:
        params = config.to_params(job.experiment) if running else stored.params
        parts = dataclasses.replace(parts, ghosts=ghosts.render(experiment.task, shown.run_id, params, not running))
    if running:
        _live(job.id, right, parts, parts.baselines(experiment) if parts.baselines else {})
        return
    failed = job is not None and job.status == "failed" and job.run_id == runs.run_id(experiment)
    trained_here = job is not None and stored is not None and job.run_id == stored.run_id
    state_message(experiment, stored, blocked, refused, job.message if failed else None,
                  other_settings=job is not None and job.run_id != runs.run_id(experiment), trained_here=trained_here)
    if stored is not None:
        _stored_results(experiment, stored, parts)
        lab_seeds.render(stored)
    if parts.footer:
        parts.footer(experiment)


def progress_text(done: int, total: int, models: int, elapsed: float) -> str:
    """Steps per model, since the job counts every model's steps together."""
    models = max(models, 1)
    each, done_each = total // models, done // models
    noun = "model" if models == 1 else "models"
    return f"Training {models} {noun}: {done_each} of {each} steps each, {elapsed:.1f} s"


def _current_job(experiment: Experiment) -> Job | None:
    job_id = st.session_state.get(job_key(experiment))
    return job_runner().job(job_id) if job_id else None


def _live(job_id: str, stop_column, parts: PageParts, baselines: dict[str, float]) -> None:
    # The Stop button lives outside the fragments so it is visible at once and works mid-redraw.
    if stop_column.button("Stop", icon=":material/stop:"):
        job = job_runner().job(job_id)
        if job is not None:
            job.stop()
    job = job_runner().job(job_id)
    if job is None:
        st.warning("This training job is no longer known to the server (it may have restarted).")
        return
    if job.status == "queued":
        _queued(job_id)
        return
    _progress(job_id)
    _live_curves(job_id, parts, baselines)


# Each rerun of a fragment costs the server a script run; a queued job's only news is its place in
# line, so it is asked far less often than a training one, whose bar moves every second. The charts
# redraw less often than the bar: building an Altair chart costs about 0.1 s of the server's time
# (mostly schema validation), which a training job sharing the process would otherwise lose.
QUEUED_SECONDS = 3.0
CHART_SECONDS = 2.0


@st.fragment(run_every=QUEUED_SECONDS)
def _queued(job_id: str) -> None:
    job = job_runner().job(job_id)
    progress = job.progress() if job is not None else None
    if progress is None or progress.status != "queued":
        st.rerun(scope="app")  # started (or gone): the page redraws in its training state
    known = [other for other in job_runner().jobs() if other.id != job_id]
    others = [other for other in known if other.progress().status == "running"]
    if progress.position == 1 and not others:
        # Nothing else trains, so the slot itself is getting ready: with the process backend, the
        # first Train after a server start waits for its training processes (a few seconds); any
        # other time it is the moment between one job's end and the next one's start.
        first = job_runner().backend == "process" and not known
        st.info("Starting: this server's training processes are still starting up, which only the first "
                "Train after the server starts waits for. Training begins in a few seconds." if first else
                "Starting: your run is next and begins in a moment.", icon=":material/hourglass_top:")
        return
    st.info(f"Queued: position **{progress.position}** in line, behind {len(others)} training now. Training "
            "starts when a slot frees up (this server trains a limited number of jobs at once).",
            icon=":material/hourglass_top:")


@st.fragment(run_every=REFRESH_SECONDS)
def _progress(job_id: str) -> None:
    job = job_runner().job(job_id)
    if job is None or job.done:
        st.rerun(scope="app")  # the finished run is drawn from the store by the whole page
    progress = job.progress()
    if progress.preparing:
        noun = "model" if progress.models == 1 else "models"
        st.progress(0.0, text=f"Building the data and {progress.models} {noun}, {progress.elapsed:.1f} s")
        return
    fraction = progress.steps_done / max(progress.steps_total, 1)
    st.progress(min(fraction, 1.0), text=progress_text(progress.steps_done, progress.steps_total,
                                                       progress.models, progress.elapsed))


@st.fragment(run_every=CHART_SECONDS)
def _live_curves(job_id: str, parts: PageParts, baselines: dict[str, float]) -> None:
    job = job_runner().job(job_id)
    if job is None:
        return
    histories = list(job.snapshot().histories.values())
    if histories and any(h.steps for h in histories):
        curves(histories, parts, baselines=baselines)
        if parts.live:
            parts.live(job.experiment, histories)


def curves(histories: list[History], parts: PageParts, probe_step: int | None = None,
           baselines: dict[str, float] | None = None) -> None:
    classes = max((len(h.class_names) for h in histories), default=0)
    chance = 1 / classes if classes else None
    left, right = st.columns(2)
    figures.show(ghosts.over(charts.loss_chart(histories), parts.ghosts, charts.loss_frame), left)
    figures.show(ghosts.over(charts.metric_chart(histories, chance), parts.ghosts, charts.metric_frame), right)
    score_names = list(dict.fromkeys(name for h in histories for name in h.scores))
    if score_names:
        columns = st.columns(2)
        for index, name in enumerate(score_names):
            chart = charts.score_chart(histories, name, (baselines or {}).get(name))
            figures.show(ghosts.over(chart, parts.ghosts, lambda shown, name=name: charts.score_frame(shown, name)),
                         columns[index % 2])
    if any(h.group_metric for h in histories):
        st.markdown(f"**Validation {charts.metric_name(histories)} by kind of example** (colours are the models, as "
                    "on the charts above)")
        figures.panels(charts.group_panels(histories), GROUP_PANELS_PER_ROW)
    left, right = st.columns(2)
    figures.show(charts.gradient_chart(histories, probe_step, parts.position_label), left)
    figures.show(ghosts.over(charts.ratio_chart(histories), parts.ghosts, charts.ratio_frame), right)
    figures.panels(charts.layer_norm_panels(histories), LAYER_PANELS_PER_ROW)


def _stored_results(experiment: Experiment, stored: runs.StoredRun, parts: PageParts) -> None:
    histories = [stored.histories[name] for name in model_names(experiment) if name in stored.histories]
    probe_steps = sorted({step for h in histories for step in h.probe_steps})
    probe_step = None
    if len(probe_steps) > 1:
        probe_step = st.select_slider("Gradient-through-time probe at step", options=probe_steps,
                                      value=probe_steps[-1], key="probe_step",
                                      help="Slide back to see how the gradient reaching early steps changed "
                                           "over training.")
    baselines = parts.baselines(experiment) if parts.baselines else {}
    curves(histories, parts, probe_step, baselines)
    explain = parts.explain or task(experiment.task).explain
    if explain:
        st.subheader("What this run shows")
        for line in explain(experiment, plain.histories(histories)):
            st.markdown(line)
    run_report.report_button(experiment, stored, explain, baselines, parts.position_label)
    download_button(experiment, stored)
    train_more_box(experiment, stored)
    if parts.after_results:
        parts.after_results(experiment, stored)
    caption = parts.inspect_caption
    inspect_view.render(experiment, stored, caption(experiment) if callable(caption) else caption)


def parts_of(name: str) -> PageParts:
    """A lesson's own views: the PARTS of the ui module its task record names, or the lab's defaults."""
    views = task(name).page.views
    if views is None:
        return PageParts()
    parts = importlib.import_module(views).PARTS
    if not isinstance(parts, PageParts):
        raise TypeError(f"{views}.PARTS is a {type(parts).__name__}, not a ui.lab.PageParts")
    return parts


def lesson(name: str) -> None:
    """A lesson page's body: a guided lesson's step if the link opens one, its settings (those the step
    locks disabled), its data panel, then training and results with its views."""
    opened = guided.opening(name)
    notices = opened.messages if opened else guided.pending_notices()
    experiment = form.lab_controls(name, opened.locked if opened else frozenset(), guided.lock_note(opened), notices)
    parts = parts_of(name)
    if opened is None:
        guided.entry(name)
    else:
        parts = guided.panel(opened, experiment, parts)
    if parts.data_panel is not None:
        parts.data_panel(experiment)
    render(experiment, parts)
