"""Server memory through uploads by many sessions, and after those sessions have closed.

Starts `streamlit run app.py` on a free localhost port with a private run store (a default server:
no budget variables set), opens `--sessions` Chromium sessions (Debian's /usr/bin/chromium) on the
sentiment page, and in each uploads `--uploads` tables of `--megabytes` MB and presses "Train on
this table" for each, as a visitor keeps a file. It prints the server process's resident memory
after start, after each session's uploads, right after the sessions close, and `--wait-minutes` later (Streamlit keeps a closed tab's session for a reconnect for
`server.disconnectedSessionTTL`, 120 s, before it may drop it), and what `/_stcore/metrics` tells
anyone at each point. `--app-root` runs another checkout of the app (an older commit unpacked with
`git archive`) with this repository's environment, to compare.

Run from the repository root (needs the dev requirements and Debian's chromium):
  .venv/bin/python bench/uploads_memory.py                     # 10 sessions x 2 uploads, 5 minutes
  .venv/bin/python bench/uploads_memory.py --wait-minutes 0.5  # a quick look

Measured on a shared 2-core, 24 GB machine, 10 sessions x 2 tables of 8 MB, 5 minutes (both runs
at once): this commit 607 MB after the 20 uploads, 555 MB when the sessions had closed, 560 MB five
minutes later, the metrics endpoint empty; the code before it (issue 22) 648, 613 and 613 MB, with
83.9 MB of uploaded bytes still held and shown by /_stcore/metrics five minutes after the close.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from browser_support import CHROMIUM, CHROMIUM_ARGS, STARTUP_SECONDS, AppServer, button, free_port  # noqa: E402


def memory(pid: int) -> str:
    """The server process's resident memory (its training workers are forked from the fork server,
    which the server starts from another thread, so /proc does not list them as its children)."""
    own = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("VmRSS:")) / 1024
    return f"server {own:5.0f} MB RSS"


WORDS = ("good", "bad", "great", "awful", "plot", "acting", "film", "boring", "fun", "slow", "loved", "hated")


def table(megabytes: float, seed: int) -> bytes:
    """A CSV of reviews and labels of about `megabytes` MB, different for every seed."""
    chooser = random.Random(seed)
    rows, size = ["text,label"], 0
    while size < megabytes * 2 ** 20:
        label = chooser.choice(("pos", "neg"))
        row = f"{' '.join(chooser.choices(WORDS, k=12))} {seed},{label}"
        rows.append(row)
        size += len(row) + 1
    return ("\n".join(rows) + "\n").encode()


def start(app_root: Path, store: Path) -> AppServer:
    """A default server of the app at `app_root`: only the store and the log are its own."""
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("RNN_PLAYGROUND_")}
    env.update({"RNN_PLAYGROUND_DB": str(store / "runs.sqlite"), "PYTHONUNBUFFERED": "1"})
    log_path = store / "streamlit.log"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=app_root, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = AppServer(process, port, log_path)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(server.url("_stcore/health"), timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"the server did not answer:\n{server.log()}")


def metrics(server: AppServer) -> str:
    """What /_stcore/metrics tells anyone about uploads and caches, in one line."""
    with urllib.request.urlopen(server.url("_stcore/metrics"), timeout=10) as response:
        lines = [line for line in response.read().decode().splitlines() if line and not line.startswith("#")]
    uploads = [line for line in lines if "UploadedFileManager" in line]
    caches = [line for line in lines if line.startswith("cache_memory_bytes")]
    held = sum(float(line.rsplit(" ", 1)[1]) for line in uploads) / 1e6
    return f"{len(lines)} metric lines; uploaded bytes shown: {held:.1f} MB; cache size lines: {len(caches)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--uploads", type=int, default=2, help="tables each session uploads and keeps")
    parser.add_argument("--megabytes", type=float, default=8.0, help="size of each table")
    parser.add_argument("--wait-minutes", type=float, default=5.0, help="how long after the sessions close to measure")
    parser.add_argument("--app-root", type=Path, default=ROOT, help="the checkout of the app to serve")
    options = parser.parse_args()
    from playwright.sync_api import expect, sync_playwright

    store = Path(tempfile.mkdtemp(prefix="rnn-uploads-"))
    server = start(options.app_root.resolve(), store)
    pid = server.process.pid
    refused = 0
    try:
        time.sleep(1)
        print(f"app: {options.app_root.resolve()}; {options.sessions} sessions x {options.uploads} uploads of "
              f"{options.megabytes:g} MB")
        print(f"after start                      {memory(pid)}   {metrics(server)}")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            contexts = []
            for session in range(options.sessions):
                context = browser.new_context()
                contexts.append(context)
                page = context.new_page()
                page.goto(server.url("sentiment") + "?source=upload&train_size=500&vocab_size=100")
                chooser = page.locator('[data-testid="stFileUploader"] input[type="file"]')
                for upload in range(options.uploads):
                    content = table(options.megabytes, seed=session * 100 + upload)
                    chooser.set_input_files(files=[{"name": f"reviews{upload}.csv", "mimeType": "text/csv",
                                                    "buffer": content}])
                    rows = content.count(b"\n") - 1
                    # This table's summary, so the button pressed is this table's, not the last one's.
                    # (A table past 25,000 rows is sampled: "Sampled 25,000 of N rows".)
                    expect(page.get_by_text(re.compile(rf"\b{rows:,} rows")).first).to_be_visible(timeout=120_000)
                    keep = button(page, "Train on this table")
                    before = page.url
                    keep.click()
                    refusal = page.get_by_text("Each visitor may keep")
                    deadline = time.monotonic() + 120
                    while page.url == before and not refusal.count() and time.monotonic() < deadline:
                        page.wait_for_timeout(200)  # until the kept copy's key is in the URL, or refused
                    refused += refusal.count()
                print(f"after session {session + 1:2d}'s uploads         {memory(pid)}")
            print(f"after {options.sessions * options.uploads} uploads                  {memory(pid)}   "
                  f"{metrics(server)}")
            for context in contexts:
                context.close()
            time.sleep(2)
            print(f"sessions closed                  {memory(pid)}   {metrics(server)}")
            time.sleep(options.wait_minutes * 60)
            # A page view by someone else (the app lets go of forgotten sessions' uploads on a view).
            page = browser.new_context().new_page()
            page.goto(server.url())
            time.sleep(5)
            print(f"{options.wait_minutes:g} min later, one page view   {memory(pid)}   "
                  f"{metrics(server)}")
            browser.close()
    finally:
        server.stop()
    kept = sorted((store / "uploads").glob("*.csv")) if (store / "uploads").is_dir() else []
    print(f"files kept: {len(kept)}, {sum(path.stat().st_size for path in kept) / 1e6:.1f} MB; share refusals: {refused}")


if __name__ == "__main__":
    main()
