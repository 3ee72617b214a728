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

from core.tasks.experiment import Experiment, model_label
from core.data.history import History


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


# Cells whose recurrence squashes the whole state at every step, and cells with a gated cell state:
# the vanishing-gradient lesson compares the first kind with the second, and nothing else.
PLAIN_CELLS = ("rnn", "birnn")
CELL_STATE_CELLS = ("lstm", "bilstm")
# Accuracy within this of chance is not called better than chance.
CHANCE_MARGIN = 0.15


def _name(history: History) -> str:
    return model_label(history.cell)


def _stopped(experiment: Experiment, history: History) -> str:
    """' (stopped after 120 of 800 steps)' for a run that did not finish, '' for one that did."""
    if history.status == "finished":
        return ""
    done, total = len(history.steps), experiment.train.steps
    if history.status == "stopped":
        return f" (stopped after {done} of {total} steps)"
    return f" ({done} of {total} steps so far)"


def where_measured(history: History) -> str:
    """Which probes a gradient figure comes from: 'median over 5 probes' or 'at step 300'."""
    steps = [step for step, _ in history.grad_ratios_by_step()]
    if len(steps) == 1:
        return f"at step {steps[0]}"
    return f"median over {len(steps)} probes"


def _chance_verdict(accuracy: float, chance: float, finished: bool) -> str:
    if accuracy >= 0.95:
        return "it carries the first symbol across the whole sequence"
    if accuracy <= chance + CHANCE_MARGIN:
        return ("not clearly better than guessing, so it has not learned to remember" if finished
                else "not yet clearly better than guessing")
    return "it remembers some of the time"


def _all_diverged(histories: list[History]) -> list[str]:
    if histories and all(history.status == "diverged" for history in histories):
        return ["Every model diverged, so this run shows no lesson yet: lower the learning rate or turn on "
                "gradient clipping, then train again."]
    return []


def _gradient_ratios(histories: list[History]) -> list[tuple[History, float]]:
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
    ratios = _gradient_ratios(histories)
    if len(ratios) < 2:
        return []
    more, most = max(ratios, key=lambda item: item[1])
    less, least = min(ratios, key=lambda item: item[1])
    gap = math.log10(most) - math.log10(least)
    if gap < 1:
        return [f"Every model passes back gradient to {first_words} within a factor of 10 of the others "
                f"({', '.join(f'{_name(h)} {r:.1e} ({where_measured(h)})' for h, r in ratios)})."]
    lines = [f"Across {distance_words} the {_name(more)} passes back about 10^{gap:.1f} times more gradient to "
             f"{first_words} than the {_name(less)} (|dL/dh₁| / |dL/dh_T|: {most:.1e}, {where_measured(more)}, "
             f"against {least:.1e}, {where_measured(less)})."]
    plain = [(h, r) for h, r in ratios if h.cell in PLAIN_CELLS]
    gated = [(h, r) for h, r in ratios if h.cell in CELL_STATE_CELLS]
    if plain and gated:
        weakest, weakest_ratio = min(plain, key=lambda item: item[1])
        strongest, strongest_ratio = max(gated, key=lambda item: item[1])
        if strongest_ratio >= 10 * weakest_ratio:
            lines.append(f"That is the vanishing gradient: the {_name(weakest)}'s error signal shrinks at every "
                         f"step it travels back through its squashing recurrence, while the {_name(strongest)}'s "
                         "cell state carries it back through gates that stay open.")
        elif weakest_ratio > strongest_ratio:
            lines.append(f"In this run the {_name(weakest)} passes back more gradient than the "
                         f"{_name(strongest)}, so it does not show a plain RNN losing its error signal faster.")
    return lines


def memory_lines(experiment: Experiment, histories: list[History]) -> list[str]:
    """Markdown sentences comparing the cells of a memory-lab run, each claim read off its numbers."""
    distance = experiment.task_config.distance
    chance = 1 / experiment.task_config.symbols
    lines = []
    for history in histories:
        name = _name(history)
        if history.status == "diverged":
            lines.append(f"**{name}** diverged: {history.message}")
            continue
        accuracy = history.final_val_metric()
        stopped = _stopped(experiment, history)
        if accuracy is None:
            lines.append(f"**{name}**{stopped} has not been evaluated yet.")
            continue
        verdict = _chance_verdict(accuracy, chance, history.status == "finished")
        gradient = ""
        drop = orders_of_magnitude(history.median_grad_ratio())
        if drop is not None:
            direction = "falls" if drop >= 0 else "rises"
            gradient = (f" Its gradient {direction} by **{abs(drop):.1f} orders of magnitude** from the last step "
                        f"back to the first ({where_measured(history)}: |dL/dh₁| / |dL/dh_{distance}| = "
                        f"{10 ** -drop:.1e}).")
        lines.append(f"**{name}**{stopped} reached {_percent(accuracy)} validation accuracy "
                     f"(chance is {_percent(chance)}): {verdict}.{gradient}")
    lines += _all_diverged(histories)
    lines += gradient_comparison(histories, f"{distance} steps", "the first symbol")
    return lines


def sentiment_lines(experiment: Experiment, histories: list[History]) -> list[str]:
    """Markdown sentences on what reading in order bought each model, from this run's numbers."""
    lines = []
    for history in histories:
        if history.status == "diverged":
            lines.append(f"**{_name(history)}** diverged: {history.message}")
            continue
        stopped = _stopped(experiment, history)
        if history.final_val_metric() is None:
            lines.append(f"**{_name(history)}**{stopped} has not been evaluated yet.")
            continue
        groups = history.final_group_metrics()
        kinds = [f"{group} {_percent(groups[group])}" for group in
                 ("plain", "negation", "contrast", "long", "has negation", "has contrast") if group in groups]
        detail = f" (by kind: {', '.join(kinds)})" if kinds else ""
        lines.append(f"**{_name(history)}**{stopped} reached {_percent(history.final_val_metric())} validation "
                     f"accuracy{detail}.")
    lines += _all_diverged(histories)
    by_cell = {history.cell: history for history in histories
               if history.status != "diverged" and history.final_val_metric() is not None}
    bag = by_cell.get("bow")
    readers = [by_cell[cell] for cell in ("lstm", "bilstm", "gru", "bigru") if cell in by_cell]
    if bag is not None and readers:
        reader = max(readers, key=lambda history: history.final_val_metric() or 0.0)
        bag_groups, reader_groups = bag.final_group_metrics(), reader.final_group_metrics()
        for group in ("negation", "contrast", "has negation", "has contrast"):
            if group in bag_groups and group in reader_groups:
                gap = reader_groups[group] - bag_groups[group]
                lines.append(
                    f"On **{group}** items the bag of words scores {_percent(bag_groups[group])} against the "
                    f"{_name(reader)}'s {_percent(reader_groups[group])}"
                    + (": averaging the words throws away their order, so “not good” and “good” look almost "
                       "alike to it, and “good but dull” and “dull but good” look identical."
                       if gap >= 0.1 else "."))
                break
    # A bag of words has no recurrence for a gradient to travel back through.
    recurrent = [history for history in histories if history.cell != "bow"]
    lines += gradient_comparison(recurrent, "the sentence", "the first token")
    return lines


def handwriting_lines(experiment: Experiment, histories: list[History]) -> list[str]:
    """Markdown sentences on each model's accuracy, its hardest characters and commonest confusion."""
    lines = []
    for history in histories:
        if history.status == "diverged":
            lines.append(f"**{_name(history)}** diverged: {history.message}")
            continue
        stopped = _stopped(experiment, history)
        if history.final_val_metric() is None:
            lines.append(f"**{_name(history)}**{stopped} has not been evaluated yet.")
            continue
        sentence = (f"**{_name(history)}**{stopped} read {_percent(history.final_val_metric())} of the validation "
                    "characters")
        per_class = history.per_class_accuracy()
        if per_class:
            hardest = sorted(per_class.items(), key=lambda item: item[1])[:2]
            sentence += "; hardest: " + ", ".join(f"“{name}” {_percent(value)}" for name, value in hardest)
        confusion = _commonest_confusion(history)
        if confusion:
            sentence += f"; most often it took {confusion}"
        lines.append(sentence + ".")
    lines += _all_diverged(histories)
    ratios = _gradient_ratios(histories)
    if ratios:
        points = experiment.task_config.points
        drops = [(history, orders_of_magnitude(ratio)) for history, ratio in ratios]
        sentence = ("From the last pen point back to the first, the gradient changes by "
                    + ", ".join(f"{_name(history)} {-drop:+.1f} ({where_measured(history)})" for history, drop in drops)
                    + f" orders of magnitude over {points} points")
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


def translation_lines(experiment: Experiment, histories: list[History], copy_chrf: float | None) -> list[str]:
    """Markdown sentences on each decoder's scores and on what attention changed, from this run's numbers."""
    lines = []
    scored = {}
    for history in histories:
        name = _name(history)
        if history.status == "diverged":
            lines.append(f"**{name}** diverged: {history.message}")
            continue
        exact, chrf = history.final_val_metric(), history.final_scores().get("chrF")
        if exact is None:
            lines.append(f"**{name}** has not been evaluated yet.")
            continue
        scored[history.cell] = history
        stopped = f" (stopped after {len(history.steps)} of {experiment.train.steps} steps)" \
            if history.status == "stopped" else ""
        sentence = f"**{name}**{stopped} translated {_percent(exact)} of the held-out validation pairs exactly"
        if chrf is not None:
            sentence += f"; chrF {chrf:.1f}"
            if copy_chrf is not None:
                sentence += (f", no better than copying the source unchanged ({copy_chrf:.1f})" if chrf <= copy_chrf
                             else f", against {copy_chrf:.1f} for copying the source unchanged")
        lines.append(sentence + ".")
    for cell in experiment.model.cells:
        plain = scored.get(f"{cell}+none")
        for kind in ("additive", "multiplicative"):
            attended = scored.get(f"{cell}+{kind}")
            if plain is not None and attended is not None:
                lines += _attention_lines(_name(plain).partition(",")[0], kind, plain, attended)
    return lines


def _attention_lines(cell: str, kind: str, plain: History, attended: History) -> list[str]:
    with_attention, without = attended.final_val_metric(), plain.final_val_metric()
    gap = with_attention - without
    if gap >= 0.1:
        lines = [f"With {kind} attention the {cell} translated {_percent(with_attention)} exactly, without it "
                 f"{_percent(without)}: each output piece can look straight at the source pieces it translates, "
                 "instead of the whole source passing through the encoder's last state."]
    elif gap <= -0.1:
        lines = [f"In this run the {cell} without attention did better ({_percent(without)} exactly) than with "
                 f"{kind} attention ({_percent(with_attention)})."]
    else:
        lines = [f"With and without {kind} attention the {cell} scored within 10 points of each other "
                 f"({_percent(with_attention)} and {_percent(without)} exactly)."]
    attended_drop = orders_of_magnitude(attended.median_grad_ratio())
    plain_drop = orders_of_magnitude(plain.median_grad_ratio())
    if attended_drop is not None and plain_drop is not None:
        difference = plain_drop - attended_drop
        if abs(difference) < 0.5:
            lines.append(f"Both pass back about as much gradient to the first source piece relative to the last "
                         f"(median over the probes: {10 ** -attended_drop:.1e} with attention, "
                         f"{10 ** -plain_drop:.1e} without).")
        else:
            more, less = ("with", "without") if difference > 0 else ("without", "with")
            lines.append(f"The decoder's error reaches the first source piece about 10^{abs(difference):.1f} times "
                         f"more strongly, relative to the last, {more} attention than {less} it (median "
                         f"|dL/dh₁| / |dL/dh_T| over the probes: {10 ** -attended_drop:.1e} with, "
                         f"{10 ** -plain_drop:.1e} without)"
                         + (": attention hands the gradient to every source state directly, while without it the "
                            "error must travel back through the whole encoder." if difference > 0 else "."))
    return lines
