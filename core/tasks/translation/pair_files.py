"""The user's file of sentence pairs (the Tatoeba and Anki layout), read like `core.data.tables`
reads a table: each way it can be wrong is a `DataError` with one sentence the page shows as is,
and each thing the reader changes on its own is told in `Pairs.notices`."""

from __future__ import annotations

import random
import re
from pathlib import Path

from core.data.errors import DataError
from core.data.tables import _size as size_text
from core.data.tables import counted, decode
from core.tasks.translation.config import LANGUAGES, TranslationTaskConfig
from core.tasks.translation.phrases import LANGUAGE_NAMES, Pairs

# Files of real sentence pairs: the user's upload, or the pairs shipped with the app.
PAIR_FILES = ("sentences", "upload")
SHIPPED_PAIRS = Path(__file__).resolve().parent / "sentences" / "eng-deu.tsv"
# A file's validation pairs: a tenth of it, at most this many.
UPLOAD_VAL_SHARE = 0.1
UPLOAD_VAL_LIMIT = 1000
MAX_BYTES = 50 * 1024 * 1024  # a whole Anki file from manythings.org fits
MAX_PAIRS = 20_000
MIN_PAIRS = 50
MAX_LINE_CHARS = 300
# A first line whose two fields are both among these names the columns instead of holding a pair.
HEADER_WORDS = frozenset({"source", "target", "src", "tgt", "text", "sentence", "translation", "input",
                          "output", "from", "to", "front", "back", "lang1", "lang2"}
                         | set(LANGUAGES) | {name.casefold() for name in LANGUAGE_NAMES.values()})
LENGTH_BUCKETS = ((3, "1-3 words"), (6, "4-6 words"), (10, "7-10 words"))
LONGEST_BUCKET = "11+ words"

PAIR_SOURCES_NOTE = (
    "Sentence pairs in this layout can be downloaded from Tatoeba (tatoeba.org/downloads) or, already "
    "paired as source<TAB>target<TAB>attribution, from manythings.org/anki. Tatoeba's sentences are licensed "
    "CC-BY 2.0 France, and the attribution column, which names each pair's authors, stays with the pairs."
)



# Why a line was dropped, as the notices and the too-few message say it.
REASONS = {"no tab": "without a tab between source and target", "empty": "with an empty source or target",
           "long": f"longer than {MAX_LINE_CHARS} characters (not counting the attribution)",
           "settings": "of Anki export settings (\"#separator:tab\")"}
SETTING_LINE = re.compile(r"#[\w ]+:")


def length_group(source: str) -> str:
    """The bucket of a source text's length in words, the group an uploaded pair is scored in."""
    words = len(source.split())
    return next((name for limit, name in LENGTH_BUCKETS if words <= limit), LONGEST_BUCKET)


def _is_tatoeba(parts: list[str]) -> bool:
    """Tatoeba's own pairs download: sentence id, sentence, translation id, translation."""
    return len(parts) == 4 and parts[0].strip().isdigit() and parts[2].strip().isdigit()


def _fields(parts: list[str]) -> tuple[str, str, str]:
    """Source, target and attribution of one line's tab-separated parts, spacing collapsed."""
    tatoeba = _is_tatoeba(parts)
    parts = [" ".join(part.split()) for part in parts]
    if tatoeba:
        return parts[1], parts[3], f"tatoeba.org #{parts[0]} & #{parts[2]}"
    return parts[0], parts[1], " ".join(part for part in parts[2:] if part)


def _is_header(source: str, target: str) -> bool:
    return all(text.casefold().rstrip(":") in HEADER_WORDS for text in (source, target))


def _parse_lines(text: str, dropped: dict[str, list[int]], notices: list[str]) -> list[tuple[str, str, str]]:
    """The pairs of a file's lines; each dropped line's number is kept under its reason."""
    rows: list[tuple[str, str, str]] = []
    tabbed = 0  # lines with a tab so far: only the first of them can be a header
    for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        if not line.strip():
            continue  # A blank line is layout, not a pair.
        parts = line.split("\t")
        if len(parts) < 2:
            dropped["settings" if SETTING_LINE.match(line) else "no tab"].append(number)
            continue
        tabbed += 1
        source, target, attribution = _fields(parts)
        if not source or not target:
            dropped["empty"].append(number)
        elif len(source) + len(target) + 1 > MAX_LINE_CHARS:
            dropped["long"].append(number)
        elif tabbed == 1 and _is_header(source, target):
            notices.append(f"Dropped the first line {line.strip()[:60]!r} as a header naming the columns.")
        else:
            if not rows and _is_tatoeba(parts):
                notices.append("Read the file in Tatoeba's layout (id, sentence, id, translation); the ids are "
                               "kept as the attribution.")
            rows.append((source, target, attribution))
    return rows


def _drop_duplicates(rows: list[tuple[str, str, str]], notices: list[str]) -> list[tuple[str, str, str]]:
    """Keep the first of each (source, target); spacing was already collapsed by `_fields`."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for row in rows:
        if row[:2] not in seen:
            seen.add(row[:2])
            kept.append(row)
    if len(kept) < len(rows):
        notices.append(f"Dropped {counted(len(rows) - len(kept), 'duplicate pair')}; the first of each is kept.")
    return kept


def _too_few(count: int, needed: int, dropped: dict[str, list[int]], duplicates: int) -> DataError:
    reasons = [f"{counted(len(lines), 'line')} {REASONS[reason]} (the first is line {lines[0]:,})"
               for reason, lines in dropped.items() if lines]
    if duplicates:
        reasons.append(counted(duplicates, "duplicate pair"))
    detail = f" after dropping {', '.join(reasons)}" if reasons else ""
    return DataError(f"The file has {counted(count, 'usable pair')}{detail}, and training needs at least "
                     f"{needed:,}; add lines of the form source<TAB>target.")


def _text_of(content: bytes, max_bytes: int) -> str:
    """The text of an upload that can hold tab-separated pairs, or the one reason it cannot."""
    if len(content) > max_bytes:
        raise DataError(f"The file is {size_text(len(content))}, over the limit of {size_text(max_bytes)}; "
                        "upload a smaller sample of its lines.")
    text = decode(content)
    if not text.strip():
        raise DataError("The file is empty; it needs one pair per line: a sentence, a tab, then its translation.")
    if "\t" not in text:
        first = text.strip().splitlines()[0]
        hint = " (it looks comma-separated)" if "," in first or ";" in first else ""
        raise DataError(f"The file is not tab-separated: no line has a tab{hint}; write one pair per line as "
                        "source<TAB>target and upload it again.")
    return text


def read_pairs(content: bytes, max_bytes: int = MAX_BYTES, max_pairs: int = MAX_PAIRS, seed: int = 0,
               min_pairs: int = MIN_PAIRS) -> Pairs:
    """Read a file of tab-separated sentence pairs, or raise `DataError` saying what to fix.

    One pair per line: source<TAB>target, optionally <TAB>attribution (Anki's files from
    manythings.org); Tatoeba's id<TAB>sentence<TAB>id<TAB>translation is read too, its ids kept as
    the attribution. Spacing inside a text is collapsed to single spaces. Lines that cannot be a
    pair, repeated pairs and a header line are dropped, and more than `max_pairs` pairs are
    sampled with `seed`; each is told in `notices`.
    """
    text = _text_of(content, max_bytes)
    notices: list[str] = []
    dropped: dict[str, list[int]] = {reason: [] for reason in REASONS}
    rows = _parse_lines(text, dropped, notices)
    for reason, lines in dropped.items():
        if lines:
            notices.append(f"Dropped {counted(len(lines), 'line')} {REASONS[reason]}; the first is line {lines[0]:,}.")
    unique = _drop_duplicates(rows, notices)
    if len(unique) < min_pairs:
        raise _too_few(len(unique), min_pairs, dropped, duplicates=len(rows) - len(unique))
    if len(unique) > max_pairs:
        chosen = sorted(random.Random(seed).sample(range(len(unique)), max_pairs))
        notices.append(f"Sampled {max_pairs:,} of {len(unique):,} pairs (seed {seed}).")
        unique = [unique[index] for index in chosen]
    return Pairs(sources=[row[0] for row in unique], targets=[row[1] for row in unique],
                 groups=[length_group(row[0]) for row in unique], attributions=[row[2] for row in unique],
                 notices=notices)


def _file_pairs(config: TranslationTaskConfig) -> Pairs:
    """The pairs of the shipped file or of the user's upload."""
    if config.source == "sentences":
        return read_pairs(SHIPPED_PAIRS.read_bytes())
    if not config.upload:
        raise DataError("Upload a file of sentence pairs first.")
    from core.data import uploads  # only uploads need the upload store

    format, content = uploads.load(config.upload)
    if format != "tsv":
        raise DataError(f"The kept upload is a {format!r} file; the translation task reads tsv files.")
    return read_pairs(content)


def split_sizes(pairs: int) -> tuple[int, int]:
    """Training and validation pairs of a file of `pairs` pairs (a tenth, at most 1,000, validates)."""
    val = min(UPLOAD_VAL_LIMIT, max(1, round(UPLOAD_VAL_SHARE * pairs)))
    return pairs - val, val


def file_splits(config: TranslationTaskConfig, seed: int) -> tuple[Pairs, Pairs]:
    """The file's pairs shuffled with the seed: a tenth (at most 1,000) for validation, the rest to train."""
    pairs = _file_pairs(config)
    order = list(range(len(pairs)))
    random.Random(seed).shuffle(order)
    _, val_count = split_sizes(len(order))
    notices = list(pairs.notices)
    train_index = order[val_count:]
    if len(train_index) > config.train_size:
        notices.append(f"Trained on {config.train_size:,} of {len(train_index):,} training pairs (seed {seed}).")
        train_index = train_index[: config.train_size]

    def subset(indices: list[int], notes: list[str]) -> Pairs:
        return Pairs([pairs.sources[i] for i in indices], [pairs.targets[i] for i in indices],
                     [pairs.groups[i] for i in indices], [pairs.attributions[i] for i in indices], notes)

    # In shuffled order: the first pairs (the probe, the sample read during training) are a random few.
    return subset(train_index, notices), subset(order[:val_count], [])
