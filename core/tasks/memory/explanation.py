"""The memory lesson in plain sentences: what a finished run measured, for its page."""

from __future__ import annotations

from core.data.history import History
from core.tasks.experiment import Experiment
from core.tasks.explaining import (
    all_diverged,
    chance_verdict,
    change_words,
    gradient_comparison,
    name_of,
    orders_of_magnitude,
    percent,
    readable,
    where_measured,
)


def memory_lines(experiment: Experiment, histories: list[History]) -> list[str]:
    """Markdown sentences comparing the cells of a memory-lab run, each claim read off its numbers."""
    distance = experiment.task_config.distance
    chance = 1 / experiment.task_config.symbols
    lines = []
    for history, stopped in readable(experiment, histories, lines):
        name = name_of(history)
        accuracy = history.final_val_metric()
        verdict = chance_verdict(accuracy, chance, history.status == "finished")
        gradient = ""
        drop = orders_of_magnitude(history.median_grad_ratio())
        if drop is not None:
            gradient = (f" Its gradient {change_words(drop, bold=True)} from the last step back to the first "
                        f"({where_measured(history)}: |dL/dh₁| / |dL/dh_{distance}| = {10 ** -drop:.1e}).")
        lines.append(f"**{name}**{stopped} reached {percent(accuracy)} validation accuracy "
                     f"(chance is {percent(chance)}): {verdict}.{gradient}")
    lines += all_diverged(experiment, histories)
    lines += gradient_comparison(histories, f"{distance} steps", "the first symbol")
    return lines
