"""Comparing stored runs: their curves as long rows, smoothing, the settings that differ, seed bands,
gradient through time at a shared probe step, and the settings a share link carries.

The Compare page draws and exports the same rows, so the CSV a person downloads holds exactly the
numbers the charts plot. Nothing here knows about Streamlit or charts.

A share link names its runs by id and also carries their settings (`pack_settings`), so a server
that lacks a run can say what it was and retrain it. The settings of all linked runs go in one
value: the settings every run shares once, then each run's own, as compact JSON, deflated and
base64url-encoded. Twenty memory-lab runs that differ in seed and learning rate take about 650
characters; a link refuses settings longer than MAX_SETTINGS_CHARACTERS (8,000), which keeps the
whole address under the 8 KB that common proxies and servers accept for a request line.
"""

from __future__ import annotations

import base64
import binascii
import collections
import csv
import io
import json
import math
import re
import statistics
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

from core.data.history import History
from core.nn.cells import CELLS, cell_of, model_label

# A run id is 16 hex characters (core/store/runs.py); anything else in a link was typed or tampered with.
RUN_ID = re.compile(r"[0-9a-f]{16}")
CSV_COLUMNS = ("run", "model", "series", "step", "wall_seconds", "value")
GRADIENT_COLUMNS = ("run", "model", "layer", "probe_step", "back", "norm")
SETTINGS_FORMAT = 1
MAX_SETTINGS_CHARACTERS = 8_000
# Deflated text this short cannot hold more than this once inflated, unless it was crafted to.
MAX_INFLATED_BYTES = 400_000
# A spreadsheet reads a cell that starts with one of these as a formula (OWASP, "CSV Injection"):
# a series or run name from someone's bundle could then run one on the machine that opens the file.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell as a spreadsheet shows it and never runs it: one that could start a formula gets a
    leading single quote, as OWASP advises; numbers and other text are unchanged."""
    if not isinstance(value, str):
        return value
    # A line break inside a name would split its row in readers that do not honour quoting.
    value = value.replace("\r", " ").replace("\n", " ")
    return "'" + value if value.startswith(FORMULA_STARTS) else value


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


def smooth(values: list[float | None], weight: float, steps: list[int] | None = None) -> list[float | None]:
    """TensorBoard's debiased exponential moving average, by step distance: weight 0 is the identity.

    `weight` is what one training step keeps of the average; across a gap of g steps the average
    keeps weight**g. So a curve read every step is smoothed as TensorBoard smooths it, and a
    validation curve read every 50 steps is barely smoothed at all: by point count, a weight of 0.9
    drew a final 0.998 of 17 points as about 0.8. Without `steps`, each value is one step after the
    last one that was there.
    The average is divided by the weight its values carry together (1 - weight**n for evenly spaced
    points), so the first smoothed value equals the first raw value instead of being pulled towards
    zero. Missing or non-finite values (a diverged step) stay missing and leave the average as it was.
    """
    if not 0 <= weight < 1:
        raise ValueError(f"smoothing weight must be in [0, 1), not {weight}")
    average, carried, smoothed, last = 0.0, 0.0, [], None
    for index, value in enumerate(values):
        if value is None or not math.isfinite(value):
            smoothed.append(None)
            continue
        gap = max(steps[index] - last, 1) if steps is not None and last is not None else 1
        last = steps[index] if steps is not None else index
        kept = weight ** gap
        average = average * kept + (1 - kept) * value
        carried = carried * kept + (1 - kept)
        smoothed.append(average / carried)
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


# A run's name is at most this long, unless one setting alone is longer: a legend under a chart on a
# phone has room for about 28 characters beside its symbol (ui/chart_style.LEGEND_WIDTH).
NAME_LENGTH = 28


def run_names(params: Mapping[str, Mapping[str, Any]], most: int = 3) -> dict[str, str]:
    """Run id -> a name made of the settings that set it apart from the other runs given, e.g.
    "distance 20, lr 0.01".

    Of the settings whose values differ among the runs, each run is named by its rarest values
    (a value no other run has comes first), at most `most` of them and NAME_LENGTH characters:
    among many runs, what makes one of them distinctive, and between two, what differs. Runs whose
    settings are all the same are named by task and seed; a name two runs would share gets the
    start of the id, so every name is unique.
    """
    differing = settings_diff(params)
    order = list(differing)
    names = {}
    # How many runs share each value of each differing setting, counted once for every run.
    shared = {name: collections.Counter(repr(value) for value in values.values()) for name, values in differing.items()}
    for identifier, run_params in params.items():
        counts = {name: shared[name][repr(values[identifier])] for name, values in differing.items()}
        chosen: list[str] = []
        for name in sorted(order, key=lambda name: (counts[name], order.index(name)))[:most]:
            spelled = f"{name} {_spelled(differing[name][identifier])}"
            if chosen and len(", ".join([*chosen, spelled])) > NAME_LENGTH:
                break
            chosen.append(spelled)
        chosen.sort(key=lambda part: order.index(part.split(" ", 1)[0]))
        names[identifier] = ", ".join(chosen) or (f"{_spelled(run_params.get('task', 'memory'))}, seed "
                                                  f"{_spelled(run_params.get('seed'))}")
    counts = collections.Counter(names.values())
    return {identifier: name if counts[name] == 1 else f"{name} ({identifier[:6]})"
            for identifier, name in names.items()}


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


def series_values(history: History, series: str) -> tuple[list[int], list[float | None]]:
    """(steps, values) of one series of series_rows, read straight from the history; empty when it has none."""
    picked = {"train loss": (history.steps, history.train_loss),
              "validation loss": (history.eval_steps, history.val_loss),
              f"validation {history.metric}": (history.eval_steps, history.val_metric)}.get(series)
    if picked is not None:
        return list(picked[0]), list(picked[1])
    rows = [row for row in series_rows("", history) if row["series"] == series]
    return [row["step"] for row in rows], [row["value"] for row in rows]


def model_order(names: Iterable[str]) -> list[str]:
    """Model names in the cell registry's order (RNN before LSTM), as the labs list them; a run's
    histories come back from the store in alphabetical order."""
    def rank(name: str) -> tuple[int, str]:
        cell = cell_of(name)
        return (CELLS.index(cell) if cell in CELLS else len(CELLS), name)

    return sorted(names, key=rank)


def comparison_rows(runs: Mapping[str, Mapping[str, History]]) -> list[dict]:
    """series_rows for every model of every run (run label -> model name -> history)."""
    return [row for run, histories in runs.items() for name in model_order(histories)
            for row in series_rows(run, histories[name])]


def to_csv(rows: list[dict], run_ids: Mapping[str, str] | None = None) -> str:
    """The rows as CSV; with `run_ids` (run name -> id) a "run id" column follows the run's name."""
    buffer = io.StringIO()
    columns = [CSV_COLUMNS[0], "run id", *CSV_COLUMNS[1:]] if run_ids is not None else CSV_COLUMNS
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        row = {**row, "run id": run_ids.get(row["run"], "")} if run_ids is not None else row
        writer.writerow({key: spreadsheet_safe(value) for key, value in row.items()})
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
        mean = statistics.fmean(values)
        # By hand: statistics.pstdev works in exact fractions and was the page's slowest call.
        deviation = math.sqrt(statistics.fmean([(value - mean) ** 2 for value in values]))
        result.append({"step": step, "mean": mean, "low": min(values), "high": max(values), "deviation": deviation})
    return result


def probe_steps_to_offer(histories: Iterable[History]) -> list[int]:
    """The probe steps every history that ran its course has a gradient-through-time probe at.

    A run that diverged or was stopped has no probes past its end, so it does not narrow the
    choice (one diverged at step 5 left only "step 1" for every run); it is drawn at its nearest
    probe, and the page says so. When the others share no step (runs probed at other intervals),
    every probe step any has is offered, each run again drawn at its nearest.
    """
    histories = list(histories)
    sets = [set(history.probe_steps[:len(history.grad_through_time)]) for history in histories]
    full = [steps for steps, history in zip(sets, histories) if steps and history.status not in ENDED_EARLY]
    sets = [steps for steps in sets if steps]
    if not sets:
        return []
    shared = set.intersection(*full) if full else set()
    return sorted(shared or set.union(*sets))


def probe_nearest(history: History, step: int) -> tuple[int, dict[str, list[float]]] | None:
    """The history's probe nearest to `step` (the earlier of two as near), with its step."""
    probes = list(zip(history.probe_steps, history.grad_through_time))
    if not probes:
        return None
    return min(probes, key=lambda pair: (abs(pair[0] - step), pair[0]))


def gradient_rows(run: str, history: History, step: int) -> list[dict]:
    """|dL/dh_t| per layer at the probe nearest `step`, against steps back from the end (0 = last),
    as rows of GRADIENT_COLUMNS; probe_step says which probe each run's curve was measured at."""
    picked = probe_nearest(history, step)
    if picked is None:
        return []
    probe_step, probe = picked
    rows = []
    for layer, norms in probe.items():
        rows += [{"run": run, "model": model_label(history.cell), "layer": layer, "probe_step": probe_step,
                  "back": len(norms) - position, "norm": value}
                 for position, value in enumerate(norms, start=1) if value is not None and math.isfinite(value)]
    return rows


# Statuses of a run that ended before its planned last step.
ENDED_EARLY = ("diverged", "stopped")


class LinkError(ValueError):
    """A share link's settings value that cannot be read; the message is meant for the user."""


def _is_params(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(key, str) and (isinstance(item, str) or (
            isinstance(item, list) and all(isinstance(part, str) for part in item)))
        for key, item in value.items())


def pack_settings(params: Mapping[str, Mapping[str, Any]]) -> str:
    """The settings of runs (run id -> params) as one short URL-safe text (see the module docstring)."""
    runs = {identifier: dict(values) for identifier, values in params.items()}
    differing = settings_diff(runs) if len(runs) > 1 else {}
    common = {name: value for values in runs.values() for name, value in values.items() if name not in differing}
    own = {identifier: {name: value for name, value in values.items() if name in differing}
           for identifier, values in runs.items()}
    text = json.dumps({"v": SETTINGS_FORMAT, "common": common, "runs": own}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(zlib.compress(text.encode(), 9)).decode().rstrip("=")


def unpack_settings(text: str) -> dict[str, dict[str, Any]]:
    """Run id -> params from pack_settings' text; LinkError saying why when it cannot be read."""
    text = text.strip()
    if len(text) > MAX_SETTINGS_CHARACTERS:
        raise LinkError(f"the link's run settings are {len(text):,} characters long; at most "
                        f"{MAX_SETTINGS_CHARACTERS:,} are read")
    try:
        deflated = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(deflated, MAX_INFLATED_BYTES)
        if inflater.unconsumed_tail:
            raise LinkError("the link's run settings unpack to far more than any comparison holds")
        data = json.loads(raw)
    except (binascii.Error, zlib.error, ValueError) as error:
        if isinstance(error, LinkError):
            raise
        raise LinkError("the link's run settings are damaged (perhaps cut short when copied)") from None
    if not isinstance(data, dict) or data.get("v") != SETTINGS_FORMAT:
        raise LinkError("the link's run settings are in a format this version does not read")
    common, runs = data.get("common"), data.get("runs")
    if not _is_params(common) or not isinstance(runs, dict) or not all(
            RUN_ID.fullmatch(str(identifier)) and _is_params(values) for identifier, values in runs.items()):
        raise LinkError("the link's run settings are not settings of runs")
    return {identifier: {**common, **values} for identifier, values in runs.items()}
