"""One training job as the page sees it: its state, its snapshots and the watch that stops it.

A `Job` is made by the runner (core/engine/jobs.py) and read from any thread; its backend slot
hands it histories through `receive` and ends it through the runner's `finish`. `Runner` is the
runner as a job and a backend's slot see it, so neither imports the runner's module: the engine's
modules import one way only, jobs -> backends -> job -> common.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import torch

from core.data.history import History
from core.engine.common import SESSION_CLOSED, Slot, copy_history
from core.store.runs import RunStore, run_id
from core.tasks.experiment import Experiment, model_names
from core.training.trainer import Trainer

logger = logging.getLogger(__name__)

ALIVE_CHECK_SECONDS = 1.0
# The thread backend publishes progress this often at most: the page redraws about once a second.
PUBLISH_SECONDS = 0.25


class Runner(Protocol):
    """The job runner (core/engine/jobs.py's JobRunner) as its jobs and backend slots use it: the
    budgets a worker applies, the queue a slot takes jobs from and the calls that move a job on."""

    store: RunStore | None
    device: torch.device | None
    worker_setup: tuple[Callable[..., None], tuple] | None  # run in each worker process as it starts
    max_concurrent: int
    max_steps: int | None
    max_seconds: float | None
    shutdown_grace: float
    closing: bool
    slots: list[Slot]
    changed: threading.Condition  # held while a job's phase or stop reason changes

    @property
    def job_memory_mb(self) -> float | None: ...

    def position(self, job: Job) -> int | None: ...

    def stop_job(self, job: Job, reason: str) -> None: ...

    def next_job(self, slot: Any) -> Job | None: ...

    def session_watch(self, job: Job) -> Callable[[], str | None]: ...

    def training(self, job: Job, slot: Any) -> None: ...

    def finish(self, job: Job, status: str, message: str) -> None: ...


@dataclass(frozen=True)
class JobSnapshot:
    """A consistent, private view of a job for one redraw of the page."""

    job_id: str
    run_id: str
    status: str
    message: str
    position: int | None
    histories: dict[str, History]  # empty until the job's data is built
    steps_done: int
    steps_total: int
    elapsed: float


@dataclass(frozen=True)
class JobProgress:
    """The few numbers of a job's progress bar and queue notice."""

    status: str
    position: int | None
    models: int
    preparing: bool  # True while the job's data and models are being built
    steps_done: int
    steps_total: int
    elapsed: float


class Job:
    """One submitted experiment, from the queue to its end; safe to read from any thread."""

    def __init__(self, runner: Runner, experiment: Experiment, is_alive: Callable[[], bool] | None):
        self.id = uuid.uuid4().hex[:12]
        self.run_id = run_id(experiment)
        self.experiment = experiment
        self.is_alive = is_alive
        self.owner: str | None = None  # the browser session that submitted it, if known
        self.steps_total = len(model_names(experiment)) * min(
            experiment.train.steps, runner.max_steps or experiment.train.steps)
        self._runner = runner
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self._status, self._message = "queued", ""
        self._phase = "queued"  # queued -> preparing -> training -> ending
        self.stop_reason: str | None = None
        self._trainers: list[Trainer] = []  # thread backend: the live trainers, read only by their thread
        self._histories: list[History] = []  # the latest published (thread) or received (process) copies
        self._published = float("-inf")
        self._slot = None  # process backend: the slot whose worker trains this job
        self._started: float | None = None
        self._ended: float | None = None
        # When `is_alive` was last asked, by the runner's queue watch or the training's Watch.
        self._alive_checked = time.monotonic()

    @property
    def status(self) -> str:
        return self._status

    @property
    def phase(self) -> str:
        """queued, preparing, training or ending: how far a worker has taken the job."""
        return self._phase

    @property
    def message(self) -> str:
        return self._message

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """True once the job has ended (and, unless it failed, been saved)."""
        return self._finished.wait(timeout)

    def stop(self, reason: str = "Stopped by you.") -> None:
        """Ask the job to stop: a queued or preparing job ends at once, a training one within a step."""
        self._runner.stop_job(self, reason)

    def session_closed(self) -> str | None:
        """SESSION_CLOSED once the browser session that submitted the job has gone, else None.

        `is_alive` may be slow (it asks the web server), so it is asked at most once a second,
        whether the job is queued or training.
        """
        now = time.monotonic()
        if self.is_alive is None or now - self._alive_checked < ALIVE_CHECK_SECONDS:
            return None
        self._alive_checked = now
        try:
            alive = self.is_alive()
        except Exception:  # a broken check must not kill a run the user may still be watching
            logger.warning("is_alive of job %s raised; treating the session as alive.", self.id, exc_info=True)
            return None
        return None if alive else SESSION_CLOSED

    def queue_position(self) -> int | None:
        return self._runner.position(self)

    def snapshot(self) -> JobSnapshot:
        position = self.queue_position()
        with self._lock:
            live = self._histories
            status, message = self._status, self._message
            elapsed = (self._ended or time.monotonic()) - self._started if self._started else 0.0
        # Published histories are replaced whole, never changed, so they are copied outside the
        # lock: a page polling in a loop must not keep the trainer from publishing.
        histories = {h.cell: copy_history(h) for h in live}
        return JobSnapshot(
            job_id=self.id, run_id=self.run_id, status=status, message=message, position=position,
            histories=histories, steps_done=sum(len(h.steps) for h in histories.values()),
            steps_total=self.steps_total, elapsed=elapsed,
        )

    def progress(self) -> JobProgress:
        """Status and step counts without copying any history: what a progress bar needs, cheaply."""
        position = self.queue_position()
        # Read without the job's lock, which the thread backend holds through each step: lengths of
        # lists and plain attributes read whole under the GIL, so the counts are at most a step old
        # and the bar keeps moving during a long step.
        live = [t.history for t in self._trainers] if self._trainers else self._histories
        started, ended = self._started, self._ended
        elapsed = (ended or time.monotonic()) - started if started else 0.0
        return JobProgress(status=self._status, position=position, models=len(model_names(self.experiment)),
                           preparing=not live, steps_done=sum(len(h.steps) for h in live),
                           steps_total=self.steps_total, elapsed=elapsed)

    def receive(self, histories: list[History]) -> None:
        """Take a worker's latest histories; they replace the last ones whole, so no copy mixes two."""
        with self._lock:
            self._histories = histories

    def publish(self, trainers: list[Trainer], force: bool = False) -> None:
        """Thread backend: copy the trainers' histories for snapshots, at most every PUBLISH_SECONDS.

        Called between steps by the one thread that steps them, so the copy (taken outside the
        lock, which a snapshot therefore never waits on for long) sees no half step.
        """
        now = time.monotonic()
        if force or now - self._published >= PUBLISH_SECONDS:
            self._published = now
            self.receive([copy_history(trainer.history) for trainer in trainers])

    def stop_running(self, message: str) -> None:
        """Mark the histories still running as stopped (a backend whose worker did not answer a stop)."""
        with self._lock:
            for history in self._histories:
                if history.status == "running":
                    history.status, history.message = "stopped", message

    def fail_histories(self, message: str) -> None:
        with self._lock:
            self._histories = [dataclasses.replace(history, status="failed", message=message)
                               if history.status == "running" else history for history in self._histories]

    # The methods below are called with self._lock held.
    def _begin_locked(self) -> None:
        self._phase, self._status, self._started = "preparing", "running", time.monotonic()

    def _end_locked(self, status: str, message: str) -> None:
        self._phase, self._status, self._message = "ending", status, message
        if self._ended is None:
            self._ended = time.monotonic()
        if self._started is None:
            self._started = self._ended


class Watch:
    """The `should_stop` of one job: its stop reason, the time budget and the browser session."""

    def __init__(self, job: Job, max_seconds: float | None):
        self.job, self.max_seconds = job, max_seconds
        # The budget counts from when a worker took the job, so data building counts too.
        self.started = job._started or time.monotonic()

    def __call__(self) -> str | None:
        job = self.job
        if job.stop_reason is None:
            self._note(self._budget_reason() or self._session_reason())
        return job.stop_reason

    def interrupt(self) -> str | None:
        """The time budget, asked within a step, so it must be cheap. A user's stop is not: it
        waits for the step in hand, so a stopped run keeps the step it was taking."""
        reason = self._budget_reason()
        self._note(reason)
        return self.job.stop_reason if reason else None

    def _note(self, reason: str | None) -> None:
        if reason:
            with self.job._runner.changed:
                self.job.stop_reason = self.job.stop_reason or reason

    def _budget_reason(self) -> str | None:
        # As in a worker (core/engine/workers.py): a job always gets its first step, so a budget spent
        # building data on a busy machine still ends with curves to show.
        if self.max_seconds is not None and time.monotonic() - self.started > self.max_seconds \
                and any(trainer.history.steps for trainer in self.job._trainers):
            return f"Stopped at this server's time budget of {self.max_seconds:g} s."
        return None

    def _session_reason(self) -> str | None:
        return self.job.session_closed()
