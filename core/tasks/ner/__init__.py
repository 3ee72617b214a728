"""The named-entity lesson: tag people, places, organisations and dates, reading forward or both ways.

Everything about the lesson is here: its settings (config.py), seeded sentences (sentences.py),
data and files (data.py), the tagging problem (tagging.py), entity scores (spans.py), presets,
explanation, numbers version and page; core/tasks/registry.py finds it by this package's TASK.
The data module loads Faker and builds tensors, so the record reaches it through functions
called on use.
"""

from core.tasks.ner.config import FORMATS, EntityTaskConfig
from core.tasks.ner.explanation import ner_lines
from core.tasks.ner.presets import PRESETS
from core.tasks.record import FileFormats, Golden, Page, Task, later

# The lesson's data code, imported when first used.
DATA = "core.tasks.ner.data"

TASK = Task(
    name="ner",
    config_type=EntityTaskConfig,
    build=later(DATA, "build"),
    explain=ner_lines,
    page=Page(path="pages/named_entities.py", title="Named entities", icon=":material/badge:", order=50,
              summary="Who, where, which firm? A name the words after it decide, read forward or both ways.",
              views="ui.tasks.ner"),
    golden=Golden({"train_size": "200", "embedding_size": "8", "cells": "rnn,bilstm,bow"}),
    numbers_version=1,
    presets=PRESETS,
    defaults={"cells": ("rnn", "lstm", "bilstm", "bow"), "batch_size": 32, "steps": 500},
    files=FileFormats(formats=FORMATS, read=later(DATA, "read_file"), encode=later(DATA, "encode_file"),
                      check=later(DATA, "check_training_file")),
)
