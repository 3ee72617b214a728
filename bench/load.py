"""A class at once: N browser sessions press Train on the memory lab defaults, each with its own seed.

For each N (`--sessions 1 4 8 16`) this starts the app on a free localhost port with a private
run store (tests/browser_support.start_app), opens N pages of one headless Chromium (Debian's
/usr/bin/chromium), each in its own context (its own Streamlit session) on the memory lab with a
seed no other session uses (so no stored run is reused), presses Train on all and watches each
page until it says its run was saved. Per session it records the time queued (from Train to
leaving "Queued: position N"), training and to finish, the highest queue position shown, and
errors (an exception box, a "could not" or "failed" message, or a run not finished by
--timeout). A separate probe session meanwhile switches between the Home and Compare pages and
times each switch until the heading shows. The server's process tree is sampled for peak RSS and
PSS (/proc/PID/smaps_rollup), the server's own and its workers' together, and its CPU seconds.

Then, with --queued-cpu N, a queue with nothing else to do: a server with the process backend
(training in a worker process, so the server's own CPU is the polling and drawing alone) and
one slot, one long job training and N-1 sessions queued; it reports the server's CPU seconds per
second over --queued-seconds, against the same server with N sessions open and idle.

Prints a table, the peak server memory per extra session (least-squares slope over N), and
writes everything to bench/out/load-<time>.json. Localhost only; bounded by --timeout per N.

    .venv/bin/python bench/load.py --sessions 1 4 8 16 --queued-cpu 8
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from browser_support import CHROMIUM, CHROMIUM_ARGS, button, progress_text, start_app  # noqa: E402
from server_memory import Sampler, resident_megabytes  # noqa: E402

OUT = ROOT / "bench" / "out"
POLL_SECONDS = 0.5
SWITCH_EVERY = 5.0
PROBE_PAGES = (("Home", "RNN Playground"), ("Compare", "Compare runs"))
ERROR_TEXT = re.compile(r"could not|failed|Traceback", re.IGNORECASE)


def cpu_seconds(pid: int) -> float:
    """User and system CPU of one process's own threads (children not included), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def text_if_shown(locator) -> str:
    """The first match's text, or "" when there is none, including when a redraw replaced the
    element between finding it and reading it (the queue notice redraws every few seconds)."""
    from playwright.sync_api import Error

    try:
        return locator.first.inner_text(timeout=1_000) if locator.count() else ""
    except Error:
        return ""


def note_errors(page, errors: list[str]) -> None:
    """Add to `errors` each exception box or alert on the page that reads as a failure, once."""
    for box in page.get_by_test_id("stException").all() + page.get_by_test_id("stAlert").all():
        text = text_if_shown(box)
        if ERROR_TEXT.search(text) and text[:200] not in errors:
            errors.append(text[:200])


def rows_of(watched: list, timeout: float) -> list[dict]:
    """Each watched page's row, with an error for one whose run did not finish by the timeout."""
    rows = [session.row() for session in watched]
    for row, session in zip(rows, watched):
        if session.finished is None:
            row["errors"].append(f"not finished within {timeout:g} s")
    return rows


class Session:
    """One browser session's page and what was seen on it, with times from pressing Train."""

    def __init__(self, page, seed: int):
        self.page, self.seed = page, seed
        self.pressed = self.training = self.finished = None
        self.highest_position, self.errors = 0, []

    def look(self, now: float) -> None:
        page = self.page
        queued = page.get_by_text(re.compile(r"Queued: position \d+"))
        text = text_if_shown(queued)
        if text:
            position = int(re.search(r"position (\d+)", text).group(1))
            self.highest_position = max(self.highest_position, position)
        elif self.training is None and progress_text(page).count():
            self.training = now
        # A page that trained the run says so ("Trained and saved as run ...", issue 17 item 4).
        if page.get_by_text(re.compile(r"Trained and saved as run|Loaded finished run")).count():
            self.finished = now
            self.training = self.training or now
        note_errors(page, self.errors)

    def row(self) -> dict:
        def since(moment):
            return round(moment - self.pressed, 2) if moment is not None else None

        training = self.training or self.finished
        return {"seed": self.seed, "queued_s": since(training), "finished_s": since(self.finished),
                "training_s": round(self.finished - training, 2) if self.finished and training else None,
                "highest_position": self.highest_position, "errors": self.errors}


def switch(page, link: str, heading: str) -> float:
    from playwright.sync_api import expect

    started = time.monotonic()
    page.get_by_role("link", name=link).first.click()
    expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=60_000)
    return time.monotonic() - started


def open_sessions(browser, server, count: int, first_seed: int, query: str = "") -> list[Session]:
    from playwright.sync_api import expect

    sessions = []
    for index in range(count):
        page = browser.new_context().new_page()
        page.goto(server.url("memory_lab") + f"?seed={first_seed + index}{query}")
        expect(button(page, "Train")).to_be_enabled(timeout=120_000)
        sessions.append(Session(page, first_seed + index))
    return sessions


def run_load(browser, count: int, max_jobs: int, timeout: float, first_seed: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="rnn-load-"))
    server = start_app(folder, max_jobs=max_jobs)
    pid = server.process.pid
    try:
        sessions = open_sessions(browser, server, count, first_seed)
        probe = browser.new_context().new_page()
        probe.goto(server.url(""))
        opened_mb = resident_megabytes(pid)
        sampler = Sampler(pid)
        sampler.start()
        cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
        for session in sessions:
            button(session.page, "Train").click()
            session.pressed = time.monotonic()
        switches, next_switch, turn = [], time.monotonic() + 2.0, 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(s.finished is None for s in sessions):
            for session in sessions:
                if session.finished is None:
                    session.look(time.monotonic())
            if time.monotonic() >= next_switch and any(s.finished is None for s in sessions):
                link, heading = PROBE_PAGES[turn % len(PROBE_PAGES)]
                switches.append(round(switch(probe, link, heading), 3))
                turn, next_switch = turn + 1, time.monotonic() + SWITCH_EVERY
            time.sleep(POLL_SECONDS)
        wall = time.monotonic() - wall_before
        cpu = cpu_seconds(pid) - cpu_before
        sampler.running = False
        sampler.join()
        rows = rows_of(sessions, timeout)
        for session in sessions:
            session.page.context.close()
        probe.context.close()
        return {"sessions": count, "max_jobs": max_jobs, "wall_s": round(wall, 1), "server_cpu_s": round(cpu, 1),
                "opened_rss_mb": round(opened_mb), "peak_rss_mb": round(sampler.peak),
                "peak_pss_mb": round(sampler.peak_shared), "switch_s": switches, "rows": rows}
    finally:
        server.stop()


def queued_cpu(browser, count: int, seconds: float) -> dict:
    """Server CPU per second with `count` sessions idle, then with one training and the rest queued."""
    folder = Path(tempfile.mkdtemp(prefix="rnn-queued-"))
    os.environ["RNN_PLAYGROUND_BACKEND"] = "process"
    try:
        server = start_app(folder, max_jobs=1)
    finally:
        os.environ.pop("RNN_PLAYGROUND_BACKEND")
    pid = server.process.pid
    try:
        # Long jobs, so the queue stays put while it is measured.
        sessions = open_sessions(browser, server, count, 1000, "&steps=5000")
        time.sleep(2)
        before = cpu_seconds(pid)
        time.sleep(seconds)
        idle = (cpu_seconds(pid) - before) / seconds
        for session in sessions:
            button(session.page, "Train").click()
        from playwright.sync_api import expect

        expect(sessions[-1].page.get_by_text(re.compile(r"Queued: position \d+"))).to_be_visible(timeout=60_000)
        before = cpu_seconds(pid)
        time.sleep(seconds)
        queued = (cpu_seconds(pid) - before) / seconds
        for session in sessions:
            session.page.context.close()
        return {"sessions": count, "seconds": seconds, "idle_cpu_per_s": round(idle, 3),
                "queued_cpu_per_s": round(queued, 3)}
    finally:
        server.stop()


def slope(points: list[tuple[int, float]]) -> float | None:
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else None


def report(results: list[dict]) -> None:
    print(f"{'N':>3} {'done':>5} {'errors':>6} {'queued s (max)':>15} {'train s (med)':>14} {'finish s (max)':>15} "
          f"{'max pos':>7} {'switch s (max)':>14} {'peak RSS MB':>11} {'peak PSS MB':>11} {'CPU s':>6}")
    for result in results:
        rows = result["rows"]
        done = sum(1 for row in rows if row["finished_s"] is not None)
        errors = sum(1 for row in rows if row["errors"])
        queued = max((row["queued_s"] or 0) for row in rows)
        trains = sorted(row["training_s"] for row in rows if row["training_s"] is not None)
        finish = max((row["finished_s"] or 0) for row in rows)
        switches = result["switch_s"]
        print(f"{result['sessions']:>3} {done:>5} {errors:>6} {queued:>15.1f} "
              f"{(trains[len(trains) // 2] if trains else float('nan')):>14.1f} {finish:>15.1f} "
              f"{max(row['highest_position'] for row in rows):>7} {(max(switches) if switches else float('nan')):>14.2f} "
              f"{result['peak_rss_mb']:>11} {result['peak_pss_mb']:>11} {result['server_cpu_s']:>6}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--max-jobs", type=int, default=2, help="RNN_PLAYGROUND_MAX_JOBS of the server")
    parser.add_argument("--timeout", type=float, default=900, help="seconds each N may take after Train")
    parser.add_argument("--queued-cpu", type=int, default=0, metavar="N",
                        help="also measure the server's CPU with N sessions idle and then queued")
    parser.add_argument("--queued-seconds", type=float, default=15)
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results, queue = [], None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        for index, count in enumerate(options.sessions):
            results.append(run_load(browser, count, options.max_jobs, options.timeout, first_seed=100 * (index + 1)))
            report(results[-1:])
        if options.queued_cpu:
            queue = queued_cpu(browser, options.queued_cpu, options.queued_seconds)
        browser.close()
    print()
    report(results)
    per_session = slope([(result["sessions"], result["peak_rss_mb"]) for result in results])
    per_session_pss = slope([(result["sessions"], result["peak_pss_mb"]) for result in results])
    if per_session is not None:
        print(f"peak server memory per extra session: {per_session:.1f} MB RSS, {per_session_pss:.1f} MB PSS")
    if queue:
        print(f"server CPU, {queue['sessions']} sessions open and idle: {queue['idle_cpu_per_s']:.3f} s/s; "
              f"1 training in a worker and {queue['sessions'] - 1} queued: {queue['queued_cpu_per_s']:.3f} s/s")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"results": results, "per_session_rss_mb": per_session,
                                "per_session_pss_mb": per_session_pss, "queued_cpu": queue}, indent=1))
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
