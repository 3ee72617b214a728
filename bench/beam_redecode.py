"""Benchmark: how long the translation page takes to re-read a finished run with a wider beam.

Moving "Beam width" after training re-decodes the stored models' validation pairs instead of
retraining (issue 17, item 17). This trains the translation defaults (or any --set overrides) for
--steps steps, then times `Translation.validation_scores` per model at each --widths, one torch
thread as the app's server uses, and prints the median over --repeats per width, for all models
together (what the page waits for).

Run from the repository root:
  .venv/bin/python bench/beam_redecode.py [--steps 600] [--widths 1 4 8] [--set largest=999]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from core.tasks import experiment as config  # noqa: E402
from core.training.trainer import prepare, run_interleaved  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="600")
    parser.add_argument("--widths", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--set", action="append", default=[], help="setting=value overrides")
    args = parser.parse_args()
    torch.set_num_threads(1)
    params = {"task": "translation", "steps": args.steps, **dict(item.split("=", 1) for item in args.set)}
    experiment, messages = config.from_params(params)
    if messages:
        sys.exit("; ".join(messages))
    trainers = prepare(experiment)
    started = time.perf_counter()
    run_interleaved(trainers)
    print(f"trained {len(trainers)} models for {args.steps} steps in {time.perf_counter() - started:.1f} s; "
          f"{trainers[0].data.val_targets.shape[0]} validation pairs")
    for width in args.widths:
        times = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            scores = [t.data.problem.validation_scores(t.model, t.data, width)[1:] for t in trainers]
            times.append(time.perf_counter() - started)
        exact = ", ".join(f"{t.cell} {score[0]:.3f}" for t, score in zip(trainers, scores))
        print(f"beam {width}: median {statistics.median(times):.2f} s over {args.repeats} (exact: {exact})")


if __name__ == "__main__":
    main()
