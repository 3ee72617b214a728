"""Recurrent encoders for every cell kind behind one contract, their heads, and an inspect path.

Each encoder stacks single-layer fused `torch.nn` modules (fast) so that every layer's output
sequence is reachable for the gradient-through-time probe, and steps through time with the very
same weights in `inspect` so gates and cell states can be shown. A registry maps cell names to
specs; nothing outside this module branches on the cell kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from core.nn.cells import CELLS, ModelConfig
from core.nn.initialise import initialise_classifier

StepFunction = Callable[..., tuple[Tensor, Tensor | None, dict[str, Tensor]]]


def _rnn_step(x: Tensor, h: Tensor, c: Tensor | None, weights: dict[str, Tensor]):
    h = torch.tanh(x @ weights["w_ih"].T + weights["b_ih"] + h @ weights["w_hh"].T + weights["b_hh"])
    return h, None, {}


def _gru_step(x: Tensor, h: Tensor, c: Tensor | None, weights: dict[str, Tensor]):
    # PyTorch's GRU order is reset, update, new; the reset gate scales only the recurrent part.
    input_part = x @ weights["w_ih"].T + weights["b_ih"]
    hidden_part = h @ weights["w_hh"].T + weights["b_hh"]
    input_reset, input_update, input_new = input_part.chunk(3, dim=-1)
    hidden_reset, hidden_update, hidden_new = hidden_part.chunk(3, dim=-1)
    reset = torch.sigmoid(input_reset + hidden_reset)
    update = torch.sigmoid(input_update + hidden_update)
    candidate = torch.tanh(input_new + reset * hidden_new)
    h = (1 - update) * candidate + update * h
    return h, None, {"reset": reset, "update": update}


def _lstm_step(x: Tensor, h: Tensor, c: Tensor | None, weights: dict[str, Tensor]):
    # PyTorch's LSTM order is input, forget, cell candidate, output.
    gates = x @ weights["w_ih"].T + weights["b_ih"] + h @ weights["w_hh"].T + weights["b_hh"]
    input_gate, forget_gate, candidate, output_gate = gates.chunk(4, dim=-1)
    input_gate = torch.sigmoid(input_gate)
    forget_gate = torch.sigmoid(forget_gate)
    output_gate = torch.sigmoid(output_gate)
    c = forget_gate * c + input_gate * torch.tanh(candidate)
    h = output_gate * torch.tanh(c)
    return h, c, {"input": input_gate, "forget": forget_gate, "output": output_gate}


def _bag_step(x: Tensor, h: Tensor, c: Tensor | None, weights: dict[str, Tensor]):
    # No recurrence and no bias: the state is a running sum of projected tokens, blind to order.
    return h + x @ weights["w_ih"].T, None, {}


class RunningSum(nn.Module):
    """The bag-of-words baseline as a "cell": h_t = h_{t-1} + W x_t, so h_T is order-free.

    The model reads h_T divided by the length, i.e. a linear map of the mean embedding. Padding
    embeddings are zero and there is no bias, so padded steps add nothing.
    """

    def __init__(self, input_size: int, hidden_size: int, batch_first: bool = True):
        super().__init__()
        self.weight_ih_l0 = nn.Parameter(torch.empty(hidden_size, input_size))

    def forward(self, x: Tensor):
        return torch.cumsum(x @ self.weight_ih_l0.T, dim=1), None  # (batch, time, hidden)


@dataclass(frozen=True)
class CellSpec:
    """What distinguishes one cell kind: its fused module, direction and step function."""

    module: type[nn.Module]
    bidirectional: bool
    step: StepFunction
    gates: tuple[str, ...]
    has_cell_state: bool
    # An order-free average: one layer only, and the head reads the mean rather than the last state.
    averages: bool = False


REGISTRY: dict[str, CellSpec] = {
    "rnn": CellSpec(nn.RNN, False, _rnn_step, (), False),
    "gru": CellSpec(nn.GRU, False, _gru_step, ("reset", "update"), False),
    "lstm": CellSpec(nn.LSTM, False, _lstm_step, ("input", "forget", "output"), True),
    "birnn": CellSpec(nn.RNN, True, _rnn_step, (), False),
    "bigru": CellSpec(nn.GRU, True, _gru_step, ("reset", "update"), False),
    "bilstm": CellSpec(nn.LSTM, True, _lstm_step, ("input", "forget", "output"), True),
    "bow": CellSpec(RunningSum, False, _bag_step, (), False, averages=True),
}
assert tuple(REGISTRY) == CELLS, "config.CELLS and the model registry must list the same cells"


@dataclass
class Steps:
    """One direction of one layer, unrolled: a (batch, hidden) tensor per time step."""

    hidden: list[Tensor]
    cell: list[Tensor | None]
    gates: dict[str, list[Tensor]]


@dataclass
class Trace:
    """Per-layer, per-step states from `inspect`: each tensor is (batch, time, hidden * directions)."""

    hidden: list[Tensor]
    cell: list[Tensor] | None
    gates: list[dict[str, Tensor]]


def reversal(x: Tensor, lengths: Tensor | None) -> Tensor:
    """Gather indices (batch, time, features) that reverse each sequence within its length.

    Applying them twice is the identity, so the same indices put a reversed pass back in order.
    Steps past a sequence's length stay where they are.
    """
    batch, time = x.shape[:2]
    steps = torch.arange(time, device=x.device).expand(batch, time)
    if lengths is None:
        order = steps.flip(1)
    else:
        last = lengths.to(x.device).unsqueeze(1) - 1
        order = torch.where(steps <= last, last - steps, steps)
    return order.unsqueeze(-1).expand(batch, time, x.shape[-1])


class Encoder(nn.Module):
    """A stack of single-layer fused recurrent modules of one cell kind."""

    def __init__(self, kind: str, input_size: int, hidden_size: int, num_layers: int, dropout: float):
        super().__init__()
        self.kind = kind
        self.spec = REGISTRY[kind]
        self.hidden_size = hidden_size
        self.directions = 2 if self.spec.bidirectional else 1
        self.dropout = dropout
        self.layers = nn.ModuleList()
        if self.spec.averages:
            num_layers = 1  # stacking running sums adds nothing a baseline should have
        for index in range(num_layers):
            layer_input = input_size if index == 0 else hidden_size * self.directions
            # One fused unidirectional module per direction: each then runs on a plain padded batch
            # (the backward one on each sequence reversed within its length), which is exact and
            # about four times faster on a CPU than packing variable-length sequences.
            self.layers.append(nn.ModuleList(
                self.spec.module(layer_input, hidden_size, batch_first=True) for _ in range(self.directions)))
        # Dropout masks come from the model's own generator, so two runs training in parallel
        # threads cannot disturb each other's randomness through the global generator.
        self.generator = torch.Generator()

    @property
    def output_size(self) -> int:
        return self.hidden_size * self.directions

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> list[Tensor]:
        """Returns each layer's output sequence, (batch, time, hidden * directions)."""
        outputs = []
        for index, layer in enumerate(self.layers):
            if index > 0 and self.training and self.dropout > 0:
                keep = 1.0 - self.dropout
                mask = torch.empty(x.shape, device=x.device).bernoulli_(keep, generator=self._generator_for(x))
                x = x * mask / keep
            # Padding comes after each sequence, so a forward pass never reads it before a real step.
            forward, _ = layer[0](x)  # (batch, time, hidden)
            if self.directions == 1:
                x = forward
            else:
                order = reversal(x, lengths)
                backward, _ = layer[1](x.gather(1, order))
                x = torch.cat([forward, backward.gather(1, order[..., :1].expand_as(backward))], dim=-1)
            outputs.append(x)  # (batch, time, hidden * directions); steps past a length are junk
        return outputs

    def _generator_for(self, x: Tensor) -> torch.Generator:
        if x.device.type != self.generator.device.type:
            seed = int(torch.randint(0, 2**62, (1,), generator=self.generator))
            self.generator = torch.Generator(device=x.device).manual_seed(seed)
        return self.generator

    def layer_weights(self, index: int, reverse: bool) -> dict[str, Tensor]:
        module = self.layers[index][1 if reverse else 0]
        names = {"w_ih": "weight_ih_l0", "w_hh": "weight_hh_l0", "b_ih": "bias_ih_l0", "b_hh": "bias_hh_l0"}
        return {key: getattr(module, name) for key, name in names.items() if hasattr(module, name)}

    def unroll(self, x: Tensor, lengths: Tensor | None = None) -> list[list[Steps]]:
        """Step through time with the fused modules' own weights (no dropout), keeping every state.

        Returns, per layer and per direction, the list of states at t = 1..T. Each state is its own
        autograd node, so gradients with respect to it include every path through time.
        """
        layers = []
        for index in range(len(self.layers)):
            directions = [self._run_direction(x, index, reverse, lengths)
                          for reverse in (False, True)[: self.directions]]
            layers.append(directions)
            x = torch.cat([torch.stack(d.hidden, dim=1) for d in directions], dim=-1)
        return layers

    @torch.no_grad()
    def inspect(self, x: Tensor, lengths: Tensor | None = None) -> Trace:
        """Per-step hidden states, cell states and gates, each (batch, time, hidden * directions)."""
        layers = self.unroll(x, lengths)

        def joined(directions: list[Steps], pick: Callable[[Steps], list[Tensor]]) -> Tensor:
            return torch.cat([torch.stack(pick(d), dim=1) for d in directions], dim=-1)

        hidden = [joined(layer, lambda d: d.hidden) for layer in layers]
        cell = [joined(layer, lambda d: d.cell) for layer in layers] if self.spec.has_cell_state else None
        gates = [{name: joined(layer, lambda d, n=name: d.gates[n]) for name in self.spec.gates}
                 for layer in layers]
        return Trace(hidden, cell, gates)

    def _run_direction(self, x: Tensor, index: int, reverse: bool, lengths: Tensor | None) -> Steps:
        weights = self.layer_weights(index, reverse)
        batch, time, _ = x.shape
        h = x.new_zeros(batch, self.hidden_size)
        c = x.new_zeros(batch, self.hidden_size) if self.spec.has_cell_state else None
        steps = Steps([None] * time, [None] * time, {name: [None] * time for name in self.spec.gates})
        order = range(time - 1, -1, -1) if reverse else range(time)
        # One unbind, not a slice per step: each slice's backward would fill a zero tensor the size
        # of the whole sequence (a gigabyte per probe of a 3-layer, 256-unit, 200-step model).
        inputs = x.unbind(1)  # time x (batch, features)
        for t in order:
            new_h, new_c, step_gates = self.spec.step(inputs[t], h, c, weights)
            if lengths is not None:
                # Padding leaves the state untouched, so the backward direction starts at the last token.
                valid = (t < lengths.to(x.device)).unsqueeze(-1)  # (batch, 1)
                new_h = torch.where(valid, new_h, h)
                new_c = torch.where(valid, new_c, c) if c is not None else None
            h, c = new_h, new_c
            steps.hidden[t], steps.cell[t] = h, c
            for name, value in step_gates.items():
                steps.gates[name][t] = value
        return steps


class SequenceModel(nn.Module):
    """Optional embedding, a recurrent encoder, and a linear head (last step or every step)."""

    def __init__(self, encoder: Encoder, num_classes: int, per_step: bool = False, vocab_size: int | None = None,
                 embedding_size: int | None = None):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_size, padding_idx=0) if vocab_size else None
        self.encoder = encoder
        self.head = nn.Linear(encoder.output_size, num_classes)
        self.per_step = per_step

    def embed(self, inputs: Tensor) -> Tensor:
        return self.embedding(inputs) if self.embedding is not None else inputs  # (batch, time, features)

    def forward(self, inputs: Tensor, lengths: Tensor | None = None, targets: Tensor | None = None) -> Tensor:
        """Logits: (batch, classes), or (batch, time, classes) for a per-step head.

        `targets` is part of the shared model contract (a decoder reads them); a classifier ignores it.
        """
        top = self.encoder(self.embed(inputs), lengths)[-1]  # (batch, time, hidden * directions)
        return self.readout(top, lengths)

    def readout(self, top: Tensor, lengths: Tensor | None) -> Tensor:
        if self.per_step:
            return self.head(top)  # (batch, time, classes)
        return self.head(self.summary(top, lengths))  # (batch, classes)

    def unrolled(self, inputs: Tensor, lengths: Tensor | None = None,
                 targets: Tensor | None = None) -> tuple[Tensor, list[list[Steps]]]:
        """Logits computed step by step, plus every per-step state (for gradient through time)."""
        layers = self.encoder.unroll(self.embed(inputs), lengths)
        top = torch.cat([torch.stack(d.hidden, dim=1) for d in layers[-1]], dim=-1)
        return self.readout(top, lengths), layers

    def summary(self, top: Tensor, lengths: Tensor | None) -> Tensor:
        """The state a many-to-one head reads: the last valid step, and for the backward half, step 1."""
        batch = top.shape[0]
        if lengths is None:
            last = top[:, -1]
        else:
            last = top[torch.arange(batch, device=top.device), lengths.to(top.device) - 1]
        if self.encoder.spec.averages:
            count = (lengths.to(top.device) if lengths is not None
                     else torch.full((batch,), top.shape[1], device=top.device))
            return last / count.to(top.dtype).unsqueeze(-1)  # (batch, hidden): the mean
        if self.encoder.directions == 1:
            return last  # (batch, hidden)
        hidden = self.encoder.hidden_size
        return torch.cat([last[:, :hidden], top[:, 0, hidden:]], dim=-1)  # (batch, 2 * hidden)

    def grad_groups(self) -> dict[str, list[nn.Parameter]]:
        """Parameters grouped as the per-layer gradient-norm chart shows them."""
        groups: dict[str, list[nn.Parameter]] = {}
        if self.embedding is not None:
            groups["embedding"] = list(self.embedding.parameters())
        for index, layer in enumerate(self.encoder.layers, start=1):
            for name, parameter in layer.named_parameters():
                part = "input" if "_ih" in name else "recurrent"
                groups.setdefault(f"layer {index} {part}", []).append(parameter)
        groups["head"] = list(self.head.parameters())
        return groups


def build_model(cell: str, input_size: int, num_classes: int, config: ModelConfig, seed: int, *,
                per_step: bool = False, vocab_size: int | None = None) -> SequenceModel:
    """The model for one cell name, initialised deterministically from the seed."""
    if cell not in REGISTRY:
        raise ValueError(f"unknown cell {cell!r}; choose from {', '.join(REGISTRY)}")
    encoder = Encoder(cell, input_size, config.hidden_size, config.num_layers, config.dropout)
    model = SequenceModel(encoder, num_classes, per_step=per_step, vocab_size=vocab_size,
                          embedding_size=input_size if vocab_size else None)
    initialise_classifier(model, seed, config.forget_bias)
    return model
