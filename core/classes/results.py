"""What a teacher's page shows of a class, and what it exports: per student, the runs training now and
the finished ones (the settings changed from the lesson's start, the final scores), counts such as
"2 of 3 have a run where the LSTM beats the RNN", each student's latest curves, a CSV of every
stored history and a zip of run bundles. Plain data: the page (ui/class_teacher.py) draws it.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.classes.store import ClassRun, Student
from core.data.history import History
from core.nn.cells import cell_of
from core.report import compare
from core.store.records import DamagedRun, StoredRun
from core.store.runs import RunStore
from core.tasks import experiment as config

# The comparisons the counts make, each (the cell that should win, the one it beats), as the lessons
# teach them: gates against the plain RNN's vanishing gradient.
MATCHES = (("lstm", "rnn"), ("gru", "rnn"), ("bilstm", "lstm"))
CSV_COLUMNS = ("student", "run id", "task", "model", "series", "step", "wall_seconds", "value")


@dataclass(frozen=True)
class RunLine:
    """One run of a student, as the teacher's table lists it."""

    run_id: str
    task: str
    status: str  # "queued" or "running" while it trains, else its stored status
    changed: dict[str, Any]
    scores: dict[str, float | None]  # model name -> final validation metric
    metric: str
    submitted: float


@dataclass
class StudentLine:
    name: str
    training: list[RunLine] = field(default_factory=list)
    finished: list[RunLine] = field(default_factory=list)


@dataclass
class ClassView:
    """Everything the teacher's page shows at one moment."""

    students: list[StudentLine]
    # Student name -> the histories of their latest finished run, for the overlaid curves.
    latest: dict[str, dict[str, History]]
    latest_task: dict[str, str]
    stored: dict[str, StoredRun]  # run id -> stored run, every tagged run the store holds


def changed_settings(params: Mapping[str, Any]) -> dict[str, Any]:
    """The settings of a stored run that differ from its lesson's starting point (name -> value)."""
    start = config.to_params(config.as_trained(config.default_experiment(str(params.get("task", "")))))
    return {name: value for name, value in params.items() if name != "task" and start.get(name) != value}


def final_scores(stored: StoredRun) -> tuple[dict[str, float | None], str]:
    """(model name -> final validation metric, the metric's name) of a stored run, models in the cell
    registry's order."""
    names = compare.model_order(stored.histories)
    metric = next((stored.histories[name].metric for name in names), "metric")
    return {name: stored.histories[name].final_val_metric() for name in names}, metric


def _load(store: RunStore, run_id: str) -> StoredRun | None:
    try:
        return store.load(run_id)
    except DamagedRun:
        return None


def class_view(store: RunStore, students: list[Student], tagged: list[ClassRun],
               live_status: Callable[[str], tuple[str, dict[str, Any]] | None],
               load: Callable[[str, float], StoredRun | None] | None = None) -> ClassView:
    """The class now; `live_status(job_id)` gives ("queued" or "running", the job's settings) for a
    job still training, None for one that ended (its run is then read from the store).

    `load(run_id, updated)` may hand back a copy it keeps (the teacher's page redraws every 2 s, and
    reading every history again each time would cost a hosted server's one core): a stored run is
    asked for with the time it was last saved, so a retrained run is read afresh."""
    updated = {identifier: summary.updated for identifier, summary in
               store.summaries(list(dict.fromkeys(tag.run_id for tag in tagged))).items()}
    if load is None:
        def load(run_id: str, _: float) -> StoredRun | None:
            return _load(store, run_id)
    lines = {student.name_key: StudentLine(student.name) for student in students}
    stored: dict[str, StoredRun] = {}
    latest: dict[str, dict[str, History]] = {}
    latest_task: dict[str, str] = {}
    for tag in tagged:  # oldest first, so each student's latest finished run is the last one seen
        line = lines.get(tag.name_key)
        if line is None:
            continue
        live = live_status(tag.job_id)
        found = stored.get(tag.run_id) or (load(tag.run_id, updated[tag.run_id]) if tag.run_id in updated else None)
        if found is not None:
            stored[tag.run_id] = found
        if live is not None or found is None:
            # Training now, or its job ended before it saved anything (a server restart, say).
            status, params = live or ("ended unsaved", found.params if found else {})
            line.training.append(RunLine(tag.run_id, str(params.get("task", "")), status, changed_settings(params),
                                         {}, "", tag.submitted))
            continue
        scores, metric = final_scores(found)
        line.finished.append(RunLine(tag.run_id, found.task, found.status, changed_settings(found.params), scores,
                                     metric, tag.submitted))
        latest[line.name], latest_task[line.name] = found.histories, found.task
    return ClassView(list(lines.values()), latest, latest_task, stored)


def beats(view: ClassView) -> list[tuple[str, str, int, int]]:
    """(winner, loser, students with a finished run where the winner's final metric beats the loser's,
    students in the class) for each match some finished run of the class could show."""
    counts = []
    for winner, loser in MATCHES:
        could, did = False, 0
        for line in view.students:
            outcomes = [_beats(run.scores, winner, loser) for run in line.finished]
            could = could or any(outcome is not None for outcome in outcomes)
            did += any(outcomes)
        if could:
            counts.append((winner, loser, did, len(view.students)))
    return counts


def _beats(scores: Mapping[str, float | None], winner: str, loser: str) -> bool | None:
    """Whether a run's best model of cell `winner` scored above its best of cell `loser`; None when
    the run lacks either."""
    by_cell: dict[str, list[float]] = {}
    for name, score in scores.items():
        if score is not None:
            by_cell.setdefault(cell_of(name), []).append(score)
    if winner not in by_cell or loser not in by_cell:
        return None
    return max(by_cell[winner]) > max(by_cell[loser])


def csv_rows(view: ClassView, tagged_names: Mapping[str, str], tagged: list[ClassRun]) -> list[dict]:
    """Every point of every stored history of every student's runs, one row each (CSV_COLUMNS)."""
    rows = []
    for tag in tagged:
        found = view.stored.get(tag.run_id)
        name = tagged_names.get(tag.name_key)
        if found is None or name is None:
            continue
        for model in compare.model_order(found.histories):
            for row in compare.series_rows(name, found.histories[model]):
                rows.append({**row, "student": name, "run id": tag.run_id, "task": found.task})
    return rows


def to_csv(rows: list[dict]) -> str:
    """The rows as CSV, every text cell safe to open in a spreadsheet (compare.spreadsheet_safe)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: compare.spreadsheet_safe(value) for key, value in row.items()})
    return buffer.getvalue()


def bundles_zip(store: RunStore, code: str, tagged_names: Mapping[str, str], tagged: list[ClassRun]) -> bytes:
    """Every stored run of the class as a run bundle (`<run id>.json`, importable on any server), and
    `class.json` naming each student's runs. Members are named by run id only: a student's name
    never becomes a path."""
    buffer = io.BytesIO()
    students: dict[str, list[str]] = {}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        written = set()
        for tag in tagged:
            name = tagged_names.get(tag.name_key)
            if name is None:
                continue
            try:
                bundle = store.export_bundle(tag.run_id)
            except (KeyError, DamagedRun):
                continue  # still training, or its row cannot be read
            students.setdefault(name, []).append(tag.run_id)
            if tag.run_id not in written:
                archive.writestr(f"{tag.run_id}.json", json.dumps(bundle, sort_keys=True))
                written.add(tag.run_id)
        archive.writestr("class.json", json.dumps({"class": code, "students": students}, sort_keys=True, indent=1))
    return buffer.getvalue()
