"""Real sentences: does the translation lesson translate everyday sentence pairs at the defaults it picks?

Takes a file of tab-separated sentence pairs (the Tatoeba / manythings.org "Anki" layout: English, a
tab, the translation, optionally a tab and the attribution), keeps its short end (the --train-pairs +
--eval-pairs pairs with the shortest English side, in file order among equals, as the Anki files are
sorted), shuffles them with --seed and writes the first --eval-pairs to an evaluation file and the
rest to a training file, so every scored pair is unseen in training. Then it trains exactly what a
user would, through the command line the app shares,

    python -m core train translation --train-file tsv:TRAIN --eval-file tsv:EVAL --json

in a private run store, with one torch thread as the CLI sets it, and prints per model chrF, BLEU
(sacrebleu, corpus level) and exact match on the evaluation pairs, the chrF and BLEU of copying the
source unchanged, the settings the defaults chose for the file, the process wall time and the load
average before and after (the machine is shared: a loaded machine gives pessimistic times).
`--set KEY=VALUE` passes a setting on, so variants are measured the same way.

Run from the repository root, for example:
  .venv/bin/python bench/sentences.py /work/scratch/sentences/deu.txt
  .venv/bin/python bench/sentences.py pol.txt --set cells=gru --seed 1
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.tasks.translation import pair_files  # noqa: E402


def short_pairs(path: Path, count: int) -> list[tuple[str, str]]:
    """The `count` pairs with the shortest source (words, then characters), read as the app reads them."""
    pairs = pair_files.read_pairs(path.read_bytes(), max_bytes=10**9, max_pairs=10**9)
    order = sorted(range(len(pairs)), key=lambda index: (len(pairs.sources[index].split()),
                                                         len(pairs.sources[index]), index))
    if len(order) < count:
        raise SystemExit(f"{path} has {len(order):,} usable pairs; {count:,} are needed.")
    return [(pairs.sources[index], pairs.targets[index]) for index in order[:count]]


def split_files(path: Path, train_pairs: int, eval_pairs: int, seed: int, folder: Path) -> tuple[Path, Path]:
    """Training and evaluation files of disjoint pairs from the short end of `path`."""
    pairs = short_pairs(path, train_pairs + eval_pairs)
    random.Random(seed).shuffle(pairs)
    written = []
    for name, chosen in (("train", pairs[eval_pairs:]), ("eval", pairs[:eval_pairs])):
        target = folder / f"{path.stem}.{name}.tsv"
        target.write_text("".join(f"{source}\t{translation}\n" for source, translation in chosen), encoding="utf-8")
        written.append(target)
    return written[0], written[1]


def copy_scores(eval_file: Path) -> dict[str, float]:
    """chrF and BLEU of writing each source unchanged: what a model must beat to have learned anything."""
    from sacrebleu.metrics import BLEU, CHRF

    from core.data import tokens
    from core.tasks.translation.data import TEXT_FORM

    pairs = pair_files.read_pairs(eval_file.read_bytes(), max_pairs=10**9)
    sources = [tokens.normalise(text, TEXT_FORM) for text in pairs.sources]
    references = [tokens.normalise(text, TEXT_FORM) for text in pairs.targets]
    return {"chrf": CHRF().corpus_score(sources, [references]).score,
            "bleu": BLEU().corpus_score(sources, [references]).score}


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pairs", type=Path, help="a tab-separated file of sentence pairs (Anki or Tatoeba layout)")
    parser.add_argument("--train-pairs", type=int, default=16000)
    parser.add_argument("--eval-pairs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0, help="shuffles the split and seeds the run")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--keep", type=Path, help="also write the training and evaluation files to this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        train_file, eval_file = split_files(args.pairs, args.train_pairs, args.eval_pairs, args.seed, Path(folder))
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for file in (train_file, eval_file):
                (args.keep / file.name).write_bytes(file.read_bytes())
        copied = copy_scores(eval_file)
        command = [sys.executable, "-m", "core", "train", "translation", "--seed", str(args.seed),
                   "--train-file", f"tsv:{train_file}", "--eval-file", f"tsv:{eval_file}", "--json",
                   *sum((["--set", item] for item in args.overrides), [])]
        shown = " ".join(part if not part.startswith("tsv:") else f"tsv:{Path(part[4:]).name}" for part in command[1:])
        print(f"python {shown}", flush=True)
        # A private store and cache: the run is trained here, not read back from the user's store.
        environment = {**os.environ, "RNN_PLAYGROUND_DB": str(Path(folder) / "runs.sqlite")}
        before = load()
        started = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)
        wall = time.perf_counter() - started
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        after = load()
    if result.returncode != 0:
        raise SystemExit(f"the run failed:\n{result.stderr[-3000:]}")
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"file {args.pairs.name}: {args.train_pairs:,} training pairs, {args.eval_pairs:,} unseen pairs scored "
          f"(the short end, split with seed {args.seed})")
    if summary.get("settings"):
        print("settings the defaults chose: " + ", ".join(f"{key}={value}" for key, value in summary["settings"].items()))
    print(f"copying the source: chrF {copied['chrf']:.1f}  BLEU {copied['bleu']:.1f}")
    for name, score in summary.get("eval", {}).items():
        model = summary["models"][name]
        best = f"  best step {model['best_step']}" if model.get("best_step") else ""
        print(f"{name:16s} chrF {score['chrf']:5.1f}  BLEU {score.get('bleu', float('nan')):5.1f}  "
              f"exact {score['exact']:.3f}  chrF over copying {score['chrf'] - copied['chrf']:+.1f}  "
              f"steps {model['steps']}{best}  {model['status']}")
    # With one torch thread the process's CPU time is about what its wall time is on a quiet machine.
    print(f"process wall {wall:.0f} s (run {summary['wall_seconds']:.0f} s), CPU {used.ru_utime + used.ru_stime:.0f} s; "
          f"load average before {before}, after {after} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
