"""Seeded initialisation of every model the playground builds, so a seed fixes the weights.

Each model draws from a private generator seeded by the run's seed, never from torch's global
one, so models built side by side (or in another process) start from the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, Protocol

import torch
from torch import nn


class Classifier(Protocol):
    """What the classifier's initialisation reads of core.nn.models.SequenceModel; named here so
    this module needs nothing from the modules that call it."""

    embedding: nn.Embedding | None
    encoder: Any  # core.nn.models.Encoder: hidden_size, spec, layers and its dropout generator

    def named_parameters(self) -> Iterator[tuple[str, nn.Parameter]]: ...


class Translator(Protocol):
    """What the seq2seq initialisation reads of core.nn.seq2seq.Seq2Seq."""

    embedding: nn.Embedding
    target_embedding: nn.Embedding
    encoder: Any  # as Classifier.encoder
    decoder: nn.RNNCellBase
    generator: torch.Generator

    def modules(self) -> Iterator[nn.Module]: ...


def initialise_classifier(model: Classifier, seed: int, forget_bias: float) -> None:
    """PyTorch's default uniform initialisation, drawn from a private seeded generator."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.startswith("embedding"):
                parameter.normal_(0.0, 1.0, generator=generator)
                continue
            fan = model.encoder.hidden_size if name.startswith("encoder") else parameter.shape[-1]
            bound = 1.0 / math.sqrt(fan)
            parameter.uniform_(-bound, bound, generator=generator)
        if model.embedding is not None:
            model.embedding.weight[0].zero_()
        if model.encoder.spec.has_cell_state:
            hidden = model.encoder.hidden_size
            for layer in model.encoder.layers:
                for name, parameter in layer.named_parameters():
                    # Two biases are summed inside the cell; put the whole forget bias in one.
                    if name.split(".")[-1] == "bias_ih_l0":
                        parameter[hidden: 2 * hidden] = forget_bias
                    elif name.split(".")[-1] == "bias_hh_l0":
                        parameter[hidden: 2 * hidden] = 0.0
    model.encoder.generator.manual_seed(seed + 1)


def initialise_seq2seq(model: Translator, seed: int, forget_bias: float) -> None:
    """As initialise_classifier: uniform weights, normal embeddings, forget bias; all from the seed."""
    generator = torch.Generator().manual_seed(seed)
    hidden = model.encoder.hidden_size
    recurrent = [*model.encoder.layers, model.decoder]
    with torch.no_grad():
        for module in [model.embedding, model.target_embedding]:
            module.weight.normal_(0.0, 1.0, generator=generator)
            module.weight[0].zero_()
        for module in recurrent:
            for parameter in module.parameters():
                parameter.uniform_(-1 / math.sqrt(hidden), 1 / math.sqrt(hidden), generator=generator)
        for module in model.modules():
            if isinstance(module, nn.Linear):
                bound = 1 / math.sqrt(module.in_features)  # PyTorch's own bound for a linear layer
                for parameter in module.parameters():
                    parameter.uniform_(-bound, bound, generator=generator)
        if isinstance(model.decoder, nn.LSTMCell):
            # Two biases are summed inside the cell; put the whole forget bias in one.
            for name, parameter in [p for module in recurrent for p in module.named_parameters()]:
                if name.split(".")[-1].startswith("bias_ih"):
                    parameter[hidden: 2 * hidden] = forget_bias
                elif name.split(".")[-1].startswith("bias_hh"):
                    parameter[hidden: 2 * hidden] = 0.0
    model.encoder.generator.manual_seed(seed + 1)
    model.generator.manual_seed(seed + 2)
