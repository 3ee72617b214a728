"""What the run store reads back: a stored run, a summary for lists, and the checks that turn a
damaged row (edited in the file, or written by a bug) into a DamagedRun that pages and commands skip
with a notice instead of failing on it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from core.data.history import STATUSES, History, check_readable, in_range
from core.tasks import experiment as config

# 9999-12-31, the last moment a date can show: a time past it fails every date formatting.
LATEST_TIME = 253402300799.0


class DamagedRun(ValueError):
    """A stored row that cannot be read as a run (edited in the file, or written by a bug): pages and
    commands skip it with a notice, never fail on it. The message names the run and what is wrong."""

    def __init__(self, run_id: str, reason: str) -> None:
        super().__init__(f"stored run {run_id} is damaged ({reason}) and was skipped")
        self.run_id = run_id


@dataclass
class StoredRun:
    """One stored run without its weights (those load per cell, on demand)."""

    run_id: str
    task: str
    params: dict[str, Any]
    status: str
    histories: dict[str, History]
    versions: dict[str, str]
    code_version: str
    created: float
    updated: float
    message: str = ""
    origin: str = "trained"  # or "imported": read from a bundle, never trained here

    @property
    def imported(self) -> bool:
        return self.origin == "imported"

    def experiment(self) -> config.Experiment:
        return config.from_params(self.params)[0]


@dataclass
class RunSummary:
    """What a list of runs shows, read without parsing full histories or weights."""

    run_id: str
    task: str
    status: str
    cells: list[str]
    updated: float
    final_metrics: dict[str, float | None] = field(default_factory=dict)
    origin: str = "trained"

    @property
    def imported(self) -> bool:
        return self.origin == "imported"


# The last column says whether the run came from a bundle (its id is in the table `imported`).
IMPORTED = "run_id IN (SELECT run_id FROM imported)"
SUMMARY_COLUMNS = f"run_id, task, status, summary, updated, {IMPORTED}"


def _summary(row: tuple) -> RunSummary:
    """A row's summary; DamagedRun for one that no page could show."""
    identifier, task, status, summary, updated, imported = row
    try:
        data = json.loads(summary)
        cells, metrics = data["cells"], data["final_metrics"]
        if not (isinstance(cells, list) and all(isinstance(cell, str) for cell in cells)):
            raise ValueError("its model names are not a list of text")
        if not (isinstance(metrics, dict) and all(value is None or _finite(value) for value in metrics.values())):
            raise ValueError("a final metric is not a number in range")
        if status not in STATUSES or not isinstance(task, str) or not isinstance(updated, float):
            raise ValueError("its status, task or time is not one a run has")
        if not 0 <= updated <= LATEST_TIME:
            raise ValueError("its time is past the year 9999")
    except (ValueError, TypeError, KeyError, RecursionError) as error:
        raise DamagedRun(identifier, _reason(error)) from None
    return RunSummary(identifier, task, status, cells, updated, metrics, "imported" if imported else "trained")


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and in_range(value)


def _reason(error: BaseException) -> str:
    return str(error)[:120] if isinstance(error, ValueError) and str(error) else type(error).__name__


def stored_run(row: tuple) -> StoredRun:
    """A row of (run_id, task, params, status, histories, versions, code_version, created, updated,
    message, imported) as a run; DamagedRun if no page could show it."""
    try:
        histories = {cell: History.from_dict(data) for cell, data in json.loads(row[4]).items()}
        for history in histories.values():
            check_readable(history)
        params = json.loads(row[2])
        if not (isinstance(params, dict) and histories and config.from_params(params)[0].task == row[1]):
            raise ValueError("its settings are not a lesson's")
        return StoredRun(run_id=row[0], task=row[1], params=params, status=row[3], histories=histories,
                         versions=json.loads(row[5]), code_version=row[6], created=row[7], updated=row[8],
                         message=row[9], origin="imported" if row[10] else "trained")
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as error:
        raise DamagedRun(row[0], _reason(error)) from None


def checked_summaries(rows: list[tuple]) -> tuple[list[RunSummary], list[DamagedRun]]:
    """The rows' summaries, and the damage of those that cannot be read."""
    summaries, damaged = [], []
    for row in rows:
        try:
            summaries.append(_summary(row))
        except DamagedRun as error:
            damaged.append(error)
    return summaries, damaged
