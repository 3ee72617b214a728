"""The named-entity task's data: generated sentences or the user's CoNLL file, as word ids and tags.

Words are looked up in a vocabulary built from the training sentences; a word it lacks is read as
one of three unknown words by its shape (capitalised, lower case, other), so an unseen name still
looks like a name. Validation sentences never repeat a training sentence word for word.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from core.data.errors import DataError
from core.tasks.base import TaskData
from core.tasks.ner import sentences as generated
from core.tasks.ner.config import FORMATS, EntityTaskConfig
from core.tasks.ner.tagging import Tagging

VAL_SIZE = 600
PROBE_SIZE = 32
MAX_WORDS = 120  # a longer sentence in a file keeps its first words
UPLOAD_VAL_SHARE = 0.15
MIN_SENTENCES = 30
PAD, UNKNOWN = "<pad>", ("<unknown-capitalised>", "<unknown-lower>", "<unknown-other>")
TAG_PATTERN = re.compile(r"O|[BI]-[A-Za-z][A-Za-z0-9_]{0,19}")
# Typed text: titles keep their full stop, numbers their separators, punctuation stands alone.
WORD_PATTERN = re.compile(r"(?:Mr|Mrs|Ms|Dr|St)\.|\d+(?:[.,]\d+)*|\w+(?:['’-]\w+)*|[^\w\s]")


def words_of(text: str) -> list[str]:
    """A typed sentence cut into words the way the generated sentences are."""
    return WORD_PATTERN.findall(text)


def shape(word: str) -> str:
    if word[:1].isupper():
        return UNKNOWN[0]
    return UNKNOWN[1] if word.isalpha() else UNKNOWN[2]


@dataclass(frozen=True)
class Vocabulary:
    """Word ids: 0 pads, then the three unknown shapes, then every training word."""

    words: tuple[str, ...]
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {word: number for number, word in enumerate(self.words)})

    @classmethod
    def of(cls, sentences: Sequence[Sequence[str]]) -> Vocabulary:
        counts = Counter(word for sentence in sentences for word in sentence)
        return cls((PAD, *UNKNOWN, *sorted(counts)))

    def known(self, word: str) -> bool:
        return word in self.index

    def encode(self, sentences: Sequence[Sequence[str]]) -> tuple[torch.Tensor, torch.Tensor]:
        """(sentences, longest) word ids, padded with 0, and each sentence's length."""
        longest = max((len(sentence) for sentence in sentences), default=1) or 1
        ids = torch.zeros(len(sentences), longest, dtype=torch.long)
        for row, sentence in enumerate(sentences):
            ids[row, : len(sentence)] = torch.tensor(
                [self.index.get(word, self.index[shape(word)]) for word in sentence], dtype=torch.long)
        lengths = torch.tensor([max(len(sentence), 1) for sentence in sentences], dtype=torch.long)
        return ids, lengths


@dataclass(frozen=True)
class EntityFile:
    """A CoNLL file's sentences as (words, tags), and what reading it changed."""

    sentences: list[tuple[tuple[str, ...], tuple[str, ...]]]
    notices: list[str]


def read_file(format: str, content: bytes) -> EntityFile:
    """The user's CoNLL-layout file: a word per line with its tag last, a blank line between sentences."""
    if format not in FORMATS:
        raise DataError(f"Unknown file format {format!r}; the named-entity task reads {', '.join(FORMATS)} files.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(f"The file is not UTF-8 text (byte {error.start + 1} cannot be read).") from None
    found, words, tags, notices, cut = [], [], [], [], 0
    for number, line in enumerate([*text.splitlines(), ""], start=1):
        columns = line.split()
        if not columns or columns[0] == "-DOCSTART-":
            if words:
                cut += len(words) > MAX_WORDS
                found.append((tuple(words[:MAX_WORDS]), tuple(tags[:MAX_WORDS])))
            words, tags = [], []
            continue
        if len(columns) < 2:
            raise DataError(f"Line {number} has one column; each word's line needs its tag last, as in "
                            "“Paris B-LOC”.")
        tag = columns[-1]
        if not TAG_PATTERN.fullmatch(tag):
            raise DataError(f"Line {number} ends in a tag that is not O, B-TYPE or I-TYPE; tags are letters, "
                            "digits and _ after B- or I- (at most 20).")
        words.append(columns[0])
        tags.append(tag)
    if cut:
        notices.append(f"{cut:,} sentences longer than {MAX_WORDS} words keep their first {MAX_WORDS}.")
    return EntityFile(found, notices)


def check_training_file(dataset: EntityFile) -> EntityFile:
    """A file to train on needs enough sentences and at least one entity."""
    if len(dataset.sentences) < MIN_SENTENCES:
        raise DataError(f"The file has {len(dataset.sentences):,} sentences; training needs at least "
                        f"{MIN_SENTENCES}, with a blank line between sentences.")
    if not any(tag != "O" for _, tags in dataset.sentences for tag in tags):
        raise DataError("Every tag in the file is O: there is no entity to learn.")
    return dataset


def encode_file(data: TaskData, dataset: EntityFile) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Another file's sentences as (word ids, tag ids, lengths) for a trained run's vocabulary; a tag
    the run never saw is scored as missed (core/tasks/ner/tagging.py scores by the file's own tags)."""
    if not dataset.sentences:
        raise DataError("The file holds no sentences.")
    inputs, lengths = data.codec.encode([words for words, _ in dataset.sentences])
    return inputs, _tag_ids([tags for _, tags in dataset.sentences], data.problem.tags, inputs.shape[1]), lengths


def _tag_ids(tag_lists: Sequence[Sequence[str]], tags: Sequence[str], longest: int) -> torch.Tensor:
    index = {tag: number for number, tag in enumerate(tags)}
    targets = torch.full((len(tag_lists), longest), -100, dtype=torch.long)
    for row, sentence in enumerate(tag_lists):
        targets[row, : len(sentence)] = torch.tensor([index.get(tag, 0) for tag in sentence], dtype=torch.long)
    return targets


def _generated(config: EntityTaskConfig, seed: int) -> tuple[list, list, dict]:
    names = generated.pools(seed)
    train = generated.sentences(config.train_size, names, seed)
    seen = {sentence.words for sentence in train}
    val = [sentence for sentence in generated.sentences(VAL_SIZE * 3, names, seed + 10_007)
           if sentence.words not in seen][:VAL_SIZE]
    info = {"origin": "generated sentences (names, places and firms from Faker)", "kinds": generated.KINDS}
    return ([(s.words, s.tags, s.kind) for s in train], [(s.words, s.tags, s.kind) for s in val], info)


def _uploaded(config: EntityTaskConfig, seed: int) -> tuple[list, list, dict]:
    if not config.upload:
        raise DataError("Upload a CoNLL file first: a word per line with its tag last, a blank line between "
                        "sentences.")
    from core.data import uploads  # only uploads need the upload store

    format, content = uploads.load(config.upload)
    dataset = check_training_file(read_file(format, content))
    order = list(range(len(dataset.sentences)))
    random.Random(seed).shuffle(order)
    val_count = max(1, round(UPLOAD_VAL_SHARE * len(order)))
    notices = list(dataset.notices)
    train_index = order[val_count:]
    if len(train_index) > config.train_size:
        notices.append(f"Trained on {config.train_size:,} of {len(train_index):,} training sentences (seed {seed}).")
        train_index = train_index[: config.train_size]

    def rows(indices: list[int]) -> list:
        return [(*dataset.sentences[i], "file") for i in indices]

    return rows(train_index), rows(sorted(order[:val_count])), {"origin": "your CoNLL file", "notices": notices}


def build(config: EntityTaskConfig, seed: int) -> TaskData:
    """Seeded splits of tagged sentences, their word ids and tag ids, and the tagging problem."""
    train, val, info = _uploaded(config, seed) if config.source == "upload" else _generated(config, seed)
    if not val:
        raise DataError("No validation sentence is left that training has not seen; generate more sentences.")
    if config.source == "upload":
        tags = ("O", *sorted({tag for _, row_tags, _ in train + val for tag in row_tags} - {"O"}))
    else:
        tags = generated.TAGS
    vocabulary = Vocabulary.of([words for words, _, _ in train])
    train_inputs, train_lengths = vocabulary.encode([words for words, _, _ in train])
    val_inputs, val_lengths = vocabulary.encode([words for words, _, _ in val])
    probe_rows = [row for row in val if row[2] == "after"][:PROBE_SIZE] or val[:PROBE_SIZE]
    probe_inputs, probe_lengths = vocabulary.encode([words for words, _, _ in probe_rows])
    probe_targets = _tag_ids([row_tags for _, row_tags, _ in probe_rows], tags, probe_inputs.shape[1])
    # The shared probe follows the last word's error back through the sentence.
    last = torch.full_like(probe_targets, -100)
    rows = torch.arange(len(probe_rows))
    last[rows, probe_lengths - 1] = probe_targets[rows, probe_lengths - 1]
    kinds = info.get("kinds", ())
    groups = {kind: torch.tensor([row[2] == kind for row in val]) for kind in kinds}
    info.update(train_size=len(train), val_size=len(val), vocabulary=len(vocabulary.words), tags=tags,
                val_words=[words for words, _, _ in val], val_tags=[tags_ for _, tags_, _ in val],
                val_kinds=[kind for _, _, kind in val], train_examples=train[:8], probe_sentences=len(probe_rows),
                probe_first=probe_targets[:, 0].clone())
    return TaskData(
        train_inputs=train_inputs, train_targets=_tag_ids([t for _, t, _ in train], tags, train_inputs.shape[1]),
        val_inputs=val_inputs, val_targets=_tag_ids([t for _, t, _ in val], tags, val_inputs.shape[1]),
        probe_inputs=probe_inputs, probe_targets=last, input_size=config.embedding_size, num_classes=len(tags),
        metric="entity F1", position_label="words back from the last", vocab_size=len(vocabulary.words),
        per_step=True, train_lengths=train_lengths, val_lengths=val_lengths, probe_lengths=probe_lengths,
        val_groups=groups, codec=vocabulary, info=info, problem=Tagging(tags))
