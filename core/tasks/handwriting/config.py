"""The handwriting lesson's own settings."""

from __future__ import annotations

from dataclasses import dataclass

from core.settings.fields import UPLOAD_KEY, setting

# The pen files it reads: UCI pendigits and UJI Pen Characters.
FORMATS = ("pendigits", "uji")


@dataclass(frozen=True)
class HandwritingTaskConfig:
    """The handwriting demo: pen trajectories, generated from stroke fonts or uploaded."""

    source: str = setting(
        "generated", choices=("generated", "upload"), label="Data",
        help="Generated handwriting, or pen trajectories you upload (UCI pendigits or UJI format).",
    )
    charset: str = setting(
        "digits", choices=("digits", "lowercase", "uppercase"), label="Characters",
        help="Which characters the generator writes.",
    )
    faces: tuple[str, ...] = setting(
        ("print", "cursive"), choices=("print", "cursive"), many=True, label="Font faces", sources=("generated",),
        help="Single-line stroke fonts the generated writing starts from.",
    )
    distortion: float = setting(
        1.0, low=0.0, high=2.0, step=0.1, label="Distortion", sources=("generated",),
        help="How much slant, rotation, jitter and elastic wobble the generator adds.",
    )
    points: int = setting(
        24, low=8, high=128, label="Points per character",
        help="Resolution: the pen path is resampled to this many equally spaced points.",
    )
    train_size: int = setting(
        6000, low=500, high=20000, label="Training examples", help="Characters generated for training.",
        sources=("generated",),
    )
    upload: str = setting(
        "", pattern=UPLOAD_KEY, label="Uploaded pen data",
        help="Key of the uploaded pen file this run trains on (set by the upload box).",
    )
