"""The handwriting lesson's writer: pen paths that imitate people rather than a plotter.

It starts from the two single-line Hershey faces (`futural` print, `cursive` joined script; the
others are duplicates or double outlines, which teach shapes no pen makes) and, for digits, from
allographs drawn here by hand as stroke lists, because people write many digits in shapes the
font lacks (a 1 with or without flag and base, open or closed 4, crossed 7, 9 with a straight or
curved tail) and in their own stroke order and direction. Each character then gets a random
slant, rotation, aspect, smooth elastic warp, wobbly control points, small lead-in and lead-out
hooks, uneven pen speed and jitter, all scaled by `distortion`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from core.data import strokes as pen

FACES = {"print": "futural", "cursive": "cursive"}
# Spread of the proportion stretch (see `warp`) at distortion 1.
PROPORTION = 0.45

Strokes = list[np.ndarray]


class Style:
    """Random choices of one written character, each spread scaled by the distortion."""

    def __init__(self, rng: np.random.Generator, amount: float):
        self.rng = rng
        self.amount = amount

    def around(self, centre: float, spread: float) -> float:
        return centre + spread * self.amount * self.rng.uniform(-1.0, 1.0)

    def chance(self, probability: float) -> bool:
        return bool(self.rng.random() < probability)


# ---------------------------------------------------------------- strokes from control points
# Allographs are control polylines in a box 0..70 wide and 0..100 high (y up); a point with a
# third value 1 is a corner. Each control point wobbles a little, then a Catmull-Rom spline
# through them gives the smooth pen path.

def corner(x: float, y: float) -> tuple[float, float, int]:
    return (x, y, 1)


def arc(centre_x: float, centre_y: float, radius_x: float, radius_y: float,
        start: float, sweep: float) -> list[tuple[float, float]]:
    """Control points along an ellipse from angle `start` (degrees, 90 = top) turning `sweep`
    degrees (positive = anticlockwise)."""
    count = max(int(abs(sweep) / 30), 2) + 1
    angles = np.deg2rad(start + np.linspace(0.0, sweep, count))
    return [(centre_x + radius_x * np.cos(a), centre_y + radius_y * np.sin(a)) for a in angles]


_SEGMENT_STEPS = 8
_T = np.linspace(0.0, 1.0, _SEGMENT_STEPS, endpoint=False)[:, None]
_BASIS = 0.5 * np.concatenate([-_T ** 3 + 2 * _T ** 2 - _T, 3 * _T ** 3 - 5 * _T ** 2 + 2,
                               -3 * _T ** 3 + 4 * _T ** 2 + _T, _T ** 3 - _T ** 2], axis=1)  # (steps, 4)


def spline(points: np.ndarray) -> np.ndarray:
    """A Catmull-Rom curve through (m, 2) control points, 8 samples per span."""
    if len(points) < 3:
        return points
    padded = np.concatenate([2 * points[:1] - points[1:2], points, 2 * points[-1:] - points[-2:-1]])
    windows = np.stack([padded[:-3], padded[1:-2], padded[2:-1], padded[3:]], axis=1)  # (spans, 4, 2)
    curve = np.einsum("sk,pkd->psd", _BASIS, windows).reshape(-1, 2)
    return np.concatenate([curve, points[-1:]])


def render(controls: list[list[tuple]], style: Style) -> Strokes:
    """Wobble the control points, then draw each stroke as smooth runs meeting at corners."""
    wobble = 1.5 * style.amount
    result = []
    for control in controls:
        points = np.asarray([point[:2] for point in control], dtype=float)
        points = points + style.rng.normal(0.0, wobble, points.shape) if wobble else points
        corners = [0] + [i for i, point in enumerate(control) if len(point) > 2] + [len(control) - 1]
        runs = [spline(points[a:b + 1]) for a, b in zip(corners[:-1], corners[1:]) if b > a]
        result.append(np.concatenate(runs) / 100.0 if runs else points / 100.0)
    return result


# ---------------------------------------------------------------- digits as people write them

def _zero(s: Style) -> list:
    # Most people start at the top and go anticlockwise, overshooting the start a little.
    sweep = s.around(375, 25) * (-1 if s.chance(0.2) else 1)
    zero = [arc(35, 50, s.around(30, 6), 48, s.around(100, 25), sweep)]
    return zero + ([[(s.around(62, 4), 96), (s.around(8, 4), 4)]] if s.chance(0.04) else [])


def _one(s: Style) -> list:
    top = (s.around(42, 4), 100)
    stem = [(s.around(41, 2), 50), (s.around(40, 3), 0)]
    kind = s.rng.choice(4, p=[0.4, 0.42, 0.12, 0.06])
    base = [[(s.around(18, 6), s.around(0, 2)), (s.around(64, 6), s.around(0, 2))]]
    if kind == 0:
        return [[top] + stem]
    # The lead-in runs from a short tick to a long up-stroke from half way down (a European 1).
    flag = [(s.around(20, 10), s.around(68, 20)), corner(*top)]
    if kind == 1:
        return [flag + stem]
    return [flag + stem] + base if kind == 2 else [[top] + stem] + base


def _two(s: Style) -> list:
    upper = [(s.around(8, 4), s.around(70, 12)), (18, 92), (38, 100), (58, 91), (62, 70), (48, 46)]
    if s.chance(0.25):  # a small loop where the diagonal meets the base
        return [upper + [(22, 18), (9, 4), (16, 0), (23, 7), (15, 11), (13, 4), (32, 1), (s.around(68, 4), 2)]]
    return [upper + [(26, 22), corner(s.around(6, 3), 0), (s.around(72, 14), s.around(1, 4))]]


def _three(s: Style) -> list:
    if s.chance(0.25):  # flat top, as in the print face
        return [[(8, 100), corner(60, 100), corner(28, 60), (52, 60), (64, 38), (56, 10), (34, 0), (8, 9)]]
    middle = (s.around(32, 6), 55)
    return [[(s.around(10, 4), 82), (30, 99), (54, 95), (61, 78), (48, 61), corner(*middle),
             (56, 48), (65, 26), (52, 5), (30, 0), (s.around(6, 4), s.around(12, 5))]]


def _four(s: Style) -> list:
    bar_y = s.around(34, 6)
    stem_x = s.around(52, 5)
    right = stem_x + s.around(12, 9)  # the bar crosses the stem a little, if at all
    stem = [[(stem_x, s.around(94, 6)), (stem_x + s.around(0, 4), 0)]]
    closed = [(s.around(stem_x - 6, 5), 100), corner(s.around(4, 3), bar_y)]
    kind = s.rng.choice(5, p=[0.3, 0.3, 0.2, 0.12, 0.08])
    if kind == 0:  # closed: diagonal and bar in one stroke, then the stem
        return [closed + [(right, bar_y)]] + stem
    if kind == 1:  # open: down, across, then the stem
        return [[(s.around(10, 6), 100), corner(s.around(6, 5), bar_y), (right, bar_y + s.around(0, 3))]] + stem
    if kind == 2:  # closed in one stroke: diagonal, across, and on down (no stem above the bar)
        return [closed + [corner(stem_x, bar_y + s.around(0, 3)), (stem_x + s.around(0, 4), 0)]]
    if kind == 3:  # open in one stroke: down, across, up, and back down the stem
        return [[(10, 100), corner(6, bar_y), corner(stem_x, bar_y), corner(stem_x, s.around(96, 4)),
                 (stem_x, 0)]]
    return stem + [closed + [(right, bar_y)]]


def _five(s: Style) -> list:
    belly = [(30, s.around(64, 4)), (52, 60), (64, 38), (57, 12), (35, 0), (s.around(8, 4), s.around(9, 5))]
    top = (s.around(18, 3), 100)
    stem_and_belly = [top, corner(s.around(12, 3), 56)] + belly
    bar_end = (s.around(62, 5), s.around(100, 3))
    kind = s.rng.choice(3, p=[0.55, 0.3, 0.15])
    if kind == 0:  # stem and belly, then the bar
        return [stem_and_belly, [top, bar_end]]
    if kind == 1:  # the bar first, then lift and write stem and belly
        return [[top, bar_end], stem_and_belly]
    return [[bar_end, corner(*top)] + stem_and_belly[1:]]  # all in one, the bar right to left


def _six(s: Style) -> list:
    if s.chance(0.3):  # a straight back
        return [[(52, 100), (30, 65), (12, 30), (20, 6), (38, 0), (58, 12), (60, 32), (45, 48), (25, 45),
                 (s.around(14, 4), s.around(30, 6))]]
    return [[(s.around(56, 4), s.around(94, 4)), (35, 96), (15, 72), (8, 38), (17, 8), (38, 0), (58, 12), (62, 35),
             (48, 52), (28, 52), (s.around(12, 4), s.around(33, 6))]]


def _seven(s: Style) -> list:
    start = [(s.around(6, 3), s.around(84, 4)), corner(8, 100)] if s.chance(0.2) else [(s.around(6, 4), 100)]
    end_x = s.around(28, 10)
    seven = [start + [corner(s.around(64, 5), s.around(100, 4)), (s.around(46, 4), 52), (end_x, 0)]]
    if s.chance(0.2):  # crossed
        seven.append([(s.around(22, 5), s.around(50, 5)), (s.around(62, 5), s.around(52, 5))])
    return seven


def _eight(s: Style) -> list:
    path = [(58, 88), (40, 100), (15, 92), (12, 72), (35, 52), (58, 32), (58, 10), (35, 0), (12, 10),
            (12, 32), (35, 52), (58, 72), (56, 92), (s.around(38, 6), s.around(100, 3))]
    kind = s.rng.choice(3, p=[0.65, 0.25, 0.1])
    if kind == 0:  # from the top right, leftwards over the top
        return [path]
    if kind == 1:  # the mirror order: from the top left, rightwards over the top
        return [[(70 - x, y) for x, y in path]]
    return [arc(35, 76, 22, 24, 80, 370), arc(35, 26, 28, 26, 90, -370)]


def _nine(s: Style) -> list:
    # The loop takes the top third to half; it closes at the top right, or lower when left open.
    bottom = s.around(58, 10)
    closing = corner(s.around(62, 3), bottom + (100 - bottom) * s.around(0.5, 0.3))
    loop = [(s.around(60, 4), s.around(88, 6)), (50, 100), (24, 99), (8, bottom + 0.45 * (100 - bottom)),
            (16, bottom + 4), (36, bottom), (57, bottom + 5), closing]
    kind = s.rng.choice(3, p=[0.45, 0.4, 0.15])
    if kind == 0:  # straight tail
        return [loop + [(s.around(60, 4), bottom * 0.5), (s.around(58, 6), 0)]]
    if kind == 1:  # curved tail
        return [loop + [(62, bottom * 0.6), (54, 10), (34, 0), (s.around(14, 6), s.around(8, 6))]]
    return [arc(36, (100 + bottom) / 2, 26, (100 - bottom) / 2, s.around(10, 15), 370),
            [(s.around(62, 3), 98), (s.around(58, 5), 0)]]


HAND_DIGITS: dict[str, Callable[[Style], list]] = {
    "0": _zero, "1": _one, "2": _two, "3": _three, "4": _four,
    "5": _five, "6": _six, "7": _seven, "8": _eight, "9": _nine,
}
# How often a digit is written from a hand-drawn allograph rather than a font glyph.
HAND_SHARE = 0.8


# ---------------------------------------------------------------- font glyphs in human order

@lru_cache(maxsize=4)
def font_glyphs(face: str) -> dict[str, tuple[np.ndarray, ...]]:
    """One Hershey face's glyphs as strokes in a box of cap height 1 (y up), in human order.

    A plotter draws lines in any direction and order; people draw straight lines from top to
    bottom and left to right, start with the stroke that reaches highest, then leftmost, and
    put dots and short strokes last. The cursive face is already in writing order; only its
    dots move.
    """
    from HersheyFonts import HersheyFonts

    font = HersheyFonts()
    font.load_default_font(face)
    glyphs = {}
    for character, glyph in font.all_glyphs.items():
        strokes = [np.asarray(stroke, dtype=float) * np.array([1.0, -1.0]) / 21.0 for stroke in glyph.strokes
                   if len(stroke) >= 2]
        if strokes:
            glyphs[character] = tuple(_human_order(strokes, reorder=face != "cursive"))
    return glyphs


def _human_order(strokes: Strokes, reorder: bool) -> Strokes:
    oriented = []
    for stroke in strokes:
        chord = stroke[-1] - stroke[0]
        length = float(np.hypot(*chord))
        offsets = stroke - stroke[0]
        away = np.abs(offsets[:, 0] * chord[1] - offsets[:, 1] * chord[0])  # distance from the chord * length
        straight = length > 0 and away.max() < 0.1 * length * length
        steep = abs(chord[1]) > 0.6 * abs(chord[0])
        if reorder and straight and ((steep and chord[1] > 0) or (not steep and chord[0] < 0)):
            stroke = stroke[::-1]
        oriented.append(stroke)
    largest = max(float(np.ptp(stroke, axis=0).max()) for stroke in oriented)

    def order(stroke: np.ndarray) -> tuple:
        short = float(np.ptp(stroke, axis=0).max()) < 0.15 * largest
        if not reorder:
            return (short,)
        return (short, -round(float(stroke[:, 1].max()) * 5), round(float(stroke[:, 0].min()) * 5))

    return sorted(oriented, key=order)


# ---------------------------------------------------------------- the writer

def shape(character: str, style: Style, faces: tuple[str, ...]) -> Strokes:
    """The strokes of one character before the hand's warp: an allograph or a font glyph."""
    if character in HAND_DIGITS and style.rng.random() < HAND_SHARE:
        strokes = render(HAND_DIGITS[character](style), style)
    else:
        face = FACES[faces[int(style.rng.integers(len(faces)))]]
        strokes = list(font_glyphs(face)[character])
    return _hooks(strokes, style)


def _hooks(strokes: Strokes, style: Style) -> Strokes:
    """Small lead-in and lead-out ticks, as a pen lands and lifts in motion."""
    for end in (0, -1):
        if not style.chance(0.2 * min(style.amount, 1.5)):
            continue
        strokes = list(strokes)
        stroke = strokes[end]
        tip = stroke[0] if end == 0 else stroke[-1]
        angle, bend = style.rng.uniform(0, 2 * np.pi), style.rng.normal(0, 0.8)
        length = style.rng.uniform(0.03, 0.08)
        tick = np.array([tip + length * np.array([np.cos(angle), np.sin(angle)]),
                         tip + 0.45 * length * np.array([np.cos(angle + bend), np.sin(angle + bend)])])
        strokes[end] = np.concatenate([tick, stroke]) if end == 0 else np.concatenate([stroke, tick[::-1]])
    return strokes


def warp(ink: pen.Ink, rng: np.random.Generator, amount: float) -> pen.Ink:
    """Each character's hand: slant, rotation, aspect, a smooth elastic field, shifted later
    strokes, uneven pen speed (fast stretches keep fewer points and so cut curves) and jitter."""
    ink = pen.densify(ink, 0.015)
    count = len(ink.character_sizes)
    stroke_of_point, character, stroke_starts = ink.index()
    sizes = np.bincount(character, minlength=count)
    character_starts = stroke_starts[np.concatenate([[0], np.cumsum(ink.character_sizes)[:-1]])]
    points = ink.points - (np.add.reduceat(ink.points, character_starts) / sizes[:, None])[character]  # (n, 2)
    # Proportions: a smooth monotone stretch per axis moves the middle of the character (the
    # waist of an 8, the bar of a 4, the size of a 9's loop) up or down, left or right.
    low = np.minimum.reduceat(points, character_starts)[character]
    span = np.maximum(np.maximum.reduceat(points, character_starts)[character] - low, 1e-9)
    unit = (points - low) / span  # (n, 2) in 0..1
    bulge = np.clip(rng.normal(0.0, PROPORTION * amount, (count, 2)), -0.9, 0.9)[character]
    unit = unit + bulge * unit * (1 - unit)
    # A top wider or narrower than the bottom (a small loop on a long tail, a short arc on a long base).
    taper = rng.normal(0.0, PROPORTION * amount, count)[character]
    unit[:, 0] = 0.5 + (unit[:, 0] - 0.5) * (1 + taper * (unit[:, 1] - 0.5))
    points = low + unit * span
    frequencies = rng.uniform(0.8, 2.2, (count, 3, 2)) * rng.choice([-1.0, 1.0], (count, 3, 2))
    phases = rng.uniform(0, 2 * np.pi, (count, 3))
    amplitudes = rng.normal(0.0, 0.03 * amount, (count, 3, 2))
    waves = np.sin(np.einsum("nd,nkd->nk", points, frequencies[character]) + phases[character])  # (n, 3)
    points = points + np.einsum("nk,nkd->nd", waves, amplitudes[character])
    slant = rng.normal(0.12, 0.2, count) * amount
    angle = rng.normal(0.0, 0.10, count) * amount
    aspect = np.exp(rng.normal(0.0, 0.18, count) * amount)
    cos, sin = np.cos(angle), np.sin(angle)
    # rotation @ [[aspect, slant], [0, 1]] for each character: (characters, 2, 2)
    matrices = np.stack([np.stack([cos * aspect, cos * slant - sin], axis=1),
                         np.stack([sin * aspect, sin * slant + cos], axis=1)], axis=1)
    points = np.einsum("nij,nj->ni", matrices[character], points)
    first_strokes = np.zeros(len(stroke_starts), dtype=bool)
    first_strokes[np.concatenate([[0], np.cumsum(ink.character_sizes)[:-1]])] = True
    shifts = rng.normal(0.0, 0.025 * amount, (len(stroke_starts), 2)) * ~first_strokes[:, None]
    points = points + shifts[stroke_of_point]
    # The pen's speed rises and falls along each character; where fast, fewer points survive.
    along = np.arange(len(points)) - stroke_starts[stroke_of_point]
    rate = rng.uniform(0.05, 0.3, count)[character]
    keep_share = 0.65 + 0.3 * np.sin(along * rate + rng.uniform(0, 2 * np.pi, count)[character])
    keep = rng.random(len(points)) < (keep_share if amount > 0 else 1.0)
    keep[stroke_starts] = True
    keep[np.cumsum(ink.stroke_sizes) - 1] = True
    points = points[keep] + rng.normal(0.0, 0.003 * amount, (int(keep.sum()), 2))
    stroke_sizes = np.add.reduceat(keep.astype(int), stroke_starts)
    return pen.Ink(points, stroke_sizes, ink.character_sizes)


def as_pendigits(ink: pen.Ink) -> list[Strokes]:
    """What UCI pendigits keeps of each character: 8 points of the whole path (lifts drawn as
    lines), each axis stretched to 0..100 and rounded, as one stroke."""
    samples, _, _ = pen.walk(ink, 8)  # (characters, 8, 2)
    low, high = samples.min(axis=1, keepdims=True), samples.max(axis=1, keepdims=True)
    scaled = np.round((samples - low) / np.maximum(high - low, 1e-9) * 100.0)
    return [[character] for character in scaled]


def write(characters: list[str], rng: np.random.Generator, faces: tuple[str, ...], distortion: float) -> list[Strokes]:
    """Seeded, human-like handwriting of each character in `characters` (strokes, y up)."""
    style = Style(rng, distortion)
    ink = pen.Ink.of([shape(character, style, faces) for character in characters])
    return warp(ink, rng, distortion).characters()
