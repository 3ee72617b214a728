"""The task record: everything about one lesson, in one typed value the registry finds.

Each lesson package (core/tasks/<lesson>/) defines `TASK = Task(...)`; core/tasks/registry.py
discovers the packages, and every list of lessons (the URL's task names, the CLI's help, the pages,
the presets, the numbers versions, the golden runs) is read from the records, never kept by hand.
Fields that need heavy packages (a tokenizer, a font) are functions that import them when called,
so listing the lessons stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.data.errors import DataError
from core.data.training_data import check_training_file

if TYPE_CHECKING:
    from core.data.history import History
    from core.tasks.base import DataShape, TaskData
    from core.tasks.experiment import Experiment

# A lesson's config is its own frozen dataclass; the record names its type.
TaskConfig = object


@dataclass(frozen=True)
class Preset:
    """A preset experiment: a share link's parameters, shown on the home page and the lesson's page."""

    task: str
    title: str
    description: str
    params: dict[str, str | list[str]]


@dataclass(frozen=True)
class FileFormats:
    """How a lesson reads the user's files: the formats it knows, its reader, its training rule, and
    the encoder that turns a read file into a trained run's model input (the CLI's --eval-file)."""

    formats: tuple[str, ...]
    read: Callable[[str, bytes], object]
    encode: Callable[[TaskData, object], tuple]
    # The rule a file must meet to be trained on; classifiers need enough samples of two classes.
    check: Callable[[object], object] = check_training_file
    # Settings (as a link writes them) that suit training on this read file; the user's own win.
    defaults: Callable[[object], Mapping[str, str]] = lambda dataset: {}


def later(module: str, name: str) -> Callable[..., Any]:
    """`module.name`, imported when first called: a lesson's record names its data code without
    importing it, so listing the lessons (navigation, CLI help) loads no tokenizer or font."""

    def call(*args: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args)

    call.__name__ = call.__qualname__ = name
    return call


def _no_files(format: str, content: bytes) -> object:
    raise DataError(f"This task reads no files (asked for {format!r}).")


def _no_encoding(data: TaskData, dataset: object) -> tuple:
    raise DataError("This task reads no files.")


NO_FILES = FileFormats(formats=(), read=_no_files, encode=_no_encoding)


def same_cells(config: TaskConfig, cells: tuple[str, ...]) -> tuple[str, ...]:
    """A lesson that trains each chosen cell once names its models after the cells."""
    return cells


def unknown_shape(config: TaskConfig) -> DataShape | None:
    """A lesson that cannot tell its data's shape before building it (the budget then builds it)."""
    return None


@dataclass(frozen=True)
class Page:
    """Where the lesson's page is and how navigation and the home page show it."""

    path: str  # the page file, relative to the app's root (pages/<lesson>.py) or absolute
    title: str
    icon: str  # a Material icon, ":material/name:"
    summary: str  # one sentence on the home page
    order: int  # place among the lessons in the sidebar and on the home page
    # The ui module holding the lesson's result views (its PARTS); None: the shared lab's defaults.
    views: str | None = None


@dataclass(frozen=True)
class Golden:
    """The tiny seeded run whose numbers tests/golden_runs.json pins (settings beyond the shared
    ones in tests/golden_runs.py: few steps, tiny models)."""

    settings: Mapping[str, str]


@dataclass(frozen=True)
class Task:
    """One lesson: its settings, data, models, presets, explanation, numbers version and page."""

    name: str  # the URL's and the CLI's task name
    config_type: type  # the lesson's frozen config dataclass (its settings, with bounds in metadata)
    build: Callable[[TaskConfig, int], TaskData]  # seeded data; the data carries its model problem
    explain: Callable[[Experiment, list[History]], list[str]]  # plain sentences on a run
    page: Page
    golden: Golden
    # Bump when a change alters what this lesson's runs compute, then regenerate its golden run
    # (.venv/bin/python tests/golden_runs.py <lesson>); stored runs of other versions are not reused.
    numbers_version: int
    presets: tuple[Preset, ...] = ()
    # Shared settings whose best starting value differs for this lesson ({"steps": 600}).
    defaults: Mapping[str, object] = field(default_factory=dict)
    # Choices this lesson narrows ({"cells": (...)}: an encoder-decoder needs a recurrent state).
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The models one run trains side by side, from the chosen cells (variants multiply them).
    model_names: Callable[[TaskConfig, tuple[str, ...]], tuple[str, ...]] = same_cells
    files: FileFormats = NO_FILES
    # The data's shape without building it, for the server's memory budget.
    data_shape: Callable[[TaskConfig], DataShape | None] = unknown_shape
    # The data a finished run's views read (looking inside, the model download): `build`'s data
    # without its training examples, the same validation and probe examples, for a lesson whose
    # validation split does not depend on its training split. A page showing a stored run then holds
    # a small part of the data instead of all of it. None: the views read `build`'s data.
    build_views: Callable[[TaskConfig, int], TaskData] | None = None
