"""The handwriting lesson: pen trajectories from stroke fonts, or the user's own pen files.

Everything about the lesson is here: its settings (config.py), data (data.py), presets,
explanation, numbers version and page; core/tasks/registry.py finds it by this package's TASK.
The data module loads the font package, so the record reaches it through functions called on use.
"""

from core.tasks.handwriting.config import FORMATS, HandwritingTaskConfig
from core.tasks.handwriting.explanation import handwriting_lines
from core.tasks.handwriting.presets import PRESETS
from core.tasks.record import FileFormats, Golden, Page, Task, later

# The lesson's data code, imported when first used.
DATA = "core.tasks.handwriting.data"

TASK = Task(
    name="handwriting",
    config_type=HandwritingTaskConfig,
    build=later(DATA, "build"),
    explain=handwriting_lines,
    page=Page(path="pages/handwriting.py", title="Handwriting", icon=":material/draw:", order=30,
              summary="Pen trajectories read point by point; then draw a character yourself.",
              views="ui.tasks.handwriting"),
    golden=Golden({"train_size": "500", "points": "8", "cells": "gru"}),
    numbers_version=1,
    presets=PRESETS,
    # Measured: 24 points and 900 steps give the LSTM about 0.98 on generated digits and 0.91-0.93
    # on real writers' pendigits in about 30 s (see bench/demos_bench.py).
    defaults={"cells": ("gru", "lstm", "bilstm"), "steps": 900},
    files=FileFormats(formats=FORMATS, read=later(DATA, "read_file"),
                      encode=later(DATA, "encode_file"),
                      check=later(DATA, "check_training_file")),
)
