"""User tables of labelled texts: read a CSV or TSV upload into clean texts, labels and classes.

Every way a file can be wrong (not UTF-8, not a table, no such column, nothing left after
cleaning, one class only, too big) becomes a `DataError` with one plain sentence the page can
show as is. Everything the reader changes on its own (empty and duplicate rows dropped, a column
chosen by its name, rows sampled) is reported in `Table.notices`, so nothing is silently misread.
"""

from __future__ import annotations

import csv
import io
import random
import re
from dataclasses import dataclass, field

from core.data.errors import DataError  # noqa: F401 - importers raise it; callers catch it from here too

FORMATS = ("csv", "tsv")
DELIMITERS = {"csv": ",", "tsv": "\t"}
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 25_000
# A label column with more values than this is almost surely a text column chosen by mistake.
MAX_CLASSES = 20

# Column names tried, in order, when the caller does not name a column.
TEXT_NAMES = ("text", "sentence", "review", "content", "comment", "body", "snippet")
LABEL_NAMES = ("label", "sentiment", "polarity", "class", "category", "target", "rating")

# Spellings of the two sentiment classes, so "neg", "0" and "rotten" all mean class 0.
NEGATIVE_LABELS = frozenset({"negative", "neg", "rotten", "bad"})
POSITIVE_LABELS = frozenset({"positive", "pos", "fresh", "good"})


@dataclass
class Table:
    """Clean rows of one file: texts, their labels as written, and the classes they map to."""

    texts: list[str]
    labels: list[str]
    class_names: tuple[str, ...]
    targets: list[int]
    columns: tuple[str, ...]
    text_column: str
    label_column: str
    notices: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)


def counted(number: int, noun: str) -> str:
    """A count and its noun, plural when it should be (1 row, 2,000 rows)."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    return f"{count / 1024:.0f} KB" if count >= 1024 else f"{count} bytes"


def decode(content: bytes) -> str:
    """The text of an upload, which must be UTF-8 (a byte-order mark is allowed)."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError("The file is saved as UTF-16; save it as UTF-8 (in Excel: \"CSV UTF-8\") and upload it again.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(
            f"The file is not UTF-8 text (byte 0x{content[error.start]:02x} at position {error.start:,} "
            "cannot be read); save it as UTF-8 (in Excel: \"CSV UTF-8\") and upload it again."
        ) from None
    if "\x00" in text:
        raise DataError("The file holds binary data, not a text table; upload a CSV or TSV file saved as UTF-8.")
    return text


def canonical_labels(raw: list[str]) -> list[str]:
    """Class names for raw labels: sentiment spellings and 0/1 become negative and positive.

    Other labels keep their own (case-folded) names. Numbers are read as 0/1 only when every label
    is 0 or 1, so a 1-5 star column keeps its five classes.
    """
    folded = [label.strip().casefold() for label in raw]
    binary = set(folded) <= {"0", "1", "0.0", "1.0"}
    names = []
    for label in folded:
        if binary:
            names.append("positive" if label.startswith("1") else "negative")
        elif label in NEGATIVE_LABELS:
            names.append("negative")
        elif label in POSITIVE_LABELS:
            names.append("positive")
        else:
            names.append(label)
    return names


def order_classes(names: set[str] | list[str]) -> tuple[str, ...]:
    """Sorted class names, with negative first and positive last so negative is class 0."""
    unique = set(names)
    middle = sorted(unique - {"negative", "positive"})
    return tuple((["negative"] if "negative" in unique else []) + middle
                 + (["positive"] if "positive" in unique else []))


def _pick_column(columns: list[str], wanted: str | None, names: tuple[str, ...], role: str,
                 notices: list[str], avoid: str | None = None) -> str:
    listed = ", ".join(repr(column) for column in columns)
    folded = {column.strip().casefold(): column for column in columns}
    if wanted is not None:
        match = folded.get(wanted.strip().casefold())
        if match is None:
            raise DataError(f"There is no column named {wanted!r}; the file has the columns {listed}.")
        return match
    for position, name in enumerate(names):
        match = folded.get(name)
        if match is not None and match != avoid:
            if position > 0:
                notices.append(f"Used the column {match!r} as the {role}.")
            return match
    raise DataError(f"No column is called {names[0]!r}; choose the {role} column from {listed}.")


def _parse(text: str, format: str) -> tuple[list[str], list[list[str]], int]:
    """Header, the rows that have as many fields as the header, and how many rows did not."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=DELIMITERS[format])
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise DataError("The file is empty; it needs a header line naming the columns, then one row per text.")
        rows, ragged = [], 0
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # A blank line is layout, not a row.
            if len(row) != len(header):
                ragged += 1
                continue
            rows.append(row)
    except csv.Error as error:
        raise DataError(f"The file cannot be read as {format.upper()} (line {reader.line_num:,}: {error}).") from None
    return [cell.strip() for cell in header], rows, ragged


def read_table(content: bytes, format: str, text_column: str | None = None, label_column: str | None = None,
               max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS, seed: int = 0,
               min_classes: int = 2) -> Table:
    """Read a CSV or TSV file of texts and labels, or raise `DataError` saying what to fix.

    Rows with an empty text or label and repeated texts are dropped (the first one is kept), and
    more than `max_rows` rows are sampled down with `seed`; each of these is told in `notices`.
    `min_classes=1` accepts a one-class file, as an evaluation file may be.
    """
    format = format.strip().lower()
    if format not in FORMATS:
        raise DataError(f"Unknown file format {format!r}; use one of {', '.join(FORMATS)}.")
    if len(content) > max_bytes:
        raise DataError(f"The file is {_size(len(content))}, over the limit of {_size(max_bytes)}; "
                        "upload a smaller sample.")
    header, rows, ragged = _parse(decode(content), format)
    notices: list[str] = []
    if len(header) < 2:
        other = "TSV" if format == "csv" else "CSV"
        hint = f" (is it a {other} file?)" if DELIMITERS["tsv" if format == "csv" else "csv"] in header[0] else ""
        raise DataError(f"The file has a single column {header[0][:40]!r}{hint}; "
                        "it needs a text column and a label column.")
    if len(set(header)) != len(header):
        repeated = sorted({name for name in header if header.count(name) > 1})
        raise DataError(f"The header names the column {repeated[0]!r} more than once; give each column its own name.")
    text_name = _pick_column(header, text_column, TEXT_NAMES, "text", notices)
    label_name = _pick_column(header, label_column, LABEL_NAMES, "label", notices, avoid=text_name)
    if text_name == label_name:
        raise DataError(f"The text and the label cannot both be the column {text_name!r}.")
    if ragged:
        notices.append(f"Dropped {counted(ragged, 'row')} whose number of fields did not match the header.")
    if not rows:
        raise DataError("The file has a header but no rows of data." if not ragged else
                        "No row has as many fields as the header; check the file's separator and quoting.")
    text_index, label_index = header.index(text_name), header.index(label_name)
    texts, labels = [], []
    empty = 0
    for row in rows:
        text, label = row[text_index].strip(), row[label_index].strip()
        if not text or not label:
            empty += 1
            continue
        texts.append(text)
        labels.append(label)
    if empty:
        notices.append(f"Dropped {counted(empty, 'row')} with an empty text or label.")
    if not texts:
        raise DataError(f"No rows are left: every row has an empty {text_name!r} or {label_name!r}.")
    texts, labels = _drop_duplicates(texts, labels, notices)
    if len(texts) > max_rows:
        chosen = sorted(random.Random(seed).sample(range(len(texts)), max_rows))
        notices.append(f"Sampled {max_rows:,} of {len(texts):,} rows (seed {seed}).")
        texts, labels = [texts[index] for index in chosen], [labels[index] for index in chosen]
    names = canonical_labels(labels)
    class_names = order_classes(names)
    if len(class_names) > MAX_CLASSES:
        raise DataError(f"The label column {label_name!r} has {len(class_names):,} different values; "
                        f"a label column holds a few classes (at most {MAX_CLASSES}), so choose another column.")
    if len(class_names) < min_classes:
        raise DataError(f"Every row has the label {labels[0]!r}; training needs at least two classes.")
    index = {name: position for position, name in enumerate(class_names)}
    return Table(texts=texts, labels=labels, class_names=class_names, targets=[index[name] for name in names],
                 columns=tuple(header), text_column=text_name, label_column=label_name, notices=notices)


def _drop_duplicates(texts: list[str], labels: list[str], notices: list[str]) -> tuple[list[str], list[str]]:
    """Keep the first row of each text (compared case- and spacing-blind)."""
    first_label: dict[str, str] = {}
    kept_texts, kept_labels = [], []
    conflicting = 0
    for text, label in zip(texts, labels):
        key = re.sub(r"\s+", " ", text).casefold()
        if key in first_label:
            conflicting += first_label[key].casefold() != label.casefold()
            continue
        first_label[key] = label
        kept_texts.append(text)
        kept_labels.append(label)
    dropped = len(texts) - len(kept_texts)
    if dropped:
        detail = f" ({counted(conflicting, 'row')} of them with a different label)" if conflicting else ""
        notices.append(f"Dropped {counted(dropped, 'duplicate row')}{detail}; the first of each text is kept.")
    return kept_texts, kept_labels
