"""The translation lesson's presets: share links shown on the home page and on its own page."""

from core.tasks.record import Preset

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
)
