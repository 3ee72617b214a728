"""The app's own answers to one raw input, for `python -m core predict` and for checking a download.

Each answer is computed by the very functions the lesson pages call (the reading of every prefix,
the problem's decode or predict, the language model's sample), on the task data and stored models
the page uses, and written in the plain form a downloaded predictor writes (core/export/predictor),
so the two can be compared value for value.
"""

from __future__ import annotations

import json

import torch
from torch import nn

from core.data import strokes
from core.export.describe import TOP_UNITS, TYPED_PIECES, reader
from core.report.analysis import prefix_probabilities
from core.tasks.base import TaskData
from core.tasks.experiment import Experiment
from core.tasks.ner import data as entities
from core.tasks.nextword.problem import next_probabilities, sample


class InputError(ValueError):
    """An input the run's models cannot read; the message says why."""


def _classes(probabilities, classes: tuple[str, ...]) -> dict:
    probabilities = torch.as_tensor(probabilities)
    return {"answer": classes[int(probabilities.argmax())],
            "probabilities": {name: float(value) for name, value in zip(classes, probabilities.tolist())}}


def vector_steps(raw: str, features: int, classes: tuple[str, ...]) -> torch.Tensor:
    """(1, steps, features) from JSON vectors, or from symbols: a digit is a symbol's number, a
    letter its name, "." a blank step."""
    raw = raw.strip()
    if raw.startswith("["):
        try:
            steps = torch.tensor(json.loads(raw), dtype=torch.float32)
        except (ValueError, TypeError, RuntimeError):
            raise InputError("The JSON input is not a list of equally long lists of numbers.") from None
        if steps.dim() != 2 or steps.shape[1] != features or not steps.shape[0]:
            raise InputError(f"Each step needs {features} numbers.")
        return steps.unsqueeze(0)
    if not raw:
        raise InputError("Give at least one step.")
    steps = torch.zeros(1, len(raw), features)
    for index, symbol in enumerate(raw):
        if symbol == ".":
            continue
        if symbol.isdigit() and int(symbol) < features:
            steps[0, index, int(symbol)] = 1.0
        elif symbol.upper() in classes:
            steps[0, index, classes.index(symbol.upper())] = 1.0
        else:
            raise InputError(f"{symbol!r} is not a symbol: use 0-{features - 1}, {', '.join(classes)} or '.'.")
    return steps


def drawing(raw: str) -> list:
    """The page canvas's JSON, or a list of strokes of [x, y] points (y up), as strokes."""
    try:
        value = json.loads(raw)
        if isinstance(value, dict):
            return strokes.canvas_to_strokes(value)
        if isinstance(value, list) and value and isinstance(value[0], list) and value[0] \
                and not isinstance(value[0][0], list):
            value = [value]  # one stroke given as a list of points
        if not isinstance(value, list):
            raise strokes.StrokeError("A drawing is a canvas JSON object or a list of strokes of [x, y] points.")
        return strokes.clean(value)
    except strokes.StrokeError as error:
        raise InputError(str(error)) from None
    except ValueError:
        raise InputError("The drawing is not canvas JSON or a list of strokes of [x, y] points.") from None


def answers(experiment: Experiment, data: TaskData, models: dict[str, nn.Module], raw: str) -> dict[str, dict]:
    """Each model's answer to `raw`, by model name, as the lesson's page computes it."""
    kind = reader(experiment, data)[0]["kind"]
    return {name: ANSWERS[kind](experiment, data, model.eval(), raw) for name, model in models.items()}


def _vectors(experiment: Experiment, data: TaskData, model: nn.Module, raw: str) -> dict:
    inputs = vector_steps(raw, data.input_size, data.class_names)
    return _classes(prefix_probabilities(model, inputs)[-1], data.class_names)


def _text(experiment: Experiment, data: TaskData, model: nn.Module, raw: str) -> dict:
    inputs, _ = data.codec.encode_batch([raw], max_length=TYPED_PIECES)  # as the sentiment page reads a review
    return _classes(prefix_probabilities(model, inputs)[-1], data.class_names)


def _strokes(experiment: Experiment, data: TaskData, model: nn.Module, raw: str) -> dict:
    try:
        inputs = data.codec(drawing(raw)).unsqueeze(0)  # (1, points, features), as the handwriting page
    except strokes.StrokeError as error:
        raise InputError(str(error)) from None
    return _classes(prefix_probabilities(model, inputs)[-1], data.class_names)


def _translation(experiment: Experiment, data: TaskData, model: nn.Module, raw: str) -> dict:
    inputs, lengths = data.codec.encode_sources([raw])
    beams = data.problem.decode(model, inputs, lengths, experiment.task_config.beam_width)[0]
    written = [{"translation": data.codec.decode(beam.tokens), "log_probability": beam.score, "ended": beam.finished}
               for beam in beams]
    return {"translation": written[0]["translation"], "beams": written}


def _tagging(experiment: Experiment, data: TaskData, model: nn.Module, raw: str) -> dict:
    words = entities.words_of(raw)
    if not words:
        raise InputError("Type a sentence: the model tags every word.")
    inputs, lengths = data.codec.encode([words])
    tags, confidences = data.problem.predict(model, inputs, lengths)
    return {"words": words, "tags": tags[0], "confidence": confidences[0]}


def _language_model(experiment: Experiment, data: TaskData, model: nn.Module, raw: str) -> dict:
    ids = data.codec.encode(raw)
    if not ids:
        raise InputError("Type a prompt for the model to continue.")
    probabilities = next_probabilities(model, ids)
    top = probabilities.topk(min(TOP_UNITS, probabilities.numel()))
    written = sample(model, ids, data.problem.sample_length, experiment.task_config.temperature, experiment.seed)
    return {"next": [{"unit": data.codec.unit(int(unit)), "probability": float(value)}
                     for unit, value in zip(top.indices, top.values)],
            "continuation": data.codec.decode(written)}


ANSWERS = {"vectors": _vectors, "text": _text, "strokes": _strokes, "translation": _translation,
           "tagging": _tagging, "language_model": _language_model}
