"""Uploaded data files, kept by content: a run that trained on a file names it by its key.

A share link cannot carry a file, so a run records the file's key; the file itself lives next to
the run store, and a link opened where the file is missing says so instead of training on
something else.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from core.tasks.base import DataError

class UploadMissing(DataError, KeyError):
    """A run names a file this server does not have (a link from elsewhere, or a cleaned cache)."""

    def __str__(self) -> str:
        return ("The uploaded file this run trains on is not on this server (links cannot carry files). "
                "Upload the file again to train on it.")


FORMAT_PATTERN = re.compile(r"[a-z]{2,12}")
MAX_BYTES = 20 * 1024 * 1024


def folder() -> Path:
    """Next to the run store, so each store (a test's, a server's) keeps its own files."""
    from core.runs import default_path

    return default_path().parent / "uploads"


def key_of(content: bytes, format: str) -> str:
    return hashlib.sha256(format.encode() + b"\0" + content).hexdigest()[:16]


def save(content: bytes, format: str) -> str:
    """Keep a file and return its key (the same content and format always give the same key)."""
    if not FORMAT_PATTERN.fullmatch(format):
        raise DataError(f"Unknown file format {format!r}.")
    if len(content) > MAX_BYTES:
        raise DataError(f"The file is {len(content) / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB.")
    key = key_of(content, format)
    path = folder() / f"{key}.{format}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_bytes(content)
        partial.replace(path)  # atomic, so a reader never sees half a file
    return key


def exists(key: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{16}", key or "")) and any(
        path.suffix != ".partial" for path in folder().glob(f"{key}.*"))


def remove(key: str) -> bool:
    """Delete a kept file; True if there was one."""
    removed = False
    if re.fullmatch(r"[0-9a-f]{16}", key or ""):
        for path in folder().glob(f"{key}.*"):
            path.unlink(missing_ok=True)
            removed = True
    return removed


def load(key: str) -> tuple[str, bytes]:
    """(format, content) of a kept file; UploadMissing (a DataError) when this server lacks it."""
    if not re.fullmatch(r"[0-9a-f]{16}", key or ""):
        raise UploadMissing(key)
    for path in folder().glob(f"{key}.*"):
        if path.suffix != ".partial" and FORMAT_PATTERN.fullmatch(path.suffix[1:]):
            return path.suffix[1:], path.read_bytes()
    raise UploadMissing(key)
