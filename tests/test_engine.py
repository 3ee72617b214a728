"""Tests of what only the Dask backend promises, against the real LocalCluster of conftest.py
(the job tests every backend passes are in test_jobs.py): a killed worker fails its job with a
message and the next job runs, progress streams back while a job trains, a stop the worker does
not answer is given up on, the engine is chosen by configuration, and a server with no scheduler
address starts its own cluster while one with a wrong address says so.
"""

from __future__ import annotations

import logging
import os
import signal
import time

import faults
import pytest
from job_support import poll_until, tiny

from core.engine import dask_engine
from core.engine import jobs as jobs_module
from core.engine.jobs import JobRunner

pytestmark = pytest.mark.timeout(90)

DEADLINE = 30.0


def wait_until(condition, deadline: float = DEADLINE) -> None:
    poll_until(condition, deadline)


@pytest.fixture
def backend(dask_cluster) -> str:
    """What conftest's make_runner trains on here."""
    return "dask"


def test_killed_worker_fails_its_job_with_a_message_and_the_next_job_runs(make_runner, store, caplog):
    runner = make_runner(max_concurrent=1)
    job = runner.submit(tiny(steps=5000))
    wait_until(lambda: job.snapshot().steps_done > 0)
    [pid] = runner.worker_pids()
    assert pid != os.getpid()
    with caplog.at_level(logging.ERROR, logger="core.engine.dask_engine"):
        os.kill(pid, signal.SIGKILL)
        assert job.wait(DEADLINE)
    assert job.status == "failed"
    assert "Dask worker" in job.message and "unexpectedly" in job.message and "Train" in job.message
    assert "was lost" in caplog.text
    snapshot = job.snapshot()
    assert snapshot.steps_done > 0  # the curves it had sent are still shown
    assert all(h.status == "failed" for h in snapshot.histories.values())
    assert store.load(job.run_id) is None  # a lost run is not stored as if it had ended
    after = runner.submit(tiny())
    assert after.wait(DEADLINE) and after.status == "finished"
    assert store.load(after.run_id).status == "finished"


def test_progress_streams_back_while_the_job_trains(make_runner):
    job = make_runner().submit(tiny(steps=5000))
    wait_until(lambda: job.snapshot().steps_done > 0)
    first = job.snapshot()
    wait_until(lambda: job.snapshot().steps_done > first.steps_done + 20)
    later = job.snapshot()
    assert first.status == later.status == "running" and not job.done
    for history in later.histories.values():
        assert history.status == "running"
        assert len(history.steps) == len(history.train_loss) == len(history.grad_norm) > 0
        assert history.eval_steps and len(history.eval_steps) == len(history.val_metric)
    job.stop()
    assert job.wait(DEADLINE) and job.status == "stopped"
    final = job.snapshot()
    # What streamed was exact: the curves so far, as lists, are the start of the saved ones.
    for cell, history in later.histories.items():
        done = final.histories[cell]
        assert isinstance(history.train_loss, list) and isinstance(history.grad_through_time[0], dict)
        assert all(isinstance(values, list) for values in history.layer_grad_norms.values())
        assert done.train_loss[:len(history.train_loss)] == history.train_loss
        assert done.val_metric[:len(history.val_metric)] == history.val_metric


def test_a_stop_the_worker_does_not_answer_cancels_its_task(make_runner, store, dask_cluster, monkeypatch):
    from distributed import Event

    in_step, release = Event("engine-test-in-step"), Event("engine-test-release")
    monkeypatch.setattr(dask_engine, "STOP_GRACE", 0.5)
    runner = make_runner(max_concurrent=1, worker_setup=(faults.blocking_step, (in_step, release, DEADLINE)))
    job = runner.submit(tiny(steps=5000))
    try:
        assert in_step.wait(DEADLINE)
        started = time.monotonic()
        job.stop()
        assert job.wait(5.0)
        assert time.monotonic() - started < 3.0
        assert job.status == "stopped"
        assert job.message.startswith("Stopped by you.") and "did not answer within 0.5 s" in job.message
        assert store.load(job.run_id) is None
    finally:
        release.set()  # the worker's step goes on, sees the stop and frees the worker


def test_the_engine_is_chosen_by_configuration(monkeypatch, caplog):
    real_find_spec = jobs_module.importlib.util.find_spec
    monkeypatch.setenv("RNN_PLAYGROUND_BACKEND", "thread")
    monkeypatch.setenv("RNN_PLAYGROUND_ENGINE", "dask")
    assert JobRunner().backend == "dask"
    monkeypatch.setenv("RNN_PLAYGROUND_ENGINE", "ray")
    with caplog.at_level(logging.WARNING, logger="core.engine.jobs"):
        assert JobRunner().backend == "thread"
    assert "RNN_PLAYGROUND_ENGINE" in caplog.text and "dask" in caplog.text
    caplog.clear()
    # A server configured for Dask where it is not installed says how to install it, and still trains.
    monkeypatch.setenv("RNN_PLAYGROUND_ENGINE", "dask")
    monkeypatch.setattr(jobs_module.importlib.util, "find_spec",
                        lambda name, *args: None if name == "distributed" else real_find_spec(name, *args))
    with caplog.at_level(logging.WARNING, logger="core.engine.jobs"):
        assert JobRunner().backend == "thread"
    assert "Dask is not installed" in caplog.text and "requirements-engine.txt" in caplog.text


def test_an_unreachable_scheduler_fails_the_job_with_a_message(store, monkeypatch, caplog):
    import dask.config

    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT", "1s")
    with dask.config.set({"scheduler-address": "tcp://127.0.0.1:9"}):  # the discard port: nothing listens
        runner = JobRunner(store=store, backend="dask", max_concurrent=1)
        try:
            job = runner.submit(tiny())
            assert job.wait(DEADLINE)
        finally:
            runner.shutdown()
    assert job.status == "failed"
    assert "could not reach its Dask cluster at tcp://127.0.0.1:9" in job.message
    assert "Traceback" not in job.message
    assert store.load(job.run_id) is None


def test_without_an_address_the_server_starts_its_own_local_cluster(store, monkeypatch, caplog):
    import dask.config

    monkeypatch.setenv("RNN_PLAYGROUND_ENGINE", "dask")
    with dask.config.set({"scheduler-address": None}), caplog.at_level(logging.WARNING, logger="core.engine.dask_engine"):
        runner = JobRunner(store=store, max_concurrent=1)
        try:
            job = runner.submit(tiny())
            assert job.wait(60.0) and job.status == "finished"
            cluster = runner.slots[0].engine.cluster
            assert cluster is not None and len(cluster.workers) == 1
        finally:
            runner.shutdown(timeout=30.0)
    assert "no DASK_SCHEDULER_ADDRESS" in caplog.text and "local Dask cluster" in caplog.text
    assert store.load(job.run_id).status == "finished"
    assert cluster.status.name == "closed"  # the runner closed the cluster it had started
