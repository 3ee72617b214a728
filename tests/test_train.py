"""Training: determinism, learning, probes on schedule, divergence and stopping; the memory task."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from core.data.history import History
from core.tasks.experiment import from_params
from core.tasks.memory.data import make_sequences
from core.tasks.registry import build_task
from core.training.trainer import prepare, run_interleaved, train, train_all

ROOT = Path(__file__).resolve().parents[1]
TINY = {"distance": "6", "hidden_size": "12", "steps": "60", "batch_size": "32", "eval_every": "20",
        "probe_every": "30", "cells": ["RNN", "LSTM"], "lr": "0.01"}


def tiny(**changes):
    experiment, messages = from_params({**TINY, **changes})
    assert messages == []
    return experiment


def without_wall_times(history: History) -> dict:
    data = history.to_dict()
    data.pop("wall_seconds")
    return data


def test_same_seed_gives_identical_histories():
    first = train_all(tiny())
    second = train_all(tiny())
    assert [without_wall_times(t.history) for t in first] == [without_wall_times(t.history) for t in second]
    other_seed = train_all(tiny(seed="1"))
    assert without_wall_times(first[0].history) != without_wall_times(other_seed[0].history)


def test_history_records_every_step_and_evaluates_and_probes_on_schedule():
    history = train(tiny(steps="50"), "lstm")
    assert history.status == "finished"
    assert history.steps == list(range(1, 51))
    assert len(history.train_loss) == len(history.grad_norm) == len(history.wall_seconds) == 50
    assert set(history.layer_grad_norms) == {"layer 1 input", "layer 1 recurrent", "head"}
    assert history.eval_steps == [1, 20, 40, 50]
    assert history.probe_steps == [1, 30, 50]
    assert all(len(probe["layer 1"]) == 6 for probe in history.grad_through_time)
    assert History.from_dict(history.to_dict()) == history


def test_an_lstm_learns_a_short_memory_task():
    history = train(tiny(distance="5", steps="150", noise="0.5"), "lstm")
    assert history.final_val_metric() >= 0.95
    assert history.train_loss[-1] < history.train_loss[0] / 5


def test_a_diverging_learning_rate_stops_with_advice_and_keeps_the_curves():
    history = train(tiny(optimizer="adam", lr="1.0", clip="0", hidden_size="32", steps="200"), "rnn")
    assert history.status == "diverged"
    assert "learning rate" in history.message and "clipping" in history.message
    assert 0 < len(history.steps) < 200
    assert len(history.train_loss) == len(history.steps)


def test_a_divergence_message_quotes_the_figures_the_chart_shows():
    """The report: 'the loss rose to 24.6' where the chart showed 32.0: the figure is a running mean,
    and the message names it and quotes the step's own loss beside it."""
    history = train(tiny(optimizer="adam", lr="1.0", clip="0", hidden_size="32", steps="200"), "rnn")
    match = re.search(r"at step (\d+): the mean loss over steps (\d+)-(\d+) rose to ([\d.e+]+) "
                      r"\(([\d.e+]+) at step (\d+)\)", history.message)
    assert match, history.message
    step, first, last, mean, own, own_step = match.groups()
    assert int(step) == int(last) == int(own_step) == history.steps[-1]
    window = history.train_loss[int(first) - 1:int(last)]
    assert len(window) == int(last) - int(first) + 1 <= 10
    assert float(mean) == pytest.approx(sum(window) / len(window), rel=1e-2)
    assert float(own) == pytest.approx(history.train_loss[-1], rel=1e-2)


def test_clipping_is_not_advised_when_it_is_already_on():
    history = train(tiny(optimizer="adam", lr="1.0", clip="1.0", hidden_size="32", steps="200"), "rnn")
    assert history.status == "diverged"
    assert "clipping" not in history.message and "Lower the learning rate" in history.message


def test_should_stop_ends_every_model_with_its_reason():
    trainers = prepare(tiny(steps="1000"))
    calls = []

    def should_stop():
        calls.append(1)
        return "enough" if len(calls) > 7 else None

    run_interleaved(trainers, should_stop=should_stop)
    assert [t.history.status for t in trainers] == ["stopped", "stopped"]
    assert all(t.history.message == "enough" for t in trainers)
    assert sum(len(t.history.steps) for t in trainers) == 7


def test_interleaving_keeps_cells_in_step():
    trainers = prepare(tiny(steps="30"))
    seen = []
    run_interleaved(trainers, on_step=lambda trainer: seen.append((trainer.cell, trainer.step_count)))
    assert seen[:4] == [("rnn", 1), ("lstm", 1), ("rnn", 2), ("lstm", 2)]


def test_memory_sequences_hold_the_label_in_the_first_step():
    config = tiny(distance="30", symbols="5", noise="0.7").task_config
    inputs, labels = make_sequences(config, 200, seed=3)
    assert inputs.shape == (200, 30, 5) and labels.shape == (200,)
    assert torch.equal(inputs[:, 0].argmax(-1), labels)
    assert torch.allclose(inputs[:, 0].sum(-1), torch.ones(200))
    assert 0.6 < float(inputs[:, 1:].std()) < 0.8
    assert set(labels.tolist()) == set(range(5))
    again, _ = make_sequences(config, 200, seed=3)
    assert torch.equal(inputs, again)
    assert not torch.equal(inputs, make_sequences(config, 200, seed=4)[0])


def test_memory_splits_differ_and_chance_is_one_over_symbols():
    data = build_task(tiny(symbols="8"))
    assert data.num_classes == 8 and data.input_size == 8
    assert not torch.equal(data.train_inputs[:10], data.val_inputs[:10])


def test_core_never_imports_streamlit():
    pattern = re.compile(r"^\s*(import|from)\s+streamlit", re.MULTILINE)
    offenders = [str(path) for path in (ROOT / "core").rglob("*.py") if pattern.search(path.read_text())]
    assert offenders == []
    code = ("import sys, core.tasks.experiment, core.nn.models, core.training.trainer, core.engine.jobs, core.store.runs, core.report.analysis, "
            "core.tasks.explaining, core.cli; print('streamlit' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
