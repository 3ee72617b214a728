"""The record of one model's training: plain lists of numbers, JSON in and out.

A History is what the charts draw, what the run store saves and what a share link brings back,
so it holds nothing but numbers and short strings.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

# Fields only some runs have, left out of the record while unset (see History.to_dict).
OPTIONAL_FIELDS = ("best_step", "final")
STATUSES = ("queued", "running", "finished", "stopped", "diverged", "failed")
# Training runs in float32, whose largest finite value is about 3.4e38, so no number a run here
# records is larger; a bigger one (or an integer past a float's range) can only come from an
# edited bundle or row, and breaks charts and formatting for whoever opens it.
MAX_MAGNITUDE = 1e39


@dataclass
class History:
    """Per-step, per-evaluation and per-probe measurements of one model's run."""

    cell: str
    metric: str = "accuracy"
    status: str = "running"
    message: str = ""
    # Recorded every step.
    steps: list[int] = field(default_factory=list)
    wall_seconds: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)  # total, before clipping
    layer_grad_norms: dict[str, list[float]] = field(default_factory=dict)
    # Recorded every evaluation interval.
    eval_steps: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_metric: list[float] = field(default_factory=list)
    # Further validation metrics by name (e.g. chrF), one value per evaluation.
    scores: dict[str, list[float]] = field(default_factory=dict)
    # Per named validation subset (e.g. "negation"), the metric at each evaluation.
    group_metric: dict[str, list[float]] = field(default_factory=dict)
    # At the latest evaluation: confusion[true][predicted] counts over the validation split.
    confusion: list[list[int]] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)
    # Recorded every probe interval: per layer, mean |dL/dh_t| for t = 1..T.
    probe_steps: list[int] = field(default_factory=list)
    grad_through_time: list[dict[str, list[float]]] = field(default_factory=list)
    # Recorded every probe interval where the task has them: matrices by name, e.g. "attention",
    # the decoder's weights (target pieces x source pieces) on the first probe example.
    probe_maps: dict[str, list[list[list[float]]]] = field(default_factory=dict)
    # Where a run keeps its best weights (TrainConfig.keep): the step they come from.
    best_step: int | None = None
    # Where the curves were measured on a sample of the validation split, or the best weights were
    # kept: the kept weights scored on the whole split at the end ("loss", the metric's name, scores).
    final: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        record = dataclasses.asdict(self)
        # Unset, they stay out of the record: runs that have neither keep the record they always had.
        for name in OPTIONAL_FIELDS:
            if not record[name]:
                record.pop(name)
        return _finite_or_none(record)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """Rebuild from `to_dict` output; raises ValueError on anything malformed."""
        if not isinstance(data, dict):
            raise ValueError("a history must be an object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown history fields: {', '.join(sorted(unknown))}")
        if not isinstance(data.get("cell"), str):
            raise ValueError("a history needs a cell name")
        history = cls(**{k: copy.deepcopy(v) for k, v in data.items()})
        if history.status not in STATUSES:
            raise ValueError(f"unknown status {history.status!r}")
        for name in ("steps", "wall_seconds", "train_loss", "grad_norm", "eval_steps", "val_loss",
                     "val_metric", "probe_steps"):
            _check_numbers(name, getattr(history, name))
        if history.best_step is not None and (isinstance(history.best_step, bool)
                                              or not isinstance(history.best_step, int) or history.best_step < 0):
            raise ValueError("best_step must be a whole number from 0 up")
        for name in ("layer_grad_norms", "group_metric", "scores", "probe_maps", "final"):
            if not isinstance(getattr(history, name), dict):
                raise ValueError(f"{name} must be an object")
        for name, values in [*history.layer_grad_norms.items(), *history.group_metric.items(),
                             *history.scores.items()]:
            _check_numbers(name, values)
        _check_numbers("final", list(history.final.values()))
        for name, matrices in history.probe_maps.items():
            if not isinstance(matrices, list) or not all(isinstance(matrix, list) for matrix in matrices):
                raise ValueError(f"{name} must be a list of matrices")
            for matrix in matrices:
                for row in matrix:
                    _check_numbers(name, row)
        for row in history.confusion:
            _check_numbers("confusion", row)
        if not all(isinstance(name, str) for name in history.class_names):
            raise ValueError("class names must be strings")
        for probe in history.grad_through_time:
            if not isinstance(probe, dict):
                raise ValueError("each gradient-through-time probe must be an object")
            for name, values in probe.items():
                _check_numbers(name, values)
        return history

    def copy(self) -> History:
        return copy.deepcopy(self)

    # Convenience readings used by the CLI, the charts and the explanations.
    def final_val_loss(self) -> float | None:
        if "loss" in self.final:
            return self.final["loss"]
        return self.val_loss[-1] if self.val_loss else None

    def final_val_metric(self) -> float | None:
        """The kept weights' metric on the whole validation split, else the latest evaluation's."""
        if self.metric in self.final:
            return self.final[self.metric]
        return self.val_metric[-1] if self.val_metric else None

    def final_scores(self) -> dict[str, float]:
        latest = {name: values[-1] for name, values in self.scores.items() if values}
        return {name: self.final.get(name, value) for name, value in latest.items()}

    def final_group_metrics(self) -> dict[str, float]:
        return {name: values[-1] for name, values in self.group_metric.items() if values}

    def per_class_accuracy(self) -> dict[str, float]:
        """Recall of each class at the latest evaluation, from the confusion matrix."""
        result = {}
        for index, row in enumerate(self.confusion):
            total = sum(row)
            name = self.class_names[index] if index < len(self.class_names) else str(index)
            if total:
                result[name] = row[index] / total
        return result

    def last_layer(self) -> str | None:
        if not self.grad_through_time:
            return None
        return sorted(self.grad_through_time[-1])[-1]

    def grad_ratios_by_step(self) -> list[tuple[int, float]]:
        """(probe step, |dL/dh_1| / |dL/dh_T| of the last layer) for every probe that has both."""
        layer = self.last_layer()
        ratios = []
        for step, probe in zip(self.probe_steps, self.grad_through_time):
            norms = probe.get(layer) or []
            if len(norms) >= 2 and norms[-1] and norms[0] is not None:
                ratios.append((step, norms[0] / norms[-1]))
        return ratios

    def grad_ratios(self) -> list[float]:
        return [ratio for _, ratio in self.grad_ratios_by_step()]

    def median_grad_ratio(self) -> float | None:
        ratios = sorted(self.grad_ratios())
        if not ratios:
            return None
        middle = len(ratios) // 2
        if len(ratios) % 2:
            return ratios[middle]
        return (ratios[middle - 1] + ratios[middle]) / 2


def check_readable(history: History) -> None:
    """ValueError unless every page and command can read the history: each number finite and at most
    MAX_MAGNITUDE, each gradient probe a non-empty map of non-empty lists, a square confusion matrix.
    Run on every stored run as it is loaded, so a damaged row is skipped instead of breaking a page."""
    series = [history.steps, history.wall_seconds, history.train_loss, history.grad_norm, history.eval_steps,
              history.val_loss, history.val_metric, history.probe_steps, list(history.final.values()),
              *history.layer_grad_norms.values(),
              *history.scores.values(), *history.group_metric.values(), *history.confusion,
              *(row for matrices in history.probe_maps.values() for matrix in matrices for row in matrix)]
    for probe in history.grad_through_time:
        if not probe or not all(isinstance(values, list) and values for values in probe.values()):
            raise ValueError("a gradient-through-time probe is empty")
        series.extend(probe.values())
    for values in series:
        for value in values:
            if value is not None and not in_range(value):
                raise ValueError(f"it holds a number out of range ({str(value)[:20]})")
    for name in ("steps", "eval_steps", "probe_steps"):
        if not all(isinstance(step, int) and step >= 0 for step in getattr(history, name)):
            raise ValueError(f"{name} must be whole numbers from 0 up")
    if any(len(row) != len(history.confusion) for row in history.confusion):
        raise ValueError("the confusion matrix is not square")


def check_consistent(history: History) -> None:
    """ValueError unless the history's lists line up as training writes them: one value per step in
    each per-step series, one per evaluation in each per-evaluation series, one probe per probe step."""
    check_readable(history)
    groups = {"steps": (history.steps, {"wall_seconds": history.wall_seconds, "train_loss": history.train_loss,
                                        "grad_norm": history.grad_norm, **history.layer_grad_norms}),
              "eval_steps": (history.eval_steps, {"val_loss": history.val_loss, "val_metric": history.val_metric,
                                                  **history.scores, **history.group_metric}),
              "probe_steps": (history.probe_steps, {"grad_through_time": history.grad_through_time})}
    for name, (steps, columns) in groups.items():
        for column, values in columns.items():
            if len(values) != len(steps):
                raise ValueError(f"{str(column)[:40]} has {len(values)} values for {len(steps)} {name}")
        if steps != sorted(set(steps)):
            raise ValueError(f"{name} must increase")
    if any(len(matrices) > len(history.probe_steps) for matrices in history.probe_maps.values()):
        raise ValueError("a probe map has more entries than there are probe steps")


def in_range(value: Any) -> bool:
    try:
        return math.isfinite(value) and abs(float(value)) <= MAX_MAGNITUDE
    except OverflowError:  # an integer past a float's range
        return False


def combined_status(histories: list[History]) -> str:
    """A run's status from its models': finished when all are, else the first model's that is not."""
    unfinished = [history.status for history in histories if history.status != "finished"]
    return unfinished[0] if unfinished else ("finished" if histories else "queued")


def _check_numbers(name: str, values: Any) -> None:
    if not isinstance(values, list):
        raise ValueError(f"{name} must be a list")
    for value in values:
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValueError(f"{name} holds a non-number")


def _finite_or_none(value: Any) -> Any:
    """JSON has no NaN or infinity; a diverged step is stored as null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_or_none(v) for v in value]
    return value
