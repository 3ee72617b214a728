"""Tests of the run store: round trips, ids, listing, bundles, safe weights and two writers."""

from __future__ import annotations

import builtins
import io
import json
import multiprocessing
import sqlite3

import pytest
import torch
from torch import nn

from core.data.history import History
from core.settings import paths
from core.store import runs
from core.store.bundles import BundleError
from core.store.runs import RunStore
from core.tasks import experiment as config
from core.tasks import versions


def make_history(cell: str, status: str = "finished", offset: float = 0.0) -> History:
    history = History(cell=cell, status=status)
    for step in range(1, 6):
        history.steps.append(step)
        history.wall_seconds.append(0.01 * step)
        history.train_loss.append(1.0 / step + offset)
        history.grad_norm.append(0.5 * step)
    history.train_loss[2] = float("nan")  # a diverged step must not break JSON
    history.layer_grad_norms = {"layer0": [0.1, 0.2, 0.3, 0.4, 0.5]}
    history.eval_steps, history.val_loss, history.val_metric = [5], [0.7], [0.6 + offset]
    history.probe_steps = [5]
    history.grad_through_time = [{"layer0": [0.01, 0.1, 1.0]}]
    return history


def make_experiment(**changes) -> config.Experiment:
    return config.replace(config.Experiment(), **changes)


def histories_for(experiment: config.Experiment, status: str = "finished") -> dict[str, History]:
    return {cell: make_history(cell, status) for cell in experiment.model.cells}


def test_save_load_round_trip(store):
    experiment = make_experiment(hidden_size="32")
    histories = histories_for(experiment)
    identifier = store.save(experiment, histories, message="hello")
    stored = store.load(identifier)
    assert stored is not None
    assert stored.run_id == identifier == runs.run_id(experiment)
    assert {c: h.to_dict() for c, h in stored.histories.items()} == {
        c: h.to_dict() for c, h in histories.items()
    }
    assert stored.histories["rnn"].train_loss[2] is None
    assert stored.status == "finished" and stored.message == "hello"
    assert stored.params == config.to_params(experiment)
    assert stored.experiment() == experiment
    assert stored.code_version == versions.numbers_version(experiment.task)
    assert stored.versions["torch"] == torch.__version__
    assert store.find(experiment).run_id == identifier


def test_status_defaults_to_first_unfinished(store):
    experiment = make_experiment()
    histories = {"rnn": make_history("rnn"), "lstm": make_history("lstm", status="stopped")}
    identifier = store.save(experiment, histories)
    assert store.load(identifier).status == "stopped"
    assert store.find(experiment, finished_only=True) is None
    assert store.find(experiment) is not None


def test_weights_round_trip_and_replace(store):
    experiment = make_experiment()
    torch.manual_seed(0)
    weights = {"rnn": nn.Linear(3, 2).state_dict(), "lstm": nn.LSTM(3, 4).state_dict()}
    identifier = store.save(experiment, histories_for(experiment), weights=weights)
    for cell, state in weights.items():
        loaded = store.load_weights(identifier, cell)
        assert loaded.keys() == state.keys()
        assert all(torch.equal(loaded[name], state[name]) for name in state)
    assert store.load_weights(identifier, "gru") is None
    store.save(experiment, histories_for(experiment))  # saving again replaces weights too
    assert store.load_weights(identifier, "rnn") is None


def test_run_id_stable_and_sensitive():
    assert runs.run_id(make_experiment()) == runs.run_id(make_experiment())
    assert len(runs.run_id(make_experiment())) == 16
    assert runs.run_id(make_experiment(seed="1")) != runs.run_id(make_experiment())
    assert runs.run_id(make_experiment(lr="0.01")) != runs.run_id(make_experiment())


def test_list_newest_first_and_delete(store):
    ids = [store.save(make_experiment(seed=str(seed)), histories_for(make_experiment()))
           for seed in range(3)]
    listed = store.list()
    assert [summary.run_id for summary in listed] == ids[::-1]
    assert listed[0].cells == ["rnn", "lstm"]
    assert listed[0].final_metrics == {"rnn": 0.6, "lstm": 0.6}
    assert [s.run_id for s in store.list(limit=2)] == ids[:0:-1]
    assert store.list(task="nothing") == []
    store.save(make_experiment(seed="0"), histories_for(make_experiment()))  # re-save: newest
    assert store.list()[0].run_id == ids[0]
    assert store.delete(ids[1]) is True
    assert store.delete(ids[1]) is False
    assert store.load(ids[1]) is None
    assert {s.run_id for s in store.list()} == {ids[0], ids[2]}


def test_load_missing_returns_none(store):
    assert store.load("0" * 16) is None
    assert store.find(make_experiment(seed="77")) is None
    with pytest.raises(KeyError):
        store.export_bundle("0" * 16)


def test_export_import_round_trip(store, tmp_path):
    experiment = make_experiment(cells=["gru", "bilstm"], distance="20")
    histories = histories_for(experiment)
    identifier = store.save(experiment, histories, message="shared")
    bundle = store.export_bundle(identifier)
    text = json.dumps(bundle, allow_nan=False)
    other = RunStore(tmp_path / "other.sqlite")
    imported = other.import_bundle(text)
    # Its own id: never the one a run of these settings trained here gets, so no link serves it as one.
    assert imported != identifier and other.import_bundle(text) == imported  # the same bundle: one copy
    stored = other.load(imported)
    assert {c: h.to_dict() for c, h in stored.histories.items()} == bundle["histories"]
    assert stored.params == bundle["params"] and stored.message == "shared" and stored.imported
    assert other.find(experiment) is None
    assert other.export_bundle(imported)["run_id"] == identifier  # re-exported, it names its settings
    before = store.load(identifier)
    assert store.import_bundle(bundle) != identifier  # here, beside the run trained here
    assert store.load(identifier) == before and store.find(experiment) == before


def test_import_from_other_code_version(store, tmp_path):
    experiment = make_experiment()
    bundle = store.export_bundle(store.save(experiment, histories_for(experiment)))
    bundle["code_version"] = "abcdef012345"
    bundle["run_id"] = runs._id_from(bundle["params"], "abcdef012345")
    identifier = store.import_bundle(bundle)
    assert identifier not in (bundle["run_id"], runs.run_id(experiment))
    assert store.load(identifier).code_version == "abcdef012345"


def good_bundle(store) -> dict:
    experiment = make_experiment()
    return store.export_bundle(store.save(experiment, histories_for(experiment)))


@pytest.mark.parametrize("spoil", [
    lambda b: "{not json",
    lambda b: "[1, 2]",
    lambda b: {**b, "format": "something-else"},
    lambda b: {**b, "version": 2},
    lambda b: {**b, "params": {**b["params"], "hidden_size": "99999"}},
    lambda b: {**b, "params": {**b["params"], "unknown": "1"}},
    lambda b: {**b, "params": {**b["params"], "hidden_size": "32"}},  # valid but not what ran
    lambda b: {**b, "histories": {"rnn": {**b["histories"]["rnn"], "train_loss": ["x"]}}},
    lambda b: {**b, "histories": {"rnn": {**b["histories"]["rnn"], "layer_grad_norms": []}}},
    lambda b: {**b, "histories": {"gru": {**b["histories"]["rnn"], "cell": "gru"}}},
    lambda b: {**b, "histories": {}},
    lambda b: {**b, "status": "hacked"},
    lambda b: {**b, "code_version": "../../etc"},
])
def test_import_rejects(store, spoil):
    bundle = spoil(good_bundle(store))
    count = len(store.list())
    with pytest.raises(BundleError) as caught:
        store.import_bundle(bundle)
    assert str(caught.value)
    assert len(store.list()) == count


class Trap:
    """Unpickling this would create a file: proof that code ran during a load."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (builtins.open, (self.path, "w"))


def test_weights_load_refuses_arbitrary_objects(store, tmp_path):
    identifier = store.save(make_experiment(), histories_for(make_experiment()))
    marker = tmp_path / "code-ran"
    buffer = io.BytesIO()
    torch.save({"weight": Trap(str(marker))}, buffer)
    with sqlite3.connect(store.path) as connection:
        connection.execute("INSERT INTO weights VALUES (?, ?, ?)",
                           (identifier, "rnn", buffer.getvalue()))
        connection.execute("INSERT INTO weights VALUES (?, ?, ?)", (identifier, "lstm", b"junk"))
    for cell in ("rnn", "lstm"):
        with pytest.raises(ValueError, match="not loaded"):
            store.load_weights(identifier, cell)
    assert not marker.exists()


def test_default_path_from_env(tmp_path, monkeypatch):
    target = tmp_path / "nested" / "dir" / "mine.sqlite"
    monkeypatch.setenv("RNN_PLAYGROUND_DB", str(target))
    assert paths.default_path() == target
    store = RunStore()
    assert store.path == target
    store.save(make_experiment(), histories_for(make_experiment()))
    assert target.exists()


def test_default_path_in_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("RNN_PLAYGROUND_DB", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert paths.default_path() == tmp_path / "rnn-playground" / "runs.sqlite"


def write_runs(path: str, first_seed: int, count: int) -> None:
    store = RunStore(path)
    for seed in range(first_seed, first_seed + count):
        experiment = make_experiment(seed=str(seed))
        weights = {"rnn": {"weight": torch.full((2, 2), float(seed))}}
        store.save(experiment, histories_for(experiment), weights=weights)


def test_two_processes_write_at_once(tmp_path):
    path = str(tmp_path / "shared.sqlite")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=write_runs, args=(path, start, 20)) for start in (0, 100)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    store = RunStore(path)
    assert len(store.list()) == 40
    for seed in [*range(20), *range(100, 120)]:
        stored = store.find(make_experiment(seed=str(seed)), finished_only=True)
        assert stored is not None and set(stored.histories) == {"rnn", "lstm"}
        assert torch.equal(store.load_weights(stored.run_id, "rnn")["weight"],
                           torch.full((2, 2), float(seed)))


def test_summaries_returns_only_stored_runs_by_id(store):
    saved = [make_experiment(distance=distance) for distance in (10, 20)]
    stored_ids = [store.save(experiment, histories_for(experiment)) for experiment in saved]
    missing = runs.run_id(make_experiment(distance=30))
    found = store.summaries([*stored_ids, missing])
    assert set(found) == set(stored_ids)
    assert found[stored_ids[0]].final_metrics == {"rnn": 0.6, "lstm": 0.6}


def test_params_of_reads_the_settings_of_stored_runs_only(store):
    experiment = make_experiment(hidden_size="32")
    identifier = store.save(experiment, histories_for(experiment))
    assert store.params_of([identifier, "0" * 16]) == {identifier: config.to_params(experiment)}
