"""Measurements taken on a model without changing it: gradient through time and gradient norms.

The gradient-through-time probe is the number the whole playground is about: the mean norm of
dL/dh_t at every time step t of every layer. When it falls by orders of magnitude from the end of
the sequence back to its start, the first steps cannot learn: the vanishing gradient.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def sequence_loss(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean cross-entropy over every scored item; padded steps carry target -100."""
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                             ignore_index=-100)


def loss_and_correct(logits: Tensor, targets: Tensor) -> tuple[Tensor, Tensor, int]:
    """Mean cross-entropy, the number of correct predictions and how many were scored.

    Per-step heads give (batch, time, classes) logits; padded steps carry target -100.
    """
    flat_logits = logits.reshape(-1, logits.shape[-1])  # (items, classes)
    flat_targets = targets.reshape(-1)  # (items,)
    loss = sequence_loss(logits, targets)
    scored = flat_targets != -100
    correct = (flat_logits.argmax(dim=-1) == flat_targets) & scored
    return loss, correct.sum(), int(scored.sum())


def gradient_through_time(model: nn.Module, inputs: Tensor, targets: Tensor,
                          lengths: Tensor | None = None) -> dict[str, list[float]]:
    """Per encoder layer, the batch-mean norm of dL/dh_t for t = 1..T, without touching parameter grads.

    The fused kernels hide h_t inside themselves, so the model is unrolled step by step with the
    same weights; each h_t is then a node whose gradient sums every path from the loss back to it.
    For a bidirectional layer, h_t joins both directions' states. For an encoder-decoder, t runs
    over the source and the loss is the decoder's: how much of its error reaches each source step.
    """
    with torch.enable_grad():
        logits, layers = model.unrolled(inputs, lengths, targets)
        loss, _, _ = loss_and_correct(logits, targets)
        states = [h for layer in layers for direction in layer for h in direction.hidden]
        grads = iter(torch.autograd.grad(loss, states, allow_unused=True))
    result = {}
    for index, layer in enumerate(layers, start=1):
        squares = None
        for direction in layer:
            per_step = [next(grads) for _ in direction.hidden]
            stacked = torch.stack([g if g is not None else torch.zeros_like(h)
                                   for g, h in zip(per_step, direction.hidden)], dim=1)  # (batch, time, hidden)
            square = stacked.pow(2).sum(dim=-1)  # (batch, time)
            squares = square if squares is None else squares + square
        norms = squares.sqrt()  # (batch, time)
        if lengths is not None:
            norms = _from_the_end(norms.detach(), lengths)
        else:
            norms = norms.mean(dim=0)  # (time,)
        result[f"layer {index}"] = [float(value) for value in norms.detach().cpu()]
    return result


def _from_the_end(norms: Tensor, lengths: Tensor) -> Tensor:
    """Per-example norms (batch, time) of sequences of different lengths, aligned at their last step.

    Position -1 is every example's last token, -2 the one before, and so on; each position is
    averaged over the examples long enough to have it, and positions that fewer than half of them
    reach are left out, so the curve spans a typical sequence rather than the one longest.
    """
    batch, time = norms.shape
    lengths = lengths.to(norms.device).clamp(1, time)
    back = torch.arange(time, device=norms.device)  # 0 = last step
    source = (lengths.unsqueeze(1) - 1 - back.unsqueeze(0))  # (batch, time): index of that step, or < 0
    valid = source >= 0
    aligned = torch.where(valid, norms.gather(1, source.clamp(min=0)), torch.zeros_like(norms))
    counts = valid.sum(dim=0)
    keep = int((counts * 2 >= batch).sum())
    means = aligned.sum(dim=0)[:keep] / counts[:keep]
    return means.flip(0)  # oldest position first, like an unpadded sequence


def gradient_norms(model: nn.Module) -> tuple[dict[str, float], float]:
    """The gradient norm of each parameter group (per layer input-to-hidden, hidden-to-hidden,
    head) and the total over all parameters, read back from the device in a single transfer."""
    names, grads = [], []
    for name, parameters in model.grad_groups().items():
        for parameter in parameters:
            if parameter.grad is not None:
                names.append(name)
                grads.append(parameter.grad.detach())
    if not grads:
        return {name: 0.0 for name in model.grad_groups()}, 0.0
    squares = torch.stack(torch._foreach_norm(grads)).pow(2).tolist()  # one value per parameter
    totals = dict.fromkeys(model.grad_groups(), 0.0)
    for name, square in zip(names, squares):
        totals[name] += square
    return {name: math.sqrt(value) for name, value in totals.items()}, math.sqrt(sum(squares))
