"""A stored run as a model to take home: one zip a person unpacks and predicts with, outside the app.

    rnn-playground-<lesson>-<run id>/
      predict.py            python predict.py "your input"
      playground_model/     the models' code in plain PyTorch, and how the lesson reads its input
      config.json           the lesson, its reader, each model's architecture and weights file
      weights/<model>.pt    plain state dicts (torch.save), loaded with weights_only=True
      tokenizer.model ...   the SentencePiece model(s) or the vocabulary (JSON) the lesson reads with
      README.md             what is inside, and a usage snippet

Weights are plain state dicts rather than TorchScript: TorchScript is deprecated in PyTorch 2.x,
the encoders keep Python objects (a cell spec, a dropout generator) it cannot compile, and the
translator's greedy and beam decoding are loops whose length depends on the data, which tracing
would freeze. A state dict loads with weights_only=True, so opening a download runs no code from
it; the model code ships as source a person can read, in core/export/predictor.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import torch

from core.export.describe import NotExportable, architecture, reader
from core.nn.cells import VARIANT_MARK, model_label
from core.store.runs import RunStore, StoredRun
from core.tasks.base import TaskData
from core.tasks.experiment import Experiment, model_names, to_params
from core.tasks.registry import task

FORMAT, VERSION = "rnn-playground-model", 1
PREDICTOR = Path(__file__).resolve().parent / "predictor"
PACKAGE = "playground_model"
LAUNCHER = '''"""Predict with a model downloaded from RNN Playground: python predict.py "your input" (see README.md)."""

import os
import sys

# Python run with -I or -P does not put the script's folder on the path; the model's code lives there.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from playground_model.command import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
'''
# An example input per reader, for the README's snippet.
EXAMPLES = {"vectors": "C.........", "text": "I expected to hate it, but the acting was not bad at all.",
            "strokes": "[[[0, 0], [0, 10]]]", "translation": "four hundred seventy-two",
            "tagging": "Garcia moved to Madrid in 2021 .", "language_model": "to be, or not to be"}
INPUTS = {"vectors": "one symbol per step (a digit is a symbol's number, a letter its name, `.` a blank step), "
                     "or a JSON list of steps, each a list of numbers",
          "text": "a text", "strokes": "JSON: the page canvas's drawing, or a list of strokes, each a list of "
                                       "[x, y] points with y pointing up",
          "translation": "a phrase in the source language", "tagging": "a sentence, each of whose words gets a tag",
          "language_model": "a prompt to continue"}
OUTPUTS = {"vectors": "its answer and the probability of every class", "text": "its answer and the probability of "
           "every class", "strokes": "its answer and the probability of every class",
           "translation": "its translation and, with a beam wider than 1, every hypothesis with its log-probability",
           "tagging": "each word's tag and the probability the model gave it",
           "language_model": "the likeliest next units with their probabilities, and a continuation drawn at the "
                             "run's temperature with the run's seed (the same prompt gives the same text)"}


def folder_name(stored: StoredRun) -> str:
    return f"rnn-playground-{stored.task}-{stored.run_id}"


def weights_file(name: str) -> str:
    return f"weights/{name.replace(VARIANT_MARK, '-')}.pt"


def _state_bytes(state: dict[str, torch.Tensor]) -> bytes:
    buffer = io.BytesIO()
    torch.save({key: value.detach().cpu().clone() for key, value in state.items()}, buffer)
    return buffer.getvalue()


def model_files(experiment: Experiment, stored: StoredRun, data: TaskData,
                weights: dict[str, dict[str, torch.Tensor]]) -> dict[str, bytes]:
    """Every file of the download by its path inside the folder; NotExportable if nothing can go in."""
    spec, files = reader(experiment, data)
    entries = []
    for name in model_names(experiment):
        if name not in weights:
            continue
        model = data.problem.build_model(data, name, experiment.model, experiment.seed)
        model.load_state_dict(weights[name])  # refuses weights that do not fit the architecture written down
        entries.append({"name": name, "label": model_label(name), "weights": weights_file(name),
                        "architecture": architecture(model)})
        files[weights_file(name)] = _state_bytes(weights[name])
    if not entries:
        raise NotExportable(f"run {stored.run_id} has no saved weights to download")
    config = {"format": FORMAT, "version": VERSION, "task": stored.task, "run_id": stored.run_id,
              "title": task(stored.task).page.title, "settings": to_params(experiment), "reader": spec,
              "models": entries}
    files["config.json"] = json.dumps(config, indent=1, ensure_ascii=False).encode("utf-8")
    files["README.md"] = readme(config).encode("utf-8")
    files["predict.py"] = LAUNCHER.encode("utf-8")
    for path in sorted(PREDICTOR.glob("*.py")):
        files[f"{PACKAGE}/{path.name}"] = path.read_bytes()
    return files


def model_zip(experiment: Experiment, stored: StoredRun, data: TaskData, store: RunStore) -> bytes:
    """The download of a stored run as zip bytes, every model whose weights are stored included."""
    weights = {}
    for name in model_names(experiment):
        if name in stored.histories and (state := store.load_weights(stored.run_id, name)) is not None:
            weights[name] = state
    files = model_files(experiment, stored, data, weights)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            archive.writestr(f"{folder_name(stored)}/{path}", content)
    return buffer.getvalue()


def readme(config: dict) -> str:
    """What is in the download and how to use it."""
    kind = config["reader"]["kind"]
    example = EXAMPLES[kind]
    models = "\n".join(f"- `{entry['name']}` ({entry['label']}): `{entry['weights']}`" for entry in config["models"])
    needs = "torch" if kind in ("vectors", "strokes") or config["reader"].get("vocabulary") else "torch sentencepiece"
    return f"""# {config['title']}: run {config['run_id']}, taken home from RNN Playground

The trained models of one run of the {config['title']} lesson, with everything they need to predict
outside the app: their code in plain PyTorch (`playground_model/`), their weights (plain state dicts)
and how the lesson reads an input. An input is {INPUTS[kind]}; each model answers with {OUTPUTS[kind]}.

Models:
{models}

## Use

    pip install {needs}
    python predict.py {json.dumps(example)}
    python predict.py {json.dumps(example)} --model {config['models'][0]['name']} --json

From Python, in this folder:

```python
from playground_model import load

predictor = load(".")
print(predictor.predict({example!r}))
```

Each answer is the one the lesson's page gives for the same input. `config.json` holds the run's
settings (a share link's parameters), how the input is read, and each model's architecture.
The weights load with `torch.load(path, weights_only=True)`, so opening them runs no code.
"""
