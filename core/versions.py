"""Versions that identify a run: a hash of the training code and the libraries it ran on.

A stored run is only a faithful replay of a link if the code that trained it is the code that
would train it now, so the code hash is part of every run id.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import platform
from pathlib import Path

CORE_DIR = Path(__file__).resolve().parent
# Only the code that decides what a run computes; editing the CLI, the job runner, the store or the
# explanations must not orphan every stored run and every shared link.
TRAINING_CODE = ("config.py", "history.py", "models.py", "probes.py", "train.py", "tasks",
                 "tokens.py", "tables.py", "strokes.py", "pen_files.py")


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """12 hex characters of sha256 over the training code's relative paths and bytes."""
    digest = hashlib.sha256()
    files = sorted((path for path in CORE_DIR.rglob("*.py")
                    if path.relative_to(CORE_DIR).parts[0] in TRAINING_CODE),
                   key=lambda path: path.relative_to(CORE_DIR).as_posix())
    for path in files:
        relative = path.relative_to(CORE_DIR).as_posix().encode()
        content = path.read_bytes()
        # Lengths keep the stream unambiguous: no two file sets hash the same bytes.
        digest.update(f"{len(relative)}:{len(content)}:".encode())
        digest.update(relative)
        digest.update(content)
    return digest.hexdigest()[:12]


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
