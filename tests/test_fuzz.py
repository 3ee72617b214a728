"""Fuzzing every door a stranger has: link parameters, tables, pen files and run bundles (hypothesis).

One contract for all of them: a clean value or one clear message (the surface's own error type),
never another exception, never a hang (each case has a deadline), and nothing already in the run
store lost or changed. CASES sets the examples per surface; the whole file runs in well under a
minute on two cores.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core.data import tables
from core.data.history import History
from core.data.pen_files import read_pendigits, read_uji
from core.data.training_data import check_training_file
from core.store.bundles import BundleError
from core.store.runs import RunStore
from core.tasks import experiment as config
from core.tasks.base import DataError
from core.tasks.handwriting import data as handwriting
from core.tasks.registry import task_names
from ui import plain

CASES = {"urls": 1000, "tables": 500, "pen files": 500, "bundles": 500}
FUZZ = dict(deadline=2000, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

# Text a hostile user would try: markup, control and bidi characters, surrogates, other digits.
HOSTILE = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["![t](http://evil.example/x.png)", "[a](javascript:alert(1))", "<script>x</script>",
                     "١٢", "１２", "1_000", "1e308", "-1e308", "nan", "inf", "0x10", " 12 ", "", "\x00", "\u202e",
                     "\ud800", "9" * 400, "../../etc/passwd", "' OR 1=1 --", "%00", "\n- item"]),
)
SETTING_NAMES = sorted({name for task in task_names() for name in config.parameter_fields(task)} | {"task"})


@settings(max_examples=CASES["urls"], **FUZZ)
@given(st.dictionaries(st.one_of(st.sampled_from(SETTING_NAMES), HOSTILE),
                       st.one_of(HOSTILE, st.lists(HOSTILE, max_size=4)), max_size=8))
def test_any_link_gives_a_clean_experiment_and_plain_messages(params):
    experiment, messages = config.from_params(params)
    # The clean experiment is a fixed point: its own link reads back with nothing to report.
    assert config.from_params(config.to_params(experiment)) == (experiment, [])
    for message in messages:
        assert isinstance(message, str) and message
        shown = re.sub(r"\\[!-~]", "", plain.escape(message))
        assert not re.search(r"\]\(|<[a-z/]|https?:", shown)


CELL = st.one_of(st.sampled_from(["pos", "neg", "0", "1", "good", "bad"]), st.from_regex(r"[a-z ]{1,12}", fullmatch=True),
                 st.sampled_from(["a,b", '"q"', "x\ty"]), HOSTILE)


@st.composite
def table_files(draw) -> tuple[bytes, str]:
    format = draw(st.sampled_from(["csv", "tsv"]))
    separator = "," if format == "csv" else "\t"
    header = draw(st.sampled_from([["text", "label"], ["review", "rating", "id"], ["only"], []])) + \
        draw(st.lists(HOSTILE, max_size=2))
    # Mostly rows of the header's width, so files also get past the first checks.
    width = st.just(len(header)) | st.integers(0, len(header) + 1)
    rows = draw(st.lists(width.flatmap(lambda size: st.lists(CELL, min_size=size, max_size=size)), max_size=30))
    text = "\n".join(separator.join(row) for row in [header, *rows])
    raw = draw(st.just(text.encode("utf-8", "surrogatepass")) | st.binary(max_size=200))
    return raw, format


@settings(max_examples=CASES["tables"], **FUZZ)
@given(table_files())
def test_any_table_reads_cleanly_or_says_why(file):
    content, format = file
    try:
        table = tables.read_table(content, format)
    except DataError as error:
        assert str(error)
        event("refused")
        return
    event("read")
    assert len(table.texts) == len(table.labels) == len(table.targets) > 0
    assert all(0 <= target < len(table.class_names) for target in table.targets)
    try:
        check_training_file(table)
    except DataError as error:
        assert str(error)


NUMBER = st.one_of(st.integers(-200, 200).map(str), st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=False).map(repr),
                   st.sampled_from(["1e308", "-1e308", "١٢", "１", "nan", "inf", "", "x", "1_0", "+3", ".5"]))


@st.composite
def pen_files(draw) -> tuple[str, str]:
    if draw(st.booleans()):
        field = st.integers(0, 100).map(str) | NUMBER
        rows = draw(st.lists(st.lists(field, min_size=17, max_size=17) | st.lists(NUMBER, min_size=15, max_size=18),
                             max_size=20))
        return "pendigits", "\n".join(",".join(row) for row in rows)
    lines = []
    for number in range(draw(st.integers(0, 6))):
        label = draw(st.one_of(st.sampled_from(["0", "7", "a", "Z"]), HOSTILE.filter(lambda t: t.strip() == t)))
        lines.append(f"WORD {label or 'x'} w{number}")
        strokes = draw(st.integers(0, 3))
        lines.append(f"NUMSTROKES {draw(st.just(str(strokes)) | NUMBER)}")
        for _ in range(strokes):
            coordinate = st.integers(-500, 500).map(str) | NUMBER
            values = draw(st.lists(coordinate, min_size=2, max_size=8).map(lambda v: v[: len(v) // 2 * 2]))
            count = draw(st.just(str(len(values) // 2)) | NUMBER)
            lines.append(f"POINTS {count} # {' '.join(values)}")
    return "uji", "\n".join(lines)


@settings(max_examples=CASES["pen files"], **FUZZ)
@given(pen_files())
def test_any_pen_file_reads_and_encodes_or_says_why(file):
    format, text = file
    reader = read_pendigits if format == "pendigits" else read_uji
    try:
        penset = reader(text)
    except DataError as error:
        assert str(error)
        event("refused")
        return
    event("read")
    assert len(penset.strokes) == len(penset.labels) > 0
    try:
        inputs = handwriting.encode(penset.strokes, 16)
    except DataError as error:  # a sample of one repeated point has no path; it is named, not a crash
        assert "Sample" in str(error)
        return
    assert inputs.shape == (len(penset), 16, 5) and inputs.isfinite().all()


@pytest.fixture(scope="module")
def bundle_store(tmp_path_factory):
    """A store holding one run already, and a valid bundle of another run to mutate."""
    folder = tmp_path_factory.mktemp("fuzz-bundles")
    store = RunStore(folder / "target.sqlite")
    kept = config.from_params({"distance": "9", "cells": ["LSTM"]})[0]
    kept_id = store.save(kept, {"lstm": History(cell="lstm", status="finished", steps=[1], train_loss=[0.5])})
    source = RunStore(folder / "source.sqlite")
    experiment = config.from_params({"distance": "6", "cells": ["RNN"]})[0]
    history = History(cell="rnn", status="finished", steps=[1, 2], train_loss=[1.0, 0.5], val_metric=[0.5],
                      class_names=["a", "b"], grad_through_time=[{"layer0": [0.1, 0.2]}], probe_steps=[2])
    bundle = source.export_bundle(source.save(experiment, {"rnn": history}))
    return store, kept_id, store.load(kept_id), bundle


JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_subnormal=False), HOSTILE)
JSON_VALUE = st.recursive(JSON_LEAF, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                           st.dictionaries(HOSTILE, inner, max_size=4)), max_leaves=12)
# A path into the bundle to replace, and what to put there.
BUNDLE_PATHS = [("message",), ("status",), ("task",), ("run_id",), ("code_version",), ("params", "distance"),
                ("params", "cells"), ("versions",), ("histories",), ("histories", "rnn"),
                ("histories", "rnn", "status"), ("histories", "rnn", "message"), ("histories", "rnn", "steps"),
                ("histories", "rnn", "class_names"), ("histories", "rnn", "grad_through_time"),
                ("histories", "rnn", "layer_grad_norms"), ("histories", "rnn", "cell")]


def deep(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


@settings(max_examples=CASES["bundles"], **FUZZ)
@given(st.lists(st.tuples(st.sampled_from(BUNDLE_PATHS),
                          st.one_of(JSON_VALUE, st.sampled_from(["running", "queued", "stopped", "diverged"]),
                                    st.integers(5, 900).map(deep))), max_size=3),
       st.booleans())
def test_any_bundle_imports_cleanly_or_says_why_and_loses_nothing(bundle_store, changes, as_text):
    store, kept_id, kept, original = bundle_store
    bundle = json.loads(json.dumps(original))
    for path, value in changes:
        place = bundle
        for key in path[:-1]:
            place = place.get(key) if isinstance(place, dict) else None
        if isinstance(place, dict):
            place[path[-1]] = value
    payload = bundle
    if as_text:
        try:
            payload = json.dumps(bundle)
        except (RecursionError, ValueError):
            payload = bundle
    try:
        identifier = store.import_bundle(payload)
    except BundleError as error:
        assert str(error)
        event("refused")
    else:
        event("imported")
        # What was imported exports and imports again to the same run.
        exported = store.export_bundle(identifier)
        assert store.import_bundle(json.dumps(exported)) == identifier
        assert store.load(identifier).status in ("finished", "stopped", "diverged")
    again = store.load(kept_id)
    assert again is not None and again.histories == kept.histories and again.status == kept.status
