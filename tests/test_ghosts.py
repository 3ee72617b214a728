"""Ghost curves and seed bands on the lab pages, through AppTest from app.py.

A ghost must be the run this session viewed before (not any other), carry the settings that
changed, go when dismissed and, when pinned, stay across further changes; the seed band must be
the mean, min-max and deviation of the stored seed histories at the very same steps.
"""

from __future__ import annotations

import json
import math

import pyarrow as pa
import pytest
from test_pages import TINY, chart_frames, open_page, train_to_the_end
from test_plain_text import visible

from core.nn.cells import model_label
from core.report import compare
from core.tasks import experiment as config
from ui import lab_seeds, plain, seed_bands, share
from ui.services import job_runner, run_store


def test_change_label_names_what_changed_from_before_to_after():
    before = config.to_params(config.from_params({"lr": "0.003", "steps": "40"})[0])
    after = config.to_params(config.from_params({"lr": "0.01", "steps": "40"})[0])
    assert compare.change_label(before, after) == "lr 0.003 -> 0.01"
    assert compare.change_label(after, before) == "lr 0.01 -> 0.003"
    assert compare.change_label(before, dict(before)) == ""
    many = config.to_params(config.from_params({"lr": "0.01", "steps": "60", "seed": "4", "distance": "9",
                                                "cells": ["GRU"]})[0])
    label = compare.change_label(before, many)
    assert label.startswith("seed 0 -> 4, distance 50 -> 9, cells RNN+LSTM -> GRU") and label.endswith("2 more")


def ghost_frames(app, title: str) -> list:
    """The data sets of the chart titled `title` that hold ghost rows (a "ghost" column)."""
    found = []
    for chart in app.get("vega_lite_chart"):
        if json.loads(chart.proto.spec).get("title") != title:
            continue
        tables = [pa.ipc.open_stream(d.data.data).read_pandas() for d in chart.proto.datasets]
        found += [table for table in tables if "ghost" in table.columns]
    return found


def the_ghost(app, title: str):
    frames = ghost_frames(app, title)
    assert len(frames) == 1, f"{title}: {len(frames)} ghost data sets"
    return frames[0]


def experiment_of(params: dict) -> config.Experiment:
    experiment, messages = config.from_params(params)
    assert not messages
    return experiment


def set_lr_and_train(app, lr: float) -> None:
    app.select_slider(key="lr").set_value(lr).run()
    assert not app.exception, app.exception
    train_to_the_end(app)


def assert_ghost_is(frame, label: str, params: dict) -> None:
    """The ghost rows of a loss chart are exactly run `params`'s train and validation losses."""
    stored = run_store().find(experiment_of(params))
    assert stored is not None
    rows = frame[frame["ghost"] == label]
    assert len(rows), (label, set(frame["ghost"]))
    for name, history in stored.histories.items():
        model = model_label(name)
        train = rows[(rows["model"] == model) & (rows["split"] == "train")].sort_values("step")
        assert train["step"].tolist() == history.steps
        assert train["loss"].tolist() == pytest.approx(history.train_loss)
        validation = rows[(rows["model"] == model) & (rows["split"] == "validation")].sort_values("step")
        assert validation["loss"].tolist() == pytest.approx(history.val_loss)


def test_a_second_train_with_another_lr_leaves_the_first_run_as_a_labelled_ghost():
    first = {**TINY, "seed": "8101"}
    app = open_page("memory_lab", first)
    train_to_the_end(app)
    assert ghost_frames(app, "Loss") == []  # one run so far: nothing to compare it with
    set_lr_and_train(app, 0.01)
    loss = the_ghost(app, "Loss")
    assert set(loss["ghost"]) == {"lr 0.003 -> 0.01"}
    assert_ghost_is(loss, "lr 0.003 -> 0.01", first)
    # Not the run now shown: its losses are not the ghost's.
    second = run_store().find(experiment_of({**first, "lr": "0.01"}))
    assert the_ghost(app, "Loss")["loss"].tolist()[:5] != pytest.approx(second.histories["rnn"].train_loss[:5])
    metric = the_ghost(app, "Validation accuracy")
    stored = run_store().find(experiment_of(first))
    lstm = metric[metric["model"] == "LSTM"].sort_values("step")
    assert lstm["value"].tolist() == pytest.approx(stored.histories["lstm"].val_metric)
    assert set(the_ghost(app, "How much gradient reaches the first step")["ghost"]) == {"lr 0.003 -> 0.01"}
    assert any(plain.escape("lr 0.003 -> 0.01") in markdown.value for markdown in app.markdown)

    app.button(key="ghost_dismiss").click().run()
    assert not app.exception, app.exception
    assert ghost_frames(app, "Loss") == [] and ghost_frames(app, "Validation accuracy") == []


def test_a_pinned_run_stays_across_two_further_changes_and_the_ghost_follows_the_last_view():
    first = {**TINY, "seed": "8102"}
    app = open_page("memory_lab", first)
    train_to_the_end(app)
    set_lr_and_train(app, 0.01)
    first_id = run_store().find(experiment_of(first)).run_id
    app.button(key=f"ghost_pin_{first_id}").click().run()
    assert not app.exception, app.exception

    set_lr_and_train(app, 0.02)
    loss = the_ghost(app, "Loss")
    assert set(loss["ghost"]) == {"pinned: lr 0.003 -> 0.02", "lr 0.01 -> 0.02"}
    assert_ghost_is(loss, "pinned: lr 0.003 -> 0.02", first)
    assert_ghost_is(loss, "lr 0.01 -> 0.02", {**first, "lr": "0.01"})
    # The pin's line says "Pinned" once (issue 17, item 4: "Pinned: pinned: lr 0.003 -> 0.01").
    lines = [visible(m.value) for m in app.markdown if visible(m.value).startswith(("Pinned", "Ghost"))]
    assert any(line.startswith("Pinned: **lr 0.003 -> 0.02**") for line in lines), lines
    assert not any("pinned:" in line.lower().removeprefix("pinned:") for line in lines), lines

    # A setting moved and moved again before Train: only runs shown count, so the ghost is the 0.02 run.
    app.select_slider(key="lr").set_value(0.05).run()
    set_lr_and_train(app, 0.03)
    loss = the_ghost(app, "Loss")
    assert set(loss["ghost"]) == {"pinned: lr 0.003 -> 0.03", "lr 0.02 -> 0.03"}
    assert_ghost_is(loss, "pinned: lr 0.003 -> 0.03", first)
    assert_ghost_is(loss, "lr 0.02 -> 0.03", {**first, "lr": "0.02"})
    # Pins live in the session, not in the experiment's link.
    assert app.code[0].value.endswith(share.query_string(experiment_of({**first, "lr": "0.03"})))
    assert set(app.query_params) <= set(config.parameter_fields("memory"))

    app.button(key="ghost_clear").click().run()
    assert ghost_frames(app, "Loss") == []


def test_progress_counts_each_state_of_the_seed_runs():
    assert seed_bands.progress_text(["queued", "running", "finished"]) == \
        "Seed runs: 1 queued, 1 training, 1 of 3 done"
    assert lab_seeds.seeds(7, 3) == [7, 8, 9]
    assert lab_seeds.seeds(2**31 - 2, 3) == [2**31 - 2, 2**31 - 1]


def by_hand(values: list[float]) -> dict[str, float]:
    mean = sum(values) / len(values)
    return {"mean": mean, "low": min(values), "high": max(values),
            "deviation": math.sqrt(sum((value - mean) ** 2 for value in values) / len(values))}


def test_repeat_with_three_seeds_draws_each_models_band_from_the_stored_histories():
    params = {**TINY, "seed": "8200"}
    app = open_page("memory_lab", params)
    train_to_the_end(app)
    repeat = app.button(key="lab_repeat")
    assert repeat.label == "Repeat with 3 seeds"
    repeat.click().run()
    assert not app.exception, app.exception
    for job in job_runner().jobs():
        assert job.wait(120)
    app.run()
    assert not app.exception, app.exception
    histories = [run_store().find(experiment_of({**params, "seed": str(seed)}), finished_only=True).histories
                 for seed in (8200, 8201, 8202)]
    band = chart_frame(app, "Train loss across seeds")
    assert set(band["model"]) == {"RNN", "LSTM"} and set(band["seeds"]) == {3}
    for cell in ("rnn", "lstm"):
        rows = band[band["model"] == model_label(cell)].set_index("step")
        assert sorted(rows.index) == histories[0][cell].steps
        for step in (1, 2, 17, 40):
            expected = by_hand([h[cell].train_loss[h[cell].steps.index(step)] for h in histories])
            assert dict(rows.loc[step, ["mean", "low", "high", "deviation"]]) == pytest.approx(expected)
        metric = band_metric(app, cell)
        for step in histories[0][cell].eval_steps:
            expected = by_hand([h[cell].val_metric[h[cell].eval_steps.index(step)] for h in histories])
            assert metric.loc[step, "mean"] == pytest.approx(expected["mean"])
    # One standard deviation instead of min-max moves the band's edges, not its mean.
    app.segmented_control(key="lab_band").set_value("one standard deviation").run()
    rows = chart_frame(app, "Train loss across seeds")
    lstm = rows[rows["model"] == "LSTM"].set_index("step")
    expected = by_hand([h["lstm"].train_loss[h["lstm"].steps.index(17)] for h in histories])
    assert lstm.loc[17, "low"] == pytest.approx(expected["mean"] - expected["deviation"])
    assert lstm.loc[17, "high"] == pytest.approx(expected["mean"] + expected["deviation"])
    assert any("standard deviation either side" in caption.value for caption in app.caption)
    # Every seed is stored now, so there is nothing left to repeat.
    assert app.button(key="lab_repeat").disabled


def chart_frame(app, title: str):
    frames = [frame for spec, frame in chart_frames(app) if spec.get("title") == title]
    assert len(frames) == 1, [spec.get("title") for spec, _ in chart_frames(app)]
    return frames[0]


def band_metric(app, cell: str):
    band = chart_frame(app, "Validation accuracy across seeds")
    return band[band["model"] == model_label(cell)].set_index("step")
