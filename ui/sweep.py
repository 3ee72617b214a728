"""The final accuracy of stored runs that differ in one setting only, against that setting: memory
against the distance to remember, the long-range word against the gap. Drawn from finished runs
already in the store; nothing is trained for it."""

from __future__ import annotations

import dataclasses

import streamlit as st

from core.nn.cells import model_label
from core.store import runs
from core.tasks import experiment as config
from core.tasks.experiment import Experiment
from ui import charts, figures
from ui.services import run_store


def accuracy_against(experiment: Experiment, setting: str, title: str, waiting: str, chance: float) -> None:
    """A chart of each model's final accuracy at every value of `setting` with a finished stored run,
    or `waiting` while fewer than two values have one; `chance` is the dashed guessing line."""
    spec = config.parameter_fields(experiment.task)[setting][1].metadata
    variants = {}
    for value in range(int(spec["low"]), int(spec["high"]) + 1):
        task_config = dataclasses.replace(experiment.task_config, **{setting: value})
        variants[runs.run_id(dataclasses.replace(experiment, task_config=task_config))] = value
    found = run_store().summaries(list(variants))
    rows = [{"distance": variants[identifier], "model": model_label(cell), "accuracy": accuracy}
            for identifier, summary in found.items() if summary.status == "finished"
            for cell, accuracy in summary.final_metrics.items() if accuracy is not None]
    st.subheader(title)
    if len({row["distance"] for row in rows}) < 2:
        st.caption(waiting)
        return
    rows.sort(key=lambda row: row["distance"])
    figures.show(charts.distance_chart(rows, chance))
