"""Where the run store lives: RNN_PLAYGROUND_DB, or the user's cache directory.

Read here, below every layer that keeps files beside the store (the uploads, the store itself).
"""

from __future__ import annotations

from pathlib import Path

from core.settings import environment


class StoreError(RuntimeError):
    """The run store cannot be used as configured; the message says what is wrong and how to fix it."""


def default_path() -> Path:
    """RNN_PLAYGROUND_DB if set, else runs.sqlite in the user's cache directory."""
    path = environment.read("RNN_PLAYGROUND_DB") or environment.cache_home() / "rnn-playground" / "runs.sqlite"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"Cannot create the run store's folder {path.parent} ({error.strerror or error}); "
                         "set RNN_PLAYGROUND_DB to a file in a folder you can write to.") from None
    return path
