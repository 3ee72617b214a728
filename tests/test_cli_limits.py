"""The CLI's last tracebacks (issue 21): unbounded input to `import`, and poisoned stored weights.

`import` reads regular files only (an endless device is refused before a byte is read, issue 22)
and at most the bundle cap and one byte of them (a file ten times the cap is refused in one line
with exit code 2); a stored run whose weights were replaced by a pickle is refused in one line
naming the run, with exit code 3.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import pytest
import torch
from test_demo_cli import TINY_TEXT, table
from test_hostile_inputs import one_line, run_cli

from core.cli import EXIT_STORE, EXIT_USAGE
from core.store import runs

ROOT = Path(__file__).resolve().parents[1]
SMALL_CAP = 64 * 1024


@pytest.fixture
def store_path(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "runs.sqlite"
    monkeypatch.setenv("RNN_PLAYGROUND_DB", str(path))
    return path


@pytest.fixture
def small_cap(monkeypatch) -> int:
    monkeypatch.setenv("RNN_PLAYGROUND_MAX_BUNDLE_MB", str(SMALL_CAP / 1024 / 1024))
    return SMALL_CAP


@pytest.mark.timeout(20)
@pytest.mark.parametrize("path", ["/dev/zero", "/dev/urandom"])
def test_import_of_an_endless_stream_reads_only_the_cap(store_path, monkeypatch, capsys, path):
    # A cap far above what opening the store and writing the refusal allocate (about 300 kB seen on
    # CI), so reading even a part of the cap from the stream would show in the peak.
    cap = 8 * 1024 * 1024
    monkeypatch.setenv("RNN_PLAYGROUND_MAX_BUNDLE_MB", "8")
    run_cli(capsys, "import", path)  # loads whatever the command imports lazily
    tracemalloc.start()
    try:
        code, out, error = run_cli(capsys, "import", path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == EXIT_USAGE and out == ""
    # Refused before a byte is read (issue 22: regular files only), so nowhere near the cap in memory.
    assert f"{path} is a device, not a regular file" in one_line(error)
    assert peak < cap / 8, peak


def test_import_of_a_file_ten_times_the_cap_is_refused_in_one_line(store_path, small_cap, tmp_path, capsys):
    path = tmp_path / "huge.json"
    with open(path, "wb") as handle:
        handle.truncate(10 * small_cap)  # sparse: ten times the cap, on no disk
    code, out, error = run_cli(capsys, "import", str(path))
    assert code == EXIT_USAGE and out == "" and "larger than the cap" in one_line(error)
    assert not store_path.exists() or runs.RunStore(store_path).list() == []


def test_a_bundle_just_under_the_cap_still_imports(store_path, tmp_path, capsys, monkeypatch):
    source = runs.RunStore(tmp_path / "source.sqlite")
    from test_hostile_inputs import History, config

    experiment = config.from_params({"distance": "6", "cells": ["RNN"]})[0]
    history = History(cell="rnn", status="finished", steps=[1, 2], wall_seconds=[0.1, 0.2], train_loss=[1.0, 0.5],
                      grad_norm=[1.0, 0.5], eval_steps=[2], val_loss=[0.7], val_metric=[0.5])
    text = json.dumps(source.export_bundle(source.save(experiment, {"rnn": history})))
    path = tmp_path / "bundle.json"
    path.write_text(text)
    monkeypatch.setenv("RNN_PLAYGROUND_MAX_BUNDLE_MB", repr(len(text.encode()) / 1024 / 1024))
    code, out, error = run_cli(capsys, "import", str(path))
    assert code == 0, error
    assert runs.RunStore().load(out.strip()).imported


@pytest.mark.timeout(60)
def test_the_real_command_on_dev_zero_exits_2_with_bounded_memory(tmp_path):
    """The process boundary is the point: exit code, one line on stderr, and the child's peak memory."""
    environment = {**os.environ, "RNN_PLAYGROUND_DB": str(tmp_path / "runs.sqlite"),
                   "RNN_PLAYGROUND_MAX_BUNDLE_MB": "1"}
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        child = subprocess.Popen([sys.executable, "-m", "core", "import", "/dev/zero"], cwd=ROOT, env=environment,
                                 stdout=stdout, stderr=stderr)
    watchdog = threading.Timer(50, child.kill)
    watchdog.start()
    try:
        # wait4 gives this child's own peak: RUSAGE_CHILDREN would be the largest of every process this
        # test worker ever waited for (another test's training child reached 1.5 GB on CI).
        _, status, usage = os.wait4(child.pid, 0)
    finally:
        watchdog.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == EXIT_USAGE and out.read_text() == ""
    assert "/dev/zero is a device, not a regular file" in one_line(err.read_text())
    # ru_maxrss in kB: the interpreter with torch is a few hundred MB; an unbounded read of /dev/zero
    # would grow until the machine refused it.
    peak_megabytes = usage.ru_maxrss / 1024
    assert peak_megabytes < 1500, peak_megabytes


class Trap:
    """Unpickles into a call that would create a file: proof that a loader ran stored code."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        import builtins

        return (builtins.open, (self.path, "w"))


@pytest.mark.timeout(120)
def test_poisoned_weights_of_a_reused_run_end_in_one_line_and_exit_3(store_path, tmp_path, capsys):
    arguments = ["train", "sentiment", "--cells", "lstm", *TINY_TEXT, "--train-file",
                 f"csv:{table(tmp_path, 'train.csv', 60)}", "--json"]
    code, out, error = run_cli(capsys, *arguments)
    assert code == 0, error
    identifier = json.loads(out.strip().splitlines()[-1])["run_id"]
    marker = tmp_path / "code-ran"
    buffer = io.BytesIO()
    torch.save({"weight": Trap(str(marker))}, buffer)
    with sqlite3.connect(store_path) as connection:
        connection.execute("UPDATE weights SET blob = ? WHERE run_id = ?", (buffer.getvalue(), identifier))
    code, out, error = run_cli(capsys, *arguments, "--reuse", "--eval-file", f"csv:{table(tmp_path, 'eval.csv', 10)}")
    line = one_line(error.replace(f"reusing finished run {identifier}\n", ""))
    assert code == EXIT_STORE and out == ""
    assert identifier in line and "not a plain state dict" in line and "retrain" in line
    assert not marker.exists()
