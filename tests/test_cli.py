"""The command line: JSON summary, determinism across runs, --reuse, listing, bundles, bad input.

Commands run in-process through `core.__main__.main` (the `cli` fixture in conftest.py); one test
runs `python -m core` as a real process, where the exit status and the streams are the point.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--set", "distance=6", "--set", "hidden_size=8", "--steps", "40", "--set", "eval_every=10",
        "--set", "probe_every=10", "--set", "batch_size=16"]


@pytest.fixture
def database(tmp_path) -> Path:
    return tmp_path / "runs.sqlite"


def test_train_json_summary_has_the_documented_shape(cli, database):
    result = cli("train", "memory", "--cells", "rnn,lstm", "--seed", "2", *TINY, "--json", database=database)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(summary) >= {"run_id", "task", "status", "wall_seconds", "models"}
    assert summary["task"] == "memory" and summary["status"] == "finished"
    assert isinstance(summary["wall_seconds"], float)
    assert list(summary["models"]) == ["rnn", "lstm"]
    for model in summary["models"].values():
        assert set(model) >= {"val_loss", "val_metric", "metric", "steps", "grad_ratio"}
        assert model["metric"] == "accuracy" and model["steps"] == 40
        assert 0.0 <= model["val_metric"] <= 1.0 and model["grad_ratio"] > 0


def test_training_twice_gives_identical_histories(cli, database, tmp_path):
    bundles = []
    for _ in range(2):
        assert cli("train", "memory", *TINY, "--json", database=database).returncode == 0
        run_id = json.loads(cli("runs", "--json", database=database).stdout)[0]["run_id"]
        exported = cli("export", run_id, database=database)
        assert exported.returncode == 0, exported.stderr
        bundle = json.loads(exported.stdout)
        for history in bundle["histories"].values():
            history.pop("wall_seconds")
        bundles.append(bundle)
    assert bundles[0]["histories"] == bundles[1]["histories"]


def test_reuse_returns_the_stored_run_without_training(cli, database):
    first = json.loads(cli("train", "memory", *TINY, "--json", database=database).stdout.splitlines()[-1])
    reused = cli("train", "memory", *TINY, "--json", "--reuse", database=database)
    assert reused.returncode == 0
    assert "reusing finished run" in reused.stderr
    again = json.loads(reused.stdout.splitlines()[-1])
    assert again["run_id"] == first["run_id"]
    assert again["models"]["lstm"]["val_metric"] == first["models"]["lstm"]["val_metric"]


def test_runs_lists_and_bundles_round_trip(cli, database, tmp_path):
    trained = json.loads(cli("train", "memory", *TINY, "--json", database=database).stdout.splitlines()[-1])
    listing = cli("runs", database=database)
    assert trained["run_id"] in listing.stdout and "finished" in listing.stdout
    bundle_path = tmp_path / "run.json"
    bundle_path.write_text(cli("export", trained["run_id"], database=database).stdout)
    other = tmp_path / "other.sqlite"
    imported = cli("import", str(bundle_path), database=other)
    assert imported.returncode == 0, imported.stderr
    # Stored under its own id, never the one the run has where it was trained, and listed as imported.
    identifier = imported.stdout.strip()
    assert identifier != trained["run_id"]
    assert [line for line in cli("runs", database=other).stdout.splitlines() if identifier in line][0].find("imported") > 0


@pytest.mark.parametrize("arguments, fragment", [
    (["train", "memory", "--set", "hidden_size=abc"], "Hidden size"),
    (["train", "memory", "--cells", "transformer"], "transformer"),
    (["train", "sentiment-of-cats"], "Task"),
    (["train", "memory", "--set", "nonsense"], "KEY=VALUE"),
    (["train"], "required"),
    (["fly"], "invalid choice"),
    (["export", "no-such-run"], "no stored run"),
    (["import", "/no/such/file.json"], "cannot read"),
])
def test_bad_arguments_give_one_line_and_exit_code_two(cli, database, arguments, fragment):
    result = cli(*arguments, database=database)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_a_tampered_bundle_is_refused_in_one_line(cli, database, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "rnn-playground-run", "version": 1, "params": {"hidden_size": "99999"}}')
    result = cli("import", str(path), database=database)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


def test_python_dash_m_core_hands_a_refusal_to_the_shell_as_exit_status_two(tmp_path):
    """The one real process: `python -m core` exits with main's status, and a refusal is one line
    on stderr with nothing on stdout (which a script may be piping into a file)."""
    env = {**os.environ, "RNN_PLAYGROUND_DB": str(tmp_path / "runs.sqlite")}
    refused = subprocess.run([sys.executable, "-m", "core", "train", "memory", "--set", "hidden_size=abc"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and refused.stdout == ""
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("error: ") and "Hidden size" in line
