"""The translation lesson: an encoder-decoder with and without attention, on number words, dates and
quantities, or the user's own sentence pairs.

Everything about the lesson is here: its settings (config.py), phrases and data, presets,
explanation, numbers version and page; core/tasks/registry.py finds it by this package's TASK.
"""

from core.nn.cells import CELLS
from core.tasks.record import FileFormats, Golden, Page, Task
from core.tasks.translation.config import FORMATS, TranslationTaskConfig
from core.tasks.translation.explanation import translation_lines
from core.tasks.translation.presets import PRESETS


def build(config: TranslationTaskConfig, seed: int):
    from core.tasks.translation import data

    return data.build(config, seed)


def read_file(format: str, content: bytes):
    from core.tasks.translation import data

    return data.read_file(format, content)


def check_training_file(pairs):
    from core.tasks.translation import data

    return data.check_training_file(pairs)


def encode_file(task_data, pairs) -> tuple:
    from core.tasks.translation import data

    return data.encode_file(task_data, pairs)


def explain(experiment, histories) -> list[str]:
    """The sentences without the copy baseline, which the page adds from the built data."""
    return translation_lines(experiment, histories, None)


def model_names(config: TranslationTaskConfig, cells: tuple[str, ...]) -> tuple[str, ...]:
    return config.model_names(cells)


TASK = Task(
    name="translation",
    config_type=TranslationTaskConfig,
    build=build,
    explain=explain,
    page=Page(path="pages/translation.py", title="Translation", icon=":material/translate:", order=40,
              summary="An encoder-decoder with and without attention; then type a phrase and see where each "
                      "output piece looked.",
              views="ui.tasks.translation"),
    golden=Golden({"train_size": "200", "largest": "199", "embedding_size": "8", "cells": "gru",
                   "attention": "none,additive"}),
    numbers_version=1,
    presets=PRESETS,
    # Measured (bench/translation_bench.py, seeds 0-2): after 600 steps the attention model is at
    # 0.985-0.99 exact match on unseen numbers and the one without attention at 0.00-0.02, in ~12 s.
    defaults={"cells": ("lstm",), "batch_size": 64, "steps": 600},
    # An encoder-decoder needs a recurrent state, which a bag of words has not.
    choices={"cells": tuple(cell for cell in CELLS if cell != "bow")},
    model_names=model_names,
    files=FileFormats(formats=FORMATS, read=read_file, encode=encode_file, check=check_training_file),
)
