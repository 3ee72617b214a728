"""The memory task: the label is the first symbol, followed by a long run of distractors.

A model only gets it right by carrying the first step's symbol across the whole sequence, which
is exactly what a plain RNN's vanishing gradient prevents it from learning at long distances.
Inputs are one-hot vectors over the K signal symbols and a few distractor symbols; the noise level
is how often a distractor appears instead of a blank step.
"""

from __future__ import annotations

import torch

from core.config import MemoryTaskConfig
from core.tasks.base import TaskData

DISTRACTORS = 4
TRAIN_SIZE = 4096
VAL_SIZE = 512
PROBE_SIZE = 64


def make_sequences(config: MemoryTaskConfig, count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` sequences (count, distance, symbols + distractors) and their labels (count,).

    After the first step each position is blank (all zeros) or, with probability `noise`, a random
    distractor symbol the model must learn to ignore.
    """
    generator = torch.Generator().manual_seed(seed)
    features = config.symbols + DISTRACTORS
    labels = torch.randint(0, config.symbols, (count,), generator=generator)
    tokens = torch.randint(config.symbols, features, (count, config.distance), generator=generator)
    tokens[:, 0] = labels
    shown = torch.rand((count, config.distance), generator=generator) < config.noise
    shown[:, 0] = True
    inputs = torch.nn.functional.one_hot(tokens, features).float()  # (count, distance, features)
    return inputs * shown.unsqueeze(-1), labels


def build(config: MemoryTaskConfig, seed: int) -> TaskData:
    """Seeded train, validation and probe sets; each split has its own stream of randomness."""
    train_inputs, train_targets = make_sequences(config, TRAIN_SIZE, seed * 3 + 0)
    val_inputs, val_targets = make_sequences(config, VAL_SIZE, seed * 3 + 1)
    probe_inputs, probe_targets = make_sequences(config, PROBE_SIZE, seed * 3 + 2)
    return TaskData(
        train_inputs=train_inputs,
        train_targets=train_targets,
        val_inputs=val_inputs,
        val_targets=val_targets,
        probe_inputs=probe_inputs,
        probe_targets=probe_targets,
        input_size=config.symbols + DISTRACTORS,
        num_classes=config.symbols,
        metric="accuracy",
        position_label="steps back from the end",
    )


def describe_symbol(token: int, symbols: int) -> str:
    """A readable name for one input token, for tables and explanations."""
    if token < symbols:
        return "ABCDEFGH"[token]
    return "·"
