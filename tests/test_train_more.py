"""Train more: a stored finished run continued from its weights, optimizer state and random streams.

The continued run must be, step for step, the run an uninterrupted training of the same total length
and seed makes (batches, dropout masks and scheduled sampling included), be a new run that names its
parent, leave the parent and its link alone, and train the same way through the CLI, the job
runner's backends and the lab's button.
"""

from __future__ import annotations

import pytest
import torch

from core.engine.continuation import continued, resume_trainers
from core.store.runs import RunStore, run_id
from core.tasks import experiment as config
from core.tasks.base import DataError
from core.training.resume import training_state
from core.training.trainer import prepare, run_interleaved

SHARED = {"batch_size": "16", "hidden_size": "8", "eval_every": "10", "probe_every": "10", "seed": "3", "lr": "0.01"}
# Every random stream a step reads: batches (all), dropout between stacked layers (memory, translation),
# scheduled sampling (translation's teacher forcing below 1), a bidirectional encoder, SGD and Adam.
CASES = {
    "memory": {"distance": "6", "cells": "rnn,lstm,bigru", "num_layers": "2", "dropout": "0.3"},
    "translation": {"train_size": "200", "largest": "199", "embedding_size": "8", "cells": "gru", "num_layers": "2",
                    "dropout": "0.2", "attention": "none,additive", "teacher_forcing": "0.5"},
    "sentiment": {"train_size": "500", "vocab_size": "100", "embedding_size": "8", "cells": "bow,gru",
                  "optimizer": "sgd"},
    "nextword": {"gap": "4", "embedding_size": "8", "cells": "lstm"},
}


def experiment_of(task: str, steps: int, **changes: str) -> config.Experiment:
    experiment, messages = config.from_params({**SHARED, **CASES[task], **changes, "task": task, "steps": str(steps)})
    assert not messages, messages
    return experiment


def train_and_store(experiment: config.Experiment, store: RunStore) -> str:
    """Train as the engine does (a continued run resumes from the store) and save with the optimizer state."""
    trainers = resume_trainers(prepare(experiment, threads=1), experiment, store)
    run_interleaved(trainers)
    return store.save(experiment, {t.cell: t.history for t in trainers}, {t.cell: t.model.state_dict() for t in trainers},
                      states={t.cell: training_state(t) for t in trainers})


def comparable(history) -> dict:
    data = history.to_dict()
    data.pop("wall_seconds")  # time is not a number the code computes
    return data


@pytest.mark.parametrize("task", CASES)
def test_a_continued_run_is_one_uninterrupted_run_step_for_step(task, store):
    parent_experiment = experiment_of(task, 20)
    parent_id = train_and_store(parent_experiment, store)
    child = continued(store.load(parent_id), 20)
    assert child.train.steps == 40 and child.train.parent == parent_id
    child_id = train_and_store(child, store)
    # A new run that names its parent: neither the parent's id nor that of a 40-step run trained from scratch.
    assert child_id not in (parent_id, run_id(experiment_of(task, 40)))
    assert store.load(child_id).params["parent"] == parent_id
    whole = prepare(experiment_of(task, 40), threads=1)
    run_interleaved(whole)
    stored = store.load(child_id)
    for trainer in whole:
        assert comparable(stored.histories[trainer.cell]) == comparable(trainer.history), trainer.cell
        weights = store.load_weights(child_id, trainer.cell)
        assert all(torch.equal(weights[name], value) for name, value in trainer.model.state_dict().items())
    # The parent is left as it was, and its own link still opens it.
    assert store.find(parent_experiment).run_id == parent_id
    assert all(len(history.steps) == 20 for history in store.load(parent_id).histories.values())
    assert store.find(child).run_id == child_id


def test_a_run_that_kept_its_best_weights_goes_on_from_its_last_and_keeps_the_best_of_the_whole(store):
    """keep=best: the parent stores its best weights for use; its continuation goes on from the last
    weights it trained, and keeps the best of all 30 steps, as one uninterrupted run does. (At this
    learning rate the LSTM's best is at step 15 and the RNN's at step 20, before the continuation.)"""
    changes = {"keep": "best", "eval_every": "5", "probe_every": "5", "lr": "0.3"}
    parent_id = train_and_store(experiment_of("memory", 20, **changes), store)
    parent = store.load(parent_id)
    assert any(history.best_step < 20 for history in parent.histories.values()), \
        "the case needs a parent whose best weights are not its last"
    child_id = train_and_store(continued(parent, 10), store)
    whole = prepare(experiment_of("memory", 30, **changes), threads=1)
    run_interleaved(whole)
    for trainer in whole:
        stored = store.load(child_id).histories[trainer.cell]
        assert comparable(stored) == comparable(trainer.history), trainer.cell
        assert stored.best_step == trainer.history.best_step
        weights = store.load_weights(child_id, trainer.cell)  # the kept (best) weights of the whole run
        assert all(torch.equal(weights[name], value) for name, value in trainer.model.state_dict().items())


def test_a_parent_stopped_off_the_schedule_adds_only_its_own_last_evaluation_and_probe(store):
    """A run evaluates and probes at its last step whatever the schedule: a 15-step parent (schedule 10)
    carries readings at step 15 that an uninterrupted 40-step run does not take. Every training step,
    and every other reading, is the same."""
    parent_id = train_and_store(experiment_of("memory", 15), store)
    child_id = train_and_store(continued(store.load(parent_id), 25), store)
    whole = prepare(experiment_of("memory", 40), threads=1)
    run_interleaved(whole)
    for trainer in whole:
        got, want = comparable(store.load(child_id).histories[trainer.cell]), comparable(trainer.history)
        assert got["eval_steps"] == [1, 10, 15, 20, 30, 40] and want["eval_steps"] == [1, 10, 20, 30, 40]
        assert got["probe_steps"] == [1, 10, 15, 20, 30, 40] and want["probe_steps"] == [1, 10, 20, 30, 40]
        extra = 2  # the index of step 15 among the readings
        for name in ("eval_steps", "val_loss", "val_metric", "probe_steps", "grad_through_time"):
            del got[name][extra]
        assert got == want


def test_a_continuation_is_refused_when_it_cannot_be_exact(store):
    parent_id = train_and_store(experiment_of("memory", 20), store)
    changed = experiment_of("memory", 40, lr="0.02", parent=parent_id)
    with pytest.raises(DataError, match="changes lr"):
        resume_trainers(prepare(changed, threads=1), changed, store)
    missing = experiment_of("memory", 40, parent="0123456789abcdef")
    with pytest.raises(DataError, match="not in this server's run store"):
        resume_trainers(prepare(missing, threads=1), missing, store)
    # A run saved without its optimizer state (trained before runs kept it) cannot be continued exactly.
    old = experiment_of("memory", 20, seed="4")
    trainers = prepare(old, threads=1)
    run_interleaved(trainers)
    old_id = store.save(old, {t.cell: t.history for t in trainers}, {t.cell: t.model.state_dict() for t in trainers})
    child = continued(store.load(old_id), 10)
    with pytest.raises(DataError, match="kept no optimizer state"):
        resume_trainers(prepare(child, threads=1), child, store)
    with pytest.raises(ValueError, match="maximum"):
        continued(store.load(parent_id), 5000)


def test_more_command_continues_a_stored_run(cli, tmp_path):
    database = tmp_path / "runs.sqlite"
    first = cli("train", "memory", "--steps", "20", "--set", "distance=6", "--set", "hidden_size=8",
                "--set", "eval_every=10", "--set", "probe_every=10", "--json", database=database)
    assert first.returncode == 0, first.stderr
    parent_id = RunStore(database).list()[0].run_id
    more = cli("more", parent_id, "--steps", "10", "--json", database=database)
    assert more.returncode == 0, more.stderr
    store = RunStore(database)
    [child] = [run for run in store.list() if run.run_id != parent_id]
    continued_run, parent = store.load(child.run_id), store.load(parent_id)
    assert continued_run.params["parent"] == parent_id and continued_run.params["steps"] == "30"
    for cell, history in continued_run.histories.items():
        assert history.steps == list(range(1, 31))
        assert history.train_loss[:20] == parent.histories[cell].train_loss  # its curves go on from the parent's
    for arguments, words in [((parent_id, "--steps", "9999"), "above the maximum"), (("0" * 16,), "no stored run"),
                             ((parent_id, "--steps", "ten"), "--steps expects")]:
        refused = cli("more", *arguments, database=database)
        assert refused.returncode == 2 and words in refused.stderr and "Traceback" not in refused.stderr


@pytest.fixture(params=["thread", "process", "dask"])
def backend(request) -> str:
    if request.param == "dask":
        request.getfixturevalue("dask_cluster")  # its workers cannot reach the store: the parent travels along
    return request.param


def test_the_job_runner_trains_a_continued_run_on_each_backend(make_runner, store, backend):
    parent_id = train_and_store(experiment_of("memory", 20), store)
    child = continued(store.load(parent_id), 20)
    job = make_runner(max_concurrent=1).submit(child)
    assert job.wait(60.0) and job.status == "finished", job.message
    whole = prepare(experiment_of("memory", 40), threads=1)
    run_interleaved(whole)
    stored = store.find(child)
    for trainer in whole:
        assert comparable(stored.histories[trainer.cell]) == comparable(trainer.history)
    # Saved with its own optimizer state, so the continued run can be continued again.
    assert store.load_training_state(stored.run_id, "lstm") is not None


def test_the_lab_trains_more_steps_as_a_new_run_and_the_parent_link_still_opens_the_parent():
    from test_pages import chart_frames, open_page

    from ui.services import job_runner, run_store

    params = {**SHARED, **CASES["memory"], "seed": "12", "steps": "20", "cells": ["RNN", "LSTM", "BiGRU"]}
    parent_experiment, _ = config.from_params({**params, "task": "memory"})
    parent_id = train_and_store(parent_experiment, run_store())

    app = open_page("memory_lab", params)
    app.number_input(key="more_steps").set_value(30).run()
    [button] = [button for button in app.button if button.key == "train_more"]
    assert button.label == "Train 30 more steps"
    button.click().run()
    assert not app.exception, app.exception
    for job in job_runner().jobs():
        assert job.wait(120)
    app.run()
    assert not app.exception, app.exception
    # The address bar holds the continued run: the parent's settings, 50 steps in all, and its parent.
    assert app.query_params["parent"] == parent_id and app.query_params["steps"] == "50"
    child = continued(run_store().load(parent_id), 30)
    child_id = run_id(child)
    assert any(child_id in message.value for message in app.success)
    assert any(f"continues run {parent_id}" in caption.value for caption in app.caption)
    assert all(history.steps == list(range(1, 51)) for history in run_store().load(child_id).histories.values())
    # The parent's own link still opens the parent, unchanged.
    again = open_page("memory_lab", params)
    assert any(f"Loaded finished run `{parent_id}`" in message.value for message in again.success)
    # Compare overlays the two: the continuation's curves go on past the parent's last step.
    compare_page = open_page("compare", {"runs": [parent_id, child_id]})
    [loss] = [frame for spec, frame in chart_frames(compare_page) if spec.get("title") == "Train loss"]
    last_steps = sorted(loss.groupby("run")["x"].max().tolist())
    assert last_steps == [20, 50]
