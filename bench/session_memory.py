"""Server memory per browser session showing a different stored run: does it plateau?

Trains `--runs` distinct finished memory-lab runs in this process (the page's defaults, seeds 1..N,
`--steps` steps each, weights saved), starts `streamlit run app.py` on the thread backend with that
private store (as the hosted profile runs), then opens each run's link in its own Chromium context
(a student's tab), one after another, and keeps every tab open. After each tab has drawn its
finished run down to the "Look inside" heatmaps, the server's resident memory (RSS, from /proc) is
read. Prints the RSS after each tab and the memory per extra tab: the median of the steps between
consecutive tabs, and the growth over the last half of the tabs (near 0 once memory plateaus).
`--repeats` runs the whole thing on fresh servers and reports the median of each figure.

Run from the repository root (needs the dev requirements and Debian's chromium):
  .venv/bin/python bench/session_memory.py --runs 16
  .venv/bin/python bench/session_memory.py --runs 24 --repeats 3
  .venv/bin/python bench/session_memory.py --runs 16 --same      # every tab on the same run
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from browser_support import CHROMIUM, CHROMIUM_ARGS, start_app  # noqa: E402
from server_memory import resident_megabytes  # noqa: E402

# What the page draws last for a finished run with gates: the inspect view's caption under a heatmap.
LAST_TEXT = "Forget gate: how much of the old cell state is kept"
SETTLE_SECONDS = 1.5


def store_runs(database: Path, count: int, steps: int) -> list[dict[str, str]]:
    """`count` finished memory-lab runs that differ only in their seed; their links' parameters."""
    from core.store.runs import RunStore
    from core.tasks import experiment as config
    from core.training.trainer import prepare, run_interleaved

    store = RunStore(database)
    links = []
    for seed in range(1, count + 1):
        params = {"task": "memory", "seed": str(seed), "steps": str(steps)}
        experiment, messages = config.from_params(params)
        assert not messages, messages
        trainers = prepare(experiment)
        run_interleaved(trainers)
        store.save(experiment, {t.cell: t.history for t in trainers},
                   weights={t.cell: t.model.state_dict() for t in trainers})
        links.append(config.to_params(experiment))
    return links


def one_server(links: list[dict[str, str]], database: Path, same: bool) -> list[float]:
    """The server's RSS (MB) before any tab and after each tab opened."""
    from urllib.parse import urlencode

    from playwright.sync_api import expect, sync_playwright

    folder = database.parent
    server = start_app(folder, extra_env={"RNN_PLAYGROUND_DB": str(database), "RNN_PLAYGROUND_BACKEND": "thread"})
    pid = server.process.pid
    readings = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            # One empty page first, so the imports and caches every page needs are not counted.
            warm = browser.new_context().new_page()
            warm.goto(server.url("memory_lab"))
            expect(warm.get_by_text("Train", exact=True).first).to_be_visible(timeout=120_000)
            time.sleep(SETTLE_SECONDS)
            readings.append(resident_megabytes(pid))
            for index in range(len(links)):
                params = links[0] if same else links[index]
                page = browser.new_context().new_page()
                page.goto(server.url("memory_lab") + "?" + urlencode(params, doseq=True))
                expect(page.get_by_text(LAST_TEXT)).to_be_visible(timeout=120_000)
                time.sleep(SETTLE_SECONDS)
                readings.append(resident_megabytes(pid))
                print(f"  tab {index + 1:3d}: {readings[-1]:7.1f} MB", flush=True)
            browser.close()
    finally:
        server.stop()
        server.process.wait(timeout=30)
    return readings


def figures(readings: list[float]) -> tuple[float, float, float]:
    """(median step per tab, growth per tab over the last half, total growth) in MB."""
    steps = [after - before for before, after in zip(readings, readings[1:])]
    half = len(readings) // 2
    late = (readings[-1] - readings[half]) / max(len(readings) - 1 - half, 1)
    return statistics.median(steps), late, readings[-1] - readings[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=16, help="tabs, each on a different stored run")
    parser.add_argument("--repeats", type=int, default=1, help="fresh servers; medians are reported")
    parser.add_argument("--steps", type=int, default=10, help="training steps of each stored run")
    parser.add_argument("--same", action="store_true", help="every tab on the first run (the control)")
    options = parser.parse_args()
    database = Path(tempfile.mkdtemp(prefix="rnn-sessions-")) / "runs.sqlite"
    began = time.perf_counter()
    links = store_runs(database, options.runs, options.steps)
    print(f"stored {len(links)} runs in {time.perf_counter() - began:.0f} s", flush=True)
    results = []
    for repeat in range(options.repeats):
        print(f"repeat {repeat + 1} of {options.repeats}:", flush=True)
        readings = one_server(links, database, options.same)
        results.append(figures(readings))
        print(f"  start {readings[0]:.0f} MB, end {readings[-1]:.0f} MB", flush=True)
    step, late, total = (statistics.median(column) for column in zip(*results))
    what = "the same run" if options.same else "a different stored run each"
    print(f"{options.runs} tabs on {what}, {options.repeats} server(s), thread backend:")
    print(f"  median step per extra tab      {step:6.1f} MB")
    print(f"  growth per tab, last half      {late:6.1f} MB")
    print(f"  total growth over all tabs     {total:6.1f} MB")


if __name__ == "__main__":
    main()
