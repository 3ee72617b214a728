"""A page showing a stored finished run builds only the data its views read, and shares it.

On a hosted class server each tab on a different stored memory-lab run used to build and keep that
run's whole data set (its 4,096 training sequences, about 7 MB at the default distance) only to
look inside one validation example; bench/session_memory.py measured the server growing by about
13 MB a tab. These tests pin the behaviour that fixed it: the views read the validation and probe
splits alone (`build_views`), the very examples `build` gives, and the cache keys on the settings the
data depends on.
"""

from __future__ import annotations

import gc
import inspect
import io
import weakref
import zipfile

import streamlit as st
import torch
from streamlit.testing.v1 import AppTest

from core.export.model_zip import model_files
from core.report.analysis import trace_example
from core.store.records import StoredRun
from core.tasks import experiment as config
from core.tasks.base import TaskData
from core.tasks.memory import data as memory_data
from core.tasks.registry import build_task, build_views
from core.training.trainer import prepare, run_interleaved
from ui import services

APP = "../app.py"
TINY = {"task": "memory", "distance": "9", "steps": "12", "hidden_size": "8", "batch_size": "16",
        "eval_every": "6", "probe_every": "6", "cells": "rnn,lstm"}


def experiment_of(**changes):
    experiment, messages = config.from_params({**TINY, **changes})
    assert not messages, messages
    return experiment


def stored_run(experiment) -> str:
    """Train the tiny experiment here and store it with its weights, as a shared link's run is."""
    trainers = prepare(experiment)
    run_interleaved(trainers)
    return services.run_store().save(experiment, {t.cell: t.history for t in trainers},
                                     weights={t.cell: t.model.state_dict() for t in trainers})


def test_the_views_data_is_the_runs_validation_and_probe_data_without_training_examples():
    experiment = experiment_of(seed="4", distance="30", noise="1.3")
    whole, shown = build_task(experiment), build_views(experiment)
    assert shown.train_inputs.shape[0] == 0 and shown.train_targets.shape[0] == 0
    assert whole.train_inputs.shape[0] == memory_data.TRAIN_SIZE
    for split in ("val_inputs", "val_targets", "probe_inputs", "probe_targets"):
        assert torch.equal(getattr(whole, split), getattr(shown, split)), split
    assert (shown.input_size, shown.num_classes, shown.class_names) == \
        (whole.input_size, whole.num_classes, whole.class_names)


def test_looking_inside_and_the_model_download_read_the_same_from_the_views_data():
    experiment = experiment_of(seed="5")
    run_id = stored_run(experiment)
    store = services.run_store()
    stored = store.load(run_id)
    weights = store.load_weights(run_id, "lstm")
    whole, shown = build_task(experiment), build_views(experiment)
    for index in (0, 7, memory_data.VAL_SIZE - 1):
        full, small = trace_example(experiment, "lstm", whole, weights, index), \
            trace_example(experiment, "lstm", shown, weights, index)
        assert full.summary == small.summary
        assert (full.hidden == small.hidden).all() and (full.cell_state == small.cell_state).all()
        assert all((full.gates[name] == small.gates[name]).all() for name in full.gates)
    all_weights = {cell: store.load_weights(run_id, cell) for cell in ("rnn", "lstm")}
    assert model_files(experiment, stored, whole, all_weights) == model_files(experiment, stored, shown, all_weights)


def test_runs_that_differ_only_in_their_models_share_one_copy_of_the_data():
    services._task_data.clear()
    services._view_data.clear()
    small, large = experiment_of(seed="6"), experiment_of(seed="6", hidden_size="16", cells="gru")
    assert services.task_data(small) is services.task_data(large)
    assert services.view_data(small) is services.view_data(large)
    assert services.view_data(small) is not services.view_data(experiment_of(seed="7"))


def open_run(experiment) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.switch_page("pages/memory_lab.py")
    for key, value in config.to_params(experiment).items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, app.exception
    assert any("Loaded finished run" in message.value for message in app.success)
    return app


def test_opening_a_stored_finished_run_builds_no_training_examples(monkeypatch):
    # A seed no other test builds data for, so neither cache holds this run's data yet.
    experiment = experiment_of(seed="80818")
    stored_run(experiment)
    made: list[int] = []
    original = memory_data.make_sequences

    def counting(task_config, count, seed):
        made.append(count)
        return original(task_config, count, seed)

    monkeypatch.setattr(memory_data, "make_sequences", counting)
    app = open_run(experiment)
    # The views that read examples are drawn: looking inside one of the 512 validation examples and
    # the model download...
    [example] = [box for box in app.number_input if box.label == "Validation example"]
    assert example.max == memory_data.VAL_SIZE - 1
    assert any(button.proto.label.startswith("Model (zip") for button in app.get("download_button"))
    # ...from the validation and probe examples alone: no training sequences were generated.
    assert made and memory_data.TRAIN_SIZE not in made
    assert sorted(set(made)) == [memory_data.PROBE_SIZE, memory_data.VAL_SIZE]


def test_an_open_tabs_downloads_hold_neither_the_run_nor_its_data(monkeypatch):
    """Streamlit keeps a download button's function while the tab is open: one holding the run's
    data kept every open tab's data alive, however small the server's cache (bench/session_memory.py)."""
    experiment = experiment_of(seed="80819")
    run_id = stored_run(experiment)
    kept = {}
    original = st.download_button

    def keeping(label, data, *args, **kwargs):
        if callable(data):
            kept[label] = data  # as the server's media file manager keeps it for the open tab
        return original(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", keeping)
    open_run(experiment)
    assert {"Report (one HTML file)", "Model (zip to predict with)"} <= set(kept)
    holding = [(label, type(value).__name__) for label, function in kept.items()
               for value in inspect.getclosurevars(function).nonlocals.values() if isinstance(value, TaskData | StoredRun)]
    assert not holding
    data = weakref.ref(services.view_data(experiment))
    services._view_data.clear()
    services._task_data.clear()
    gc.collect()
    assert data() is None, "an open tab's download keeps the run's data alive after the cache let it go"
    # Pressed later, the buttons still make the run's files, reading the run and its data again.
    files = zipfile.ZipFile(io.BytesIO(kept["Model (zip to predict with)"]())).namelist()
    assert any(name.endswith("predict.py") for name in files)
    assert run_id in kept["Report (one HTML file)"]().decode()
