"""The error a user's data raises: torch-free, so the readers of files and phrases load without torch."""

from __future__ import annotations


class DataError(ValueError):
    """Input data that cannot be used, with a message written for the person who supplied it."""
