"""What a hostile tester found (issue 9), one test each: pen files, bundles, the store, the CLI, uploads.

Each test fails on the code before the fix: a traceback, a silent misreading, or a file left
behind. The CLI runs in-process through `core.cli.main`; its store is a fresh one per test.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pytest

from core.cli import main
from core.data import strokes, uploads
from core.data.history import History
from core.data.pen_files import read_pendigits, read_uji
from core.settings.paths import StoreError
from core.store.bundles import BundleError
from core.store.runs import RunStore
from core.store.sqlite_file import StoreBusy
from core.tasks import experiment as config
from core.tasks.base import DataError
from core.tasks.handwriting import data as handwriting

TINY = ["--set", "hidden_size=8", "--steps", "10", "--set", "eval_every=5",
        "--set", "probe_every=5", "--set", "batch_size=16"]


@pytest.fixture
def store_path(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "store" / "runs.sqlite"
    monkeypatch.setenv("RNN_PLAYGROUND_DB", str(path))
    return path


def run_cli(capsys, *arguments: str) -> tuple[int, str, str]:
    code = main(list(arguments))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line(error: str) -> str:
    lines = error.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in error, error
    return lines[0]


# --- pen files ------------------------------------------------------------------------------------

def uji_records(count: int, label: str = "7", points: str = "0 0 5 9 20 30") -> str:
    return "".join(f"WORD {label} w{i}\nNUMSTROKES 1\nPOINTS 3 # {points}\n" for i in range(count))


def test_a_pen_sample_at_1e308_is_skipped_at_import_and_the_rest_encodes():
    content = uji_records(1, points="0 0 1e308 -1e308 3 4") + uji_records(3)
    penset = read_uji(content)
    assert len(penset) == 3 and "1e308" in penset.notices[0]
    assert handwriting.encode(penset.strokes, 16).isfinite().all()


def test_strokes_refuse_absurd_coordinates_with_a_stroke_error():
    with pytest.raises(strokes.StrokeError, match="beyond"):
        strokes.resample([[[0, 0], [1e308, 5], [-1e308, 2]]], 16)


def test_a_file_of_only_huge_coordinates_is_refused_by_the_cli(store_path, tmp_path, capsys):
    path = tmp_path / "huge.uji"
    path.write_text(uji_records(60, points="1e308 -1e308 -1e308 1e308 1e308 1e308"))
    code, out, error = run_cli(capsys, "train", "handwriting", "--train-file", f"uji:{path}", *TINY)
    assert code == 2 and "±1,000,000" in one_line(error) and "diverged" not in error + out


def test_non_ascii_digits_are_not_numbers():
    arabic_indic = ",".join(["٥"] * 16) + ",3\n"
    with pytest.raises(DataError, match="whole number"):
        read_pendigits(arabic_indic)
    with pytest.raises(DataError):
        read_uji("WORD a w\nNUMSTROKES 1\nPOINTS 2 # １ ２ ３ ４\n")
    for value in ("١٢", "１２", "1_000"):
        assert config.from_params({"seed": value})[1], value


# --- bundles --------------------------------------------------------------------------------------

@pytest.fixture
def bundle(tmp_path) -> dict:
    store = RunStore(tmp_path / "source.sqlite")
    experiment = config.from_params({"distance": "6", "cells": ["RNN"]})[0]
    history = History(cell="rnn", status="finished", steps=[1, 2], wall_seconds=[0.1, 0.2], train_loss=[1.0, 0.5],
                      grad_norm=[1.0, 0.5], eval_steps=[2], val_loss=[0.7], val_metric=[0.5])
    return store.export_bundle(store.save(experiment, {"rnn": history}))


def test_deep_nesting_in_a_history_is_refused_not_a_recursion_error(bundle, tmp_path):
    bundle["histories"]["rnn"]["layer_grad_norms"] = {"deep": "[" * 800 + "]" * 800}
    text = json.dumps(bundle).replace('"' + "[" * 800 + "]" * 800 + '"', "[" * 800 + "]" * 800)
    with pytest.raises(BundleError, match="nests deeper"):
        RunStore(tmp_path / "target.sqlite").import_bundle(text)


def test_a_lone_surrogate_is_refused_not_a_unicode_error(bundle, tmp_path):
    text = json.dumps({**bundle, "message": "x"}).replace('"message": "x"', '"message": "\\ud800"')
    with pytest.raises(BundleError, match="Unicode"):
        RunStore(tmp_path / "target.sqlite").import_bundle(text)


@pytest.mark.parametrize("status", ["running", "queued", "failed"])
def test_a_bundle_that_has_not_ended_is_refused(bundle, tmp_path, status):
    with pytest.raises(BundleError, match="ended"):
        RunStore(tmp_path / "target.sqlite").import_bundle({**bundle, "status": status})
    bundle["histories"]["rnn"]["status"] = status
    with pytest.raises(BundleError, match="ended"):
        RunStore(tmp_path / "target.sqlite").import_bundle(bundle)


def test_a_bundle_over_the_size_cap_is_refused_before_parsing(bundle, tmp_path, monkeypatch, store_path, capsys):
    monkeypatch.setenv("RNN_PLAYGROUND_MAX_BUNDLE_MB", str(2000 / 1024 / 1024))
    bundle["message"] = "x" * 3000
    with pytest.raises(BundleError, match="MB"):
        RunStore(tmp_path / "target.sqlite").import_bundle(json.dumps(bundle))
    path = tmp_path / "big.json"
    path.write_text(json.dumps(bundle))
    code, _, error = run_cli(capsys, "import", str(path))
    assert code == 2 and "MB" in one_line(error)


@pytest.mark.parametrize("text", ['{"format": "a", "format": "rnn-playground-run"}', '{"version": NaN}',
                                  '{"version": 1e999}'])
def test_duplicate_keys_and_non_numbers_are_refused(text, tmp_path):
    with pytest.raises(BundleError):
        RunStore(tmp_path / "target.sqlite").import_bundle(text)


# --- the store ------------------------------------------------------------------------------------

def test_a_held_write_lock_ends_in_a_clear_message(tmp_path, monkeypatch, capsys):
    path = tmp_path / "runs.sqlite"
    RunStore(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(StoreBusy, match="busy.*nothing was changed"):
            RunStore(path, wait=0.2).delete("0123456789abcdef")
        assert time.monotonic() - started < 5
        monkeypatch.setenv("RNN_PLAYGROUND_DB", str(path))
        monkeypatch.setenv("RNN_PLAYGROUND_DB_WAIT_SECONDS", "0.2")
        code, _, error = run_cli(capsys, "train", "memory", *TINY)
        assert code == 3 and "busy" in one_line(error)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.parametrize("kind", ["folder", "not sqlite", "damaged", "under a file"])
def test_a_misconfigured_store_says_what_to_fix_and_is_left_untouched(tmp_path, monkeypatch, capsys, kind):
    target = tmp_path / "store"
    if kind == "folder":
        target.mkdir()
    elif kind == "not sqlite":
        target.write_bytes(b"my thesis, please do not overwrite\n" * 10)
    elif kind == "damaged":
        target.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    else:
        target.write_text("a file, not a folder")
        target = target / "runs.sqlite"
    before = target.read_bytes() if target.is_file() else None
    monkeypatch.setenv("RNN_PLAYGROUND_DB", str(target))
    code, _, error = run_cli(capsys, "runs")
    line = one_line(error)
    assert code == 3 and ("RNN_PLAYGROUND_DB" in line or "move it aside" in line)
    with pytest.raises(StoreError):
        RunStore()
    if before is not None:
        assert target.read_bytes() == before


# --- the command line -----------------------------------------------------------------------------

def test_the_positional_task_cannot_be_overridden(store_path, capsys):
    code, out, error = run_cli(capsys, "train", "sentiment", "--set", "task=handwriting", *TINY)
    assert code == 2 and "task is the first argument" in one_line(error) and not out
    assert not store_path.exists()


def test_nothing_is_written_when_the_settings_are_invalid(store_path, tmp_path, capsys):
    table = tmp_path / "mine.csv"
    table.write_text("text,label\n" + "".join(f"row {i},{i % 2}\n" for i in range(40)))
    code, _, error = run_cli(capsys, "train", "sentiment", "--train-file", f"csv:{table}", "--set", "hidden_size=x")
    assert code == 2 and "Hidden size" in one_line(error)
    assert not store_path.parent.exists() or not any(store_path.parent.rglob("*"))


def test_a_one_class_pen_file_is_refused_like_a_one_class_table(store_path, tmp_path, capsys):
    pendigits = tmp_path / "ones.tra"
    pendigits.write_text("".join(",".join(str((i * 7 + j) % 100) for j in range(16)) + ",1\n" for i in range(80)))
    code, _, error = run_cli(capsys, "train", "handwriting", "--train-file", f"pendigits:{pendigits}", *TINY)
    assert code == 2 and "at least 2 classes" in one_line(error)
    table = tmp_path / "ones.csv"
    table.write_text("text,label\n" + "".join(f"row {i},pos\n" for i in range(40)))
    code, _, error = run_cli(capsys, "train", "sentiment", "--train-file", f"csv:{table}", *TINY)
    assert code == 2 and "two classes" in one_line(error)


def test_a_class_with_too_few_samples_is_refused(store_path, tmp_path, capsys):
    rows = [",".join(str((i * 7 + j) % 100) for j in range(16)) + f",{1 if i else 2}\n" for i in range(80)]
    path = tmp_path / "rare.tra"
    path.write_text("".join(rows))
    code, _, error = run_cli(capsys, "train", "handwriting", "--train-file", f"pendigits:{path}", *TINY)
    assert code == 2 and "fewer than 5 samples" in one_line(error)


def test_refusals_do_not_say_what_they_would_use(store_path, capsys):
    for arguments in (["--seed", "abc"], ["--seed", "١٢"], ["--set", "hidden_size=99999"], ["--cells", "nope"]):
        code, _, error = run_cli(capsys, "train", "memory", *arguments)
        line = one_line(error)
        assert code == 2 and "using" not in line and "Nothing was trained" in line, line


# --- uploads --------------------------------------------------------------------------------------

def test_uploads_past_the_quota_are_refused(store_path, monkeypatch):
    monkeypatch.setenv("RNN_PLAYGROUND_UPLOAD_QUOTA_MB", "0.001")  # about 1 KB
    uploads.save(b"a" * 600, "csv")
    with pytest.raises(DataError, match="full"):
        uploads.save(b"b" * 600, "csv")


def age(key: str, days: float) -> None:
    for path in uploads.folder().glob(f"{key}.*"):
        stamp = time.time() - days * 86400
        os.utime(path, (stamp, stamp))


def test_an_expired_upload_is_removed_and_says_it_expired(store_path, capsys):
    key = uploads.save(b"text,label\nold,1\n", "csv")
    fresh = uploads.save(b"text,label\nnew,1\n", "csv")
    age(key, 31)
    with pytest.raises(uploads.UploadExpired, match="expired"):
        uploads.load(key)
    assert uploads.load(fresh)[1].endswith(b"new,1\n")


def test_the_clean_command_removes_old_uploads_and_runs(store_path, capsys):
    key = uploads.save(b"text,label\nold,1\n", "csv")
    kept = uploads.save(b"text,label\nnew,1\n", "csv")
    age(key, 10)
    store = RunStore()
    experiment = config.from_params({"distance": "7", "cells": ["RNN"]})[0]
    old_run = store.save(experiment, {"rnn": History(cell="rnn", status="finished")})
    with sqlite3.connect(store.path) as connection:
        connection.execute("UPDATE runs SET updated = 0 WHERE run_id = ?", (old_run,))
    code, out, _ = run_cli(capsys, "clean", "--uploads-older-than", "5", "--runs-older-than", "90", "--dry-run")
    assert code == 0 and key in out and old_run in out and uploads.exists(key)
    code, out, _ = run_cli(capsys, "clean", "--uploads-older-than", "5", "--runs-older-than", "90")
    assert code == 0 and not uploads.exists(key) and uploads.exists(kept) and store.load(old_run) is None
    with pytest.raises(uploads.UploadExpired):
        uploads.load(key)


def test_the_page_says_when_a_links_upload_has_expired(monkeypatch):
    from test_pages import open_page

    table = b"text,label\n" + b"".join(b"row %d,%d\n" % (i, i % 2) for i in range(40))
    key = uploads.save(table, "csv")
    age(key, 400)
    app = open_page("sentiment", {"source": "upload", "upload": key})
    assert not app.exception
    assert any("expired" in error.value for error in app.error)
