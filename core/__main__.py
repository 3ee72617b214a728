"""Command line: train headless, list stored runs, export and import run bundles.

    python -m core train memory --cells rnn,lstm --seed 0 --steps 600 --set distance=80 --json
    python -m core runs
    python -m core export RUN_ID > run.json ; python -m core import run.json

Settings go through the same validator as share links; anything it would change is an error here
(exit code 2, one line), since a command line should do exactly what it says.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import NoReturn, Sequence

from core import config
from core.history import combined_status
from core.runs import BundleError, RunStore

EXIT_USAGE = 2


class UsageError(Exception):
    """A mistake in the command line: reported in one line with exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> Parser:
    parser = Parser(prog="python -m core", description="RNN Playground's engine, without the browser.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    train = commands.add_parser("train", help="train an experiment and save it to the run store",
                                epilog="Settings (--set KEY=VALUE):\n" + config.describe(),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_argument("task", help=f"one of: {', '.join(config.TASKS)}")
    train.add_argument("--cells", help=f"comma-separated, from: {', '.join(config.CELLS)}")
    train.add_argument("--seed", help="random seed (data, weights, batches)")
    train.add_argument("--steps", help="optimizer steps per model")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="any other setting")
    train.add_argument("--json", action="store_true", help="print one JSON summary as the last line")
    train.add_argument("--reuse", action="store_true",
                       help="return a finished stored run with the same id instead of training")
    runs = commands.add_parser("runs", help="list stored runs, newest first")
    runs.add_argument("--json", action="store_true")
    export = commands.add_parser("export", help="print a run as a JSON bundle (config and history)")
    export.add_argument("run_id")
    imported = commands.add_parser("import", help="store a JSON bundle made by export")
    imported.add_argument("path")
    return parser


def experiment_from_args(args: argparse.Namespace) -> config.Experiment:
    params: dict[str, object] = {"task": args.task}
    for item in args.set:
        key, separator, value = item.partition("=")
        if not separator or not key:
            raise UsageError(f"--set expects KEY=VALUE, got {item!r}")
        params[key.strip()] = value.strip()
    for name in ("cells", "seed", "steps"):
        if getattr(args, name) is not None:
            params[name] = getattr(args, name)
    experiment, messages = config.from_params(params)
    if messages:
        raise UsageError(" ".join(messages))
    return experiment


def summary(experiment: config.Experiment, identifier: str, histories: dict, wall: float) -> dict:
    models = {}
    for cell, history in histories.items():
        models[cell] = {
            "val_loss": history.final_val_loss(),
            "val_metric": history.final_val_metric(),
            "metric": history.metric,
            "steps": len(history.steps),
            "grad_ratio": history.median_grad_ratio(),
            "status": history.status,
        }
    status = combined_status(list(histories.values()))
    return {"run_id": identifier, "task": experiment.task, "status": status, "wall_seconds": round(wall, 3),
            "models": models}


def command_train(args: argparse.Namespace) -> int:
    from core.train import prepare, run_interleaved  # torch loads only when training

    experiment = experiment_from_args(args)
    store = RunStore()
    started = time.perf_counter()
    if args.reuse:
        stored = store.find(experiment, finished_only=True)
        if stored is not None:
            print(f"reusing finished run {stored.run_id}", file=sys.stderr)
            if args.json:
                print(json.dumps(summary(experiment, stored.run_id, stored.histories, 0.0)))
            return 0
    # Alone on the machine, one job may use every core.
    trainers = prepare(experiment, threads=os.cpu_count() or 1)
    total = sum(trainer.total_steps for trainer in trainers)
    last_print = [0.0]
    # On a terminal the progress line rewrites itself; in a log it is one line every few seconds.
    live = sys.stderr.isatty()
    interval, ending = (0.5, "") if live else (5.0, "\n")

    def progress(_trainer) -> None:
        now = time.perf_counter()
        if now - last_print[0] >= interval or all(t.done for t in trainers):
            last_print[0] = now
            done = sum(t.step_count for t in trainers)
            parts = [f"{t.cell} {t.history.final_val_metric() or 0:.2f}" for t in trainers]
            line = f"step {done}/{total}  val {' '.join(parts)}  {now - started:.1f}s"
            print(("\r" if live else "") + line, end=ending, file=sys.stderr)

    run_interleaved(trainers, progress)
    if live:
        print(file=sys.stderr)
    histories = {trainer.cell: trainer.history for trainer in trainers}
    weights = {trainer.cell: trainer.model.state_dict() for trainer in trainers}  # the store copies to CPU
    identifier = store.save(experiment, histories, weights)
    wall = time.perf_counter() - started
    for history in histories.values():
        if history.message:
            print(f"{history.cell}: {history.message}", file=sys.stderr)
    result = summary(experiment, identifier, histories, wall)
    if args.json:
        print(json.dumps(result))
    else:
        for cell, model in result["models"].items():
            print(f"{cell:8s} {model['status']:9s} val {model['metric']} {model['val_metric']}  "
                  f"grad ratio {model['grad_ratio']}")
        print(f"run {identifier} saved in {wall:.1f} s")
    return 0


def command_runs(args: argparse.Namespace) -> int:
    listed = RunStore().list()
    if args.json:
        print(json.dumps([vars(run) for run in listed]))
        return 0
    if not listed:
        print("no stored runs")
    for run in listed:
        metrics = ", ".join(f"{cell} {value:.2f}" if value is not None else f"{cell} -"
                            for cell, value in run.final_metrics.items())
        stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.updated))
        print(f"{run.run_id}  {stamp}  {run.task:8s} {run.status:9s} {metrics}")
    return 0


def command_export(args: argparse.Namespace) -> int:
    try:
        bundle = RunStore().export_bundle(args.run_id)
    except KeyError:
        raise UsageError(f"no stored run with id {args.run_id!r}") from None
    print(json.dumps(bundle, indent=1))
    return 0


def command_import(args: argparse.Namespace) -> int:
    try:
        with open(args.path, encoding="utf-8") as handle:
            text = handle.read()
        print(RunStore().import_bundle(text))
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {args.path}: {error}") from None
    except BundleError as error:
        raise UsageError(str(error)) from None
    return 0


COMMANDS = {"train": command_train, "runs": command_runs, "export": command_export, "import": command_import}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
