"""The memory lab's own parts: accuracy against the distance the model must remember."""

from __future__ import annotations

from core.tasks.experiment import Experiment
from ui import sweep
from ui.lab import PageParts


def distance_view(experiment: Experiment) -> None:
    """Accuracy against distance, gathered from finished stored runs that differ only in distance."""
    sweep.accuracy_against(
        experiment, "distance", "Memory against distance",
        "Train these settings at two or more distances (move the Distance slider and press Train) to draw "
        "accuracy against the distance the model must remember.", 1 / experiment.task_config.symbols)


PARTS = PageParts(footer=distance_view,
                  inspect_caption="Look for cell-state units that jump at step 1 and then stay flat "
                                  "while the forget gate holds them.")
