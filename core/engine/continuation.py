"""Train more: a stored finished run continued from its weights, optimizer state and random streams.

A continued run is its own experiment: the parent's settings with more steps (the total, the
parent's included) and `parent` naming the run it continues. Its id is therefore new, the parent's
link still opens the parent, and the Compare page lists both like any runs. Its trainers start from
the parent's saved state with the parent's history, so its curves go on where the parent's stopped;
every step after that is the step one uninterrupted run of the total length would take
(core/training/resume.py says what cannot be the same).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from core.store.runs import RunStore, StoredRun
from core.tasks import experiment as config
from core.tasks.base import DataError
from core.tasks.experiment import Experiment
from core.training import trainer as training
from core.training.resume import resume
from core.training.trainer import Trainer


def continued(parent: StoredRun, more_steps: int) -> Experiment:
    """The experiment that trains `parent` `more_steps` further; ValueError past the steps' bound."""
    steps = int(parent.experiment().train.steps) + int(more_steps)
    experiment, messages = config.from_params({**parent.params, "steps": str(steps), "parent": parent.run_id})
    if messages:
        raise ValueError(" ".join(messages))
    return experiment


def parent_of(experiment: Experiment, store: RunStore | None) -> StoredRun | None:
    """The stored run an experiment continues (None for one that starts from scratch); DataError
    saying what is wrong when it cannot be continued into this experiment."""
    parent_id = experiment.train.parent
    if not parent_id:
        return None
    parent = store.load(parent_id) if store is not None else None
    if parent is None or parent.imported:
        reach = "is not in this server's run store" if store is not None else "cannot be reached from this worker"
        raise DataError(f"This link continues run {parent_id}, which {reach}; remove parent= from the link "
                        "to train these settings from step 0.")
    if parent.status != "finished":
        raise DataError(f"Run {parent_id} {parent.status} before its last step; only a finished run is continued.")
    expected = config.from_params({**parent.params, "steps": str(experiment.train.steps), "parent": parent_id})[0]
    wanted, given = config.to_params(expected), config.to_params(config.as_trained(experiment))
    differing = sorted(key for key in set(wanted) | set(given) if wanted.get(key) != given.get(key))
    if differing:
        raise DataError(f"This link continues run {parent_id} but changes {', '.join(differing)}; a run is "
                        "continued with its own settings and more steps only. Remove parent= to train from step 0.")
    if experiment.train.steps <= parent.experiment().train.steps:
        raise DataError(f"Run {parent_id} already has {parent.experiment().train.steps} steps; continue it to more.")
    return parent


@dataclass
class ParentCopy:
    """What a continued run reads of its parent, copied out of the server's store for a worker that
    cannot reach it (a Dask worker); it answers the three questions resume_trainers asks a store."""

    run: StoredRun | None
    weights: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)
    states: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)

    def load(self, run_id: str) -> StoredRun | None:
        return self.run if self.run is not None and self.run.run_id == run_id else None

    def load_weights(self, run_id: str, cell: str) -> dict[str, torch.Tensor] | None:
        return self.weights.get(cell)

    def load_training_state(self, run_id: str, cell: str) -> dict[str, torch.Tensor] | None:
        return self.states.get(cell)


def parent_copy(experiment: Experiment, store: RunStore | None) -> ParentCopy | None:
    """The parent of a continued run, as a ParentCopy to send with its job; None for a run from scratch."""
    if not experiment.train.parent or store is None:
        return None
    run = store.load(experiment.train.parent)
    if run is None:
        return ParentCopy(None)
    cells = list(run.histories)
    weights = {cell: state for cell in cells if (state := store.load_weights(run.run_id, cell)) is not None}
    states = {cell: state for cell in cells if (state := store.load_training_state(run.run_id, cell)) is not None}
    return ParentCopy(run, weights, states)


def resume_trainers(trainers: list[Trainer], experiment: Experiment, store: RunStore | None) -> list[Trainer]:
    """The trainers, each put where its parent stopped for a continued run (as they are otherwise)."""
    parent = parent_of(experiment, store)
    if parent is None:
        return trainers
    for trainer in trainers:
        weights = store.load_weights(parent.run_id, trainer.cell)
        state = store.load_training_state(parent.run_id, trainer.cell)
        if weights is None or state is None or trainer.cell not in parent.histories:
            raise DataError(f"Run {parent.run_id} kept no optimizer state for {trainer.cell} (it was trained "
                            "before runs kept it, or elsewhere), so it cannot be continued exactly; train it "
                            "again and continue that.")
        try:
            resume(trainer, parent.histories[trainer.cell], weights, state)
        except (ValueError, RuntimeError, KeyError) as error:
            raise DataError(f"Run {parent.run_id} cannot be continued: {error}") from None
    return trainers


def prepare_run(experiment: Experiment, device, max_steps: int | None, store: RunStore | None) -> list[Trainer]:
    """The trainers of a job: from scratch, or for a continued run where its parent stopped."""
    # Looked up at each call: a test's fault may stand in for prepare in a long-lived worker.
    return resume_trainers(training.prepare(experiment, device, max_steps=max_steps), experiment, store)
