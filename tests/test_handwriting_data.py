"""The handwriting data layer: strokes and their encoding, pen-file readers, canvas JSON, generator."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from core.data import strokes as pen
from core.data.pen_files import read_pendigits, read_uji
from core.tasks.base import DataError
from core.tasks.handwriting import data as handwriting
from core.tasks.handwriting import writer
from core.tasks.handwriting.config import HandwritingTaskConfig

SMALL = HandwritingTaskConfig(train_size=500)


# ---------------------------------------------------------------- normalising and resampling

def test_straight_line_resamples_to_even_steps() -> None:
    samples, pen_up = pen.path_samples([np.array([[0.0, 0.0], [3.0, 0.0], [10.0, 0.0]])], 11)
    assert np.allclose(samples[:, 0], np.arange(11.0))
    assert np.allclose(samples[:, 1], 0.0)
    assert not pen_up.any()


def test_features_ignore_position_and_size() -> None:
    rng = np.random.default_rng(0)
    character = [rng.random((20, 2)), rng.random((9, 2))]
    moved = [stroke * 37.5 + np.array([100.0, -40.0]) for stroke in character]
    assert np.allclose(pen.resample(character, 24), pen.resample(moved, 24), atol=1e-5)


def test_layout_and_normalised_box() -> None:
    features = pen.resample([np.array([[0.0, 0.0], [2.0, 1.0]])], 16)
    assert features.shape == (16, len(pen.FEATURES)) and features.dtype == np.float32
    x, y = features[:, 0], features[:, 1]
    assert x.min() == pytest.approx(-1) and x.max() == pytest.approx(1)  # the larger side spans -1..1
    assert y.max() - y.min() == pytest.approx(1)  # aspect kept
    moves = np.hypot(features[1:, 2], features[1:, 3])
    assert np.allclose(moves, 1.0, atol=1e-5)  # equal steps, in units of the mean step


def test_normalise_centres_and_fits_the_larger_side() -> None:
    strokes = pen.normalise([np.array([[10.0, 10.0], [14.0, 12.0]])])
    every = np.concatenate(strokes)
    assert np.allclose(every.min(axis=0) + every.max(axis=0), 0.0)
    assert np.ptp(every, axis=0).max() == pytest.approx(1.0)


def test_pen_up_marks_each_jump_between_strokes() -> None:
    strokes = [np.array([[0.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 1.0], [1.0, 0.0]])]
    _, pen_up = pen.path_samples(strokes, 7)  # arc 0..1 stroke, 1..2 jump, 2..3 stroke
    assert pen_up.tolist() == [0, 0, 0, 1, 1, 0, 0]
    touching = [np.array([[0.0, 0.0], [0.0, 1.0]]), np.array([[0.0, 1.0], [1.0, 1.0]])]
    assert pen.path_samples(touching, 5)[1].sum() == 1  # a lift with no distance still shows
    assert pen.resample(strokes, 7)[:, 4].tolist() == pen_up.tolist()


def test_awkward_strokes_give_a_clear_error_or_a_sane_result() -> None:
    dot = pen.resample([np.array([[3.0, 4.0]])], 8)
    assert np.isfinite(dot).all() and not dot.any()  # a single point: everything at the centre
    repeated = pen.resample([np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.0, 0.0]]), np.zeros((0, 2))], 5)
    assert np.allclose(repeated[:, 0], [-1, -0.5, 0, 0.5, 1])
    with pytest.raises(pen.StrokeError, match="missing or infinite"):
        pen.resample([np.array([[0.0, np.nan], [1.0, 1.0]])], 8)
    with pytest.raises(pen.StrokeError):
        pen.resample([], 8)
    with pytest.raises(pen.StrokeError):
        pen.resample([np.array([1.0, 2.0, 3.0])], 8)


def test_points_table_lists_points_in_pen_order() -> None:
    rows = pen.to_points_table([np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([[2.0, 0.0]])])
    assert [(row["stroke"], row["order"]) for row in rows] == [(0, 0), (0, 1), (1, 2)]
    assert rows[2]["x"] == 2.0


# ---------------------------------------------------------------- the canvas

def _fabric_path(commands: list, **placement) -> dict:
    return {"type": "path", "path": commands, "strokeWidth": 4, **placement}


def test_canvas_json_becomes_strokes_with_y_up() -> None:
    first = _fabric_path([["M", 10, 10], ["Q", 10, 10, 10, 60], ["L", 10, 110]])
    second = _fabric_path([["M", 50, 40], ["L", 90, 40]])
    strokes = pen.canvas_to_strokes({"version": "7.4.0", "objects": [first, second]})
    assert len(strokes) == 2
    assert strokes[0][0].tolist() == [10.0, -10.0] and strokes[0][-1].tolist() == [10.0, -110.0]
    assert strokes[0][:, 1].max() > strokes[0][:, 1].min()  # the first stroke goes downwards on screen


def test_canvas_objects_that_were_moved_or_scaled_land_where_fabric_draws_them() -> None:
    # Path coordinates 0..20; the object's centre was moved to (200, 300) and stretched twice as wide.
    moved = _fabric_path([["M", 0, 0], ["L", 20, 0], ["L", 20, 10]], left=200, top=300, width=20, height=10,
                         originX="center", originY="center", scaleX=2, scaleY=1, strokeWidth=0)
    strokes = pen.canvas_to_strokes({"objects": [moved]})
    assert np.allclose(strokes[0], [[180, -295], [220, -295], [220, -305]])
    untouched = _fabric_path([["M", 30, 40], ["L", 70, 40]], left=28, top=38, width=40, height=0,
                             originX="left", originY="top")  # left/top include half the stroke width
    assert np.allclose(pen.canvas_to_strokes({"objects": [untouched]})[0], [[30, -40], [70, -40]])


@pytest.mark.parametrize("json_data", [None, {"objects": []}, {"version": "7.4.0"}])
def test_blank_canvas_asks_for_a_drawing(json_data) -> None:
    with pytest.raises(pen.StrokeError, match="Draw a character first"):
        pen.canvas_to_strokes(json_data)


def test_a_single_dot_is_refused() -> None:
    dot = _fabric_path([["M", 100, 100], ["L", 101, 102], ["L", 100.5, 101]])
    with pytest.raises(pen.StrokeError, match="single dot"):
        pen.canvas_to_strokes({"objects": [dot]})


def test_unreadable_canvas_commands_say_so() -> None:
    with pytest.raises(pen.StrokeError, match="cannot read"):
        pen.canvas_to_strokes({"objects": [_fabric_path([["M", 0, 0], ["A", 1, 2, 3]])]})


# ---------------------------------------------------------------- pendigits files

PENDIGITS = (
    " 47,100, 27, 81, 57, 37, 26,  0,  0, 23, 56, 53,100, 90, 40, 98, 8\n"
    "  0, 89, 27,100, 42, 75, 29, 45, 15, 15, 37,  0, 69,  2,100,  6, 2\n"
)


def test_pendigits_rows_become_one_eight_point_stroke() -> None:
    penset = read_pendigits(PENDIGITS.encode())
    assert penset.labels == ["8", "2"] and penset.notices == []
    assert len(penset.strokes[0]) == 1 and penset.strokes[0][0].shape == (8, 2)
    assert penset.strokes[1][0][0].tolist() == [0.0, 89.0]


def test_pendigits_bad_lines_are_skipped_and_named() -> None:
    content = PENDIGITS + "1,2,3\n" + "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,x\n" + \
        "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,12\n" + "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,160,1\n"
    penset = read_pendigits(content.encode())
    assert penset.labels == ["8", "2"]
    notice = penset.notices[0]
    for expected in ("line 3", "found 3", "line 4", "whole number", "line 5", "class 12", "line 6", "0..100"):
        assert expected in notice


def test_pendigits_refuses_files_that_are_not_pendigits() -> None:
    with pytest.raises(DataError, match="No valid pendigits rows"):
        read_pendigits(b"hello,world\n")
    with pytest.raises(DataError, match="more than 20 bad lines"):
        read_pendigits(("1,2\n" * 30 + PENDIGITS).encode())
    with pytest.raises(DataError, match="limit is 100 bytes"):
        read_pendigits(PENDIGITS.encode() * 2, max_bytes=100)
    with pytest.raises(DataError, match="not UTF-8"):
        read_pendigits(b"\xff\xfe1,2,3\n")
    with pytest.raises(DataError, match="UTF-16"):
        read_pendigits(PENDIGITS.encode("utf-16"))


def test_classes_outside_the_chosen_set_are_reported_and_dropped() -> None:
    penset = read_pendigits(PENDIGITS.encode(), classes=("2", "3"))
    assert penset.labels == ["2"] and "'8'" in penset.notices[0]
    with pytest.raises(DataError, match="no samples of the chosen classes"):
        read_pendigits(PENDIGITS.encode(), classes=("5",))


# ---------------------------------------------------------------- UJI pen characters

UJI_V2 = (
    "// UJI Pen Characters, version 2\n"
    "// ASCII char: a\n"
    "WORD a trn_UJI_W01-01\n"
    "  NUMSTROKES 2\n"
    "  POINTS 3 # 10 20 30 40 50 60\n"
    "  POINTS 2 # 70 80 90 100\n"
    "WORD 7 trn_UJI_W01-02\n"
    "  NUMSTROKES 1\n"
    "  POINTS 2 # 1 2 3 4\n"
)


def test_uji_v2_records_become_strokes_with_y_up() -> None:
    penset = read_uji(UJI_V2.encode())
    assert penset.labels == ["a", "7"] and penset.notices == []
    assert [stroke.tolist() for stroke in penset.strokes[0]] == [[[10, -20], [30, -40], [50, -60]],
                                                                [[70, -80], [90, -100]]]


def test_uji_v1_segments_are_read_too() -> None:
    content = ('.COMMENT UJIpenchars\n.X_DIM 1000\n.SEGMENT CHARACTER 0 ? "b"\n.PEN_DOWN\n 1 2\n 3 4\n.PEN_UP\n'
               '.PEN_DOWN\n 5 6\n.PEN_UP\n.SEGMENT CHARACTER 1 ? "c"\n.PEN_DOWN\n 7 8\n 9 x\n.PEN_UP\n')
    penset = read_uji(content.encode())
    assert penset.labels == ["b", "c"]
    assert [len(stroke) for stroke in penset.strokes[0]] == [2, 1]
    assert "line 14" in penset.notices[0]


def test_uji_malformed_records_are_skipped_with_line_numbers() -> None:
    content = UJI_V2 + ("WORD b w\n  NUMSTROKES 2\n  POINTS 1 # 1 2\nWORD c w\n  NUMSTROKES 1\n  POINTS 2 # 1 2 3\n"
                        "WORD d w\n  NUMSTROKES 2\n  POINTS 1 # nan 2\n  POINTS 1 # 3 4\n")
    penset = read_uji(content.encode())
    assert penset.labels == ["a", "7"]
    notice = penset.notices[0]
    assert "line 10" in notice and "promised 2 strokes, found 1" in notice
    assert "line 15" in notice and "needs 4 numbers" in notice
    assert "line 18" in notice and "not finite" in notice
    assert notice.startswith("Skipped 3 bad line(s)")  # the rest of a bad record is not reported again
    with pytest.raises(DataError, match="No characters found"):
        read_uji(b"just some text\n")


def test_uji_latin1_files_and_unknown_classes() -> None:
    content = UJI_V2 + "WORD \xf1 tst_UPV_W18-02\n  NUMSTROKES 1\n  POINTS 1 # 7 8\n"
    penset = read_uji(content.encode("latin-1"), classes=tuple("abc"))
    assert penset.labels == ["a"]
    assert "'7'" in penset.notices[0] and "'ñ'" in penset.notices[0]


# ---------------------------------------------------------------- the generator and the task

def test_generator_is_seeded_and_shaped() -> None:
    data = handwriting.build(SMALL, 3)
    again = handwriting.build(SMALL, 3)
    assert torch.equal(data.train_inputs, again.train_inputs)
    assert torch.equal(data.train_targets, again.train_targets)
    assert not torch.equal(data.train_inputs, handwriting.build(SMALL, 4).train_inputs)
    features = len(pen.FEATURES)
    assert data.train_inputs.shape == (500, SMALL.points, features)
    assert data.val_inputs.shape == (handwriting.VAL_SIZE, SMALL.points, features)
    assert data.probe_inputs.shape == (32, SMALL.points, features)
    assert data.train_inputs.dtype == torch.float32 and data.train_targets.dtype == torch.long
    assert data.input_size == features and data.num_classes == 10
    assert data.class_names == tuple("0123456789")
    assert data.position_label == "pen points back from the end"
    assert torch.isfinite(data.train_inputs).all()
    assert set(data.train_targets.tolist()) == set(range(10))


def test_every_charset_and_face_can_be_written() -> None:
    for charset, size in (("lowercase", 26), ("uppercase", 26)):
        for faces in (("print",), ("cursive",)):
            config = dataclasses.replace(SMALL, charset=charset, faces=faces, train_size=52)
            characters, labels = handwriting.generate(config, 52, 0)
            assert len(characters) == 52 and set(labels.tolist()) == set(range(size))
    calm = writer.write(list("0123456789"), np.random.default_rng(0), ("print",), 0.0)
    assert all(np.isfinite(np.concatenate(strokes)).all() for strokes in calm)


def test_codec_turns_a_drawing_into_one_model_input() -> None:
    data = handwriting.build(SMALL, 0)
    drawing = pen.canvas_to_strokes({"objects": [_fabric_path([["M", 10, 10], ["L", 60, 10], ["L", 30, 110]])]})
    encoded = data.codec(drawing)
    assert encoded.shape == (SMALL.points, data.input_size) and encoded.dtype == torch.float32
    with pytest.raises(pen.StrokeError):
        data.codec([])


def test_pictures_are_normalised_strokes_with_names() -> None:
    pictures = handwriting.sample_pictures(SMALL, 0, 6)
    assert len(pictures) == 6
    for name, strokes in pictures:
        assert name in "0123456789"
        assert np.ptp(np.concatenate(strokes), axis=0).max() == pytest.approx(1.0)


def test_a_pendigits_file_is_encoded_for_a_trained_task() -> None:
    data = handwriting.build(SMALL, 0)
    inputs, targets, lengths = handwriting.encode_file(data, handwriting.read_file("pendigits", PENDIGITS.encode()))
    assert inputs.shape == (2, SMALL.points, data.input_size) and targets.tolist() == [8, 2] and lengths is None
    with pytest.raises(DataError, match="does not know"):
        handwriting.encode_file(data, handwriting.read_file("uji", UJI_V2.encode()))
    with pytest.raises(DataError, match="Unknown file format"):
        handwriting.read_file("csv", b"")
