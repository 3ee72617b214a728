"""The handwriting lesson's presets: share links shown on the home page and on its own page."""

from core.tasks.record import Preset

PRESETS = (
    Preset("handwriting", "Digits, three readers",
           "generated pen trajectories of the ten digits; afterwards draw your own and watch each model read it.",
           {"cells": ["GRU", "LSTM", "BiLSTM"], "charset": "digits"}),
    Preset("handwriting", "Lowercase letters",
           "26 classes, print and cursive faces: harder, and the confusion matrix shows which letters look alike "
           "as pen paths.",
           {"cells": ["GRU", "LSTM"], "charset": "lowercase", "steps": "1500"}),
)
