"""A drawn character as the handwriting models read it, in plain PyTorch (the app's own version is
core/data/strokes.py, in NumPy; both give the same numbers).

Input is what the page's canvas hands over (Fabric.js JSON with an "objects" list of paths, y
pointing down) or a list of strokes, each a list of [x, y] points with y pointing up. The pen's
path, jumps between strokes included, is resampled at `points` equal distances; each point gives
x, y (the larger side of the box scaled to -1..1), dx, dy (in units of the mean step) and pen_up.
"""

from __future__ import annotations

import math

import torch

DOT_PIXELS = 4.0
CURVE_POINTS = 6
MAX_COORDINATE = 1e6
ORIGINS = {"left": 0.0, "top": 0.0, "center": 0.5, "right": 1.0, "bottom": 1.0}


class StrokeError(ValueError):
    """A drawing that cannot be read as a character; the message says why."""


def strokes_of(drawing) -> list[torch.Tensor]:
    """Strokes (n, 2) float64, y up, from a canvas JSON object or a list of strokes (or one stroke)."""
    if isinstance(drawing, dict):
        return canvas_strokes(drawing)
    if isinstance(drawing, list) and drawing and _is_point(drawing[0]):
        drawing = [drawing]  # one stroke given as a list of points
    if not isinstance(drawing, list):
        raise StrokeError("A drawing is a canvas JSON object or a list of strokes of [x, y] points.")
    return [torch.tensor(stroke, dtype=torch.float64).reshape(-1, 2) if stroke else torch.zeros(0, 2,
            dtype=torch.float64) for stroke in drawing]


def _is_point(item) -> bool:
    return isinstance(item, (list, tuple)) and len(item) == 2 and all(isinstance(v, (int, float)) for v in item)


def clean(strokes: list[torch.Tensor]) -> list[torch.Tensor]:
    """Strokes without repeated points; empty ones dropped."""
    cleaned = []
    for index, points in enumerate(strokes):
        if points.numel() == 0:
            continue
        if not bool(torch.isfinite(points).all()):
            raise StrokeError(f"Stroke {index + 1} has a missing or infinite coordinate.")
        if float(points.abs().max()) > MAX_COORDINATE:
            raise StrokeError(f"Stroke {index + 1} has a coordinate beyond ±{MAX_COORDINATE:,.0f}.")
        moved = (points[1:] != points[:-1]).any(dim=1)
        cleaned.append(points[torch.cat([torch.tensor([True]), moved])])
    if not cleaned:
        raise StrokeError("There are no pen points: draw a character first.")
    return cleaned


def _interp(x: torch.Tensor, xp: torch.Tensor, fp: torch.Tensor) -> torch.Tensor:
    """NumPy's interp: piecewise linear through (xp, fp), xp increasing, held flat outside it."""
    if len(xp) == 1:
        return fp.expand(len(x)).clone()
    index = (torch.searchsorted(xp, x, right=True) - 1).clamp(0, len(xp) - 2)
    slope = (fp[index + 1] - fp[index]) / (xp[index + 1] - xp[index])
    result = slope * (x - xp[index]) + fp[index]
    result = torch.where(x >= xp[-1], fp[-1], result)
    return torch.where(x <= xp[0], fp[0], result)


def resample(drawing, points: int) -> torch.Tensor:
    """The model input for one character: (points, 5) float32."""
    strokes = clean(strokes_of(drawing))
    path = torch.cat(strokes)  # (n, 2)
    sizes = [len(stroke) for stroke in strokes]
    starts = torch.tensor([0, *torch.tensor(sizes).cumsum(0)[:-1].tolist()])
    low, high = path.min(dim=0).values, path.max(dim=0).values
    lengths = torch.hypot(*(path[1:] - path[:-1]).T)  # (n - 1,), jumps between strokes included
    arc = torch.cat([torch.zeros(1, dtype=torch.float64), lengths.cumsum(0)])
    total = float(arc[-1])
    moving = total > 0
    position = arc / (total if moving else 1.0)
    keep = torch.cat([torch.tensor([True]), lengths > 0])
    targets = torch.arange(points, dtype=torch.float64) / (points - 1) * (1.0 if moving else 0.0)
    samples = torch.stack([_interp(targets, position[keep], path[keep, 0]),
                           _interp(targets, position[keep], path[keep, 1])], dim=1)  # (points, 2)
    flags = torch.zeros(points + 1, dtype=torch.float64)
    for jump in (starts[1:] - 1).tolist():  # the segment from one stroke's end to the next stroke
        begin, end = position[jump:jump + 1], position[jump + 1:jump + 2]
        first = int(torch.searchsorted(targets, begin, right=bool(end > begin)))
        first = max(first, 1)
        last = max(int(torch.searchsorted(targets, end)), first)
        flags[first] += 1.0
        flags[last + 1] -= 1.0
    pen_up = ((flags.cumsum(0)[:-1] > 0) & moving).to(torch.float64)
    size = float((high - low).max())
    scale = 2.0 / size if size > 1e-12 else 1.0
    position_xy = (samples - (low + high) / 2) * scale  # (points, 2)
    moves = torch.diff(position_xy, dim=0, prepend=position_xy[:1])
    step = float(torch.hypot(moves[1:, 0], moves[1:, 1]).mean())
    moves = moves / (step if step > 1e-12 else 1.0)
    return torch.cat([position_xy, moves, pen_up[:, None]], dim=1).to(torch.float32)


def _quadratic(start, control, end) -> list[list[float]]:
    # As NumPy's linspace makes them: index times the step, the last exactly 1.
    steps = [index * (1.0 / CURVE_POINTS) for index in range(1, CURVE_POINTS)] + [1.0]
    return [[(1 - t) ** 2 * start[axis] + 2 * (1 - t) * t * control[axis] + t ** 2 * end[axis] for axis in (0, 1)]
            for t in steps]


def _path_points(commands) -> list[list[list[float]]]:
    """Fabric path commands (M, L, Q, C, Z) as point lists, y down."""
    pieces: list[list[list[float]]] = []
    current = None
    for command in commands:
        if not isinstance(command, (list, tuple)) or not command:
            raise StrokeError("The drawing has a path command that is not a list.")
        kind, values = str(command[0]).upper(), [float(value) for value in command[1:]]
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
            middle = [(values[0] + values[2]) / 2, (values[1] + values[3]) / 2]
            pieces[-1].extend(_quadratic(current, values[0:2], middle))
            pieces[-1].extend(_quadratic(middle, values[2:4], values[4:6]))
            current = values[4:6]
        elif kind == "Z" and pieces:
            pieces[-1].append(pieces[-1][0])
        else:
            raise StrokeError(f"The drawing has a path command it cannot read: {kind!r}.")
    return [piece for piece in pieces if piece]


def _placed(item: dict, pieces: list[list[list[float]]]) -> list[torch.Tensor]:
    """A path object's own coordinates placed on the canvas as Fabric.js draws it."""
    tensors = [torch.tensor(piece, dtype=torch.float64) for piece in pieces]
    if "left" not in item or "top" not in item:
        return tensors
    every = torch.cat(tensors)
    low, high = every.min(dim=0).values, every.max(dim=0).values
    offset = (low + high) / 2
    scale = torch.tensor([float(item.get("scaleX", 1) or 1), float(item.get("scaleY", 1) or 1)], dtype=torch.float64)
    flip = torch.tensor([-1.0 if item.get("flipX") else 1.0, -1.0 if item.get("flipY") else 1.0], dtype=torch.float64)
    stroke_width = 0.0 if item.get("strokeUniform") else float(item.get("strokeWidth", 0) or 0)
    width = float(item.get("width", float(high[0] - low[0])) or 0)
    height = float(item.get("height", float(high[1] - low[1])) or 0)
    box = (torch.tensor([width, height], dtype=torch.float64) + stroke_width) * scale
    angle = math.radians(float(item.get("angle", 0) or 0))
    rotation = torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]],
                            dtype=torch.float64)
    origin = torch.tensor([ORIGINS.get(str(item.get("originX", "left")), 0.0),
                           ORIGINS.get(str(item.get("originY", "top")), 0.0)], dtype=torch.float64)
    centre = torch.tensor([float(item["left"]), float(item["top"])], dtype=torch.float64) + rotation @ (
        (0.5 - origin) * box)
    return [centre + ((piece - offset) * scale * flip) @ rotation.T for piece in tensors]


def canvas_strokes(drawing: dict) -> list[torch.Tensor]:
    """Strokes (y up) from the page canvas's Fabric.js JSON."""
    objects = drawing.get("objects", [])
    if not isinstance(objects, list):
        raise StrokeError("The drawing could not be read: it is not a canvas JSON object.")
    strokes = []
    for item in objects:
        if not isinstance(item, dict) or str(item.get("type", "path")).lower() != "path":
            continue
        pieces = _path_points(item.get("path") or [])
        if pieces:
            strokes.extend(_placed(item, pieces))
    if not strokes:
        raise StrokeError("Draw a character first.")
    every = torch.cat(strokes)
    if not bool(torch.isfinite(every).all()) or float(every.abs().max()) > MAX_COORDINATE:
        raise StrokeError("The drawing has a missing, infinite or far too large coordinate.")
    if float((every.max(dim=0).values - every.min(dim=0).values).max()) <= DOT_PIXELS:
        raise StrokeError("That was a single dot: draw a whole character.")
    return [stroke * torch.tensor([1.0, -1.0], dtype=torch.float64) for stroke in strokes]
