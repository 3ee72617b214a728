"""The command line on the demos: training on a user's file, scoring another file, bad files."""

from __future__ import annotations

import json

import pytest

from core.data import uploads
from core.tasks.base import DataError

TINY_TEXT = ["--steps", "30", "--set", "hidden_size=8", "--set", "batch_size=16", "--set", "eval_every=10",
             "--set", "probe_every=10", "--set", "vocab_size=100", "--set", "embedding_size=8"]
TINY_PEN = ["--steps", "30", "--set", "hidden_size=8", "--set", "batch_size=16", "--set", "eval_every=10",
            "--set", "probe_every=10", "--set", "train_size=500", "--set", "points=16"]


@pytest.fixture
def database(tmp_path):
    return tmp_path / "runs.sqlite"


def table(tmp_path, name: str, rows: int) -> str:
    path = tmp_path / name
    lines = ["text,label"]
    for number in range(rows):
        lines += [f"a wonderful warm film number {number},pos", f"a dull tedious mess number {number},neg"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_sentiment_trains_on_a_file_and_scores_another(cli, database, tmp_path):
    result = cli("train", "sentiment", "--cells", "lstm,bow", *TINY_TEXT, "--train-file",
                 f"csv:{table(tmp_path, 'train.csv', 60)}", "--eval-file", f"csv:{table(tmp_path, 'eval.csv', 10)}",
                 "--json", database=database)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(summary["eval"]) == {"lstm", "bow"}
    assert all(0.0 <= accuracy <= 1.0 for accuracy in summary["eval"].values())
    # The run remembers the file by its content key, so the same command finds the same run.
    again = cli("train", "sentiment", "--cells", "lstm,bow", *TINY_TEXT, "--train-file",
                f"csv:{table(tmp_path, 'train.csv', 60)}", "--reuse", "--eval-file",
                f"csv:{table(tmp_path, 'eval.csv', 10)}", "--json", database=database)
    assert again.returncode == 0, again.stderr
    reused = json.loads(again.stdout.strip().splitlines()[-1])
    assert reused["run_id"] == summary["run_id"] and reused["eval"] == summary["eval"]


def test_default_puzzles_report_accuracy_by_kind(cli, database):
    result = cli("train", "sentiment", "--cells", "bow", *TINY_TEXT, "--set", "train_size=500", "--json",
                 database=database)
    assert result.returncode == 0, result.stderr
    groups = json.loads(result.stdout.strip().splitlines()[-1])["models"]["bow"]["groups"]
    assert {"plain", "negation", "contrast"} <= set(groups)


def test_handwriting_scores_a_pendigits_file(cli, database, tmp_path):
    path = tmp_path / "few.tes"
    # Two hand-made strokes in the UCI format: a vertical bar ("1") and a closed loop ("0").
    one = "50,100,50,86,50,72,50,58,50,44,50,30,50,15,50,0,1"
    zero = "50,100,15,80,0,50,15,20,50,0,85,20,100,50,85,80,0"
    path.write_text("\n".join([one, zero] * 5) + "\n")
    result = cli("train", "handwriting", "--cells", "gru", *TINY_PEN, "--eval-file", f"pendigits:{path}",
                 "--json", database=database)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert 0.0 <= summary["eval"]["gru"] <= 1.0
    assert len(summary["models"]["gru"]["per_class"]) == 10


@pytest.mark.parametrize("arguments, message", [
    (["memory", "--eval-file", "csv:x.csv"], "reads no files"),
    (["sentiment", "--eval-file", "pendigits:x"], "reads csv, tsv files"),
    (["sentiment", "--eval-file", "nocolon"], "FORMAT:PATH"),
    (["sentiment", "--eval-file", "csv:/does/not/exist.csv"], "cannot read"),
    (["handwriting", "--train-file", "uji:BADFILE"], "BADFILE"),
])
def test_bad_file_arguments_fail_in_one_line(cli, database, tmp_path, arguments, message):
    bad = tmp_path / "BADFILE"
    bad.write_text("this is not a pen file\n")
    arguments = [str(bad) if part == "uji:BADFILE" else part for part in arguments]
    arguments = [f"uji:{bad}" if part == str(bad) else part for part in arguments]
    result = cli("train", *arguments, database=database)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_uploads_are_kept_by_content_and_a_missing_one_is_a_data_error(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_PLAYGROUND_DB", str(tmp_path / "runs.sqlite"))
    key = uploads.save(b"text,label\nfine,1\n", "csv")
    assert key == uploads.save(b"text,label\nfine,1\n", "csv")
    assert key != uploads.save(b"text,label\nfine,1\n", "tsv")
    assert uploads.load(key) == ("csv", b"text,label\nfine,1\n")
    with pytest.raises(DataError, match="Upload the file again"):
        uploads.load("0123456789abcdef")
    with pytest.raises(DataError):
        uploads.load("../../etc/passwd")
    with pytest.raises(DataError, match="limit"):
        uploads.save(b"x" * (uploads.MAX_BYTES + 1), "csv")
