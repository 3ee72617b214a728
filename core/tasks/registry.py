"""The task registry: finds every lesson package under core/tasks and hands out its record.

A lesson is a package in core/tasks/ whose `__init__` defines `TASK`, a `core.tasks.record.Task`.
Discovery walks `core.tasks.__path__` (pkgutil), so adding a lesson adds a package and edits no
existing file; a test can add a lesson kept elsewhere by extending that path and calling `forget()`.
Lessons list in their pages' order. Everything that used to keep a list of tasks reads it here.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

import core.tasks
from core.data.errors import DataError
from core.tasks.base import TaskData
from core.tasks.record import Preset, Task


@functools.cache
def _records() -> dict[str, Task]:
    found = []
    for module in pkgutil.iter_modules(core.tasks.__path__, "core.tasks."):
        if not module.ispkg:
            continue
        record = importlib.import_module(module.name).TASK
        if not isinstance(record, Task):
            raise TypeError(f"{module.name}.TASK is a {type(record).__name__}, not a core.tasks.record.Task")
        found.append(record)
    found.sort(key=lambda record: (record.page.order, record.name))
    names = [record.name for record in found]
    if len(set(names)) != len(names):
        raise ValueError(f"two lesson packages share a task name: {names}")
    return {record.name: record for record in found}


def forget() -> None:
    """Discover the lessons again on the next call (after a test extends core.tasks.__path__)."""
    _records.cache_clear()


def task_names() -> tuple[str, ...]:
    """Every lesson's name, in page order."""
    return tuple(_records())


def tasks() -> tuple[Task, ...]:
    return tuple(_records().values())


def task(name: str) -> Task:
    """The record of a lesson; ValueError naming the known ones for any other name."""
    records = _records()
    if name not in records:
        raise ValueError(f"unknown task {name!r}; choose from {', '.join(records)}")
    return records[name]


def presets() -> tuple[Preset, ...]:
    """Every lesson's presets, lesson by lesson in page order."""
    return tuple(preset for record in tasks() for preset in record.presets)


def build_task(experiment) -> TaskData:
    """The seeded data of an experiment's task."""
    return task(experiment.task).build(experiment.task_config, experiment.seed)


def build_views(experiment) -> TaskData:
    """The data a finished run's views read: without the training split where the lesson can leave it out."""
    record = task(experiment.task)
    return (record.build_views or record.build)(experiment.task_config, experiment.seed)


def file_formats(name: str) -> tuple[str, ...]:
    return task(name).files.formats


def read_file(name: str, format: str, content: bytes):
    """A user's file read by the task's importer; DataError with a clear message if it cannot be."""
    files = task(name).files
    if format not in files.formats:
        known = ", ".join(files.formats) or "none"
        raise DataError(f"The {name} task cannot read {format!r} files (formats: {known}).")
    return files.read(format, content)


def check_training_file(name: str, dataset):
    """The read file, once it meets the task's rules for training on it (for classifiers: enough
    samples of at least two classes; for handwriting also enough samples in all); DataError saying
    what to add otherwise. The upload boxes, the CLI and the tasks' own data building share it."""
    return task(name).files.check(dataset)


def file_defaults(name: str, dataset) -> dict[str, str]:
    """The settings that suit training on a read file (a translation file's epochs, vocabulary and
    model size), as a link writes them; the command line, the upload box and presets apply them
    under the user's own."""
    return dict(task(name).files.defaults(dataset))


def encode_file(name: str, data: TaskData, dataset) -> tuple:
    """(inputs, targets, lengths) of a read file, encoded as the trained run's data was."""
    return task(name).files.encode(data, dataset)
