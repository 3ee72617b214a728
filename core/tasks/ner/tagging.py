"""The tagging problem: a tag for every word, scored by entity-level F1 (core/tasks/ner/spans.py).

Recurrent taggers are the shared encoders with a head on every step (core/nn/models.py,
per_step=True); a bidirectional one reads each word with the words after it. The baseline is a
per-word lookup (an embedding into a linear layer) that sees no other word at all.

Besides the shared gradient-through-time probe (the last word's error reaching back), the lesson
records `reach`: how much of the FIRST word's tag error reaches each word after it. A forward
reader's first state is computed before any later word is read, so nothing reaches them; a
bidirectional reader's backward half carries it to every one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from core.nn.cells import ModelConfig
from core.nn.models import Steps, build_model
from core.nn.probes import loss_and_correct
from core.nn.problems import Evaluation, evaluate_model, evaluating
from core.tasks.base import TaskData
from core.tasks.ner import spans

# Words after the first that the reach probe measures.
REACH = 8


class WordTagger(nn.Module):
    """The no-context baseline: each word's tag from its own embedding alone."""

    def __init__(self, vocab_size: int, embedding_size: int, num_tags: int, seed: int):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.embedding = nn.Embedding(vocab_size, embedding_size, padding_idx=0)
        self.head = nn.Linear(embedding_size, num_tags)
        with torch.no_grad():
            self.embedding.weight.normal_(0, 1, generator=generator)
            self.embedding.weight[0].zero_()
            bound = embedding_size ** -0.5
            self.head.weight.uniform_(-bound, bound, generator=generator)
            self.head.bias.zero_()

    def forward(self, inputs: Tensor, lengths: Tensor | None = None, targets: Tensor | None = None) -> Tensor:
        return self.head(self.embedding(inputs))  # (batch, time, tags)

    def unrolled(self, inputs: Tensor, lengths: Tensor | None = None,
                 targets: Tensor | None = None) -> tuple[Tensor, list[list[Steps]]]:
        """The logits and each word's embedding as its 'state': a word's error reaches only itself."""
        embedded = self.embedding(inputs)
        states = list(embedded.unbind(1))
        logits = self.head(torch.stack(states, dim=1))
        return logits, [[Steps(hidden=states, cell=[None] * len(states), gates={})]]

    def grad_groups(self) -> dict[str, list[nn.Parameter]]:
        return {"embedding": list(self.embedding.parameters()), "head": list(self.head.parameters())}


@dataclass(frozen=True)
class Tagging:
    """Per-word tags from a tag list, scored by entity F1, per kind of sentence where kinds are known."""

    tags: tuple[str, ...]

    def build_model(self, data: TaskData, name: str, config: ModelConfig, seed: int) -> nn.Module:
        if name == "bow":
            return WordTagger(data.vocab_size, data.input_size, len(self.tags), seed)
        return build_model(name, data.input_size, len(self.tags), config, seed, per_step=True,
                           vocab_size=data.vocab_size)

    @torch.no_grad()
    def predict(self, model: nn.Module, inputs: Tensor, lengths: Tensor) -> tuple[list[list[str]], list[list[float]]]:
        """Each sentence's tags and the probability the model gave each one, in eval mode."""
        with evaluating(model):
            probabilities = torch.softmax(model(inputs, lengths), dim=-1)
        confidence, chosen = probabilities.max(dim=-1)
        tags, confidences = [], []
        for row, (picks, sure) in enumerate(zip(chosen.tolist(), confidence.tolist())):
            length = int(lengths[row])
            tags.append([self.tags[index] for index in picks[:length]])
            confidences.append(sure[:length])
        return tags, confidences

    def tag_strings(self, predictions: Tensor, lengths: Tensor) -> list[list[str]]:
        return [[self.tags[index] for index in row[: int(length)]]
                for row, length in zip(predictions.tolist(), lengths.tolist())]

    def evaluate(self, model: nn.Module, data: TaskData) -> Evaluation:
        """Loss, entity F1 (the headline), precision, recall, token accuracy, and F1 per kind."""
        loss, predictions = evaluate_model(model, data.val_inputs, data.val_targets, data.val_lengths)
        guessed = self.tag_strings(predictions, data.val_lengths)
        true = data.info["val_tags"]
        overall = spans.entity_scores(true, guessed)
        tokens = sum(len(sentence) for sentence in true)
        right = sum(a == b for gold, guess in zip(true, guessed) for a, b in zip(gold, guess))
        groups = {}
        for kind, mask in data.val_groups.items():
            chosen = [index for index, keep in enumerate(mask.tolist()) if keep]
            groups[kind] = spans.entity_scores([true[i] for i in chosen], [guessed[i] for i in chosen]).f1
        return Evaluation(loss, overall.f1, groups=groups,
                          scores={"precision": overall.precision, "recall": overall.recall,
                                  "token accuracy": right / max(tokens, 1)})

    def score(self, model: nn.Module, data: TaskData, inputs: Tensor, targets: Tensor, lengths: Tensor,
              dataset: Any = None) -> dict[str, float]:
        """Entity scores on another file's sentences, against its own tags (types the run never saw
        count as missed)."""
        guessed, _ = self.predict(model, inputs, lengths)
        true = [list(tags) for _, tags in dataset.sentences]
        overall = spans.entity_scores(true, guessed)
        right = sum(a == b for gold, guess in zip(true, guessed) for a, b in zip(gold, guess))
        result = {"entity_f1": overall.f1, "precision": overall.precision, "recall": overall.recall,
                  "token_accuracy": right / max(sum(map(len, true)), 1)}
        result.update({f"f1_{kind}": value.f1 for kind, value in spans.scores_by_type(true, guessed).items()})
        return result

    def probe_maps(self, model: nn.Module, data: TaskData) -> dict[str, list[list[float]]]:
        """`reach`: the mean norm of d(first word's loss)/dh_t for the first REACH + 1 words."""
        inputs, lengths = data.probe_inputs, data.probe_lengths
        targets = torch.full_like(data.probe_targets, -100)
        targets[:, 0] = data.info["probe_first"]
        with torch.enable_grad():
            logits, layers = model.unrolled(inputs, lengths, targets)
            loss, _, _ = loss_and_correct(logits, targets)
            top = layers[-1]
            steps = min(REACH + 1, len(top[0].hidden))
            states = [state for direction in top for state in direction.hidden[:steps]]
            grads = torch.autograd.grad(loss, states, allow_unused=True)
        norms = []
        for position in range(steps):
            square = sum((grads[d * steps + position] if grads[d * steps + position] is not None
                          else torch.zeros_like(states[d * steps + position])).pow(2).sum(dim=-1)
                         for d in range(len(top)))
            reached = (lengths > position).to(square.dtype)
            norms.append(float((square.sqrt() * reached).sum() / reached.sum().clamp(min=1)))
        return {"reach": [[round(value, 8) for value in norms]]}

    @torch.no_grad()
    def describe_example(self, model: nn.Module, data: TaskData, index: int, inputs: Tensor) -> str:
        guessed, _ = self.predict(model, inputs, torch.tensor([inputs.shape[1]]))
        words = data.info["val_words"][index]
        true = data.info["val_tags"][index]
        wrong = [word for word, gold, guess in zip(words, true, guessed[0]) if gold != guess]
        verdict = "every word right" if not wrong else f"wrong on {', '.join(f'“{w}”' for w in wrong)}"
        return f"Example {index}: “{' '.join(words)}”: {verdict}."
