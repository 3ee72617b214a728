"""Transfer of the handwriting generator to real writers: train on generated digits only, then
score on a real pen-data file the models never saw (UCI pendigits format).

For each seed, trains the default handwriting experiment (every selected cell, interleaved, with
evaluation and probes, as the app does) and reports per cell: accuracy on the generated
validation split, accuracy on the real file (whole, first and second half, which hold different
writers), per-class accuracy on the real file, and training wall time.

Run from the repository root:
    .venv/bin/python bench/handwriting_transfer.py /work/shared/data/pendigits/pendigits.tra --seeds 0 1
    (add --set KEY=VALUE to change any setting, e.g. --set steps=1200 --set hidden_size=96)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from core.tasks import experiment as config  # noqa: E402
from core.tasks.handwriting import data as handwriting  # noqa: E402
from core.training.trainer import prepare, run_interleaved  # noqa: E402


def accuracy(model: torch.nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[float, torch.Tensor]:
    """Overall accuracy and the predictions."""
    model.eval()
    with torch.no_grad():
        predictions = torch.cat([model(inputs[start:start + 1024]).argmax(dim=-1)
                                 for start in range(0, len(targets), 1024)])
    return float((predictions == targets).float().mean()), predictions


def run(path: Path, seed: int, settings: dict[str, str], threads: int) -> list[dict]:
    params = {"task": "handwriting", "seed": str(seed), **settings}
    experiment, messages = config.from_params(params)
    for message in messages:
        print("  setting:", message)
    started = time.perf_counter()
    trainers = prepare(experiment, device=torch.device("cpu"), threads=threads)
    built = time.perf_counter() - started
    run_interleaved(trainers)
    wall = time.perf_counter() - started
    data = trainers[0].data
    penset = handwriting.read_file("pendigits", path.read_bytes())
    inputs, targets, _ = handwriting.encode_file(data, penset)
    half = len(targets) // 2
    rows = []
    for trainer in trainers:
        real, predictions = accuracy(trainer.model, inputs, targets)
        per_class = {name: float((predictions[targets == index] == index).float().mean())
                     for index, name in enumerate(data.class_names) if (targets == index).any()}
        rows.append({
            "cell": trainer.cell, "generated_val": trainer.history.val_metric[-1], "real": real,
            "real_first_half": float((predictions[:half] == targets[:half]).float().mean()),
            "real_second_half": float((predictions[half:] == targets[half:]).float().mean()),
            "per_class": per_class, "train_seconds": trainer.elapsed, "build_seconds": built, "wall": wall,
        })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path, help="a pen-data file in UCI pendigits format")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    settings = dict(item.split("=", 1) for item in args.set)
    print(f"settings: {settings or 'defaults'}; real file: {args.path}")
    for seed in args.seeds:
        rows = run(args.path, seed, settings, args.threads)
        print(f"seed {seed}: data built in {rows[0]['build_seconds']:.1f} s, "
              f"all cells trained in {rows[0]['wall']:.1f} s (wall, with evaluation and probes)")
        for row in rows:
            classes = " ".join(f"{name}:{value:.2f}" for name, value in row["per_class"].items())
            print(f"  {row['cell']:7s} generated val {row['generated_val']:.3f}  real {row['real']:.3f} "
                  f"(halves {row['real_first_half']:.3f} / {row['real_second_half']:.3f})  "
                  f"train {row['train_seconds']:.1f} s")
            print(f"          per class on the real file: {classes}")


if __name__ == "__main__":
    main()
