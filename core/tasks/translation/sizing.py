"""Defaults that fit a file of sentence pairs: how long to train, how many pieces, how big a model.

The number-word defaults suit 4,000 generated phrases of a 120-piece vocabulary; a file of real
sentences needs the whole file, a vocabulary and a model that grow with it, and a length counted in
passes over the data (epochs) rather than a fixed step count. `pair_file_settings` chooses them from
the number of pairs alone, so the command line, the upload box and the Sentences preset choose the
same, and each choice is an ordinary setting: shown on the page and still adjustable.

bench/sentences.py measures them on a file of pairs (16,000 short pairs trained, 1,000 unseen pairs
scored); the README's "Real sentences" table has the figures.
"""

from __future__ import annotations

import math

from core.tasks.translation.pair_files import MAX_PAIRS, split_sizes

# Passes over the training pairs: enough for a small model to fit short sentences, few enough to
# answer in minutes on two cores (bucketed batches make an epoch of 15,000 pairs about 235 steps).
# Measured on 16,000 German pairs: the attention model's best validation chrF came after 5 of 7
# epochs at a learning rate of 0.005, and 7 epochs at 0.005 beat 10 at 0.003.
EPOCHS = 6
LEARNING_RATE = "0.005"
# Pairs in the file the Sentences preset trains on (core/tasks/translation/sentences/eng-deu.tsv).
SHIPPED_PAIR_COUNT = 16000
BATCH_SIZE = 64
MOST_STEPS = 5000  # the Steps slider's top


def _rounded(value: float, unit: int) -> int:
    return int(unit * round(value / unit))


def pair_file_settings(pairs: int) -> dict[str, str]:
    """Flat settings (as a link writes them) for training on a file of `pairs` sentence pairs."""
    train, _ = split_sizes(min(pairs, MAX_PAIRS))
    # Subword pieces per side grow with the text: about one per twelve training pairs, 400 to 4,000
    # (1,200 for 15,000 pairs scored higher than 1,900, and each step was cheaper).
    vocabulary = max(400, min(4000, _rounded(train / 12, 100)))
    # A bigger model only pays where there is text to fit it.
    hidden = 256 if train >= 8000 else 128 if train >= 2000 else 64
    embedding = 128 if train >= 2000 else 64
    per_epoch = math.ceil(train / BATCH_SIZE)
    steps = max(100, min(MOST_STEPS, EPOCHS * per_epoch))
    # About two evaluations an epoch, each on a fixed sample of the validation pairs.
    every = max(10, min(500, _rounded(per_epoch / 2, 5)))
    return {
        "train_size": str(min(max(train, 200), 20000)), "vocab_size": str(vocabulary),
        "hidden_size": str(hidden), "embedding_size": str(embedding), "batch_size": str(BATCH_SIZE),
        "steps": str(steps), "lr": LEARNING_RATE, "schedule": "cosine", "keep": "best",
        "eval_every": str(every), "probe_every": str(every),
    }


def defaults_for(pairs) -> dict[str, str]:
    """The settings for a read file of pairs (`core.tasks.translation.phrases.Pairs`)."""
    return pair_file_settings(len(pairs))


def epochs_of(steps: int, batch_size: int, train_pairs: int) -> float:
    """How many passes over `train_pairs` pairs `steps` batches of `batch_size` make."""
    return steps * batch_size / max(train_pairs, 1)
