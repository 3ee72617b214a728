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
           "the default lesson: carry one of 8 symbols across 50 noisy steps. Watch the accuracy against "
           "chance (dashed line) and how much gradient reaches the first step.",
           {"cells": ["RNN", "LSTM"], "distance": "50"}),
    Preset("Short memory",
           "at distance 10 the gradient has only a few steps to survive. Compare RNN, GRU and LSTM and see "
           "how much the vanishing gradient depends on length.",
           {"cells": ["RNN", "GRU", "LSTM"], "distance": "10", "steps": "400"}),
    Preset("Forget-gate bias at 3, distance 100",
           "an LSTM whose forget gates start nearly open (bias 3) against a GRU, twice as far: look at the "
           "forget-gate heatmap afterwards.",
           {"cells": ["GRU", "LSTM"], "distance": "100", "forget_bias": "3"}),
)
