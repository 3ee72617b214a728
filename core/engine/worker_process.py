"""The worker process's side of the process backend: its main loop, the warm-up, and the watch that
reads the server's stop requests between steps and sends progress back.

Also run inside Dask workers (core/engine/dask_task.py), whose watch reads a Dask queue instead.
"""

from __future__ import annotations

import functools
import logging
import pickle
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

# Progress reaches the server once a second at most: the progress bar redraws once a second and the
# charts every two, and every message costs the server some unpickling under its GIL.
PROGRESS_SECONDS = 1.0


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
        from core.engine.common import SHUTTING_DOWN

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
        from core.engine.common import SHUTTING_DOWN

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


def train_watched(watch: RemoteWatch, experiment, device, max_steps, memory_mb=None, store=None) -> tuple[str, str]:
    """Build a job's data, check it against the memory budget, tell the server it trains, train
    until done or stopped; its status and message. The trainers are left on `watch.trainers` for
    the caller to save or send back. A continued run reads its parent's state from `store`."""
    from core.engine import common
    from core.engine.continuation import prepare_run
    from core.store.runs import run_id
    from core.tasks.base import DataError
    from core.training import budget
    from core.training.trainer import run_interleaved

    try:
        trainers = prepare_run(experiment, device, max_steps, store)
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
        return common.outcome(experiment, watch.trainers, watch.reason, max_steps)
    except DataError as error:
        return "failed", str(error)
    except Exception as error:
        logger.exception("A job of run %s failed in its worker.", run_id(experiment))
        message = f"Training failed: {error}"
        for trainer in watch.trainers:
            if not trainer.done:
                trainer.history.status, trainer.history.message = "failed", message
        return "failed", message


def _train_one(connection, store, experiment, device, max_steps, max_seconds, memory_mb) -> bool:
    """Train one job, save it and report its end; False when the server has gone and the worker should exit."""
    from core.engine import common

    watch = _PipeWatch(connection, max_seconds)
    status, message = train_watched(watch, experiment, device, max_steps, memory_mb, store)
    note = common.save_run(store, experiment, watch.trainers, status, message) if status != "failed" else ""
    watch.send("end", status, message, note, [trainer.history for trainer in watch.trainers])
    watch.close()
    watch.trainers = []  # freed before the trim below can hand their memory back
    common.release_free_memory()
    return not watch.server_gone
