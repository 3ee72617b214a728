"""The memory task: the label is the first symbol, followed by a long run of distractors.

A model only gets it right by carrying the first step's symbol across the whole sequence, which
is exactly what a plain RNN's vanishing gradient prevents it from learning at long distances.
The first step is a one-hot vector over the K symbols; every later step is a distractor of random
noise. A plain RNN cannot shut its state off from that noise; an LSTM's input gate can.
"""

from __future__ import annotations

import torch

from core.tasks.base import DataShape, TaskData
from core.tasks.memory.config import MemoryTaskConfig

TRAIN_SIZE = 4096
VAL_SIZE = 512
PROBE_SIZE = 32


def make_sequences(config: MemoryTaskConfig, count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` sequences (count, distance, symbols) and their labels (count,).

    Step 1 shows the symbol to remember as a one-hot vector; every later step is a distractor,
    a random vector with Gaussian entries of standard deviation `noise`.
    """
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, config.symbols, (count,), generator=generator)
    # Scaled in place: the same numbers as `randn(...) * noise` without a second copy of the inputs.
    inputs = torch.randn((count, config.distance, config.symbols), generator=generator).mul_(config.noise)
    inputs[:, 0] = torch.nn.functional.one_hot(labels, config.symbols).float()
    return inputs, labels  # (count, distance, symbols), (count,)


def build(config: MemoryTaskConfig, seed: int) -> TaskData:
    """Seeded train, validation and probe sets; each split has its own stream of randomness."""
    return _splits(config, seed, make_sequences(config, TRAIN_SIZE, seed * 3 + 0))


def build_views(config: MemoryTaskConfig, seed: int) -> TaskData:
    """`build`'s data without its training examples (an eighth of the whole): the validation and
    probe sets come from streams of their own, so they are the very examples the run was scored on."""
    empty = (torch.empty((0, config.distance, config.symbols)), torch.empty((0,), dtype=torch.long))
    return _splits(config, seed, empty)


def _splits(config: MemoryTaskConfig, seed: int, train: tuple[torch.Tensor, torch.Tensor]) -> TaskData:
    train_inputs, train_targets = train
    val_inputs, val_targets = make_sequences(config, VAL_SIZE, seed * 3 + 1)
    probe_inputs, probe_targets = make_sequences(config, PROBE_SIZE, seed * 3 + 2)
    return TaskData(
        train_inputs=train_inputs,
        train_targets=train_targets,
        val_inputs=val_inputs,
        val_targets=val_targets,
        probe_inputs=probe_inputs,
        probe_targets=probe_targets,
        input_size=config.symbols,
        num_classes=config.symbols,
        metric="accuracy",
        position_label="steps back from the end",
        class_names=tuple(describe_symbol(symbol) for symbol in range(config.symbols)),
    )


def data_shape(config: MemoryTaskConfig) -> DataShape:
    """The shape `build` gives, without building it (for the server's memory budget)."""
    return DataShape(train_examples=TRAIN_SIZE, val_examples=VAL_SIZE, probe_examples=PROBE_SIZE,
                     length=config.distance, features=config.symbols, num_classes=config.symbols)


def describe_symbol(token: int) -> str:
    """A readable name for a symbol index, for tables and explanations."""
    return "ABCDEFGH"[token]
