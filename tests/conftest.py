"""Shared test setup: the repository root on sys.path, a private run store per test session."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Tests must never touch the user's real run store.
os.environ.setdefault("RNN_PLAYGROUND_DB", str(Path(tempfile.mkdtemp(prefix="rnn-playground-tests-")) / "runs.sqlite"))
# Nor the user's tokenizer cache.
# Pages under AppTest train in this process's threads, where a test's monkeypatch reaches the
# training; the job tests run both backends, and the browser tests' servers the shipped default.
os.environ.setdefault("RNN_PLAYGROUND_BACKEND", "thread")
os.environ.setdefault("RNN_PLAYGROUND_CACHE", tempfile.mkdtemp(prefix="rnn-playground-cache-"))
