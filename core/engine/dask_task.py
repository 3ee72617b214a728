"""The Dask backend's side on a worker: the task that trains one job, and the channel it shares
with its slot in the server (core/engine/dask_engine.py).

The task trains with the process backend's watch and training body (core/engine/workers.py): progress
goes back on the job's Dask queue at most `PROGRESS_SECONDS` apart, "go" and "stop" come through
Dask events (a listener thread waits on the stop, so checking it between steps costs nothing), and
the task returns its histories and weights, which the server saves. A plugin warms each worker as
it starts, so no job pays torch's import.
"""

from __future__ import annotations

import os
import pickle
import threading
from typing import Any

from distributed import Client, Event, Queue, Variable, WorkerPlugin, get_client, get_worker

from core.data.history import History
from core.engine.worker_process import RemoteWatch, train_watched, warm_up

# How long one wait of a task's listener, or of its wait for "go", lasts before it looks again
# whether the task has ended or been stopped (each wait is one request to the scheduler).
LISTEN_SECONDS = 1.0
GO_WAIT_SECONDS = 0.2
WARM_UP = "rnn-playground-warm-up"
WARM_UP_SECONDS = 60.0
ABANDONED = "Stopped because the server no longer follows this job."


class WarmUp(WorkerPlugin):
    """Imports torch and trains the warm-up run on each worker as it starts, in the background,
    so no job pays torch's import (a worker restarted after a crash is warmed too)."""

    idempotent = True

    def setup(self, worker) -> None:
        self.finished = threading.Event()
        threading.Thread(target=self._run, name="rnn-playground-warm-up", daemon=True).start()

    def _run(self) -> None:
        try:
            warm_up()
        finally:
            self.finished.set()


def _await_warm_up() -> None:
    """A task that lands on a worker still warming up waits for it: the two would share the core,
    and the warm-up's steps must not run into a test's patched step."""
    plugin = get_worker().plugins.get(WARM_UP)
    if isinstance(plugin, WarmUp) and hasattr(plugin, "finished"):
        plugin.finished.wait(WARM_UP_SECONDS)



# --- the channel between a slot and its task --------------------------------------------------------

class Channel:
    """The cluster objects one job's slot and task talk through, named after the job: a queue
    for progress (task to server) and two events and a variable for "go" and "stop" (server to
    task). Events are waited on, not polled, so a stop costs the training loop nothing."""

    def __init__(self, name: str, client: Client):
        self.progress = Queue(f"{name}-progress", client=client)
        self.go = Event(f"{name}-go", client=client)
        self.stop = Event(f"{name}-stop", client=client)
        self.reason = Variable(f"{name}-reason", client=client)

    def push_stop(self, reason: str) -> None:
        self.reason.set(reason)  # before the event, so whoever sees the event finds the reason
        self.stop.set()

    def remove(self) -> None:
        """Drop the events and variable from the scheduler (the task does, once it has ended)."""
        for cleanup in (self.go.clear, self.stop.clear, self.reason.delete):
            quietly(cleanup)


def quietly(action) -> None:
    try:
        action()
    except Exception:  # nothing to clean up, or the cluster has gone with it
        pass


# --- the training task, on a worker ------------------------------------------------------------------

class _EngineWatch(RemoteWatch):
    """A task's watch: progress goes on the job's queue; a listener thread waits for its stop."""

    def __init__(self, channel: Channel, max_seconds: float | None):
        super().__init__(max_seconds)
        self.channel = channel
        self.stopped = threading.Event()  # the server's stop has arrived (its reason in server_reason)
        self.ended = threading.Event()
        self.server_reason: str | None = None
        threading.Thread(target=self._listen, name="rnn-playground-stop-listener", daemon=True).start()

    def _listen(self) -> None:
        try:
            while not self.ended.is_set():
                if self.channel.stop.wait(timeout=LISTEN_SECONDS):
                    self.server_reason = self.channel.reason.get(timeout=LISTEN_SECONDS) or ABANDONED
                    self.stopped.set()
                    return
        except Exception:  # the cluster has gone: stop rather than train for no one
            self.server_reason, self.server_gone = ABANDONED, True
            self.stopped.set()

    def read_messages(self) -> None:
        if self.stopped.is_set():
            self.reason = self.reason or self.server_reason

    def wait_for_go(self) -> bool:
        # A stop without "go" means the server ended the job while its data was built (see
        # JobRunner.training), so the two sides agree that no step was taken.
        while not self.stopped.is_set():
            try:
                if self.channel.go.wait(timeout=GO_WAIT_SECONDS):
                    return True
            except Exception:
                self.server_gone = True
                break
        self.reason = self.reason or self.server_reason or ABANDONED
        return False

    def send(self, *message: Any) -> None:
        if self.server_gone:
            return
        kind, *rest = message
        if kind == "progress":
            # The queue carries msgpack data, which would come back with tuples for lists; pickle
            # keeps the histories exact, and trusts the workers no more than Dask's results do.
            rest = [pickle.dumps(rest[0], protocol=pickle.HIGHEST_PROTOCOL)]
        try:
            self.channel.progress.put([kind, *rest], timeout=10)
        except Exception:
            self.server_gone = True
            self.reason = self.reason or ABANDONED

    def close(self) -> None:
        self.ended.set()
        quietly(self.channel.progress.close)
        self.channel.remove()


def train_task(experiment, channel: str, device: str | None, max_steps: int | None, max_seconds: float | None,
               setup: tuple | None, memory_mb: float | None = None,
               parent=None) -> tuple[str, str, list[History], dict[str, dict], dict[str, dict]]:
    """The task a slot submits: train one job and return its status, message, histories, weights and
    optimizer states. A continued run's parent comes along (core/engine/continuation.ParentCopy)."""
    from core.training.resume import training_state

    _await_warm_up()
    # The tests' fault hook; workers outlive a runner, so it returns a function that undoes it.
    undo = setup[0](*setup[1]) if setup is not None else None
    watch = _EngineWatch(Channel(channel, get_client()), max_seconds)
    try:
        watch.send("started", os.getpid())
        status, message = train_watched(watch, experiment, device, max_steps, memory_mb, parent)
        weights = {} if status == "failed" else {
            trainer.cell: {name: tensor.detach().cpu() for name, tensor in trainer.model.state_dict().items()}
            for trainer in watch.trainers}
        states = {} if status == "failed" else {trainer.cell: training_state(trainer) for trainer in watch.trainers}
        return status, message, [trainer.history for trainer in watch.trainers], weights, states
    finally:
        watch.send("end")
        watch.close()
        if callable(undo):
            undo()
