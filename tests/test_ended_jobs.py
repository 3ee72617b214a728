"""An ended job on the thread backend keeps its histories, not its models and data.

The job runner keeps the last 50 ended jobs for the pages that poll them. On the thread backend a
job used to keep its trainers too (each model, its optimizer and the task's whole data set: about
15 MB for a memory-lab run at its defaults), so a class training one run after another grew the
server by that much per run (bench/class_load.py: 515 MB to 699 MB over 12 students).
"""

from __future__ import annotations

import gc

import pytest
from job_support import tiny

from core.engine import common
from core.engine.jobs import JobRunner
from core.tasks.base import TaskData
from core.training.trainer import Trainer

pytestmark = pytest.mark.timeout(60)


def alive_for(experiment) -> tuple[list[Trainer], list[TaskData]]:
    """The trainers of `experiment` still alive, and the data they trained on."""
    gc.collect()
    trainers = [item for item in gc.get_objects() if type(item) is Trainer and item.experiment is experiment]
    return trainers, [trainer.data for trainer in trainers]


@pytest.mark.parametrize("ending", ["finished", "stopped"])
def test_an_ended_thread_job_lets_go_of_its_models_and_data_and_still_reports_its_curves(store, ending):
    runner = JobRunner(store=store, backend="thread", max_concurrent=1)
    try:
        experiment = tiny(seed=4242, steps=30 if ending == "finished" else 5000)
        job = runner.submit(experiment)
        if ending == "stopped":
            while not job.progress().steps_done:
                assert not job.wait(0.01)
            job.stop()
        assert job.wait(30)
        assert job.status == ending
        trainers, data = alive_for(experiment)
        assert not trainers and not data, "an ended job still holds its trainers and their data"
        # What the pages read of an ended job is unchanged: its final curves and counts.
        snapshot, progress = job.snapshot(), job.progress()
        assert set(snapshot.histories) == {"rnn", "lstm"}
        assert all(history.status == ending for history in snapshot.histories.values())
        assert progress.steps_done == snapshot.steps_done == sum(len(h.steps) for h in snapshot.histories.values())
        assert not progress.preparing
        if ending == "finished":
            assert snapshot.steps_done == snapshot.steps_total == 60
        stored = store.find(experiment)
        assert stored is not None and stored.status == ending
    finally:
        runner.shutdown()


def test_the_thread_backend_hands_freed_memory_back_after_each_job_once_its_trainers_are_gone(store, monkeypatch):
    """glibc keeps what a job freed in its arenas (a class's server grew about 5 MB a run with nothing
    alive); after each job the runner asks it to return the free pages, when nothing of the job is left."""
    experiment = tiny(seed=4343, steps=10)
    alive_at_trim = []
    monkeypatch.setattr(common, "_malloc_trim", lambda: lambda pad: alive_at_trim.append(alive_for(experiment)))
    runner = JobRunner(store=store, backend="thread", max_concurrent=1)
    try:
        job = runner.submit(experiment)
        assert job.wait(30)
    finally:
        runner.shutdown()  # joins the worker thread, which trims after the job's end
    assert len(alive_at_trim) == 1, "the runner did not hand the freed memory back after the job"
    trainers, data = alive_at_trim[0]
    assert not trainers and not data, "the memory was trimmed while the job still held its trainers"
