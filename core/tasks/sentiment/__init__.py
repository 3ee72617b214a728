"""The sentiment lesson: word-order puzzles, real review snippets or the user's own table.

Everything about the lesson is here: its settings (config.py), data (data.py), presets,
explanation, numbers version and page; core/tasks/registry.py finds it by this package's TASK.
The data module loads SentencePiece, so the record reaches it through functions called on use.
"""

from core.data.tables import FORMATS
from core.tasks.record import FileFormats, Golden, Page, Task, later
from core.tasks.sentiment.config import SentimentTaskConfig
from core.tasks.sentiment.explanation import sentiment_lines
from core.tasks.sentiment.presets import PRESETS

# The lesson's data code, imported when first used.
DATA = "core.tasks.sentiment.data"

TASK = Task(
    name="sentiment",
    config_type=SentimentTaskConfig,
    build=later(DATA, "build"),
    explain=sentiment_lines,
    page=Page(path="pages/sentiment.py", title="Sentiment", icon=":material/reviews:", order=20,
              summary="Word-order puzzles, real movie reviews or your own table; then type a review.",
              views="ui.tasks.sentiment"),
    golden=Golden({"train_size": "500", "vocab_size": "100", "embedding_size": "8", "cells": "bow,gru"}),
    numbers_version=1,
    presets=PRESETS,
    # Measured: 600 steps of batch 64 take the LSTM past 0.95 on the puzzles in well under a minute.
    defaults={"cells": ("rnn", "lstm", "bilstm", "bow"), "batch_size": 64, "steps": 600},
    files=FileFormats(formats=FORMATS, read=later(DATA, "read_file"),
                      encode=later(DATA, "encode_file")),
)
