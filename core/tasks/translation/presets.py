"""The translation lesson's presets: share links shown on the home page and on its own page."""

from core.tasks.record import Preset
from core.tasks.translation.sizing import SHIPPED_PAIR_COUNT, pair_file_settings

PRESETS = (
    Preset("translation", "Number words: why attention",
           "English number words into German, which puts units before tens (“twenty-one” → “einundzwanzig”). "
           "The same LSTM with and without additive attention: watch exact match on numbers it never saw, and "
           "the attention map learning to cross.",
           {"cells": ["LSTM"], "source": "numbers", "target_language": "de", "attention": ["none", "additive"]}),
    Preset("translation", "French counts in twenties",
           "“ninety-seven” → “quatre-vingt-dix-sept”: additive (Bahdanau) against multiplicative (Luong) "
           "attention, and a beam of 4 when you type a phrase.",
           {"cells": ["LSTM"], "source": "numbers", "target_language": "fr",
            "attention": ["additive", "multiplicative"], "beam_width": "4"}),
    Preset("translation", "Dates and quantities",
           "“April 20, 2062” → “20. April 2062”, “12.5 kilometers” → “12,5 Kilometer”: CLDR's own rules, "
           "with a GRU encoder read in both directions.",
           {"cells": ["BiGRU"], "source": "dates", "target_language": "de", "attention": ["none", "additive"]}),
    Preset("translation", "Sentences",
           "Real everyday sentences, not generated ones: 16,000 short English–German pairs from Tatoeba "
           "(“I'm not going anywhere today.”). The settings a file of this size gets (epochs, vocabulary, "
           "model size, a decaying learning rate, the best weights kept by chrF); a few minutes of training, "
           "then type your own sentence.",
           {"cells": ["LSTM"], "source": "sentences", "attention": ["none", "additive"],
            **pair_file_settings(SHIPPED_PAIR_COUNT)}),
)
