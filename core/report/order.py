"""Natural order for names that hold numbers, so "distance 3-5" comes before "distance 11-20".

Group names ("distance 11-20", "2 digits", "10+ digits") are listed on charts, in tables and in
sentences; sorting them as text puts 11 before 3. Every place that lists groups uses this order.
"""

from __future__ import annotations

import re

_NUMBER = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple:
    """A sort key that compares the runs of digits in a name as numbers and the rest as text."""
    return tuple(int(part) if part.isdigit() else part.casefold() for part in _NUMBER.split(name))


def numeric_order(names: list[str]) -> list[str]:
    """Names holding numbers in natural order, in the places numbered names already take; names
    without numbers (a task's own kinds, such as "plain" or "negation") keep their places."""
    numbered = iter(sorted((name for name in names if _NUMBER.search(name)), key=natural_key))
    return [next(numbered) if _NUMBER.search(name) else name for name in names]
