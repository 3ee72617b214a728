"""Tests of `python -m core warm`: every preset trained into the store once, finished ones skipped."""

from __future__ import annotations

import pytest

from core.cli import main
from core.store.runs import RunStore, run_id
from core.tasks import registry
from core.tasks.experiment import of_preset
from core.tasks.record import Preset

pytestmark = pytest.mark.timeout(120)

TINY = {"distance": "8", "hidden_size": "8", "batch_size": "16", "steps": "12", "eval_every": "5",
        "probe_every": "5"}


@pytest.fixture
def store_path(tmp_path, monkeypatch):
    path = tmp_path / "runs.sqlite"
    monkeypatch.setenv("RNN_PLAYGROUND_DB", str(path))
    return path


def test_every_preset_is_a_valid_link():
    for preset in registry.presets():
        experiment, messages = of_preset(preset)
        assert not messages, (preset.title, messages)
        assert experiment.task == preset.task


def test_dry_run_lists_every_preset_and_trains_nothing(store_path, capsys):
    assert main(["warm", "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(registry.presets()) and all(line.startswith("would train ") for line in lines)
    identifiers = {run_id(of_preset(p)[0]) for p in registry.presets()}
    assert {line.split()[2] for line in lines} == identifiers
    assert RunStore(store_path).list() == []


def test_warm_trains_missing_presets_then_skips_them(store_path, monkeypatch, capsys):
    tiny = (Preset("memory", "tiny A", "", {**TINY, "cells": ["RNN", "LSTM"]}),
            Preset("memory", "tiny B", "", {**TINY, "cells": ["GRU"], "seed": "4"}))
    monkeypatch.setattr(registry, "presets", lambda: tiny)
    assert main(["warm"]) == 0
    first = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in first] == ["trained", "trained"]
    store = RunStore(store_path)
    for preset in tiny:
        stored = store.find(of_preset(preset)[0], finished_only=True)
        assert stored is not None and stored.status == "finished"
        assert all(store.load_weights(stored.run_id, cell) for cell in stored.histories)
    assert main(["warm"]) == 0
    second = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in second] == ["finished", "finished"]
    assert len(store.list()) == 2
