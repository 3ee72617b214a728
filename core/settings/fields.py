"""The settings framework: a dataclass field's metadata is the one place a setting's bounds live.

The page's sliders, the URL validator and the command line all read the same metadata, so a bound
is written once. `clean_value` turns any raw value (a link, a form, a command line) into a clean one
or a plain-words message; it never raises.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The key of an uploaded file, as a text setting's pattern: uploads travel in links by this key.
UPLOAD_KEY = "[0-9a-f]{16}"


def setting(
    default: Any,
    *,
    label: str,
    help: str,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] | None = None,
    log: bool = False,
    step: float | None = None,
    many: bool = False,
    options: tuple[float, ...] | None = None,
    pattern: str | None = None,
    sources: tuple[str, ...] | None = None,
    reading: bool = False,
    quiet: bool = False,
) -> Any:
    """A dataclass field whose metadata carries what the UI, the URL and the CLI must agree on."""
    metadata = {
        "label": label,
        "help": help,
        "low": low,
        "high": high,
        "choices": choices,
        "log": log,
        "step": step,
        "many": many,
        "options": options,
        # Text settings (content keys) match this pattern; they travel in links but get no widget.
        "pattern": pattern,
        # Data sources the setting matters for (None: all); the page greys it out for the others.
        "sources": sources,
        # Changes only how a trained model is read (a decoder's beam width), not what a run trains or
        # measures while training: runs differing only here are one stored run, read again at once.
        "reading": reading,
        # Left out of links and run ids while at its default: a setting added after runs were stored
        # leaves their ids (and the links that open them) as they were.
        "quiet": quiet,
    }
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Setting:
    """One flat setting as a task sees it: its name, its default for that task and its metadata."""

    name: str
    default: Any
    metadata: Mapping[str, Any]


def settings_of(config_type: type) -> list[dataclasses.Field]:
    """The fields of a config dataclass that carry setting metadata, in declaration order."""
    return [f for f in dataclasses.fields(config_type) if "label" in f.metadata]



def _as_list(raw: Any) -> list[Any]:
    if isinstance(raw, (list, tuple)):
        return list(raw)
    if isinstance(raw, str) and "," in raw:
        return [part.strip() for part in raw.split(",")]
    return [raw]


def last_value(raw: Any) -> Any:
    """A repeated URL parameter counts by its last value, as browsers show it."""
    if isinstance(raw, (list, tuple)):
        return raw[-1] if raw else ""
    return raw


def shortened(raw: Any) -> str:
    text = str(raw)
    return text if len(text) <= 40 else text[:37] + "..."


# Numbers in ASCII digits only: float() also reads Arabic-Indic and fullwidth digits and "1_000",
# which no link or command line means as a number.
_ASCII_NUMBER = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf(?:inity)?|nan)",
                           re.IGNORECASE)


def clean_value(name: str, spec: Setting, raw: Any) -> tuple[Any, str | None]:
    """Validate one raw value against its setting: (clean value, message or None)."""
    meta = spec.metadata
    default = spec.default
    label = meta["label"]
    if meta["pattern"] is not None:
        text = str(last_value(raw)).strip().lower()
        if text == "" or re.fullmatch(meta["pattern"], text):
            return text, None
        return default, f"{label}: {shortened(last_value(raw))!r} is not a valid key; ignored."
    if meta["many"]:
        choices = meta["choices"]
        given = [str(item).strip() for item in _as_list(raw)]
        kept = tuple(dict.fromkeys(item.lower() for item in given if item.lower() in choices))
        unknown = [item for item in given if item.lower() not in choices]
        if not kept:
            return default, f"{label}: none of {shortened(raw)!s} is known; using {', '.join(default)}."
        if unknown:
            return kept, f"{label}: ignored unknown {', '.join(shortened(u) for u in unknown)}."
        return kept, None
    value = last_value(raw)
    if meta["choices"] is not None:
        text = str(value).strip().lower()
        if text in meta["choices"]:
            return text, None
        return default, f"{label}: {shortened(value)!r} is not one of {', '.join(meta['choices'])}; using {default}."
    kind = type(default)
    try:
        if isinstance(value, bool) or (isinstance(value, str) and not _ASCII_NUMBER.fullmatch(value.strip())):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError):
        return default, f"{label}: {shortened(value)!r} is not a number; using {default}."
    if not math.isfinite(number):
        return default, f"{label}: {shortened(value)!r} is not a finite number; using {default}."
    if kind is int:
        if number != int(number):
            rounded = int(round(number))
            clean, message = clean_value(name, spec, rounded)
            return clean, message or f"{label}: {shortened(value)} is not a whole number; using {clean}."
        number = int(number)
    low, high = meta["low"], meta["high"]
    if meta["options"] is not None and low <= number <= high and number not in meta["options"]:
        nearest = min(meta["options"], key=lambda option: abs(math.log(option) - math.log(number)))
        return nearest, f"{label}: {shortened(value)} snapped to the nearest step, {nearest:g}."
    if low is not None and number < low:
        return kind(low), f"{label}: {shortened(value)} is below the minimum {kind(low)}; using {kind(low)}."
    if high is not None and number > high:
        return kind(high), f"{label}: {shortened(value)} is above the maximum {kind(high)}; using {kind(high)}."
    return kind(number), None

