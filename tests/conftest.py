"""Shared test setup: the repository root on sys.path, a private run store per test session."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def dask_cluster():
    """One real Dask LocalCluster (two single-threaded worker processes) for the whole test session,
    named as the scheduler address that the Dask backend reads, with a default client for the
    tests' own Dask events."""
    import dask.config
    from distributed import Client

    from core.engine.dask_engine import start_local_cluster

    cluster = start_local_cluster(2)
    with dask.config.set({"scheduler-address": cluster.scheduler_address}), Client(cluster) as client:
        yield client
    cluster.close()


@pytest.fixture
def store(tmp_path):
    """A private run store for one test."""
    from core.store.runs import RunStore

    return RunStore(tmp_path / "runs.sqlite")


@pytest.fixture
def make_runner(store, backend):
    """Job runners on the test's `backend` fixture and store (unless given), shut down after it."""
    from core.engine.jobs import JobRunner

    runners = []

    def make(**options):
        options.setdefault("store", store)
        options.setdefault("backend", backend)
        runner = JobRunner(**options)
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        runner.shutdown()
