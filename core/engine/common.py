"""What the job runner and its backends share: the job's ending, saving a run, copying histories,
and the slot interface every backend's slot offers the runner.

The backends (core/engine/workers.py, core/engine/dask_engine.py) import this module and the job's
(core/engine/job.py, whose `Runner` names what they use of the runner), never the runner itself, so
the engine's modules import each other one way only: jobs -> backends -> job -> common.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import functools
import logging
import threading
from typing import Any, Protocol

import torch

from core.data.history import History
from core.nn.cells import model_label
from core.store.runs import RunStore, run_id
from core.tasks.experiment import Experiment, model_names
from core.training.resume import training_state
from core.training.trainer import Trainer

logger = logging.getLogger(__name__)

SESSION_CLOSED = "Stopped because the browser session that started it has closed."
SHUTTING_DOWN = "Stopped because the server is shutting down."


@functools.cache
def _malloc_trim():
    """glibc's malloc_trim, or None where the C library has none (macOS, musl)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def release_free_memory() -> None:
    """Hand the memory a finished job freed back to the system.

    glibc keeps freed memory in its per-thread arenas, so a server whose jobs and page threads
    allocate and free tens of megabytes each grows run after run with nothing alive to show for it
    (bench/class_load.py measures a class). malloc_trim(0) returns the free pages of every arena;
    it costs milliseconds, once a job, and changes no number.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


class Slot(Protocol):
    """One place a job trains (a worker process, a Dask task): the runner starts it, reads its pid,
    joins its thread at shutdown and sends it "stop", "cancel" or "go" with a reason."""

    thread: threading.Thread

    @property
    def pid(self) -> int | None: ...

    def start(self) -> None: ...

    def send(self, kind: str, *rest: Any) -> bool: ...


def copy_containers(value: Any) -> Any:
    """A deep copy of nested lists and dicts of numbers; far faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {key: copy_containers(item) for key, item in value.items()}
    if isinstance(value, list):
        if value and isinstance(value[0], (list, dict)):
            return [copy_containers(item) for item in value]
        return list(value)
    return value


def copy_history(history: History) -> History:
    return History(**{f.name: copy_containers(getattr(history, f.name))
                      for f in dataclasses.fields(History)})


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
                        {t.cell: t.model.state_dict() for t in trainers}, status, message,  # the store copies to CPU
                        {t.cell: training_state(t) for t in trainers})


def save_results(store: RunStore | None, experiment: Experiment, histories: dict[str, History],
                 weights: dict[str, dict[str, torch.Tensor]], status: str, message: str,
                 states: dict[str, dict[str, torch.Tensor]] | None = None) -> str:
    """`save_run` for histories and weights that came back from elsewhere (an engine's worker)."""
    if store is None or not any(h.steps for h in histories.values()):
        return ""
    identifier = run_id(experiment)
    try:
        if status != "finished" and store.find(experiment, finished_only=True):
            logger.info("Run %s is already stored finished; its %s rerun is not saved over it.", identifier, status)
            return ""
        store.save(experiment, histories, weights=weights, status=status, message=message, states=states)
    except Exception as error:
        logger.warning("Could not save run %s.", identifier, exc_info=True)
        return f"The run could not be saved: {error}"
    return ""


def job_weights(experiment: Experiment) -> int:
    """A job's size for the weight budget: models x layers x hidden_size squared.

    Memory and time per step grow with it (times batch and sequence length, which have budgets of
    their own through the step and time limits); the largest link today is 7 x 3 x 256^2 = 1.4 M.
    """
    model = experiment.model
    return len(model_names(experiment)) * model.num_layers * model.hidden_size ** 2
