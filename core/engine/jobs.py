"""Background training jobs: a FIFO queue, a fixed pool of workers, stop and budgets.

A page submits an experiment and gets a `Job` back at once; a worker builds its data and trains
every cell interleaved while the page polls `Job.snapshot()`. A job ends finished, stopped (by the
user, a server budget or a closed browser session), diverged or failed, and all but failed jobs
are saved to the run store. Nothing here touches the UI or imports the web framework.

Three backends serve the same interface (RNN_PLAYGROUND_BACKEND). "process", the default, trains in
worker processes forked from a warm fork server (core/engine/workers.py): training neither shares the
server's GIL with page redraws (live training measured 1.00x to 1.09x the CLI's steps per second
against 0.88x to 0.93x on threads, bench/live_speed.py) nor can take the server down with it. "thread" trains in the
server's own threads and publishes a copy of the histories after a step, at most `PUBLISH_SECONDS`
apart, which snapshots read (a snapshot neither waits on a step nor sees half of one); it needs no
second torch in memory, which the smallest hosted tiers may want (see the README).
"dask" (RNN_PLAYGROUND_ENGINE=dask) trains on the workers of a Dask cluster (core/engine/dask_engine.py).
"""

from __future__ import annotations

import collections
import dataclasses
import importlib.util
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import torch

from core.training import budget
from core.tasks.experiment import Experiment, model_names
from core.nn.cells import model_label
from core.data.history import History
from core.store.runs import RunStore, run_id
from core.tasks.base import DataError
from core.training.trainer import Trainer, prepare, run_interleaved

logger = logging.getLogger(__name__)

BACKENDS = ("process", "thread", "dask")
# Backends on an existing distributed engine, chosen with RNN_PLAYGROUND_ENGINE (core/engine/dask_engine.py).
ENGINES = ("dask",)
KEEP_FINISHED = 50
ALIVE_CHECK_SECONDS = 1.0
# The thread backend publishes progress this often at most: the page redraws about once a second.
PUBLISH_SECONDS = 0.25
SESSION_CLOSED = "Stopped because the browser session that started it has closed."
SHUTTING_DOWN = "Stopped because the server is shutting down."


def _setting(given: Any, name: str, kind: type, default: Any) -> Any:
    """An explicit argument (which must be positive), else the environment variable `name` if it
    holds a positive number, else the default; a bad environment value is logged, never fatal."""
    if given is not None:
        if not given > 0:
            raise ValueError(f"{name.removeprefix('RNN_PLAYGROUND_').lower()} must be positive, not {given!r}")
        return given
    raw = os.environ.get(name, "").strip()
    try:
        value = kind(raw) if raw else default
        if raw and not value > 0:
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        logger.warning("Ignoring %s=%r: it must be a positive %s.", name, raw, kind.__name__)
        return default
    return value


def _copy_containers(value: Any) -> Any:
    """A deep copy of nested lists and dicts of numbers; far faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {key: _copy_containers(item) for key, item in value.items()}
    if isinstance(value, list):
        if value and isinstance(value[0], (list, dict)):
            return [_copy_containers(item) for item in value]
        return list(value)
    return value


def _copy_history(history: History) -> History:
    return History(**{f.name: _copy_containers(getattr(history, f.name))
                      for f in dataclasses.fields(History)})


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

    def __init__(self, runner: "JobRunner", experiment: Experiment, is_alive: Callable[[], bool] | None):
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
        self._stop_reason: str | None = None
        self._trainers: list[Trainer] = []  # thread backend: the live trainers, read only by their thread
        self._histories: list[History] = []  # the latest published (thread) or received (process) copies
        self._published = float("-inf")
        self._slot = None  # process backend: the slot whose worker trains this job
        self._started: float | None = None
        self._ended: float | None = None

    @property
    def status(self) -> str:
        return self._status

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
        self._runner._stop(self, reason)

    def queue_position(self) -> int | None:
        return self._runner._position(self)

    def snapshot(self) -> JobSnapshot:
        position = self.queue_position()
        with self._lock:
            live = self._histories
            status, message = self._status, self._message
            elapsed = (self._ended or time.monotonic()) - self._started if self._started else 0.0
        # Published histories are replaced whole, never changed, so they are copied outside the
        # lock: a page polling in a loop must not keep the trainer from publishing.
        histories = {h.cell: _copy_history(h) for h in live}
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

    def _receive(self, histories: list[History]) -> None:
        """Take a worker's latest histories; they replace the last ones whole, so no copy mixes two."""
        with self._lock:
            self._histories = histories

    def _publish(self, trainers: list[Trainer], force: bool = False) -> None:
        """Thread backend: copy the trainers' histories for snapshots, at most every PUBLISH_SECONDS.

        Called between steps by the one thread that steps them, so the copy (taken outside the
        lock, which a snapshot therefore never waits on for long) sees no half step.
        """
        now = time.monotonic()
        if force or now - self._published >= PUBLISH_SECONDS:
            self._published = now
            self._receive([_copy_history(trainer.history) for trainer in trainers])

    def _fail_histories(self, message: str) -> None:
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


class _Watch:
    """The `should_stop` of one job: its stop reason, the time budget and the browser session."""

    def __init__(self, job: Job, max_seconds: float | None):
        self.job, self.max_seconds = job, max_seconds
        # The budget counts from when a worker took the job, so data building counts too.
        self.started = job._started or time.monotonic()
        self.last_alive_check = time.monotonic()

    def __call__(self) -> str | None:
        job = self.job
        if job._stop_reason is None:
            self._note(self._budget_reason() or self._session_reason())
        return job._stop_reason

    def interrupt(self) -> str | None:
        """The time budget, asked within a step, so it must be cheap. A user's stop is not: it
        waits for the step in hand, so a stopped run keeps the step it was taking."""
        reason = self._budget_reason()
        self._note(reason)
        return self.job._stop_reason if reason else None

    def _note(self, reason: str | None) -> None:
        if reason:
            with self.job._runner._changed:
                self.job._stop_reason = self.job._stop_reason or reason

    def _budget_reason(self) -> str | None:
        # As in a worker (core/engine/workers.py): a job always gets its first step, so a budget spent
        # building data on a busy machine still ends with curves to show.
        if self.max_seconds is not None and time.monotonic() - self.started > self.max_seconds \
                and any(trainer.history.steps for trainer in self.job._trainers):
            return f"Stopped at this server's time budget of {self.max_seconds:g} s."
        return None

    def _session_reason(self) -> str | None:
        now = time.monotonic()
        # is_alive may be slow (it asks the web server), so it is asked at most once a second.
        if self.job.is_alive is None or now - self.last_alive_check < ALIVE_CHECK_SECONDS:
            return None
        self.last_alive_check = now
        try:
            alive = self.job.is_alive()
        except Exception:  # a broken check must not kill a run the user may still be watching
            logger.warning("is_alive of job %s raised; treating the session as alive.", self.job.id,
                           exc_info=True)
            return None
        return None if alive else SESSION_CLOSED


class JobRefused(RuntimeError):
    """A job this server's budgets do not allow; the message says which budget, for the user."""


def job_weights(experiment: Experiment) -> int:
    """A job's size for the weight budget: models x layers x hidden_size squared.

    Memory and time per step grow with it (times batch and sequence length, which have budgets of
    their own through the step and time limits); the largest link today is 7 x 3 x 256^2 = 1.4 M.
    """
    model = experiment.model
    return len(model_names(experiment)) * model.num_layers * model.hidden_size ** 2


def _backend(given: str | None) -> str:
    """The given backend, else RNN_PLAYGROUND_ENGINE, else RNN_PLAYGROUND_BACKEND, else "process";
    a bad setting is logged."""
    if given is not None:
        if given not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {given!r}")
        return given
    engine = os.environ.get("RNN_PLAYGROUND_ENGINE", "").strip().lower()
    if engine in ENGINES and importlib.util.find_spec("distributed") is not None:
        return engine
    if engine in ENGINES:
        logger.error("RNN_PLAYGROUND_ENGINE=%s, but Dask is not installed here (pip install -r "
                     "requirements-engine.txt); training in this server instead.", engine)
    elif engine:
        logger.warning("Ignoring RNN_PLAYGROUND_ENGINE=%r: it must be one of %s.", engine, ", ".join(ENGINES))
    raw = os.environ.get("RNN_PLAYGROUND_BACKEND", "").strip().lower()
    if raw and raw not in BACKENDS:
        logger.warning("Ignoring RNN_PLAYGROUND_BACKEND=%r: it must be one of %s.", raw, ", ".join(BACKENDS))
        return "process"
    return raw or "process"


def outcome(experiment: Experiment, trainers: list[Trainer], stop_reason: str | None,
            max_steps: int | None) -> tuple[str, str]:
    """The status and message of a job whose trainers have stopped stepping."""
    histories = [trainer.history for trainer in trainers]
    if any(h.status == "stopped" for h in histories):
        return "stopped", stop_reason or ""
    diverged = [h for h in histories if h.status == "diverged"]
    if diverged:
        return "diverged", " ".join(f"{model_label(h.cell)}: {h.message}" for h in diverged)
    if experiment.train.steps > min(t.total_steps for t in trainers):
        # A run cut short by the server must not be stored as the experiment's finished run.
        message = f"Stopped at this server's step budget of {max_steps} steps."
        for history in histories:
            history.status, history.message = "stopped", message
        return "stopped", message
    return "finished", ""


def save_run(store: RunStore | None, experiment: Experiment, trainers: list[Trainer], status: str,
             message: str) -> str:
    """Save a job's run (one transaction: all of it or nothing); a note for the user if that failed."""
    return save_results(store, experiment, {t.cell: t.history for t in trainers},
                        {t.cell: t.model.state_dict() for t in trainers}, status, message)  # the store copies to CPU


def save_results(store: RunStore | None, experiment: Experiment, histories: dict[str, History],
                 weights: dict[str, dict[str, torch.Tensor]], status: str, message: str) -> str:
    """`save_run` for histories and weights that came back from elsewhere (an engine's worker)."""
    if store is None or not any(h.steps for h in histories.values()):
        return ""
    identifier = run_id(experiment)
    try:
        if status != "finished" and store.find(experiment, finished_only=True):
            logger.info("Run %s is already stored finished; its %s rerun is not saved over it.", identifier, status)
            return ""
        store.save(experiment, histories, weights=weights, status=status, message=message)
    except Exception as error:
        logger.warning("Could not save run %s.", identifier, exc_info=True)
        return f"The run could not be saved: {error}"
    return ""


class JobRunner:
    """A FIFO queue of jobs served by `max_concurrent` workers (processes or threads), started lazily."""

    def __init__(self, store: RunStore | None = None, max_concurrent: int | None = None,
                 max_steps: int | None = None, max_seconds: float | None = None, device=None,
                 backend: str | None = None, worker_setup: tuple[Callable[..., None], tuple] | None = None,
                 max_queue: int | None = None, max_per_session: int | None = None,
                 max_weights: int | None = None, max_memory_mb: float | None = None):
        self.store = store
        self.max_concurrent = _setting(max_concurrent, "RNN_PLAYGROUND_MAX_JOBS", int, os.cpu_count() or 1)
        self.max_steps = _setting(max_steps, "RNN_PLAYGROUND_MAX_STEPS", int, None)
        self.max_seconds = _setting(max_seconds, "RNN_PLAYGROUND_MAX_SECONDS", float, None)
        # Budgets for a hosted server, checked here rather than trusted to the page's sliders.
        self.max_queue = _setting(max_queue, "RNN_PLAYGROUND_MAX_QUEUE", int, None)
        self.max_per_session = _setting(max_per_session, "RNN_PLAYGROUND_MAX_JOBS_PER_SESSION", int, None)
        self.max_weights = _setting(max_weights, "RNN_PLAYGROUND_MAX_WEIGHTS", int, None)
        # The memory all jobs may use together, beyond the server's own; each slot gets an equal share.
        self.max_memory_mb = _setting(max_memory_mb, "RNN_PLAYGROUND_MEMORY_MB", float, None)
        self.device = torch.device(device) if device is not None else None
        self.backend = _backend(backend)
        # Run in each worker process as it starts (process backend); the tests put faults in with it.
        self.worker_setup = worker_setup
        self.shutdown_grace = 5.0
        self._changed = threading.Condition()
        self._queue: collections.deque[Job] = collections.deque()
        self._jobs: dict[str, Job] = {}
        self._ended: collections.deque[Job] = collections.deque()
        self._workers: list[threading.Thread] = []
        self._slots: list = []
        self._closing = False

    def submit(self, experiment: Experiment, is_alive: Callable[[], bool] | None = None,
               owner: str | None = None) -> Job:
        """Queue an experiment; JobRefused when a budget forbids it. `owner` names the browser
        session, for the per-session budget."""
        job = Job(self, experiment, is_alive)
        job.owner = owner
        with self._changed:
            if self._closing:
                raise RuntimeError("the job runner has been shut down")
            refusal = self._refusal_locked(experiment, owner)
            if refusal:
                raise JobRefused(refusal)
            self._start_workers()
            self._jobs[job.id] = job
            self._queue.append(job)
            self._changed.notify()
        return job

    @property
    def job_memory_mb(self) -> float | None:
        """The memory one job may use: the memory budget shared by the concurrent jobs."""
        return self.max_memory_mb / self.max_concurrent if self.max_memory_mb is not None else None

    def memory_refusal(self, experiment: Experiment, shape: "budget.DataShape | None" = None) -> str | None:
        """Why a job does not fit its memory share (None if it does, or if its data's shape is
        unknown until built; the trainer asks again with the built data's shape)."""
        shape = shape or budget.expected_shape(experiment)
        if self.job_memory_mb is None or shape is None:
            return None
        return budget.refusal(experiment, shape, self.job_memory_mb, self.max_steps)

    def _refusal_locked(self, experiment: Experiment, owner: str | None) -> str | None:
        memory = self.memory_refusal(experiment)
        if memory:
            return memory
        weights = job_weights(experiment)
        if self.max_weights is not None and weights > self.max_weights:
            return (f"This server trains models of at most {self.max_weights:,} recurrent weights per job "
                    f"(models x layers x hidden size squared); these settings need {weights:,}. Choose fewer "
                    "cells or layers, or a smaller hidden size.")
        if self.max_queue is not None and len(self._queue) >= self.max_queue:
            return (f"This server's queue is full ({self.max_queue} jobs are waiting). Try again in a minute, "
                    "or open a stored run meanwhile.")
        if self.max_per_session is not None and owner is not None:
            mine = sum(1 for job in self._jobs.values() if job.owner == owner and not job.done)
            if mine >= self.max_per_session:
                return (f"This server trains at most {self.max_per_session} job(s) at a time per browser "
                        "session; stop or wait for yours first.")
        return None

    def start(self) -> None:
        """Start the workers now rather than at the first submit: a server calls this as it comes up,
        so the first Train does not wait (queued) while worker processes import torch."""
        with self._changed:
            if not self._closing:
                self._start_workers()

    def job(self, job_id: str) -> Job | None:
        with self._changed:
            return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        """Queued, running and the last few ended jobs, in submission order."""
        with self._changed:
            return list(self._jobs.values())

    def worker_pids(self) -> list[int]:
        """The process ids of the worker processes (process backend), for monitoring and tests."""
        with self._changed:
            return [slot.pid for slot in self._slots if slot.pid is not None]

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop every job and wait up to `timeout` seconds for the workers to exit."""
        with self._changed:
            self._closing = True
            jobs = list(self._jobs.values())
            self._changed.notify_all()
        self.shutdown_grace = timeout
        for job in jobs:
            job.stop(SHUTTING_DOWN)
        deadline = time.monotonic() + timeout
        for worker in self._workers + [slot.thread for slot in self._slots]:
            worker.join(max(0.0, deadline - time.monotonic()))

    def _start_workers(self) -> None:
        if self.backend == "dask":
            from core.engine.dask_engine import start_slots  # only this backend needs Dask installed

            start_slots(self)
            return
        if self.backend == "process":
            from core.engine.workers import ProcessSlot  # the thread backend never needs multiprocessing

            while len(self._slots) < self.max_concurrent:
                slot = ProcessSlot(self, len(self._slots) + 1)
                slot.start()
                self._slots.append(slot)
            return
        while len(self._workers) < self.max_concurrent:
            worker = threading.Thread(target=self._work, name=f"rnn-job-worker-{len(self._workers) + 1}",
                                      daemon=True)
            worker.start()
            self._workers.append(worker)

    def _position(self, job: Job) -> int | None:
        with self._changed:
            try:
                return self._queue.index(job) + 1
            except ValueError:
                return None

    def _stop(self, job: Job, reason: str) -> None:
        # Phases change only under the runner's lock, so this needs the job's lock only when
        # nothing is training: stop() never waits on a step.
        with self._changed:
            if job.done or job._phase == "ending":
                return
            job._stop_reason = job._stop_reason or reason
            if job._slot is not None:
                # The worker stops before its next step; it must hear of a stop while preparing too.
                job._slot.send("stop", job._stop_reason)
            if job._phase == "training":
                return  # the job's should_stop sees the reason before its next step
            # Nothing has been trained yet, so there is nothing to wait for or save.
            if job in self._queue:
                self._queue.remove(job)
            with job._lock:
                job._end_locked("stopped", job._stop_reason)
            self._retire_locked(job)
            job._finished.set()

    def _retire_locked(self, job: Job) -> None:
        self._ended.append(job)
        while len(self._ended) > KEEP_FINISHED:
            self._jobs.pop(self._ended.popleft().id, None)

    # --- the process backend's slots call these -----------------------------------------------

    def _next_job(self, slot) -> Job | None:
        """The next queued job for a slot (waiting for one), or None when the runner shuts down."""
        with self._changed:
            while not self._queue and not self._closing:
                self._changed.wait()
            if self._closing:
                return None
            job = self._queue.popleft()
            job._slot = slot
            with job._lock:
                job._begin_locked()
            return job

    def _session_watch(self, job: Job) -> Callable[[], str | None]:
        # The worker keeps the time budget; the server asks the browser session, at most once a second.
        return _Watch(job, None)._session_reason

    def _training(self, job: Job, slot) -> None:
        # Answered under the lock that stop() takes, so a stop is either before this (the job has
        # ended, nothing is trained) or after it (the worker stops before its next step).
        with self._changed:
            if job.done:
                slot.send("cancel", job._stop_reason or "")
            else:
                job._phase = "training"
                slot.send("go")

    def _finish(self, job: Job, status: str, message: str) -> None:
        with self._changed:
            job._slot = None
            if job.done:  # stopped while its data was being built
                return
            with job._lock:
                job._end_locked(status, message)
            self._retire_locked(job)
            job._finished.set()

    # --- the thread backend -------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._changed:
                while not self._queue and not self._closing:
                    self._changed.wait()
                if self._closing:
                    return
                job = self._queue.popleft()
                with job._lock:
                    job._begin_locked()
            self._run(job)

    def _run(self, job: Job) -> None:
        try:
            status, message = self._train(job)
        except DataError as error:
            # The user's data, not the code, is at fault: a message for the page, no traceback.
            status, message = "failed", str(error)
        except Exception as error:
            logger.exception("Job %s (run %s) failed.", job.id, job.run_id)
            status, message = "failed", f"Training failed: {error}"
            for trainer in job._trainers:
                if not trainer.done:
                    trainer.history.status, trainer.history.message = "failed", message
            job._publish(job._trainers, force=True)
        with self._changed, job._lock:
            if job.done:  # stopped while its data was being built
                return
            job._end_locked(status, message)
        if status != "failed":
            note = save_run(self.store, job.experiment, job._trainers, status, message)
            if note:
                with job._lock:
                    job._message = f"{job._message} {note}".strip()
        with self._changed:
            self._retire_locked(job)
            job._finished.set()

    def _train(self, job: Job) -> tuple[str, str]:
        trainers = prepare(job.experiment, self.device, max_steps=self.max_steps)
        refused = self.memory_refusal(job.experiment, budget.shape_of(trainers[0].data))
        if refused:
            raise DataError(refused)
        with self._changed, job._lock:
            if job.done:
                return "stopped", job._stop_reason or ""
            job._trainers, job._phase = trainers, "training"
        job._publish(trainers, force=True)
        watch = _Watch(job, self.max_seconds)
        run_interleaved(trainers, on_step=lambda _: job._publish(trainers), should_stop=watch,
                        interrupt=watch.interrupt)
        result = outcome(job.experiment, trainers, job._stop_reason, self.max_steps)
        job._publish(trainers, force=True)
        return result
