"""Every environment variable the playground reads, read and validated in this one place.

Each variable is declared once, with what it accepts and its default. `read(name)` gives its
clean value: unset or empty means the default, and a bad value is logged once, in one line that
names the variable and what it accepts, and the default is used, so a mistyped budget never
takes a served app down. The command line is stricter: `problems()` lists every bad value, and
`python -m core` refuses to run, in one line with exit code 2, until they are fixed, since a
command should do exactly what it was told (README, "Environment variables").
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger("rnn_playground.environment")


class BadVariable(ValueError):
    """A variable's value that cannot be used; the message names the variable and what it accepts."""


def _number(kind: type, low: float = 0.0, high: float = math.inf) -> Callable[[str], Any]:
    """A parser of numbers of `kind` strictly above `low` and below `high`."""

    def parse(text: str) -> Any:
        value = kind(text)  # ValueError for anything else, OverflowError past a float
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(text)
        if not low < value < high:
            raise ValueError(text)
        return value

    return parse


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.lower() not in choices:
            raise ValueError(text)
        return text.lower()

    return parse


def _path(text: str) -> Path:
    """A file's path; whether it can be used is the run store's to say (exit code 3, naming it)."""
    return Path(text).expanduser()


def _folder(text: str) -> Path:
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError(text)
    return path


@dataclass(frozen=True)
class Variable:
    """One environment variable: how to read it, what it accepts (in words), its default."""

    name: str
    parse: Callable[[str], Any]
    accepts: str
    default: Any = None
    # Where the default depends on the machine (one job per core), it is computed when read.
    default_from: Callable[[], Any] | None = field(default=None, compare=False)

    def fallback(self) -> Any:
        return self.default_from() if self.default_from is not None else self.default


def _cores() -> int:
    return os.cpu_count() or 1


# Where a container's memory limit is written (cgroup v2, then v1); either may be absent or "max".
CGROUP_LIMITS = (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
# The share of the machine's memory the training jobs get together by default. The rest is for the
# server and its sessions, the operating system and other programs, and the estimate's own error: a
# job's measured peak reached 1.5x its estimate (bench/job_memory.py).
MEMORY_SHARE = 1 / 3


def machine_memory_mb() -> float | None:
    """The memory this process may use: the machine's, or its container's limit if lower."""
    try:
        sizes = [os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")]
    except (ValueError, OSError, AttributeError):  # not a POSIX system
        sizes = []
    for path in CGROUP_LIMITS:
        try:
            sizes.append(int(path.read_text().strip()))
        except (OSError, ValueError):  # no such controller, or "max": no limit
            continue
    sizes = [size for size in sizes if 0 < size < 2 ** 60]  # v1 writes "no limit" as ~2^63
    return min(sizes) / 2 ** 20 if sizes else None


def _memory_budget() -> float | None:
    """The default memory budget of all jobs together: a share of the machine's memory."""
    memory = machine_memory_mb()
    return round(memory * MEMORY_SHARE) if memory else None


VARIABLES = {variable.name: variable for variable in (
    Variable("RNN_PLAYGROUND_DB", _path, "a path to the run store's SQLite file"),
    Variable("RNN_PLAYGROUND_DB_WAIT_SECONDS", _number(float, 0, 3600), "seconds, above 0 and below 3600", 30.0),
    Variable("RNN_PLAYGROUND_SESSION_GRACE_SECONDS", _number(float, 0, 3600), "seconds, above 0 and below 3600",
             10.0),
    Variable("RNN_PLAYGROUND_CACHE", _folder, "a folder (not a file) for the tokenizer cache"),
    Variable("RNN_PLAYGROUND_MAX_BUNDLE_MB", _number(float), "a positive number of megabytes", 16.0),
    Variable("RNN_PLAYGROUND_UPLOAD_QUOTA_MB", _number(float), "a positive number of megabytes", 200.0),
    Variable("RNN_PLAYGROUND_UPLOAD_SESSION_MB", _number(float), "a positive number of megabytes", 40.0),
    Variable("RNN_PLAYGROUND_UPLOAD_DAYS", _number(float), "a positive number of days", 30.0),
    Variable("RNN_PLAYGROUND_MAX_JOBS", _number(int), "a positive whole number", default_from=_cores),
    Variable("RNN_PLAYGROUND_MAX_STEPS", _number(int), "a positive whole number"),
    Variable("RNN_PLAYGROUND_MAX_SECONDS", _number(float), "a positive number of seconds"),
    Variable("RNN_PLAYGROUND_MAX_QUEUE", _number(int), "a positive whole number"),
    Variable("RNN_PLAYGROUND_MAX_JOBS_PER_SESSION", _number(int), "a positive whole number"),
    Variable("RNN_PLAYGROUND_MAX_WEIGHTS", _number(int), "a positive whole number"),
    Variable("RNN_PLAYGROUND_MEMORY_MB", _number(float), "a positive number of megabytes",
             default_from=_memory_budget),
    Variable("RNN_PLAYGROUND_BACKEND", _choice("process", "thread"), "process or thread", "process"),
    Variable("RNN_PLAYGROUND_ENGINE", _choice("dask"), "dask"),
    Variable("RNN_PLAYGROUND_TORCH_THREADS", _number(int), "a positive whole number"),
    Variable("RNN_PLAYGROUND_IMPORTS", _choice("on", "off"), "on or off", "on"),
    Variable("RNN_PLAYGROUND_WARM_ON_START", _choice("on", "off"), "on or off", "off"),
    Variable("RNN_PLAYGROUND_MAX_IMPORTS", _number(int), "a positive whole number", 500),
    Variable("RNN_PLAYGROUND_MAX_CLASSES", _number(int), "a positive whole number", 20),
    Variable("RNN_PLAYGROUND_CLASS_STUDENTS", _number(int), "a positive whole number", 40),
    Variable("RNN_PLAYGROUND_CLASS_RUNS", _number(int), "a positive whole number", 30),
    Variable("RNN_PLAYGROUND_CLASS_HOURS", _number(float, 0, 24 * 365), "hours, above 0 and below 8760", 12.0),
)}

_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()


def _raw(name: str) -> str:
    if name not in VARIABLES:
        raise KeyError(f"{name} is not one of the playground's environment variables")
    return os.environ.get(name, "").strip()


def check(name: str) -> Any:
    """The clean value of `name` (its default when unset); BadVariable when it is bad."""
    raw = _raw(name)
    variable = VARIABLES[name]
    if not raw:
        return variable.fallback()
    try:
        return variable.parse(raw)
    except (TypeError, ValueError, OverflowError):
        shown = raw if len(raw) <= 40 else raw[:40] + "..."
        raise BadVariable(f"{name}={shown!r} cannot be used: it must be {variable.accepts}") from None


def read(name: str) -> Any:
    """The clean value of `name`; a bad value is logged once (one line) and the default used."""
    try:
        return check(name)
    except BadVariable as error:
        key = (name, _raw(name))
        with _warned_lock:
            first = key not in _warned
            _warned.add(key)
        if first:
            default = VARIABLES[name].fallback()
            logger.warning("%s; using %s instead.", error, "no limit" if default is None else default)
        return VARIABLES[name].fallback()


def problems() -> list[str]:
    """One line for each variable set to a value that cannot be used."""
    found = []
    for name in VARIABLES:
        try:
            check(name)
        except BadVariable as error:
            found.append(str(error))
    return found


def cache_home() -> Path:
    """The user's cache folder: XDG_CACHE_HOME when it is absolute (the XDG spec says a relative
    one is invalid and must be ignored), else ~/.cache."""
    configured = os.environ.get("XDG_CACHE_HOME", "")
    return Path(configured) if configured and Path(configured).is_absolute() else Path.home() / ".cache"


def given_or_read(given: Any, name: str) -> Any:
    """An explicit argument, which must be positive (a caller's mistake raises), else `read(name)`."""
    if given is not None:
        if not given > 0:
            raise ValueError(f"{name.removeprefix('RNN_PLAYGROUND_').lower()} must be positive, not {given!r}")
        return given
    return read(name)
