"""The stopping points inside a step change neither the numbers nor what outlives the run.

A server asks a time budget at points inside each long step (saved-tensor hooks and module pre-hooks,
`core.training.trainer.interruptible`). Its pack hook once returned the saved tensor itself: a
saved output then held its own grad_fn, a cycle through C++ that Python's gc cannot see, and every
graph never run backward (the gradient-through-time probe leaves one below each h_t) stayed alive.
A class's server grew by megabytes a run (bench/class_load.py).
"""

from __future__ import annotations

import gc

import pytest
import torch
from job_support import tiny

from core.training import trainer as training

pytestmark = pytest.mark.timeout(60)


def live_tensors() -> int:
    gc.collect()
    return sum(1 for item in gc.get_objects() if isinstance(item, torch.Tensor))


def trained(experiment, stopping_points: bool, monkeypatch) -> list[training.Trainer]:
    # Stopping points in every step, as a loaded server has them, not only in the first.
    monkeypatch.setattr(training, "SHORT_STEP_SECONDS", 0.0 if stopping_points else float("inf"))
    trainers = training.prepare(experiment)
    asked = []
    training.run_interleaved(trainers, interrupt=(lambda: asked.append(1)) if stopping_points else None)
    assert bool(asked) == stopping_points
    return trainers


def test_a_run_with_stopping_points_in_every_step_leaves_no_tensor_behind(monkeypatch):
    experiment = tiny(seed=515, steps=25, probe_every=5)
    trained(experiment, True, monkeypatch)  # the first run's lazy caches (for example torch's) settle here
    before = live_tensors()
    trainers = trained(experiment, True, monkeypatch)
    assert all(len(trainer.history.probe_steps) >= 4 for trainer in trainers)  # the probe ran under the hooks
    del trainers
    assert live_tensors() - before == 0, "a run with stopping points left tensors alive after it ended"


def test_stopping_points_leave_every_number_of_the_run_unchanged(monkeypatch):
    experiment = tiny(seed=516, steps=15, probe_every=5, eval_every=5)
    with_points = trained(experiment, True, monkeypatch)
    without = trained(experiment, False, monkeypatch)
    for hooked, plain in zip(with_points, without, strict=True):
        timed, untimed = hooked.history.to_dict(), plain.history.to_dict()
        timed.pop("wall_seconds"), untimed.pop("wall_seconds")  # the clock's readings, not the run's numbers
        assert timed == untimed
        assert len(hooked.history.probe_steps) == 4  # steps 1, 5, 10, 15
        for (name, left), right in zip(hooked.model.state_dict().items(), plain.model.state_dict().values(),
                                       strict=True):
            assert torch.equal(left, right), name
