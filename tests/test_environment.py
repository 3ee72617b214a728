"""Every environment variable, one test each: a bad value is one line and exit code 2 from the
command line, and one logged warning and the default in a served app (README, "Environment")."""

from __future__ import annotations

import logging

import pytest

from core.cli import EXIT_STORE, EXIT_USAGE, main
from core.settings import environment

BAD = {"RNN_PLAYGROUND_DB_WAIT_SECONDS": "3600", "RNN_PLAYGROUND_SESSION_GRACE_SECONDS": "-1", "RNN_PLAYGROUND_BACKEND": "gpu", "RNN_PLAYGROUND_ENGINE": "spark",
       "RNN_PLAYGROUND_MAX_JOBS": "2.5", "RNN_PLAYGROUND_MAX_STEPS": "0", "RNN_PLAYGROUND_MAX_SECONDS": "-1",
       "RNN_PLAYGROUND_MAX_QUEUE": "many", "RNN_PLAYGROUND_MAX_JOBS_PER_SESSION": "1e999",
       "RNN_PLAYGROUND_MAX_WEIGHTS": "1,000", "RNN_PLAYGROUND_MEMORY_MB": "nan", "RNN_PLAYGROUND_TORCH_THREADS": "-2",
       "RNN_PLAYGROUND_MAX_BUNDLE_MB": "sixteen", "RNN_PLAYGROUND_UPLOAD_QUOTA_MB": "inf",
       "RNN_PLAYGROUND_UPLOAD_SESSION_MB": "-5", "RNN_PLAYGROUND_UPLOAD_DAYS": "0", "RNN_PLAYGROUND_IMPORTS": "maybe",
       "RNN_PLAYGROUND_MAX_IMPORTS": "0", "RNN_PLAYGROUND_MAX_CLASSES": "-3", "RNN_PLAYGROUND_CLASS_STUDENTS": "thirty",
       "RNN_PLAYGROUND_CLASS_RUNS": "2.5", "RNN_PLAYGROUND_CLASS_HOURS": "9000",
       "RNN_PLAYGROUND_WARM_ON_START": "yes"}


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    for name in environment.VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RNN_PLAYGROUND_DB", str(tmp_path / "runs.sqlite"))
    monkeypatch.setattr(environment, "_warned", set())
    return monkeypatch


def bad_value(name: str, tmp_path) -> str:
    if name == "RNN_PLAYGROUND_CACHE":
        (tmp_path / "a file").write_text("not a folder")
        return str(tmp_path / "a file")
    return BAD[name]


def test_every_variable_has_a_bad_value_here():
    assert set(environment.VARIABLES) - {"RNN_PLAYGROUND_DB"} == set(BAD) | {"RNN_PLAYGROUND_CACHE"}


@pytest.mark.parametrize("name", sorted(set(environment.VARIABLES) - {"RNN_PLAYGROUND_DB"}))
def test_a_bad_value_stops_a_command_in_one_line_with_exit_2(clean_environment, tmp_path, capsys, name):
    value = bad_value(name, tmp_path)
    clean_environment.setenv(name, value)
    assert main(["runs"]) == EXIT_USAGE
    error = capsys.readouterr().err
    lines = error.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in error
    assert name in lines[0] and environment.VARIABLES[name].accepts in lines[0]


@pytest.mark.parametrize("name", sorted(set(environment.VARIABLES) - {"RNN_PLAYGROUND_DB"}))
def test_a_bad_value_is_logged_once_and_the_default_used_by_a_server(clean_environment, tmp_path, caplog, name):
    clean_environment.setenv(name, bad_value(name, tmp_path))
    with caplog.at_level(logging.WARNING, logger="rnn_playground.environment"):
        first = environment.read(name)
        second = environment.read(name)
    assert first == second == environment.VARIABLES[name].fallback()
    [record] = [record for record in caplog.records if name in record.getMessage()]
    assert "\n" not in record.getMessage() and environment.VARIABLES[name].accepts in record.getMessage()


@pytest.mark.parametrize("name, value, expected", [
    ("RNN_PLAYGROUND_MAX_JOBS", " 3 ", 3), ("RNN_PLAYGROUND_MEMORY_MB", "250", 250.0),
    ("RNN_PLAYGROUND_BACKEND", "Thread", "thread"), ("RNN_PLAYGROUND_DB_WAIT_SECONDS", "0.2", 0.2),
    ("RNN_PLAYGROUND_MAX_STEPS", "", None), ("RNN_PLAYGROUND_UPLOAD_DAYS", "", 30.0)])
def test_good_values_and_unset_ones_read_as_documented(clean_environment, name, value, expected):
    clean_environment.setenv(name, value)
    assert environment.read(name) == expected and environment.problems() == []


def test_an_unusable_store_path_is_the_stores_to_refuse_with_exit_3(clean_environment, tmp_path, capsys):
    clean_environment.setenv("RNN_PLAYGROUND_DB", str(tmp_path))  # a folder, not a file
    assert main(["runs"]) == EXIT_STORE
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "RNN_PLAYGROUND_DB" in line or "move it aside" in line
