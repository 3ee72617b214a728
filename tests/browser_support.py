"""Helpers for the browser tests: the app server, the Chromium check and locators for the page.

The server is a real `streamlit run` of app.py on a free port, with a private run store and one
training slot; locators follow the DOM of Streamlit 1.67 (react-aria sliders are
`input[type=range]` elements whose value is the slider's value).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
STARTUP_SECONDS = 60.0


def require_chromium() -> None:
    """Skip (or, under CI, fail) when the browser tests cannot run here."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (install Debian's chromium package; never `playwright install`)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError as error:
            problem = f"the playwright Python package is not importable: {error}"
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"Browser tests must run under CI, but {problem}.", pytrace=False)
    pytest.skip(f"Browser tests skipped: {problem}.")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class AppServer:
    process: subprocess.Popen
    port: int
    log_path: Path
    store_path: Path | None = None  # the run store the server reads (RNN_PLAYGROUND_DB)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "") -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def log(self, start: int = 0) -> str:
        """The server's output from byte `start` on."""
        with open(self.log_path, "rb") as log:
            log.seek(start)
            return log.read().decode(errors="replace")

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_app(tmp_dir: Path, max_jobs: int = 1, extra_env: dict[str, str] | None = None) -> AppServer:
    """A fresh server on a free port with a private run store; `extra_env` sets further variables."""
    port = free_port()
    log_path = tmp_dir / "streamlit.log"
    env = dict(os.environ)
    env.update({
        "RNN_PLAYGROUND_DB": str(tmp_dir / "runs.sqlite"),
        "RNN_PLAYGROUND_MAX_JOBS": str(max_jobs),
        "PYTHONUNBUFFERED": "1",
    })
    for name in ("RNN_PLAYGROUND_MAX_STEPS", "RNN_PLAYGROUND_MAX_SECONDS", "RNN_PLAYGROUND_BACKEND",
                 "RNN_PLAYGROUND_WARM_ON_START"):
        env.pop(name, None)  # a budget from the caller's shell would change what the tests see
    env.update(extra_env or {})
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
        "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = AppServer(process, port, log_path, Path(env["RNN_PLAYGROUND_DB"]))
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode} before answering:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.url("_stcore/health"), timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"streamlit did not answer /_stcore/health within {STARTUP_SECONDS:g} s:\n"
                               f"{server.log()}")
        time.sleep(0.2)


# --- locators -------------------------------------------------------------------------------------

def slider(page, label: str):
    """The range input of the sidebar slider (or select slider) with this label."""
    return page.locator(f'[data-testid="stSlider"] input[type="range"][aria-label="{label}"]')


def number_input(page, label: str):
    return page.get_by_test_id("stNumberInput").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True)).locator("input")


def multiselect_tags(page, label: str):
    box = page.get_by_test_id("stMultiSelect").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True))
    return box.locator('[data-testid="stMultiSelectTagsContainer"] [data-tag]')


def button(page, name: str):
    # Buttons with a material icon read "play_arrow Train"; match the label at the end.
    return page.get_by_role("button", name=re.compile(rf"(^|\s){re.escape(name)}$"))


def share_code(page):
    return page.get_by_test_id("stCode").locator("code")


def progress_text(page):
    # "Training 2 models: 156 of 800 steps each, 4.2 s" (or "Training 1 model: ...").
    return page.get_by_test_id("stProgress").get_by_text(re.compile(r"^Training \d+ models?: \d+ of \d+ steps"))


def charts(page):
    return page.get_by_test_id("stVegaLiteChart")


def one_page_of_each_kind() -> list[str]:
    """Page names (pages/<name>.py) for browser tests that need not open every page: the pages that
    are not lessons, and the first lesson's. The lessons' pages are one shape (a title over
    ui.lab.lesson), and tests/test_plain_text.py opens every page through AppTest; the browser adds
    what only Streamlit's own renderer does, which is the same on every lesson page."""
    from core.tasks.registry import tasks
    from ui.navigation import page_entries

    lessons = {record.page.path for record in tasks()}
    entries = [path for path, _, _ in page_entries()]
    chosen = [path for path in entries if path not in lessons] + [next(p for p in entries if p in lessons)]
    return [Path(path).stem for path in entries if path in chosen]


def store_trained_run(server: AppServer, params: dict) -> str:
    """Train a link's experiment in this process and store it, weights and all, where the server
    reads: the page then opens it finished, as a shared link does. For tests about a finished page,
    where a browser watching the run train would only cost seconds."""
    from core.store.runs import RunStore
    from core.tasks import experiment as config
    from core.training.trainer import prepare, run_interleaved

    experiment, messages = config.from_params(params)
    assert not messages, messages
    trainers = prepare(experiment)
    run_interleaved(trainers)
    return RunStore(server.store_path).save(experiment, {t.cell: t.history for t in trainers},
                                            weights={t.cell: t.model.state_dict() for t in trainers})
