"""Entities as spans of BIO tags, and the entity-level scores CoNLL made standard.

An entity is a (type, start, end) span: it starts at a B- tag, or at an I- tag that does not continue
an entity of its type (conlleval's lenient reading, which seqeval's default follows), and runs over
the I- tags of its type that follow. A predicted entity counts only if its type and both ends match
a true one exactly; precision, recall and F1 are counted over entities, micro-averaged over types.

Why not seqeval: its scoring imports scikit-learn and SciPy (about 50 MB on a 700 MB server) for
what is this page of code; tests/test_ner.py checks it against conlleval's documented cases.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

OUTSIDE = "O"


def entities(tags: Sequence[str]) -> set[tuple[str, int, int]]:
    """The (type, first, last) spans of one sentence's BIO tags (last inclusive)."""
    found, current = set(), None
    for index, tag in enumerate([*tags, OUTSIDE]):
        prefix, _, kind = tag.partition("-")
        continues = current is not None and prefix == "I" and kind == current[0]
        if current is not None and not continues:
            found.add((current[0], current[1], index - 1))
            current = None
        if prefix in ("B", "I") and not continues:
            current = (kind, index)
    return found


@dataclass(frozen=True)
class Scores:
    """Entity-level precision, recall and F1 (0 where there is nothing to divide by), and the counts."""

    precision: float
    recall: float
    f1: float
    true_entities: int
    predicted_entities: int
    correct: int


def _scores(correct: int, predicted: int, true: int) -> Scores:
    precision = correct / predicted if predicted else 0.0
    recall = correct / true if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, true, predicted, correct)


def entity_scores(true: Iterable[Sequence[str]], predicted: Iterable[Sequence[str]]) -> Scores:
    """Micro-averaged entity scores over sentences (pairs of tag sequences of equal length)."""
    correct = found = wanted = 0
    for gold, guess in zip(true, predicted, strict=True):
        gold_spans, guess_spans = entities(gold), entities(guess)
        correct += len(gold_spans & guess_spans)
        found += len(guess_spans)
        wanted += len(gold_spans)
    return _scores(correct, found, wanted)


def scores_by_type(true: Iterable[Sequence[str]], predicted: Iterable[Sequence[str]]) -> dict[str, Scores]:
    """Entity scores of each entity type on its own."""
    correct, found, wanted = Counter(), Counter(), Counter()
    for gold, guess in zip(true, predicted, strict=True):
        gold_spans, guess_spans = entities(gold), entities(guess)
        correct.update(span[0] for span in gold_spans & guess_spans)
        found.update(span[0] for span in guess_spans)
        wanted.update(span[0] for span in gold_spans)
    return {kind: _scores(correct[kind], found[kind], wanted[kind]) for kind in sorted(set(found) | set(wanted))}
