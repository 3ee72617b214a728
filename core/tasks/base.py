"""What every task hands the trainer: seeded tensors for each split, and the problem that builds
and scores its models (classification unless the task says otherwise)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from core.data.errors import DataError  # noqa: F401 - tasks raise it and callers catch it from here too


@dataclass
class TaskData:
    """Train, validation and probe splits as tensors, plus the facts a model is built from.

    Inputs are (examples, time, features) floats, or (examples, time) token ids when
    `vocab_size` is set; `*_lengths` are given only for variable-length sequences. Targets are one
    class per example, or a sequence per example padded with -100 (per-step labels, a translation).
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
    # Named subsets of the validation split (e.g. "negation"), scored separately at each evaluation.
    val_groups: dict[str, torch.Tensor] = field(default_factory=dict)
    class_names: tuple[str, ...] = ()
    # Turns the user's own input (typed text, drawn strokes) into model input; task-specific.
    codec: Any = None
    # Facts for the page: where the data came from, sizes, licences, notices.
    info: dict[str, Any] = field(default_factory=dict)
    # Builds each model, scores it and takes extra probe readings (see core/nn/problems.py).
    problem: Any = None
    # Training batches of similar lengths, each cut to its longest example (core/training/regime.py),
    # for data whose lengths vary a lot; otherwise batches are drawn at random and keep the full width.
    bucketed: bool = False
    # Evaluations during training read the first `val_sample` validation examples (0: all of them);
    # the kept weights are scored on the whole split once at the end.
    val_sample: int = 0
    # The score whose best evaluation a run keeping its best weights keeps ("" : the headline metric).
    best_by: str = ""

    def __post_init__(self) -> None:
        if self.problem is None:
            from core.nn.problems import Classification  # imported here: problems imports the models

            self.problem = Classification()

    def batch(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """The training examples at `index` as (inputs, targets, lengths)."""
        lengths = self.train_lengths[index] if self.train_lengths is not None else None
        index = index.to(self.train_inputs.device)
        inputs, targets = self.train_inputs[index], self.train_targets[index]
        if self.bucketed and lengths is not None:
            # Cut the batch to its own longest input and target: the padding past them is never read.
            inputs = inputs[:, : int(lengths.max())]
            if self.per_step:  # one label per input step: the same cut
                targets = targets[:, : inputs.shape[1]]
            elif targets.dim() == 2:  # a decoder's targets: cut to the longest
                targets = targets[:, : int((targets != -100).sum(dim=1).max())]
        return inputs, targets, lengths

    def to(self, device: torch.device) -> TaskData:
        moved = {}
        for name, value in vars(self).items():
            # Lengths stay on the CPU, where packing sequences wants them.
            if isinstance(value, torch.Tensor) and not name.endswith("_lengths"):
                value = value.to(device)
            elif name == "val_groups":
                value = {group: mask.to(device) for group, mask in value.items()}
            moved[name] = value
        return TaskData(**moved)


@dataclass(frozen=True)
class DataShape:
    """What a job's memory depends on in its data, readable before the data is built."""

    train_examples: int
    val_examples: int
    probe_examples: int
    length: int  # steps in the longest input sequence
    features: int  # values per input step (the embedding size for token inputs)
    num_classes: int
    vocab_size: int = 0  # 0: the inputs are floats, not token ids
    target_length: int = 0  # steps a decoder writes; 0 for one label per example (or per step)
