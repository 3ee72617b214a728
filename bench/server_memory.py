"""Server memory with real browser sessions: open pages, train their defaults, sample the server's RSS.

Starts `streamlit run app.py` on a free localhost port with a private run store (as the browser
tests do), opens each named page in its own Chromium session (Debian's /usr/bin/chromium), presses
Train on every page at once and waits until each shows its finished run, sampling the resident
memory of the server process and its children (training workers included) every 0.2 s. Prints the RSS after start, after the
pages opened, the peak while training, after training, and the extra memory per page session.

Run from the repository root (needs the dev requirements and Debian's chromium):
  .venv/bin/python bench/server_memory.py translation
  .venv/bin/python bench/server_memory.py memory_lab sentiment handwriting translation
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import CHROMIUM, CHROMIUM_ARGS, button, start_app  # noqa: E402

TRAIN_SECONDS = 600


def resident_megabytes(pid: int, field: str = "Rss") -> float:
    """Memory of a process and all its descendants, from /proc: "Rss" counts shared library pages
    once per process; "Pss" shares them out, so the sum is what the processes use together."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith(f"{field}:"):
                    total += int(line.split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        pending += [int(child) for child in children]
    return total / 1024


class Sampler(threading.Thread):
    """Samples a process tree's RSS until stopped; keeps the peak and every reading (seconds from
    the start, RSS in MB), to see when the peak came."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.peak_shared, self.running = pid, 0.0, 0.0, True
        self.readings: list[tuple[float, float]] = []

    def run(self) -> None:
        began = time.monotonic()
        while self.running:
            self.readings.append((time.monotonic() - began, resident_megabytes(self.pid)))
            self.peak = max(self.peak, self.readings[-1][1])
            self.peak_shared = max(self.peak_shared, resident_megabytes(self.pid, "Pss"))
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages", nargs="+", help="page paths, e.g. translation memory_lab")
    parser.add_argument("--max-jobs", type=int, default=2)
    options = parser.parse_args()
    from playwright.sync_api import expect, sync_playwright

    server = start_app(Path(tempfile.mkdtemp(prefix="rnn-memory-")), max_jobs=options.max_jobs)
    pid = server.process.pid
    try:
        time.sleep(1)
        started = resident_megabytes(pid)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            sessions = []
            for name in options.pages:
                page = browser.new_context().new_page()
                page.goto(server.url(name))
                expect(button(page, "Train")).to_be_enabled(timeout=120_000)
                sessions.append(page)
            opened = resident_megabytes(pid)
            sampler = Sampler(pid)
            sampler.start()
            begun = time.perf_counter()
            for page in sessions:
                button(page, "Train").click()
            for page in sessions:
                expect(page.get_by_text("Loaded finished run")).to_be_visible(timeout=TRAIN_SECONDS * 1000)
            trained_seconds = time.perf_counter() - begun
            time.sleep(2)  # let the pages draw their after-training views
            sampler.running = False
            sampler.join()
            after, after_shared = resident_megabytes(pid), resident_megabytes(pid, "Pss")
            browser.close()
    finally:
        server.stop()
    print(f"pages: {', '.join(options.pages)} (RNN_PLAYGROUND_MAX_JOBS={options.max_jobs})")
    print(f"server RSS after start      {started:7.0f} MB")
    print(f"after the pages opened      {opened:7.0f} MB  (+{(opened - started) / len(options.pages):.0f} MB a page)")
    print(f"peak while training         {max(sampler.peak, after):7.0f} MB RSS, "
          f"{max(sampler.peak_shared, after_shared):.0f} MB PSS")
    print(f"after training              {after:7.0f} MB RSS, {after_shared:.0f} MB PSS "
          f"({trained_seconds:.1f} s to train every page)")


if __name__ == "__main__":
    main()
