"""Tests of core/compare.py against numbers worked out by hand: smoothing, settings diff, bands, rows."""

from __future__ import annotations

import csv
import io

import pytest

from core import compare, config
from core.history import History


def test_smoothing_matches_a_hand_computation():
    # weight 0.5: averages 0.5*2=1, 0.5*1+0.5*4=2.5, 0.5*2.5+0.5*6=4.25; debiased by 1-0.5**n.
    smoothed = compare.smooth([2.0, 4.0, 6.0], 0.5)
    assert smoothed == pytest.approx([2.0, 2.5 / 0.75, 4.25 / 0.875])
    assert smoothed[0] == 2.0  # debiasing keeps the first value where it was


def test_smoothing_weight_zero_is_the_identity_and_keeps_gaps():
    values = [3.0, None, 1.0, float("nan"), 7.5]
    assert compare.smooth(values, 0.0) == [3.0, None, 1.0, None, 7.5]
    # A gap neither resets nor moves the average: the value after it is smoothed as if adjacent.
    assert compare.smooth([2.0, None, 4.0], 0.5)[2] == pytest.approx(2.5 / 0.75)


def test_smoothing_refuses_a_weight_of_one():
    with pytest.raises(ValueError):
        compare.smooth([1.0], 1.0)


def test_two_runs_differing_only_in_lr_show_only_lr():
    first = config.to_params(config.replace(config.Experiment(), lr="0.003"))
    second = config.to_params(config.replace(config.Experiment(), lr="0.01"))
    assert compare.settings_diff({"a": first, "b": second}) == {"lr": {"a": "0.003", "b": "0.01"}}


def test_a_setting_only_one_run_has_counts_as_differing():
    diff = compare.settings_diff({"a": {"task": "memory", "distance": "5"}, "b": {"task": "memory"}})
    assert diff == {"distance": {"a": "5", "b": None}}


def test_identical_runs_differ_in_nothing():
    params = config.to_params(config.Experiment())
    assert compare.settings_diff({"a": params, "b": dict(params)}) == {}


def test_band_matches_a_hand_computation():
    curves = [([1, 2, 3], [1.0, 2.0, 3.0]), ([1, 2, 3], [3.0, 4.0, None]), ([1, 2], [2.0, 6.0])]
    # Step 3 is missing in two seeds, so only steps 1 and 2 form the band.
    first, second = compare.band(curves)
    assert first == pytest.approx({"step": 1, "mean": 2.0, "low": 1.0, "high": 3.0,
                                   "deviation": (2 / 3) ** 0.5})
    assert second == pytest.approx({"step": 2, "mean": 4.0, "low": 2.0, "high": 6.0,
                                    "deviation": (8 / 3) ** 0.5})
    assert compare.band([]) == []


def test_run_ids_are_checked():
    good, refused = compare.check_run_ids(["0123456789abcdef", "0123456789ABCDEF", "x", "../etc", "12"])
    assert good == ["0123456789abcdef"] and refused == ["x", "../etc", "12"]


def history() -> History:
    return History(cell="lstm", metric="accuracy", steps=[1, 2], wall_seconds=[0.5, 1.5], train_loss=[2.0, None],
                   eval_steps=[2], val_loss=[1.5], val_metric=[0.4], scores={"chrF": [0.3]},
                   group_metric={"far": [0.2]}, layer_grad_norms={"encoder": [0.1, 0.2]},
                   probe_steps=[2], grad_through_time=[{"layer0": [0.01, 1.0]}])


def test_rows_hold_every_series_with_wall_time():
    rows = compare.series_rows("run A", history())
    by_series = {(row["series"], row["step"]): row for row in rows}
    assert by_series[("train loss", 1)]["value"] == 2.0 and ("train loss", 2) not in by_series
    assert by_series[("validation loss", 2)]["wall_seconds"] == 1.5
    assert by_series[("validation accuracy", 2)]["value"] == 0.4
    assert by_series[("chrF", 2)]["value"] == 0.3
    assert by_series[("group far", 2)]["value"] == 0.2
    assert by_series[("first-step gradient ratio", 2)]["value"] == pytest.approx(0.01)
    assert by_series[("gradient norm encoder", 2)]["value"] == 0.2
    assert {row["model"] for row in rows} == {"LSTM"} and {row["run"] for row in rows} == {"run A"}


def test_csv_round_trips_the_rows():
    rows = compare.comparison_rows({"run A": {"lstm": history()}})
    read = list(csv.DictReader(io.StringIO(compare.to_csv(rows))))
    assert len(read) == len(rows) and tuple(read[0]) == compare.CSV_COLUMNS
    assert float(read[0]["value"]) == rows[0]["value"]
