"""Readers for pen-trajectory files people bring: UCI pendigits and UJI Pen Characters (v1 and v2).

Each reader turns a file's bytes into a `PenSet` of characters in the one stroke representation
(core/data/strokes.py: strokes of (n, 2) points, y up) with class names, and says in `notices` what it
skipped and why. Whatever cannot be read at all raises `DataError` with a message a person can act
on: which line, what was expected, what limit was passed.

Formats:
    pendigits   per line 16 integers x1, y1, ..., x8, y8 (0..100, y up) and the class 0-9,
                comma separated (spaces allowed): the path resampled to 8 points by its makers.
    uji v2      `// comment` lines; `WORD <char> <writer>`; `NUMSTROKES <n>`; then n lines
                `POINTS <k> # x1 y1 ... xk yk` (tablet pixels, y down).
    uji v1      UNIPEN-like: `.SEGMENT CHARACTER <id> ? "<char>"`, then `.PEN_DOWN`, lines of
                `x y`, `.PEN_UP` per stroke; other `.KEYWORD` lines are headers (y down).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from core.data.errors import DataError
from core.data.strokes import MAX_COORDINATE

# As large as an upload may be (core/data/uploads.py): the whole UJIpenchars2 file fits.
MAX_BYTES = 20 * 1024 * 1024
# Bad lines are reported one by one up to this many; past it the file is refused as not this format.
MAX_BAD_LINES = 20
DIGITS = tuple("0123456789")
# UJI characters have tens to hundreds of points; a record far beyond these is not handwriting.
MAX_POINTS = 10_000
MAX_STROKES = 100
# Numbers as files write them, in ASCII digits: Python's int() and float() also accept Arabic-Indic
# or fullwidth digits, underscores, "inf" and "nan", none of which a pen file means.
_WHOLE = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def whole_number(text: str) -> int:
    """An ASCII whole number; ValueError for anything else."""
    text = text.strip()
    if not _WHOLE.fullmatch(text):
        raise ValueError(f"not a whole number: {text[:20]!r}")
    return int(text)


def decimal_number(text: str) -> float:
    """An ASCII decimal number within ±MAX_COORDINATE; ValueError for anything else."""
    text = text.strip()
    if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise ValueError(f"{text} is not finite")
    if not _DECIMAL.fullmatch(text):
        raise ValueError(f"not a number: {text[:20]!r}")
    value = float(text)
    if not abs(value) <= MAX_COORDINATE:
        raise ValueError(f"{text[:20]} is beyond ±{MAX_COORDINATE:,.0f}")
    return value


@dataclass
class PenSet:
    """Characters read from a file: strokes per sample, their class names, and what was skipped."""

    strokes: list[list[np.ndarray]]
    labels: list[str]
    notices: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def class_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for label in self.labels:
            counts[label] = counts.get(label, 0) + 1
        return dict(sorted(counts.items()))


def decode_text(content: bytes | str, max_bytes: int, name: str, latin1_fallback: bool = False) -> str:
    """The file as text, or DataError when it is too large, binary, or in an unknown encoding."""
    if isinstance(content, str):
        try:
            content = content.encode("utf-8")
        except UnicodeEncodeError:  # text handed in directly, not read from a file, can hold lone surrogates
            raise DataError(f"The {name} text holds a character that is not valid Unicode.") from None
    if len(content) > max_bytes:
        raise DataError(f"The {name} file is {len(content):,} bytes; the limit is {max_bytes:,} bytes.")
    if b"\x00" in content:
        raise DataError(f"The {name} file looks binary or UTF-16; save it as plain UTF-8 text.")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if latin1_fallback:
            return content.decode("latin-1")
        raise DataError(f"The {name} file is not UTF-8 text (byte {error.start + 1} cannot be read); "
                        "save it as plain UTF-8 text.") from error


class _Problems:
    """Collects bad lines; refuses the file once there are too many to be a few slips."""

    def __init__(self, name: str):
        self.name = name
        self.lines: list[str] = []

    def add(self, number: int, reason: str) -> None:
        self.lines.append(f"line {number}: {reason}")
        if len(self.lines) > MAX_BAD_LINES:
            shown = "; ".join(self.lines[:3])
            raise DataError(f"This does not read as a {self.name} file: more than {MAX_BAD_LINES} "
                            f"bad lines ({shown}; ...).")

    def notices(self) -> list[str]:
        if not self.lines:
            return []
        return [f"Skipped {len(self.lines)} bad line(s): " + "; ".join(self.lines)]


def _filter_classes(penset: PenSet, classes: Iterable[str] | None, name: str) -> PenSet:
    """Drop samples whose class is not in `classes`, saying which and how many."""
    if classes is None:
        return penset
    allowed = set(classes)
    keep = [index for index, label in enumerate(penset.labels) if label in allowed]
    dropped = sorted({label for label in penset.labels if label not in allowed})
    if dropped:
        count = len(penset) - len(keep)
        shown = ", ".join(repr(label) for label in dropped[:12]) + (" ..." if len(dropped) > 12 else "")
        penset.notices.append(f"Dropped {count} sample(s) of classes outside the chosen set: {shown}.")
    if not keep:
        raise DataError(f"The {name} file has no samples of the chosen classes "
                        f"({', '.join(sorted(allowed)[:12])}).")
    penset.strokes = [penset.strokes[index] for index in keep]
    penset.labels = [penset.labels[index] for index in keep]
    return penset


def read_pendigits(content: bytes | str, max_bytes: int = MAX_BYTES,
                   classes: Iterable[str] | None = None) -> PenSet:
    """UCI pendigits rows as one 8-point stroke each, labelled "0".."9"."""
    text = decode_text(content, max_bytes, "pendigits")
    problems = _Problems("pendigits")
    strokes, labels = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = [part.strip() for part in line.split(",")]
        if len(fields) != 17:
            problems.add(number, f"expected 17 comma-separated numbers, found {len(fields)}")
            continue
        try:
            values = [whole_number(part) for part in fields]
        except ValueError:
            problems.add(number, "a field is not a whole number")
            continue
        if not 0 <= values[16] <= 9:
            problems.add(number, f"class {values[16]} is not a digit 0-9")
            continue
        if not all(0 <= value <= 100 for value in values[:16]):
            problems.add(number, "a coordinate is outside 0..100")
            continue
        strokes.append([np.asarray(values[:16], dtype=float).reshape(8, 2)])
        labels.append(str(values[16]))
    if not labels:
        raise DataError("No valid pendigits rows: each line needs 16 coordinates (0..100) and a "
                        "class 0-9, separated by commas." + _first_problem(problems))
    return _filter_classes(PenSet(strokes, labels, problems.notices()), classes, "pendigits")


def _first_problem(problems: _Problems) -> str:
    return f" First problem: {problems.lines[0]}." if problems.lines else ""


_WORD = re.compile(r"^WORD\s+(\S+)(?:\s+(\S+))?\s*$")
_SEGMENT = re.compile(r'^\.SEGMENT\s+CHARACTER\s+\S+\s+\S+\s+"(.*)"\s*$')


def _flip(stroke: list[float] | np.ndarray) -> np.ndarray:
    """Tablet coordinates (y down) as (n, 2) points with y up."""
    return np.asarray(stroke, dtype=float).reshape(-1, 2) * np.array([1.0, -1.0])


def _read_uji_v2(lines: list[str], problems: _Problems) -> tuple[list, list]:
    strokes, labels = [], []
    label, expected, current, start = None, 0, [], 0
    # After a bad line the rest of its record is skipped quietly: one problem, one report.
    skipping = False

    def finish() -> None:
        nonlocal label
        if label is None:
            return
        if expected < 0:
            problems.add(start, f"character {label!r} has no NUMSTROKES line")
        elif len(current) != expected:
            problems.add(start, f"character {label!r} promised {expected} strokes, found {len(current)}")
        elif current:
            strokes.append(list(current))
            labels.append(label)
        label = None

    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("//"):
            continue
        word = _WORD.match(line)
        if word:
            finish()
            label, expected, current, start = word.group(1), -1, [], number
            skipping = False
            continue
        if label is None:
            if not skipping:
                problems.add(number, "data before the first WORD line")
            continue
        head, rest = (line.split(None, 1) + [""])[:2]
        if head == "NUMSTROKES":
            try:
                expected = whole_number(rest)
                if not 0 < expected <= MAX_STROKES:
                    raise ValueError
            except ValueError:
                problems.add(number, f"NUMSTROKES needs a whole number from 1 to {MAX_STROKES}")
                label, skipping = None, True
            continue
        if head == "POINTS":
            count_text, hash_sign, numbers = rest.partition("#")
            try:
                count = whole_number(count_text)
            except ValueError:
                problems.add(number, "POINTS needs a count, '#', then numbers")
                label, skipping = None, True
                continue
            if not 0 < count <= MAX_POINTS:
                problems.add(number, f"POINTS {count_text.strip()[:12]}: a stroke has 1 to {MAX_POINTS:,} points")
                label, skipping = None, True
                continue
            try:
                values = [decimal_number(value) for value in numbers.split()]
            except ValueError as error:
                problems.add(number, f"POINTS needs numbers within ±{MAX_COORDINATE:,.0f} ({error})")
                label, skipping = None, True
                continue
            if not hash_sign or len(values) != 2 * count or count < 1:
                problems.add(number, f"POINTS {count_text.strip()} needs {2 * max(count, 1)} numbers "
                                     f"after '#', found {len(values)}")
                label, skipping = None, True
                continue
            current.append(_flip(values))
            continue
        problems.add(number, f"unknown keyword {head!r}")
    finish()
    return strokes, labels


def _read_uji_v1(lines: list[str], problems: _Problems) -> tuple[list, list]:
    strokes, labels = [], []
    label, current, stroke = None, [], None

    def finish() -> None:
        if label is not None and current:
            strokes.append(list(current))
            labels.append(label)

    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        segment = _SEGMENT.match(line)
        if segment:
            finish()
            label, current, stroke = segment.group(1), [], None
        elif line.startswith(".PEN_DOWN"):
            stroke = []
        elif line.startswith(".PEN_UP"):
            if stroke:
                current.append(_flip(stroke))
            stroke = None
        elif line.startswith("."):
            continue  # header keywords (.COMMENT, .X_DIM, ...) carry nothing a character needs
        elif stroke is None:
            problems.add(number, "coordinates outside a .PEN_DOWN ... .PEN_UP block")
        else:
            try:
                x, y = (decimal_number(value) for value in line.split()[:2])
            except ValueError as error:
                problems.add(number, f"expected two numbers 'x y' within ±{MAX_COORDINATE:,.0f} ({error})")
                continue
            if len(stroke) >= 2 * MAX_POINTS:
                problems.add(number, f"a stroke has more than {MAX_POINTS:,} points")
                continue
            stroke.extend((x, y))
    finish()
    return strokes, labels


def read_uji(content: bytes | str, max_bytes: int = MAX_BYTES,
             classes: Iterable[str] | None = None) -> PenSet:
    """UJI Pen Characters, version 2 (`WORD` records) or version 1 (`.SEGMENT` records)."""
    text = decode_text(content, max_bytes, "UJI", latin1_fallback=True)
    lines = text.splitlines()
    problems = _Problems("UJI Pen Characters")
    if any(_SEGMENT.match(line.strip()) for line in lines):
        strokes, labels = _read_uji_v1(lines, problems)
    else:
        strokes, labels = _read_uji_v2(lines, problems)
    if not labels:
        raise DataError("No characters found: a UJI file has 'WORD <char> <writer>' records with "
                        "NUMSTROKES and POINTS lines (or .SEGMENT CHARACTER blocks)."
                        + _first_problem(problems))
    return _filter_classes(PenSet(strokes, labels, problems.notices()), classes, "UJI")
