"""The CLI's commands on the run store (runs, export, import, clean, warm, predict, download, more) and its
one-line errors.

core/cli.py builds the parser, trains, and maps errors to exit codes; these commands
sit below it so both can raise the same UsageError.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from typing import Any, NoReturn

from core.data import uploads
from core.data.files import FileRefused, read_regular
from core.data.history import combined_status
from core.store.bundles import BundleError, max_bundle_bytes
from core.store.runs import DamagedRun, RunStore, UnsafeWeights
from core.tasks import registry
from core.tasks.base import DataError

EXIT_USAGE = 2
EXIT_STORE = 3


class UsageError(Exception):
    """A mistake in the command line: reported in one line with exit code 2."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes are UsageErrors, and whose help may end with `details`:
    text made only when help is shown, so parsing a command line reads no lesson's settings."""

    def __init__(self, *args: Any, details: Callable[[], str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.details = details

    def format_help(self) -> str:
        if self.details is not None:
            self.epilog = self.details()
        return super().format_help()

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def command_runs(args: argparse.Namespace) -> int:
    """The stored runs, newest first; an imported one says so, and a damaged row is named on stderr
    and skipped, so one bad row never hides the rest."""
    listed, damaged = RunStore().list_checked()
    for error in damaged:
        print(f"skipped: {error}", file=sys.stderr)
    if args.json:
        print(json.dumps([vars(run) for run in listed]))  # origin included: "trained" or "imported"
        return 0
    if not listed:
        print("no stored runs")
    for run in listed:
        metrics = ", ".join(f"{cell} {value:.2f}" if value is not None else f"{cell} -"
                            for cell, value in run.final_metrics.items())
        stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.updated))
        origin = "imported " if run.imported else ""
        print(f"{run.run_id}  {stamp}  {run.task:8s} {run.status:9s} {origin}{metrics}")
    return 0


def stored_run(store: RunStore, run_id: str, nothing_done: str):
    """The stored run a command names, or a UsageError saying it is not there or is damaged and that
    `nothing_done` (nothing was predicted, written, trained)."""
    try:
        stored = store.load(run_id)
    except DamagedRun as error:
        raise UsageError(f"{error}; {nothing_done}") from None
    if stored is None:
        raise UsageError(f"no stored run with id {run_id[:40]!r}")
    return stored


def command_export(args: argparse.Namespace) -> int:
    try:
        bundle = RunStore().export_bundle(args.run_id)
    except KeyError:
        raise UsageError(f"no stored run with id {args.run_id[:40]!r}") from None
    except DamagedRun as error:
        raise UsageError(f"{error}; nothing was exported") from None
    print(json.dumps(bundle, indent=1))
    return 0


def days_argument(text: str | None, name: str) -> float | None:
    if text is None:
        return None
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", text.strip()):
        raise UsageError(f"{name} expects a number of days such as 30, got {text!r}; nothing was removed")
    return float(text)


def command_clean(args: argparse.Namespace) -> int:
    upload_days = days_argument(args.uploads_older_than, "--uploads-older-than")
    run_days = days_argument(args.runs_older_than, "--runs-older-than")
    verb = "would remove" if args.dry_run else "removed"
    keys = uploads.expire(upload_days, dry_run=args.dry_run)
    print(f"{verb} {len(keys)} upload(s){': ' + ', '.join(keys) if keys else ''}")
    if run_days is not None:
        identifiers = RunStore().delete_older_than(time.time() - run_days * 86400, dry_run=args.dry_run)
        print(f"{verb} {len(identifiers)} run(s){': ' + ', '.join(identifiers) if identifiers else ''}")
    return 0


def command_warm(args: argparse.Namespace) -> int:
    """Train each preset not yet stored finished; a preset that fails is reported, the rest go on."""
    from core.store.runs import run_id
    from core.tasks.experiment import of_preset
    from core.training.resume import training_state
    from core.training.trainer import prepare, run_interleaved  # torch loads only when training

    store = RunStore()
    failures = 0
    for preset in registry.presets():
        experiment, messages = of_preset(preset)
        identifier = run_id(experiment)
        label = f"{preset.task}: {preset.title}"
        if messages:  # a preset the settings no longer accept is a bug worth saying loudly
            print(f"refused {identifier}  {label}: {' '.join(messages)}", file=sys.stderr)
            failures += 1
            continue
        if store.find(experiment, finished_only=True) is not None:
            print(f"finished {identifier}  {label}")
            continue
        if args.dry_run:
            print(f"would train {identifier}  {label}")
            continue
        started = time.perf_counter()
        try:
            trainers = prepare(experiment, threads=1)
        except DataError as error:
            print(f"failed {identifier}  {label}: {error}", file=sys.stderr)
            failures += 1
            continue
        run_interleaved(trainers)
        histories = {trainer.cell: trainer.history for trainer in trainers}
        store.save(experiment, histories, {trainer.cell: trainer.model.state_dict() for trainer in trainers},
                   states={trainer.cell: training_state(trainer) for trainer in trainers})
        status = combined_status(list(histories.values()))
        print(f"{'trained' if status == 'finished' else status} {identifier}  {label} "
              f"in {time.perf_counter() - started:.1f} s", flush=True)
    return 1 if failures else 0


def command_import(args: argparse.Namespace) -> int:
    try:
        # A regular file only (a FIFO would block, a device never end), read to the cap and no further.
        content = read_regular(args.path, max_bundle_bytes(), "RNN_PLAYGROUND_MAX_BUNDLE_MB")
        print(RunStore().import_bundle(content.decode("utf-8")))
    except FileRefused as error:
        raise UsageError(str(error)) from None
    except UnicodeDecodeError as error:
        raise UsageError(f"cannot read {args.path[:80]}: {error}") from None
    except BundleError as error:
        raise UsageError(str(error)) from None
    return 0


def command_predict(args: argparse.Namespace) -> int:
    """Each stored model's answer to one input, computed as the lesson's page computes it."""
    from core.export.answers import InputError, answers
    from core.export.describe import NotExportable
    from core.export.predictor.command import shown
    from core.nn.cells import model_label
    from core.report.analysis import load_model
    from core.tasks.experiment import model_names

    store = RunStore()
    stored = stored_run(store, args.run_id, "nothing was predicted")
    experiment = stored.experiment()
    names = [name for name in model_names(experiment) if name in stored.histories]
    if args.model is not None and args.model not in names:
        raise UsageError(f"run {stored.run_id} has no model {args.model[:40]!r}; it has {', '.join(names)}")
    try:
        data = registry.build_task(experiment)
        models = {}
        for name in [args.model] if args.model else names:
            weights = store.load_weights(stored.run_id, name)
            if weights is not None:
                models[name] = load_model(experiment, name, data, weights)
        if not models:
            raise UsageError(f"run {stored.run_id} has no saved weights (an imported run has none); train it here")
        result = answers(experiment, data, models, args.input)
    except (DataError, InputError, NotExportable, UnsafeWeights) as error:
        raise UsageError(f"{error} Nothing was predicted.") from None
    if args.json:
        print(json.dumps(result))
        return 0
    for name, answer in result.items():
        print(f"{model_label(name)}: {shown(answer)}")
    return 0


def add_run_commands(commands, train: argparse.ArgumentParser) -> None:
    """The commands on one stored run's models: predict with them, or train them further."""
    predict = commands.add_parser("predict", help="each stored model's answer to one input, as its page gives it")
    predict.add_argument("run_id")
    predict.add_argument("input", help="text, or JSON for a drawing (strokes of [x, y] points) or vector steps")
    predict.add_argument("--model", help="only this model of the run")
    predict.add_argument("--json", action="store_true")
    download = commands.add_parser("download", help="write a run's models as a zip that predicts outside the app "
                                                    "(weights, tokenizer, predict.py, README), as the lab's button")
    download.add_argument("run_id")
    download.add_argument("--out", metavar="PATH", help="where to write it (default: rnn-playground-TASK-RUN_ID.zip "
                                                       "in the working folder)")
    more = commands.add_parser("more", help="continue a finished stored run for more steps, as a new run that "
                                            "names its parent (its curves go on where the parent's stopped)")
    more.add_argument("run_id")
    more.add_argument("--steps", default="1000", help="steps to add to every model (default 1000)")
    more.add_argument("--json", action="store_true", help="print one JSON summary as the last line")


def command_more(args: argparse.Namespace) -> argparse.Namespace:
    """The train command's arguments for continuing a stored run: its own settings, more steps, its parent."""
    from core.engine.continuation import continued
    from core.tasks.experiment import to_params

    if not re.fullmatch(r"[0-9]{1,5}", str(args.steps)) or int(args.steps) < 1:
        raise UsageError(f"--steps expects a number of steps to add, such as 1000, got {str(args.steps)[:40]!r}")
    parent = stored_run(RunStore(), args.run_id, "nothing was trained")
    try:
        experiment = continued(parent, int(args.steps))
    except ValueError as error:  # the total past the steps' bound: a command line uses nothing it was not given
        raise UsageError(re.sub(r"; using [^;]*\.$", ".", str(error)) + " Nothing was trained.") from None
    settings = [f"{key}={','.join(value) if isinstance(value, list) else value}"
                for key, value in to_params(experiment).items() if key != "task"]
    return argparse.Namespace(task=experiment.task, set=settings, cells=None, seed=None, steps=None, train_file=None,
                              eval_file=None, json=args.json, reuse=False)


def command_download(args: argparse.Namespace) -> int:
    """The run's models as the lab page's download, written to a file; its path is printed."""
    from pathlib import Path

    from core.export.describe import NotExportable
    from core.export.model_zip import folder_name, model_zip

    store = RunStore()
    stored = stored_run(store, args.run_id, "nothing was written")
    path = Path(args.out or f"{folder_name(stored)}.zip")
    try:
        content = model_zip(stored.experiment(), stored, registry.build_task(stored.experiment()), store)
        path.write_bytes(content)
    except (DataError, NotExportable, UnsafeWeights) as error:
        raise UsageError(f"{error} Nothing was written.") from None
    except OSError as error:
        raise UsageError(f"cannot write {str(path)[:80]}: {error.strerror or error}") from None
    print(path)
    return 0


def summary(experiment: Any, identifier: str, histories: dict, wall: float,
            evaluation: dict[str, float] | None = None, chosen: dict[str, str] | None = None) -> dict:
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
        if history.best_step is not None:
            models[cell]["best_step"] = history.best_step
        if history.scores:
            models[cell]["scores"] = history.final_scores()
        if history.group_metric:
            models[cell]["groups"] = history.final_group_metrics()
        if history.confusion and len(history.confusion) <= 62:
            models[cell]["per_class"] = history.per_class_accuracy()
    status = combined_status(list(histories.values()))
    result = {"run_id": identifier, "task": experiment.task, "status": status, "wall_seconds": round(wall, 3),
              "models": models}
    if evaluation is not None:
        result["eval"] = evaluation
    if chosen:
        result["settings"] = chosen
    return result
