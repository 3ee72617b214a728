"""How long the Compare page takes to open with 20 stored runs selected (issue 10, acceptance 3: under 1 s).

Trains 20 small memory-lab runs (two cells each, a few seeds and learning rates) into a private
run store, then opens the Compare page through AppTest from app.py with all 20 ids (and their
settings) in the query string, as a share link would, and times the page's script run. Each
repetition is a new session (fresh session state); server-wide caches stay warm, as on a server
that has been up for a while. The first repetition is reported apart, then the median of the rest.
Pinned to 2 CPU cores where the machine has more.

Run from the repository root:
  .venv/bin/python bench/compare_open.py
  .venv/bin/python bench/compare_open.py --runs 20 --repeats 7 --profile    # cProfile of one open
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["RNN_PLAYGROUND_DB"] = str(Path(tempfile.mkdtemp(prefix="compare-bench-")) / "runs.sqlite")
os.environ.setdefault("RNN_PLAYGROUND_CACHE", tempfile.mkdtemp(prefix="compare-bench-cache-"))

from streamlit.testing.v1 import AppTest  # noqa: E402

from core.report import compare  # noqa: E402
from core.store.runs import RunStore  # noqa: E402
from core.tasks import experiment as config  # noqa: E402
from core.training.trainer import prepare, run_interleaved  # noqa: E402

LEARNING_RATES = ("0.003", "0.01")
SMALL = {"task": "memory", "distance": "8", "steps": "120", "hidden_size": "16", "batch_size": "16",
         "eval_every": "10", "probe_every": "10"}


def store_runs(count: int) -> list[str]:
    """Train `count` small runs, seeds 1.. and alternating learning rates; their ids."""
    store = RunStore()
    identifiers = []
    for index in range(count):
        params = {**SMALL, "seed": str(index // len(LEARNING_RATES) + 1),
                  "lr": LEARNING_RATES[index % len(LEARNING_RATES)]}
        experiment, messages = config.from_params(params)
        assert not messages, messages
        trainers = prepare(experiment)
        run_interleaved(trainers)
        identifiers.append(store.save(experiment, {trainer.cell: trainer.history for trainer in trainers}))
    return identifiers


def open_once(query: dict[str, list[str] | str]) -> tuple[float, float, AppTest]:
    """(wall seconds, CPU seconds of this process) of the Compare page's script run in a new
    session opened at `query`. CPU time is what the run costs whatever else the machine runs."""
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    app.switch_page("pages/compare.py")
    for key, value in query.items():
        app.query_params[key] = value
    start, cpu = time.perf_counter(), time.process_time()
    app.run()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    assert not app.exception, app.exception
    return seconds, cpu_seconds, app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one more open")
    arguments = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 2:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])
    began = time.perf_counter()
    identifiers = store_runs(arguments.runs)
    print(f"stored {len(identifiers)} runs in {time.perf_counter() - began:.1f} s "
          f"on {len(os.sched_getaffinity(0))} cores")
    params = RunStore().params_of(identifiers)
    query = {"runs": identifiers, "settings": compare.pack_settings({i: params[i] for i in identifiers})}
    print(f"share link query: {len(identifiers)} ids, settings {len(query['settings'])} characters")
    seconds, cpu_seconds, app = open_once(query)
    charts = len(app.get("vega_lite_chart"))
    print(f"first open: {seconds:.3f} s wall, {cpu_seconds:.3f} s CPU ({charts} charts)")
    times = [open_once(query)[:2] for _ in range(arguments.repeats)]
    print("repeats (wall s): " + ", ".join(f"{wall:.3f}" for wall, _ in times))
    print(f"median open with {len(identifiers)} runs selected: {statistics.median(w for w, _ in times):.3f} s wall, "
          f"{statistics.median(c for _, c in times):.3f} s CPU (target under 1 s; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    if arguments.profile:
        profile_once(query)


def profile_once(query: dict) -> None:
    """cProfile of the page's render function, which runs in AppTest's script thread."""
    from ui import compare_view

    profiler = cProfile.Profile()
    render = compare_view.render

    def profiled() -> None:
        profiler.enable()
        try:
            render()
        finally:
            profiler.disable()

    compare_view.render = profiled
    try:
        open_once(query)
    finally:
        compare_view.render = render
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
