"""A class on the hosted profile: N students join from the student link, pick names and press Train
within a minute, while the teacher's page watches (issue 20, part 4).

The server runs as README's Community Cloud section sets it up (thread backend, one training slot,
a 250 MB memory budget, one job per session), with a queue as long as the class; a run of the
memory lab at its defaults, each student with their own seed, so no stored run is reused. A
teacher starts the class from the home page and opens the teacher link; each student, in their
own Chromium context (their own Streamlit session), opens the student link, joins under a name,
opens the memory lab from the class and presses Train, the N presses spread evenly over
--spread seconds. Every page is then watched until its run is stored.

Per student: the wait in the queue (Train to the first progress bar), the time to finish, the
highest queue position shown and every distinct thing their page said while they waited; errors
(an exception box, a "could not"/"failed" message, a run not finished by --timeout). For the
teacher: the delay between a student's page saying their run was saved and the teacher's page
listing it. For the server: its peak RSS and PSS and its CPU seconds. Prints a summary and writes
everything to bench/out/class-load-<time>.json.

    .venv/bin/python bench/class_load.py --students 30
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from browser_support import CHROMIUM, CHROMIUM_ARGS, button, progress_text, start_app  # noqa: E402
from load import POLL_SECONDS, cpu_seconds, note_errors, rows_of, text_if_shown  # noqa: E402
from server_memory import Sampler, resident_megabytes  # noqa: E402

from core.store import runs  # noqa: E402
from core.tasks import experiment as config  # noqa: E402

OUT = ROOT / "bench" / "out"
FIRST_SEED = 7100


def hosted_profile(students: int) -> dict[str, str]:
    """README's Community Cloud settings, with a queue that holds the whole class."""
    return {"RNN_PLAYGROUND_BACKEND": "thread", "RNN_PLAYGROUND_MEMORY_MB": "250",
            "RNN_PLAYGROUND_MAX_JOBS_PER_SESSION": "1", "RNN_PLAYGROUND_MAX_QUEUE": str(students),
            "RNN_PLAYGROUND_MAX_SECONDS": "300", "RNN_PLAYGROUND_MAX_WEIGHTS": "400000"}


class Student:
    """One student's page and what it showed, with times from pressing Train."""

    def __init__(self, page, name: str, seed: int):
        self.page, self.name, self.seed = page, name, seed
        self.run_id = runs.run_id(config.from_params({"task": "memory", "seed": str(seed)})[0])
        self.pressed = self.training = self.finished = self.on_teacher = None
        self.highest_position, self.said, self.errors = 0, [], []

    def look(self, now: float) -> None:
        page = self.page
        waiting = text_if_shown(page.get_by_test_id("stAlert").filter(has_text=re.compile(r"Queued|Starting")))
        # The icon's ligature name comes first, with or without a line break after it.
        waiting = re.sub(r"^[a-z_]+\s*(?=Queued|Starting)", "", waiting.strip())
        if waiting:
            said = re.sub(r"position \*?\*?\d+\*?\*?", "position N", re.sub(r"behind \d+", "behind M", waiting))
            if said not in self.said:
                self.said.append(said)
            found = re.search(r"position (\d+)", waiting)
            if found:
                self.highest_position = max(self.highest_position, int(found.group(1)))
        elif self.training is None and progress_text(page).count():
            self.training = now
        if page.get_by_text("Trained and saved as run").count():
            self.finished = now
            self.training = self.training or now
        note_errors(page, self.errors)

    def row(self) -> dict:
        def since(moment):
            return round(moment - self.pressed, 2) if moment is not None and self.pressed is not None else None

        delay = (round(self.on_teacher - self.finished, 2)
                 if self.on_teacher is not None and self.finished is not None else None)
        return {"name": self.name, "seed": self.seed, "run_id": self.run_id, "queued_s": since(self.training),
                "finished_s": since(self.finished), "highest_position": self.highest_position,
                "teacher_delay_s": delay, "said_while_waiting": self.said, "errors": self.errors}


def start_class(page, server) -> tuple[str, str]:
    from playwright.sync_api import expect

    page.goto(server.url(""))
    button(page, "Start a class").click()
    codes = page.get_by_test_id("stCode")
    expect(codes).to_have_count(2, timeout=60_000)
    return tuple(codes.nth(index).inner_text().strip() for index in range(2))


def join_all(browser, server, student_link: str, count: int) -> list[Student]:
    """Every student opens the student link, joins under a name and opens the memory lab from the
    class. Each step is asked of every page before any is awaited, so the pages load side by side."""
    from playwright.sync_api import expect

    pages = [browser.new_context().new_page() for _ in range(count)]
    for page in pages:
        page.goto(student_link, wait_until="commit")
    names = [f"Student {index + 1:02d}" for index in range(count)]
    for page, name in zip(pages, names):
        expect(page.get_by_role("heading", name="Join the class")).to_be_visible(timeout=300_000)
        page.get_by_label("Your name", exact=True).fill(name)
        button(page, "Join").click()
    students = []
    for index, (page, name) in enumerate(zip(pages, names)):
        expect(page).to_have_url(re.compile(r"[?&]student="), timeout=300_000)
        query = parse_qs(urlsplit(page.url).query)
        link = {"seed": FIRST_SEED + index, "class": query["class"][0], "student": query["student"][0]}
        page.goto(server.url("memory_lab") + "?" + urlencode(link), wait_until="commit")
        students.append(Student(page, name, FIRST_SEED + index))
    for student in students:
        expect(button(student.page, "Train")).to_be_enabled(timeout=300_000)
    return students


def seconds_apart(readings: list[tuple[float, float]]) -> list[list[float]]:
    """The sampler's readings thinned to one a second: [seconds, MB]."""
    kept, last = [], -1.0
    for seconds, megabytes in readings:
        if seconds - last >= 1.0:
            kept.append([round(seconds, 1), round(megabytes, 1)])
            last = seconds
    return kept


def run_class(browser, count: int, spread: float, timeout: float) -> dict:
    server = start_app(Path(tempfile.mkdtemp(prefix="rnn-class-")), max_jobs=1, extra_env=hosted_profile(count))
    pid = server.process.pid
    try:
        teacher = browser.new_context().new_page()
        student_link, teacher_link = start_class(teacher, server)
        teacher.goto(teacher_link)
        students = join_all(browser, server, student_link, count)
        joined = resident_megabytes(pid)
        sampler = Sampler(pid)
        sampler.start()
        cpu_before, started = cpu_seconds(pid), time.monotonic()
        deadline = started + spread + timeout
        while time.monotonic() < deadline and any(s.finished is None or s.on_teacher is None for s in students):
            now = time.monotonic()
            for index, student in enumerate(students):
                if student.pressed is None and now - started >= index * spread / count:
                    button(student.page, "Train").click()
                    student.pressed = time.monotonic()
                elif student.pressed is not None and student.finished is None:
                    student.look(time.monotonic())
            listed = text_if_shown(teacher.get_by_test_id("stMain"))
            for student in students:
                if student.on_teacher is None and f"run {student.run_id}" in listed:
                    student.on_teacher = time.monotonic()
            time.sleep(POLL_SECONDS)
        cpu = cpu_seconds(pid) - cpu_before
        time.sleep(2)  # every page draws its finished run
        ended = resident_megabytes(pid)
        sampler.running = False
        sampler.join()
        rows = rows_of(students, timeout)
        last = max((s.finished for s in students if s.finished is not None), default=None)
        return {"students": count, "spread_s": spread, "profile": hosted_profile(count),
                "all_finished_s": round(last - started, 1) if last is not None else None,
                "server_cpu_s": round(cpu, 1), "peak_rss_mb": round(sampler.peak),
                "peak_pss_mb": round(sampler.peak_shared), "rss_joined_mb": round(joined),
                "rss_end_mb": round(ended), "rss_mb_by_second": seconds_apart(sampler.readings), "rows": rows}
    finally:
        server.stop()


def summary(result: dict) -> None:
    rows = result["rows"]
    waits = [row["queued_s"] for row in rows if row["queued_s"] is not None]
    delays = [row["teacher_delay_s"] for row in rows if row["teacher_delay_s"] is not None]
    said = sorted({text for row in rows for text in row["said_while_waiting"]})
    failed = [row for row in rows if row["errors"]]
    print(f"{result['students']} students pressing Train over {result['spread_s']:g} s on one slot:")
    print(f"  every run finished after {result['all_finished_s']} s; longest queue wait {max(waits, default=0):.1f} s "
          f"(median {statistics.median(waits) if waits else 0:.1f} s); highest position shown "
          f"{max(row['highest_position'] for row in rows)}")
    print(f"  teacher page listed each run {statistics.median(delays) if delays else float('nan'):.1f} s "
          f"(median) and at most {max(delays, default=float('nan')):.1f} s after the student's page said it was saved")
    print(f"  server RSS {result['rss_joined_mb']} MB once everyone joined, {result['rss_end_mb']} MB at the end")
    print(f"  server peak {result['peak_rss_mb']} MB RSS, {result['peak_pss_mb']} MB PSS; "
          f"{result['server_cpu_s']} CPU s")
    print(f"  students with errors: {len(failed)}" + "".join(f"\n    {row['name']}: {row['errors']}" for row in failed))
    print("  what a waiting student's page said:" + "".join(f"\n    - {text}" for text in said))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds over which the students press Train")
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds after the last press")
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        result = run_class(browser, options.students, options.spread, options.timeout)
        browser.close()
    summary(result)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"class-load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=1))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
