"""The memory lesson in plain sentences: what a finished run measured, for its page."""

from __future__ import annotations

from core.data.history import History
from core.tasks.experiment import Experiment
from core.tasks.explaining import (
    all_diverged,
    chance_verdict,
    gradient_comparison,
    name_of,
    orders_of_magnitude,
    percent,
    stopped_note,
    where_measured,
)


def memory_lines(experiment: Experiment, histories: list[History]) -> list[str]:
    """Markdown sentences comparing the cells of a memory-lab run, each claim read off its numbers."""
    distance = experiment.task_config.distance
    chance = 1 / experiment.task_config.symbols
    lines = []
    for history in histories:
        name = name_of(history)
        if history.status == "diverged":
            lines.append(f"**{name}** diverged: {history.message}")
            continue
        accuracy = history.final_val_metric()
        stopped = stopped_note(experiment, history)
        if accuracy is None:
            lines.append(f"**{name}**{stopped} has not been evaluated yet.")
            continue
        verdict = chance_verdict(accuracy, chance, history.status == "finished")
        gradient = ""
        drop = orders_of_magnitude(history.median_grad_ratio())
        if drop is not None:
            direction = "falls" if drop >= 0 else "rises"
            gradient = (f" Its gradient {direction} by **{abs(drop):.1f} orders of magnitude** from the last step "
                        f"back to the first ({where_measured(history)}: |dL/dh₁| / |dL/dh_{distance}| = "
                        f"{10 ** -drop:.1e}).")
        lines.append(f"**{name}**{stopped} reached {percent(accuracy)} validation accuracy "
                     f"(chance is {percent(chance)}): {verdict}.{gradient}")
    lines += all_diverged(histories)
    lines += gradient_comparison(histories, f"{distance} steps", "the first symbol")
    return lines
