"""Looking inside a trained model: gates, cell state and hidden state for one example.

The UI draws what this returns; it rebuilds the stored model from its saved weights and runs the
step-by-step inspect path, which uses the same parameters as the fused forward.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.nn.cells import cell_of
from core.nn.models import REGISTRY
from core.tasks.base import TaskData
from core.tasks.experiment import Experiment


@dataclass
class ExampleTrace:
    """One example through a trained model's encoder; arrays are (time, units) of the top layer."""

    cell: str
    # What the model answered for the example, in a sentence written by the task's problem.
    summary: str
    hidden: np.ndarray
    cell_state: np.ndarray | None
    gates: dict[str, np.ndarray]

    def strongest_units(self, count: int = 3) -> list[int]:
        """Units whose final cell (or hidden) state is largest: where the memory most likely lives."""
        states = self.cell_state if self.cell_state is not None else self.hidden
        return [int(unit) for unit in np.argsort(-np.abs(states[-1]))[:count]]


def has_gates(name: str) -> bool:
    """Whether the model's cell has gates to look at (its encoder's, for an encoder-decoder)."""
    return bool(REGISTRY[cell_of(name)].gates)


def load_model(experiment: Experiment, name: str, data: TaskData, weights: dict[str, torch.Tensor]):
    """A stored model rebuilt by the task's own problem, with its saved weights, in eval mode."""
    model = data.problem.build_model(data, name, experiment.model, experiment.seed)
    model.load_state_dict(weights)
    return model.eval()


@torch.no_grad()
def prefix_probabilities(model: torch.nn.Module, inputs: torch.Tensor, length: int | None = None) -> np.ndarray:
    """(steps, classes): what the model would answer if the sequence ended after each step.

    Every prefix is read as a whole sequence of its own, so for a bidirectional model the backward
    direction also sees only the prefix: the view shows the answer as the reading progresses.
    """
    length = int(length or inputs.shape[1])
    clipped = inputs[:, :length]
    prefixes = clipped.expand(length, *clipped.shape[1:])  # (steps, time, ...): row k reads k + 1 steps
    lengths = torch.arange(1, length + 1)
    probabilities = torch.softmax(model.eval()(prefixes, lengths), dim=-1)
    return probabilities.numpy()


def trace_example(experiment: Experiment, name: str, data: TaskData, weights: dict[str, torch.Tensor],
                  index: int) -> ExampleTrace:
    """Run validation example `index` through the stored model's encoder and keep every state."""
    index = max(0, min(index, data.val_targets.shape[0] - 1))
    model = load_model(experiment, name, data, weights)
    inputs = data.val_inputs[index: index + 1].cpu()  # (1, time, features) or (1, time) token ids
    if data.val_lengths is not None:
        # One example needs no padding: read exactly its own steps.
        inputs = inputs[:, : int(data.val_lengths[index])]
    with torch.no_grad():
        summary = data.problem.describe_example(model, data, index, inputs)
        trace = model.encoder.inspect(model.embed(inputs))
    return ExampleTrace(
        cell=name,
        summary=summary,
        hidden=trace.hidden[-1][0].numpy(),
        cell_state=trace.cell[-1][0].numpy() if trace.cell is not None else None,
        gates={gate: values[0].numpy() for gate, values in trace.gates[-1].items()},
    )
