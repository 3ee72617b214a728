"""Real reviews: does a recurrent model beat the bag of words on Rotten Tomatoes snippets, and on other sites?

Trains the sentiment page's "Real movie reviews" preset (its cells and settings, the page's defaults for
the reviews source) through the command line the app shares, `python -m core train sentiment ... --json`,
once per seed, in a private run store, and prints each model's validation accuracy on held-out films,
the median over the seeds, the wall seconds of each run and the recurrent models' margins over the bag
of words. `--other FILE` also scores every trained run on labelled review sentences from another source
(the run is trained on Rotten Tomatoes only): a table the app reads, or a headerless `sentence<TAB>0|1`
file such as the Amazon, Yelp and IMDB files of the UCI "Sentiment Labelled Sentences" set (Kotzias et
al., 2015), which is converted to a table with a header first. `--set KEY=VALUE` changes a setting, so
variants of the preset are measured the same way.

Run from the repository root, for example:
  .venv/bin/python bench/reviews.py
  .venv/bin/python bench/reviews.py --other /tmp/reviews_scratch/imdb_labelled.txt \\
      --other /tmp/reviews_scratch/yelp_labelled.txt --other /tmp/reviews_scratch/amazon_cells_labelled.txt
  .venv/bin/python bench/reviews.py --set steps=1200 --set lr=0.001 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.tasks.sentiment.presets import PRESETS  # noqa: E402

PRESET_TITLE = "Real movie reviews"


def preset_arguments(overrides: list[str]) -> list[str]:
    """The preset's settings as command-line arguments, each `--set` override replacing the preset's."""
    (preset,) = [preset for preset in PRESETS if preset.title == PRESET_TITLE]
    params = dict(preset.params)
    for override in overrides:
        name, _, value = override.partition("=")
        params[name] = value
    arguments = []
    for name, value in params.items():
        value = ",".join(value) if isinstance(value, list) else value
        arguments += ["--cells", value] if name == "cells" else ["--set", f"{name}={value}"]
    return arguments


def as_table(path: Path, folder: Path) -> Path:
    """The file itself when it has a header the app reads; a headerless `sentence<TAB>label` file is
    copied under a `text<TAB>label` header, with any tab or quote inside a sentence kept as text."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    first = lines[0].lower().split("\t") if lines else []
    if "text" in first and "label" in first:
        return path
    rows = []
    for line in lines:
        text, _, label = line.rpartition("\t")
        if text.strip() and label.strip() in ("0", "1"):
            rows.append(f"{' '.join(text.replace(chr(34), chr(39)).split())}\t{label.strip()}")
    copy = folder / (path.stem + ".tsv")
    copy.write_text("text\tlabel\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return copy


def train(seed: int, arguments: list[str], environment: dict[str, str], eval_file: Path | None,
          reuse: bool) -> dict:
    command = [sys.executable, "-m", "core", "train", "sentiment", "--seed", str(seed), "--json", *arguments]
    if eval_file is not None:
        command += ["--eval-file", f"tsv:{eval_file}"]
    if reuse:
        command.append("--reuse")
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--other", type=Path, action="append", default=[], metavar="FILE",
                        help="labelled review sentences from another source, scored by the runs trained here")
    args = parser.parse_args()
    arguments = preset_arguments(args.overrides)
    print("python -m core train sentiment", " ".join(arguments), flush=True)
    with tempfile.TemporaryDirectory() as folder:
        # A private store, so a run is trained here and not read back from the user's store.
        environment = {**os.environ, "RNN_PLAYGROUND_DB": str(Path(folder) / "runs.sqlite")}
        others = [as_table(path, Path(folder)) for path in args.other]
        accuracy: dict[str, list[float]] = {}
        other: dict[str, dict[str, list[float]]] = {}
        seconds = []
        for seed in args.seeds:
            summary = train(seed, arguments, environment, None, reuse=False)
            seconds.append(summary["wall_seconds"])
            for name, model in summary["models"].items():
                accuracy.setdefault(name, []).append(model["val_metric"])
            for original, table in zip(args.other, others):
                scored = train(seed, arguments, environment, table, reuse=True)["eval"]
                for name, score in scored.items():
                    value = score["accuracy"] if isinstance(score, dict) else score
                    other.setdefault(original.name, {}).setdefault(name, []).append(value)
            shown = "  ".join(f"{name} {values[-1]:.3f}" for name, values in accuracy.items())
            print(f"seed {seed}: {shown}  ({summary['wall_seconds']:.0f} s)", flush=True)
    medians = {name: statistics.median(values) for name, values in accuracy.items()}
    print("median over seeds " + " ".join(map(str, args.seeds)) + ": "
          + "  ".join(f"{name} {value:.3f}" for name, value in medians.items())
          + f"  (run wall seconds: median {statistics.median(seconds):.0f}, max {max(seconds):.0f})")
    if "bow" in medians:
        margins = {name: value - medians["bow"] for name, value in medians.items() if name != "bow"}
        print("margin over bag of words (points): "
              + "  ".join(f"{name} {100 * value:+.1f}" for name, value in margins.items()))
    for name, scores in other.items():
        print(f"on {name} (median): " + "  ".join(
            f"{model} {statistics.median(values):.3f}" for model, values in scores.items()))


if __name__ == "__main__":
    main()
