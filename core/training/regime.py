"""How a run walks through its data and its learning rate, and which weights it keeps.

Three choices the trainer makes the same way for every task, each off by default so that runs made
before them compute exactly what they did:
  - `LengthBuckets`: epochs of batches whose examples have similar lengths, each batch cut to its own
    longest example, so a batch of short sentences is not padded to the longest one in the file;
  - `lr_factor`: a constant learning rate, or a short warm-up and a cosine decay;
  - `BestWeights`: the weights of the evaluation that scored best, put back at the end.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from torch import nn

# Examples are sorted by length within pools of this many batches: batches of similar lengths, but
# the pools themselves are random, so consecutive batches still differ.
POOL_BATCHES = 32
# The warm-up of the cosine schedule: this share of the run's steps, at most WARMUP_MOST steps.
WARMUP_SHARE = 0.05
WARMUP_MOST = 200
# Where the cosine decay ends, as a share of the learning rate (zero would waste the last steps).
FLOOR = 0.02


def lr_factor(schedule: str, step: int, total: int) -> float:
    """The share of the configured learning rate to use at `step` (1-based) of `total`."""
    if schedule == "constant" or total <= 1:
        return 1.0
    warmup = max(1, min(WARMUP_MOST, round(WARMUP_SHARE * total)))
    if step <= warmup:
        return step / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return FLOOR + (1 - FLOOR) * 0.5 * (1 + math.cos(math.pi * progress))


class LengthBuckets:
    """Epochs of batches grouped by length: every example once per epoch, batches in random order.

    The plan of an epoch depends only on the seed and the epoch's number, so a run continued from
    a stored one (Train more) draws the batches an uninterrupted run would.
    """

    def __init__(self, lengths: torch.Tensor, batch_size: int, seed: int):
        self.lengths = lengths.cpu()
        self.batch_size = batch_size
        self.seed = seed
        self.count = int(lengths.shape[0])
        self.per_epoch = math.ceil(self.count / batch_size)
        self._epoch = -1
        self._plan: list[torch.Tensor] = []

    def plan(self, epoch: int) -> list[torch.Tensor]:
        """The batches of one epoch (0-based): index tensors that together hold each example once."""
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        order = torch.randperm(self.count, generator=generator)
        pool = self.batch_size * POOL_BATCHES
        batches = []
        for start in range(0, self.count, pool):
            chunk = order[start: start + pool]
            chunk = chunk[torch.argsort(self.lengths[chunk], stable=True)]  # similar lengths side by side
            batches += list(chunk.split(self.batch_size))
        shuffled = torch.randperm(len(batches), generator=generator).tolist()
        return [batches[index] for index in shuffled]

    def indices(self, step: int) -> torch.Tensor:
        """The examples of training step `step` (1-based)."""
        epoch, position = divmod(step - 1, self.per_epoch)
        if epoch != self._epoch:
            self._epoch, self._plan = epoch, self.plan(epoch)
        return self._plan[position]


def example_lengths(lengths: torch.Tensor | None, targets: torch.Tensor) -> torch.Tensor:
    """What sorts examples into buckets: input length, then target length (a decoder's steps)."""
    target_lengths = (targets != -100).sum(dim=1) if targets.dim() == 2 else torch.zeros(targets.shape[0])
    if lengths is None:
        return target_lengths.cpu()
    return lengths.cpu().long() * 1000 + target_lengths.cpu().long()


def kept_score(scores: Mapping[str, float], metric: float | None, best_by: str) -> float | None:
    """The reading of one evaluation that decides which weights are best: the score `best_by`
    names (chrF for a translation), else the headline metric."""
    return scores.get(best_by) if best_by else metric


class BestWeights:
    """The weights of the best evaluation so far, as a copy, and the step they come from."""

    def __init__(self) -> None:
        self.score = -math.inf
        self.step: int | None = None
        self.weights: dict[str, torch.Tensor] | None = None

    def offer(self, weights: Mapping[str, torch.Tensor], score: float | None, step: int) -> None:
        """Keep a copy of `weights` (a state dict) if `score` beats every earlier one (ties keep the earlier step)."""
        if score is None or not math.isfinite(score) or score <= self.score:
            return
        self.score, self.step = score, step
        self.weights = {name: value.detach().clone() for name, value in weights.items()}

    def restore(self, model: nn.Module) -> int | None:
        """Put the best weights back into the model; the step they come from, or None if none were kept."""
        if self.weights is not None:
            model.load_state_dict(self.weights)
        return self.step
