"""Classes in core (core/classes): the teacher key kept as a digest and checked in constant time,
students' names, the limits from the environment, expiry, closing and deleting, the results a
teacher sees and exports, and the store file's schema migration."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import zipfile

import pytest

from core.classes import results, rules
from core.classes.rules import ClassError
from core.classes.store import ClassStore
from core.data.history import History
from core.store import runs
from core.store.sqlite_file import SCHEMA_VERSION
from core.tasks import experiment as config


@pytest.fixture
def classes(store):
    return ClassStore(store)


def history(cell: str, accuracy: float, steps: int = 3) -> History:
    record = History(cell=cell, metric="accuracy", status="finished")
    for step in range(1, steps + 1):
        record.steps.append(step)
        record.wall_seconds.append(0.1 * step)
        record.train_loss.append(2.0 / step)
        record.grad_norm.append(1.0)
        record.eval_steps.append(step)
        record.val_loss.append(2.5 / step)
        record.val_metric.append(accuracy * step / steps)
    return record


def store_run(store, scores: dict[str, float], **settings) -> str:
    experiment = config.from_params({"task": "memory", "cells": list(scores), **settings})[0]
    return store.save(experiment, {cell: history(cell, accuracy) for cell, accuracy in scores.items()})


def test_the_teacher_key_is_stored_only_as_its_digest(classes, store):
    info, key = classes.create()
    with sqlite3.connect(store.path) as connection:
        dump = "\n".join(connection.iterdump())
    assert key not in dump and rules.digest(key) in dump
    assert rules.SECRET.fullmatch(key) and rules.CODE.fullmatch(info.code)


def test_only_the_classs_own_key_opens_it_for_the_teacher(classes):
    first, first_key = classes.create()
    second, second_key = classes.create()
    assert classes.for_teacher(first.code, first_key) == first
    guessed = "A" * 43
    for code, key in [(first.code, None), (first.code, ""), (first.code, second_key), (first.code, guessed),
                      (first.code, first_key[:-1] + ("B" if first_key[-1] != "B" else "C")),
                      (second.code, first_key), ("nosuchcode", first_key), (None, first_key)]:
        assert classes.for_teacher(code, key) is None, (code, key)


def test_keys_are_compared_in_constant_time(monkeypatch):
    compared = []
    monkeypatch.setattr(rules.hmac, "compare_digest", lambda a, b: compared.append((a, b)) or a == b)
    assert not rules.matches("x" * 43, rules.digest("y" * 43))
    assert not rules.matches("not a key", rules.digest("y" * 43))
    assert len(compared) == 2  # a malformed guess is compared too, as long as a well-formed one


def test_names_are_plain_trimmed_limited_and_unique_in_a_class(classes):
    info, _ = classes.create()
    ada, token = classes.join(info.code, "  Ada   Lovelace ")
    assert ada.name == "Ada Lovelace"
    for taken in ("ada lovelace", "ADA LOVELACE", "Ａｄａ Ｌｏｖｅｌａｃｅ"):
        with pytest.raises(ClassError, match="already uses that name"):
            classes.join(info.code, taken)
    for bad, words in [("", "Type a name"), ("   ", "Type a name"), ("x" * 31, "at most 30"),
                       ("Ada\u202eecalevol", "invisible"), ("a\nb", "control")]:
        with pytest.raises(ClassError, match=words):
            classes.join(info.code, bad)
    other, _ = classes.create()
    assert classes.join(other.code, "Ada Lovelace")[0].name == "Ada Lovelace"  # unique per class only
    assert classes.student_by_token(info.code, token) == ada == classes.student_by_token(info.code.upper(), token)
    assert classes.student_by_token(other.code, token) is None
    assert classes.student_by_token(info.code, "A" * 43) is None


def test_limits_come_from_the_environment_with_clear_messages(classes, store, monkeypatch):
    monkeypatch.setenv("RNN_PLAYGROUND_MAX_CLASSES", "1")
    monkeypatch.setenv("RNN_PLAYGROUND_CLASS_STUDENTS", "2")
    monkeypatch.setenv("RNN_PLAYGROUND_CLASS_RUNS", "1")
    info, _ = classes.create()
    with pytest.raises(ClassError, match="RNN_PLAYGROUND_MAX_CLASSES"):
        classes.create()
    ada, _ = classes.join(info.code, "Ada")
    classes.join(info.code, "Grace")
    with pytest.raises(ClassError, match="full"):
        classes.join(info.code, "Alan")
    first = store_run(store, {"rnn": 0.3}, seed="1")
    classes.record_run(ada, first, "job-1")
    classes.record_run(ada, first, "job-2")  # training the same run again is always allowed
    second = store_run(store, {"rnn": 0.3}, seed="2")
    with pytest.raises(ClassError, match="RNN_PLAYGROUND_CLASS_RUNS"):
        classes.check_run(ada, second)
    assert [tag.job_id for tag in classes.class_runs(info.code)] == ["job-2"]


def test_a_class_and_its_names_expire_after_the_configured_hours(classes, monkeypatch):
    monkeypatch.setenv("RNN_PLAYGROUND_CLASS_HOURS", "2")
    info, key = classes.create(now=1000.0)
    assert info.expires == 1000.0 + 2 * 3600
    student, token = classes.join(info.code, "Ada", now=1001.0)
    assert classes.get(info.code, now=info.expires - 1) is not None
    assert classes.for_teacher(info.code, key, now=info.expires) is None
    assert classes.get(info.code) is None and classes.students(info.code) == []
    assert classes.student(info.code, student.name_key) is None


def test_a_closed_class_takes_no_one_and_no_run_and_a_deleted_one_is_gone(classes, store):
    info, key = classes.create()
    ada, _ = classes.join(info.code, "Ada")
    run = store_run(store, {"rnn": 0.3})
    classes.record_run(ada, run, "job")
    classes.close(info.code)
    assert not classes.get(info.code).is_open and classes.for_teacher(info.code, key) is not None
    with pytest.raises(ClassError, match="closed"):
        classes.join(info.code, "Grace")
    with pytest.raises(ClassError, match="closed"):
        classes.check_run(ada, run)
    classes.delete(info.code)
    assert classes.get(info.code) is None and classes.class_runs(info.code) == []
    assert classes.students(info.code) == []
    assert store.load(run) is not None  # the run itself stays, id and all


def test_the_teachers_view_counts_scores_and_changed_settings(classes, store):
    info, _ = classes.create()
    ada, _ = classes.join(info.code, "Ada")
    grace, _ = classes.join(info.code, "Grace")
    classes.join(info.code, "Alan")
    beaten = store_run(store, {"rnn": 0.3, "lstm": 0.9}, distance="12")
    lost = store_run(store, {"rnn": 0.6, "lstm": 0.4}, lr="0.01")
    classes.record_run(ada, beaten, "a")
    classes.record_run(grace, lost, "b")
    classes.record_run(grace, "ffffffffffffffff", "c")  # submitted, training now
    view = results.class_view(store, classes.students(info.code), classes.class_runs(info.code),
                              lambda job: ("training", {"task": "memory", "seed": "9"}) if job == "c" else None)
    by_name = {line.name: line for line in view.students}
    assert by_name["Ada"].finished[0].changed == {"distance": "12"}
    assert by_name["Ada"].finished[0].scores == {"rnn": pytest.approx(0.3), "lstm": pytest.approx(0.9)}
    assert by_name["Grace"].finished[0].changed == {"lr": "0.01"}
    assert [(run.status, run.changed) for run in by_name["Grace"].training] == [("training", {"seed": "9"})]
    assert by_name["Alan"].finished == by_name["Alan"].training == []
    assert results.beats(view) == [("lstm", "rnn", 1, 3)]
    assert set(view.latest) == {"Ada", "Grace"}


def test_the_csv_holds_every_stored_history_point_and_no_formula(classes, store):
    info, _ = classes.create()
    mallory, _ = classes.join(info.code, "=HYPERLINK(\"http://x\")")
    run = store_run(store, {"rnn": 0.5, "lstm": 0.8})
    classes.record_run(mallory, run, "job")
    students = classes.students(info.code)
    tagged = classes.class_runs(info.code)
    view = results.class_view(store, students, tagged, lambda job: None)
    text = results.to_csv(results.csv_rows(view, {s.name_key: s.name for s in students}, tagged))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["student"] for row in rows} == {"'=HYPERLINK(\"http://x\")"}
    stored = store.load(run)
    for cell, record in stored.histories.items():
        label = {"rnn": "RNN", "lstm": "LSTM"}[cell]
        loss = [(int(r["step"]), float(r["value"])) for r in rows if r["model"] == label and r["series"] == "train loss"]
        assert loss == list(zip(record.steps, record.train_loss))
        accuracy = [float(r["value"]) for r in rows if r["model"] == label and r["series"] == "validation accuracy"]
        assert accuracy == record.val_metric


def test_the_bundles_zip_imports_back_and_names_files_by_run_id_only(classes, store, tmp_path):
    info, _ = classes.create()
    student, _ = classes.join(info.code, "../../etc/passwd")
    run = store_run(store, {"rnn": 0.5})
    classes.record_run(student, run, "job")
    tagged = classes.class_runs(info.code)
    data = results.bundles_zip(store, info.code, {student.name_key: student.name}, tagged)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == sorted([f"{run}.json", "class.json"])
        assert json.loads(archive.read("class.json"))["students"] == {"../../etc/passwd": [run]}
        other = runs.RunStore(tmp_path / "other.sqlite")
        imported = other.import_bundle(archive.read(f"{run}.json"))
    assert other.load(imported).histories["rnn"].val_metric == store.load(run).histories["rnn"].val_metric


def test_an_older_store_file_gains_the_class_tables_and_keeps_its_runs(tmp_path):
    path = tmp_path / "old.sqlite"
    store = runs.RunStore(path)
    run = store_run(store, {"rnn": 0.5})
    with sqlite3.connect(path) as connection:
        for table in ("class_runs", "class_students", "classes"):
            connection.execute(f"DROP TABLE {table}")
        connection.execute("PRAGMA user_version=2")
    reopened = runs.RunStore(path)
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    assert reopened.load(run).run_id == run and not reopened.load(run).imported
    info, key = ClassStore(reopened).create()
    assert ClassStore(reopened).for_teacher(info.code, key) == info


def test_the_view_reads_each_stored_run_once_by_its_save_time(classes, store):
    """The teacher's page keeps the runs it read, keyed by when each was saved: a run two students
    share is read once, and a retrained run (saved again) is asked for afresh."""
    info, _ = classes.create()
    run = store_run(store, {"rnn": 0.5})
    for name in ("Ada", "Grace"):
        classes.record_run(classes.join(info.code, name)[0], run, name)
    asked = []

    def load(run_id, updated):
        asked.append((run_id, updated))
        return store.load(run_id)

    def view():
        return results.class_view(store, classes.students(info.code), classes.class_runs(info.code),
                                  lambda job: None, load=load)

    assert len(view().latest) == 2
    first = store.summaries([run])[run].updated
    assert asked == [(run, first)]
    store_run(store, {"rnn": 0.5})  # trained again: the same id, a later save
    view()
    assert asked[1][0] == run and asked[1][1] > first
