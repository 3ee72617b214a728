"""How the next-word lesson turns text into ids and back: words, characters or SentencePiece pieces.

Id 0 is padding and id 1 the unknown unit in every codec, as in core/data/tokens, so a typed prompt
with a word the model never saw reads as "unknown" instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.data.tokens import normalise

UNKNOWN_ID = 1


@dataclass(frozen=True)
class Codec:
    """A vocabulary of units (words or characters), or a SentencePiece tokenizer for pieces."""

    units: str  # "words", "characters" or "pieces"
    vocabulary: tuple[str, ...] = ()  # words or characters by id (ids 0 and 1 are placeholders)
    tokenizer: Any = None  # a core.data.tokens.Tokenizer when units == "pieces"

    @property
    def size(self) -> int:
        return self.tokenizer.vocab_size if self.tokenizer is not None else len(self.vocabulary)

    def encode(self, text: str) -> list[int]:
        """A text's ids, read as the training text was (lower case, punctuation apart)."""
        if self.tokenizer is not None:
            return self.tokenizer.encode(text)
        index = {unit: number for number, unit in enumerate(self.vocabulary) if number > 1}
        units = normalise(text).split() if self.units == "words" else list(clean_characters(text))
        return [index.get(unit, UNKNOWN_ID) for unit in units]

    def unit(self, unit_id: int) -> str:
        """One id as text: a word, a character or a piece ("?" for the unknown unit)."""
        if self.tokenizer is not None:
            return self.tokenizer.piece(unit_id)
        return self.vocabulary[unit_id] if 1 < unit_id < len(self.vocabulary) else "?"

    def decode(self, ids: list[int]) -> str:
        if self.tokenizer is not None:
            return self.tokenizer.decode(ids)
        joiner = " " if self.units == "words" else ""
        return joiner.join(self.unit(unit_id) for unit_id in ids if unit_id != 0)


def clean_characters(text: str) -> str:
    """Free text as the character models read it: lower case, runs of white space as one space."""
    return " ".join(text.lower().split())
