"""Training out of the server process: a warm pool of worker processes, one job each at a time.

Each slot of the job runner owns one worker process, kept for job after job. Workers are forked
from multiprocessing's fork server, a small single-threaded process that imports torch and trains
a tiny warm-up run once (core/engine/worker_preload.py): forking the server itself, which runs torch's and
the web server's threads, would be unsafe, and spawning a fresh interpreter per worker made each
one import torch again (about 140 MB of private memory) and re-import the server's main module,
Streamlit included. Forked from the fork server, a worker shares those pages with it and its
siblings, so an extra worker costs little more than what its training allocates. The slot's thread in the server
sends the worker a job over a pipe and then only reads: the worker trains, checks the pipe for a
stop between steps, and sends its histories back at most `PROGRESS_SECONDS` apart, so the page's
poll never waits on a training step. The worker saves the run itself (write, then commit, in one
SQLite transaction, as the thread runner does): the weights never cross the pipe, and a worker
killed mid-save leaves the store as it was. A worker that dies (a crash, `kill -9`, the kernel's
out-of-memory killer) ends its job `failed` with a message; the slot starts a fresh worker and
serves the next job, and the server itself never notices more than a closed pipe.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import pickle
import queue
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from core.engine.jobs import Job, JobRunner

logger = logging.getLogger(__name__)

CONTEXT = multiprocessing.get_context("forkserver")
# Only this module, not the server's main module: Streamlit and the pages stay out of the workers.
CONTEXT.set_forkserver_preload(["core.engine.worker_preload"])
# Progress reaches the server once a second at most: the progress bar redraws once a second and the
# charts every two, and every message costs the server some unpickling under its GIL.
PROGRESS_SECONDS = 1.0
# How often a slot's thread wakes while waiting on its worker, to ask the browser session whether
# it is still open and to notice a worker that died without closing its pipe.
WAKE_SECONDS = 0.2
WORKER_DIED = ("The training process ended unexpectedly ({cause}), so this run was lost. The server "
               "is fine and has started a fresh training process: press Train to try again{hint}.")


def _death_cause(exitcode: int | None) -> tuple[str, str]:
    if exitcode is not None and exitcode < 0:
        if exitcode == -9:
            return "it was killed, which is what the system does when it runs out of memory", \
                ", perhaps with a smaller model, batch or distance"
        return f"it was stopped by signal {-exitcode}", ""
    return f"exit code {exitcode}", ""


# --- the worker process ---------------------------------------------------------------------------

def worker_main(connection, store_path: str | None, device: str | None,
                setup: tuple[Callable[..., None], tuple] | None) -> None:
    """The body of one worker process: wait for a job, train it, report, repeat until told to quit."""
    from core.store.runs import RunStore

    prepare_process()  # done once in the fork server already, unless it could not preload
    if setup is not None:  # a hook the tests use to put faults into the worker
        function, arguments = setup
        function(*arguments)
    store = RunStore(store_path) if store_path else None
    connection.send(("ready",))
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return  # the server has gone
        if message[0] == "quit":
            return
        _, experiment, max_steps, max_seconds, memory_mb = message
        if not _train_one(connection, store, experiment, device, max_steps, max_seconds, memory_mb):
            return


# A few steps of a tiny experiment, trained once as the worker starts: the first forward and
# backward pass of a process pays for PyTorch's lazy set-up, which a user's job should not.
WARM_UP = {"distance": "4", "hidden_size": "4", "batch_size": "4", "steps": "2", "eval_every": "1",
           "probe_every": "1"}


@functools.cache
def prepare_process() -> None:
    """Configure torch and warm it up, once per process (a forked worker inherits it as done)."""
    from core.training.trainer import configure_torch

    configure_torch()
    warm_up()


def warm_up() -> None:
    """Train the tiny warm-up experiment once, so the process's first job starts at full speed."""
    from core.tasks.experiment import from_params
    from core.training.trainer import train_all

    try:
        train_all(from_params(WARM_UP)[0], device=None)
    except Exception:  # a failed warm-up only costs the first job its speed
        logger.warning("The worker's warm-up run failed.", exc_info=True)


class RemoteWatch:
    """The `should_stop` of a job trained away from the server: the server's stop requests, the
    time budget, and progress sent back at most `PROGRESS_SECONDS` apart.

    The channel to the server is the subclass's: a pipe here, the cluster's queue and variable in
    core/engine/dask_engine.py. Its `read_messages` sets `reason` (and `server_gone`), `wait_for_go`
    waits for the server's answer to "training", and `send` delivers one message.
    """

    def __init__(self, max_seconds: float | None):
        self.max_seconds = max_seconds
        self.started = time.monotonic()
        self.reason: str | None = None
        self.server_gone = False
        self.trainers: list = []
        self.last_sent, self.steps_sent = float("-inf"), 0

    def read_messages(self) -> None:
        raise NotImplementedError

    def wait_for_go(self) -> bool:
        raise NotImplementedError

    def send(self, *message: Any) -> None:
        raise NotImplementedError

    def __call__(self) -> str | None:
        self.read_messages()
        # The budget counts data building too, but a job always gets its first step, so a budget
        # spent building data on a busy machine still ends with curves to show, not an empty run.
        trained = any(trainer.history.steps for trainer in self.trainers)
        if self.reason is None and self.max_seconds is not None and trained \
                and time.monotonic() - self.started > self.max_seconds:
            self.reason = f"Stopped at this server's time budget of {self.max_seconds:g} s."
        self.publish()
        return self.reason

    def interrupt(self) -> str | None:
        """The time budget, asked within a step (so cheap); only once the job has a step to show."""
        if self.reason is None and self.max_seconds is not None \
                and time.monotonic() - self.started > self.max_seconds \
                and any(trainer.history.steps for trainer in self.trainers):
            self.reason = f"Stopped at this server's time budget of {self.max_seconds:g} s."
        return self.reason

    def publish(self, force: bool = False) -> None:
        steps = sum(len(trainer.history.steps) for trainer in self.trainers)
        now = time.monotonic()
        if self.server_gone or (not force and (steps == self.steps_sent or now - self.last_sent < PROGRESS_SECONDS)):
            return
        self.last_sent, self.steps_sent = now, steps
        self.send("progress", [trainer.history for trainer in self.trainers])


class _PipeWatch(RemoteWatch):
    """A worker process's watch: messages from the server come over its pipe."""

    def __init__(self, connection, max_seconds: float | None):
        super().__init__(max_seconds)
        self.connection = connection
        # Messages are pickled here and written by a sender thread: a write blocks until the server
        # has read it, and the server reads when its GIL is free of page redraws, which cost the
        # training a fifth of its speed when the step waited on them (bench/live_speed.py).
        self.outbox: queue.Queue[bytes | None] = queue.Queue()
        self.sender = threading.Thread(target=self._write, name="rnn-progress-sender", daemon=True)
        self.sender.start()

    def _write(self) -> None:
        while (data := self.outbox.get()) is not None:
            try:
                self.connection.send_bytes(data)
            except (BrokenPipeError, OSError):
                self.server_gone = True

    def close(self) -> None:
        """Wait until every message has been written (or the server has gone)."""
        self.outbox.put(None)
        self.sender.join()

    def read_messages(self) -> None:
        from core.engine.jobs import SHUTTING_DOWN

        try:
            while self.connection.poll():
                kind, *rest = self.connection.recv()
                if kind == "stop":
                    self.reason = self.reason or rest[0]
                elif kind == "quit":
                    self.reason = self.reason or SHUTTING_DOWN
        except (EOFError, OSError):
            self.server_gone = True
            self.reason = self.reason or SHUTTING_DOWN

    def wait_for_go(self) -> bool:
        """After "training", wait for the server's answer: "go", or "cancel" if it already ended the job.

        The server decides under its own lock whether the job is still preparing (a stop then ends
        it at once, with nothing trained) or training (a stop then waits for the step in hand), so
        the two sides never disagree on whether a step was taken.
        """
        from core.engine.jobs import SHUTTING_DOWN

        while True:
            try:
                kind, *rest = self.connection.recv()
            except (EOFError, OSError):
                self.server_gone = True
                self.reason = self.reason or SHUTTING_DOWN
                return False
            if kind == "go":
                return True
            if kind == "cancel":
                self.reason = self.reason or rest[0]
                return False
            if kind == "stop":
                self.reason = self.reason or rest[0]
            elif kind == "quit":
                self.reason = self.reason or SHUTTING_DOWN

    def send(self, *message: Any) -> None:
        # A server that is behind needs only the latest progress, which carries all of the earlier.
        if self.server_gone or (message[0] == "progress" and self.outbox.qsize() > 1):
            return
        self.outbox.put(pickle.dumps(message))  # what Connection.send would write


def train_watched(watch: RemoteWatch, experiment, device, max_steps, memory_mb=None) -> tuple[str, str]:
    """Build a job's data, check it against the memory budget, tell the server it trains, train
    until done or stopped; its status and message. The trainers are left on `watch.trainers` for
    the caller to save or send back."""
    from core.training import budget
    from core.engine import jobs
    from core.tasks.base import DataError
    from core.training.trainer import prepare, run_interleaved

    try:
        trainers = prepare(experiment, device, max_steps=max_steps)
        refused = memory_mb and budget.refusal(experiment, budget.shape_of(trainers[0].data), memory_mb, max_steps)
        if refused:
            raise DataError(refused)
        watch.trainers = trainers
        watch.send("training")
        if watch.wait_for_go():
            run_interleaved(watch.trainers, should_stop=watch, interrupt=watch.interrupt)
        else:
            for trainer in watch.trainers:
                trainer.stop(watch.reason)
        return jobs.outcome(experiment, watch.trainers, watch.reason, max_steps)
    except DataError as error:
        return "failed", str(error)
    except Exception as error:
        logger.exception("A job of run %s failed in its worker.", jobs.run_id(experiment))
        message = f"Training failed: {error}"
        for trainer in watch.trainers:
            if not trainer.done:
                trainer.history.status, trainer.history.message = "failed", message
        return "failed", message


def _train_one(connection, store, experiment, device, max_steps, max_seconds, memory_mb) -> bool:
    """Train one job, save it and report its end; False when the server has gone and the worker should exit."""
    from core.engine import jobs

    watch = _PipeWatch(connection, max_seconds)
    status, message = train_watched(watch, experiment, device, max_steps, memory_mb)
    note = jobs.save_run(store, experiment, watch.trainers, status, message) if status != "failed" else ""
    watch.send("end", status, message, note, [trainer.history for trainer in watch.trainers])
    watch.close()
    return not watch.server_gone


# --- the server side of one slot ------------------------------------------------------------------

class ProcessSlot:
    """One worker process and the server thread that feeds it jobs from the runner's queue."""

    def __init__(self, runner: "JobRunner", number: int):
        self.runner, self.number = runner, number
        self.send_lock = threading.Lock()  # the slot's thread and stop() both send on the pipe
        self.process: multiprocessing.process.BaseProcess | None = None
        self.connection = None
        self.job: "Job | None" = None
        self.thread = threading.Thread(target=self._serve, name=f"rnn-job-slot-{number}", daemon=True)

    def start(self) -> None:
        self._start_worker()
        self.thread.start()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def _start_worker(self) -> None:
        runner = self.runner
        parent, child = CONTEXT.Pipe()
        store_path = str(runner.store.path) if runner.store is not None else None
        device = str(runner.device) if runner.device is not None else None
        self.process = CONTEXT.Process(target=worker_main, args=(child, store_path, device, runner.worker_setup),
                                       name=f"rnn-job-worker-{self.number}", daemon=True)
        self.process.start()
        child.close()  # only the worker holds this end, so its death closes the pipe for us
        self.connection, self.ready = parent, False

    def send(self, *message: Any) -> bool:
        with self.send_lock:
            try:
                self.connection.send(message)
                return True
            except (BrokenPipeError, OSError):
                return False  # the worker is gone; the slot's thread notices and reports it

    def _serve(self) -> None:
        runner = self.runner
        while True:
            if not self._await_ready():
                break
            job = runner._next_job(self)
            if job is None:
                break
            self._run(job)
        self.send("quit")
        self.process.join(runner.shutdown_grace)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(1.0)

    def _await_ready(self) -> bool:
        """Wait until the worker has imported torch and warmed up, so a job never waits on a
        starting worker (it stays queued, with its position shown); False once the runner closes."""
        while not self.runner._closing:
            if self.ready:
                return True
            try:
                if self.connection.poll(WAKE_SECONDS):
                    self.ready = self.connection.recv()[0] == "ready"
                    continue
            except (EOFError, OSError):
                pass
            else:
                if self.process.is_alive():
                    continue
            logger.error("A worker process died while starting (exit code %s); starting another.",
                         self.process.exitcode)
            self.connection.close()
            self._start_worker()
        return False

    def _run(self, job: "Job") -> None:
        runner = self.runner
        self.send("job", job.experiment, runner.max_steps, runner.max_seconds, runner.job_memory_mb)
        watch = runner._session_watch(job)
        while True:
            try:
                ready = self.connection.poll(WAKE_SECONDS)
                message = self.connection.recv() if ready else None
            except (EOFError, OSError):
                message = None
                ready = True
            if message is None:
                if ready or not self.process.is_alive():
                    self._worker_died(job)
                    return
                reason = watch() if job._stop_reason is None else None
                if reason:
                    runner._stop(job, reason)
                continue
            kind, *rest = message
            if kind == "progress":
                job._receive(rest[0])
            elif kind == "training":
                runner._training(job, self)
            elif kind == "end":
                status, text, note, histories = rest
                # The worker logged the details to its own output; the server's log says what happened.
                if status == "failed":
                    logger.error("Job %s (run %s) failed: %s", job.id, job.run_id, text)
                if note:
                    logger.warning("Could not save run %s of job %s: %s", job.run_id, job.id, note)
                    text = f"{text} {note}".strip()
                job._receive(histories)
                runner._finish(job, status, text)
                return

    def _worker_died(self, job: "Job") -> None:
        self.process.join(1.0)
        cause, hint = _death_cause(self.process.exitcode)
        logger.error("The worker process of job %s (run %s) died: %s.", job.id, job.run_id, cause)
        self.connection.close()
        message = WORKER_DIED.format(cause=cause, hint=hint)
        job._fail_histories(message)
        self.runner._finish(job, "failed", message)
        if not self.runner._closing:
            self._start_worker()
