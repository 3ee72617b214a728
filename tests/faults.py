"""Faults the job tests put into a worker process as it starts (JobRunner's `worker_setup`).

A monkeypatch in the test process cannot reach a spawned worker, so each function here patches
the worker's own modules; the events are multiprocessing events shared with the test (Dask events
for the Dask backend). Each returns a function that undoes the patch: a Dask worker outlives the
runner and serves the next test, so the Dask backend runs the fault per task and then undoes it.
"""

from __future__ import annotations

from core.store.runs import RunStore
from core.training import trainer as train
from core.training.trainer import Trainer


def slow_prepare(building, release, deadline: float) -> None:
    """Data building that signals `building` and then waits for `release`."""
    real_prepare = train.prepare

    def prepare(*args, **kwargs):
        building.set()
        release.wait(deadline)
        return real_prepare(*args, **kwargs)

    train.prepare = prepare
    return lambda: setattr(train, "prepare", real_prepare)


def blocking_step(in_step, release, deadline: float) -> None:
    """Training steps that signal `in_step` and wait for `release` before stepping."""
    real_step = Trainer.step

    def step(trainer):
        in_step.set()
        release.wait(deadline)
        real_step(trainer)

    Trainer.step = step
    return lambda: setattr(Trainer, "step", real_step)


def broken_step(armed) -> None:
    """Training steps that raise while `armed` is set."""
    real_step = Trainer.step

    def step(trainer):
        if armed.is_set():
            raise RuntimeError("boom")
        real_step(trainer)

    Trainer.step = step
    return lambda: setattr(Trainer, "step", real_step)


def full_disk() -> None:
    def save(*args, **kwargs):
        raise OSError("disk full")

    real_save = RunStore.save
    RunStore.save = save
    return lambda: setattr(RunStore, "save", real_save)


def long_step(entered, limit: float) -> None:
    """Steps of a large model: the first runs forward passes for twice `SHORT_STEP_SECONDS`, and
    every later one sets `entered` and runs them for `limit` seconds before stepping, far longer
    than a time budget, with no exit but its own stopping points."""
    import time

    from core.training.trainer import SHORT_STEP_SECONDS

    real_step = Trainer.step

    def step(trainer):
        if trainer.step_count:
            entered.set()
        inputs, targets, lengths = trainer._batch(trainer.step_count + 1)
        end = time.monotonic() + (limit if trainer.step_count else 2 * SHORT_STEP_SECONDS)
        while time.monotonic() < end:
            trainer.model(inputs, lengths, targets)
        real_step(trainer)

    Trainer.step = step
    return lambda: setattr(Trainer, "step", real_step)


HOARD: list[bytes] = []  # what hoarding_step keeps, for the life of the worker process


def hoarding_step(megabytes: int) -> None:
    """Training steps whose first one leaves `megabytes` behind in the worker, as a large job leaves
    its freed memory with the allocator."""
    real_step = Trainer.step

    def step(trainer):
        if not HOARD:
            HOARD.append(b"\x01" * (megabytes * 2 ** 20))  # written, so the pages are really held
        real_step(trainer)

    Trainer.step = step
    return lambda: setattr(Trainer, "step", real_step)
