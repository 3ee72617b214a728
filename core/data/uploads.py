"""Uploaded data files, kept by content: a run that trained on a file names it by its key.

A share link cannot carry a file, so a run records the file's key; the file itself lives next to
the run store, and a link opened where the file is missing says so instead of training on
something else.

A hosted server takes files from anyone, so it keeps them within limits: all uploads together
within a quota (RNN_PLAYGROUND_UPLOAD_QUOTA_MB, a new file that does not fit is refused rather
than pushing out someone else's), each visitor's within a share of it
(RNN_PLAYGROUND_UPLOAD_SESSION_MB: one browser session once filled the whole quota in 141 s and
blocked every upload for the age limit; the page counts the files its session kept and passes
them as `held`), and each for an age limit (RNN_PLAYGROUND_UPLOAD_DAYS, counted
from its last upload). An expired file leaves an empty `KEY.expired` marker, so a link to it says
the file expired rather than that it never was here. `python -m core clean` removes expired files
too; saving a new file does it first.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path

from core.data.errors import DataError
from core.settings import environment


class UploadMissing(DataError, KeyError):
    """A run names a file this server does not have (a link from elsewhere, or a cleaned cache)."""

    def __str__(self) -> str:
        return ("The uploaded file this run trains on is not on this server (links cannot carry files). "
                "Upload the file again to train on it.")


class UploadExpired(UploadMissing):
    """A run names a file this server had, and removed at its age limit."""

    def __str__(self) -> str:
        return (f"The uploaded file this link trains on has expired: this server keeps uploads for "
                f"{max_age_days():g} days. Upload the file again to train on it.")


FORMAT_PATTERN = re.compile(r"[a-z]{2,12}")
KEY_PATTERN = re.compile(r"[0-9a-f]{16}")
MAX_BYTES = 20 * 1024 * 1024
EXPIRED = ".expired"


def quota_bytes() -> int:
    return int(environment.read("RNN_PLAYGROUND_UPLOAD_QUOTA_MB") * 1024 * 1024)


def share_bytes() -> int:
    """What one visitor (browser session) may keep, of the quota."""
    return int(environment.read("RNN_PLAYGROUND_UPLOAD_SESSION_MB") * 1024 * 1024)


def max_age_days() -> float:
    return environment.read("RNN_PLAYGROUND_UPLOAD_DAYS")


def folder() -> Path:
    """Next to the run store, so each store (a test's, a server's) keeps its own files."""
    from core.settings.paths import default_path

    return default_path().parent / "uploads"


def key_of(content: bytes, format: str) -> str:
    return hashlib.sha256(format.encode() + b"\0" + content).hexdigest()[:16]


def _kept(directory: Path | None = None) -> list[Path]:
    """The kept files (not partial writes, not expiry markers)."""
    directory = directory or folder()
    if not directory.is_dir():
        return []
    return [path for path in directory.iterdir()
            if KEY_PATTERN.fullmatch(path.stem) and FORMAT_PATTERN.fullmatch(path.suffix[1:])
            and path.suffix != EXPIRED]


def usage(keys: Iterable[str] | None = None) -> int:
    """Bytes held by kept files (of `keys` only, if given: a visitor's own)."""
    wanted = None if keys is None else set(keys)
    total = 0
    for path in _kept():
        if wanted is not None and path.stem not in wanted:
            continue
        try:
            total += path.stat().st_size
        except FileNotFoundError:
            pass
    return total


def expire(older_than_days: float | None = None, dry_run: bool = False) -> list[str]:
    """Remove kept files last uploaded longer ago than the age limit; their keys, oldest first."""
    limit = (max_age_days() if older_than_days is None else older_than_days) * 86400
    now = time.time()
    aged = []
    for path in _kept():
        try:
            stamp = path.stat().st_mtime
        except FileNotFoundError:
            continue
        if now - stamp > limit:
            aged.append((stamp, path))
    for _, path in sorted(aged):
        if not dry_run:
            path.with_name(path.stem + EXPIRED).touch()
            path.unlink(missing_ok=True)
    return [path.stem for _, path in sorted(aged)]


def save(content: bytes, format: str, held: Iterable[str] = ()) -> str:
    """Keep a file and return its key (the same content and format always give the same key).

    `held` are the keys the visitor saving it already kept: a new file past their share is refused
    while other visitors can still upload. A file already kept costs nothing and is always accepted.
    """
    if not FORMAT_PATTERN.fullmatch(format):
        raise DataError(f"Unknown file format {format!r}.")
    if len(content) > MAX_BYTES:
        raise DataError(f"The file is {len(content) / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB.")
    key = key_of(content, format)
    path = folder() / f"{key}.{format}"
    if path.exists():
        os.utime(path)  # uploading it again renews its age
        return key
    expire()
    share, mine = share_bytes(), usage(held)
    if mine + len(content) > share:
        raise DataError(f"Each visitor may keep {share / 1e6:.0f} MB of uploaded files on this server; yours "
                        f"already take {mine / 1e6:.1f} MB and this file is {len(content) / 1e6:.1f} MB, so it was "
                        "not kept. Train on a file you already uploaded, or upload a smaller one.")
    quota = quota_bytes()
    used = usage()
    if used + len(content) > quota:
        raise DataError(f"This server's space for uploaded files is full ({used / 1e6:.0f} of {quota / 1e6:.0f} "
                        "MB), so the file was not kept; try again after older uploads expire.")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    partial.write_bytes(content)
    partial.replace(path)  # atomic, so a reader never sees half a file
    path.with_name(key + EXPIRED).unlink(missing_ok=True)
    return key


def exists(key: str) -> bool:
    return bool(KEY_PATTERN.fullmatch(key or "")) and any(path.stem == key for path in _kept())


def remove(key: str) -> bool:
    """Delete a kept file (no expiry marker: it was removed, not aged out); True if there was one."""
    removed = False
    if KEY_PATTERN.fullmatch(key or ""):
        for path in _kept():
            if path.stem == key:
                path.unlink(missing_ok=True)
                removed = True
    return removed


def load(key: str) -> tuple[str, bytes]:
    """(format, content) of a kept file; UploadMissing (a DataError) when this server lacks it,
    UploadExpired when it had it and removed it at the age limit."""
    if not KEY_PATTERN.fullmatch(key or ""):
        raise UploadMissing(key)
    for path in folder().glob(f"{key}.*"):
        if path.suffix != ".partial" and FORMAT_PATTERN.fullmatch(path.suffix[1:]) and path.suffix != EXPIRED:
            if time.time() - path.stat().st_mtime > max_age_days() * 86400:
                expire()
                raise UploadExpired(key)
            return path.suffix[1:], path.read_bytes()
    if (folder() / f"{key}{EXPIRED}").exists():
        raise UploadExpired(key)
    raise UploadMissing(key)
