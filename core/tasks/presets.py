"""Preset experiments: each is a share link's parameters, shown on the home page and its own page.

They live in core/ so that `python -m core warm` can train them all into the run store without
the web framework; ui/presets.py draws them as links.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.tasks.experiment import Experiment, from_params


@dataclass(frozen=True)
class Preset:
    task: str
    title: str
    description: str
    params: dict[str, str | list[str]]

    def experiment(self) -> tuple[Experiment, list[str]]:
        """The experiment its link opens (the page names the task), and what the validator changed."""
        return from_params({**self.params, "task": self.task})


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
    Preset("handwriting", "Digits, three readers",
           "generated pen trajectories of the ten digits; afterwards draw your own and watch each model read it.",
           {"cells": ["GRU", "LSTM", "BiLSTM"], "charset": "digits"}),
    Preset("handwriting", "Lowercase letters",
           "26 classes, print and cursive faces: harder, and the confusion matrix shows which letters look alike "
           "as pen paths.",
           {"cells": ["GRU", "LSTM"], "charset": "lowercase", "steps": "1500"}),
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


def of_task(task: str) -> list[Preset]:
    return [preset for preset in PRESETS if preset.task == task]
