"""Preset experiments linked from the home page; each is a share link's parameters."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    title: str
    description: str
    params: dict[str, str | list[str]]


PRESETS = (
    Preset("RNN against LSTM at distance 50",
           "the default lesson: the RNN stays at chance while the LSTM remembers, and the gradient chart "
           "shows why.",
           {"cells": ["RNN", "LSTM"], "distance": "50"}),
    Preset("Short memory: everyone wins",
           "at distance 10 even a plain RNN learns the task; the vanishing gradient only bites at length.",
           {"cells": ["RNN", "GRU", "LSTM"], "distance": "10", "steps": "300"}),
    Preset("Forget gate matters",
           "the same LSTM with its forget-gate bias at 0 instead of 1 learns much later, or not at all.",
           {"cells": ["LSTM"], "distance": "80", "forget_bias": "0", "steps": "800"}),
)
