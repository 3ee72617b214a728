"""The memory lab: carry the first of a few symbols across a long run of noisy distractors.

Everything about the lesson is here: its settings (config.py), seeded data (data.py), presets,
explanation, numbers version and page; core/tasks/registry.py finds it by this package's TASK.
"""

from core.tasks.memory import data
from core.tasks.memory.config import MemoryTaskConfig
from core.tasks.memory.explanation import memory_lines
from core.tasks.memory.presets import PRESETS
from core.tasks.record import Golden, Page, Task

TASK = Task(
    name="memory",
    config_type=MemoryTaskConfig,
    build=data.build,
    explain=memory_lines,
    page=Page(path="pages/memory_lab.py", title="Memory lab", icon=":material/memory:", order=10,
              summary="Can a model carry the first symbol across a long, noisy sequence?",
              views="ui.tasks.memory"),
    golden=Golden({"distance": "6", "cells": "rnn,lstm"}),
    numbers_version=1,
    presets=PRESETS,
    data_shape=data.data_shape,
    build_views=data.build_views,
)
