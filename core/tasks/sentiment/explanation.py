"""The sentiment lesson in plain sentences: what a finished run measured, for its page."""

from __future__ import annotations

from core.data.history import History
from core.tasks.experiment import Experiment
from core.tasks.explaining import all_diverged, gradient_comparison, name_of, percent, readable


def sentiment_lines(experiment: Experiment, histories: list[History]) -> list[str]:
    """Markdown sentences on what reading in order bought each model, from this run's numbers."""
    lines = []
    for history, stopped in readable(experiment, histories, lines):
        groups = history.final_group_metrics()
        kinds = [f"{group} {percent(groups[group])}" for group in
                 ("plain", "negation", "contrast", "long", "has negation", "has contrast") if group in groups]
        detail = f" (by kind: {', '.join(kinds)})" if kinds else ""
        lines.append(f"**{name_of(history)}**{stopped} reached {percent(history.final_val_metric())} validation "
                     f"accuracy{detail}.")
    lines += all_diverged(experiment, histories)
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
                    f"On **{group}** items the bag of words scores {percent(bag_groups[group])} against the "
                    f"{name_of(reader)}'s {percent(reader_groups[group])}"
                    + (": averaging the words throws away their order, so “not good” and “good” look almost "
                       "alike to it, and “good but dull” and “dull but good” look identical."
                       if gap >= 0.1 else "."))
                break
    # A bag of words has no recurrence for a gradient to travel back through.
    recurrent = [history for history in histories if history.cell != "bow"]
    lines += gradient_comparison(recurrent, "the sentence", "the first token")
    return lines
