"""The next-word lesson: language models (RNN, GRU, LSTM) that must predict a word whose clue was
said many words earlier, or model free text (Hamlet, or the user's own file), with live samples.

Everything about the lesson is here: its settings (config.py), stories and free text, its problem
(scoring the long-range word, writing samples), presets, explanation, numbers version and page;
core/tasks/registry.py finds it by this package's TASK.
"""

from core.nn.cells import CELLS
from core.tasks.nextword.config import FORMATS, NextWordTaskConfig
from core.tasks.nextword.explanation import nextword_lines
from core.tasks.nextword.presets import PRESETS
from core.tasks.record import FileFormats, Golden, Page, Task, later

# The lesson's data code, imported when first used.
DATA = "core.tasks.nextword.data"

TASK = Task(
    name="nextword",
    config_type=NextWordTaskConfig,
    build=later(DATA, "build"),
    explain=nextword_lines,
    page=Page(path="pages/next_word.py", title="Next word", icon=":material/edit_note:", order=45,
              summary="Language models that must remember a clue many words back; live samples while they train.",
              views="ui.tasks.nextword"),
    golden=Golden({"gap": "4", "cells": "rnn,lstm", "embedding_size": "8"}),
    numbers_version=1,
    presets=PRESETS,
    # Measured (python -m core train nextword, seed 0): the LSTM reaches 0.98 on the long-range word at
    # gap 12 and the RNN 0.28 (guessing from frequency: 0.33), in about 25 s on a loaded 2-core machine.
    defaults={"cells": ("rnn", "lstm"), "steps": 1000, "batch_size": 64, "lr": 0.01},
    # A language model reads only the words before the one it predicts: no backward direction, no bag.
    choices={"cells": tuple(cell for cell in CELLS if cell in ("rnn", "gru", "lstm"))},
    files=FileFormats(formats=FORMATS, read=later(DATA, "read_file"), encode=later(DATA, "encode_file"),
                      check=later("core.tasks.nextword.free_text", "check_training_file")),
    data_shape=later(DATA, "data_shape"),
)
