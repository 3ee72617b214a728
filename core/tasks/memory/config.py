"""The memory lesson's own settings."""

from __future__ import annotations

from dataclasses import dataclass

from core.settings.fields import setting


@dataclass(frozen=True)
class MemoryTaskConfig:
    """The memory task: remember the first symbol across a run of distractors."""

    distance: int = setting(
        50, low=5, high=200, label="Distance",
        help="Sequence length: how many steps the first symbol must be carried to the end.",
    )
    symbols: int = setting(
        8, low=2, high=8, label="Symbols",
        help="How many symbols the first step can show (chance accuracy is 1 / symbols).",
    )
    noise: float = setting(
        0.6, low=0.0, high=2.0, step=0.1, label="Noise",
        help="Strength (standard deviation) of the random distractor vectors after the first step.",
    )
