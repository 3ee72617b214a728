"""Benchmark of the named-entity lesson's acceptance run: the page's defaults, timed, per seed.

For each seed, trains the named-entity defaults (RNN, LSTM, BiLSTM and the word-by-word baseline,
or any --set overrides) through `python -m core train ner --json` in a fresh process with a private
run store, as a visitor's Train does, and prints per model the entity F1 on unseen sentences and
on the kind decided only by the words after the name, and the process's wall time. Medians over
the seeds come last.

Run from the repository root:
  .venv/bin/python bench/ner_bench.py --seeds 0 1 2 [--set steps=300]
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


def run(seed: int, overrides: list[str]) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "core", "train", "ner", "--seed", str(seed), "--json"]
        for item in overrides:
            command += ["--set", item]
        environment = {**os.environ, "RNN_PLAYGROUND_DB": str(Path(folder) / "runs.sqlite"),
                       "RNN_PLAYGROUND_CACHE": str(Path(folder) / "cache")}
        started = time.perf_counter()
        finished = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, check=True)
        return time.perf_counter() - started, json.loads(finished.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--set", action="append", default=[], help="setting=value overrides")
    args = parser.parse_args()
    walls, overall, after = [], {}, {}
    for seed in args.seeds:
        wall, result = run(seed, args.set)
        walls.append(wall)
        print(f"seed {seed}: {wall:.1f} s wall")
        for name, model in result["models"].items():
            groups = model.get("groups", {})
            overall.setdefault(name, []).append(model["val_metric"])
            after.setdefault(name, []).append(groups.get("after"))
            print(f"  {name:8s} entity F1 {model['val_metric']:.3f}  decided only by the words after "
                  f"{groups.get('after', float('nan')):.3f}")
    print(f"median wall {statistics.median(walls):.1f} s over {len(walls)} seeds")
    for name in overall:
        print(f"  {name:8s} median entity F1 {statistics.median(overall[name]):.3f}, after "
              f"{statistics.median(v for v in after[name] if v is not None):.3f}")


if __name__ == "__main__":
    main()
