"""What a task's models are and how they are scored, so the trainer never asks which task it serves.

A task hands the trainer a `TaskData` whose `problem` builds a model for each model name, scores
it on the validation split and takes any extra probe readings. Every model shares one contract:
`model(inputs, lengths, targets)` returns logits aligned with `targets` (padding carries -100),
`model.unrolled(...)` the same logits plus every encoder state for the gradient-through-time
probe, and `model.grad_groups()` its parameters as the per-layer chart shows them. Classification
lives here; sequence-to-sequence lives with the translation task.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from core.nn.cells import ModelConfig
from core.nn.models import SequenceModel, build_model
from core.nn.probes import loss_and_correct

if TYPE_CHECKING:
    from core.tasks.base import TaskData

EVAL_BATCH = 512


@dataclass
class Evaluation:
    """One validation pass: the loss, the task's headline metric and whatever else it measures."""

    loss: float
    metric: float
    # Further metrics by name (e.g. chrF), recorded beside the headline one.
    scores: dict[str, float] = field(default_factory=dict)
    # The headline metric on named subsets of the validation split.
    groups: dict[str, float] = field(default_factory=dict)
    # counts[true][predicted], where the task has classes to confuse.
    confusion: list[list[int]] | None = None


@contextlib.contextmanager
def evaluating(model: nn.Module):
    """The model in eval mode (no dropout, full teacher forcing) for the block, then as it was."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


@torch.no_grad()
def evaluate_model(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
                   lengths: torch.Tensor | None = None) -> tuple[float, torch.Tensor]:
    """Mean loss over a whole split and the predicted class of every item (every target step, for
    a decoder reading the targets), in eval mode."""
    total_loss, total_scored, predictions = 0.0, 0, []
    with evaluating(model):
        for start in range(0, targets.shape[0], EVAL_BATCH):
            stop = start + EVAL_BATCH
            part_targets = targets[start:stop]
            logits = model(inputs[start:stop], lengths[start:stop] if lengths is not None else None, part_targets)
            loss, _, scored = loss_and_correct(logits, part_targets)
            total_loss += float(loss) * scored
            total_scored += scored
            predictions.append(logits.argmax(dim=-1))
    return total_loss / max(total_scored, 1), torch.cat(predictions)


def confusion_matrix(predictions: torch.Tensor, targets: torch.Tensor, num_classes: int) -> list[list[int]]:
    """counts[true][predicted] as plain lists."""
    pairs = targets.reshape(-1).long() * num_classes + predictions.reshape(-1).long()
    counts = torch.bincount(pairs.cpu(), minlength=num_classes * num_classes)
    return counts.view(num_classes, num_classes).tolist()


@dataclass(frozen=True)
class Classification:
    """One label per example (or per step): a recurrent encoder and a linear head, scored by accuracy."""

    def build_model(self, data: TaskData, name: str, config: ModelConfig, seed: int) -> SequenceModel:
        return build_model(name, data.input_size, data.num_classes, config, seed,
                           per_step=data.per_step, vocab_size=data.vocab_size)

    def evaluate(self, model: nn.Module, data: TaskData) -> Evaluation:
        """Loss, accuracy, accuracy per group and the confusion matrix over the validation split."""
        loss, predictions = evaluate_model(model, data.val_inputs, data.val_targets, data.val_lengths)
        targets = data.val_targets
        scored = targets != -100
        hits = (predictions == targets) & scored
        groups = {}
        for name, mask in data.val_groups.items():
            # Groups mark whole examples; per-step targets score every step of the example.
            mask = mask.view(-1, *([1] * (targets.dim() - 1))) & scored
            groups[name] = float((hits & mask).sum()) / max(int(mask.sum()), 1)
        confusion = None if data.per_step else confusion_matrix(predictions, targets, data.num_classes)
        return Evaluation(loss, float(hits.sum()) / max(int(scored.sum()), 1), groups=groups, confusion=confusion)

    def score(self, model: nn.Module, data: TaskData, inputs: torch.Tensor, targets: torch.Tensor,
              lengths: torch.Tensor | None = None, dataset: Any = None) -> float:
        """Share of items a model gets right on other data (an evaluation file, say)."""
        _, predictions = evaluate_model(model, inputs, targets, lengths)
        return float((predictions == targets).float().mean()) if targets.numel() else 0.0

    def probe_maps(self, model: nn.Module, data: TaskData) -> dict[str, list[list[float]]]:
        """Matrices recorded at each probe beside the gradient through time; a classifier has none."""
        return {}

    @torch.no_grad()
    def describe_example(self, model: nn.Module, data: TaskData, index: int, inputs: torch.Tensor) -> str:
        """A plain sentence: validation example `index`, its answer and the model's (inputs: (1, time, ...))."""
        probabilities = torch.softmax(model(inputs), dim=-1)[0]
        names = data.class_names or tuple(str(i) for i in range(data.num_classes))
        label, prediction = int(data.val_targets[index]), int(probabilities.argmax())
        verdict = "right" if prediction == label else "wrong"
        texts = data.info.get("val_texts")
        shown = f"“{texts[index]}”: " if texts and index < len(texts) else ""
        return (f"Example {index}: {shown}the answer is {names[label]}. The model answered "
                f"{names[prediction]} with {100 * float(probabilities.max()):.0f}% confidence ({verdict}).")
