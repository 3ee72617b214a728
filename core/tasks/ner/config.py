"""The named-entity lesson's own settings."""

from __future__ import annotations

from dataclasses import dataclass

from core.settings.fields import UPLOAD_KEY, setting

# Files in the CoNLL column layout: a token per line, its tag last, a blank line between sentences.
FORMATS = ("conll",)


@dataclass(frozen=True)
class EntityTaskConfig:
    """Tag every word of a sentence with the entity it belongs to: generated sentences or your own file."""

    source: str = setting(
        "generated", choices=("generated", "upload"), label="Data",
        help="Generated sentences with people, places, organisations and dates, or a CoNLL file you upload.",
    )
    train_size: int = setting(
        3000, low=200, high=20000, label="Training sentences",
        help="Sentences generated for training (an upload trains on all of its own, up to this many).",
    )
    embedding_size: int = setting(
        32, low=4, high=128, label="Embedding size", help="Values per word fed to the models.",
    )
    upload: str = setting(
        "", pattern=UPLOAD_KEY, label="Uploaded CoNLL file",
        help="Key of the uploaded CoNLL file this run trains on (set by the upload box).",
    )
