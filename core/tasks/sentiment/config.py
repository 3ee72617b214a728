"""The sentiment lesson's own settings."""

from __future__ import annotations

from dataclasses import dataclass

from core.settings.fields import UPLOAD_KEY, setting


@dataclass(frozen=True)
class SentimentTaskConfig:
    """The sentiment demo: word-order puzzles, real review snippets, or the user's own table."""

    source: str = setting(
        "puzzles", choices=("puzzles", "reviews", "upload"), label="Data",
        help="Generated word-order puzzles, real movie-review snippets, or a table you upload.",
    )
    distance: int = setting(
        6, low=0, high=30, label="Filler words", sources=("puzzles",),
        help="Puzzles: up to this many neutral filler words between the deciding cue and the end.",
    )
    opinions: int = setting(
        0, low=0, high=6, label="Distractor opinions", sources=("puzzles",),
        help="Puzzles: after a leading verdict, this many opinions that do not decide the label (0 = off).",
    )
    vocab_size: int = setting(
        8000, low=100, high=8000, label="Vocabulary size",
        help="Subword pieces the SentencePiece tokenizer learns from the training split (at most as many as "
             "the texts support: the puzzles' small vocabulary needs fewer).",
    )
    tokenizer: str = setting(
        "bpe", choices=("bpe", "unigram"), label="Tokenizer",
        help="SentencePiece algorithm: unigram language model or byte-pair encoding.",
    )
    embedding_size: int = setting(
        64, low=8, high=128, label="Embedding size", help="Length of each token's learned vector.",
    )
    train_size: int = setting(
        20000, low=500, high=20000, label="Training examples",
        help="Examples generated, or the most taken from a corpus or table.",
    )
    upload: str = setting(
        "", pattern=UPLOAD_KEY, label="Uploaded table",
        help="Key of the uploaded table this run trains on (set by the upload box).",
    )
