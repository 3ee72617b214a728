"""Live training in the browser against the CLI, side by side in one run, on the memory lab defaults.

Both sides are counted alike: steps per second while training runs, as the least-squares slope
through the progress readings that the training process itself stamped (the CLI's progress line on
a terminal, twice a second; the page's progress bar, once a second, whose seconds come from the
server). Start-up (imports, data building) and the end (saving, the final redraw) are left out of
that rate and reported apart as the end-to-end time from pressing Train, or starting the command,
to the finished run. A second ratio compares the time spent inside training steps, from each stored
run's own step clock (`wall_seconds`), so evaluation, probes and the page's reading delays drop out.

The browser runs on this same machine, so by default its processes are lowered to Linux's idle
scheduling policy on the first core while training is timed (on a hosted demo the browser runs
on the user's computer, not on the server's cores), and to nice 19 on every core while a page
switch is timed, when two jobs fill both cores and an idle browser would not draw at all. The
server and its workers keep their normal priority and every core. `--browser-priority same`
measures with the browser competing for the cores as an equal.

Also measured: the time to switch pages while two jobs train. Each run uses a private run store,
so nothing reuses another's result. Localhost only; about a minute per backend on two cores.

    .venv/bin/python bench/live_speed.py [--backends thread process] [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import CHROMIUM, CHROMIUM_ARGS, button, start_app  # noqa: E402

CLI_PROGRESS = re.compile(r"step (\d+)/(\d+) .*? ([\d.]+)s")
PAGE_PROGRESS = re.compile(r"Training (\d+) models?: (\d+) of (\d+) steps each, ([\d.]+) s")


def slope(readings: list[tuple[int, float]]) -> float:
    """Steps per second while training runs: the least-squares slope of steps over time, through the
    first reading of each step count after training began.

    The first reading of a count is the one closest to when it was reached: the page keeps showing
    the last count, with its clock still running, while the worker evaluates and saves at the end,
    which the last reading would count as training. Fitting every reading rather than two ends
    averages out when each reading happened to be taken (the page's counts are up to a second
    old, the CLI's are not, and a constant delay does not change a slope).
    """
    first: dict[int, float] = {}
    for steps, seconds in readings:
        if steps > 0:
            first.setdefault(steps, seconds)
    if len(first) < 3:
        raise RuntimeError(f"too few progress readings to time training: {readings}")
    points = sorted(first.items(), key=lambda point: point[1])
    mean_time = statistics.fmean(seconds for _, seconds in points)
    mean_steps = statistics.fmean(steps for steps, _ in points)
    spread = sum((seconds - mean_time) ** 2 for _, seconds in points)
    if spread <= 0:
        raise RuntimeError(f"progress readings all at one time: {readings}")
    return sum((seconds - mean_time) * (steps - mean_steps) for steps, seconds in points) / spread


def step_seconds(store_path: Path, run_id: str | None = None) -> tuple[str, float]:
    """(run id, seconds spent inside training steps) of the store's only run, or of `run_id`:
    evaluation and probes are left out, since each history's `wall_seconds` is its trainer's own
    clock around every optimizer step."""
    from core.store.runs import RunStore

    store = RunStore(store_path)
    run_id = run_id or store.list()[0].run_id
    return run_id, sum(history.wall_seconds[-1] for history in store.load(run_id).histories.values())


def cli_speed(folder: Path) -> tuple[float, float, list[tuple[int, float]]]:
    """(steps per second while training, end-to-end seconds, progress readings) of
    `python -m core train memory`."""
    env = {**os.environ, "RNN_PLAYGROUND_DB": str(folder / "cli.sqlite")}
    # Its progress goes to a terminal, where the CLI rewrites the line twice a second.
    controller, terminal = pty.openpty()
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "core", "train", "memory", "--json"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=terminal)
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closes when the command exits
            break
        if not chunk:
            break
        output += chunk
    process.wait()
    wall = time.monotonic() - started
    os.close(controller)
    readings = [(int(done), float(seconds)) for done, _, seconds in CLI_PROGRESS.findall(output.decode())]
    return slope(readings), wall, readings


def _lower_browser_priority(idle: bool = True) -> None:
    """Chromium's processes run at the lowest priority, every thread (Playwright's driver, which
    times the page, keeps its own).

    `idle`, for timing training: Linux's idle policy, on the first core only. At nice 19 on any
    core, the browser's threads woke on the worker's core and it waited for a core 8% of the time
    (read from /proc/PID/schedstat); the idle policy alone left that at 8%, and the first core
    alone halved it. Otherwise, for timing a page switch, nice 19 on every core: two jobs then
    fill both cores, and an idle browser would not draw at all.
    """
    policy, niceness = (os.SCHED_IDLE, 0) if idle else (os.SCHED_OTHER, 19)
    cores = {min(os.sched_getaffinity(0))} if idle else os.sched_getaffinity(0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if b"chromium" not in (entry / "cmdline").read_bytes():
                continue
            for thread in (entry / "task").iterdir():
                identifier = int(thread.name)
                os.sched_setscheduler(identifier, policy, os.sched_param(0))
                # setpriority and sched_setaffinity with a thread's id set that thread alone on Linux
                os.setpriority(os.PRIO_PROCESS, identifier, niceness)
                os.sched_setaffinity(identifier, cores)
        except OSError:
            pass  # gone, or not ours


def browser_speed(folder: Path, backend: str, lower_priority: bool) -> dict[str, float]:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect, sync_playwright

    server = start_app(folder, max_jobs=2, extra_env={"RNN_PLAYGROUND_BACKEND": backend})
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page()
            page.goto(server.url("memory_lab"))
            expect(button(page, "Train")).to_be_enabled(timeout=60_000)
            if lower_priority:
                _lower_browser_priority()
            started = time.monotonic()
            button(page, "Train").click()
            readings: list[tuple[int, float]] = []
            finished = page.get_by_text("Loaded finished run")
            while not finished.is_visible():
                bar = page.get_by_text(PAGE_PROGRESS)
                try:
                    text = bar.first.inner_text(timeout=1_000) if bar.count() else ""
                except PlaywrightError:  # the bar redrew between finding and reading it
                    text = ""
                match = PAGE_PROGRESS.search(text)
                if match:
                    models, done_each, _, seconds = match.groups()
                    reading = (int(models) * int(done_each), float(seconds))
                    if not readings or reading != readings[-1]:
                        readings.append(reading)
                if time.monotonic() - started > 600:
                    raise RuntimeError("the browser's run did not finish in 10 minutes")
                page.wait_for_timeout(100)
            wall = time.monotonic() - started
            # Page switch while two jobs train: a second tab trains another seed.
            other = browser.new_page()
            other.goto(server.url("memory_lab") + "?seed=1")
            button(other, "Train").click()
            page.goto(server.url("memory_lab") + "?seed=2")
            button(page, "Train").click()
            expect(page.get_by_text(PAGE_PROGRESS)).to_be_visible(timeout=60_000)
            expect(other.get_by_text(PAGE_PROGRESS)).to_be_visible(timeout=60_000)
            if lower_priority:
                _lower_browser_priority(idle=False)
            switch_started = time.monotonic()
            page.get_by_role("link", name="Home").first.click()
            expect(page.get_by_text("Short memory").first).to_be_visible(timeout=30_000)
            switch = time.monotonic() - switch_started
            browser.close()
        return {"rate": slope(readings), "wall": wall, "switch": switch, "readings": readings}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["thread", "process"], choices=["thread", "process"])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--browser-priority", choices=["lowest", "same"], default="lowest")
    options = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {"cli": []}
    for _ in range(options.repeats):
        for backend in options.backends:
            # The CLI runs right before each browser run, so each ratio compares neighbours in time.
            with tempfile.TemporaryDirectory() as name:
                rate, wall, readings = cli_speed(Path(name))
                cli_run, cli_steps = step_seconds(Path(name) / "cli.sqlite")
                results["cli"].append({"rate": rate, "wall": wall, "readings": readings, "step_seconds": cli_steps})
                live = browser_speed(Path(name), backend, options.browser_priority == "lowest")
                live["ratio"] = live["rate"] / rate
                live["step_seconds"] = step_seconds(Path(name) / "runs.sqlite", cli_run)[1]
                live["step_ratio"] = cli_steps / live["step_seconds"]
                results.setdefault(backend, []).append(live)
            print(f"{backend:8s} CLI {rate:6.1f} steps/s ({wall:.1f} s end to end) | browser {live['rate']:6.1f} "
                  f"steps/s ({live['wall']:.1f} s end to end) = {live['ratio']:.2f}x (inside steps {live['step_ratio']:.2f}x) | page switch while two "
                  f"jobs train {live['switch']:.2f} s", flush=True)
    print("medians:")
    for backend in options.backends:
        runs = results[backend]
        print(f"  {backend:8s} {statistics.median(r['ratio'] for r in runs):.2f}x the CLI's steps/s, end to end "
              f"{statistics.median(r['wall'] for r in runs):.1f} s, page switch "
              f"{statistics.median(r['switch'] for r in runs):.2f} s")
    print(f"  CLI      {statistics.median(r['rate'] for r in results['cli']):.1f} steps/s, end to end "
          f"{statistics.median(r['wall'] for r in results['cli']):.1f} s")
    output = ROOT / "bench" / "out"
    output.mkdir(parents=True, exist_ok=True)
    (output / "live_speed.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
