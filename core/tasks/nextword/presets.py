"""The next-word lesson's presets: share links shown on the home page and on its own page."""

from core.tasks.record import Preset

PRESETS = (
    Preset("nextword", "The word after a long gap",
           "the default lesson: \"I grew up in France ... so I speak fluent ___\". RNN against LSTM; watch the "
           "long-range word's accuracy and the live samples.",
           {"cells": ["RNN", "LSTM"], "gap": "12"}),
    Preset("nextword", "A longer gap, three cells",
           "twice the gap: RNN, GRU and LSTM side by side; which of them still remembers the clue?",
           {"cells": ["RNN", "GRU", "LSTM"], "gap": "24"}),
    Preset("nextword", "Hamlet, character by character",
           "a character-level language model on Shakespeare's Hamlet; the live samples turn from noise into "
           "words and speakers' names while it trains.",
           {"cells": ["GRU", "LSTM"], "source": "hamlet", "units": "characters"}),
)
