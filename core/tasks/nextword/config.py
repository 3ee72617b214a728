"""The next-word lesson's own settings."""

from __future__ import annotations

from dataclasses import dataclass

from core.settings.fields import UPLOAD_KEY, setting

# Files of free text the user may upload: plain UTF-8 text.
FORMATS = ("txt",)


@dataclass(frozen=True)
class NextWordTaskConfig:
    """A language model: seeded stories whose last word depends on a clue far back, or free text."""

    source: str = setting(
        "story", choices=("story", "hamlet", "upload"), label="Data",
        help="Seeded stories whose last word depends on a clue many words earlier, Shakespeare's Hamlet "
             "(public domain, shipped with the app), or a text file you upload.",
    )
    gap: int = setting(
        12, low=2, high=60, label="Gap",
        help="Words between the clue (\"I grew up in France\") and the word that depends on it "
             "(\"so I speak fluent French\").", sources=("story",),
    )
    units: str = setting(
        "characters", choices=("characters", "pieces"), label="Read by", sources=("hamlet", "upload"),
        help="Model free text character by character, or piece by piece (SentencePiece subwords).",
    )
    window: int = setting(
        64, low=16, high=200, label="Window", sources=("hamlet", "upload"),
        help="Characters or pieces per training example (how far back the model is trained to read).",
    )
    embedding_size: int = setting(
        32, low=8, high=128, label="Embedding size", help="Length of each word's learned vector.",
    )
    temperature: float = setting(
        0.8, low=0.1, high=2.0, step=0.1, label="Temperature",
        help="How boldly the live samples are drawn: low picks the likeliest word, high takes risks.",
    )
    upload: str = setting(
        "", pattern=UPLOAD_KEY, label="Uploaded text",
        help="Key of the uploaded text file this run trains on (set by the upload box).",
    )
