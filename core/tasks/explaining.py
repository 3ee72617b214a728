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
from core.nn.cells import cell_of, model_label
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
# Scores this close are not called better or worse.
SAME_SCORE = 0.02


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
        # The status box above the charts quotes the divergence and its advice; said once, there.
        return f"**{name_of(history)}** diverged, so it has no accuracy to read (the box above says where and why)."
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


def change_words(drop: float, bold: bool = False) -> str:
    """'falls by 2.3 orders of magnitude', 'rises by 0.4 ...', or 'stays level' where the change rounds
    to nothing: one wording for every lesson, never a sign to decode or a '-0.0'."""
    size = round(abs(drop), 1)
    if size == 0:
        return "stays level (less than 0.05 orders of magnitude of change)"
    amount = f"{size:.1f} orders of magnitude"
    return f"{'falls' if drop > 0 else 'rises'} by {f'**{amount}**' if bold else amount}"


def wilson_interval(share: float, count: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion measured on `count` items: unlike share ± 2
    standard errors it stays inside [0, 1] and is honest at 0% and 100%, where a small set most
    often lands."""
    if count <= 0:
        return 0.0, 1.0
    denominator = 1 + z * z / count
    centre = (share + z * z / (2 * count)) / denominator
    spread = z * math.sqrt(share * (1 - share) / count + z * z / (4 * count * count)) / denominator
    # Rounding can leave the bound a hair inside 0% or 100%; the measured share is always inside.
    return max(0.0, min(share, centre - spread)), min(1.0, max(share, centre + spread))


# Below this many validation items a share is reported with its interval and a warning.
SMALL_VALIDATION = 200


def share_of(share: float, count: int | None, items: str) -> str:
    """'97% of the 1,000 validation pairs', with its 95% interval when the set is small."""
    if count is None:
        return f"{percent(share)} of the {items}"
    text = f"{percent(share)} of the {count:,} {items}"
    if count < SMALL_VALIDATION:
        low, high = wilson_interval(share, count)
        text += f" (95% interval {percent(low)}-{percent(high)})"
    return text


def small_validation_warning(count: int | None, items: str) -> list[str]:
    """A plain warning when the scores come from too few items to be trusted."""
    if count is None or count >= SMALL_VALIDATION:
        return []
    return [f"Only {count:,} {items} were held out for validation, so each one moves a share by "
            f"{100 / count:.1f} points: these scores can be far from how the model does on new input. A file with "
            f"more lines gives a figure you can trust (from {SMALL_VALIDATION:,} held-out items on)."]


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


def all_diverged(experiment: Experiment, histories: list[History]) -> list[str]:
    """What to change when no model survived; clipping is suggested only where it is off."""
    if histories and all(history.status == "diverged" for history in histories):
        change = ("lower the learning rate" if experiment.train.clip > 0
                  else "lower the learning rate or turn on gradient clipping")
        return [f"Every model diverged, so this run shows no lesson yet: {change}, then train again."]
    return []


def gradient_ratios(histories: list[History]) -> list[tuple[History, float]]:
    """(history, median |dL/dh_1| / |dL/dh_T|) of every model that did not diverge and was probed."""
    ratios = []
    for history in histories:
        ratio = history.median_grad_ratio()
        if history.status != "diverged" and orders_of_magnitude(ratio) is not None:
            ratios.append((history, ratio))
    return ratios


def reads_one_way(history: History) -> bool:
    """Whether a model reads its sequence in one direction through a recurrence: only then is its
    first step the farthest its error signal travels (a bidirectional model's backward half reads
    the first step last; a bag of words has no recurrence at all)."""
    spec = REGISTRY.get(cell_of(history.cell))
    return spec is not None and not spec.bidirectional and not spec.averages


def gradient_comparison(histories: list[History], distance_words: str, first_words: str) -> list[str]:
    """Which model passes more gradient back to the first step, among the models that read one way
    (like with like), and the vanishing-gradient lesson only where this run shows it: a plain RNN's
    ratio at least 10 times below an LSTM's. Bidirectional models get a sentence of their own."""
    ratios = gradient_ratios(histories)
    one_way = [(h, r) for h, r in ratios if reads_one_way(h)]
    lines = []
    if len(one_way) >= 2:
        lines += _one_way_comparison(one_way, distance_words, first_words)
    for history, ratio in ratios:
        if REGISTRY[cell_of(history.cell)].bidirectional:
            lines.append(f"The {name_of(history)} reads in both directions, so {first_words} is also where its "
                         f"backward half ends: its |dL/dh₁| / |dL/dh_T| ({ratio:.1e}, {where_measured(history)}) "
                         "is not a distance its error signal travelled, and it is left out of the comparison above.")
    return lines


def _one_way_comparison(ratios: list[tuple[History, float]], distance_words: str, first_words: str) -> list[str]:
    names = ", ".join(name_of(h) for h, _ in ratios)
    more, most = max(ratios, key=lambda item: item[1])
    less, least = min(ratios, key=lambda item: item[1])
    gap = math.log10(most) - math.log10(least)
    if gap < 1:
        lines = [f"Every model that reads one way ({names}) passes back gradient to {first_words} within a factor of "
                 f"10 of the others ({', '.join(f'{name_of(h)} {r:.1e} ({where_measured(h)})' for h, r in ratios)})."]
    else:
        lines = [f"Of the models that read one way ({names}), across {distance_words} the {name_of(more)} passes "
                 f"back about 10^{gap:.1f} times more gradient to {first_words} than the {name_of(less)} "
                 f"(|dL/dh₁| / |dL/dh_T|: {most:.1e}, {where_measured(more)}, against {least:.1e}, "
                 f"{where_measured(less)})."]
    plain = [(h, r) for h, r in ratios if h.cell in PLAIN_CELLS]
    gated = [(h, r) for h, r in ratios if h.cell in CELL_STATE_CELLS]
    if not (plain and gated):
        return lines
    weakest, weakest_ratio = min(plain, key=lambda item: item[1])
    strongest, strongest_ratio = max(gated, key=lambda item: item[1])
    plain_name, gated_name = name_of(weakest), name_of(strongest)
    if strongest_ratio >= 10 * weakest_ratio:
        lines.append(f"That is the vanishing gradient: the {plain_name}'s error signal shrinks at every step it "
                     f"travels back through its squashing recurrence, while the {gated_name}'s cell state carries "
                     "it back through gates that stay open.")
        plain_score, gated_score = weakest.final_val_metric(), strongest.final_val_metric()
        if plain_score is not None and gated_score is not None and plain_score >= gated_score - SAME_SCORE:
            lines.append(f"Yet the {plain_name} scored {percent(plain_score)} against the {gated_name}'s "
                         f"{percent(gated_score)}: in this run the weaker signal did not stop it learning the task.")
    elif weakest_ratio > strongest_ratio:
        lines.append(f"In this run the {plain_name} passes back more gradient than the {gated_name}, so it does not "
                     "show the textbook story of a plain RNN losing its error signal faster.")
    else:
        lines.append(f"The {gated_name} passes back {strongest_ratio / weakest_ratio:.1f} times the {plain_name}'s "
                     "gradient, under a factor of 10: too small a gap, in this run, to show a plain RNN's error "
                     "signal fading faster.")
    return lines
