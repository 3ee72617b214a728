"""The run store: finished and stopped runs in SQLite, keyed by experiment and numbers version.

A link whose experiment is already stored shows its curves at once instead of retraining. Each
operation opens its own connection, and writes are short `BEGIN IMMEDIATE` transactions in WAL
mode, so page threads, job threads and a second server process can share one file. Weights are
torch state dicts read back with `weights_only=True`: nothing stored can run code when loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from core.data.history import STATUSES, History, combined_status
from core.settings.paths import default_path
from core.store.bundles import BUNDLE_FORMAT, BUNDLE_VERSION, BundleError, read_bundle
from core.store.imports import check_allowed, imported_id
from core.store.records import (
    IMPORTED,
    SUMMARY_COLUMNS,
    DamagedRun,
    RunSummary,
    StoredRun,
    checked_summaries,
    stored_run,
)
from core.store.sqlite_file import check_path, is_busy, migrate, store_error, wait_seconds
from core.store.tensor_blobs import UnsafeWeights, read_tensor_blob, tensor_blob  # noqa: F401 - callers catch it here
from core.tasks import experiment as config
from core.tasks import versions

logger = logging.getLogger("rnn_playground.store")


def _id_from(params: Any, code_version: str) -> str:
    text = json.dumps([params, code_version], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_id(experiment: config.Experiment) -> str:
    """16 hex characters naming an experiment as its task's current numbers version computes it.

    Edits that leave the task's numbers alone keep the id, so stored runs and links survive them.
    """
    return _id_from(config.to_params(config.as_trained(experiment)), versions.numbers_version(experiment.task))


def _dumps(value: Any) -> str:
    # allow_nan=False: a NaN that slipped through would make the stored JSON unreadable elsewhere.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


class RunStore:
    """Runs in one SQLite file; safe to share between threads and processes."""

    def __init__(self, path: str | os.PathLike[str] | None = None, wait: float | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.wait_seconds = wait if wait is not None else wait_seconds()
        check_path(self.path)
        with self._write() as connection:
            migrate(connection, self.path)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # isolation_level=None: transactions are begun explicitly, so none is left open by accident.
        try:
            connection = sqlite3.connect(self.path, timeout=self.wait_seconds, isolation_level=None)
        except sqlite3.Error as error:
            raise store_error(self.path, error, self.wait_seconds) from None
        try:
            connection.execute(f"PRAGMA busy_timeout={int(self.wait_seconds * 1000)}")
            connection.execute("PRAGMA journal_mode=WAL")
            yield connection
        except sqlite3.Error as error:
            # SQLite's own words ("database is locked", "file is not a database") name no file and
            # no fix; say both. The file itself is never touched here.
            raise store_error(self.path, error, self.wait_seconds) from None
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
                if not is_busy(error):
                    raise
                connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    # core/classes keeps a class's tables in this file: it shares these connections and the write lock.
    connect = _connect
    transaction = _write

    def save(
        self,
        experiment: config.Experiment,
        histories: dict[str, History],
        weights: dict[str, dict[str, torch.Tensor]] | None = None,
        status: str | None = None,
        message: str = "",
        states: dict[str, dict[str, torch.Tensor]] | None = None,
    ) -> str:
        """Store (or replace, weights included) the run of an experiment; returns its id. `states` are
        the models' optimizer states and random streams, which a run continued from this one resumes."""
        for cell, history in histories.items():
            if history.cell != cell:
                raise ValueError(f"history for {cell!r} names cell {history.cell!r}")
        if status is None:
            status = combined_status(list(histories.values()))
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        identifier = run_id(experiment)
        blobs = {cell: tensor_blob(state) for cell, state in (weights or {}).items()}
        self._store(identifier, config.to_params(config.as_trained(experiment)), status,
                    {cell: h.to_dict() for cell, h in histories.items()},
                    versions.library_versions(), versions.numbers_version(experiment.task), message, blobs,
                    states={cell: tensor_blob(state) for cell, state in (states or {}).items()})
        return identifier

    def _store(self, identifier: str, params: dict[str, Any], status: str,
               histories: dict[str, dict[str, Any]], library: dict[str, str],
               code_version: str, message: str, blobs: dict[str, bytes], origin: str = "trained",
               states: dict[str, bytes] | None = None) -> bool:
        """Write the run; False (nothing written) for an import that check_allowed says is here already."""
        summary = {
            "cells": list(histories),
            "final_metrics": {c: (h["val_metric"] or [None])[-1] for c, h in histories.items()},
        }
        row = (identifier, str(params["task"]), _dumps(params), status, _dumps(histories),
               _dumps(summary), _dumps(library), code_version, message)
        with self._write() as connection:
            if origin == "imported" and not check_allowed(connection, identifier):
                return False
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
            # A run trained here replaces whatever had its id; only an import is marked as one.
            connection.execute("DELETE FROM imported WHERE run_id = ?", (identifier,))
            if origin == "imported":
                connection.execute("INSERT INTO imported (run_id) VALUES (?)", (identifier,))
            # Weights belong to the histories they were saved with, so a new save drops old ones.
            connection.execute("DELETE FROM weights WHERE run_id = ?", (identifier,))
            connection.executemany(
                "INSERT INTO weights (run_id, cell, blob) VALUES (?,?,?)",
                [(identifier, cell, blob) for cell, blob in blobs.items()],
            )
            connection.execute("DELETE FROM training_states WHERE run_id = ?", (identifier,))
            connection.executemany("INSERT INTO training_states (run_id, cell, blob) VALUES (?,?,?)",
                                   [(identifier, cell, blob) for cell, blob in (states or {}).items()])
        return True

    def load(self, run_id: str) -> StoredRun | None:
        """The stored run, None if there is none; DamagedRun if its row cannot be read as a run."""
        with self._connect() as connection:
            row = connection.execute(
                "SELECT run_id, task, params, status, histories, versions, code_version, created,"
                f" updated, message, {IMPORTED} FROM runs WHERE run_id = ?", (run_id,),
            ).fetchone()
        if row is None:
            return None
        return stored_run(row)

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
        return None if row is None else read_tensor_blob(row[0], f"weights of {cell} in run {run_id}")

    def load_training_state(self, run_id: str, cell: str) -> dict[str, torch.Tensor] | None:
        """A model's optimizer state and random streams (core/training/resume.py), None if not stored."""
        with self._connect() as connection:
            row = connection.execute(
                "SELECT blob FROM training_states WHERE run_id = ? AND cell = ?", (run_id, cell),
            ).fetchone()
        return None if row is None else read_tensor_blob(row[0], f"training state of {cell} in run {run_id}")

    def find(self, experiment: config.Experiment, finished_only: bool = False) -> StoredRun | None:
        """The run of `experiment` trained here, if stored; an imported run never answers for a link,
        and a damaged row counts as none (it is logged, and the next training replaces it)."""
        try:
            stored = self.load(run_id(experiment))
        except DamagedRun as error:
            logger.warning("%s", error)
            return None
        if stored is None or stored.imported or (finished_only and stored.status != "finished"):
            return None
        return stored

    def list(self, task: str | None = None, limit: int = 100) -> list[RunSummary]:
        """Newest first, damaged rows left out."""
        return self.list_checked(task, limit)[0]

    def list_checked(self, task: str | None = None, limit: int = 100) -> tuple[list[RunSummary], list[DamagedRun]]:
        """Newest first, and the rows among them that are damaged (each says which and why)."""
        query = f"SELECT {SUMMARY_COLUMNS} FROM runs"
        arguments: tuple[Any, ...] = ()
        if task is not None:
            query, arguments = query + " WHERE task = ?", (task,)
        with self._connect() as connection:
            rows = connection.execute(
                query + " ORDER BY updated DESC LIMIT ?", (*arguments, max(0, int(limit))),
            ).fetchall()
        return checked_summaries(rows)

    def summaries(self, run_ids: list[str]) -> dict[str, RunSummary]:
        """The stored runs among `run_ids`, by id, read from their summaries only; damaged ones left out."""
        found: dict[str, RunSummary] = {}
        with self._connect() as connection:
            # SQLite caps the number of parameters in one statement, so ask in chunks.
            for start in range(0, len(run_ids), 500):
                chunk = run_ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                rows = connection.execute(
                    f"SELECT {SUMMARY_COLUMNS} FROM runs WHERE run_id IN ({marks})", chunk,
                ).fetchall()
                found.update((summary.run_id, summary) for summary in checked_summaries(rows)[0])
        return found

    def params_of(self, run_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The stored settings of the runs among `run_ids`, by id, without reading their histories
        (a comparison table shows the settings of every listed run)."""
        found: dict[str, dict[str, Any]] = {}
        with self._connect() as connection:
            for start in range(0, len(run_ids), 500):
                chunk = run_ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                query = f"SELECT run_id, params FROM runs WHERE run_id IN ({marks})"
                rows = connection.execute(query, chunk).fetchall()
                for identifier, params in rows:
                    try:
                        found[identifier] = json.loads(params)
                    except (ValueError, RecursionError):
                        continue  # a damaged row: its summary is skipped too, with a notice
        return {identifier: params for identifier, params in found.items() if isinstance(params, dict)}

    def delete(self, run_id: str) -> bool:
        with self._write() as connection:
            for table in ("weights", "training_states", "imported"):
                connection.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
            removed = connection.execute("DELETE FROM runs WHERE run_id = ?", (run_id,)).rowcount
        return removed > 0

    def delete_older_than(self, cutoff: float, dry_run: bool = False) -> list[str]:
        """Remove runs (weights included) last updated before `cutoff` (a time.time()); their ids."""
        with self._write() as connection:
            identifiers = [row[0] for row in connection.execute(
                "SELECT run_id FROM runs WHERE updated < ? ORDER BY updated", (cutoff,))]
            if not dry_run:
                old = "SELECT run_id FROM runs WHERE updated < ?"
                for table in ("weights", "training_states", "imported"):
                    connection.execute(f"DELETE FROM {table} WHERE run_id IN ({old})", (cutoff,))
                connection.execute("DELETE FROM runs WHERE updated < ?", (cutoff,))
        return identifiers

    def export_bundle(self, run_id: str) -> dict[str, Any]:
        """The run as a JSON-ready dict, without weights; KeyError if it is not stored."""
        stored = self.load(run_id)
        if stored is None:
            raise KeyError(f"no stored run {run_id}")
        # An imported run's own id is not one a bundle may carry: its bundle names the settings' id.
        shown_id = _id_from(stored.params, stored.code_version) if stored.imported else stored.run_id
        return {
            "format": BUNDLE_FORMAT, "version": BUNDLE_VERSION, "run_id": shown_id,
            "task": stored.task, "params": stored.params, "status": stored.status,
            "message": stored.message,
            "histories": {cell: h.to_dict() for cell, h in stored.histories.items()},
            "versions": stored.versions, "code_version": stored.code_version,
        }

    def import_bundle(self, bundle: dict[str, Any] | str | bytes) -> str:
        """Validate and store an exported run (without weights) as imported; returns its id.

        The id is imported_id(...), never the one a run of these settings trained here has or would
        get, so an import can neither pose as a local run (a link to its settings does not open it)
        nor replace one; importing the same bundle again keeps the one copy.
        """
        data = read_bundle(bundle)
        experiment, params, code_version = data["experiment"], data["params"], data["code_version"]
        # An id computed from the params as written also counts, so a bundle from a schema with
        # fewer settings still imports; any other id means settings were edited after export.
        expected = _id_from(config.to_params(experiment), code_version)
        if data["run_id"] not in (expected, _id_from(params, code_version)):
            raise BundleError("The bundle's run id does not match its settings and code version,"
                              " so its settings were changed after export.")
        histories = {cell: history.to_dict() for cell, history in data["histories"].items()}
        stored_params = config.to_params(experiment)
        identifier = imported_id(stored_params, code_version, data["status"], data["message"], histories)
        self._store(identifier, stored_params, data["status"], histories, data["versions"], code_version,
                    data["message"], {}, origin="imported")
        return identifier

