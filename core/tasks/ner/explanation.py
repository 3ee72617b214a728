"""The named-entity lesson in plain sentences, each claim read off this run's numbers.

The lesson is reading both ways: on sentences whose opening name only the words after it decide
("Garcia scored twice" against "Garcia lies on the river"), a bidirectional tagger has read those
words when it tags the name, and a forward one has not. It is told only where the run shows it:
a bidirectional model at or above BOTH_WAYS on those sentences and every forward model at or below
FORWARD_ONLY; otherwise the sentences say what the run did show.
"""

from __future__ import annotations

from core.data.history import History
from core.nn.cells import cell_of
from core.nn.models import REGISTRY
from core.tasks.experiment import Experiment
from core.tasks.explaining import all_diverged, name_of, readable

AFTER = "after"
BOTH_WAYS = 0.9
FORWARD_ONLY = 0.75
# A gap in F1 smaller than this is not called better or worse.
SAME = 0.05
KIND_WORDS = {"plain": "plain", "before": "decided by the words before", "after": "decided only by the words after",
              "long": "long entities", "nested": "names inside names", "file": "your file"}


def f1(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def bidirectional(name: str) -> bool:
    """Whether a model name's cell reads its sentence both ways."""
    spec = REGISTRY.get(cell_of(name))
    return spec is not None and spec.bidirectional


def reads_both_ways(history: History) -> bool:
    return bidirectional(history.cell)


def has_context(history: History) -> bool:
    return cell_of(history.cell) != "bow"


def ner_lines(experiment: Experiment, histories: list[History]) -> list[str]:
    """Markdown sentences on each tagger's entity F1 and on what reading both ways bought."""
    lines = []
    scored = []
    for history, stopped in readable(experiment, histories, lines):
        scored.append(history)
        groups = history.final_group_metrics()
        kinds = [f"{KIND_WORDS.get(kind, kind)} {f1(value)}" for kind, value in groups.items()]
        scores = history.final_scores()
        detail = (f" (precision {f1(scores.get('precision'))}, recall {f1(scores.get('recall'))}; "
                  f"token accuracy {f1(scores.get('token accuracy'))})" if scores else "")
        by_kind = f"; by kind: {', '.join(kinds)}" if kinds else ""
        lines.append(f"**{name_of(history)}**{stopped} reached entity F1 {f1(history.final_val_metric())} on unseen "
                     f"sentences{detail}{by_kind}.")
    lines += all_diverged(experiment, histories)
    lines += _both_ways(scored)
    lines += _context(scored)
    return lines


def _after(history: History) -> float | None:
    return history.final_group_metrics().get(AFTER)


def _both_ways(histories: list[History]) -> list[str]:
    both = [h for h in histories if reads_both_ways(h) and _after(h) is not None]
    forward = [h for h in histories if not reads_both_ways(h) and has_context(h) and _after(h) is not None]
    if not both or not forward:
        return []
    best_both = max(both, key=_after)
    best_forward = max(forward, key=_after)
    both_value, forward_value = _after(best_both), _after(best_forward)
    names = ", ".join(name_of(h) for h in forward)
    if both_value >= BOTH_WAYS and forward_value <= FORWARD_ONLY:
        return [f"On names that only the words after them decide, the {name_of(best_both)} reached F1 "
                f"{f1(both_value)} and the best forward reader ({names}) {f1(forward_value)}: a forward tagger "
                "must tag “Garcia” before it reads “scored twice” or “lies on the river”, so it can only guess; "
                "the bidirectional one has read the rest of the sentence when it tags the name."]
    if both_value > forward_value + SAME:
        return [f"On names that only the words after them decide, the {name_of(best_both)} reached F1 "
                f"{f1(both_value)} against {f1(forward_value)} for the best forward reader ({names}): ahead, but "
                f"not yet the clear gap this lesson looks for (at least {BOTH_WAYS} against at most {FORWARD_ONLY}); "
                "more steps may open it."]
    return [f"In this run the {name_of(best_both)} did no better than the forward readers ({names}) on names that "
            f"only the words after them decide (F1 {f1(both_value)} against {f1(forward_value)}), so it does not "
            "show what reading both ways buys."]


def _context(histories: list[History]) -> list[str]:
    baseline = next((h for h in histories if not has_context(h) and h.final_val_metric() is not None), None)
    readers = [h for h in histories if has_context(h) and h.final_val_metric() is not None]
    if baseline is None or not readers:
        return []
    best = max(readers, key=lambda h: h.final_val_metric())
    base, top = baseline.final_val_metric(), best.final_val_metric()
    if top > base + SAME:
        return [f"The word-by-word baseline, which never sees another word, reached F1 {f1(base)} against the "
                f"{name_of(best)}'s {f1(top)}: the same surname is a person, a place or a firm, and only the "
                "words around it say which."]
    if base > top + SAME:
        return [f"The word-by-word baseline reached F1 {f1(base)}, above every model that reads the words around a "
                f"name (best: the {name_of(best)}, {f1(top)}): in this run reading context has not paid off yet."]
    return [f"The word-by-word baseline reached F1 {f1(base)}, close to the {name_of(best)}'s {f1(top)}: in this run "
            "the words around a name did not add much yet."]
