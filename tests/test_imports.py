"""Imports that cannot forge or erase runs, and stored runs that cannot break a page (issue 22).

An imported bundle gets an id of its own, so the link to its settings never shows it as a run
trained here, and it never replaces a stored run or its weights; a server can switch imports off
or cap them. The hostile corpus (tests/hostile_bundles.py) goes in through the CLI and through the
Compare page's upload: whatever it holds, every page and command still works afterwards, every
run stored before is byte for byte the same, and what was imported is marked imported. A row
damaged in the SQLite file itself is skipped with a notice. Curves as CSV never starts a cell with
what a spreadsheet runs as a formula.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_bundles import FORMULA_NAMES, clean_bundle, clean_history, corpus
from test_hostile_inputs import one_line
from test_pages import chart_frames, open_page

from core.cli import EXIT_USAGE
from core.report import compare
from core.store import runs
from core.store.sqlite_file import SCHEMA_VERSION
from core.tasks import experiment as config
from core.tasks.registry import tasks
from ui.services import run_store

MEMORY = {"task": "memory", "distance": "6", "steps": "10", "hidden_size": "8", "eval_every": "5",
          "probe_every": "5"}


@pytest.fixture(autouse=True)
def own_store(tmp_path, monkeypatch) -> Iterator[Path]:
    """A store of this test's own: what it imports or damages never reaches another test's pages."""
    path = tmp_path / "store" / "runs.sqlite"
    path.parent.mkdir()
    monkeypatch.setenv("RNN_PLAYGROUND_DB", str(path))
    run_store.clear()  # the pages' store is one per process: made again on this path, and after on the usual one
    yield path
    run_store.clear()


def settings(seed: int, task_params: dict | None = None) -> dict:
    return {**(task_params or MEMORY), "seed": str(seed)}


def link(params: dict) -> dict:
    """A lab page's query parameters for these settings, as its share link spells them."""
    experiment, messages = config.from_params(params)
    assert not messages, messages
    return {key: value for key, value in config.to_params(experiment).items() if key != "task"}


def snapshot(path: Path) -> dict[str, set]:
    """Every stored row, byte for byte: the runs and the weights."""
    with sqlite3.connect(path) as connection:
        return {"runs": set(connection.execute("SELECT * FROM runs")),
                "weights": set(connection.execute("SELECT * FROM weights"))}


def save_trained(params: dict, stop_after: int | None = None) -> str:
    """A run trained here (a tiny one, really trained): histories and weights; stopped early if asked."""
    from core.training.trainer import prepare, run_interleaved

    experiment = config.from_params(params)[0]
    trainers = prepare(experiment, threads=1)
    run_interleaved(trainers)
    histories = {trainer.cell: trainer.history for trainer in trainers}
    status = "finished"
    if stop_after is not None:
        status = "stopped"
        for history in histories.values():
            history.status, history.message = status, "Stopped by the test."
    weights = {trainer.cell: trainer.model.state_dict() for trainer in trainers}
    return run_store().save(experiment, histories, weights, status=status)


def shown_text(app) -> str:
    return " ".join(box.value for kind in (app.success, app.info, app.warning, app.error) for box in kind)


def import_file(cli, tmp_path: Path, text: str, database: Path | None = None):
    path = tmp_path / "bundle.json"
    path.write_text(text)
    return cli("import", str(path), database=database or run_store().path)


def test_a_forged_finished_bundle_does_not_pose_as_the_run_of_its_link(cli, tmp_path):
    params = settings(4242)
    bundle = clean_bundle(params, tmp_path / "forger.sqlite")
    for history in bundle["histories"].values():
        history["val_metric"] = [1.0, 1.0]
    result = import_file(cli, tmp_path, json.dumps(bundle))
    assert result.returncode == 0, result.stderr
    identifier = result.stdout.strip()
    assert identifier != runs.run_id(config.from_params(params)[0])
    assert run_store().load(identifier).imported
    app = open_page("memory_lab", link(params))
    shown = shown_text(app)
    assert "Loaded finished run" not in shown and "Not trained yet" in shown, shown


def test_an_import_never_replaces_a_stored_run_or_its_weights(cli, tmp_path):
    params = settings(4243)
    trained = save_trained(params, stop_after=10)
    before = snapshot(run_store().path)
    result = import_file(cli, tmp_path, json.dumps(clean_bundle(params, tmp_path / "other.sqlite")))
    assert result.returncode == 0, result.stderr
    after = snapshot(run_store().path)
    assert before["runs"] <= after["runs"] and before["weights"] == after["weights"]
    assert run_store().load(trained).status == "stopped" and run_store().has_weights(trained)
    assert len(after["runs"] - before["runs"]) == 1  # the import, beside it


def test_a_server_can_switch_imports_off_or_cap_them(cli, tmp_path, monkeypatch):
    database = tmp_path / "quota.sqlite"
    first = json.dumps(clean_bundle(settings(4250), tmp_path / "a.sqlite"))
    second = json.dumps(clean_bundle(settings(4251), tmp_path / "b.sqlite"))
    monkeypatch.setenv("RNN_PLAYGROUND_IMPORTS", "off")
    refused = import_file(cli, tmp_path, first, database)
    assert refused.returncode == EXIT_USAGE and "RNN_PLAYGROUND_IMPORTS=off" in one_line(refused.stderr)
    monkeypatch.setenv("RNN_PLAYGROUND_DB", str(database))
    app = open_page("compare")
    assert not app.get("file_uploader") and "does not import run bundles" in " ".join(c.value for c in app.caption)
    monkeypatch.setenv("RNN_PLAYGROUND_IMPORTS", "on")
    monkeypatch.setenv("RNN_PLAYGROUND_MAX_IMPORTS", "1")
    kept = import_file(cli, tmp_path, first, database)
    assert kept.returncode == 0 and import_file(cli, tmp_path, first, database).stdout == kept.stdout
    over = import_file(cli, tmp_path, second, database)
    assert over.returncode == EXIT_USAGE and "RNN_PLAYGROUND_MAX_IMPORTS" in one_line(over.stderr)
    assert len(runs.RunStore(database).list()) == 1


def check_everything_still_works(cli, imported: list[str], trained: str, params: dict) -> None:
    """`runs`, `export`, Compare and the lab link after the corpus, and the imports marked."""
    store = run_store()
    listing = cli("runs", database=store.path)
    assert listing.returncode == 0 and "Traceback" not in listing.stderr
    lines = listing.stdout.splitlines()
    for identifier in imported:
        assert "imported" in next(line for line in lines if line.startswith(identifier))
        exported = cli("export", identifier, database=store.path)
        assert exported.returncode == 0, exported.stderr
    assert "imported" not in next(line for line in lines if line.startswith(trained))
    app = open_page("compare", {"runs": [*imported, trained]})
    names = set(app.multiselect(key="runs").format_func(identifier) for identifier in imported)
    assert all(name.startswith("imported: ") for name in names)
    drawn = {run for _, frame in chart_frames(app) if frame is not None and "run" in frame for run in frame["run"]}
    assert len([run for run in drawn if run.endswith("(imported)")]) == len(imported), drawn
    lab = open_page("memory_lab", link(params))
    assert f"Loaded finished run `{trained}`" in shown_text(lab)


def test_the_hostile_corpus_through_the_cli_breaks_nothing_and_changes_no_run(cli, tmp_path):
    params = settings(4244)
    trained = save_trained(params)
    before = snapshot(run_store().path)
    imported = []
    for name, text, refused in corpus(clean_bundle(params, tmp_path / "source.sqlite")):
        result = import_file(cli, tmp_path, text)
        if refused:
            assert result.returncode == EXIT_USAGE, name
            one_line(result.stderr)
        else:
            assert result.returncode == 0, (name, result.stderr)
            imported.append(result.stdout.strip())
    after = snapshot(run_store().path)
    assert before["runs"] <= after["runs"] and before["weights"] == after["weights"]
    assert len(after["runs"] - before["runs"]) == len(imported) == 2
    check_everything_still_works(cli, imported, trained, params)


def test_the_hostile_corpus_through_the_compare_page_breaks_nothing_and_changes_no_run(cli, tmp_path):
    params = settings(4246)
    trained = save_trained(params)
    before = snapshot(run_store().path)
    app = open_page("compare", {"runs": [trained]})
    for name, text, refused in corpus(clean_bundle(params, tmp_path / "source.sqlite")):
        app.file_uploader(key="bundle_file").set_value((f"{len(name)}.json", text.encode(), "application/json")).run()
        assert not app.exception, (name, app.exception)
        assert bool(app.error) == refused, (name, [error.value for error in app.error])
    after = snapshot(run_store().path)
    assert before["runs"] <= after["runs"] and before["weights"] == after["weights"]
    imported = [identifier for identifier in app.session_state["runs"] if identifier != trained]
    assert len(imported) == 2 and all(run_store().load(identifier).imported for identifier in imported)
    check_everything_still_works(cli, imported, trained, params)


@pytest.mark.parametrize("record", tasks(), ids=lambda record: record.name)
def test_each_lesson_page_opens_the_link_of_an_imported_run(cli, tmp_path, record):
    params = {"task": record.name, "seed": "4247", "steps": "10", "eval_every": "5", "probe_every": "5"}
    bundle = clean_bundle(params, tmp_path / "source.sqlite")
    for history in bundle["histories"].values():
        history["scores"] = {FORMULA_NAMES[0]: [0.1, 0.2]}
    result = import_file(cli, tmp_path, json.dumps(bundle))
    assert result.returncode == 0, result.stderr
    page = Path(record.page.path).stem
    app = open_page(page, link(params))
    assert "Loaded finished run" not in shown_text(app)


def test_curves_as_csv_never_starts_a_cell_with_a_formula(tmp_path):
    bundle = clean_bundle(settings(4248), tmp_path / "source.sqlite")
    store = runs.RunStore(tmp_path / "target.sqlite")
    [(name, text, _)] = [entry for entry in corpus(bundle) if entry[0] == "formula names"]
    stored = store.load(store.import_bundle(text))
    rows = compare.comparison_rows({"=run": stored.histories})
    table = list(csv.reader(io.StringIO(compare.to_csv(rows, {"=run": stored.run_id}))))
    cells = [cell for row in table for cell in row]
    assert not [cell for cell in cells if cell.startswith(compare.FORMULA_STARTS)]
    for formula in [*FORMULA_NAMES[:2], "=run"]:
        assert "'" + formula in cells  # kept, readable, and inert


def write_damaged(identifier: str, params: dict, histories: str, summary: str, updated: float) -> None:
    with sqlite3.connect(run_store().path) as connection:
        connection.execute("INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                           (identifier, params["task"], json.dumps(params), "finished", histories, summary,
                            "{}", "abc", 1.0, updated, ""))


def test_a_run_damaged_in_the_file_is_skipped_with_a_notice(cli, tmp_path):
    params = config.to_params(config.from_params(settings(4249))[0])
    identifier = runs.run_id(config.from_params(params)[0])
    history = clean_history("rnn").to_dict()
    huge = json.dumps({"rnn": history}).replace('"val_metric": [0.4, 0.6]', '"val_metric": [0.4, 1' + "0" * 400 + "]")
    write_damaged(identifier, params, huge, json.dumps({"cells": ["rnn"], "final_metrics": {"rnn": 10 ** 400}}),
                  1e9)
    probe = json.dumps({"rnn": {**history, "grad_through_time": [{"layer0": [1.0]}, {}]}})
    write_damaged("feedfacefeedface", params, probe, json.dumps({"cells": ["rnn"], "final_metrics": {"rnn": 0.6}}),
                  1e9)
    # A time no date can show: the list of runs would fail on it.
    write_damaged("0ddba11c0ddba11c", params, probe.replace("{}", '{"layer0": [1.0]}'),
                  json.dumps({"cells": ["rnn"], "final_metrics": {"rnn": 0.6}}), 1e12)
    listing = cli("runs", database=run_store().path)
    assert listing.returncode == 0 and "Traceback" not in listing.stderr
    assert identifier in listing.stderr and "damaged" in listing.stderr and identifier not in listing.stdout
    assert "0ddba11c0ddba11c" in listing.stderr
    exported = cli("export", "feedfacefeedface", database=run_store().path)
    assert exported.returncode == EXIT_USAGE and "damaged" in one_line(exported.stderr)
    app = open_page("compare", {"runs": ["feedfacefeedface", identifier]})
    assert "damaged" in shown_text(app)
    lab = open_page("memory_lab", link(params))
    assert "Not trained yet" in shown_text(lab)


@pytest.mark.timeout(60)
def test_the_cli_reads_regular_files_only_and_refuses_them_past_the_limit(cli, tmp_path):
    fifo = tmp_path / "pipe"
    import os

    os.mkfifo(fifo)
    store = tmp_path / "runs.sqlite"
    for arguments, database in ((["runs"], fifo), (["runs"], Path("/dev/null")), (["import", str(fifo)], store),
                                (["train", "sentiment", "--train-file", f"csv:{fifo}"], store)):
        result = cli(*arguments, database=database)
        assert result.returncode in (2, 3) and "not a regular file" in one_line(result.stderr), arguments
    big = tmp_path / "big.csv"
    with open(big, "wb") as handle:
        handle.truncate(35 * 1024 * 1024)
    result = cli("train", "sentiment", "--train-file", f"csv:{big}", database=store)
    assert result.returncode == EXIT_USAGE and "35.0 MB" in one_line(result.stderr) and "20 MB" in result.stderr
    long_name = tmp_path / ("a" * 300 + ".sqlite")
    result = cli("runs", database=long_name)
    assert result.returncode == 3 and "too long" in one_line(result.stderr)


def test_an_older_store_opens_and_its_runs_without_weights_count_as_imported(tmp_path):
    """Schema 1 had no record of imports; a run there without weights can only have come from a bundle
    (training always saves weights), so after the upgrade no link serves it as trained here."""
    import shutil

    from test_runs_before_layout import FIXTURE, RUN_ID

    path = tmp_path / "old.sqlite"
    shutil.copy(FIXTURE, path)
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] < 2
        connection.execute("INSERT INTO runs SELECT 'aaaaaaaaaaaaaaaa', task, params, status, histories, summary,"
                           " versions, code_version, created, updated, message FROM runs WHERE run_id = ?", (RUN_ID,))
    store = runs.RunStore(path)
    assert not store.load(RUN_ID).imported and store.load("aaaaaaaaaaaaaaaa").imported
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def _lab_status_of(run_id: str) -> None:
    from ui import lab_status
    from ui.services import run_store

    stored = run_store().load(run_id)
    lab_status.state_message(stored.experiment(), stored, None, None, None)


def test_the_lab_status_line_names_an_imported_run(cli, tmp_path):
    from streamlit.testing.v1 import AppTest

    result = import_file(cli, tmp_path, json.dumps(clean_bundle(settings(4260), tmp_path / "source.sqlite")))
    identifier = result.stdout.strip()
    app = AppTest.from_function(_lab_status_of, args=(identifier,), default_timeout=30).run()
    assert not app.exception, app.exception
    shown = shown_text(app)
    assert f"Imported run `{identifier}`" in shown and "not from training here" in shown
    assert "Loaded finished run" not in shown
