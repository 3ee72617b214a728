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
import importlib.util
import logging
import threading
import time
from collections.abc import Callable

import torch

from core.engine.common import SHUTTING_DOWN, Slot, job_weights, outcome, release_free_memory, save_run
from core.engine.continuation import resume_trainers
from core.engine.job import Job, Watch
from core.settings import environment
from core.store.runs import RunStore
from core.tasks.base import DataError
from core.tasks.experiment import Experiment
from core.training import budget
from core.training.trainer import prepare, run_interleaved

logger = logging.getLogger(__name__)

BACKENDS = ("process", "thread", "dask")
# Backends on an existing distributed engine, chosen with RNN_PLAYGROUND_ENGINE (core/engine/dask_engine.py).
ENGINES = ("dask",)
KEEP_FINISHED = 50
# How often the queue's jobs are checked for a closed browser session.
QUEUE_WATCH_SECONDS = 1.0


class JobRefused(RuntimeError):
    """A job this server's budgets do not allow; the message says which budget, for the user."""


def _backend(given: str | None) -> str:
    """The given backend, else RNN_PLAYGROUND_ENGINE, else RNN_PLAYGROUND_BACKEND; a bad setting is logged."""
    if given is not None:
        if given not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {given!r}")
        return given
    engine = environment.read("RNN_PLAYGROUND_ENGINE")
    if engine in ENGINES and importlib.util.find_spec("distributed") is not None:
        return engine
    if engine in ENGINES:
        logger.error("RNN_PLAYGROUND_ENGINE=%s, but Dask is not installed here (pip install -r "
                     "requirements-engine.txt); training in this server instead.", engine)
    return environment.read("RNN_PLAYGROUND_BACKEND")


class JobRunner:
    """A FIFO queue of jobs served by `max_concurrent` workers (processes or threads), started lazily."""

    def __init__(self, store: RunStore | None = None, max_concurrent: int | None = None,
                 max_steps: int | None = None, max_seconds: float | None = None, device=None,
                 backend: str | None = None, worker_setup: tuple[Callable[..., None], tuple] | None = None,
                 max_queue: int | None = None, max_per_session: int | None = None,
                 max_weights: int | None = None, max_memory_mb: float | None = None):
        self.store = store
        self.max_concurrent = environment.given_or_read(max_concurrent, "RNN_PLAYGROUND_MAX_JOBS")
        self.max_steps = environment.given_or_read(max_steps, "RNN_PLAYGROUND_MAX_STEPS")
        self.max_seconds = environment.given_or_read(max_seconds, "RNN_PLAYGROUND_MAX_SECONDS")
        # Budgets for a hosted server, checked here rather than trusted to the page's sliders.
        self.max_queue = environment.given_or_read(max_queue, "RNN_PLAYGROUND_MAX_QUEUE")
        self.max_per_session = environment.given_or_read(max_per_session, "RNN_PLAYGROUND_MAX_JOBS_PER_SESSION")
        self.max_weights = environment.given_or_read(max_weights, "RNN_PLAYGROUND_MAX_WEIGHTS")
        # The memory all jobs may use together, beyond the server's own; each slot gets an equal share.
        self.max_memory_mb = environment.given_or_read(max_memory_mb, "RNN_PLAYGROUND_MEMORY_MB")
        self.device = torch.device(device) if device is not None else None
        self.backend = _backend(backend)
        # Run in each worker process as it starts (process backend); the tests put faults in with it.
        self.worker_setup = worker_setup
        self.shutdown_grace = 5.0
        self.changed = threading.Condition()
        self._queue: collections.deque[Job] = collections.deque()
        self._jobs: dict[str, Job] = {}
        self._ended: collections.deque[Job] = collections.deque()
        self._workers: list[threading.Thread] = []
        self._queue_watch: threading.Thread | None = None
        self._closed = threading.Event()  # set at shutdown, for the queue watch
        self.slots: list[Slot] = []
        self.closing = False

    def submit(self, experiment: Experiment, is_alive: Callable[[], bool] | None = None,
               owner: str | None = None) -> Job:
        """Queue an experiment; JobRefused when a budget forbids it. `owner` names the browser
        session, for the per-session budget."""
        job = Job(self, experiment, is_alive)
        job.owner = owner
        with self.changed:
            if self.closing:
                raise RuntimeError("the job runner has been shut down")
            refusal = self._refusal_locked(experiment, owner)
            if refusal:
                raise JobRefused(refusal)
            self._start_workers()
            self._jobs[job.id] = job
            self._queue.append(job)
            self.changed.notify()
        return job

    @property
    def job_memory_mb(self) -> float | None:
        """The memory one job may use: the memory budget shared by the concurrent jobs."""
        return self.max_memory_mb / self.max_concurrent if self.max_memory_mb is not None else None

    def memory_refusal(self, experiment: Experiment, shape: budget.DataShape | None = None) -> str | None:
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
        with self.changed:
            if not self.closing:
                self._start_workers()

    def job(self, job_id: str) -> Job | None:
        with self.changed:
            return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        """Queued, running and the last few ended jobs, in submission order."""
        with self.changed:
            return list(self._jobs.values())

    def worker_pids(self) -> list[int]:
        """The process ids of the worker processes (process backend), for monitoring and tests."""
        with self.changed:
            return [slot.pid for slot in self.slots if slot.pid is not None]

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop every job and wait up to `timeout` seconds for the workers to exit."""
        with self.changed:
            self.closing = True
            jobs = list(self._jobs.values())
            self.changed.notify_all()
        self._closed.set()
        self.shutdown_grace = timeout
        for job in jobs:
            job.stop(SHUTTING_DOWN)
        deadline = time.monotonic() + timeout
        for worker in self._workers + [slot.thread for slot in self.slots]:
            worker.join(max(0.0, deadline - time.monotonic()))

    def _start_workers(self) -> None:
        if self._queue_watch is None:
            self._queue_watch = threading.Thread(target=self._watch_queue, name="rnn-job-queue-watch", daemon=True)
            self._queue_watch.start()
        if self.backend == "dask":
            from core.engine.dask_engine import start_slots  # only this backend needs Dask installed

            start_slots(self)
            return
        if self.backend == "process":
            from core.engine.workers import ProcessSlot  # the thread backend never needs multiprocessing

            while len(self.slots) < self.max_concurrent:
                slot = ProcessSlot(self, len(self.slots) + 1)
                slot.start()
                self.slots.append(slot)
            return
        while len(self._workers) < self.max_concurrent:
            worker = threading.Thread(target=self._work, name=f"rnn-job-worker-{len(self._workers) + 1}",
                                      daemon=True)
            worker.start()
            self._workers.append(worker)

    def position(self, job: Job) -> int | None:
        with self.changed:
            try:
                return self._queue.index(job) + 1
            except ValueError:
                return None

    def stop_job(self, job: Job, reason: str) -> None:
        # Phases change only under the runner's lock, so this needs the job's lock only when
        # nothing is training: stop() never waits on a step.
        with self.changed:
            if job.done or job._phase == "ending":
                return
            job.stop_reason = job.stop_reason or reason
            if job._slot is not None:
                # The worker stops before its next step; it must hear of a stop while preparing too.
                job._slot.send("stop", job.stop_reason)
            if job._phase == "training":
                return  # the job's should_stop sees the reason before its next step
            # Nothing has been trained yet, so there is nothing to wait for or save.
            if job in self._queue:
                self._queue.remove(job)
            with job._lock:
                job._end_locked("stopped", job.stop_reason)
            self._retire_locked(job)
            job._finished.set()

    def _watch_queue(self) -> None:
        """Drop queued jobs whose browser session has closed: 16 tabs closed while their jobs waited
        once had 13 of them train to the end, ~100 s of both cores for no one. A running job's own
        watch stops it the same way; each job's session is asked at most once a second."""
        # Not a wait on the runner's condition: a submit's notify() would wake this thread instead of a worker.
        while not self._closed.wait(QUEUE_WATCH_SECONDS):
            with self.changed:
                queued = [job for job in self._queue if job.is_alive is not None]
            for job in queued:  # asked outside the lock: is_alive asks the web server
                reason = job.session_closed()
                if reason:
                    logger.info("Dropped queued job %s (run %s): its browser session has closed.", job.id, job.run_id)
                    self.stop_job(job, reason)

    def _retire_locked(self, job: Job) -> None:
        job._trainers = []  # an ended job keeps its histories, not its models and data (bench/class_load.py)
        self._ended.append(job)
        while len(self._ended) > KEEP_FINISHED:
            self._jobs.pop(self._ended.popleft().id, None)

    # --- the process backend's slots call these -----------------------------------------------

    def next_job(self, slot) -> Job | None:
        """The next queued job for a slot (waiting for one), or None when the runner shuts down."""
        with self.changed:
            while not self._queue and not self.closing:
                self.changed.wait()
            if self.closing:
                return None
            job = self._queue.popleft()
            job._slot = slot
            with job._lock:
                job._begin_locked()
            return job

    def session_watch(self, job: Job) -> Callable[[], str | None]:
        # The worker keeps the time budget; the server asks the browser session, at most once a second.
        return Watch(job, None)._session_reason

    def training(self, job: Job, slot) -> None:
        # Answered under the lock that stop() takes, so a stop is either before this (the job has
        # ended, nothing is trained) or after it (the worker stops before its next step).
        with self.changed:
            if job.done:
                slot.send("cancel", job.stop_reason or "")
            else:
                job._phase = "training"
                slot.send("go")

    def finish(self, job: Job, status: str, message: str) -> None:
        with self.changed:
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
            with self.changed:
                while not self._queue and not self.closing:
                    self.changed.wait()
                if self.closing:
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
            job.publish(job._trainers, force=True)
        with self.changed, job._lock:
            if job.done:  # stopped while its data was being built
                return
            job._end_locked(status, message)
        if status != "failed":
            note = save_run(self.store, job.experiment, job._trainers, status, message)
            if note:
                with job._lock:
                    job._message = f"{job._message} {note}".strip()
        with self.changed:
            self._retire_locked(job)
            job._finished.set()
        release_free_memory()

    def _train(self, job: Job) -> tuple[str, str]:
        trainers = resume_trainers(prepare(job.experiment, self.device, self.max_steps), job.experiment, self.store)
        if refused := self.memory_refusal(job.experiment, budget.shape_of(trainers[0].data)):
            raise DataError(refused)
        with self.changed, job._lock:
            if job.done:
                return "stopped", job.stop_reason or ""
            job._trainers, job._phase = trainers, "training"
        job.publish(trainers, force=True)
        watch = Watch(job, self.max_seconds)
        run_interleaved(trainers, on_step=lambda _: job.publish(trainers), should_stop=watch,
                        interrupt=watch.interrupt)
        result = outcome(job.experiment, trainers, job.stop_reason, self.max_steps)
        job.publish(trainers, force=True)
        return result
