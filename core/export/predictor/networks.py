"""The playground's classifiers and taggers, for prediction only, in plain PyTorch.

The parameters carry the names the app's own models give them (core/nn/models.py and the tagging
lesson's WordTagger), so a state dict saved by the app loads here as it is, and every forward pass
runs the same operations in the same order, so a prediction here is the app's prediction.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

MODULES = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class RunningSum(nn.Module):
    """The bag-of-words baseline as a "cell": a running sum of projected inputs, blind to order."""

    def __init__(self, input_size: int, hidden_size: int, batch_first: bool = True):
        super().__init__()
        self.weight_ih_l0 = nn.Parameter(torch.empty(hidden_size, input_size))

    def forward(self, x: Tensor):
        return torch.cumsum(x @ self.weight_ih_l0.T, dim=1), None  # (batch, time, hidden)


def reversal(x: Tensor, lengths: Tensor | None) -> Tensor:
    """Gather indices (batch, time, features) that reverse each sequence within its length."""
    batch, time = x.shape[:2]
    steps = torch.arange(time, device=x.device).expand(batch, time)
    if lengths is None:
        order = steps.flip(1)
    else:
        last = lengths.to(x.device).unsqueeze(1) - 1
        order = torch.where(steps <= last, last - steps, steps)
    return order.unsqueeze(-1).expand(batch, time, x.shape[-1])


class Encoder(nn.Module):
    """Stacked single-layer recurrent modules; a bidirectional layer runs a second module on each
    sequence reversed within its length."""

    def __init__(self, architecture: dict):
        super().__init__()
        self.hidden_size = architecture["hidden_size"]
        self.directions = 2 if architecture["bidirectional"] else 1
        self.averages = architecture["module"] == "sum"
        module = RunningSum if self.averages else MODULES[architecture["module"]]
        self.layers = nn.ModuleList()
        for index in range(architecture["num_layers"]):
            size = architecture["input_size"] if index == 0 else self.hidden_size * self.directions
            self.layers.append(nn.ModuleList(module(size, self.hidden_size, batch_first=True)
                                             for _ in range(self.directions)))

    @property
    def output_size(self) -> int:
        return self.hidden_size * self.directions

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        """The top layer's output sequence, (batch, time, hidden * directions)."""
        for layer in self.layers:
            forward, _ = layer[0](x)  # (batch, time, hidden)
            if self.directions == 1:
                x = forward
            else:
                order = reversal(x, lengths)
                backward, _ = layer[1](x.gather(1, order))
                x = torch.cat([forward, backward.gather(1, order[..., :1].expand_as(backward))], dim=-1)
        return x


class SequenceModel(nn.Module):
    """Optional embedding, a recurrent encoder and a linear head: one answer per sequence, or one per
    step (a tagger, a language model)."""

    def __init__(self, architecture: dict):
        super().__init__()
        vocab_size = architecture.get("vocab_size")
        self.embedding = (nn.Embedding(vocab_size, architecture["input_size"], padding_idx=0)
                          if vocab_size else None)
        self.encoder = Encoder(architecture)
        self.head = nn.Linear(self.encoder.output_size, architecture["num_classes"])
        self.per_step = architecture["per_step"]

    def forward(self, inputs: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Logits: (batch, classes), or (batch, time, classes) for a head on every step."""
        embedded = self.embedding(inputs) if self.embedding is not None else inputs  # (batch, time, features)
        top = self.encoder(embedded, lengths)  # (batch, time, hidden * directions)
        if self.per_step:
            return self.head(top)
        return self.head(self.summary(top, lengths))  # (batch, classes)

    def summary(self, top: Tensor, lengths: Tensor | None) -> Tensor:
        """The last valid step (and, for the backward half, step 1); the mean for a bag of words."""
        batch = top.shape[0]
        if lengths is None:
            last = top[:, -1]
        else:
            last = top[torch.arange(batch, device=top.device), lengths.to(top.device) - 1]
        if self.encoder.averages:
            count = (lengths.to(top.device) if lengths is not None
                     else torch.full((batch,), top.shape[1], device=top.device))
            return last / count.to(top.dtype).unsqueeze(-1)
        if self.encoder.directions == 1:
            return last
        hidden = self.encoder.hidden_size
        return torch.cat([last[:, :hidden], top[:, 0, hidden:]], dim=-1)  # (batch, 2 * hidden)


class WordTagger(nn.Module):
    """The word-by-word baseline tagger: each word's tag from its own embedding alone."""

    def __init__(self, architecture: dict):
        super().__init__()
        self.embedding = nn.Embedding(architecture["vocab_size"], architecture["input_size"], padding_idx=0)
        self.head = nn.Linear(architecture["input_size"], architecture["num_classes"])

    def forward(self, inputs: Tensor, lengths: Tensor | None = None) -> Tensor:
        return self.head(self.embedding(inputs))  # (batch, time, tags)
