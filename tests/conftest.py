"""Shared test setup: the repository root on sys.path, a private run store and cache per test
process (each xdist worker is one), the CLI called in-process."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Tests must never touch the user's real run store, uploads or tokenizer cache, nor a store left by
# an earlier run of the suite: each test process (the session, or each xdist worker) gets fresh
# folders, set unconditionally, so a store named in the caller's shell cannot leak in. Core reads
# these variables on every call (runs.default_path, uploads.folder, tokens.cache_dir), so a test
# may still point them elsewhere with monkeypatch. Variables that change limits (budgets, quotas,
# job slots, thread counts) are dropped too: the tests assume the documented defaults.
STATE = Path(tempfile.mkdtemp(prefix="rnn-playground-tests-"))
for _name in [name for name in os.environ if name.startswith("RNN_PLAYGROUND_")]:
    if _name != "RNN_PLAYGROUND_BACKEND":
        del os.environ[_name]
os.environ["RNN_PLAYGROUND_DB"] = str(STATE / "store" / "runs.sqlite")
os.environ["RNN_PLAYGROUND_CACHE"] = str(STATE / "cache")
# Pages under AppTest train in this process's threads, where a test's monkeypatch reaches the
# training; the job tests run both backends, and the browser tests' servers the shipped default.
os.environ.setdefault("RNN_PLAYGROUND_BACKEND", "thread")

# One intra-op torch thread per test process, as the app's jobs train (core.train.configure_torch):
# two test processes on two cores would otherwise spin-wait on each other's threads. Set before any
# test module imports torch, and inherited by the xdist workers.
os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_unconfigure(config):
    shutil.rmtree(STATE, ignore_errors=True)


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys, monkeypatch):
    """`python -m core ARGS` called in-process through its entry function, on the store `database`:
    the exit code and what it printed. (tests/test_cli.py keeps one real subprocess.)"""
    from core.__main__ import main

    def run(*args: str, database: Path) -> CliResult:
        monkeypatch.setenv("RNN_PLAYGROUND_DB", str(database))
        capsys.readouterr()  # only this command's output
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def dask_cluster():
    """One real Dask LocalCluster (two single-threaded worker processes) for the whole test session
    (under pytest-xdist, one per test process that runs a Dask test),
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
