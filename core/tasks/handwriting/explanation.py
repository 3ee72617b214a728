"""The handwriting lesson in plain sentences: what a finished run measured, for its page."""

from __future__ import annotations

from core.data.history import History
from core.tasks.experiment import Experiment
from core.tasks.explaining import (
    all_diverged,
    change_words,
    gradient_ratios,
    name_of,
    orders_of_magnitude,
    percent,
    readable,
    where_measured,
)


def handwriting_lines(experiment: Experiment, histories: list[History]) -> list[str]:
    """Markdown sentences on each model's accuracy, its hardest characters and commonest confusion."""
    lines = []
    for history, stopped in readable(experiment, histories, lines):
        sentence = (f"**{name_of(history)}**{stopped} read {percent(history.final_val_metric())} of the validation "
                    "characters")
        per_class = history.per_class_accuracy()
        if per_class:
            hardest = sorted(per_class.items(), key=lambda item: item[1])[:2]
            sentence += "; hardest: " + ", ".join(f"“{name}” {percent(value)}" for name, value in hardest)
        confusion = _commonest_confusion(history)
        if confusion:
            sentence += f"; most often it took {confusion}"
        lines.append(sentence + ".")
    lines += all_diverged(experiment, histories)
    ratios = gradient_ratios(histories)
    if ratios:
        points = experiment.task_config.points
        drops = [(history, orders_of_magnitude(ratio)) for history, ratio in ratios]
        sentence = (f"From the last pen point back to the first, over {points} points, the gradient "
                    + "; ".join(f"of the {name_of(history)} {change_words(drop)} ({where_measured(history)})"
                                for history, drop in drops))
        if all(abs(drop) < 1 for _, drop in drops):
            sentence += (": on paths this short no cell's gradient fades by even one order of magnitude; raise the "
                         "points per character to stretch the distance.")
        else:
            sentence += "."
        lines.append(sentence)
    return lines


def _commonest_confusion(history: History) -> str:
    best, count = None, 0
    for true, row in enumerate(history.confusion):
        for predicted, value in enumerate(row):
            if true != predicted and value > count:
                best, count = (true, predicted), value
    if best is None:
        return ""
    names = history.class_names
    return f"a “{names[best[0]]}” for a “{names[best[1]]}” ({count} times)"
