"""The Compare page through AppTest: two stored runs opened from a link, overlaid, diffed, smoothed."""

from __future__ import annotations

import json

import pytest

from core import compare, config, runs
from core.history import History
from test_pages import chart_frames, open_page


def tiny_history(cell: str, offset: float) -> History:
    steps = list(range(1, 11))
    return History(cell=cell, status="finished", steps=steps, wall_seconds=[0.1 * s for s in steps],
                   train_loss=[2.0 - 0.1 * s + offset + (0.3 if s % 2 else 0.0) for s in steps],
                   grad_norm=[1.0] * 10, layer_grad_norms={"rnn.layer0": [0.5] * 10},
                   eval_steps=[5, 10], val_loss=[1.6 + offset, 1.2 + offset], val_metric=[0.3, 0.5 + offset],
                   probe_steps=[5, 10], grad_through_time=[{"layer0": [0.01, 1.0]}, {"layer0": [0.02, 1.0]}])


def stored_pair(seed: int) -> list[str]:
    """Two runs on the same settings but the learning rate; their ids."""
    identifiers = []
    for lr, offset in (("0.003", 0.0), ("0.01", 0.2)):
        experiment, messages = config.from_params({"distance": "6", "steps": "10", "seed": str(seed), "lr": lr})
        assert not messages
        histories = {cell: tiny_history(cell, offset) for cell in experiment.model.cells}
        identifiers.append(runs.RunStore().save(experiment, histories))
    return identifiers


def frame_titled(app, title: str):
    frames = [frame for spec, frame in chart_frames(app) if spec.get("title") == title]
    assert len(frames) == 1, [spec.get("title") for spec, _ in chart_frames(app)]
    [frame] = frames
    return frame


def test_a_link_with_two_run_ids_overlays_both_and_diffs_only_lr():
    first, second = stored_pair(7001)
    app = open_page("compare", {"runs": [first, second]})
    loss = frame_titled(app, "Train loss")
    assert set(loss["run"]) == {first[:8], second[:8]} and set(loss["model"]) == {"RNN", "LSTM"}
    assert set(frame_titled(app, "Validation accuracy")["run"]) == {first[:8], second[:8]}
    assert set(frame_titled(app, "First-step gradient ratio")["run"]) == {first[:8], second[:8]}
    # The diff table has one column per chosen run; the run table lists every stored run.
    [diff] = [table.value for table in app.dataframe if list(table.value.columns) == [first[:8], second[:8]]]
    assert list(diff.index) == ["lr"]
    assert list(diff.loc["lr"]) == ["0.003", "0.01"]
    assert first in app.code[0].value and second in app.code[0].value


def test_smoothing_from_the_link_plots_the_debiased_average():
    first, second = stored_pair(7002)
    app = open_page("compare", {"runs": [first, second], "smoothing": "0.6"})
    loss = frame_titled(app, "Train loss")
    curve = loss[(loss["run"] == first[:8]) & (loss["model"] == "LSTM")].sort_values("x")
    raw = tiny_history("lstm", 0.0).train_loss
    assert curve["value"].tolist() == pytest.approx(raw)
    assert curve["smoothed"].tolist() == pytest.approx(compare.smooth(raw, 0.6))
    assert curve["smoothed"].tolist() != pytest.approx(raw)
    assert "smoothing=0.6" in app.code[0].value


def test_wall_time_and_log_y_come_from_the_link():
    first, second = stored_pair(7003)
    app = open_page("compare", {"runs": [first, second], "x": "wall time", "log_y": "true"})
    loss = frame_titled(app, "Train loss")
    assert loss["x"].max() == pytest.approx(1.0)
    [spec] = [spec for spec, _ in chart_frames(app) if spec.get("title") == "Train loss"]
    assert spec["layer"][0]["encoding"]["y"]["scale"]["type"] == "log"


def test_a_tampered_id_is_refused_and_a_missing_run_is_named():
    first, _ = stored_pair(7004)
    absent = "0123456789abcdef"
    app = open_page("compare", {"runs": [first, "../../etc/passwd", absent], "smoothing": "lots"})
    warnings = " ".join(w.value for w in app.warning)
    assert "not run ids" in warnings and "passwd" in warnings
    assert absent in warnings and "does not store" in warnings
    assert "Smoothing" in warnings
    assert set(frame_titled(app, "Train loss")["run"]) == {first[:8]}


def test_importing_a_bundle_adds_its_run_and_a_bad_one_is_explained():
    first, second = stored_pair(7005)
    bundle = json.dumps(runs.RunStore().export_bundle(second))
    assert runs.RunStore().delete(second)
    app = open_page("compare", {"runs": [first]})
    app.file_uploader(key="bundle_file").set_value(("run.json", bundle.encode(), "application/json")).run()
    assert not app.exception, app.exception
    app.run()
    assert set(frame_titled(app, "Train loss")["run"]) == {first[:8], second[:8]}
    app.file_uploader(key="bundle_file").set_value(("bad.json", b"{not json", "application/json")).run()
    assert not app.exception and any("not valid JSON" in e.value for e in app.error)


def test_the_home_page_opens_compare():
    app = open_page("home")
    [button] = [button for button in app.button if button.key == "open_compare"]
    button.click().run()
    assert not app.exception, app.exception
    assert any(title.value == "Compare runs" for title in app.title)


def test_stored_seeds_draw_their_mean_and_band():
    identifiers = []
    for seed, offset in ((7101, 0.0), (7102, 0.3), (7103, 0.6)):
        experiment, _ = config.from_params({"distance": "6", "steps": "10", "seed": str(seed)})
        histories = {cell: tiny_history(cell, offset) for cell in experiment.model.cells}
        identifiers.append(runs.RunStore().save(experiment, histories))
    app = open_page("compare", {"runs": [identifiers[0]]})
    band = frame_titled(app, "Train loss across seeds")
    at_one = band[(band["model"] == "LSTM") & (band["step"] == 1)].iloc[0]
    # Step 1's raw losses are 2.2, 2.5 and 2.8 for the three seeds (see tiny_history).
    assert at_one["mean"] == pytest.approx(2.5) and at_one["seeds"] == 3
    assert (at_one["low"], at_one["high"]) == pytest.approx((2.2, 2.8))
    assert at_one["deviation"] == pytest.approx((0.18 / 3) ** 0.5)
    assert any(button.key == "repeat" for button in app.button)
