"""Preset experiments of the named-entity lesson, shown on the home page and its own page."""

from core.tasks.record import Preset

PRESETS = (
    Preset("ner", "Who, where, which firm?",
           "a plain RNN, an LSTM, a bidirectional LSTM and a word-by-word baseline tag the same sentences: "
           "only the bidirectional reader can tag a name that the words after it decide.",
           {"cells": ["RNN", "LSTM", "BiLSTM", "BoW"]}),
    Preset("ner", "GRU both ways",
           "a GRU against a bidirectional GRU: the same cell, read forward only or both ways.",
           {"cells": ["GRU", "BiGRU"]}),
)
