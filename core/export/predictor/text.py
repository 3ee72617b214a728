"""Text read as the app reads it: the same normalisation before SentencePiece (core/data/tokens.py),
the same cut into words for tagging (core/tasks/ner/data.py), with nothing but the standard library."""

from __future__ import annotations

import html
import re

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "`": "'", "\u00b4": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
                         "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2212": "-", "\u00a0": " "})
_TREEBANK = {"-lrb-": "(", "-rrb-": ")", "-lsb-": "[", "-rsb-": "]", "-lcb-": "{", "-rcb-": "}"}
_TREEBANK_PATTERN = re.compile("|".join(map(re.escape, _TREEBANK)))
_PUNCTUATION = re.compile(r"([.,!?;:()\[\]{}\"]|\.\.\.|--+)")
# Titles keep their full stop, numbers their separators, punctuation stands alone.
WORD_PATTERN = re.compile(r"(?:Mr|Mrs|Ms|Dr|St)\.|\d+(?:[.,]\d+)*|\w+(?:['’-]\w+)*|[^\w\s]")
UNKNOWN_SHAPES = ("<unknown-capitalised>", "<unknown-lower>", "<unknown-other>")


def normalise(text: str, form: str = "folded") -> str:
    """Plain quotes and dashes, HTML entities and treebank brackets undone, single spaces; in the
    "folded" form also lower case with punctuation set apart (the "written" form keeps case and spacing)."""
    text = html.unescape(text).translate(_QUOTES)
    if form == "written":
        return " ".join(text.split())
    text = _TREEBANK_PATTERN.sub(lambda match: _TREEBANK[match.group(0)], text.lower())
    text = text.replace("''", '"')
    text = _PUNCTUATION.sub(r" \1 ", text)
    return " ".join(text.split())


def words_of(text: str) -> list[str]:
    """A sentence cut into the words a tagger reads."""
    return WORD_PATTERN.findall(text)


def shape(word: str) -> str:
    """The unknown word a tagger reads in place of a word it never saw: by its shape."""
    if word[:1].isupper():
        return UNKNOWN_SHAPES[0]
    return UNKNOWN_SHAPES[1] if word.isalpha() else UNKNOWN_SHAPES[2]


def clean_characters(text: str) -> str:
    """Free text as a character model reads it: lower case, runs of white space as one space."""
    return " ".join(text.lower().split())
