"""The handwriting task: name the character from its pen trajectory, read point by point.

Default data are written by a seeded generator that imitates people rather than a plotter
(core/tasks/handwriting/writer.py).

Pen data files that people share are often coarse: UCI pendigits keeps 8 points of the whole path
with pen lifts drawn as lines and each axis stretched to 0..100. A share of the generated
examples is passed through that same published preprocessing, and another share loses its pen-up
marks, so a model trained here also reads such files and drawings from the canvas.
Model input: see core/data/strokes.py (x, y, dx, dy, pen_up per pen point).

Measured with bench/handwriting_transfer.py (train on generated digits only, score on the 7,494
digits of 30 real writers in UCI pendigits.tra, seeds 0 and 1, default model, 2 CPU cores):
points 24 and 900 steps give LSTM 0.985/0.977 on generated validation and 0.932/0.911 on the real
writers (GRU 0.881/0.900, BiLSTM 0.909/0.905) in 28 s; points 32 and 600 steps give LSTM
0.910/0.890. The real file only measures; nothing here is fitted to it.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from core.data import strokes as pen
from core.data.pen_files import PenSet, read_pendigits, read_uji
from core.data.training_data import check_classes
from core.tasks.base import DataError, TaskData
from core.tasks.handwriting.config import FORMATS, HandwritingTaskConfig
from core.tasks.handwriting.writer import FACES, Strokes, as_pendigits, write

CHARSETS = {
    "digits": tuple(string.digits),
    "lowercase": tuple(string.ascii_lowercase),
    "uppercase": tuple(string.ascii_uppercase),
}
VAL_SIZE = 1000
PROBE_SIZE = 32
# Shares of generated examples shown as pendigits-style 8-point paths, and without pen lifts.
COARSE_SHARE = 0.5
LIFT_FREE_SHARE = 0.15
MIN_UPLOAD_SAMPLES = 50
GENERATE_CHUNK = 1000


# ---------------------------------------------------------------- the task

def charset_of(config: HandwritingTaskConfig) -> tuple[str, ...]:
    if config.charset not in CHARSETS:
        raise ValueError(f"unknown charset {config.charset!r}; choose from {', '.join(CHARSETS)}")
    return CHARSETS[config.charset]


def faces_of(config: HandwritingTaskConfig) -> tuple[str, ...]:
    faces = tuple(face for face in config.faces if face in FACES)
    return faces or tuple(FACES)


@dataclass(frozen=True)
class PenCodec:
    """Turns a character's strokes into one model input, a (points, features) float tensor."""

    points: int

    def __call__(self, strokes: Strokes) -> torch.Tensor:
        """One character (a list of (n, 2) strokes, y up) as a (points, features) tensor;
        StrokeError when it has no usable points."""
        return torch.from_numpy(pen.resample(strokes, self.points))

    def encode_batch(self, characters: list[Strokes]) -> torch.Tensor:
        return encode(characters, self.points)  # (characters, points, features)


def generate(config: HandwritingTaskConfig, count: int,
             seed: int | list[int]) -> tuple[list[Strokes], np.ndarray]:
    """`count` characters as the model sees them (some coarsened or lift-free) and their labels."""
    rng = np.random.default_rng(seed)
    classes = charset_of(config)
    labels = rng.permutation(np.arange(count) % len(classes))
    characters = write([classes[label] for label in labels], rng, faces_of(config), config.distortion)
    views = rng.random(count)
    coarse = np.flatnonzero(views < COARSE_SHARE)
    if len(coarse):
        for index, strokes in zip(coarse, as_pendigits(pen.Ink.of([characters[i] for i in coarse]))):
            characters[index] = strokes
    for index in np.flatnonzero((views >= COARSE_SHARE) & (views < COARSE_SHARE + LIFT_FREE_SHARE)):
        characters[index] = [np.concatenate(characters[index])]
    return characters, labels


def encode(characters: list[Strokes], points: int) -> torch.Tensor:
    """Model inputs (examples, points, features) for a list of characters from outside."""
    cleaned = []
    for number, strokes in enumerate(characters, start=1):
        try:
            cleaned.append(pen.clean(strokes))
        except pen.StrokeError as error:
            raise DataError(f"Sample {number} cannot be read: {error}") from error
    return torch.from_numpy(pen.encode(pen.Ink.of(cleaned), points))


def build(config: HandwritingTaskConfig, seed: int) -> TaskData:
    """Seeded train, validation and probe splits, generated or read from the user's file."""
    classes = charset_of(config)
    codec = PenCodec(config.points)
    info: dict[str, Any] = {"source": config.source, "charset": config.charset, "points": config.points,
                            "features": pen.FEATURES, "notices": []}
    if config.source == "upload":
        splits, notices = _upload_splits(config, classes, seed)
        info["notices"] = notices
    else:
        splits = []
        for offset, size in enumerate((config.train_size, VAL_SIZE, PROBE_SIZE)):
            parts = []
            # In chunks: writing thousands of characters in one batch of arrays held a few hundred
            # MB at its peak, too much for a small server training several jobs.
            for chunk, start in enumerate(range(0, size, GENERATE_CHUNK)):
                chunk_seed = seed * 3 + offset if chunk == 0 else [seed * 3 + offset, chunk]
                characters, labels = generate(config, min(GENERATE_CHUNK, size - start), chunk_seed)
                # Generated strokes are float arrays already; skip per-stroke checks (the batch
                # still drops repeated points and refuses non-finite ones).
                parts.append((torch.from_numpy(pen.encode(pen.Ink.of(characters), config.points)),
                              torch.from_numpy(labels)))
            splits.append((torch.cat([inputs for inputs, _ in parts]), torch.cat([labels for _, labels in parts])))
        info.update(faces=faces_of(config), distortion=config.distortion,
                    coarse_share=COARSE_SHARE, lift_free_share=LIFT_FREE_SHARE)
    (train_inputs, train_targets), (val_inputs, val_targets), (probe_inputs, probe_targets) = splits
    info.update(train_size=len(train_targets), val_size=len(val_targets))
    return TaskData(
        train_inputs=train_inputs, train_targets=train_targets.long(),
        val_inputs=val_inputs, val_targets=val_targets.long(),
        probe_inputs=probe_inputs, probe_targets=probe_targets.long(),
        input_size=len(pen.FEATURES), num_classes=len(classes), metric="accuracy",
        position_label="pen points back from the end", class_names=classes, codec=codec, info=info,
    )


def _upload_splits(config: HandwritingTaskConfig, classes: tuple[str, ...],
                   seed: int) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], list[str]]:
    """The user's file split at random into train (80%), validation (20%) and a probe subset."""
    from core.data import uploads

    file_format, content = uploads.load(config.upload)
    penset = check_training_file(read_file(file_format, content, classes))
    inputs = encode(penset.strokes, config.points)
    targets = torch.tensor([classes.index(label) for label in penset.labels])
    order = torch.randperm(len(targets), generator=torch.Generator().manual_seed(seed))
    val_count = max(len(targets) // 5, 1)
    val, train = order[:val_count], order[val_count:]
    probe = val[:PROBE_SIZE]
    splits = [(inputs[train], targets[train]), (inputs[val], targets[val]), (inputs[probe], targets[probe])]
    return splits, penset.notices


def check_training_file(penset: PenSet) -> PenSet:
    """The read file (of the chosen classes), once it is enough to train on: MIN_UPLOAD_SAMPLES in all
    and enough of each of two or more classes. The upload box and the training data use this one rule,
    so a file is refused when it is uploaded rather than accepted and then failing at Train."""
    if len(penset) < MIN_UPLOAD_SAMPLES:
        raise DataError(f"The file has {len(penset)} usable samples of the chosen classes; training needs at "
                        f"least {MIN_UPLOAD_SAMPLES}.")
    check_classes(penset.labels)
    return penset


def read_file(file_format: str, content: bytes | str, classes: tuple[str, ...] | None = None) -> PenSet:
    """A pen-data file in one of `FORMATS`, keeping only `classes` when given."""
    readers = {"pendigits": read_pendigits, "uji": read_uji}
    if file_format not in readers:
        raise DataError(f"Unknown file format {file_format!r}; choose from {', '.join(FORMATS)}.")
    return readers[file_format](content, classes=classes)


def encode_file(data: TaskData, penset: PenSet) -> tuple[torch.Tensor, torch.Tensor, None]:
    """A file's samples as inputs and targets for a model built on `data` (lengths are not used)."""
    class_names = data.class_names
    unknown = sorted(set(penset.labels) - set(class_names))
    if unknown:
        raise DataError(f"The file has classes this model does not know: {', '.join(map(repr, unknown[:12]))}; "
                        f"it knows {', '.join(class_names)}.")
    points = data.val_inputs.shape[1]
    targets = torch.tensor([class_names.index(label) for label in penset.labels])
    return encode(penset.strokes, points), targets, None




def sample_pictures(config: HandwritingTaskConfig, seed: int, count: int) -> list[tuple[str, Strokes]]:
    """`count` characters as the model is shown them (normalised strokes), for the page's picture."""
    classes = charset_of(config)
    if config.source == "upload":
        from core.data import uploads

        penset = read_file(*uploads.load(config.upload), classes)
        pairs = list(zip(penset.labels, penset.strokes))[:count]
    else:
        characters, labels = generate(config, count, seed * 3 + 2)
        pairs = [(classes[label], strokes) for label, strokes in zip(labels, characters)]
    return [(label, pen.normalise(strokes)) for label, strokes in pairs]
