"""The language model's problem: a per-step head over the vocabulary, scored on the long-range word.

The model is the shared `SequenceModel` with a head at every step (core/nn/models.py); what this
lesson adds is how it is scored and probed. Validation loss covers every next word, so its
exponential is the perplexity; the headline metric is the share of stories whose long-range word
is the model's first choice (next-unit accuracy on free text). At each probe every model writes a
seeded continuation of the same prompt, recorded as ids in the history, so the page shows live
samples read from the job's snapshots, never by running a model itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from core.nn.problems import Classification, Evaluation, evaluate_model, evaluating
from core.tasks.base import TaskData

SAMPLE_MAP = "sample"


@torch.no_grad()
def sample(model: nn.Module, prompt: list[int], count: int, temperature: float, seed: int) -> list[int]:
    """`count` ids drawn one at a time after `prompt`, each from the model's next-unit distribution
    at `temperature`; the same weights, prompt and seed always give the same ids."""
    generator = torch.Generator().manual_seed(seed)
    ids = list(prompt) or [0]
    written = []
    with evaluating(model):
        device = next(model.parameters()).device
        for _ in range(count):
            logits = model(torch.tensor([ids], device=device))[0, -1]  # (vocabulary,)
            logits[0] = -math.inf  # never write padding
            probabilities = torch.softmax(logits.float().cpu() / temperature, dim=-1)
            unit = int(torch.multinomial(probabilities, 1, generator=generator))
            ids.append(unit)
            written.append(unit)
    return written


@torch.no_grad()
def next_probabilities(model: nn.Module, prompt: list[int]) -> torch.Tensor:
    """The model's distribution over the next unit after `prompt`, (vocabulary,)."""
    with evaluating(model):
        device = next(model.parameters()).device
        logits = model(torch.tensor([list(prompt) or [0]], device=device))[0, -1]
        logits[0] = -math.inf
        return torch.softmax(logits.float().cpu(), dim=-1)


@dataclass(frozen=True)
class LanguageModel(Classification):
    """Next-unit prediction at every step; `answer_step` is where the long-range word is the target
    (None for free text, which is scored on every unit)."""

    answer_step: int | None = None
    prompt: tuple[int, ...] = ()
    sample_length: int = 20
    temperature: float = 0.8
    seed: int = 0

    def evaluate(self, model: nn.Module, data: TaskData) -> Evaluation:
        loss, predictions = evaluate_model(model, data.val_inputs, data.val_targets, data.val_lengths)
        targets = data.val_targets
        scores = {"perplexity": math.exp(min(loss, 50.0))}
        if self.answer_step is None:
            scored = targets != -100
            hits = (predictions == targets) & scored
            return Evaluation(loss, float(hits.sum()) / max(int(scored.sum()), 1), scores=scores)
        hits = predictions[:, self.answer_step] == targets[:, self.answer_step]
        groups = {name: float(hits[mask].float().mean()) if bool(mask.any()) else 0.0
                  for name, mask in data.val_groups.items()}
        return Evaluation(loss, float(hits.float().mean()), scores=scores, groups=groups)

    def score(self, model, data, inputs, targets, lengths=None, dataset=None) -> float:
        """Next-unit accuracy on another text (the CLI's --eval-file)."""
        _, predictions = evaluate_model(model, inputs, targets, lengths)
        scored = targets != -100
        return float(((predictions == targets) & scored).sum()) / max(int(scored.sum()), 1)

    def probe_maps(self, model: nn.Module, data: TaskData) -> dict[str, list[list[float]]]:
        """The live sample: the prompt's continuation, as ids, one row."""
        written = sample(model, list(self.prompt), self.sample_length, self.temperature, self.seed)
        return {SAMPLE_MAP: [[float(unit) for unit in written]]}

    def describe_example(self, model, data, index, inputs) -> str:
        codec = data.codec
        end = self.answer_step + 1 if self.answer_step is not None else inputs.shape[1]
        ids = [int(unit) for unit in inputs[0, :end].tolist() if int(unit) != 0]
        probabilities = next_probabilities(model, ids)
        guess = int(probabilities.argmax())
        return (f"Example {index}: after “{codec.decode(ids[-12:])}” the model's first choice is "
                f"“{codec.unit(guess)}” ({100 * float(probabilities[guess]):.0f}%).")
