"""Benchmark of the translation demo's acceptance run: how fast attention learns unseen number words.

For each seed, trains the translation defaults (English to German number words 0-999, LSTM encoder,
no attention against additive attention; or any --set overrides) in a fresh process with a private
run store and one torch thread, as the app and the CLI do, and reports per model:
  - exact match and chrF on the held-out numbers at the end,
  - the training time (its own steps, both models interleaved) and step at which exact match
    first reached --target (default 0.95), read from the run's own history,
  - the process wall time of the whole run (data, both models, every evaluation).
Medians over the seeds are printed last.

Run from the repository root:
  .venv/bin/python bench/translation_bench.py --seeds 0 1 [--set steps=1500 --set cells=gru]
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


def one_run(seed: int, settings: list[str]) -> dict:
    """Train in this process (called in a child), returning the per-model figures as JSON-ready data."""
    sys.path.insert(0, str(ROOT))
    from core.tasks import experiment as config
    from core.training.trainer import prepare, run_interleaved

    params = {"task": "translation", "seed": str(seed)}
    params.update(item.split("=", 1) for item in settings)
    experiment, messages = config.from_params(params)
    if messages:
        raise SystemExit("; ".join(messages))
    started = time.perf_counter()
    trainers = prepare(experiment, threads=1)
    run_interleaved(trainers)
    wall = time.perf_counter() - started
    models = {}
    for trainer in trainers:
        history = trainer.history
        models[trainer.cell] = {
            "exact": history.final_val_metric(), "chrF": history.final_scores().get("chrF"),
            "status": history.status,
            # Each evaluation's step, and the seconds all models had trained by then (they interleave).
            "curve": [(step, value, _seconds_at(trainers, step)) for step, value in
                      zip(history.eval_steps, history.val_metric)],
        }
    return {"seed": seed, "wall": wall, "models": models}


def _seconds_at(trainers, step: int) -> float:
    """Training time of every model up to `step`: what a person waits for both curves to get there."""
    return sum(t.history.wall_seconds[min(step, len(t.history.wall_seconds)) - 1] for t in trainers)


def first_reaching(curve: list, target: float) -> tuple[int, float] | None:
    for step, value, seconds in curve:
        if value is not None and value >= target:
            return step, seconds
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--target", type=float, default=0.95)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child is not None:
        print(json.dumps(one_run(options.child, options.set)))
        return
    finals: dict[str, list[tuple[float, float]]] = {}
    for seed in options.seeds:
        with tempfile.TemporaryDirectory() as folder:
            env = {**os.environ, "RNN_PLAYGROUND_DB": str(Path(folder) / "runs.sqlite"),
                   "RNN_PLAYGROUND_CACHE": folder}
            command = [sys.executable, __file__, "--child", str(seed), *sum((["--set", s] for s in options.set), [])]
            result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
        if result.returncode != 0:
            raise SystemExit(result.stderr)
        run = json.loads(result.stdout.strip().splitlines()[-1])
        print(f"seed {seed}: process wall {run['wall']:.1f} s")
        for name, model in run["models"].items():
            reached = first_reaching(model["curve"], options.target)
            when = (f"reached {options.target:g} at step {reached[0]} after {reached[1]:.1f} s of training"
                    if reached else f"never reached {options.target:g}")
            print(f"  {name:22s} exact {model['exact']:.3f}  chrF {model['chrF']:.1f}  {model['status']}; {when}")
            finals.setdefault(name, []).append((model["exact"], model["chrF"]))
    for name, values in finals.items():
        print(f"{name}: median exact {statistics.median(v[0] for v in values):.3f}, "
              f"median chrF {statistics.median(v[1] for v in values):.1f} over {len(values)} seed(s)")


if __name__ == "__main__":
    main()
