"""Jobs on a Dask distributed cluster: the "dask" backend (RNN_PLAYGROUND_ENGINE=dask).

The runner's queue, budgets, stop and snapshots stay in the server (core/engine/jobs.py); only training
moves. Each slot of the runner is a server thread that submits one job at a time as a task to the
cluster, the way a process slot feeds its worker (core/engine/workers.py); the task (core/engine/dask_task.py)
trains with the same watch: it streams its histories back through a Dask queue at most
`PROGRESS_SECONDS` apart, hears the server's "go" and "stop" through Dask events (a listener
thread waits on the stop, so checking it between steps costs nothing), keeps the time budget, and
returns its histories and weights (state_dict tensors). The server saves them in one transaction,
as the other backends do: a worker may be on another machine and cannot reach the server's store.
A worker that dies (killed, out of memory, its machine gone) ends the job `failed` with a message
and the slot serves the next job; a stop the worker does not answer within `STOP_GRACE` seconds
cancels the task and ends the job without waiting for it.

`DASK_SCHEDULER_ADDRESS` (Dask's own setting, read by dask.config as "scheduler-address") names
the cluster; without it the runner starts a LocalCluster in this process, one single-threaded
worker process per concurrent job, so the backend works out of the box.

Why Dask rather than Ray: dask and distributed are pure-Python wheels (a few MB in all) that pip
installs from the registry in seconds; a LocalCluster starts in-process in a few seconds with no
extra service (2-6 s measured on two busy cores), so a test can start a real one; and its
scheduler and workers are small beside Ray's, whose wheel and runtime (a raylet, a GCS server,
an object store) are far heavier on a 690 MB host.
"""

from __future__ import annotations

import logging
import pickle
import threading
import time
import uuid
from concurrent.futures import CancelledError
from typing import TYPE_CHECKING, Any

import dask.config
from distributed import Client, LocalCluster
from distributed.scheduler import KilledWorker

from core.engine.common import SHUTTING_DOWN, save_results
from core.engine.continuation import parent_copy
from core.engine.dask_task import ABANDONED, WARM_UP, Channel, WarmUp, quietly, train_task

if TYPE_CHECKING:
    from core.engine.job import Job, Runner

logger = logging.getLogger(__name__)

# How often a slot's thread polls its task's queue for progress (a stop wakes it at once).
WAKE_SECONDS = 0.1
# How long a stopped job waits for its worker to send its last steps before the task is cancelled.
STOP_GRACE = 10.0
CONNECT_TIMEOUT = "10s"
RESULT_SECONDS = 60.0
WORKER_LOST = ("The Dask worker training this run stopped unexpectedly ({cause}), so this run was lost. "
               "The server is fine: press Train to try again, perhaps with a smaller model, batch or distance.")
UNANSWERED = ("{reason} The Dask worker did not answer within {grace:g} s, so the task was cancelled and "
              "this run was not saved.")


class EngineUnavailable(RuntimeError):
    """The cluster cannot be reached or started; the message says so, for the user."""


def start_local_cluster(workers: int) -> LocalCluster:
    """A cluster in this process, listening on this machine only: `workers` worker processes of one
    thread each, and no dashboard (its small HTTP server takes any free port, so several servers
    on one machine never clash)."""
    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                        dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})


def start_slots(runner: Runner) -> None:
    """The runner's hook: one slot per concurrent job, all sharing one connection to the cluster."""
    engine = runner.slots[0].engine if runner.slots else Engine(runner)
    while len(runner.slots) < runner.max_concurrent:
        slot = DaskSlot(runner, engine, len(runner.slots) + 1)
        runner.slots.append(slot)
        slot.start()



class Engine:
    """The runner's client of the cluster, connected (or the local cluster started) by the first
    slot that needs it and closed when the last slot has ended."""

    def __init__(self, runner: Runner):
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
            client.register_plugin(WarmUp(), name=WARM_UP)
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


# --- the server side of one slot ---------------------------------------------------------------------

class DaskSlot:
    """A server thread that takes jobs from the runner's queue and follows each one's task."""

    def __init__(self, runner: Runner, engine: Engine, number: int):
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
            while (job := self.runner.next_job(self)) is not None:
                ending = self._run(job)
                with self.lock:
                    self.go, self.stop_reason, self.pid = False, None, None
                self.changed.clear()
                if ending is not None:  # last, so the slot takes the next job the moment this one ends
                    self.runner.finish(job, *ending)
        finally:
            self.engine.release()

    def _run(self, job: Job) -> tuple[str, str] | None:
        """Train one job on the cluster; its status and message (None if it had already ended)."""
        runner = self.runner
        try:
            client = self.engine.client()
        except EngineUnavailable as error:
            return "failed", str(error)
        name = f"rnn-playground-{job.id}-{uuid.uuid4().hex[:8]}"
        future = channel = ending = None
        try:
            channel = Channel(name, client)
            device = str(runner.device) if runner.device is not None else None
            future = client.submit(train_task, job.experiment, name, device, runner.max_steps, runner.max_seconds,
                                   runner.worker_setup, runner.job_memory_mb, parent_copy(job.experiment, runner.store),
                                   key=name, pure=False)
            ending = self._follow(job, future, channel)
        except Exception as error:
            logger.error("Lost the Dask cluster while following job %s (run %s).", job.id, job.run_id, exc_info=True)
            ending = self._lose(job, f"the connection to the cluster failed: {error}")
        finally:
            if channel is not None:
                if future is not None and not future.done():
                    # A task still running (a stop unanswered, a lost first attempt) stops and cleans
                    # up after itself; one cancelled before it ran leaves two small names behind.
                    quietly(lambda: channel.push_stop(ABANDONED))
                    quietly(future.cancel)
                elif self.pid is None:  # it ended before it opened the channel, so it cannot clean up
                    channel.remove()
                quietly(channel.progress.close)
        return ending

    def _tell(self, channel: Channel, told: dict[str, bool]) -> None:
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

    def _follow(self, job: Job, future, channel: Channel) -> tuple[str, str] | None:
        """Relay the task's progress and the server's word until the task ends; the job's status
        and message, or None if the job had already ended (stopped while its data was built)."""
        runner = self.runner
        watch = runner.session_watch(job)
        told, starts, stop_sent = {"go": False, "stop": False}, 0, None
        while True:
            if self.changed.is_set():
                self._tell(channel, told)
                if told["stop"] and stop_sent is None:
                    stop_sent = time.monotonic()
            if job.done:  # ended while its data was built: nothing will be trained or saved
                return None
            grace = min(STOP_GRACE, runner.shutdown_grace) if runner.closing else STOP_GRACE
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
                    runner.training(job, self)
                elif message[0] == "progress":
                    job.receive(pickle.loads(message[1]))
                elif message[0] == "end":
                    return self._end(job, future)
            reason = watch() if job.stop_reason is None else None
            if reason:
                runner.stop_job(job, reason)

    def _end(self, job: Job, future) -> tuple[str, str]:
        """Take the task's result: save the run, or say why there is none."""
        try:
            status, message, histories, weights, states = future.result(timeout=RESULT_SECONDS)
        except (KilledWorker, CancelledError) as error:
            return self._lose(job, f"{type(error).__name__}: {error}")
        except Exception as error:
            # train_watched catches training's own errors, so this one kept the task from running.
            logger.error("The Dask task of job %s (run %s) failed.", job.id, job.run_id, exc_info=True)
            hint = (" The cluster's workers need this repository's core/ and requirements-engine.txt installed."
                    if isinstance(error, ImportError) else "")
            message = f"Training failed on the Dask cluster: {error}.{hint}"
            status, histories, weights, states = "failed", [], {}, {}
        if histories:
            job.receive(histories)
        if status == "failed":
            logger.error("Job %s (run %s) failed: %s", job.id, job.run_id, message)
            note = ""
        else:
            note = save_results(self.runner.store, job.experiment, {h.cell: h for h in histories}, weights,
                                status, message, states)
        if note:
            logger.warning("Could not save run %s of job %s: %s", job.run_id, job.id, note)
        return status, f"{message} {note}".strip()

    def _lose(self, job: Job, cause: str) -> tuple[str, str]:
        logger.error("The Dask worker training job %s (run %s) was lost: %s.", job.id, job.run_id, cause)
        message = WORKER_LOST.format(cause=cause)
        job.fail_histories(message)
        return "failed", message

    def _unanswered(self, job: Job, grace: float) -> tuple[str, str]:
        logger.error("The Dask worker of job %s (run %s) did not answer a stop within %g s.", job.id, job.run_id,
                     grace)
        message = UNANSWERED.format(reason=job.stop_reason or "", grace=grace).strip()
        job.stop_running(message)
        return "stopped", message
