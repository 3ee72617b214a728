"""The translation lesson: an encoder-decoder with and without attention, on number words, dates and
quantities, or the user's own sentence pairs.

Everything about the lesson is here: its settings (config.py), phrases and data, presets,
explanation, numbers version and page; core/tasks/registry.py finds it by this package's TASK.
"""

from core.nn.cells import CELLS
from core.tasks.record import FileFormats, Golden, Page, Task, later
from core.tasks.translation.config import FORMATS, TranslationTaskConfig
from core.tasks.translation.explanation import translation_lines
from core.tasks.translation.presets import PRESETS


def explain(experiment, histories) -> list[str]:
    """The sentences without the copy baseline, which the page adds from the built data."""
    return translation_lines(experiment, histories, None)


def model_names(config: TranslationTaskConfig, cells: tuple[str, ...]) -> tuple[str, ...]:
    return config.model_names(cells)


# The lesson's data code, imported when first used.
DATA = "core.tasks.translation.data"

TASK = Task(
    name="translation",
    config_type=TranslationTaskConfig,
    build=later(DATA, "build"),
    explain=explain,
    page=Page(path="pages/translation.py", title="Translation", icon=":material/translate:", order=40,
              summary="An encoder-decoder with and without attention; then type a phrase and see where each "
                      "output piece looked.",
              views="ui.tasks.translation"),
    golden=Golden({"train_size": "200", "largest": "199", "embedding_size": "8", "cells": "gru",
                   "attention": "none,additive"}),
    numbers_version=2,
    presets=PRESETS,
    # Measured (bench/translation_bench.py, seeds 0-2): after 600 steps the attention model is at
    # 0.985-0.99 exact match on unseen numbers and the one without attention at 0.00-0.02, in ~12 s.
    defaults={"cells": ("lstm",), "batch_size": 64, "steps": 600},
    # An encoder-decoder needs a recurrent state, which a bag of words has not.
    choices={"cells": tuple(cell for cell in CELLS if cell != "bow")},
    model_names=model_names,
    files=FileFormats(formats=FORMATS, read=later(DATA, "read_file"),
                      encode=later(DATA, "encode_file"),
                      check=later(DATA, "check_training_file"),
                      defaults=later("core.tasks.translation.sizing", "defaults_for")),
)
