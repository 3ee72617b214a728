"""The sentiment lesson's presets: share links shown on the home page and on its own page."""

from core.tasks.record import Preset

PRESETS = (
    Preset("sentiment", "Word-order puzzles",
           "negations (“not good”), contrasts (“dull but moving”) and filler words: the bag of words is stuck "
           "near chance on the negated and contrasted items that the recurrent models learn.",
           {"cells": ["RNN", "LSTM", "BiLSTM", "BoW"], "source": "puzzles"}),
    Preset("sentiment", "Long range",
           "a verdict comes first (“the film was superb”), then up to four opinions on the popcorn and the "
           "seats that do not count. The plain RNN is swamped by the later opinions; the LSTM's gates hold "
           "on to the verdict.",
           {"cells": ["RNN", "LSTM", "BiLSTM", "BoW"], "source": "puzzles", "opinions": "4", "steps": "300"}),
    Preset("sentiment", "Real movie reviews",
           "Rotten Tomatoes snippets: here most words carry their own sentiment, so the bag of words is a strong "
           "baseline; see where word order still helps (sentences with a negation or a contrast).",
           {"cells": ["LSTM", "BiLSTM", "BoW"], "source": "reviews"}),
)
