"""Train more: what a trainer needs besides its weights to go on exactly where it stopped.

A step depends on the weights, the optimizer's running state (Adam's moment estimates and step
count), and three random streams: the batches drawn, the dropout masks and, for a translator, the
scheduled-sampling draws. `training_state` writes all of them as one flat dict of tensors, so the
run store keeps it like weights (read back with weights_only=True); `resume` puts a trainer back in
that state with the parent's history, and its next step is the step an uninterrupted run would take.

A parent that kept its best weights (keep=best) stored those for use; it also stores its last
weights here, and its continuation goes on from them, with the parent's best weights and score as the
best so far, so it keeps the best of the whole run as one uninterrupted run would.

What cannot be the same: a run evaluates and probes at its last step whatever the schedule, so a
parent that stopped off the schedule (steps not a multiple of eval_every or probe_every) carries one
evaluation or probe an uninterrupted run would not have made; every training step is the same. A
learning rate that decays over the run (schedule=cosine) decays over the continued run's total
length, so the continuation's steps follow a schedule its parent's steps did not.
"""

from __future__ import annotations

import copy

import torch

from core.data.history import History
from core.training.regime import kept_score

OPTIMIZER = "optimizer"
GENERATOR = "generator"
BATCHES = "batches"
LAST = "last"  # the last weights of a run that kept its best ones


def _generators(model: torch.nn.Module) -> dict[str, torch.Generator]:
    """The model's own random streams by module path (the encoder's dropout, a decoder's sampling)."""
    return {name or "model": module.generator for name, module in model.named_modules()
            if isinstance(getattr(module, "generator", None), torch.Generator)}


def training_state(trainer) -> dict[str, torch.Tensor]:
    """The optimizer's state and every random stream of one trainer, as a flat dict of tensors."""
    state: dict[str, torch.Tensor] = {f"{GENERATOR}.{BATCHES}": trainer.batch_generator.get_state()}
    for name, generator in _generators(trainer.model).items():
        state[f"{GENERATOR}.model.{name}"] = generator.get_state()
    for index, values in trainer.optimizer.state_dict()["state"].items():
        for key, value in values.items():
            if value is None:
                continue  # SGD without momentum keeps an empty buffer
            state[f"{OPTIMIZER}.{index}.{key}"] = torch.as_tensor(value).detach().cpu().clone()
    for name, value in (trainer.last_weights or {}).items():
        state[f"{LAST}.{name}"] = value.detach().cpu().clone()
    return state


def resume(trainer, history: History, weights: dict[str, torch.Tensor], state: dict[str, torch.Tensor]) -> None:
    """Put a freshly built trainer where its parent stopped: weights, optimizer, random streams and
    history; ValueError when the saved state does not fit this trainer's model or optimizer."""
    last = {key.partition(".")[2]: value for key, value in state.items() if key.startswith(f"{LAST}.")}
    if trainer.best is not None and history.best_step in history.eval_steps:
        # The parent's kept weights and their score are the best so far, as in one uninterrupted run.
        index = history.eval_steps.index(history.best_step)
        scores = {name: values[index] for name, values in history.scores.items() if index < len(values)}
        metric = history.val_metric[index] if index < len(history.val_metric) else None
        trainer.best.offer(weights, kept_score(scores, metric, trainer.data.best_by), history.best_step)
    trainer.model.load_state_dict(last or weights)
    device = next(trainer.model.parameters()).device
    saved: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in state.items():
        kind, _, rest = key.partition(".")
        if kind == OPTIMIZER:
            index, _, name = rest.partition(".")
            saved.setdefault(int(index), {})[name] = value.to(device) if name != "step" else value
    optimizer = trainer.optimizer.state_dict()
    if saved and set(saved) != set(range(len(optimizer["param_groups"][0]["params"]))):
        raise ValueError("the saved optimizer state does not fit this model's parameters")
    trainer.optimizer.load_state_dict({"state": saved, "param_groups": optimizer["param_groups"]})
    trainer.batch_generator.set_state(state[f"{GENERATOR}.{BATCHES}"])
    for name, generator in _generators(trainer.model).items():
        generator.set_state(state[f"{GENERATOR}.model.{name}"])
    trainer.history = copy.deepcopy(history)
    trainer.history.status, trainer.history.message = "running", ""
    trainer.elapsed = history.wall_seconds[-1] if history.wall_seconds else 0.0
    trainer.recent_losses = list(history.train_loss[-10:])  # the divergence check's running window
    if trainer.step_count >= trainer.total_steps:
        raise ValueError(f"the run already has {trainer.step_count} steps; continue it to more than that")

