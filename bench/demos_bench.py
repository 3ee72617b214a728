"""Benchmark of the demos' acceptance runs: the CLI at default settings, timed end to end.

For each case, runs `python -m core train TASK ... --json` as a fresh process (private run store,
so nothing is reused) --repeats times with different seeds and reports the process wall time and
each model's validation accuracy, accuracy by kind of example and, where a file is given, its
accuracy on that file. Medians are printed last.

Cases:
  sentiment            default word-order puzzles (RNN, LSTM, BiLSTM, bag of words)
  sentiment-long       the "long range" preset of the sentiment page
  sentiment-reviews    the real review corpus (source=reviews)
  handwriting          default generated digits (GRU, LSTM, BiLSTM)

Run from the repository root:
  .venv/bin/python bench/demos_bench.py sentiment handwriting [--repeats 2] [--seeds 0 1]
      [--pendigits PATH]   also score handwriting models on a UCI pendigits file (measurement only)
      [--reviews-eval csv:PATH]   also score review models on another site's labelled sentences
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.tasks.registry import presets  # noqa: E402


def preset_arguments(title_part: str) -> list[str]:
    [preset] = [p for p in presets() if title_part in p.title.lower()]
    arguments = []
    for key, value in preset.params.items():
        value = ",".join(value) if isinstance(value, list) else value
        arguments += ["--cells", value.lower()] if key == "cells" else ["--set", f"{key}={value}"]
    return arguments


def cases(options: argparse.Namespace) -> dict[str, list[str]]:
    reviews = ["--set", "source=reviews"]
    if options.reviews_eval:
        reviews += ["--eval-file", options.reviews_eval]
    handwriting = ["--eval-file", f"pendigits:{options.pendigits}"] if options.pendigits else []
    return {
        "sentiment": ["sentiment"],
        "sentiment-long": ["sentiment", *preset_arguments("long range")],
        "sentiment-reviews": ["sentiment", *reviews],
        "handwriting": ["handwriting", *handwriting],
    }


def run(arguments: list[str], seed: int, database: Path) -> dict:
    env = {**os.environ, "RNN_PLAYGROUND_DB": str(database)}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "core", "train", *arguments, "--seed", str(seed), "--json"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(arguments)} failed:\n{result.stderr}")
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    summary["process_seconds"] = wall
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="+", choices=["sentiment", "sentiment-long", "sentiment-reviews",
                                                     "handwriting"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--pendigits", help="a UCI pendigits file to score handwriting models on")
    parser.add_argument("--reviews-eval", help="FORMAT:PATH of labelled sentences to score review models on")
    options = parser.parse_args()
    table = cases(options)
    for name in options.cases:
        walls, accuracies = [], {}
        for seed in options.seeds:
            with tempfile.TemporaryDirectory() as folder:
                summary = run(table[name], seed, Path(folder) / "runs.sqlite")
            walls.append(summary["process_seconds"])
            print(f"{name} seed {seed}: {summary['process_seconds']:.1f} s")
            for cell, model in summary["models"].items():
                accuracies.setdefault(cell, []).append(model["val_metric"])
                groups = {key: round(value, 3) for key, value in model.get("groups", {}).items()}
                extra = f"  eval {summary['eval'][cell]:.3f}" if "eval" in summary else ""
                print(f"  {cell:7s} val {model['val_metric']:.3f}{extra}  {groups}")
        print(f"{name}: median process time {statistics.median(walls):.1f} s over {len(walls)} run(s); "
              + ", ".join(f"{cell} median val {statistics.median(values):.3f}" for cell, values in accuracies.items()))


if __name__ == "__main__":
    main()
