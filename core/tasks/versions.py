"""Versions that identify a run: a numbers version per task, and the libraries a run ran on.

A stored run is a faithful replay of a link only while the code would compute the same numbers
for its settings. Hashing the training code's bytes into the id guaranteed that, but orphaned
every stored run and link at any edit, a comment or a new task file included. So a run id hashes
its settings and its task's numbers version instead: a counter a developer bumps when a change
alters that task's numbers. tests/test_golden_runs.py keeps the counter honest: it trains a tiny
seeded run per task and compares its history with a committed fingerprint, so a change that
alters the numbers fails until its task's version is bumped and the fingerprint regenerated.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform

from core.tasks.registry import task as task_record
from core.tasks.registry import tasks


def numbers_versions() -> dict[str, int]:
    """Each lesson's numbers version, from its task record.

    Bump a lesson's `numbers_version` (in its package's TASK) when a change alters what its runs
    compute (data, models, training, probes or metrics), then regenerate tests/golden_runs.json:
        .venv/bin/python tests/golden_runs.py
    A change shared by every task (the trainer, say) bumps every task it alters.
    """
    return {record.name: record.numbers_version for record in tasks()}


def numbers_version(task: str) -> str:
    """12 hex characters naming the task's current numbers version; ValueError for an unknown task.

    Hex, like the code hashes ids used before, so stored runs and bundles keep one format.
    """
    return hashlib.sha256(f"{task}:{task_record(task).numbers_version}".encode()).hexdigest()[:12]


def library_versions() -> dict[str, str]:
    """Python, torch and numpy versions, plus streamlit's when it is installed."""
    import numpy
    import torch

    versions = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
    }
    # Read from package metadata: core/ must never import streamlit.
    try:
        versions["streamlit"] = importlib.metadata.version("streamlit")
    except importlib.metadata.PackageNotFoundError:
        pass
    return versions
