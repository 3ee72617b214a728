"""The run store: finished and stopped runs in SQLite, keyed by experiment and numbers version.

A link whose experiment is already stored shows its curves at once instead of retraining. Each
operation opens its own connection, and writes are short `BEGIN IMMEDIATE` transactions in WAL
mode, so page threads, job threads and a second server process can share one file. Weights are
torch state dicts read back with `weights_only=True`: nothing stored can run code when loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import torch

from core.tasks import experiment as config
from core.tasks import versions
from core.data.history import STATUSES, History, combined_status

BUNDLE_FORMAT = "rnn-playground-run"
BUNDLE_VERSION = 1
# Checked before a bundle is parsed: a 71 MB bundle took 1.07 GB to import. The largest runs the
# settings allow (5000 steps probed every 5, 3 layers, 200 steps, 7 cells) are bigger; they still
# train and show locally, and are refused here with a message that says so.
MAX_BUNDLE_BYTES = int(float(os.environ.get("RNN_PLAYGROUND_MAX_BUNDLE_MB", "16")) * 1024 * 1024)
# An exported bundle nests 6 deep (bundle, histories, cell, probes, probe, layer); copying or
# saving a far deeper one ran out of stack.
MAX_DEPTH = 8
MAX_TEXT = 10_000
# Statuses an imported run may have: only runs that have ended. A "running" one would stay
# running forever, since no job here will ever finish it.
IMPORT_STATUSES = ("finished", "stopped", "diverged")
_HEX = re.compile(r"[0-9a-f]{1,64}")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, task TEXT NOT NULL, params TEXT NOT NULL, status TEXT NOT NULL,
    histories TEXT NOT NULL, summary TEXT NOT NULL, versions TEXT NOT NULL,
    code_version TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL, message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_updated ON runs (updated);
CREATE TABLE IF NOT EXISTS weights (
    run_id TEXT NOT NULL, cell TEXT NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (run_id, cell)
);
"""


class BundleError(ValueError):
    """An imported run bundle that cannot be trusted; the message is meant for the user."""


class StoreError(RuntimeError):
    """The run store cannot be used as configured; the message says what is wrong and how to fix it."""


class StoreBusy(StoreError):
    """Another process held the store's write lock for longer than this one would wait."""


# How long a command waits for another process's write lock before saying so.
WAIT_SECONDS = 30.0


def wait_seconds() -> float:
    """RNN_PLAYGROUND_DB_WAIT_SECONDS if it is a positive number, else WAIT_SECONDS."""
    try:
        value = float(os.environ.get("RNN_PLAYGROUND_DB_WAIT_SECONDS", WAIT_SECONDS))
    except ValueError:
        return WAIT_SECONDS
    return value if 0 < value < 3600 else WAIT_SECONDS
_SQLITE_HEADER = b"SQLite format 3\x00"


def default_path() -> Path:
    """RNN_PLAYGROUND_DB if set, else runs.sqlite in the user's cache directory."""
    override = os.environ.get("RNN_PLAYGROUND_DB")
    if override:
        path = Path(override).expanduser()
    else:
        cache = os.environ.get("XDG_CACHE_HOME", "")
        # The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
        base = Path(cache) if cache and Path(cache).is_absolute() else Path.home() / ".cache"
        path = base / "rnn-playground" / "runs.sqlite"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"Cannot create the run store's folder {path.parent} ({error.strerror or error}); "
                         "set RNN_PLAYGROUND_DB to a file in a folder you can write to.") from None
    return path


def _id_from(params: Any, code_version: str) -> str:
    text = json.dumps([params, code_version], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_id(experiment: config.Experiment) -> str:
    """16 hex characters naming an experiment as its task's current numbers version computes it.

    Edits that leave the task's numbers alone keep the id, so stored runs and links survive them.
    """
    return _id_from(config.to_params(experiment), versions.numbers_version(experiment.task))


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


def _summary(row: tuple) -> RunSummary:
    identifier, task, status, summary, updated = row
    data = json.loads(summary)
    return RunSummary(identifier, task, status, data["cells"], updated, data["final_metrics"])


def _dumps(value: Any) -> str:
    # allow_nan=False: a NaN that slipped through would make the stored JSON unreadable elsewhere.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _weights_blob(state: dict[str, torch.Tensor]) -> bytes:
    buffer = io.BytesIO()
    # Clones keep each blob to its own tensors, not the whole storage a view may belong to.
    torch.save({name: tensor.detach().cpu().clone() for name, tensor in state.items()}, buffer)
    return buffer.getvalue()


def _is_busy(error: sqlite3.Error) -> bool:
    return "locked" in str(error) or "busy" in str(error)


def _check_path(path: Path) -> None:
    """StoreError when the path cannot be a run store: a folder, or a file that is not SQLite."""
    if path.is_dir():
        raise StoreError(f"The run store path {path} is a folder; set RNN_PLAYGROUND_DB to a file, "
                         f"such as {path / 'runs.sqlite'}.")
    if not path.parent.is_dir():
        raise StoreError(f"The run store's folder {path.parent} does not exist; create it or set "
                         "RNN_PLAYGROUND_DB to a file in an existing folder.")
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as error:
        raise StoreError(f"Cannot read the run store {path} ({error.strerror or error}); make it readable "
                         "or set RNN_PLAYGROUND_DB to another file.") from None
    # An empty file is a new database to SQLite; anything else must start with SQLite's header.
    if head and head != _SQLITE_HEADER:
        raise StoreError(f"{path} is not an SQLite run store, so it was left untouched; set "
                         "RNN_PLAYGROUND_DB to another file, or move this one away.")


def _store_error(path: Path, error: sqlite3.Error, wait_seconds: float) -> StoreError:
    text = str(error)
    if _is_busy(error):
        return StoreBusy(f"The run store {path} is busy: another process has held its write lock for over "
                         f"{wait_seconds:g} s, so nothing was changed. Try again when that process is done.")
    if "malformed" in text or "not a database" in text or type(error) is sqlite3.DatabaseError:
        return StoreError(f"The run store {path} is damaged ({text}), so it was left untouched; move it aside "
                          "to start a new store, or restore it from a backup.")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"Cannot write to the run store {path}: the file or its folder is read-only. Make "
                          "them writable, or set RNN_PLAYGROUND_DB to a file in a folder you can write to.")
    if "unable to open" in text:
        return StoreError(f"Cannot open the run store {path}: check that its folder exists and is writable, "
                          "or set RNN_PLAYGROUND_DB to another file.")
    return StoreError(f"The run store {path} cannot be used: {text}.")


class RunStore:
    """Runs in one SQLite file; safe to share between threads and processes."""

    def __init__(self, path: str | os.PathLike[str] | None = None, wait: float | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.wait_seconds = wait if wait is not None else wait_seconds()
        _check_path(self.path)
        with self._write() as connection:
            # executescript would commit on its own; one statement at a time stays in BEGIN.
            for statement in filter(str.strip, _SCHEMA.split(";")):
                connection.execute(statement)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # isolation_level=None: transactions are begun explicitly, so none is left open by accident.
        try:
            connection = sqlite3.connect(self.path, timeout=self.wait_seconds, isolation_level=None)
        except sqlite3.Error as error:
            raise _store_error(self.path, error, self.wait_seconds) from None
        try:
            connection.execute(f"PRAGMA busy_timeout={int(self.wait_seconds * 1000)}")
            connection.execute("PRAGMA journal_mode=WAL")
            yield connection
        except sqlite3.Error as error:
            # SQLite's own words ("database is locked", "file is not a database") name no file and
            # no fix; say both. The file itself is never touched here.
            raise _store_error(self.path, error, self.wait_seconds) from None
        finally:
            connection.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as connection:
            # IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
            # instead of one failing when it upgrades a read lock mid-transaction. A BEGIN that
            # timed out wrote nothing, so it is safe to wait once more before giving up.
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise
                connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def save(
        self,
        experiment: config.Experiment,
        histories: dict[str, History],
        weights: dict[str, dict[str, torch.Tensor]] | None = None,
        status: str | None = None,
        message: str = "",
    ) -> str:
        """Store (or replace, weights included) the run of an experiment; returns its id."""
        for cell, history in histories.items():
            if history.cell != cell:
                raise ValueError(f"history for {cell!r} names cell {history.cell!r}")
        if status is None:
            status = combined_status(list(histories.values()))
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        identifier = run_id(experiment)
        blobs = {cell: _weights_blob(state) for cell, state in (weights or {}).items()}
        self._store(identifier, config.to_params(experiment), status,
                    {cell: h.to_dict() for cell, h in histories.items()},
                    versions.library_versions(), versions.numbers_version(experiment.task), message, blobs)
        return identifier

    def _store(self, identifier: str, params: dict[str, Any], status: str,
               histories: dict[str, dict[str, Any]], library: dict[str, str],
               code_version: str, message: str, blobs: dict[str, bytes]) -> None:
        summary = {
            "cells": list(histories),
            "final_metrics": {c: (h["val_metric"] or [None])[-1] for c, h in histories.items()},
        }
        row = (identifier, str(params["task"]), _dumps(params), status, _dumps(histories),
               _dumps(summary), _dumps(library), code_version, message)
        with self._write() as connection:
            latest = connection.execute("SELECT MAX(updated) FROM runs").fetchone()[0] or 0.0
            # Strictly increasing times keep "newest first" exact even within one clock tick.
            now = max(time.time(), latest + 1e-6)
            connection.execute(
                "INSERT INTO runs (run_id, task, params, status, histories, summary, versions,"
                " code_version, message, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (run_id) DO UPDATE SET task=excluded.task, params=excluded.params,"
                " status=excluded.status, histories=excluded.histories, summary=excluded.summary,"
                " versions=excluded.versions, code_version=excluded.code_version,"
                " message=excluded.message, updated=excluded.updated",
                (*row, now, now),
            )
            # Weights belong to the histories they were saved with, so a new save drops old ones.
            connection.execute("DELETE FROM weights WHERE run_id = ?", (identifier,))
            connection.executemany(
                "INSERT INTO weights (run_id, cell, blob) VALUES (?,?,?)",
                [(identifier, cell, blob) for cell, blob in blobs.items()],
            )

    def load(self, run_id: str) -> StoredRun | None:
        with self._connect() as connection:
            row = connection.execute(
                "SELECT run_id, task, params, status, histories, versions, code_version, created,"
                " updated, message FROM runs WHERE run_id = ?", (run_id,),
            ).fetchone()
        if row is None:
            return None
        histories = {cell: History.from_dict(data) for cell, data in json.loads(row[4]).items()}
        return StoredRun(run_id=row[0], task=row[1], params=json.loads(row[2]), status=row[3],
                         histories=histories, versions=json.loads(row[5]), code_version=row[6],
                         created=row[7], updated=row[8], message=row[9])

    def has_weights(self, run_id: str) -> bool:
        """Whether any model of the run has stored weights (an imported bundle has none)."""
        with self._connect() as connection:
            found = connection.execute("SELECT 1 FROM weights WHERE run_id = ? LIMIT 1", (run_id,)).fetchone()
        return found is not None

    def load_weights(self, run_id: str, cell: str) -> dict[str, torch.Tensor] | None:
        """A cell's state dict, or None if none is stored; ValueError if the blob is unsafe."""
        with self._connect() as connection:
            row = connection.execute(
                "SELECT blob FROM weights WHERE run_id = ? AND cell = ?", (run_id, cell),
            ).fetchone()
        if row is None:
            return None
        try:
            state = torch.load(io.BytesIO(row[0]), weights_only=True, map_location="cpu")
        except Exception as error:  # the unpickler's refusals come as several exception types
            raise ValueError(f"stored weights of {cell} in run {run_id} are not a plain"
                             f" state dict and were not loaded: {error}") from None
        if not isinstance(state, dict) or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
        ):
            raise ValueError(f"stored weights of {cell} in run {run_id} are not a state dict")
        return dict(state)

    def find(self, experiment: config.Experiment, finished_only: bool = False) -> StoredRun | None:
        stored = self.load(run_id(experiment))
        if stored is None or (finished_only and stored.status != "finished"):
            return None
        return stored

    def list(self, task: str | None = None, limit: int = 100) -> list[RunSummary]:
        """Newest first."""
        query = "SELECT run_id, task, status, summary, updated FROM runs"
        arguments: tuple[Any, ...] = ()
        if task is not None:
            query, arguments = query + " WHERE task = ?", (task,)
        with self._connect() as connection:
            rows = connection.execute(
                query + " ORDER BY updated DESC LIMIT ?", (*arguments, max(0, int(limit))),
            ).fetchall()
        return [_summary(row) for row in rows]

    def summaries(self, run_ids: list[str]) -> dict[str, RunSummary]:
        """The stored runs among `run_ids`, by id, read from their summaries only."""
        found: dict[str, RunSummary] = {}
        with self._connect() as connection:
            # SQLite caps the number of parameters in one statement, so ask in chunks.
            for start in range(0, len(run_ids), 500):
                chunk = run_ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                rows = connection.execute(
                    f"SELECT run_id, task, status, summary, updated FROM runs WHERE run_id IN ({marks})", chunk,
                ).fetchall()
                found.update((row[0], _summary(row)) for row in rows)
        return found

    def params_of(self, run_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The stored settings of the runs among `run_ids`, by id, without reading their histories
        (a comparison table shows the settings of every listed run)."""
        found: dict[str, dict[str, Any]] = {}
        with self._connect() as connection:
            for start in range(0, len(run_ids), 500):
                chunk = run_ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                rows = connection.execute(f"SELECT run_id, params FROM runs WHERE run_id IN ({marks})", chunk).fetchall()
                found.update((identifier, json.loads(params)) for identifier, params in rows)
        return found

    def delete(self, run_id: str) -> bool:
        with self._write() as connection:
            connection.execute("DELETE FROM weights WHERE run_id = ?", (run_id,))
            removed = connection.execute("DELETE FROM runs WHERE run_id = ?", (run_id,)).rowcount
        return removed > 0

    def delete_older_than(self, cutoff: float, dry_run: bool = False) -> list[str]:
        """Remove runs (weights included) last updated before `cutoff` (a time.time()); their ids."""
        with self._write() as connection:
            identifiers = [row[0] for row in connection.execute(
                "SELECT run_id FROM runs WHERE updated < ? ORDER BY updated", (cutoff,))]
            if not dry_run:
                connection.execute("DELETE FROM weights WHERE run_id IN (SELECT run_id FROM runs WHERE updated < ?)",
                                   (cutoff,))
                connection.execute("DELETE FROM runs WHERE updated < ?", (cutoff,))
        return identifiers

    def export_bundle(self, run_id: str) -> dict[str, Any]:
        """The run as a JSON-ready dict, without weights; KeyError if it is not stored."""
        stored = self.load(run_id)
        if stored is None:
            raise KeyError(f"no stored run {run_id}")
        return {
            "format": BUNDLE_FORMAT, "version": BUNDLE_VERSION, "run_id": stored.run_id,
            "task": stored.task, "params": stored.params, "status": stored.status,
            "message": stored.message,
            "histories": {cell: h.to_dict() for cell, h in stored.histories.items()},
            "versions": stored.versions, "code_version": stored.code_version,
        }

    def import_bundle(self, bundle: dict[str, Any] | str | bytes) -> str:
        """Validate and store an exported run (without weights); returns its id."""
        data = _read_bundle(bundle)
        experiment, params, histories = data["experiment"], data["params"], data["histories"]
        code_version = data["code_version"]
        # The id is always recomputed, never taken from the bundle: a chosen id could overwrite
        # an unrelated local run. With the current numbers version (the "code_version" field keeps
        # its old name, so older bundles still read) it is run_id(experiment), so
        # find() serves the imported curves to a link; with another code version it is the id
        # the exporter computed, which no experiment trained by the current code can share.
        if code_version == versions.numbers_version(experiment.task):
            identifier = run_id(experiment)
        else:
            identifier = _id_from(config.to_params(experiment), code_version)
        # An id computed from the params as written also counts, so a bundle from a schema with
        # fewer settings still imports; any other id means settings were edited after export.
        if data["run_id"] not in (identifier, _id_from(params, code_version)):
            raise BundleError("The bundle's run id does not match its settings and code version,"
                              " so its settings were changed after export.")
        existing = self.load(identifier)
        # A finished local copy was trained here and may hold weights; the bundle adds nothing.
        if existing is not None and existing.status == "finished":
            return identifier
        self._store(identifier, config.to_params(experiment), data["status"],
                    {cell: h.to_dict() for cell, h in histories.items()}, data["versions"],
                    code_version, data["message"], {})
        return identifier


def _is_params(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(key, str) and (isinstance(item, str) or (
            isinstance(item, list) and all(isinstance(part, str) for part in item)))
        for key, item in value.items()
    )


class _RefusedJSON(ValueError):
    """JSON that parses but that export never writes (a repeated key, NaN); its message is for the user."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _RefusedJSON(f"The bundle names the key {key[:40]!r} twice in one object, so it is ambiguous.")
        seen[key] = value
    return seen


def _no_constants(name: str) -> Any:
    raise _RefusedJSON(f"The bundle holds {name}, which is not a number JSON allows.")


def parse_bundle(text: str | bytes) -> Any:
    """The JSON of a bundle, refusing what export never writes: more than MAX_BUNDLE_BYTES, a key
    repeated within one object (which JSON readers resolve differently), NaN or Infinity."""
    size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    if size > MAX_BUNDLE_BYTES:
        raise BundleError(f"The bundle is {size / 1024 / 1024:.1f} MB; this server imports bundles of at most "
                          f"{MAX_BUNDLE_BYTES / 1024 / 1024:.0f} MB (RNN_PLAYGROUND_MAX_BUNDLE_MB).")
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constants)
    except _RefusedJSON as error:
        raise BundleError(str(error)) from None
    except (ValueError, RecursionError) as error:
        raise BundleError(f"The file is not valid JSON: {str(error)[:200]}") from None


def check_plain(value: Any) -> None:
    """BundleError unless `value` is plain JSON data a run store can hold: nested at most MAX_DEPTH,
    strings of at most MAX_TEXT characters that are valid Unicode, finite numbers. Iterative, so
    it cannot itself run out of stack, and it runs before anything copies the data."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise BundleError(f"The bundle nests deeper than {MAX_DEPTH} levels; an exported run never does.")
        if isinstance(item, dict):
            pending.extend((key, depth + 1) for key in item)
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            if len(item) > MAX_TEXT:
                raise BundleError(f"The bundle holds a text of {len(item):,} characters; the limit is {MAX_TEXT:,}.")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise BundleError("The bundle holds text that is not valid Unicode (a lone surrogate).") from None
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise BundleError("The bundle holds a number that is not finite.")
        elif not (item is None or isinstance(item, (bool, int))):
            raise BundleError(f"The bundle holds a {type(item).__name__}, which is not JSON data.")


def _read_bundle(bundle: dict[str, Any] | str | bytes) -> dict[str, Any]:
    """The checked contents of a bundle, or BundleError saying what is wrong."""
    if isinstance(bundle, (str, bytes)):
        bundle = parse_bundle(bundle)
    check_plain(bundle)
    if not isinstance(bundle, dict):
        raise BundleError("The file is not a run bundle: it should hold one JSON object.")
    if bundle.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"The file is not an RNN Playground run (format should be"
                          f" {BUNDLE_FORMAT!r}).")
    version = bundle.get("version")
    if type(version) is not int or version != BUNDLE_VERSION:
        raise BundleError(f"Run bundle version {version!r} is not supported (expected"
                          f" {BUNDLE_VERSION}).")
    params = bundle.get("params")
    if not _is_params(params):
        raise BundleError("The bundle's settings must map names to text values.")
    experiment, messages = config.from_params(params)
    if messages:
        raise BundleError("The bundle's settings are not valid: " + " ".join(messages))
    if bundle.get("task") != experiment.task:
        raise BundleError("The bundle's task does not match its settings.")
    raw_histories = bundle.get("histories")
    if not isinstance(raw_histories, dict) or not raw_histories:
        raise BundleError("The bundle holds no training histories.")
    histories = {}
    for cell, raw in raw_histories.items():
        if cell not in config.model_names(experiment):
            raise BundleError(f"The bundle has a history for {str(cell)[:40]!r}, which is not"
                              " one of its cells.")
        try:
            history = History.from_dict(raw)
            if not isinstance(history.metric, str) or not isinstance(history.message, str):
                raise ValueError("metric and message must be text")
        except ValueError as error:
            raise BundleError(f"The {cell} history is malformed: {error}.") from None
        except (TypeError, AttributeError):  # a field of the wrong kind, e.g. a list for a map
            raise BundleError(f"The {cell} history is malformed: a field has the wrong"
                              " type.") from None
        if history.cell != cell:
            raise BundleError(f"The {cell} history names another cell, {history.cell[:40]!r}.")
        if history.status not in IMPORT_STATUSES:
            raise BundleError(f"The {cell} history is {history.status!r}; an imported run must have ended "
                              f"({', '.join(IMPORT_STATUSES)}).")
        histories[cell] = history
    checked = {"experiment": experiment, "params": params, "histories": histories}
    status, message = bundle.get("status"), bundle.get("message", "")
    if status not in STATUSES:
        raise BundleError(f"The bundle's status {str(status)[:40]!r} is not known.")
    if status not in IMPORT_STATUSES:
        raise BundleError(f"The bundle's run is {status!r}; an imported run must have ended "
                          f"({', '.join(IMPORT_STATUSES)}), since nothing here will finish it.")
    if not isinstance(message, str):
        raise BundleError("The bundle's message must be text.")
    library = bundle.get("versions", {})
    if not isinstance(library, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in library.items()
    ):
        raise BundleError("The bundle's library versions must map names to text.")
    code_version = bundle.get("code_version")
    if not isinstance(code_version, str) or not _HEX.fullmatch(code_version):
        raise BundleError("The bundle's code version is missing or not a hex digest.")
    if not isinstance(bundle.get("run_id"), str):
        raise BundleError("The bundle has no run id.")
    checked.update(status=status, message=message, versions=library, code_version=code_version,
                   run_id=bundle["run_id"])
    return checked
