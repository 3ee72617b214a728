"""The run store's SQLite file: its schema and version, the checks a path must pass, and the
plain-words errors that name the file and the fix."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from core.data.files import kind_of
from core.settings import environment
from core.settings.paths import StoreError

# The schema's version, kept in the file's user_version: a later change to the tables bumps it
# and migrates older files in `migrate`; a file written by a newer schema is refused, not misread.
# Version 2 added the table `imported`: the ids of runs read from a bundle, not trained here (a
# table of its own, so the runs table, and copies of its rows between files, stay as they were).
# Version 3 added a class's tables (core/classes/): its hashed teacher key, its students and which
# runs each trained (runs stay as they were, so a class adds nothing to a run or its id, and deleting
# one removes no run); and the table `training_states`: each model's optimizer state and random
# streams, so a run can be continued exactly (core/training/resume.py); older runs simply have none.
# Still version 3: the tables `class_lessons` (the guided lesson a class started on) and `class_steps`
# (the step of a guided lesson each student is at) are created IF NOT EXISTS by `migrate` on every
# open, so a version 3 file from before them gains them, and an app without them never reads them.
SCHEMA_VERSION = 3
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
CREATE TABLE IF NOT EXISTS imported (run_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS classes (
    code TEXT PRIMARY KEY, key_digest TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL, closed REAL
);
CREATE TABLE IF NOT EXISTS class_students (
    code TEXT NOT NULL, name_key TEXT NOT NULL, name TEXT NOT NULL, token_digest TEXT NOT NULL UNIQUE,
    joined REAL NOT NULL, PRIMARY KEY (code, name_key)
);
CREATE TABLE IF NOT EXISTS class_runs (
    code TEXT NOT NULL, name_key TEXT NOT NULL, run_id TEXT NOT NULL, job_id TEXT NOT NULL,
    submitted REAL NOT NULL, PRIMARY KEY (code, name_key, run_id)
);
CREATE TABLE IF NOT EXISTS class_lessons (code TEXT PRIMARY KEY, lesson TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS class_steps (
    code TEXT NOT NULL, name_key TEXT NOT NULL, lesson TEXT NOT NULL, step INTEGER NOT NULL,
    updated REAL NOT NULL, PRIMARY KEY (code, name_key)
);
CREATE TABLE IF NOT EXISTS training_states (
    run_id TEXT NOT NULL, cell TEXT NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (run_id, cell)
);
"""


class StoreBusy(StoreError):
    """Another process held the store's write lock for longer than this one would wait."""


def wait_seconds() -> float:
    """How long a command waits for another process's write lock before saying so."""
    return environment.read("RNN_PLAYGROUND_DB_WAIT_SECONDS")
_SQLITE_HEADER = b"SQLite format 3\x00"


def is_busy(error: sqlite3.Error) -> bool:
    return "locked" in str(error) or "busy" in str(error)


def check_path(path: Path) -> None:
    """StoreError when the path cannot be a run store: a folder, a FIFO or device (which would block
    or never end), a name the system refuses (too long), or a file that is not SQLite."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise StoreError(f"The run store path {_shown(path)} cannot be used ({error.strerror or error}); set "
                         "RNN_PLAYGROUND_DB to a file with a shorter path.") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise StoreError(f"The run store path {path} is a folder; set RNN_PLAYGROUND_DB to a file, "
                         f"such as {path / 'runs.sqlite'}.")
    if mode is not None and not stat.S_ISREG(mode):
        raise StoreError(f"The run store path {_shown(path)} is {kind_of(mode)}, not a regular file; set "
                         "RNN_PLAYGROUND_DB to a file.")
    if not path.parent.is_dir():
        raise StoreError(f"The run store's folder {_shown(path.parent)} does not exist; create it or set "
                         "RNN_PLAYGROUND_DB to a file in an existing folder.")
    if mode is None:
        return
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(_SQLITE_HEADER))
    except OSError as error:
        raise StoreError(f"Cannot read the run store {path} ({error.strerror or error}); make it readable "
                         "or set RNN_PLAYGROUND_DB to another file.") from None
    # An empty file is a new database to SQLite; anything else must start with SQLite's header.
    if head and head != _SQLITE_HEADER:
        raise StoreError(f"{path} is not an SQLite run store, so it was left untouched; set "
                         "RNN_PLAYGROUND_DB to another file, or move this one away.")


def _shown(path: Path) -> str:
    text = str(path)
    return text if len(text) <= 80 else text[:60] + "..." + text[-15:]


def store_error(path: Path, error: sqlite3.Error, wait_seconds: float) -> StoreError:
    text = str(error)
    if is_busy(error):
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


def migrate(connection: sqlite3.Connection, path: Path) -> None:
    """Create the tables, or bring an older schema up to this one; StoreError for a newer file.

    Version 0 is a file from before the schema had a version: its tables are version 1's. Version 1
    had no table `imported`; a run in it without weights can only have come from a bundle (training here
    always saves weights), so it is marked imported and no link serves it as trained here.
    """
    found = connection.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise StoreError(f"The run store {path} was written by a newer version of this app (schema {found}, "
                         f"this one reads up to {SCHEMA_VERSION}), so it was left untouched; set "
                         "RNN_PLAYGROUND_DB to another file or update the app.")
    # executescript would commit on its own; one statement at a time stays in the caller's BEGIN.
    for statement in filter(str.strip, _SCHEMA.split(";")):
        connection.execute(statement)
    if found < 2:
        connection.execute("INSERT OR IGNORE INTO imported SELECT run_id FROM runs WHERE run_id NOT IN "
                           "(SELECT run_id FROM weights)")
    if found < SCHEMA_VERSION:
        connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
