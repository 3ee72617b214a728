"""What every task hands the trainer: seeded tensors for each split and how to score them."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class TaskData:
    """Train, validation and probe splits as tensors, plus the facts a model is built from.

    Inputs are (examples, time, features) floats, or (examples, time) token ids when
    `vocab_size` is set; `*_lengths` are given only for variable-length sequences.
    """

    train_inputs: torch.Tensor
    train_targets: torch.Tensor
    val_inputs: torch.Tensor
    val_targets: torch.Tensor
    probe_inputs: torch.Tensor
    probe_targets: torch.Tensor
    input_size: int
    num_classes: int
    metric: str = "accuracy"
    position_label: str = "steps back from the end"
    vocab_size: int | None = None
    per_step: bool = False
    train_lengths: torch.Tensor | None = None
    val_lengths: torch.Tensor | None = None
    probe_lengths: torch.Tensor | None = None

    def to(self, device: torch.device) -> "TaskData":
        moved = {}
        for name, value in vars(self).items():
            moved[name] = value.to(device) if isinstance(value, torch.Tensor) else value
        return TaskData(**moved)
