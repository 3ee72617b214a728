"""Peak memory of training one experiment against core/training/budget.py's estimate of it.

Each setting trains in a fresh process: the baseline is its resident memory once torch and the
core are imported, the peak its high-water mark (VmHWM) after building the data and taking a few
steps of every model with an evaluation and a probe at each (eval_every and probe_every are
forced to 1 for the measured steps, as a run's first and last steps always do both). Localhost,
CPU only; the worst setting takes about a minute on two busy cores.

    .venv/bin/python bench/job_memory.py            # the settings below
    .venv/bin/python bench/job_memory.py --worst    # also the worst link within the bounds
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SETTINGS = {
    "memory lab defaults": {},
    "LSTM 128x2, batch 256, distance 200": {"cells": "lstm", "hidden_size": "128", "num_layers": "2",
                                             "batch_size": "256", "distance": "200"},
    "RNN+BiGRU 96, batch 128, distance 150": {"cells": "rnn,bigru", "hidden_size": "96", "batch_size": "128",
                                               "distance": "150"},
}
WORST = {"cells": "rnn,gru,lstm,birnn,bigru,bilstm,bow", "hidden_size": "256", "num_layers": "3",
         "batch_size": "256", "distance": "200", "steps": "5000", "eval_every": "5", "probe_every": "5"}


def _child(params: dict, steps: int) -> None:
    import torch

    from core.tasks.experiment import from_params
    from core.training.trainer import prepare

    def status(field: str) -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
        raise KeyError(field)

    experiment, _ = from_params(params)
    baseline = status("VmRSS")
    trainers = prepare(experiment, torch.device("cpu"))
    for _ in range(steps):
        for trainer in trainers:
            trainer.step()
            if trainer.step_count > 1:  # the first step evaluates and probes by itself
                trainer.evaluate(trainer.step_count)
                trainer.probe(trainer.step_count)
    print(json.dumps({"baseline_mb": baseline, "peak_mb": status("VmHWM") - baseline}))


def measure(params: dict, steps: int = 2, timeout: float = 600) -> tuple[float, float]:
    """(measured peak, estimated peak) in MB of `steps` rounds of an experiment's models."""
    from core.tasks.experiment import from_params
    from core.training.budget import MEGABYTE, expected_shape, footprint

    output = subprocess.run([sys.executable, __file__, "--child", json.dumps(params), str(steps)], cwd=ROOT,
                            capture_output=True, text=True, check=True, timeout=timeout).stdout
    measured = json.loads(output.splitlines()[-1])["peak_mb"]
    experiment, _ = from_params(params)
    # The history of a whole run is estimated apart: a few steps hold almost none.
    estimate = footprint(experiment, expected_shape(experiment), max_steps=steps)
    return measured, (estimate.total - estimate.history) / MEGABYTE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worst", action="store_true", help="also the worst link within the bounds (slow)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        _child(json.loads(options.child[0]), int(options.child[1]))
        return
    settings = dict(SETTINGS)
    if options.worst:
        settings["worst link (7 cells, 256x3, batch 256, distance 200)"] = WORST
    print(f"{'setting':<56} {'measured MB':>12} {'estimate MB':>12} {'ratio':>6}")
    for name, params in settings.items():
        measured, estimate = measure(params, steps=1 if params is WORST else 2)
        print(f"{name:<56} {measured:12.0f} {estimate:12.0f} {estimate / measured:6.2f}", flush=True)


if __name__ == "__main__":
    main()
