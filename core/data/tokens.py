"""Subword tokens for text tasks: a SentencePiece model trained on the training texts, cached.

Training is seeded by nothing but its input, so the same texts and settings always give the same
pieces; a model is kept on disk under a hash of both (and in a small in-process cache), so the
second build of a task reads it back instead of training again. Id 0 is padding, id 1 the unknown
piece, so models can use `nn.Embedding(padding_idx=0)`. Every text goes through `normalise` first:
the training corpus, typed sentences and evaluation files are all read the same way.

A tokenizer reads text in one of two forms. "folded" (lower case, punctuation set apart) suits
classifiers, where "Great!" and "great !" should be one review. "written" keeps case and spacing
as written, only tidying quotes and whitespace, for models that write text back: a translation
must say "3. März 1999", not "3 . märz 1999", and its scores compare what a reader sees.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import sentencepiece
import torch

from core.data.tables import DataError
from core.settings import environment

KINDS = ("unigram", "bpe")
FORMS = ("folded", "written")
PAD_ID = 0
UNKNOWN_ID = 1
# A word cut into this many pieces or more is one the tokenizer barely knows.
HEAVY_SPLIT = 3
MEMORY_CACHE_SIZE = 8
WORD_START = "\u2581"  # SentencePiece marks the start of each word with this character.

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "`": "'", "\u00b4": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
                         "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2212": "-", "\u00a0": " "})
# Penn Treebank escapes, as some review corpora write brackets.
_TREEBANK = {"-lrb-": "(", "-rrb-": ")", "-lsb-": "[", "-rsb-": "]", "-lcb-": "{", "-rcb-": "}"}
_TREEBANK_PATTERN = re.compile("|".join(map(re.escape, _TREEBANK)))
_PUNCTUATION = re.compile(r"([.,!?;:()\[\]{}\"]|\.\.\.|--+)")


def normalise(text: str, form: str = "folded") -> str:
    """Plain quotes and dashes, HTML entities and treebank brackets undone, single spaces; in the
    "folded" form also lower case with punctuation set apart, so "Great!" and "great !" read the same."""
    text = html.unescape(text).translate(_QUOTES)
    if form == "written":
        return " ".join(text.split())
    text = _TREEBANK_PATTERN.sub(lambda match: _TREEBANK[match.group(0)], text.lower())
    text = text.replace("''", '"')
    text = _PUNCTUATION.sub(r" \1 ", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class Piece:
    """One piece of a tokenized text and whether the tokenizer knows it."""

    text: str
    id: int
    unknown: bool


@dataclass(frozen=True)
class Word:
    """One word of a text and the pieces it was cut into."""

    text: str
    pieces: tuple[Piece, ...]

    @property
    def unknown(self) -> bool:
        return any(piece.unknown for piece in self.pieces)

    @property
    def heavily_split(self) -> bool:
        return len(self.pieces) >= HEAVY_SPLIT


class Tokenizer:
    """A trained SentencePiece model behind a lock, with padding-aware batch encoding."""

    def __init__(self, model: bytes, settings: dict, notices: list[str] | None = None):
        self.model = model
        self.settings = dict(settings)
        self.notices = list(notices or [])
        self._processor = sentencepiece.SentencePieceProcessor(model_proto=model)
        # The processor's encode is const C++, but a lock costs little and guards older builds.
        self._lock = threading.Lock()

    @property
    def form(self) -> str:
        return self.settings.get("form", "folded")

    def normalise(self, text: str) -> str:
        """The text as this tokenizer reads it."""
        return normalise(text, self.form)

    @property
    def vocab_size(self) -> int:
        return self._processor.get_piece_size()

    def encode(self, text: str) -> list[int]:
        """Piece ids of one text; an empty text gives no ids."""
        with self._lock:
            return self._processor.encode(self.normalise(text))

    def encode_batch(self, texts: list[str], max_length: int | None = None, *,
                     return_empty: bool = False):
        """Ids (n, T) padded with 0 and lengths (n,); keeps the first `max_length` pieces.

        A text with nothing to read becomes one unknown piece, so every length is at least 1 and
        packing works; with `return_empty` a third value, a bool mask (n,), says which ones those were.
        """
        with self._lock:
            encoded = self._processor.encode([self.normalise(text) for text in texts])
        empty = torch.tensor([not ids for ids in encoded], dtype=torch.bool)
        encoded = [(ids or [UNKNOWN_ID])[:max_length] for ids in encoded]
        lengths = torch.tensor([len(ids) for ids in encoded], dtype=torch.long)
        width = int(lengths.max()) if encoded else 1
        inputs = torch.full((len(encoded), width), PAD_ID, dtype=torch.long)
        for row, ids in enumerate(encoded):
            inputs[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        return (inputs, lengths, empty) if return_empty else (inputs, lengths)

    def pieces(self, text: str) -> list[tuple[str, int, bool]]:
        """(piece, id, is_unknown) for each piece of the text, in order; an unknown piece shows
        the characters it stands for rather than "<unk>"."""
        return [(piece.text, piece.id, piece.unknown) for piece, _, _ in self._spans(self.normalise(text))]

    def words(self, text: str) -> list[Word]:
        """The text's words with their pieces, to show which words are unknown or cut up."""
        normal = self.normalise(text)
        groups: list[list[tuple[Piece, int, int]]] = []
        for span in self._spans(normal):
            if span[0].text.startswith(WORD_START) or not groups:
                groups.append([])
            groups[-1].append(span)
        encoded = normal.encode("utf-8")  # SentencePiece's offsets count bytes, not characters
        return [Word(encoded[group[0][1]: group[-1][2]].decode("utf-8", errors="replace").strip(),
                     tuple(piece for piece, _, _ in group))
                for group in groups]

    def _spans(self, normal: str) -> list[tuple[Piece, int, int]]:
        """Each piece with the byte offsets where it starts and ends in the normalised text."""
        with self._lock:
            proto = self._processor.encode(normal, out_type="proto")
        spans = []
        for item in proto.pieces:
            unknown = item.id == UNKNOWN_ID
            spans.append((Piece(item.surface if unknown else item.piece, item.id, unknown), item.begin, item.end))
        return spans

    def decode(self, ids: list[int]) -> str:
        """The text that piece ids spell, in this tokenizer's form (padding dropped)."""
        with self._lock:
            return self._processor.decode([int(i) for i in ids if i != PAD_ID])

    def piece(self, piece_id: int) -> str:
        with self._lock:
            return self._processor.id_to_piece(piece_id)


def cache_dir() -> Path:
    configured = environment.read("RNN_PLAYGROUND_CACHE")
    return configured / "tokens" if configured else environment.cache_home() / "rnn-playground" / "tokens"


_memory: OrderedDict[str, Tokenizer] = OrderedDict()
_memory_lock = threading.Lock()
# One training at a time: two jobs asking for the same tokenizer train it once.
_training_lock = threading.Lock()


def cache_key(texts: list[str], settings: dict) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps({**settings, "sentencepiece": sentencepiece.__version__}, sort_keys=True).encode())
    for text in texts:
        digest.update(b"\x00")
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()[:32]


def train_model(texts: list[str], vocab_size: int, kind: str, character_coverage: float = 1.0) -> bytes:
    """Serialized SentencePiece model trained on `texts` (already normalised), in memory."""
    writer = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(texts), model_writer=writer, vocab_size=vocab_size, model_type=kind,
        pad_id=PAD_ID, unk_id=UNKNOWN_ID, bos_id=-1, eos_id=-1, character_coverage=character_coverage,
        # Our own normalise already decided the text's form; SentencePiece keeps it as is.
        normalization_rule_name="identity", num_threads=1, minloglevel=2,
    )
    return writer.getvalue()


# Share of the characters in the texts a model must cover, tried in turn when every distinct
# character does not fit in the vocabulary (texts in scripts with thousands of characters).
COVERAGES = (1.0, 0.9995, 0.999, 0.995, 0.99)


def _train_fitting(texts: list[str], vocab_size: int, kind: str) -> tuple[bytes, list[str]]:
    """Train, lowering the vocabulary size when the texts hold fewer distinct pieces, and leaving
    the rarest characters unknown when the texts hold more distinct characters than it."""
    notices: list[str] = []
    for coverage in COVERAGES:
        try:
            return train_model(texts, vocab_size, kind, coverage), notices
        except RuntimeError as error:
            message = str(error)
        limit = re.search(r"Vocabulary size too high \(\d+\)\. Please set it to a value <= (\d+)", message)
        if limit:
            fitted = int(limit.group(1))
            notices.append(f"Vocabulary size lowered from {vocab_size:,} to {fitted:,}: "
                           "the training texts do not hold more distinct pieces.")
            return train_model(texts, fitted, kind, coverage), notices
        if "smaller than required_chars" not in message:
            # Any other refusal of SentencePiece's (a vocabulary too small for its own reserved
            # pieces, vocab_size=1, came as an INTERNAL error) is about these settings, not a fault.
            raise DataError(f"A tokenizer with {vocab_size:,} pieces cannot be trained on these texts "
                            f"({message.splitlines()[0][:160]}); raise the vocabulary size.")
        if not notices:
            notices.append(f"The texts hold more distinct characters than fit in {vocab_size:,} pieces; "
                           "the rarest ones are read as unknown.")
    raise DataError(f"The texts hold far more distinct characters than a vocabulary of {vocab_size:,} pieces; "
                    "raise the vocabulary size.")


def build_tokenizer(texts: Iterable[str], vocab_size: int, kind: str = "unigram",
                    form: str = "folded") -> Tokenizer:
    """The tokenizer for these training texts and settings, from memory, disk, or trained now."""
    if kind not in KINDS:
        raise ValueError(f"unknown tokenizer {kind!r}; choose from {', '.join(KINDS)}")
    if form not in FORMS:
        raise ValueError(f"unknown text form {form!r}; choose from {', '.join(FORMS)}")
    corpus = [line for line in (normalise(text, form) for text in texts) if line]
    if not corpus:
        raise DataError("There is no text to build a vocabulary from.")
    settings = {"vocab_size": int(vocab_size), "kind": kind}
    if form != "folded":
        settings["form"] = form  # folded tokenizers keep the cache keys they always had
    key = cache_key(corpus, settings)
    tokenizer = _remember(key)
    if tokenizer is not None:
        return tokenizer
    with _training_lock:
        tokenizer = _remember(key) or _load(key, settings) or _train_and_store(key, corpus, settings)
    with _memory_lock:
        _memory[key] = tokenizer
        while len(_memory) > MEMORY_CACHE_SIZE:
            _memory.popitem(last=False)
    return tokenizer


def _remember(key: str) -> Tokenizer | None:
    with _memory_lock:
        tokenizer = _memory.get(key)
        if tokenizer is not None:
            _memory.move_to_end(key)
        return tokenizer


def _load(key: str, settings: dict) -> Tokenizer | None:
    folder = cache_dir()
    try:
        model = (folder / f"{key}.model").read_bytes()
        notices = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))["notices"]
        return Tokenizer(model, settings, notices)
    except (OSError, ValueError, KeyError, RuntimeError):
        return None  # Missing or damaged: train again.


def _train_and_store(key: str, corpus: list[str], settings: dict) -> Tokenizer:
    model, notices = _train_fitting(corpus, settings["vocab_size"], settings["kind"])
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for suffix, data in ((".model", model), (".json", json.dumps({"notices": notices}).encode())):
            temporary = folder / f"{key}{suffix}.{os.getpid()}.{threading.get_ident()}.tmp"
            temporary.write_bytes(data)
            os.replace(temporary, folder / f"{key}{suffix}")
    except OSError:
        pass  # A read-only home only costs a retrain next time.
    return Tokenizer(model, settings, notices)


def clear_memory() -> None:
    """Forget the in-process cache (tests use it to reach the disk cache)."""
    with _memory_lock:
        _memory.clear()
