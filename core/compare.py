"""Comparing stored runs: their curves as long rows, smoothing, the settings that differ, seed bands.

The Compare page draws and exports the same rows, so the CSV a person downloads holds exactly the
numbers the charts plot. Nothing here knows about Streamlit or charts.
"""

from __future__ import annotations

import csv
import io
import math
import re
import statistics
from typing import Any, Iterable, Mapping

from core.config import model_label
from core.history import History

# A run id is 16 hex characters (core/runs.py); anything else in a link was typed or tampered with.
RUN_ID = re.compile(r"[0-9a-f]{16}")
CSV_COLUMNS = ("run", "model", "series", "step", "wall_seconds", "value")


def check_run_ids(raw: Iterable[Any]) -> tuple[list[str], list[str]]:
    """(the well-formed run ids, in order and without repeats; the values refused as ids)."""
    good: list[str] = []
    refused: list[str] = []
    for value in raw:
        text = str(value).strip().lower()
        if RUN_ID.fullmatch(text):
            if text not in good:
                good.append(text)
        else:
            refused.append(str(value)[:40])
    return good, refused


def smooth(values: list[float | None], weight: float) -> list[float | None]:
    """TensorBoard's debiased exponential moving average: weight 0 is the identity.

    The average starts at zero and is divided by 1 - weight**n (n values seen so far), so the first
    smoothed value equals the first raw value instead of being pulled towards zero. Missing or
    non-finite values (a diverged step) stay missing and leave the average where it was.
    """
    if not 0 <= weight < 1:
        raise ValueError(f"smoothing weight must be in [0, 1), not {weight}")
    average, seen, smoothed = 0.0, 0, []
    for value in values:
        if value is None or not math.isfinite(value):
            smoothed.append(None)
            continue
        average = average * weight + (1 - weight) * value
        seen += 1
        smoothed.append(average / (1 - weight ** seen))
    return smoothed


def settings_diff(params: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Setting name -> {run: value} for the settings whose values are not the same in every run.

    A setting one run lacks (another task's) counts as differing, shown as None for that run.
    """
    names = list(dict.fromkeys(name for values in params.values() for name in values))
    differing = {}
    for name in names:
        values = {run: run_params.get(name) for run, run_params in params.items()}
        if len({repr(value) for value in values.values()}) > 1:
            differing[name] = values
    return differing


def change_label(before: Mapping[str, Any], after: Mapping[str, Any], most: int = 3) -> str:
    """What changed from one run's settings to another's, e.g. "lr 0.003 -> 0.01, seed 0 -> 1".

    The names of settings_diff in order; past `most` of them the rest are counted, not spelled out.
    An empty string when the settings are the same.
    """
    differing = settings_diff({"before": before, "after": after})
    parts = [f"{name} {_spelled(values['before'])} -> {_spelled(values['after'])}"
             for name, values in differing.items()]
    if len(parts) > most:
        parts = [*parts[:most], f"{len(parts) - most} more"]
    return ", ".join(parts)


def _spelled(value: Any) -> str:
    if value is None:
        return "-"
    return "+".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def _wall_at(history: History) -> dict[int, float]:
    return dict(zip(history.steps, history.wall_seconds))


def _rows(run: str, history: History, series: str, steps: list[int], values: list[float | None]) -> list[dict]:
    wall = _wall_at(history)
    return [{"run": run, "model": model_label(history.cell), "series": series, "step": step,
             "wall_seconds": wall.get(step), "value": value}
            for step, value in zip(steps, values) if value is not None and math.isfinite(value)]


def series_rows(run: str, history: History) -> list[dict]:
    """Every curve over training of one model of one run, as rows of CSV_COLUMNS.

    Series: "train loss", "validation loss", "validation <metric>", each further score, each
    per-group metric ("group <name>"), "first-step gradient ratio" and each layer's gradient norm.
    """
    rows = _rows(run, history, "train loss", history.steps, history.train_loss)
    rows += _rows(run, history, "validation loss", history.eval_steps, history.val_loss)
    rows += _rows(run, history, f"validation {history.metric}", history.eval_steps, history.val_metric)
    for name, values in history.scores.items():
        rows += _rows(run, history, name, history.eval_steps, values)
    for name, values in history.group_metric.items():
        rows += _rows(run, history, f"group {name}", history.eval_steps, values)
    ratios = history.grad_ratios_by_step()
    rows += _rows(run, history, "first-step gradient ratio", [s for s, _ in ratios], [r for _, r in ratios])
    for name, values in history.layer_grad_norms.items():
        rows += _rows(run, history, f"gradient norm {name}", history.steps, values)
    return rows


def comparison_rows(runs: Mapping[str, Mapping[str, History]]) -> list[dict]:
    """series_rows for every model of every run (run label -> model name -> history)."""
    return [row for run, histories in runs.items() for history in histories.values()
            for row in series_rows(run, history)]


def to_csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def band(curves: list[tuple[list[int], list[float | None]]]) -> list[dict]:
    """Mean, min, max and population standard deviation across seeds at each step all curves have.

    curves: one (steps, values) pair per seed. A step where any seed is missing its value (or
    diverged) is left out, so the band never mixes a different number of seeds along the way.
    """
    if not curves:
        return []
    by_seed = [{step: value for step, value in zip(steps, values)
                if value is not None and math.isfinite(value)} for steps, values in curves]
    common = sorted(set.intersection(*(set(values) for values in by_seed)))
    result = []
    for step in common:
        values = [seed[step] for seed in by_seed]
        result.append({"step": step, "mean": statistics.fmean(values), "low": min(values),
                       "high": max(values), "deviation": statistics.pstdev(values)})
    return result
