"""Tests of what only worker processes promise: a killed worker fails its job and is replaced,
workers stay warm from job to job, a snapshot never waits on a step, and a process killed while
saving leaves the store whole with no run left "running".
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import faults
import pytest
from job_support import poll_until, tiny

from core.engine import workers
from core.engine.jobs import JobRunner
from core.engine.workers import CONTEXT
from core.store.runs import RunStore
from core.tasks.experiment import from_params

pytestmark = pytest.mark.timeout(90)

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 30.0


def wait_until(condition, deadline: float = DEADLINE) -> None:
    poll_until(condition, deadline)


@pytest.fixture
def backend() -> str:
    """What conftest's make_runner trains on here."""
    return "process"


def test_killed_worker_fails_its_job_and_is_replaced_for_the_next(make_runner, store):
    runner = make_runner(max_concurrent=1)
    job = runner.submit(tiny(steps=5000))
    wait_until(lambda: job.snapshot().steps_done > 0)
    [pid] = runner.worker_pids()
    assert pid != os.getpid()
    os.kill(pid, signal.SIGKILL)
    assert job.wait(DEADLINE)
    assert job.status == "failed"
    # What is known, and no more: the signal, that it was training, and the last step it reported.
    snapshot = job.snapshot()
    step = max(len(history.steps) for history in snapshot.histories.values())
    assert f"was killed by signal 9 (SIGKILL) while training, after step {step:,} of 5,000" in job.message
    assert "could not start" not in job.message and "press Train to try again" in job.message
    assert snapshot.steps_done > 0  # the curves it had sent are still shown
    assert all(h.status == "failed" for h in snapshot.histories.values())
    assert store.load(job.run_id) is None  # a lost run is not stored as if it had ended
    after = runner.submit(tiny())
    assert after.wait(DEADLINE) and after.status == "finished"
    assert store.load(after.run_id).status == "finished"
    [replacement] = runner.worker_pids()
    assert replacement != pid


def test_workers_stay_warm_from_job_to_job(make_runner):
    runner = make_runner(max_concurrent=1)
    first = runner.submit(tiny())
    assert first.wait(DEADLINE) and first.status == "finished"
    pids = runner.worker_pids()
    second = runner.submit(tiny(seed=3))
    assert second.wait(DEADLINE) and second.status == "finished"
    assert runner.worker_pids() == pids  # the same process, torch already imported


def test_a_worker_left_holding_much_memory_is_replaced_after_its_job(make_runner):
    runner = make_runner(max_concurrent=1, worker_setup=(faults.hoarding_step, (int(workers.RECYCLE_MB) + 200,)))
    runner.start()
    [pid] = runner.worker_pids()
    job = runner.submit(tiny(steps=5000))
    wait_until(lambda: job.snapshot().steps_done > 0)
    assert workers.private_mb(pid) > workers.RECYCLE_MB  # the job's leftovers, while it trains
    job.stop()
    assert job.wait(DEADLINE) and job.status == "stopped"
    wait_until(lambda: runner.worker_pids() and runner.worker_pids() != [pid])
    [fresh] = runner.worker_pids()
    wait_until(lambda: not os.path.exists(f"/proc/{pid}"))  # the old worker, and its memory, are gone
    after = runner.submit(tiny())
    assert after.wait(DEADLINE) and after.status == "finished"  # the fresh worker trains the next job


def test_snapshot_and_stop_do_not_wait_for_a_step_in_progress(make_runner):
    in_step, release = CONTEXT.Event(), CONTEXT.Event()
    runner = make_runner(worker_setup=(faults.blocking_step, (in_step, release, DEADLINE)))
    job = runner.submit(tiny(steps=5000))
    assert in_step.wait(DEADLINE)
    started = time.monotonic()
    for _ in range(20):
        snapshot = job.snapshot()
    assert time.monotonic() - started < 0.5
    assert snapshot.status == "running"
    release.set()
    wait_until(lambda: job.snapshot().steps_done >= 10)
    job.stop()
    assert job.wait(DEADLINE) and job.status == "stopped"


SAVER = """
import sys
sys.path.insert(0, sys.argv[2])
from core.tasks.experiment import from_params
from core.store.runs import RunStore
from core.training.trainer import prepare
store = RunStore(sys.argv[1])
experiment = from_params({"distance": "8", "hidden_size": "256", "num_layers": "3", "steps": "20",
                          "cells": ["RNN", "GRU", "LSTM"]})[0]
trainers = prepare(experiment)
weights = {t.cell: t.model.state_dict() for t in trainers}
seed = 0
while True:
    seed += 1
    changed = from_params({**{"distance": "8", "hidden_size": "256", "num_layers": "3", "steps": "20",
                              "cells": ["RNN", "GRU", "LSTM"]}, "seed": str(seed)})[0]
    store.save(changed, {t.cell: t.history for t in trainers}, weights=weights, status="stopped",
               message="saved by the test")
    print(seed, flush=True)
"""


def test_process_killed_mid_save_leaves_a_whole_store_and_the_link_retrains(tmp_path, make_runner):
    # The process boundary is the point: only a real kill -9 stops a save half-way.
    path = tmp_path / "runs.sqlite"
    saver = subprocess.Popen([sys.executable, "-c", SAVER, str(path), str(ROOT)], stdout=subprocess.PIPE,
                             text=True)
    try:
        for _ in range(3):  # a few saves done, the next one under way
            assert saver.stdout.readline().strip(), "the saving process ended early"
        saver.send_signal(signal.SIGKILL)
        saver.wait(DEADLINE)
    finally:
        if saver.poll() is None:
            saver.kill()
            saver.wait(DEADLINE)
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        statuses = {row[0] for row in connection.execute("SELECT status FROM runs")}
    assert statuses == {"stopped"}  # nothing is ever stored "running"
    store = RunStore(path)
    for summary in store.list():
        stored = store.load(summary.run_id)
        assert stored is not None and set(stored.histories) == {"rnn", "gru", "lstm"}
        assert all(store.load_weights(summary.run_id, cell) for cell in stored.histories)
    # A server restarted on this store trains the same link to the end.
    runner = JobRunner(store=store, backend="process", max_concurrent=1)
    try:
        job = runner.submit(tiny())
        assert job.wait(DEADLINE) and job.status == "finished"
        assert store.load(job.run_id).status == "finished"
    finally:
        runner.shutdown()


def test_started_runner_has_warm_workers_before_any_job(make_runner):
    runner = make_runner(max_concurrent=2)
    runner.start()
    pids = runner.worker_pids()
    assert len(pids) == 2  # started before any job was submitted
    job = runner.submit(tiny())
    assert job.wait(DEADLINE) and job.status == "finished"
    assert runner.worker_pids() == pids  # the job ran on the started workers, no new process


SERVER = """
import sys, time
sys.path.insert(0, sys.argv[2])
from core.tasks.experiment import from_params
from core.engine import workers
from core.engine.jobs import JobRunner
from core.store.runs import RunStore

def main():
    runner = JobRunner(store=RunStore(sys.argv[1]), backend="process", max_concurrent=1)
    finished = runner.submit(from_params({"distance": "8", "hidden_size": "8", "steps": "20", "seed": "1"})[0])
    finished.wait(120)
    job = runner.submit(from_params({"distance": "8", "hidden_size": "8", "steps": "5000", "seed": "2"})[0])
    while job.progress().steps_done < 20:
        time.sleep(0.05)
    print(" ".join(str(pid) for pid in runner.worker_pids()), flush=True)
    job.wait()

if __name__ == "__main__":
    main()
"""


def test_server_killed_mid_run_leaves_no_worker_a_whole_store_and_the_link_retrains(tmp_path):
    # The process boundary is the point: a server process killed with SIGKILL mid-run.
    path, script = tmp_path / "runs.sqlite", tmp_path / "server.py"
    script.write_text(SERVER)
    server = subprocess.Popen([sys.executable, str(script), str(path), str(ROOT)], stdout=subprocess.PIPE, text=True)
    try:
        worker_pids = [int(pid) for pid in server.stdout.readline().split()]
        assert worker_pids, "the server ended before its job trained"
        server.send_signal(signal.SIGKILL)
        server.wait(DEADLINE)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(DEADLINE)

    def alive(pid: int) -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except OSError:
            return False
        return state != "Z"

    # A worker whose server has gone quits by itself: nothing is left training for nobody.
    wait_until(lambda: not any(alive(pid) for pid in worker_pids))
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        statuses = [row[0] for row in connection.execute("SELECT status FROM runs")]
    assert "running" not in statuses and statuses.count("finished") == 1
    store = RunStore(path)
    killed = from_params({"distance": "8", "hidden_size": "8", "steps": "5000", "seed": "2"})[0]
    kept = store.find(killed)
    # The worker, finding its server gone, may have stored the curves it had as a stopped run.
    if kept is not None:
        assert kept.status == "stopped" and "shutting down" in kept.message
        assert all(20 <= len(history.steps) < 5000 for history in kept.histories.values())
    # A server restarted on this store trains the killed run's link cleanly (shortened to stay quick).
    runner = JobRunner(store=store, backend="process", max_concurrent=1, max_steps=30)
    try:
        job = runner.submit(killed)
        assert job.wait(DEADLINE) and job.status == "stopped"
        assert "step budget of 30" in job.message and job.progress().steps_done == 2 * 30
        assert store.load(job.run_id).status == "stopped"
    finally:
        runner.shutdown()
