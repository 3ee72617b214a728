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

import contextlib
import logging
import multiprocessing
import signal
import sys
import threading
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.engine.job import Job, Runner

from core.engine.worker_process import worker_main

logger = logging.getLogger(__name__)

CONTEXT = multiprocessing.get_context("forkserver")
_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def _without_main_script():
    """Start a worker without it re-running this process's __main__ script. A spawned child runs the
    parent's __main__ file again (as __mp_main__) before its target; in a Streamlit server that is
    the last page script run (Streamlit makes each script run __main__), and under AppTest a
    temporary script that fails outside its test. A worker needs neither: its target is importable."""
    with _MAIN_LOCK:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main
# Only this module, not the server's main module: Streamlit and the pages stay out of the workers.
CONTEXT.set_forkserver_preload(["core.engine.worker_preload"])
# How often a slot's thread wakes while waiting on its worker, to ask the browser session whether
# it is still open and to notice a worker that died without closing its pipe.
WAKE_SECONDS = 0.2
# A worker whose private memory grew by more than this over a job is replaced by a fresh one:
# glibc's allocator keeps what a large job freed, and one worker held 3.1 GB after its job was
# stopped, memory no other job or process could use.
RECYCLE_MB = 300.0
WORKER_DIED = ("The training process {cause}, so this run was lost.{hint} The server is fine and has started a "
               "fresh training process: press Train to try again.")


def _death_cause(exitcode: int | None, phase: str, steps: int, steps_total: int) -> tuple[str, str]:
    """What is known of a worker's end: the signal or exit code, and how far its job had got."""
    if phase != "training":
        when = "while building the data, before the first training step"
    elif steps:
        when = f"while training, after step {steps:,} of {steps_total:,} (the last progress it sent)"
    else:
        when = "while training, before its first step ended"
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "an unknown signal"
        hint = ""
        if exitcode == -signal.SIGKILL:
            # Said as a possibility: a person or a supervisor sends it too.
            hint = (" The system sends this signal when it runs out of memory (as can a person or a supervisor); "
                    "if so, a smaller model, batch or sequence needs less.")
        return f"was killed by signal {-exitcode} ({name}) {when}", hint
    return f"ended with exit code {exitcode} {when}", ""


def private_mb(pid: int | None) -> float | None:
    """The memory only this process holds (pages shared with the fork server not counted), in MB;
    None where /proc cannot tell."""
    if pid is None:
        return None
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return None
    kilobytes = sum(int(line.split()[1]) for line in lines if line.startswith(("Private_Clean:", "Private_Dirty:")))
    return kilobytes / 1024


# --- the server side of one slot ------------------------------------------------------------------

class ProcessSlot:
    """One worker process and the server thread that feeds it jobs from the runner's queue."""

    def __init__(self, runner: Runner, number: int):
        self.runner, self.number = runner, number
        self.send_lock = threading.Lock()  # the slot's thread and stop() both send on the pipe
        self.process: multiprocessing.process.BaseProcess | None = None
        self.connection = None
        self.job: Job | None = None
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
        with _without_main_script():
            self.process.start()
        child.close()  # only the worker holds this end, so its death closes the pipe for us
        self.connection, self.ready = parent, False
        self.baseline_mb: float | None = None  # the worker's private memory when it became ready

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
            job = runner.next_job(self)
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
        while not self.runner.closing:
            if self.ready:
                return True
            try:
                if self.connection.poll(WAKE_SECONDS):
                    self.ready = self.connection.recv()[0] == "ready"
                    if self.ready:
                        self.baseline_mb = private_mb(self.pid)
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

    def _run(self, job: Job) -> None:
        runner = self.runner
        self.send("job", job.experiment, runner.max_steps, runner.max_seconds, runner.job_memory_mb)
        watch = runner.session_watch(job)
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
                reason = watch() if job.stop_reason is None else None
                if reason:
                    runner.stop_job(job, reason)
                continue
            kind, *rest = message
            if kind == "progress":
                job.receive(rest[0])
            elif kind == "training":
                runner.training(job, self)
            elif kind == "end":
                status, text, note, histories = rest
                # The worker logged the details to its own output; the server's log says what happened.
                if status == "failed":
                    logger.error("Job %s (run %s) failed: %s", job.id, job.run_id, text)
                if note:
                    logger.warning("Could not save run %s of job %s: %s", job.run_id, job.id, note)
                    text = f"{text} {note}".strip()
                job.receive(histories)
                runner.finish(job, status, text)
                self._recycle_if_grown(job)
                return

    def _recycle_if_grown(self, job: Job) -> None:
        """Replace the worker with a fresh one if the job left it holding much more memory."""
        now = private_mb(self.pid)
        if now is None or self.baseline_mb is None or now - self.baseline_mb <= RECYCLE_MB:
            return
        logger.info("The worker of job %s holds %.0f MB more than when it started; replacing it.", job.id,
                    now - self.baseline_mb)
        self.send("quit")
        self.process.join(self.runner.shutdown_grace)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(1.0)
        self.connection.close()
        if not self.runner.closing:
            self._start_worker()

    def _worker_died(self, job: Job) -> None:
        self.process.join(1.0)
        steps = max((len(history.steps) for history in job.snapshot().histories.values()), default=0)
        steps_total = min(job.experiment.train.steps, self.runner.max_steps or job.experiment.train.steps)
        cause, hint = _death_cause(self.process.exitcode, job.phase, steps, steps_total)
        logger.error("The worker process of job %s (run %s) died: %s.", job.id, job.run_id, cause)
        self.connection.close()
        message = WORKER_DIED.format(cause=cause, hint=hint)
        job.fail_histories(message)
        self.runner.finish(job, "failed", message)
        if not self.runner.closing:
            self._start_worker()
