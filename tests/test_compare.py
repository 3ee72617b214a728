"""Tests of core/report/compare.py against numbers worked out by hand: smoothing, settings diff, bands, rows."""

from __future__ import annotations

import csv
import io

import pytest

from core.data.history import History
from core.report import compare
from core.tasks import experiment as config


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


def probed(steps: list[int], probes: list[list[float]]) -> History:
    return History(cell="rnn", probe_steps=steps, grad_through_time=[{"layer 1": norms} for norms in probes])


def test_probe_steps_offered_are_the_shared_ones_else_all():
    first, second = probed([5, 10, 15], [[1.0]] * 3), probed([10, 15, 20], [[1.0]] * 3)
    assert compare.probe_steps_to_offer([first, second]) == [10, 15]
    # No step in common (runs probed at other intervals): every step any run has.
    assert compare.probe_steps_to_offer([probed([4, 8], [[1.0]] * 2), probed([5], [[1.0]])]) == [4, 5, 8]
    assert compare.probe_steps_to_offer([History(cell="rnn")]) == []


def test_the_nearest_probe_is_picked_and_a_tie_goes_to_the_earlier():
    history = probed([4, 8], [[0.1, 1.0], [0.2, 1.0]])
    assert compare.probe_nearest(history, 5)[0] == 4
    assert compare.probe_nearest(history, 7)[0] == 8
    assert compare.probe_nearest(history, 6) == (4, {"layer 1": [0.1, 1.0]})
    assert compare.probe_nearest(History(cell="rnn"), 6) is None


def test_gradient_rows_count_steps_back_from_the_end():
    history = probed([4, 8], [[0.1, 0.5, 1.0], [0.3, 0.6, 1.0]])
    rows = compare.gradient_rows("run A", history, 8)
    # t = 1..3 is 2, 1, 0 steps back from the end; the first step's gradient is 0.3 at probe 8.
    assert [(row["back"], row["norm"]) for row in rows] == [(2, 0.3), (1, 0.6), (0, 1.0)]
    assert {row["probe_step"] for row in rows} == {8} and {row["model"] for row in rows} == {"RNN"}
    assert compare.gradient_rows("run A", history, 3)[0]["norm"] == 0.1


def test_settings_pack_into_a_link_and_back():
    first = config.to_params(config.replace(config.Experiment(), lr="0.003"))
    second = config.to_params(config.replace(config.Experiment(), lr="0.01", seed=9))
    packed = compare.pack_settings({"0123456789abcdef": first, "fedcba9876543210": second})
    assert set(packed) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert compare.unpack_settings(packed) == {"0123456789abcdef": first, "fedcba9876543210": second}
    # Shared settings are written once, so twenty runs cost little more than one.
    many = {f"{index:016x}": config.to_params(config.replace(config.Experiment(), seed=index)) for index in range(20)}
    assert len(compare.pack_settings(many)) < 20 * len(compare.pack_settings({"0123456789abcdef": first})) / 3


@pytest.mark.parametrize("text, reason", [
    ("not base64 !!", "damaged"),
    ("eJzLSM3JyVcozy/KSQEAGgQEXQ", "damaged"),  # "hello world", deflated: not JSON settings
    ("A" * (compare.MAX_SETTINGS_CHARACTERS + 1), "at most"),
])
def test_unreadable_settings_are_refused_with_a_reason(text, reason):
    with pytest.raises(compare.LinkError, match=reason):
        compare.unpack_settings(text)


def test_settings_of_the_wrong_shape_or_too_large_once_inflated_are_refused():
    import base64
    import json
    import zlib

    def packed(data) -> str:
        return base64.urlsafe_b64encode(zlib.compress(json.dumps(data).encode(), 9)).decode().rstrip("=")

    with pytest.raises(compare.LinkError, match="not settings of runs"):
        compare.unpack_settings(packed({"v": 1, "common": {}, "runs": {"../etc": {"lr": "1"}}}))
    with pytest.raises(compare.LinkError, match="not settings of runs"):
        compare.unpack_settings(packed({"v": 1, "common": {"lr": 3}, "runs": {}}))
    with pytest.raises(compare.LinkError, match="format"):
        compare.unpack_settings(packed({"v": 2, "common": {}, "runs": {}}))
    bomb = packed({"v": 1, "common": {"x": "a" * 5_000_000}, "runs": {}})
    assert len(bomb) < compare.MAX_SETTINGS_CHARACTERS
    with pytest.raises(compare.LinkError, match="far more"):
        compare.unpack_settings(bomb)


def test_series_values_read_the_same_numbers_as_the_rows():
    for series in ("train loss", "validation loss", "validation accuracy", "group far", "gradient norm encoder"):
        rows = [row for row in compare.series_rows("", history()) if row["series"] == series]
        steps, values = compare.series_values(history(), series)
        kept = [(step, value) for step, value in zip(steps, values) if value is not None]
        assert kept == [(row["step"], row["value"]) for row in rows]


def test_group_series_are_listed_in_natural_order():
    from ui.compare_view import series_order

    rows = [{"series": name} for name in ("validation accuracy", "group distance 11-20", "group distance 3-5",
                                          "train loss", "group distance 0-2")]
    assert series_order(rows) == ["train loss", "validation accuracy", "group distance 0-2",
                                  "group distance 3-5", "group distance 11-20"]


def test_smoothing_goes_by_step_distance_so_a_sparse_curve_keeps_its_values():
    """Issue 17, item 9: 17 validation points 50 steps apart at weight 0.9 read ~0.8 for a final 0.998."""
    steps = list(range(50, 900, 50))
    values = [min(0.998, 0.1 + 0.06 * index) for index in range(len(steps))]
    by_distance = compare.smooth(values, 0.9, steps)
    assert by_distance[-1] == pytest.approx(0.998, abs=0.001)
    assert compare.smooth(values, 0.9)[-1] < 0.95  # by point count, the old reading
    # A curve read every step is smoothed exactly as by point count.
    dense = [1.0, 3.0, 2.0, 5.0]
    assert compare.smooth(dense, 0.6, [1, 2, 3, 4]) == pytest.approx(compare.smooth(dense, 0.6))


def test_a_run_that_diverged_early_does_not_narrow_the_probe_steps():
    """Issue 17, item 10: a diverged run's single probe made every run's chart fall back to step 1."""
    from core.data.history import History

    finished = History(cell="lstm", status="finished", probe_steps=[1, 50, 100],
                       grad_through_time=[{"layer 1": [1.0]}] * 3)
    diverged = History(cell="rnn", status="diverged", probe_steps=[1], grad_through_time=[{"layer 1": [1.0]}])
    assert compare.probe_steps_to_offer([finished, diverged]) == [1, 50, 100]
    assert compare.probe_nearest(diverged, 100)[0] == 1
    other = History(cell="gru", status="finished", probe_steps=[1, 100], grad_through_time=[{"layer 1": [1.0]}] * 2)
    assert compare.probe_steps_to_offer([finished, diverged, other]) == [1, 100]


def test_runs_are_named_by_their_rarest_differing_settings():
    base = {"task": "memory", "seed": "1", "lr": "0.003", "distance": "50", "hidden_size": "64"}
    two = compare.run_names({"a" * 16: base, "b" * 16: {**base, "lr": "0.01"}})
    assert two == {"a" * 16: "lr 0.003", "b" * 16: "lr 0.01"}
    many = compare.run_names({"a" * 16: base, "b" * 16: {**base, "seed": "2"}, "c" * 16: {**base, "seed": "3"},
                              "d" * 16: {**base, "seed": "4", "distance": "20"}})
    assert many["d" * 16].startswith("seed 4, distance 20") or "distance 20" in many["d" * 16]
    assert len(set(many.values())) == 4
    same = compare.run_names({"a" * 16: base, "b" * 16: dict(base)})
    assert same == {"a" * 16: "memory, seed 1 (aaaaaa)", "b" * 16: "memory, seed 1 (bbbbbb)"}
    # Names fit a phone's legend: past NAME_LENGTH characters, the least rare settings are left out.
    wide = compare.run_names({"a" * 16: base, "b" * 16: {**base, "lr": "0.01", "distance": "20", "hidden_size": "128"}})
    assert all(len(name) <= compare.NAME_LENGTH for name in wide.values()), wide
