"""The memory lab's own parts: accuracy against the distance the model must remember."""

from __future__ import annotations

import dataclasses

import streamlit as st

from core.nn.cells import model_label
from core.store import runs
from core.tasks import experiment as config
from core.tasks.experiment import Experiment
from ui import charts, figures
from ui.lab import PageParts
from ui.services import run_store


def distance_view(experiment: Experiment) -> None:
    """Accuracy against distance, gathered from finished stored runs that differ only in distance."""
    spec = config.parameter_fields(experiment.task)["distance"][1].metadata
    variants = {}
    for distance in range(int(spec["low"]), int(spec["high"]) + 1):
        task_config = dataclasses.replace(experiment.task_config, distance=distance)
        variants[runs.run_id(dataclasses.replace(experiment, task_config=task_config))] = distance
    found = run_store().summaries(list(variants))
    rows = [{"distance": variants[identifier], "model": model_label(cell), "accuracy": accuracy}
            for identifier, summary in found.items() if summary.status == "finished"
            for cell, accuracy in summary.final_metrics.items() if accuracy is not None]
    st.subheader("Memory against distance")
    if len({row["distance"] for row in rows}) < 2:
        st.caption("Train these settings at two or more distances (move the Distance slider and press Train) "
                   "to draw accuracy against the distance the model must remember.")
        return
    rows.sort(key=lambda row: row["distance"])
    figures.show(charts.distance_chart(rows, 1 / experiment.task_config.symbols))


PARTS = PageParts(footer=distance_view,
                  inspect_caption="Look for cell-state units that jump at step 1 and then stay flat "
                                  "while the forget gate holds them.")
