"""What a downloaded model needs written down: each model's architecture, read off the built model,
and how its lesson reads an input (the reader), with the tokenizer or vocabulary files it uses.

Both are read from the objects the app itself trains and predicts with (the built model, the task
data's codec and problem), so a lesson's own settings never have to be listed here. A model or an
input this module does not know is refused with a NotExportable that says so.
"""

from __future__ import annotations

import json

import torch
from torch import nn

from core.nn.models import RunningSum, SequenceModel
from core.nn.seq2seq import Seq2Seq
from core.tasks.base import TaskData
from core.tasks.experiment import Experiment

# Pieces of a typed text the models read, as the sentiment page cuts a typed review.
TYPED_PIECES = 200
# Likeliest next units a language model's answer lists, as the next-word page shows them.
TOP_UNITS = 8
MODULE_NAMES = {nn.RNN: "rnn", nn.GRU: "gru", nn.LSTM: "lstm", RunningSum: "sum"}


class NotExportable(ValueError):
    """A run whose models or input this download cannot describe; the message says which."""


def _encoder(encoder) -> dict:
    first = encoder.layers[0][0]
    return {"cell": encoder.kind, "module": MODULE_NAMES[encoder.spec.module],
            "bidirectional": encoder.spec.bidirectional, "hidden_size": encoder.hidden_size,
            "num_layers": len(encoder.layers), "input_size": int(first.weight_ih_l0.shape[1])}


def architecture(model: nn.Module) -> dict:
    """The facts that rebuild `model` in the download's own code (core/export/predictor)."""
    from core.tasks.ner.tagging import WordTagger

    if isinstance(model, Seq2Seq):
        return {"kind": "seq2seq", **_encoder(model.encoder), "source_vocab": model.embedding.num_embeddings,
                "target_vocab": model.eos, "attention": model.attention}
    if isinstance(model, SequenceModel):
        vocab_size = model.embedding.num_embeddings if model.embedding is not None else None
        return {"kind": "sequence", **_encoder(model.encoder), "vocab_size": vocab_size,
                "num_classes": model.head.out_features, "per_step": model.per_step}
    if isinstance(model, WordTagger):
        return {"kind": "tagger", "vocab_size": model.embedding.num_embeddings,
                "input_size": model.embedding.embedding_dim, "num_classes": model.head.out_features}
    raise NotExportable(f"a {type(model).__name__} model cannot be downloaded yet")


def reader(experiment: Experiment, data: TaskData) -> tuple[dict, dict[str, bytes]]:
    """How the lesson reads an input ("reader" in config.json) and the files that reading needs."""
    # Imported on use: every lab page imports this module, and only a download needs the lessons' code.
    from core.data.tokens import Tokenizer
    from core.tasks.ner.tagging import Tagging
    from core.tasks.nextword.problem import LanguageModel
    from core.tasks.translation.data import MAX_PIECES, Translation

    problem, codec = data.problem, data.codec
    classes = list(data.class_names)
    if isinstance(problem, Translation):
        shared = codec.source is codec.target
        source, target = ("tokenizer.model", "tokenizer.model") if shared else ("source.model", "target.model")
        spec = {"kind": "translation", "source_tokenizer": source, "target_tokenizer": target,
                "max_pieces": MAX_PIECES, "max_length": problem.max_length,
                "beam_width": experiment.task_config.beam_width, "form": codec.source.form}
        return spec, {source: codec.source.model, target: codec.target.model}
    if isinstance(problem, Tagging):
        return ({"kind": "tagging", "vocabulary": "vocabulary.json", "tags": list(problem.tags)},
                {"vocabulary.json": _json(list(codec.words))})
    if isinstance(problem, LanguageModel):
        spec = {"kind": "language_model", "units": codec.units, "top": TOP_UNITS,
                "sample_length": problem.sample_length, "temperature": experiment.task_config.temperature,
                "seed": experiment.seed}
        if codec.tokenizer is not None:
            return {**spec, "tokenizer": "tokenizer.model"}, {"tokenizer.model": codec.tokenizer.model}
        return {**spec, "vocabulary": "vocabulary.json"}, {"vocabulary.json": _json(list(codec.vocabulary))}
    if isinstance(codec, Tokenizer):
        return ({"kind": "text", "tokenizer": "tokenizer.model", "max_length": TYPED_PIECES, "classes": classes},
                {"tokenizer.model": codec.model})
    if codec is not None and isinstance(getattr(codec, "points", None), int):
        return {"kind": "strokes", "points": codec.points, "classes": classes}, {}
    if codec is None and data.vocab_size is None and data.val_inputs.dtype == torch.float32:
        return {"kind": "vectors", "features": data.input_size, "classes": classes}, {}
    raise NotExportable(f"the {experiment.task} lesson's input cannot be described for a download yet")


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=0).encode("utf-8")
