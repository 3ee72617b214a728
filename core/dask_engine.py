"""Jobs on a Dask distributed cluster: the "dask" backend (RNN_PLAYGROUND_ENGINE=dask).

The runner's queue, budgets, stop and snapshots stay in the server (core/jobs.py); only training
moves. Each slot of the runner is a server thread that submits one job at a time as a task to the
cluster, the way a process slot feeds its worker (core/workers.py), and the task trains with the
same watch: it streams its histories back through a Dask queue at most `PROGRESS_SECONDS` apart,
hears the server's "go" and "stop" through Dask events (a listener thread waits on the stop, so
checking it between steps costs nothing), keeps the time budget, and returns its histories and
weights (state_dict tensors). The server saves them in one transaction,
as the other backends do: a worker may be on another machine and cannot reach the server's store.
A worker that dies (killed, out of memory, its machine gone) ends the job `failed` with a message
and the slot serves the next job; a stop the worker does not answer within `STOP_GRACE` seconds
cancels the task and ends the job without waiting for it.

`DASK_SCHEDULER_ADDRESS` (Dask's own setting, read by dask.config as "scheduler-address") names
the cluster; without it the runner starts a LocalCluster in this process, one single-threaded
worker process per concurrent job, so the backend works out of the box.

Why Dask rather than Ray: dask and distributed are pure-Python wheels (a few MB in all) that pip
installs from the registry in seconds; a LocalCluster starts in-process in about a second with no
extra service, so a test can start a real one; and its scheduler and workers are small beside
Ray's, whose wheel and runtime (a raylet, a GCS server, an object store) are far heavier on a
690 MB host.
"""

from __future__ import annotations

import logging
import os
import pickle
import threading
import time
import uuid
from concurrent.futures import CancelledError
from typing import TYPE_CHECKING, Any

import dask.config
from distributed import Client, Event, LocalCluster, Queue, Variable, WorkerPlugin, get_client, get_worker
from distributed.scheduler import KilledWorker

from core.history import History
from core.jobs import SHUTTING_DOWN, save_results
from core.workers import PROGRESS_SECONDS, RemoteWatch, train_watched, warm_up

if TYPE_CHECKING:
    from core.jobs import Job, JobRunner

logger = logging.getLogger(__name__)

# How often a slot's thread polls its task's queue for progress (a stop wakes it at once).
WAKE_SECONDS = 0.1
# How long one wait of a task's listener, or of its wait for "go", lasts before it looks again
# whether the task has ended or been stopped (each wait is one request to the scheduler).
LISTEN_SECONDS = 1.0
GO_WAIT_SECONDS = 0.2
# How long a stopped job waits for its worker to send its last steps before the task is cancelled.
STOP_GRACE = 10.0
CONNECT_TIMEOUT = "10s"
RESULT_SECONDS = 60.0
WARM_UP = "rnn-playground-warm-up"
WARM_UP_SECONDS = 60.0
WORKER_LOST = ("The Dask worker training this run stopped unexpectedly ({cause}), so this run was lost. "
               "The server is fine: press Train to try again, perhaps with a smaller model, batch or distance.")
UNANSWERED = ("{reason} The Dask worker did not answer within {grace:g} s, so the task was cancelled and "
              "this run was not saved.")
ABANDONED = "Stopped because the server no longer follows this job."


class EngineUnavailable(RuntimeError):
    """The cluster cannot be reached or started; the message says so, for the user."""


def start_local_cluster(workers: int) -> LocalCluster:
    """A cluster in this process, listening on this machine only: `workers` worker processes of one
    thread each, and no dashboard (its small HTTP server takes any free port, so several servers
    on one machine never clash)."""
    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                        dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})


def start_slots(runner: "JobRunner") -> None:
    """The runner's hook: one slot per concurrent job, all sharing one connection to the cluster."""
    engine = runner._slots[0].engine if runner._slots else Engine(runner)
    while len(runner._slots) < runner.max_concurrent:
        slot = DaskSlot(runner, engine, len(runner._slots) + 1)
        runner._slots.append(slot)
        slot.start()


class _WarmUp(WorkerPlugin):
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
    if isinstance(plugin, _WarmUp) and hasattr(plugin, "finished"):
        plugin.finished.wait(WARM_UP_SECONDS)


class Engine:
    """The runner's client of the cluster, connected (or the local cluster started) by the first
    slot that needs it and closed when the last slot has ended."""

    def __init__(self, runner: "JobRunner"):
        self.runner = runner
        self.lock = threading.Lock()
        self.slots = 0
        self._client: Client | None = None
        self.cluster: LocalCluster | None = None

    def client(self) -> Client:
        with self.lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> Client:
        address = dask.config.get("scheduler-address", None)
        try:
            if address:
                logger.info("Training on the Dask cluster at %s.", address)
                client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
            else:
                workers = self.runner.max_concurrent
                logger.warning("RNN_PLAYGROUND_ENGINE=dask and no DASK_SCHEDULER_ADDRESS: starting a local Dask "
                               "cluster in this process with %d worker process(es). Set DASK_SCHEDULER_ADDRESS="
                               "tcp://HOST:8786 to train on a real cluster.", workers)
                self.cluster = start_local_cluster(workers)
                client = Client(self.cluster, set_as_default=False)
        except Exception as error:
            logger.error("Could not reach the Dask cluster at %s.", address or "(local)", exc_info=True)
            raise EngineUnavailable(f"This server could not reach its Dask cluster at {address or 'a local cluster'} "
                                    f"({error}). Try again in a minute.") from error
        try:
            client.register_plugin(_WarmUp(), name=WARM_UP)
        except Exception:  # a cold worker is slower, not broken; a worker without core/ fails each job clearly
            logger.warning("Could not warm the Dask workers (do they have this repository's core/?).", exc_info=True)
        return client

    def release(self) -> None:
        """A slot has ended; the last one closes the client, and the cluster if this runner started it."""
        with self.lock:
            self.slots -= 1
            if self.slots > 0:
                return
            client, cluster, self._client, self.cluster = self._client, self.cluster, None, None
        for closable in (client, cluster):
            if closable is not None:
                try:
                    closable.close()
                except Exception:
                    logger.warning("Closing the Dask %s failed.", type(closable).__name__, exc_info=True)


# --- the channel between a slot and its task --------------------------------------------------------

class _Channel:
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
            _quietly(cleanup)


def _quietly(action) -> None:
    try:
        action()
    except Exception:  # nothing to clean up, or the cluster has gone with it
        pass


# --- the training task, on a worker ------------------------------------------------------------------

class _EngineWatch(RemoteWatch):
    """A task's watch: progress goes on the job's queue; a listener thread waits for its stop."""

    def __init__(self, channel: _Channel, max_seconds: float | None):
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
        # JobRunner._training), so the two sides agree that no step was taken.
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
        _quietly(self.channel.progress.close)
        self.channel.remove()


def train_task(experiment, channel: str, device: str | None, max_steps: int | None, max_seconds: float | None,
               setup: tuple | None) -> tuple[str, str, list[History], dict[str, dict]]:
    """The task a slot submits: train one job and return its status, message, histories and weights."""
    _await_warm_up()
    # The tests' fault hook; workers outlive a runner, so it returns a function that undoes it.
    undo = setup[0](*setup[1]) if setup is not None else None
    watch = _EngineWatch(_Channel(channel, get_client()), max_seconds)
    try:
        watch.send("started", os.getpid())
        status, message = train_watched(watch, experiment, device, max_steps)
        weights = {} if status == "failed" else {
            trainer.cell: {name: tensor.detach().cpu() for name, tensor in trainer.model.state_dict().items()}
            for trainer in watch.trainers}
        return status, message, [trainer.history for trainer in watch.trainers], weights
    finally:
        watch.send("end")
        watch.close()
        if callable(undo):
            undo()


# --- the server side of one slot ---------------------------------------------------------------------

class DaskSlot:
    """A server thread that takes jobs from the runner's queue and follows each one's task."""

    def __init__(self, runner: "JobRunner", engine: Engine, number: int):
        self.runner, self.engine = runner, engine
        self.lock = threading.Lock()  # stop() records here; only the slot's thread talks to the cluster
        self.go, self.stop_reason = False, None
        self.changed = threading.Event()
        self.pid: int | None = None  # of the worker process training this slot's job, when known
        self.thread = threading.Thread(target=self._serve, name=f"rnn-job-dask-slot-{number}", daemon=True)
        with engine.lock:
            engine.slots += 1

    def start(self) -> None:
        self.thread.start()

    def send(self, kind: str, *rest: Any) -> bool:
        """Record the server's word for the job ("go", "stop", "cancel"); called under the runner's
        lock, so it only records it and wakes the slot's thread, which tells the cluster."""
        with self.lock:
            if kind == "go":
                self.go = True
            elif kind in ("stop", "cancel"):
                self.stop_reason = self.stop_reason or rest[0] or SHUTTING_DOWN
        self.changed.set()
        return True

    def _serve(self) -> None:
        try:
            self.engine.client()  # connect (or start the local cluster) before the first job arrives
        except EngineUnavailable:
            pass  # logged; each job tries again and fails with the message if it still cannot
        try:
            while (job := self.runner._next_job(self)) is not None:
                self._run(job)
                with self.lock:
                    self.go, self.stop_reason, self.pid = False, None, None
                self.changed.clear()
        finally:
            self.engine.release()

    def _run(self, job: "Job") -> None:
        runner = self.runner
        try:
            client = self.engine.client()
        except EngineUnavailable as error:
            runner._finish(job, "failed", str(error))
            return
        name = f"rnn-playground-{job.id}-{uuid.uuid4().hex[:8]}"
        future = channel = ending = None
        try:
            channel = _Channel(name, client)
            device = str(runner.device) if runner.device is not None else None
            future = client.submit(train_task, job.experiment, name, device, runner.max_steps, runner.max_seconds,
                                   runner.worker_setup, key=name, pure=False)
            ending = self._follow(job, future, channel)
        except Exception as error:
            logger.error("Lost the Dask cluster while following job %s (run %s).", job.id, job.run_id, exc_info=True)
            ending = self._lose(job, f"the connection to the cluster failed: {error}")
        finally:
            if channel is not None:
                if future is not None and not future.done():
                    # A task still running (a stop unanswered, a lost first attempt) stops and cleans
                    # up after itself; one cancelled before it ran leaves two small names behind.
                    _quietly(lambda: channel.push_stop(ABANDONED))
                    _quietly(future.cancel)
                elif self.pid is None:  # it ended before it opened the channel, so it cannot clean up
                    channel.remove()
                _quietly(channel.progress.close)
        if ending is not None:  # after the clean-up, so the slot is free the moment the job ends
            runner._finish(job, *ending)

    def _tell(self, channel: _Channel, told: dict[str, bool]) -> None:
        """Push what send() recorded to the cluster: each of "go" and "stop" once."""
        self.changed.clear()
        with self.lock:
            go, reason = self.go, self.stop_reason
        if go and not told["go"]:
            channel.go.set()
            told["go"] = True
        if reason and not told["stop"]:
            channel.push_stop(reason)
            told["stop"] = True

    def _follow(self, job: "Job", future, channel: _Channel) -> tuple[str, str] | None:
        """Relay the task's progress and the server's word until the task ends; the job's status
        and message, or None if the job had already ended (stopped while its data was built)."""
        runner = self.runner
        watch = runner._session_watch(job)
        told, starts, stop_sent = {"go": False, "stop": False}, 0, None
        while True:
            if self.changed.is_set():
                self._tell(channel, told)
                if told["stop"] and stop_sent is None:
                    stop_sent = time.monotonic()
            if job.done:  # ended while its data was built: nothing will be trained or saved
                return None
            grace = min(STOP_GRACE, runner.shutdown_grace) if runner._closing else STOP_GRACE
            if stop_sent is not None and time.monotonic() - stop_sent > grace:
                return self._unanswered(job, grace)
            # A batch get answers at once (a waiting get that times out is logged as an error by the
            # scheduler); between polls the slot waits on its own event, so a stop is pushed at once.
            messages = channel.progress.get(batch=True)
            if not messages:
                if future.done():  # the task ended without a word: it could not start, or its worker gave up
                    return self._end(job, future)
                self.changed.wait(WAKE_SECONDS)
            for message in messages:
                if message[0] == "started":
                    starts, self.pid = starts + 1, message[1]
                    if starts > 1:  # Dask reruns a task whose worker died; this run's first attempt is lost
                        return self._lose(job, "its worker process died")
                elif message[0] == "training":
                    runner._training(job, self)
                elif message[0] == "progress":
                    job._receive(pickle.loads(message[1]))
                elif message[0] == "end":
                    return self._end(job, future)
            reason = watch() if job._stop_reason is None else None
            if reason:
                runner._stop(job, reason)

    def _end(self, job: "Job", future) -> tuple[str, str]:
        """Take the task's result: save the run, or say why there is none."""
        try:
            status, message, histories, weights = future.result(timeout=RESULT_SECONDS)
        except (KilledWorker, CancelledError) as error:
            return self._lose(job, f"{type(error).__name__}: {error}")
        except Exception as error:
            # train_watched catches training's own errors, so this one kept the task from running.
            logger.error("The Dask task of job %s (run %s) failed.", job.id, job.run_id, exc_info=True)
            hint = (" The cluster's workers need this repository's core/ and requirements-engine.txt installed."
                    if isinstance(error, ImportError) else "")
            status, message, histories, weights = "failed", f"Training failed on the Dask cluster: {error}.{hint}", [], {}
        if histories:
            job._receive(histories)
        if status == "failed":
            logger.error("Job %s (run %s) failed: %s", job.id, job.run_id, message)
            note = ""
        else:
            note = save_results(self.runner.store, job.experiment, {h.cell: h for h in histories}, weights,
                                status, message)
        if note:
            logger.warning("Could not save run %s of job %s: %s", job.run_id, job.id, note)
        return status, f"{message} {note}".strip()

    def _lose(self, job: "Job", cause: str) -> tuple[str, str]:
        logger.error("The Dask worker training job %s (run %s) was lost: %s.", job.id, job.run_id, cause)
        message = WORKER_LOST.format(cause=cause)
        job._fail_histories(message)
        return "failed", message

    def _unanswered(self, job: "Job", grace: float) -> tuple[str, str]:
        logger.error("The Dask worker of job %s (run %s) did not answer a stop within %g s.", job.id, job.run_id,
                     grace)
        message = UNANSWERED.format(reason=job._stop_reason or "", grace=grace).strip()
        with job._lock:
            for history in job._histories:
                if history.status == "running":
                    history.status, history.message = "stopped", message
        return "stopped", message
