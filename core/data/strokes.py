"""Pen strokes: the one representation every handwriting source becomes, and how a model reads it.

A character is a list of strokes; a stroke is an (n, 2) float array of x, y with y pointing up,
in the order the pen moved. Drawings from the page's canvas, rows of pen-data files and generated
characters all arrive here, are normalised (centred, larger side scaled to 1, aspect kept) and
resampled into a fixed number of pen points at equal distances along the whole pen path, jumps
between strokes included, which is how the UCI pendigits data were made too.

Model input, one row per pen point (`FEATURES` names the columns):
    x, y        position in the character's box, -1..1 on the larger side
    dx, dy      move from the previous point, in units of the mean step (so about unit length)
    pen_up      1 where the path from the previous point crossed a jump between strokes
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

FEATURES = ("x", "y", "dx", "dy", "pen_up")
# A drawing whose points all lie within this many canvas pixels is a dot, not a character.
DOT_PIXELS = 4.0
# Points per quadratic curve command of a canvas path: enough for a smooth bend at screen size.
CURVE_POINTS = 6
# Tablets and the canvas report a few tens of thousands of units at most; far larger values cannot
# be a pen's position, and near 1e308 the differences along a path overflow to infinity.
MAX_COORDINATE = 1e6


class StrokeError(ValueError):
    """A drawing or stroke list that cannot be read as a character; the message says why."""


def clean(strokes: Iterable[Any]) -> list[np.ndarray]:
    """Strokes as float (n, 2) arrays without repeated points; empty strokes are dropped."""
    cleaned = []
    for index, stroke in enumerate(strokes):
        try:
            points = np.asarray(stroke, dtype=float)
        except (TypeError, ValueError) as error:
            raise StrokeError(f"Stroke {index + 1} is not a list of (x, y) points.") from error
        if points.size == 0:
            continue
        if points.ndim != 2 or points.shape[1] != 2:
            raise StrokeError(f"Stroke {index + 1} is not a list of (x, y) points.")
        if not np.isfinite(points).all():
            raise StrokeError(f"Stroke {index + 1} has a missing or infinite coordinate.")
        if np.abs(points).max() > MAX_COORDINATE:
            raise StrokeError(f"Stroke {index + 1} has a coordinate beyond ±{MAX_COORDINATE:,.0f}.")
        moved = np.any(np.diff(points, axis=0) != 0, axis=1)
        cleaned.append(points[np.concatenate([[True], moved])])
    if not cleaned:
        raise StrokeError("There are no pen points: draw a character first.")
    return cleaned


def normalise(strokes: Iterable[Any]) -> list[np.ndarray]:
    """Centre the character's box on 0 and scale its larger side to 1, keeping the aspect ratio.

    A character of zero size (a single point) is only centred: there is no size to scale.
    """
    strokes = clean(strokes)
    every = np.concatenate(strokes)
    low, high = every.min(axis=0), every.max(axis=0)
    centre = (low + high) / 2
    size = float((high - low).max())
    scale = 1.0 / size if size > 1e-12 else 1.0
    return [(stroke - centre) * scale for stroke in strokes]


@dataclass
class Ink:
    """Many characters in flat arrays, so a batch is resampled in a few whole-array operations.

    `points` holds every pen point of every character in pen order; `stroke_sizes` counts the
    points of each stroke and `character_sizes` the strokes of each character.
    """

    points: np.ndarray  # (n, 2)
    stroke_sizes: np.ndarray  # (strokes,)
    character_sizes: np.ndarray  # (characters,)

    @classmethod
    def of(cls, characters: Sequence[Sequence[np.ndarray]]) -> Ink:
        """Ink from characters whose strokes are already (n, 2) float arrays (see `clean`)."""
        every = [stroke for character in characters for stroke in character]
        return cls(np.concatenate(every), np.array([len(stroke) for stroke in every]),
                   np.array([len(character) for character in characters]))

    def characters(self) -> list[list[np.ndarray]]:
        strokes = np.split(self.points, np.cumsum(self.stroke_sizes)[:-1])
        bounds = np.concatenate([[0], np.cumsum(self.character_sizes)])
        return [strokes[begin:end] for begin, end in zip(bounds[:-1], bounds[1:])]

    def index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per point: its stroke and its character; per stroke: its first point."""
        stroke_of_point = np.repeat(np.arange(len(self.stroke_sizes)), self.stroke_sizes)
        character_of_stroke = np.repeat(np.arange(len(self.character_sizes)), self.character_sizes)
        stroke_starts = np.concatenate([[0], np.cumsum(self.stroke_sizes)[:-1]])
        return stroke_of_point, character_of_stroke[stroke_of_point], stroke_starts

    def without_repeats(self) -> Ink:
        """The same ink without points that repeat the previous point of their stroke."""
        if not np.isfinite(self.points).all():
            raise StrokeError("A stroke has a missing or infinite coordinate.")
        if len(self.points) and np.abs(self.points).max() > MAX_COORDINATE:
            raise StrokeError(f"A stroke has a coordinate beyond ±{MAX_COORDINATE:,.0f}.")
        _, _, stroke_starts = self.index()
        keep = np.concatenate([[True], np.any(np.diff(self.points, axis=0) != 0, axis=1)])
        keep[stroke_starts] = True
        sizes = np.add.reduceat(keep.astype(int), stroke_starts) if len(stroke_starts) else self.stroke_sizes
        return Ink(self.points[keep], sizes, self.character_sizes)


def densify(ink: Ink, spacing: float) -> Ink:
    """The same ink with straight segments split so no two neighbouring points of a stroke are
    more than `spacing` apart (corners stay where they are)."""
    _, _, stroke_starts = ink.index()
    ends = np.cumsum(ink.stroke_sizes) - 1
    lengths = np.hypot(*np.diff(ink.points, axis=0).T)  # (n - 1,)
    pieces = np.maximum(np.ceil(lengths / spacing), 1).astype(int)
    pieces[ends[:-1]] = 1  # the step from one stroke to the next is a lift, not a segment
    starts = np.repeat(np.arange(len(lengths)), pieces)  # (m,) segment of each new point
    fraction = (np.arange(len(starts)) - np.repeat(np.cumsum(pieces) - pieces, pieces)) / pieces[starts]
    points = ink.points[starts] + fraction[:, None] * (ink.points[starts + 1] - ink.points[starts])
    # A lift "segment" contributed only its first point; the last stroke's end is added here.
    points = np.concatenate([points, ink.points[-1:]])
    segment_sizes = np.concatenate([pieces, [1]])
    sizes = np.add.reduceat(segment_sizes, stroke_starts)
    return Ink(points, sizes, ink.character_sizes)


def walk(ink: Ink, points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every character's path sampled at `points` equal arc lengths, jumps between strokes included.

    Returns positions (characters, points, 2), pen-up flags (characters, points) and each whole
    path's box (characters, 2, 2: low and high corners). A flag is 1 where the path between the
    previous sample and this one used a jump, so no lift goes unmarked however short. A path of
    zero length gives every sample at its one point. Characters are kept apart on one axis (the
    k-th runs from 2k to 2k + 1 in normalised arc length), so one interpolation serves them all.
    """
    if points < 2:
        raise StrokeError("A pen path needs at least 2 sample points.")
    path = ink.points  # (n, 2)
    count = len(ink.character_sizes)
    stroke_of_point, character, stroke_starts = ink.index()
    first_stroke = np.concatenate([[0], np.cumsum(ink.character_sizes)[:-1]])
    character_starts = stroke_starts[first_stroke]  # (characters,) first point of each
    box = np.stack([np.minimum.reduceat(path, character_starts), np.maximum.reduceat(path, character_starts)], axis=1)
    lengths = np.hypot(*np.diff(path, axis=0).T)  # (n - 1,)
    inside = character[1:] == character[:-1]
    lengths = np.where(inside, lengths, 0.0)
    arc = np.concatenate([[0.0], np.cumsum(lengths)])  # (n,)
    arc = arc - arc[character_starts][character]
    last_points = np.concatenate([character_starts[1:], [len(path)]]) - 1
    total = arc[last_points]  # (characters,)
    moving = total > 0
    position = 2.0 * character + arc / np.where(moving, total, 1.0)[character]  # (n,)
    keep = np.concatenate([[True], lengths > 0])
    keep[character_starts] = True
    steps = np.arange(points) / (points - 1)
    targets = (2.0 * np.arange(count)[:, None] + steps * moving[:, None]).ravel()  # (characters * points,)
    samples = np.stack([np.interp(targets, position[keep], path[keep, 0]),
                        np.interp(targets, position[keep], path[keep, 1])], axis=1)
    jumps = stroke_starts[1:] - 1  # segments from a stroke's last point to the next stroke
    jumps = jumps[inside[jumps]]
    flags = np.zeros(count * points + 1)
    if len(jumps):
        begins, ends = position[jumps], position[jumps + 1]
        firsts = np.where(ends > begins, np.searchsorted(targets, begins, side="right"),
                          np.searchsorted(targets, begins, side="left"))
        # Sample 0 of a character has no path before it.
        firsts = np.maximum(firsts, character[jumps] * points + 1)
        lasts = np.maximum(np.searchsorted(targets, ends, side="left"), firsts)
        np.add.at(flags, firsts, 1.0)
        np.add.at(flags, lasts + 1, -1.0)
    pen_up = (np.cumsum(flags)[:-1] > 0).reshape(count, points) & moving[:, None]
    return samples.reshape(count, points, 2), pen_up.astype(float), box


def features(samples: np.ndarray, pen_up: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Model inputs (characters, points, len(FEATURES)) float32 from `walk`'s results."""
    low, high = box[:, 0], box[:, 1]  # (characters, 2)
    size = (high - low).max(axis=1)
    scale = np.where(size > 1e-12, 2.0 / np.where(size > 1e-12, size, 1.0), 1.0)
    position = (samples - ((low + high) / 2)[:, None]) * scale[:, None, None]  # (characters, points, 2)
    moves = np.diff(position, axis=1, prepend=position[:, :1])  # first move is 0
    step = np.hypot(moves[:, 1:, 0], moves[:, 1:, 1]).mean(axis=1)  # (characters,)
    moves = moves / np.where(step > 1e-12, step, 1.0)[:, None, None]
    return np.concatenate([position, moves, pen_up[..., None]], axis=2).astype(np.float32)


def encode(ink: Ink, points: int) -> np.ndarray:
    """Model inputs (characters, points, len(FEATURES)) for a batch of characters."""
    return features(*walk(ink.without_repeats(), points))


def path_samples(strokes: Iterable[Any], points: int) -> tuple[np.ndarray, np.ndarray]:
    """One character's path at `points` equal arc lengths (points, 2) and its pen-up flags (points,)."""
    samples, pen_up, _ = walk(Ink.of([clean(strokes)]), points)
    return samples[0], pen_up[0]


def resample(strokes: Iterable[Any], points: int) -> np.ndarray:
    """The model input for one character: (points, len(FEATURES)) float32, see the module notes.

    Positions are normalised by the whole drawing's box (as `normalise` does), so the result does
    not depend on where or how large the character was drawn.
    """
    return encode(Ink.of([clean(strokes)]), points)[0]


def join(strokes: Iterable[Any]) -> list[np.ndarray]:
    """The same pen path as one stroke, as if the pen never lifted (pen-up information lost)."""
    return [np.concatenate(clean(strokes))]


def to_points_table(strokes: Iterable[Any]) -> list[dict[str, float | int]]:
    """Rows (x, y, stroke, order) for a chart: one line per stroke, drawn in pen order."""
    rows = []
    order = 0
    for index, stroke in enumerate(clean(strokes)):
        for x, y in stroke:
            rows.append({"x": float(x), "y": float(y), "stroke": index, "order": order})
            order += 1
    return rows


def _quadratic(start: np.ndarray, control: np.ndarray, end: np.ndarray) -> np.ndarray:
    t = np.linspace(0.0, 1.0, CURVE_POINTS + 1)[1:, None]
    return (1 - t) ** 2 * start + 2 * (1 - t) * t * control + t ** 2 * end


def _path_points(commands: Sequence[Any]) -> list[np.ndarray]:
    """Fabric path commands (M, L, Q, C) as point lists in the path's own coordinates, y down."""
    pieces: list[list[np.ndarray]] = []
    current = None
    for command in commands:
        if not isinstance(command, (list, tuple)) or not command:
            raise StrokeError("The drawing has a path command that is not a list.")
        kind, values = str(command[0]).upper(), np.asarray(command[1:], dtype=float)
        if kind == "M" and len(values) >= 2:
            current = values[-2:]
            pieces.append([current])
        elif kind == "L" and len(values) >= 2 and current is not None:
            current = values[-2:]
            pieces[-1].append(current)
        elif kind == "Q" and len(values) >= 4 and current is not None:
            pieces[-1].extend(_quadratic(current, values[0:2], values[2:4]))
            current = values[2:4]
        elif kind == "C" and len(values) >= 6 and current is not None:
            # A cubic drawn as two quadratics through its midpoint is close enough for recognition.
            middle = (values[0:2] + values[2:4]) / 2
            pieces[-1].extend(_quadratic(current, values[0:2], middle))
            pieces[-1].extend(_quadratic(middle, values[2:4], values[4:6]))
            current = values[4:6]
        elif kind == "Z" and pieces:
            pieces[-1].append(pieces[-1][0])
        else:
            raise StrokeError(f"The drawing has a path command it cannot read: {kind!r}.")
    return [np.asarray(piece, dtype=float) for piece in pieces if piece]


# Where an object's left/top sits within its box, as a fraction of width/height (Fabric origins).
_ORIGIN = {"left": 0.0, "top": 0.0, "center": 0.5, "right": 1.0, "bottom": 1.0}


def _object_to_canvas(item: dict[str, Any], pieces: list[np.ndarray]) -> list[np.ndarray]:
    """Place a path object's own coordinates on the canvas, as Fabric.js draws it.

    Fabric draws point p at centre + R(angle) S(scale, flip) (p - path_offset), where path_offset
    is the centre of the path's own box and the centre follows from left/top, the origin and the
    scaled box including the stroke width. An object that was never moved or scaled keeps its
    canvas coordinates, so old drawings without these fields read the same.
    """
    if "left" not in item or "top" not in item:
        return pieces
    every = np.concatenate(pieces)
    low, high = every.min(axis=0), every.max(axis=0)
    offset = (low + high) / 2
    scale = np.array([float(item.get("scaleX", 1) or 1), float(item.get("scaleY", 1) or 1)])
    flip = np.array([-1.0 if item.get("flipX") else 1.0, -1.0 if item.get("flipY") else 1.0])
    stroke_width = 0.0 if item.get("strokeUniform") else float(item.get("strokeWidth", 0) or 0)
    width = float(item.get("width", high[0] - low[0]) or 0)
    height = float(item.get("height", high[1] - low[1]) or 0)
    box = (np.array([width, height]) + stroke_width) * scale
    angle = np.deg2rad(float(item.get("angle", 0) or 0))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    origin = np.array([_ORIGIN.get(str(item.get("originX", "left")), 0.0),
                       _ORIGIN.get(str(item.get("originY", "top")), 0.0)])
    centre = np.array([float(item["left"]), float(item["top"])]) + rotation @ ((0.5 - origin) * box)
    return [centre + ((piece - offset) * scale * flip) @ rotation.T for piece in pieces]


def canvas_to_strokes(json_data: dict[str, Any] | None) -> list[np.ndarray]:
    """Strokes (y up) from streamlit-drawable-canvas's Fabric.js JSON (its `json_data`).

    Raises StrokeError with a message for the page when the canvas is blank or holds only a dot.
    """
    if json_data is None:
        raise StrokeError("Draw a character first.")
    if not isinstance(json_data, dict) or not isinstance(json_data.get("objects", []), list):
        raise StrokeError("The drawing could not be read: it is not a canvas JSON object.")
    strokes = []
    for item in json_data.get("objects", []):
        if not isinstance(item, dict) or item.get("type", "path").lower() != "path":
            continue
        commands = item.get("path") or []
        pieces = _path_points(commands)
        if pieces:
            strokes.extend(_object_to_canvas(item, pieces))
    if not strokes:
        raise StrokeError("Draw a character first.")
    every = np.concatenate(strokes)
    if not np.isfinite(every).all() or np.abs(every).max() > MAX_COORDINATE:
        raise StrokeError("The drawing has a missing, infinite or far too large coordinate.")
    if float((every.max(axis=0) - every.min(axis=0)).max()) <= DOT_PIXELS:
        raise StrokeError("That was a single dot: draw a whole character.")
    return [stroke * np.array([1.0, -1.0]) for stroke in strokes]
