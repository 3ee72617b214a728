"""A step's check read from a run's stored numbers: did this run show what the step teaches?

The answer is one of three: shown, not shown, or cannot tell (a model missing, diverged or never
evaluated), each with sentences that fit that run's numbers, so a run that did not show the point
is never told the textbook story. Measures: "metric", the final validation metric (accuracy, F1,
exact match: higher is better), and "gradient", the median over probes of log10 of the gradient
reaching the first step over the gradient at the last (higher: more gradient reaches back).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from core.data.history import History
from core.guided.lesson import Check
from core.nn.cells import model_label


@dataclass(frozen=True)
class Outcome:
    shown: bool | None  # None: the run cannot answer the step's question
    text: str


def measure(history: History, name: str) -> float | None:
    """A model's number for a check; None when the run has none (never evaluated or probed)."""
    if name == "gradient":
        ratio = history.median_grad_ratio()
        return math.log10(ratio) if ratio is not None and ratio > 0 else None
    value = history.final_val_metric()
    return value if value is not None and math.isfinite(value) else None


def shown_as(value: float, name: str) -> str:
    """A measure in words: a percentage for a metric, a power of ten for a gradient."""
    return f"10^{value:.1f}" if name == "gradient" else f"{value:.0%}"


def _unusable(history: History | None, label: str, name: str) -> str | None:
    if history is None:
        return f"this run has no {label}, so it cannot answer this step's question."
    if history.status in ("diverged", "failed"):
        return f"the {label} {history.status} in this run, so it cannot answer this step's question."
    if measure(history, name) is None:
        what = "gradient probe" if name == "gradient" else "evaluation"
        return f"the {label} has no {what} yet in this run, so it cannot answer this step's question."
    return None


def outcome(check: Check, histories: Mapping[str, History]) -> Outcome:
    """What this run shows for the step's check, in words that fit its numbers."""
    names = [check.model] + ([check.than] if check.than else [])
    for name in names:
        reason = _unusable(histories.get(name), model_label(name), check.measure)
        if reason:
            return Outcome(None, reason[0].upper() + reason[1:])
    value = measure(histories[check.model], check.measure)
    words = {"model": model_label(check.model), "model_value": shown_as(value, check.measure), "than": "",
             "than_value": "", "margin": "", "difference": ""}
    if check.than is not None:
        other = measure(histories[check.than], check.measure)
        difference = value - other
        shown = difference > check.margin
        words.update(than=model_label(check.than), than_value=shown_as(other, check.measure),
                     difference=_amount(difference, check.measure), margin=_amount(check.margin, check.measure))
    elif check.above is not None:
        shown = value > check.above
        words.update(than_value=shown_as(check.above, check.measure))
    else:
        shown = value < check.below
        words.update(than_value=shown_as(check.below, check.measure))
    return Outcome(shown, (check.shown if shown else check.not_shown).format_map(words))


def _amount(value: float, name: str) -> str:
    """A difference in words: points of a percentage, or orders of magnitude of a gradient."""
    if name == "gradient":
        return f"{value:.1f} orders of magnitude"
    return f"{value * 100:.0f} points"
