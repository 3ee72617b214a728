"""A model downloaded from RNN Playground, ready to predict outside the app.

    from playground_model import load
    predictor = load("path/to/the/unzipped/folder")
    predictor.predict("I expected to hate it, but the acting was not bad at all.")

`load` reads config.json (the lesson, how it reads its input, each model's architecture), builds
every model of the run in plain PyTorch and loads its weights (plain state dicts, read with
weights_only=True, so loading runs no code from the file). Needs only torch, and sentencepiece for
the lessons that cut text into pieces.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from .networks import SequenceModel, WordTagger
from .readers import READERS, InputError
from .translator import Seq2Seq

FORMAT = "rnn-playground-model"
ARCHITECTURES = {"sequence": SequenceModel, "tagger": WordTagger, "seq2seq": Seq2Seq}

__all__ = ["InputError", "Predictor", "load"]


class Predictor:
    """Every model of one stored run, and the reader of its lesson's input."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.config = json.loads((self.folder / "config.json").read_text(encoding="utf-8"))
        if self.config.get("format") != FORMAT:
            raise ValueError(f"{self.folder / 'config.json'} is not an RNN Playground model")
        self.task = self.config["task"]
        self.reader = READERS[self.config["reader"]["kind"]](self.config["reader"], self.folder)
        self.models = {}
        self.labels = {}
        for entry in self.config["models"]:
            model = ARCHITECTURES[entry["architecture"]["kind"]](entry["architecture"])
            state = torch.load(self.folder / entry["weights"], weights_only=True, map_location="cpu")
            model.load_state_dict(state)
            self.models[entry["name"]] = model.eval()
            self.labels[entry["name"]] = entry["label"]

    def predict(self, raw, model: str | None = None) -> dict:
        """Each model's answer to one input (or only `model`'s), by model name."""
        names = [model] if model is not None else list(self.models)
        unknown = [name for name in names if name not in self.models]
        if unknown:
            raise InputError(f"no model {unknown[0]!r} in this download; it holds {', '.join(self.models)}")
        return {name: self.reader.answer(self.models[name], raw) for name in names}


def load(folder: str | Path = ".") -> Predictor:
    """The predictor of an unzipped download (the folder holding config.json)."""
    return Predictor(folder)
