"""Settings read from the environment: a bad value is logged and the default kept, never fatal.

The server's budgets (RNN_PLAYGROUND_MAX_JOBS and the like) are read here, so every one of them
accepts and refuses the same way.
"""

from __future__ import annotations

import logging
import os
from typing import Any

logger = logging.getLogger(__name__)


def positive_setting(given: Any, name: str, kind: type, default: Any) -> Any:
    """An explicit argument (which must be positive), else the environment variable `name` if it
    holds a positive number, else the default; a bad environment value is logged, never fatal."""
    if given is not None:
        if not given > 0:
            raise ValueError(f"{name.removeprefix('RNN_PLAYGROUND_').lower()} must be positive, not {given!r}")
        return given
    raw = os.environ.get(name, "").strip()
    try:
        value = kind(raw) if raw else default
        if raw and not value > 0:
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        logger.warning("Ignoring %s=%r: it must be a positive %s.", name, raw, kind.__name__)
        return default
    return value
