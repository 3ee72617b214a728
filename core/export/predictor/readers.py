"""How each lesson's models read an input and what they answer, as the app's pages do.

`config.json`'s "reader" names one of these and the facts it needs (the tokenizer's file, the
number of pen points, the decoding length...). Every reader turns the user's raw input (text, or
JSON for drawings and vector sequences) into model input, and each model's output into plain
JSON-ready values.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

from . import pen, text

UNKNOWN_ID = 1


class InputError(ValueError):
    """An input a model cannot read; the message says why."""


def _sentencepiece(folder: Path, name: str):
    import sentencepiece  # imported on use: the drawing and vector lessons do not need it

    return sentencepiece.SentencePieceProcessor(model_file=str(folder / name))


def _classes(probabilities: torch.Tensor, classes: list[str]) -> dict:
    best = int(probabilities.argmax())
    return {"answer": classes[best],
            "probabilities": {name: float(value) for name, value in zip(classes, probabilities.tolist())}}


class Vectors:
    """A sequence of feature vectors (the memory lab): JSON [[...], ...], or one symbol per step
    ("C........": a digit is a symbol's number, a letter its name, "." a blank step)."""

    def __init__(self, spec: dict, folder: Path):
        self.features, self.classes = spec["features"], spec["classes"]

    def encode(self, raw) -> tuple[torch.Tensor, torch.Tensor]:
        raw = raw.strip() if isinstance(raw, str) else json.dumps(raw)  # a list of steps from Python
        if raw.startswith("["):
            try:
                steps = torch.tensor(json.loads(raw), dtype=torch.float32)
            except (ValueError, TypeError, RuntimeError):
                raise InputError("The JSON input is not a list of equally long lists of numbers.") from None
            if steps.dim() != 2 or steps.shape[1] != self.features or not steps.shape[0]:
                raise InputError(f"Each step needs {self.features} numbers.")
        else:
            steps = torch.zeros(len(raw), self.features)
            for index, symbol in enumerate(raw):
                number = self._symbol(symbol)
                if number is not None:
                    steps[index, number] = 1.0
            if not len(raw):
                raise InputError("Give at least one step.")
        return steps.unsqueeze(0), torch.tensor([steps.shape[0]])

    def _symbol(self, symbol: str) -> int | None:
        if symbol == ".":
            return None
        if symbol.isdigit() and int(symbol) < self.features:
            return int(symbol)
        if symbol.upper() in self.classes:
            return self.classes.index(symbol.upper())
        raise InputError(f"{symbol!r} is not a symbol: use 0-{self.features - 1}, {', '.join(self.classes)} or '.'.")

    def answer(self, model, raw: str) -> dict:
        inputs, lengths = self.encode(raw)
        with torch.no_grad():
            return _classes(torch.softmax(model(inputs, lengths), dim=-1)[0], self.classes)


class Text(Vectors):
    """A text cut into SentencePiece pieces (a review)."""

    def __init__(self, spec: dict, folder: Path):
        self.classes, self.max_length = spec["classes"], spec["max_length"]
        self.tokenizer = _sentencepiece(folder, spec["tokenizer"])

    def encode(self, raw: str) -> tuple[torch.Tensor, torch.Tensor]:
        ids = (self.tokenizer.encode(text.normalise(raw)) or [UNKNOWN_ID])[: self.max_length]
        return torch.tensor([ids]), torch.tensor([len(ids)])


class Strokes(Vectors):
    """A drawn character: the page canvas's JSON, or a JSON list of strokes of [x, y] points (y up)."""

    def __init__(self, spec: dict, folder: Path):
        self.classes, self.points = spec["classes"], spec["points"]

    def encode(self, raw) -> tuple[torch.Tensor, torch.Tensor]:
        try:
            drawing = json.loads(raw) if isinstance(raw, str) else raw
            inputs = pen.resample(drawing, self.points)  # (points, features)
        except (ValueError, TypeError, RuntimeError) as error:
            raise InputError(str(error) if isinstance(error, pen.StrokeError) else
                             "The drawing is not canvas JSON or a list of strokes of [x, y] points.") from None
        return inputs.unsqueeze(0), torch.tensor([self.points])


class Translation:
    """A phrase translated greedily, or with a beam of hypotheses."""

    def __init__(self, spec: dict, folder: Path):
        self.source = _sentencepiece(folder, spec["source_tokenizer"])
        self.target = _sentencepiece(folder, spec["target_tokenizer"])
        self.max_pieces, self.max_length = spec["max_pieces"], spec["max_length"]
        self.beam_width = spec["beam_width"]
        self.form = spec.get("form", "folded")  # how the tokenizers read text (core/data/tokens.py)
        self.end = self.target.get_piece_size()

    def answer(self, model, raw: str) -> dict:
        ids = (self.source.encode(text.normalise(raw, self.form)) or [UNKNOWN_ID])[: self.max_pieces]
        inputs, lengths = torch.tensor([ids]), torch.tensor([len(ids)])
        if self.beam_width == 1:
            beams = model.greedy(inputs, lengths, self.max_length)
        else:
            [beams] = model.beam_search(inputs, lengths, self.beam_width, self.max_length)
        written = [{"translation": self.decode(beam.tokens), "log_probability": beam.score, "ended": beam.finished}
                   for beam in beams]
        return {"translation": written[0]["translation"], "beams": written}

    def decode(self, ids: list[int]) -> str:
        return self.target.decode([i for i in ids if i < self.end and i != 0])


class Tagging:
    """A sentence's words, each with its tag and the probability the model gave it."""

    def __init__(self, spec: dict, folder: Path):
        words = json.loads((folder / spec["vocabulary"]).read_text(encoding="utf-8"))
        self.index = {word: number for number, word in enumerate(words)}
        self.tags = spec["tags"]

    def answer(self, model, raw: str) -> dict:
        words = text.words_of(raw)
        if not words:
            raise InputError("Type a sentence: the model tags every word.")
        ids = [self.index.get(word, self.index[text.shape(word)]) for word in words]
        with torch.no_grad():
            probabilities = torch.softmax(model(torch.tensor([ids]), torch.tensor([len(ids)])), dim=-1)[0]
        confidence, chosen = probabilities.max(dim=-1)
        return {"words": words, "tags": [self.tags[i] for i in chosen.tolist()], "confidence": confidence.tolist()}


class LanguageModel:
    """The likeliest next units after a prompt, and a continuation drawn with the run's seed."""

    def __init__(self, spec: dict, folder: Path):
        self.units, self.top = spec["units"], spec["top"]
        self.sample_length, self.temperature, self.seed = spec["sample_length"], spec["temperature"], spec["seed"]
        if self.units == "pieces":
            self.tokenizer = _sentencepiece(folder, spec["tokenizer"])
        else:
            self.vocabulary = json.loads((folder / spec["vocabulary"]).read_text(encoding="utf-8"))
            self.index = {unit: number for number, unit in enumerate(self.vocabulary) if number > 1}

    def encode(self, raw: str) -> list[int]:
        if self.units == "pieces":
            return self.tokenizer.encode(text.normalise(raw))
        units = text.normalise(raw).split() if self.units == "words" else list(text.clean_characters(raw))
        return [self.index.get(unit, UNKNOWN_ID) for unit in units]

    def unit(self, number: int) -> str:
        if self.units == "pieces":
            return self.tokenizer.id_to_piece(number)
        return self.vocabulary[number] if 1 < number < len(self.vocabulary) else "?"

    def decode(self, ids: list[int]) -> str:
        if self.units == "pieces":
            return self.tokenizer.decode([i for i in ids if i != 0])
        return ("" if self.units == "characters" else " ").join(self.unit(i) for i in ids if i != 0)

    @torch.no_grad()
    def _next(self, model, ids: list[int]) -> torch.Tensor:
        logits = model(torch.tensor([ids]))[0, -1]  # (vocabulary,)
        logits[0] = -math.inf  # never padding
        return logits

    def answer(self, model, raw: str) -> dict:
        ids = self.encode(raw)
        if not ids:
            raise InputError("Type a prompt for the model to continue.")
        probabilities = torch.softmax(self._next(model, ids).float(), dim=-1)
        top = probabilities.topk(min(self.top, probabilities.numel()))
        generator = torch.Generator().manual_seed(self.seed)
        context, written = list(ids), []
        for _ in range(self.sample_length):
            weights = torch.softmax(self._next(model, context).float() / self.temperature, dim=-1)
            unit = int(torch.multinomial(weights, 1, generator=generator))
            context.append(unit)
            written.append(unit)
        return {"next": [{"unit": self.unit(int(unit)), "probability": float(value)}
                         for unit, value in zip(top.indices, top.values)],
                "continuation": self.decode(written)}


READERS = {"vectors": Vectors, "text": Text, "strokes": Strokes, "translation": Translation, "tagging": Tagging,
           "language_model": LanguageModel}
