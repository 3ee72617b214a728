"""The next-word lesson in plain sentences: what a finished run measured, read off its numbers.

A seeded-story run is read on the long-range word against what guessing from frequency gives (the
likeliest answer for the kind of sentence, with no memory of the clue); a free-text run on its
validation perplexity against a unigram model's, which the page passes in from the built data.
"""

from __future__ import annotations

import math

from core.data.history import History
from core.nn.cells import model_label
from core.tasks.experiment import Experiment
from core.tasks.explaining import all_diverged, gradient_comparison, name_of, percent, readable
from core.tasks.nextword.story import frequency_expected

CARRIES = 0.9
# Within this much of the frequency guess, a model has not learned to use the clue.
NEAR_GUESS = 0.1


def story_verdict(accuracy: float, guess: float, finished: bool) -> str:
    if accuracy >= CARRIES:
        return "it carries the clue across the gap"
    if accuracy <= guess + NEAR_GUESS:
        return ("no better than guessing from frequency, so it has not learned to use the clue" if finished
                else "not yet better than guessing from frequency")
    return "it uses the clue some of the time"


def final_perplexity(history: History) -> float | None:
    values = history.scores.get("perplexity") or []
    return values[-1] if values and values[-1] is not None and math.isfinite(values[-1]) else None


def nextword_lines(experiment: Experiment, histories: list[History], unigram: float | None = None) -> list[str]:
    """Markdown sentences comparing the models of a run, each claim read from its numbers."""
    lines: list[str] = []
    story = experiment.task_config.source == "story"
    guess = frequency_expected()
    for history, stopped in readable(experiment, histories, lines):
        name, accuracy = name_of(history), history.final_val_metric()
        perplexity = final_perplexity(history)
        if story:
            verdict = story_verdict(accuracy, guess, history.status == "finished")
            lines.append(f"**{name}**{stopped} predicts the long-range word {experiment.task_config.gap} words after "
                         f"its clue in {percent(accuracy)} of validation stories (guessing from frequency gives "
                         f"about {percent(guess)}): {verdict}.")
            continue
        sentence = f"**{name}**{stopped} reaches a validation perplexity of {perplexity:.2f}" if perplexity else \
            f"**{name}**{stopped} has no validation perplexity yet"
        if perplexity and unigram:
            relation = ("below" if perplexity < unigram else "not below")
            meaning = ("so it has learned more than how often each unit occurs" if perplexity < unigram
                       else "so it has not yet learned more than how often each unit occurs")
            sentence += f", {relation} a unigram model's {unigram:.2f}, {meaning}"
        lines.append(sentence + f"; it guesses the next unit right {percent(accuracy)} of the time.")
    lines += all_diverged(experiment, histories)
    if story:
        lines += story_summary(experiment, histories, guess)
        # The probe reads from the first word of a language story ("i grew up in <clue>") to the long-range word.
        lines += gradient_comparison(histories, f"{experiment.task_config.gap + 10} words", "the story's first word")
    return lines


def story_summary(experiment: Experiment, histories: list[History], guess: float) -> list[str]:
    """The article's claim about long gaps, said only where this run's finished models show it, and
    what the run shows instead where they do not."""
    finished = {history.cell: history.final_val_metric() for history in histories
                if history.status == "finished" and history.final_val_metric() is not None}
    carried = sorted(model_label(cell) for cell, accuracy in finished.items() if accuracy >= CARRIES)
    lost = sorted(model_label(cell) for cell, accuracy in finished.items()
                  if accuracy <= guess + NEAR_GUESS)
    if len(finished) < 2:
        return []
    gap = experiment.task_config.gap
    if carried and lost:
        return [f"This run shows the article's point: after a gap of {gap} words, {' and '.join(carried)} still "
                f"predicts the word the clue decides, while {' and '.join(lost)} does no better than guessing "
                "from frequency."]
    if len(carried) == len(finished):
        return [f"At a gap of {gap} words every model carries the clue, so this run does not show the long-gap "
                "problem: lengthen the gap to see which model loses it first."]
    if len(lost) == len(finished):
        return [f"No model uses the clue yet at a gap of {gap} words: train longer or shorten the gap."]
    return []
