"""The rules a user's file must meet before anything trains on it, the same on the page and the CLI.

An importer (core/data/tables.py, core/data/pen_files.py) says whether a file can be read; these rules say
whether a model can learn from what was read. A file of one class trains to a meaningless
accuracy of 1.0, and a class with a sample or two cannot be both learned and checked on the
validation split, so both are refused in one sentence that says what to add.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from core.data.errors import DataError

MIN_CLASSES = 2
# Each class needs samples on both sides of the random 80/20 split, and a few to be learned at all.
MIN_PER_CLASS = 5


def sample_classes(dataset: Any) -> list[str]:
    """The class of every sample of a read file: a table's mapped classes, a pen file's labels."""
    targets = getattr(dataset, "targets", None)
    if targets is not None:
        return [dataset.class_names[target] for target in targets]
    return list(dataset.labels)


def check_classes(classes: Iterable[str]) -> None:
    """DataError unless there are two or more classes with MIN_PER_CLASS samples each."""
    counts = Counter(classes)
    if len(counts) < MIN_CLASSES:
        only = f" ({next(iter(counts))!r})" if counts else ""
        raise DataError(f"Every sample has the same class{only}; training needs at least {MIN_CLASSES} classes.")
    scarce = sorted((count, name) for name, count in counts.items() if count < MIN_PER_CLASS)
    if scarce:
        shown = ", ".join(f"{name!r} ({count})" for count, name in scarce[:6]) + (" ..." if len(scarce) > 6 else "")
        raise DataError(f"Some classes have fewer than {MIN_PER_CLASS} samples: {shown}; training needs at least "
                        f"{MIN_PER_CLASS} of each class, so add samples or remove those classes.")


def check_training_file(dataset: Any) -> Any:
    """The read file itself, once it passes `check_classes`."""
    check_classes(sample_classes(dataset))
    return dataset
