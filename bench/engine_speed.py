"""Training speed and stop latency of each job backend on the memory lab defaults.

For the thread, process and Dask backends in turn (Dask on a LocalCluster this script starts, one
worker), trains the memory lab defaults through the job runner, cut at `--steps` steps per model,
and prints steps per second over the job's elapsed time (queueing, data building and, for the
first job of a fresh pool, the workers' warm-up included: a second job shows the warm figure),
then how long a Stop takes to end a running job. Each backend gets a private run store. Localhost
only; about 50 s of CPU time at the default 150 steps (68 s wall on two busy cores).

    .venv/bin/python bench/engine_speed.py [--steps 150]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.engine.jobs import JobRunner  # noqa: E402
from core.store.runs import RunStore  # noqa: E402
from core.tasks.experiment import from_params  # noqa: E402


def measure(runner: JobRunner, seed: int) -> float:
    job = runner.submit(from_params({"seed": str(seed)})[0])
    assert job.wait(600), "the job did not end"
    snapshot = job.snapshot()
    assert job.status == "stopped", (job.status, job.message)  # cut by the step budget
    return snapshot.steps_done / snapshot.elapsed


def stop_latency(runner: JobRunner) -> float:
    job = runner.submit(from_params({"seed": "9", "steps": "5000"})[0])
    while job.snapshot().steps_done < 20:
        time.sleep(0.01)
    started = time.monotonic()
    job.stop()
    assert job.wait(60), "the stopped job did not end"
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150, help="steps per model (the server's step budget)")
    arguments = parser.parse_args()
    import dask.config

    from core.engine.dask_engine import start_local_cluster

    started = time.monotonic()
    cluster = start_local_cluster(1)
    cluster_seconds = time.monotonic() - started
    try:
        with dask.config.set({"scheduler-address": cluster.scheduler_address}), tempfile.TemporaryDirectory() as folder:
            for backend in ("thread", "process", "dask"):
                runner = JobRunner(store=RunStore(Path(folder) / f"{backend}.sqlite"), backend=backend,
                                   max_concurrent=1, max_steps=arguments.steps)
                try:
                    cold, warm = measure(runner, 1), measure(runner, 2)
                    stop = stop_latency(runner)
                finally:
                    runner.shutdown()
                print(f"{backend:8} first job {cold:7.1f} steps/s   next job {warm:7.1f} steps/s   stop {stop:5.2f} s")
    finally:
        cluster.close()
    print(f"LocalCluster start (one worker): {cluster_seconds:.1f} s")


if __name__ == "__main__":
    main()
