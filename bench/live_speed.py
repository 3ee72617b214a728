"""Live training in the browser against the CLI, one after the other, on the memory lab defaults.

Prints steps per second for each, counted alike: all models' steps over the wall time from the
start of training (CLI: its own summary's wall time; browser: from pressing Train to the finished
run's message), and the time to switch pages while two jobs train. Each run uses a private run
store, so neither reuses the other's result. Localhost only; about two minutes on two cores.

    .venv/bin/python bench/live_speed.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import CHROMIUM, CHROMIUM_ARGS, button, start_app  # noqa: E402


def cli_speed(folder: Path) -> float:
    env = {**os.environ, "RNN_PLAYGROUND_DB": str(folder / "cli.sqlite")}
    output = subprocess.run([sys.executable, "-m", "core", "train", "memory", "--json"], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True).stdout.splitlines()[-1]
    result = json.loads(output)
    steps = sum(model["steps"] for model in result["models"].values())
    return steps / result["wall_seconds"]


def browser_speed(folder: Path) -> tuple[float, float]:
    from playwright.sync_api import expect, sync_playwright

    server = start_app(folder, max_jobs=2)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page()
            page.goto(server.url("memory_lab"))
            expect(button(page, "Train")).to_be_enabled(timeout=60_000)
            started = time.monotonic()
            button(page, "Train").click()
            expect(page.get_by_text("Loaded finished run")).to_be_visible(timeout=600_000)
            wall = time.monotonic() - started
            from core.config import from_params
            from core.runs import RunStore, run_id

            stored = RunStore(folder / "runs.sqlite").load(run_id(from_params({})[0]))
            steps = sum(len(history.steps) for history in stored.histories.values())
            # Page switch while two jobs train: a second tab trains another seed.
            other = browser.new_page()
            other.goto(server.url("memory_lab") + "?seed=1")
            button(other, "Train").click()
            page.goto(server.url("memory_lab") + "?seed=2")
            button(page, "Train").click()
            time.sleep(3)  # both jobs under way before the switch is timed
            switch_started = time.monotonic()
            page.get_by_role("link", name="Home").first.click()
            expect(page.get_by_text("Short memory").first).to_be_visible(timeout=30_000)
            switch = time.monotonic() - switch_started
            browser.close()
        return steps / wall, switch
    finally:
        server.stop()


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        cli = cli_speed(folder)
        live, switch = browser_speed(folder)
    print(f"CLI      {cli:8.1f} steps/s")
    print(f"browser  {live:8.1f} steps/s  ({live / cli:.2f}x the CLI)")
    print(f"page switch while two jobs train: {switch:.2f} s")


if __name__ == "__main__":
    main()
