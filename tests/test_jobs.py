"""Tests of the job runner: results, queueing, stopping, budgets, failures and thread safety.

Each test that uses `make_runner` runs on every backend: threads, worker processes, and a real
Dask LocalCluster (one per test session, see conftest.py): a fault a test puts into training is a
monkeypatch for threads and a `worker_setup` hook (tests/faults.py) for processes and Dask
workers, which a monkeypatch in this process cannot reach. Every experiment is tiny (distance 8, hidden size 8) so the whole file stays fast on a busy
machine; waits are on the job's own event or on a condition with a hard deadline, never a guess.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid

import faults
import pytest
from job_support import poll_until, tiny

from core.engine import jobs as jobs_module
from core.engine.common import SESSION_CLOSED
from core.engine.jobs import BACKENDS, JobRunner
from core.engine.workers import CONTEXT
from core.training import trainer as train
from core.training.trainer import Trainer

pytestmark = pytest.mark.timeout(60)

DEADLINE = 20.0


def comparable(history) -> dict:
    data = history.to_dict()
    data.pop("wall_seconds")
    return data


def wait_until(condition, deadline: float = DEADLINE) -> None:
    poll_until(condition, deadline)


def training(job) -> bool:
    return job.snapshot().steps_done > 0


def event(backend: str):
    """An event the test and the training share: across processes for the process and Dask backends."""
    if backend == "dask":
        from distributed import Event

        return Event(f"test-{uuid.uuid4().hex}")
    return CONTEXT.Event() if backend == "process" else threading.Event()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    if request.param == "dask":
        request.getfixturevalue("dask_cluster")
    return request.param


def test_job_matches_direct_training_and_is_saved_with_weights(make_runner, store):
    experiment = tiny()
    runner = make_runner(max_concurrent=2)
    first, second = runner.submit(experiment), runner.submit(experiment)
    assert first.wait(DEADLINE) and second.wait(DEADLINE)
    direct = {t.cell: comparable(t.history) for t in train.train_all(experiment)}
    for job in (first, second):
        snapshot = job.snapshot()
        assert job.status == snapshot.status == "finished" and job.message == ""
        assert list(snapshot.histories) == list(experiment.model.cells)
        assert {c: comparable(h) for c, h in snapshot.histories.items()} == direct
        assert snapshot.steps_done == snapshot.steps_total == 40
        assert snapshot.position is None and snapshot.elapsed > 0
    stored = store.load(first.run_id)
    assert stored is not None and stored.status == "finished"
    assert {c: comparable(h) for c, h in stored.histories.items()} == direct
    trainers = train.prepare(experiment)
    for trainer in trainers:
        weights = store.load_weights(first.run_id, trainer.cell)
        assert weights is not None and set(weights) == set(trainer.model.state_dict())
    assert {job.id for job in runner.jobs()} == {first.id, second.id}
    assert runner.job(first.id) is first and runner.job("nope") is None


def test_queue_waits_for_the_running_job_and_a_queued_job_stops_at_once(make_runner):
    runner = make_runner(max_concurrent=1)
    first = runner.submit(tiny(steps=5000))
    second, third = runner.submit(tiny()), runner.submit(tiny(seed=1))
    wait_until(lambda: training(first))
    assert first.status == "running" and first.queue_position() is None
    assert second.status == "queued" and second.queue_position() == 1
    assert third.queue_position() == 2 and third.snapshot().position == 2
    started = time.monotonic()
    second.stop()
    assert second.done and second.status == "stopped" and second.message == "Stopped by you."
    assert time.monotonic() - started < 0.5
    assert third.queue_position() == 1 and third.status == "queued"
    first.stop()
    assert third.wait(DEADLINE) and third.status == "finished"
    assert first.status == "stopped"
    snapshot = second.snapshot()
    assert snapshot.histories == {} and snapshot.steps_done == 0 and snapshot.elapsed == 0


def test_stop_running_job_within_a_second_keeps_and_saves_its_curves(make_runner, store):
    job = make_runner().submit(tiny(steps=5000))
    wait_until(lambda: job.snapshot().steps_done >= 6)
    started = time.monotonic()
    job.stop()
    assert job.wait(timeout=5.0)
    assert time.monotonic() - started < 1.0
    assert job.status == "stopped" and job.message == "Stopped by you."
    snapshot = job.snapshot()
    assert 6 <= snapshot.steps_done < snapshot.steps_total
    assert all(h.status == "stopped" for h in snapshot.histories.values())
    stored = store.load(job.run_id)
    assert stored.status == "stopped" and stored.message == "Stopped by you."
    assert sum(len(h.steps) for h in stored.histories.values()) == snapshot.steps_done


def test_stop_right_after_submit(make_runner):
    runner = make_runner()
    for _ in range(3):
        job = runner.submit(tiny(steps=5000))
        job.stop("Changed my mind.")
        assert job.wait(5.0) and job.status == "stopped" and job.message == "Changed my mind."


def test_stop_while_data_is_being_built(make_runner, backend, monkeypatch):
    building, release = event(backend), event(backend)
    options = {}
    if backend != "thread":  # training runs in another process
        options["worker_setup"] = (faults.slow_prepare, (building, release, DEADLINE))
    else:
        real_prepare = jobs_module.prepare

        def slow_prepare(*args, **kwargs):
            building.set()
            release.wait(DEADLINE)
            return real_prepare(*args, **kwargs)

        monkeypatch.setattr(jobs_module, "prepare", slow_prepare)
    runner = make_runner(max_concurrent=1, **options)
    job = runner.submit(tiny(steps=5000))
    assert building.wait(DEADLINE) and job.status == "running"
    job.stop()
    assert job.wait(1.0) and job.status == "stopped"
    release.set()
    after = runner.submit(tiny())
    assert after.wait(DEADLINE) and after.status == "finished"
    assert job.snapshot().steps_done == 0 and job.status == "stopped"


def test_stop_during_the_first_step(make_runner, backend, monkeypatch):
    in_step, release = event(backend), event(backend)
    options = {}
    if backend != "thread":  # training runs in another process
        options["worker_setup"] = (faults.blocking_step, (in_step, release, DEADLINE))
    else:
        real_step = Trainer.step

        def blocking_step(trainer):
            in_step.set()
            release.wait(DEADLINE)
            real_step(trainer)

        monkeypatch.setattr(Trainer, "step", blocking_step)
    job = make_runner(**options).submit(tiny(steps=5000))
    assert in_step.wait(DEADLINE)
    started = time.monotonic()
    job.stop()  # must not wait for the step in progress
    assert time.monotonic() - started < 0.5
    release.set()
    assert job.wait(5.0) and job.status == "stopped"
    assert 1 <= job.snapshot().steps_done <= 2


def test_snapshot_does_not_wait_for_a_step_in_progress(make_runner, backend, monkeypatch):
    in_step, release = event(backend), event(backend)
    options = {}
    if backend != "thread":  # training runs in another process
        options["worker_setup"] = (faults.blocking_step, (in_step, release, DEADLINE))
    else:
        real_step = Trainer.step

        def blocking_step(trainer):
            in_step.set()
            release.wait(DEADLINE)
            real_step(trainer)

        monkeypatch.setattr(Trainer, "step", blocking_step)
    job = make_runner(**options).submit(tiny(steps=5000))
    assert in_step.wait(DEADLINE)
    answered, snapshots = threading.Event(), []

    def read() -> None:
        snapshots.append(job.snapshot())
        answered.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        # The step is held until release: a snapshot that waited on it would not answer at all.
        assert answered.wait(5.0), "snapshot() waited for the training step"
    finally:
        release.set()
    snapshot = snapshots[0]
    assert snapshot.status == "running" and snapshot.steps_done == 0
    job.stop()
    assert job.wait(DEADLINE)


def test_step_budget_caps_steps_and_is_reported(make_runner, store):
    job = make_runner(max_steps=7).submit(tiny(steps=200))
    assert job.wait(DEADLINE)
    snapshot = job.snapshot()
    assert snapshot.steps_total == 14 and snapshot.steps_done == 14
    assert all(h.steps[-1] == 7 and h.eval_steps[-1] == 7 for h in snapshot.histories.values())
    # Cut short by the server, so not the experiment's finished run.
    assert job.status == "stopped" and job.message == "Stopped at this server's step budget of 7 steps."
    assert store.load(job.run_id).status == "stopped"


def test_time_budget_stops_with_its_message(make_runner):
    job = make_runner(max_seconds=0.3).submit(tiny(steps=5000))
    assert job.wait(DEADLINE)
    assert job.status == "stopped"
    assert job.message == "Stopped at this server's time budget of 0.3 s."
    assert 0 < job.snapshot().steps_done < job.snapshot().steps_total


def test_closed_session_stops_the_job_and_is_asked_at_most_once_a_second(make_runner):
    calls: list[float] = []

    def is_alive() -> bool:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise ConnectionError("the web server is busy")  # counts as alive
        return False

    job = make_runner().submit(tiny(steps=5000), is_alive=is_alive)
    assert job.wait(DEADLINE)
    assert job.status == "stopped" and job.message == SESSION_CLOSED
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.99
    assert job.snapshot().steps_done > 0


@pytest.mark.parametrize("backend", ["thread", "process"])
def test_queued_jobs_of_a_closed_session_are_dropped_without_training(make_runner):
    runner = make_runner(max_concurrent=1)
    first = runner.submit(tiny(steps=5000))
    wait_until(lambda: training(first))
    tab = {"open": True}
    closing = [runner.submit(tiny(seed=seed), is_alive=lambda: tab["open"]) for seed in (1, 2, 3)]
    staying = runner.submit(tiny(seed=4), is_alive=lambda: True)
    tab["open"] = False  # the tab that queued three jobs is closed while they wait
    for job in closing:
        assert job.wait(DEADLINE)
        assert job.status == "stopped" and job.message == SESSION_CLOSED
        assert job.snapshot().steps_done == 0
    assert not first.done  # they were dropped from the queue, not trained after it
    assert staying.status == "queued" and staying.queue_position() == 1
    first.stop()
    assert staying.wait(DEADLINE) and staying.status == "finished"


def test_diverging_experiment_ends_diverged_and_keeps_its_curves(make_runner, store):
    job = make_runner().submit(tiny(optimizer="adam", lr=1.0, clip=0, hidden_size=32, steps=200))
    assert job.wait(DEADLINE)
    assert job.status == "diverged"
    assert "learning rate" in job.message and "RNN:" in job.message
    snapshot = job.snapshot()
    assert any(h.status == "diverged" for h in snapshot.histories.values())
    assert snapshot.steps_done > 0
    assert store.load(job.run_id).status == "diverged"


def test_exception_in_training_fails_the_job_and_the_runner_carries_on(make_runner, backend, store, monkeypatch,
                                                                      caplog):
    armed = event(backend)
    armed.set()
    options = {}
    if backend != "thread":  # training runs in another process
        options["worker_setup"] = (faults.broken_step, (armed,))
    else:
        def broken_step(trainer):
            raise RuntimeError("boom")

        monkeypatch.setattr(Trainer, "step", broken_step)
    runner = make_runner(max_concurrent=1, **options)
    with caplog.at_level(logging.ERROR, logger="core.engine.jobs"):
        failed = runner.submit(tiny())
        assert failed.wait(DEADLINE)
    assert failed.status == "failed" and failed.message == "Training failed: boom"
    assert "boom" in caplog.text and store.load(failed.run_id) is None
    monkeypatch.undo()
    armed.clear()
    after = runner.submit(tiny())
    assert after.wait(DEADLINE) and after.status == "finished"


def test_save_error_becomes_a_note_not_a_crash(make_runner, backend, monkeypatch, caplog):
    # Worker processes save the run themselves; the thread and Dask backends save in this process.
    runner = make_runner(worker_setup=(faults.full_disk, ()) if backend == "process" else None)

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(runner.store, "save", broken_save)
    with caplog.at_level(logging.WARNING, logger="core.engine.jobs"):
        job = runner.submit(tiny())
        assert job.wait(DEADLINE)
    assert job.status == "finished" and "disk full" in job.message
    assert "Could not save" in caplog.text


def test_snapshots_from_another_thread_are_consistent(make_runner):
    job = make_runner().submit(tiny(steps=60))
    seen: list[int] = []
    errors: list[BaseException] = []

    def poll() -> None:
        try:
            while not job.done:
                snapshot = job.snapshot()
                seen.append(snapshot.steps_done)
                for history in snapshot.histories.values():
                    assert len(history.steps) == len(history.train_loss) == len(history.grad_norm)
                    assert len(history.eval_steps) == len(history.val_metric)
                # A page polls once a second; a thousand times a second still tests consistency
                # without a spinning loop starving the training thread of the GIL.
                time.sleep(0.001)
        except BaseException as error:  # reported to the test thread below
            errors.append(error)

    poller = threading.Thread(target=poll)
    poller.start()
    assert job.wait(DEADLINE)
    poller.join(DEADLINE)
    assert not errors
    assert seen == sorted(seen) and len(seen) > 1
    assert job.snapshot().steps_done == 120


def test_bad_environment_values_fall_back_to_defaults(monkeypatch, caplog):
    monkeypatch.setenv("RNN_PLAYGROUND_MAX_JOBS", "abc")
    monkeypatch.setenv("RNN_PLAYGROUND_MAX_STEPS", "-3")
    monkeypatch.setenv("RNN_PLAYGROUND_MAX_SECONDS", "nan")
    with caplog.at_level(logging.WARNING, logger="core.engine.jobs"):
        runner = JobRunner()
    assert runner.max_concurrent == (os.cpu_count() or 1)
    assert runner.max_steps is None and runner.max_seconds is None
    assert "RNN_PLAYGROUND_MAX_JOBS" in caplog.text
    monkeypatch.setenv("RNN_PLAYGROUND_MAX_JOBS", "3")
    monkeypatch.setenv("RNN_PLAYGROUND_MAX_SECONDS", "2.5")
    runner = JobRunner()
    assert runner.max_concurrent == 3 and runner.max_seconds == 2.5
    runner.shutdown()


def test_shutdown_stops_running_and_queued_jobs(make_runner):
    runner = make_runner(max_concurrent=1)
    running, queued = runner.submit(tiny(steps=5000)), runner.submit(tiny())
    wait_until(lambda: training(running))
    runner.shutdown()
    assert running.wait(5.0) and queued.done
    assert running.status == queued.status == "stopped"
    with pytest.raises(RuntimeError):
        runner.submit(tiny())


def test_budgets_refuse_with_a_message_before_anything_is_queued(make_runner):
    from core.engine.jobs import JobRefused, job_weights

    big = tiny(hidden_size=32)
    assert job_weights(big) == 2 * 1 * 32 ** 2
    runner = make_runner(max_concurrent=1, max_weights=2 * 32 ** 2 - 1, max_queue=2, max_per_session=2)
    with pytest.raises(JobRefused, match="at most 2,047 recurrent weights.*need 2,048"):
        runner.submit(big)
    assert runner.jobs() == []
    running = runner.submit(tiny(steps=5000), owner="alice")
    wait_until(lambda: training(running))
    waiting = runner.submit(tiny(), owner="alice")
    with pytest.raises(JobRefused, match="at most 2 job"):
        runner.submit(tiny(seed=1), owner="alice")
    runner.submit(tiny(seed=2), owner="bob")
    with pytest.raises(JobRefused, match="queue is full"):
        runner.submit(tiny(seed=3), owner="carol")
    assert len(runner.jobs()) == 3
    running.stop()
    assert running.wait(DEADLINE)
    # The worker takes her waiting job in its own time (it may still be ending the last one).
    wait_until(lambda: waiting.queue_position() is None)
    # Alice's running job has ended, so she may queue another (the queue has room again too).
    later = runner.submit(tiny(seed=4), owner="alice")
    assert later.wait(DEADLINE) and later.status == "finished"


def test_progress_keeps_counting_while_a_step_holds_the_job(make_runner, backend, monkeypatch):
    """The progress bar reads counts without the lock a thread-backend step holds, so it moves on
    (and answers at once) during a long step; its numbers are the steps really taken."""
    if backend != "thread":
        pytest.skip("the process backend's server never holds the job's lock through a step")
    real_step = Trainer.step
    calls, in_step, release = [0], threading.Event(), threading.Event()

    def third_step_blocks(trainer):
        calls[0] += 1
        if calls[0] == 3:  # both models have taken one step
            in_step.set()
            release.wait(DEADLINE)
        real_step(trainer)

    monkeypatch.setattr(Trainer, "step", third_step_blocks)
    job = make_runner().submit(tiny(steps=10))
    assert in_step.wait(DEADLINE)
    started = time.monotonic()
    progress = job.progress()
    assert time.monotonic() - started < 0.5
    assert (progress.status, progress.preparing, progress.models) == ("running", False, 2)
    assert (progress.steps_done, progress.steps_total) == (2, 20)
    release.set()
    assert job.wait(DEADLINE) and job.status == "finished"
    assert job.progress().steps_done == 20


def test_progress_of_a_queued_job_gives_its_place_in_line(make_runner):
    runner = make_runner(max_concurrent=1)
    first, second = runner.submit(tiny(steps=5000)), runner.submit(tiny(seed=1))
    wait_until(lambda: first.progress().status == "running")  # a worker process may still be starting
    progress = second.progress()
    assert (progress.status, progress.position, progress.preparing, progress.steps_done) == ("queued", 1, True, 0)
    first.stop()
    assert second.wait(DEADLINE) and second.progress().steps_done == 2 * 20
