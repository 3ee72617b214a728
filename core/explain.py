"""Plain-language explanations written from a run's own numbers.

The playground teaches by measuring, so each sentence quotes what this run did: accuracy against
chance, and how many orders of magnitude the gradient lost on its way back to the first step.
"""

from __future__ import annotations

import math

from core.config import Experiment, model_label
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
        name = model_label(history.cell)
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


def _name(history: History) -> str:
    return model_label(history.cell)


def sentiment_lines(experiment: Experiment, histories: list[History]) -> list[str]:
    """Markdown sentences on what reading in order bought each model, from this run's numbers."""
    lines = []
    for history in histories:
        if history.status == "diverged":
            lines.append(f"**{_name(history)}** diverged: {history.message}")
            continue
        groups = history.final_group_metrics()
        kinds = [f"{group} {_percent(groups[group])}" for group in
                 ("plain", "negation", "contrast", "long", "has negation", "has contrast") if group in groups]
        detail = f" (by kind: {', '.join(kinds)})" if kinds else ""
        lines.append(f"**{_name(history)}** reached {_percent(history.final_val_metric())} validation "
                     f"accuracy{detail}.")
    by_cell = {history.cell: history for history in histories if history.status != "diverged"}
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
    plain = by_cell.get("rnn")
    lstm = by_cell.get("lstm")
    if plain is not None and lstm is not None:
        plain_drop = orders_of_magnitude(plain.median_grad_ratio())
        lstm_drop = orders_of_magnitude(lstm.median_grad_ratio())
        if plain_drop is not None and lstm_drop is not None and plain_drop - lstm_drop >= 1:
            gap = round(plain_drop - lstm_drop)
            lines.append(f"The plain RNN's gradient loses about {gap} more order{'s' if gap != 1 else ''} of "
                         "magnitude than the LSTM's on its way back to the first token, so cues far from the end "
                         "of a sentence teach it little.")
    return lines


def handwriting_lines(experiment: Experiment, histories: list[History]) -> list[str]:
    """Markdown sentences on each model's accuracy, its hardest characters and commonest confusion."""
    lines = []
    for history in histories:
        if history.status == "diverged":
            lines.append(f"**{_name(history)}** diverged: {history.message}")
            continue
        sentence = f"**{_name(history)}** read {_percent(history.final_val_metric())} of the validation characters"
        per_class = history.per_class_accuracy()
        if per_class:
            hardest = sorted(per_class.items(), key=lambda item: item[1])[:2]
            sentence += "; hardest: " + ", ".join(f"“{name}” {_percent(value)}" for name, value in hardest)
        confusion = _commonest_confusion(history)
        if confusion:
            sentence += f"; most often it took {confusion}"
        lines.append(sentence + ".")
    drops = [(_name(h), orders_of_magnitude(h.median_grad_ratio())) for h in histories if h.status != "diverged"]
    drops = [(name, drop) for name, drop in drops if drop is not None]
    if drops:
        points = experiment.task_config.points
        lines.append("From the last pen point back to the first, the gradient changes by "
                     + ", ".join(f"{name} {-drop:+.1f}" for name, drop in drops)
                     + f" orders of magnitude over {points} points: short paths keep every cell's gradient alive, "
                       "which is why all of them can learn to read strokes; raise the points per character to "
                       "stretch the distance.")
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
