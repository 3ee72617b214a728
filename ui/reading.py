"""The trained models reading the user's own input (typed text, a drawing), step by step.

Shared by the demos: load each stored model once per server, then ask every one of them what it
would answer after each step of the input, so a page can show the final answer and how it formed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

from core.nn.cells import model_label
from core.nn.models import REGISTRY
from core.report.analysis import load_model, prefix_probabilities
from core.store import runs
from core.tasks.base import TaskData
from core.tasks.experiment import Experiment, model_names
from ui import charts, plain
from ui.services import run_store


@dataclass
class Reading:
    """One model's reading: probabilities (steps, classes) after each step; the last row is its answer."""

    cell: str
    probabilities: np.ndarray

    @property
    def label(self) -> str:
        return model_label(self.cell)

    @property
    def final(self) -> np.ndarray:
        return self.probabilities[-1]


@st.cache_resource(show_spinner=False, max_entries=16)
def _model(_experiment: Experiment, _data: TaskData, run_id: str, cell: str) -> torch.nn.Module | None:
    weights = run_store().load_weights(run_id, cell)
    if weights is None:
        return None
    return load_model(_experiment, cell, _data, weights)


def stored_model(experiment: Experiment, data: TaskData, run_id: str, name: str) -> torch.nn.Module | None:
    """A stored run's model with its saved weights, loaded once per server; None without weights."""
    return _model(experiment, data, run_id, name)


def read(experiment: Experiment, stored: runs.StoredRun, data: TaskData, inputs: torch.Tensor) -> list[Reading]:
    """Every stored model of the run reading one input (1, time, ...)."""
    readings = []
    for cell in model_names(experiment):
        if cell not in stored.histories:
            continue
        model = _model(experiment, data, stored.run_id, cell)
        if model is not None:
            readings.append(Reading(cell, prefix_probabilities(model, inputs)))
    return readings


def read_and_answer(experiment: Experiment, stored: runs.StoredRun, data: TaskData, inputs: torch.Tensor,
                    what: str) -> list[Reading]:
    """`read`, then each model's answer in one line; an empty list, explained, without saved weights."""
    readings = read(experiment, stored, data, inputs)
    if not readings:
        # The page's status box already says the run has no weights (ui/lab_status.NO_WEIGHTS).
        st.caption(f"To {what}, this needs the run's trained weights, which it does not have (see above).")
        return []
    st.markdown(verdicts(readings, data.class_names))
    return readings


def bidirectional_note(readings: list[Reading]) -> str:
    """The note on what a bidirectional model's step-by-step view means, when one is shown."""
    return BIDIRECTIONAL_NOTE if any(REGISTRY[item.cell].bidirectional for item in readings) else ""


def answer_chart(readings: list[Reading], class_names: tuple[str, ...], top: int = 3):
    """Each model's top classes with their probabilities."""
    rows = []
    for reading in readings:
        order = np.argsort(-reading.final)[:top]
        rows += [{"model": reading.label, "class": class_names[index], "probability": float(reading.final[index])}
                 for index in order]
    return charts.probability_chart(rows)


def verdicts(readings: list[Reading], class_names: tuple[str, ...]) -> str:
    parts = []
    for reading in readings:
        index = int(reading.final.argmax())
        parts.append(plain.fill("**{model}**: {answer} ({percent:.0f}%)", model=reading.label,
                                answer=class_names[index], percent=100 * reading.final[index]))
    return " · ".join(parts)


BIDIRECTIONAL_NOTE = ("A bidirectional model's answer after step t is what it says when it is given only the first "
                      "t steps: its backward half then reads that prefix from its end. Its final answer uses the "
                      "whole input in both directions, so it can change its mind when later steps arrive.")
