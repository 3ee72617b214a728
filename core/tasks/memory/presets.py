"""The memory lesson's presets: share links shown on the home page and on its own page."""

from core.tasks.record import Preset

PRESETS = (
    Preset("memory", "RNN against LSTM at distance 50",
           "the default lesson: carry one of 8 symbols across 50 noisy steps. Watch the accuracy against "
           "chance (dashed line) and how much gradient reaches the first step.",
           {"cells": ["RNN", "LSTM"], "distance": "50"}),
    Preset("memory", "Short memory",
           "at distance 10 the gradient has only a few steps to survive. Compare RNN, GRU and LSTM and see "
           "how much the vanishing gradient depends on length.",
           {"cells": ["RNN", "GRU", "LSTM"], "distance": "10", "steps": "400"}),
    Preset("memory", "Forget-gate bias at 3, distance 100",
           "an LSTM whose forget gates start nearly open (bias 3) against a GRU, twice as far: look at the "
           "forget-gate heatmap afterwards.",
           {"cells": ["GRU", "LSTM"], "distance": "100", "forget_bias": "3"}),
)
