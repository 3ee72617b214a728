"""Task registry: each task module builds seeded data from its config section.

A task module provides `build(config, seed) -> TaskData`; tasks that accept files also provide
`FORMATS`, `read_file(format, content)` and an encoder that turns a read file into model input
for a trained run (used by the CLI's --eval-file). Modules load on first use, so the memory lab
never pays for a tokenizer or a font package.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from core.tasks.experiment import TASKS, Experiment
from core.tasks.base import DataError, TaskData


def task_module(task: str) -> ModuleType:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}")
    return importlib.import_module(f"core.tasks.{task}.data")


def build_task(experiment: Experiment) -> TaskData:
    """The seeded data of an experiment's task."""
    return task_module(experiment.task).build(experiment.task_config, experiment.seed)


def file_formats(task: str) -> tuple[str, ...]:
    return getattr(task_module(task), "FORMATS", ())


def read_file(task: str, format: str, content: bytes):
    """A user's file read by the task's importer; DataError with a clear message if it cannot be."""
    module = task_module(task)
    if format not in file_formats(task):
        known = ", ".join(file_formats(task)) or "none"
        raise DataError(f"The {task} task cannot read {format!r} files (formats: {known}).")
    return module.read_file(format, content)


def check_training_file(task: str, dataset):
    """The read file, once it meets the task's rules for training on it (for classifiers: enough
    samples of at least two classes; for handwriting also enough samples in all); DataError saying
    what to add otherwise. The upload boxes, the CLI and the tasks' own data building share it."""
    from core.data import training_data

    return getattr(task_module(task), "check_training_file", training_data.check_training_file)(dataset)


def encode_file(task: str, data: TaskData, dataset) -> tuple:
    """(inputs, targets, lengths) of a read file, encoded as the trained run's data was."""
    return task_module(task).encode_file(data, dataset)
