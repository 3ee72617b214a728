"""Plain-language explanations written from a run's own numbers.

The playground teaches by measuring, so each sentence quotes what this run did: accuracy against
chance, and how many orders of magnitude the gradient lost on its way back to the first step.
"""

from __future__ import annotations

import math

from core.config import CELL_LABELS, Experiment
from core.history import History


def orders_of_magnitude(ratio: float | None) -> float | None:
    """How many powers of ten separate |dL/dh_1| from |dL/dh_T| (positive means it shrank)."""
    if ratio is None or ratio <= 0 or not math.isfinite(ratio):
        return None
    return -math.log10(ratio)


def _percent(value: float | None) -> str:
    if value is None:
        return "n/a"
    text = f"{100 * value:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def memory_lines(experiment: Experiment, histories: list[History]) -> list[str]:
    """Markdown sentences comparing the cells of a memory-lab run."""
    distance = experiment.task_config.distance
    chance = 1 / experiment.task_config.symbols
    lines = []
    summaries = []
    for history in histories:
        name = CELL_LABELS.get(history.cell, history.cell)
        accuracy = history.final_val_metric()
        drop = orders_of_magnitude(history.median_grad_ratio())
        summaries.append((name, accuracy, drop, history))
    for name, accuracy, drop, history in summaries:
        if history.status == "diverged":
            lines.append(f"**{name}** diverged: {history.message}")
            continue
        verdict = _verdict(accuracy, chance)
        gradient = ""
        if drop is not None:
            direction = "falls" if drop >= 0 else "rises"
            gradient = (f" Its gradient {direction} by **{abs(drop):.1f} orders of magnitude** from the last step "
                        f"back to the first (median |dL/dh₁| / |dL/dh_{distance}| = {10 ** -drop:.1e}).")
        lines.append(f"**{name}** reached {_percent(accuracy)} validation accuracy "
                     f"(chance is {_percent(chance)}): {verdict}.{gradient}")
    drops = [(name, drop) for name, _, drop, _ in summaries if drop is not None]
    if len(drops) >= 2:
        worst = max(drops, key=lambda item: item[1])
        best = min(drops, key=lambda item: item[1])
        gap = worst[1] - best[1]
        if gap >= 1:
            lines.append(
                f"Across {distance} steps the {worst[0]} passes back about 10^{gap:.0f} times less gradient to the "
                f"first symbol than the {best[0]}. That is the vanishing gradient: the error signal that should "
                f"teach a model to store the first symbol shrinks at every step it travels back through a "
                f"squashing recurrence, while the LSTM's cell state carries it back through gates that stay open.")
    return lines


def _verdict(accuracy: float | None, chance: float) -> str:
    if accuracy is None:
        return "not evaluated yet"
    if accuracy >= 0.95:
        return "it carries the first symbol across the whole sequence"
    if accuracy <= chance + 0.15:
        return "no better than guessing, so it has not learned to remember"
    return "it remembers some of the time"
