"""Plain-language explanations written from a run's own numbers.

The playground teaches by measuring, so each sentence quotes what this run did: accuracy against
chance, and how many orders of magnitude the gradient lost on its way back to the first step.
Every claim is read off the numbers it quotes: which model passes more gradient (and at which
probes that was measured), a diverged model's message instead of its accuracy, how far a stopped
run got, and the vanishing-gradient lesson only where this run's plain RNN really passes at least
ten times less gradient than its LSTM. tests/test_explain.py checks the sentences against many
generated histories.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from core.data.history import History
from core.nn.cells import model_label
from core.nn.models import REGISTRY
from core.tasks.experiment import Experiment


def orders_of_magnitude(ratio: float | None) -> float | None:
    """How many powers of ten separate |dL/dh_1| from |dL/dh_T| (positive means it shrank)."""
    if ratio is None or ratio <= 0 or not math.isfinite(ratio):
        return None
    return -math.log10(ratio)


def percent(value: float | None) -> str:
    if value is None:
        return "n/a"
    text = f"{100 * value:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


# Cells whose recurrence squashes the whole state at every step, and cells with a gated cell state:
# the vanishing-gradient lesson compares the first kind with the second, and nothing else. Both
# are read from the cell registry, so a new cell kind takes its side without an edit here.
PLAIN_CELLS = tuple(name for name, spec in REGISTRY.items() if not spec.gates and not spec.averages)
CELL_STATE_CELLS = tuple(name for name, spec in REGISTRY.items() if spec.has_cell_state)
# Accuracy within this of chance is not called better than chance.
CHANCE_MARGIN = 0.15


def name_of(history: History) -> str:
    return model_label(history.cell)


def stopped_note(experiment: Experiment, history: History) -> str:
    """' (stopped after 120 of 800 steps)' for a run that did not finish, '' for one that did."""
    if history.status == "finished":
        return ""
    done, total = len(history.steps), experiment.train.steps
    if history.status == "stopped":
        return f" (stopped after {done} of {total} steps)"
    return f" ({done} of {total} steps so far)"


def unreadable(experiment: Experiment, history: History) -> str | None:
    """The one sentence for a model whose run left no final numbers to read (it diverged, or it was
    never evaluated), else None: a lesson then goes on to read its numbers."""
    if history.status == "diverged":
        return f"**{name_of(history)}** diverged: {history.message}"
    if history.final_val_metric() is None:
        return f"**{name_of(history)}**{stopped_note(experiment, history)} has not been evaluated yet."
    return None


def readable(experiment: Experiment, histories: list[History], lines: list[str]) -> Iterator[tuple[History, str]]:
    """Each model with final numbers to read, with its stopped_note; the sentence of every other
    one (diverged, never evaluated) goes to `lines` in its place."""
    for history in histories:
        sentence = unreadable(experiment, history)
        if sentence is not None:
            lines.append(sentence)
        else:
            yield history, stopped_note(experiment, history)


def where_measured(history: History) -> str:
    """Which probes a gradient figure comes from: 'median over 5 probes' or 'at step 300'."""
    steps = [step for step, _ in history.grad_ratios_by_step()]
    if len(steps) == 1:
        return f"at step {steps[0]}"
    return f"median over {len(steps)} probes"


def chance_verdict(accuracy: float, chance: float, finished: bool) -> str:
    if accuracy >= 0.95:
        return "it carries the first symbol across the whole sequence"
    if accuracy <= chance + CHANCE_MARGIN:
        return ("not clearly better than guessing, so it has not learned to remember" if finished
                else "not yet clearly better than guessing")
    return "it remembers some of the time"


def all_diverged(histories: list[History]) -> list[str]:
    if histories and all(history.status == "diverged" for history in histories):
        return ["Every model diverged, so this run shows no lesson yet: lower the learning rate or turn on "
                "gradient clipping, then train again."]
    return []


def gradient_ratios(histories: list[History]) -> list[tuple[History, float]]:
    """(history, median |dL/dh_1| / |dL/dh_T|) of every model that did not diverge and was probed."""
    ratios = []
    for history in histories:
        ratio = history.median_grad_ratio()
        if history.status != "diverged" and orders_of_magnitude(ratio) is not None:
            ratios.append((history, ratio))
    return ratios


def gradient_comparison(histories: list[History], distance_words: str, first_words: str) -> list[str]:
    """Which model passes more gradient back to the first step, and the vanishing-gradient lesson
    only where this run shows it: a plain RNN's ratio at least 10 times below an LSTM's."""
    ratios = gradient_ratios(histories)
    if len(ratios) < 2:
        return []
    more, most = max(ratios, key=lambda item: item[1])
    less, least = min(ratios, key=lambda item: item[1])
    gap = math.log10(most) - math.log10(least)
    if gap < 1:
        return [f"Every model passes back gradient to {first_words} within a factor of 10 of the others "
                f"({', '.join(f'{name_of(h)} {r:.1e} ({where_measured(h)})' for h, r in ratios)})."]
    lines = [f"Across {distance_words} the {name_of(more)} passes back about 10^{gap:.1f} times more gradient to "
             f"{first_words} than the {name_of(less)} (|dL/dh₁| / |dL/dh_T|: {most:.1e}, {where_measured(more)}, "
             f"against {least:.1e}, {where_measured(less)})."]
    plain = [(h, r) for h, r in ratios if h.cell in PLAIN_CELLS]
    gated = [(h, r) for h, r in ratios if h.cell in CELL_STATE_CELLS]
    if plain and gated:
        weakest, weakest_ratio = min(plain, key=lambda item: item[1])
        strongest, strongest_ratio = max(gated, key=lambda item: item[1])
        if strongest_ratio >= 10 * weakest_ratio:
            lines.append(f"That is the vanishing gradient: the {name_of(weakest)}'s error signal shrinks at every "
                         f"step it travels back through its squashing recurrence, while the {name_of(strongest)}'s "
                         "cell state carries it back through gates that stay open.")
        elif weakest_ratio > strongest_ratio:
            lines.append(f"In this run the {name_of(weakest)} passes back more gradient than the "
                         f"{name_of(strongest)}, so it does not show a plain RNN losing its error signal faster.")
    return lines
