"""Command line: train headless, list stored runs, export and import run bundles, warm the store.

    python -m core train memory --cells rnn,lstm --seed 0 --steps 600 --set distance=80 --json
    python -m core train sentiment --set source=reviews --eval-file csv:other_reviews.csv --json
    python -m core train handwriting --eval-file pendigits:pendigits.tes --json
    python -m core runs
    python -m core export RUN_ID > run.json ; python -m core import run.json
    python -m core predict RUN_ID "I expected to hate it, but the acting was not bad at all."
    python -m core more RUN_ID --steps 1000 --json   # continue a finished run: a new run naming its parent
    python -m core download RUN_ID   # the lab's model zip: weights, tokenizer, predict.py, README
    python -m core warm            # train every preset not yet stored, e.g. at deploy

A run id hashes the settings and the task's numbers version (core/tasks/versions.py), so `--reuse`
and `export` keep finding a run across code edits that leave its task's numbers alone.

Settings go through the same validator as share links; anything it would change is an error here
(exit code 2, one line), since a command line should do exactly what it says.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence

from core.cli_commands import (
    EXIT_STORE,
    EXIT_USAGE,
    Parser,
    UsageError,
    add_run_commands,
    command_clean,
    command_download,
    command_export,
    command_import,
    command_more,
    command_predict,
    command_runs,
    command_warm,
    summary,
)
from core.data import uploads
from core.data.files import FileRefused, read_regular
from core.nn.cells import CELLS
from core.settings import environment
from core.settings.paths import StoreError
from core.store.runs import RunStore, UnsafeWeights
from core.tasks import experiment as config
from core.tasks.base import DataError
from core.tasks.registry import task_names, tasks


def lesson_settings() -> str:
    """The train command's help after its options: every lesson and each one's settings."""
    formats = "; ".join(f"{record.name}: {', '.join(record.files.formats)}" for record in tasks()
                        if record.files.formats)
    settings = [f"Settings of {task} (--set KEY=VALUE):\n{config.describe(task)}" for task in task_names()]
    return "\n\n".join([f"Lessons: {', '.join(task_names())}", f"File formats (FORMAT:PATH): {formats}", *settings])


def build_parser() -> Parser:
    parser = Parser(prog="python -m core", description="RNN Playground's engine, without the browser.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    train = commands.add_parser("train", help="train an experiment and save it to the run store",
                                details=lesson_settings, formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_argument("task", help="the lesson to train: one of the lessons listed below")
    train.add_argument("--cells", help=f"comma-separated, from: {', '.join(CELLS)}")
    train.add_argument("--seed", help="random seed (data, weights, batches)")
    train.add_argument("--steps", help="optimizer steps per model")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="any other setting")
    train.add_argument("--train-file", metavar="FORMAT:PATH",
                       help="train on your own file instead of generated data (the formats each lesson "
                            "reads are listed below)")
    train.add_argument("--eval-file", metavar="FORMAT:PATH",
                       help="also score the trained models on this file; adds \"eval\" to the JSON")
    train.add_argument("--json", action="store_true", help="print one JSON summary as the last line")
    train.add_argument("--reuse", action="store_true",
                       help="return a finished stored run with the same id instead of training")
    runs = commands.add_parser("runs", help="list stored runs, newest first")
    runs.add_argument("--json", action="store_true")
    export = commands.add_parser("export", help="print a run as a JSON bundle (config and history)")
    export.add_argument("run_id")
    imported = commands.add_parser("import", help="store a JSON bundle made by export")
    imported.add_argument("path")
    add_run_commands(commands, train)
    clean = commands.add_parser("clean", help="remove uploads past their age limit, and old runs if asked")
    clean.add_argument("--uploads-older-than", metavar="DAYS",
                       help=f"uploaded files not uploaded again for this long (default: RNN_PLAYGROUND_UPLOAD_DAYS, "
                            f"else {environment.VARIABLES['RNN_PLAYGROUND_UPLOAD_DAYS'].default:g})")
    clean.add_argument("--runs-older-than", metavar="DAYS", help="also stored runs not updated for this long")
    clean.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    warm = commands.add_parser("warm", help="train every preset into the run store, skipping finished ones, "
                                            "so the home page's links open finished curves at once")
    warm.add_argument("--dry-run", action="store_true", help="list the presets that would be trained")
    return parser


def refusal(messages: list[str]) -> str:
    """The validator's messages as a refusal: it tells a page what it will use instead, but a
    command line uses nothing it was not given, so "using 0" would say something untrue."""
    words = []
    for message in messages:
        message = re.sub(r"; using [^;]*\.$", ".", message)
        message = re.sub(r"; ignored\.$", ".", message)
        message = re.sub(r" snapped to the nearest step, (.*)\.$", r" is not one of the steps; the nearest is \1.",
                         message)
        message = message.replace(": ignored unknown ", ": unknown ")
        message = message.replace("Ignored unknown setting", "Unknown setting")
        words.append(message)
    return " ".join(words) + " Nothing was trained."


def experiment_from_args(args: argparse.Namespace) -> tuple[config.Experiment, tuple[str, bytes] | None, list[str]]:
    """The experiment the arguments describe, the training file (format, content) if any, and the
    names of the settings the file's defaults set (the arguments' own values win; none without a file).

    Nothing is written here: a training file is only read and checked; the caller keeps it once
    every argument is known to be valid.
    """
    params: dict[str, object] = {"task": args.task}
    for item in args.set:
        key, separator, value = item.partition("=")
        if not separator or not key:
            raise UsageError(f"--set expects KEY=VALUE, got {item!r}")
        if key.strip().lower() == "task":
            raise UsageError(f"the task is the first argument ({args.task}), not a setting; remove --set {item}")
        params[key.strip()] = value.strip()
    for name in ("cells", "seed", "steps"):
        if getattr(args, name) is not None:
            params[name] = getattr(args, name)
    experiment, messages = config.from_params(params)
    if messages:
        raise UsageError(refusal(messages))
    if not args.train_file:
        return experiment, None, []
    format, content = read_file_argument(args.task, args.train_file, training=True)
    params["source"], params["upload"] = "upload", uploads.key_of(content, format)
    # The settings that suit this file (a translation's epochs, vocabulary, model size) under the
    # ones the command gave; the JSON summary lists what was chosen.
    chosen = file_settings(args.task, format, content)
    for name, value in chosen.items():
        params.setdefault(name, value)
    experiment, messages = config.from_params(params)
    if messages:
        raise UsageError(refusal(messages))
    return experiment, (format, content), list(chosen)


def file_settings(task: str, format: str, content: bytes) -> dict[str, str]:
    """The settings the task chooses for training on this (already checked) file."""
    from core.tasks import registry as tasks

    return tasks.file_defaults(task, tasks.read_file(task, format, content))


def read_file_argument(task: str, argument: str, training: bool = False) -> tuple[str, bytes]:
    """FORMAT:PATH read and checked by the task's importer; (format, content)."""
    from core.tasks import registry as tasks

    format, separator, path = argument.partition(":")
    format = format.strip().lower()
    if not separator or not path:
        raise UsageError(f"expected FORMAT:PATH, got {argument!r}")
    if task not in task_names():
        raise UsageError(f"unknown task {task!r}; choose from {', '.join(task_names())}")
    if format not in tasks.file_formats(task):
        known = tasks.file_formats(task)
        if not known:
            raise UsageError(f"the {task} task trains on generated data only and reads no files")
        raise UsageError(f"the {task} task reads {', '.join(known)} files, not {format!r}")
    try:
        content = read_regular(path, uploads.MAX_BYTES, "the upload limit, the same as the pages'")
        dataset = tasks.read_file(task, format, content)  # fail now, in one line, rather than after training
        if training:
            tasks.check_training_file(task, dataset)  # the upload box's rule: the CLI trains on what the page would
    except FileRefused as error:
        raise UsageError(str(error)) from None
    except DataError as error:
        raise UsageError(f"{path}: {error}") from None
    return format, content


def evaluate_file(experiment: config.Experiment, argument: str, data, models: dict) -> dict:
    """Each trained model's score on a user's file (accuracy, or a task's own measures), encoded as
    the run's own data was."""
    from core.tasks import registry as tasks

    format, content = read_file_argument(experiment.task, argument)
    try:
        dataset = tasks.read_file(experiment.task, format, content)
        inputs, targets, lengths = tasks.encode_file(experiment.task, data, dataset)
    except DataError as error:
        raise UsageError(f"{argument.partition(':')[2]}: {error}") from None
    scores = {name: data.problem.score(model, data, inputs, targets, lengths, dataset)
              for name, model in models.items()}
    return {name: _rounded(value) for name, value in scores.items()}


def _rounded(value):
    if isinstance(value, dict):
        return {key: round(item, 4) for key, item in value.items()}
    return round(value, 4)


def command_train(args: argparse.Namespace) -> int:
    from core.engine.continuation import resume_trainers
    from core.training.resume import training_state
    from core.training.trainer import prepare, run_interleaved  # torch loads only when training

    experiment, train_file, file_chosen = experiment_from_args(args)
    if args.eval_file:
        read_file_argument(experiment.task, args.eval_file)  # a bad file fails before training
    # Every argument is valid: only now is anything written (the store, the kept training file).
    store = RunStore()
    started = time.perf_counter()
    kept_here = None
    if train_file is not None:
        format, content = train_file
        key = uploads.key_of(content, format)
        kept_here = None if uploads.exists(key) else key
        try:
            uploads.save(content, format)
        except DataError as error:
            raise UsageError(str(error)) from None
    if args.reuse:
        stored = store.find(experiment, finished_only=True)
        if stored is not None:
            print(f"reusing finished run {stored.run_id}", file=sys.stderr)
            evaluation = None
            if args.eval_file:
                evaluation = evaluate_stored(experiment, stored, store, args.eval_file)
            if args.json:
                print(json.dumps(summary(experiment, stored.run_id, stored.histories, 0.0, evaluation)))
            return 0
    # One intra-op thread, as in the app: these models are small, and when another process holds a
    # core, two threads spin-wait on each other (an LSTM step measured 11 ms with one thread and
    # 1.9 s with two). RNN_PLAYGROUND_TORCH_THREADS overrides it on a machine known to be idle.
    try:
        trainers = resume_trainers(prepare(experiment, threads=1), experiment, store)  # `more` continues a run
    except DataError as error:
        if kept_here is not None:
            uploads.remove(kept_here)  # kept by this command for a run that cannot train
        raise UsageError(f"{error} Nothing was trained.") from None
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
    identifier = store.save(experiment, histories, weights, states={t.cell: training_state(t) for t in trainers})
    wall = time.perf_counter() - started
    for history in histories.values():
        if history.message:
            print(f"{history.cell}: {history.message}", file=sys.stderr)
    evaluation = None
    if args.eval_file:
        models = {trainer.cell: trainer.model for trainer in trainers}
        evaluation = evaluate_file(experiment, args.eval_file, trainers[0].data, models)
    # The settings the file's defaults chose, as the run used them.
    chosen = {name: config.format_value(config.value_of(experiment, name), name) for name in file_chosen}
    result = summary(experiment, identifier, histories, wall, evaluation, chosen)
    if args.json:
        print(json.dumps(result))
    else:
        for cell, model in result["models"].items():
            print(f"{cell:8s} {model['status']:9s} val {model['metric']} {model['val_metric']}  "
                  f"grad ratio {model['grad_ratio']}")
        for cell, score in (evaluation or {}).items():
            shown = ", ".join(f"{key} {value:.4f}" for key, value in score.items()) if isinstance(score, dict) \
                else f"accuracy {score:.4f}"
            print(f"{cell:8s} on {args.eval_file}: {shown}")
        print(f"run {identifier} saved in {wall:.1f} s")
    return 0


def evaluate_stored(experiment: config.Experiment, stored, store: RunStore, argument: str) -> dict[str, float]:
    from core.report.analysis import load_model
    from core.tasks.registry import build_task

    data = build_task(experiment)
    models = {}
    for cell in stored.histories:
        try:
            weights = store.load_weights(stored.run_id, cell)
        except UnsafeWeights as error:
            raise StoreError(f"{error}; retrain the run without --reuse, which replaces it, or delete it "
                             "(python -m core clean --runs-older-than 0 removes every stored run)") from None
        if weights is None:
            raise UsageError(f"run {stored.run_id} has no saved weights for {cell}; train it without --reuse")
        models[cell] = load_model(experiment, cell, data, weights)
    return evaluate_file(experiment, argument, data, models)


COMMANDS = {"warm": command_warm, "train": command_train, "runs": command_runs, "export": command_export,
            "import": command_import, "clean": command_clean, "predict": command_predict, "download": command_download,
            "more": lambda args: command_train(command_more(args))}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        # A served app logs a bad environment value and goes on with the default; a command
        # refuses it, so that it does exactly what its environment told it.
        problems = environment.problems()
        if problems:
            raise UsageError("; ".join(problems))
        return COMMANDS[args.command](args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except StoreError as error:
        # The store or its path is the problem, not the command: one line saying what to fix.
        print(f"error: {error}", file=sys.stderr)
        return EXIT_STORE
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130

