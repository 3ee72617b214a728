"""Experiment configuration: one frozen dataclass per concern, with bounds in field metadata.

The same metadata drives the page's sliders, the URL validator and the command line, so a bound
is written once. `to_params` flattens an experiment into URL-style strings; `from_params` reads
any mapping back, clamping or dropping what it cannot accept and saying so in plain words.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
import functools
import re
from typing import Any, Iterable, Mapping

CELLS = ("rnn", "gru", "lstm", "birnn", "bigru", "bilstm", "bow")
CELL_LABELS = {
    "rnn": "RNN",
    "gru": "GRU",
    "lstm": "LSTM",
    "birnn": "BiRNN",
    "bigru": "BiGRU",
    "bilstm": "BiLSTM",
    "bow": "BoW",
}
TASKS = ("memory", "sentiment", "handwriting", "translation")
# Attention kinds of the translation decoder; each is a model variant trained beside the others.
ATTENTIONS = ("none", "additive", "multiplicative")
ATTENTION_LABELS = {"none": "no attention", "additive": "additive attention",
                    "multiplicative": "multiplicative attention"}
# Languages that both num2words (number words) and Babel (CLDR dates and units) write well.
LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")
# A model name is a cell name, or a cell name and a variant joined by this mark ("lstm+additive").
VARIANT_MARK = "+"
# Learning rates move on a log grid, so a slider, a link and the CLI all land on the same values.
LEARNING_RATES = (0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)


def setting(
    default: Any,
    *,
    label: str,
    help: str,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] | None = None,
    log: bool = False,
    step: float | None = None,
    many: bool = False,
    options: tuple[float, ...] | None = None,
    pattern: str | None = None,
    sources: tuple[str, ...] | None = None,
) -> Any:
    """A dataclass field whose metadata carries what the UI, the URL and the CLI must agree on."""
    metadata = {
        "label": label,
        "help": help,
        "low": low,
        "high": high,
        "choices": choices,
        "log": log,
        "step": step,
        "many": many,
        "options": options,
        # Text settings (content keys) match this pattern; they travel in links but get no widget.
        "pattern": pattern,
        # Data sources the setting matters for (None: all); the page greys it out for the others.
        "sources": sources,
    }
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class MemoryTaskConfig:
    """The memory task: remember the first symbol across a run of distractors."""

    distance: int = setting(
        50, low=5, high=200, label="Distance",
        help="Sequence length: how many steps the first symbol must be carried to the end.",
    )
    symbols: int = setting(
        8, low=2, high=8, label="Symbols",
        help="How many symbols the first step can show (chance accuracy is 1 / symbols).",
    )
    noise: float = setting(
        0.6, low=0.0, high=2.0, step=0.1, label="Noise",
        help="Strength (standard deviation) of the random distractor vectors after the first step.",
    )


UPLOAD_KEY = "[0-9a-f]{16}"


@dataclass(frozen=True)
class SentimentTaskConfig:
    """The sentiment demo: word-order puzzles, real review snippets, or the user's own table."""

    source: str = setting(
        "puzzles", choices=("puzzles", "reviews", "upload"), label="Data",
        help="Generated word-order puzzles, real movie-review snippets, or a table you upload.",
    )
    distance: int = setting(
        6, low=0, high=30, label="Filler words", sources=("puzzles",),
        help="Puzzles: up to this many neutral filler words between the deciding cue and the end.",
    )
    opinions: int = setting(
        0, low=0, high=6, label="Distractor opinions", sources=("puzzles",),
        help="Puzzles: after a leading verdict, this many opinions that do not decide the label (0 = off).",
    )
    vocab_size: int = setting(
        8000, low=100, high=8000, label="Vocabulary size",
        help="Subword pieces the SentencePiece tokenizer learns from the training split (at most as many as "
             "the texts support: the puzzles' small vocabulary needs fewer).",
    )
    tokenizer: str = setting(
        "bpe", choices=("bpe", "unigram"), label="Tokenizer",
        help="SentencePiece algorithm: unigram language model or byte-pair encoding.",
    )
    embedding_size: int = setting(
        64, low=8, high=128, label="Embedding size", help="Length of each token's learned vector.",
    )
    train_size: int = setting(
        20000, low=500, high=20000, label="Training examples",
        help="Examples generated, or the most taken from a corpus or table.",
    )
    upload: str = setting(
        "", pattern=UPLOAD_KEY, label="Uploaded table",
        help="Key of the uploaded table this run trains on (set by the upload box).",
    )


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


@dataclass(frozen=True)
class TranslationTaskConfig:
    """The translation demo: number words, CLDR dates and quantities, or the user's sentence pairs."""

    source: str = setting(
        "numbers", choices=("numbers", "dates", "upload"), label="Data",
        help="Number words (\"three hundred twenty-one\"), dates and quantities in two languages, or a file of "
             "sentence pairs you upload.",
    )
    source_language: str = setting(
        "en", choices=LANGUAGES, label="From", sources=("numbers", "dates"),
        help="The language the model reads.",
    )
    target_language: str = setting(
        "de", choices=LANGUAGES, label="To", sources=("numbers", "dates"),
        help="The language the model writes (German puts units before tens, French counts in twenties).",
    )
    largest: int = setting(
        99999, low=99, high=999999, label="Largest number", sources=("numbers",),
        help="Numbers from 0 to this one, as many of each length; the validation numbers are never seen in "
             "training.",
    )
    attention: tuple[str, ...] = setting(
        ("none", "additive"), choices=ATTENTIONS, many=True, label="Attention",
        help="Decoders trained side by side: none (the source reaches the decoder only through the encoder's "
             "last state), additive (Bahdanau) or multiplicative (Luong).",
    )
    teacher_forcing: float = setting(
        1.0, low=0.0, high=1.0, step=0.1, label="Teacher forcing",
        help="Share of decoder steps that read the correct previous piece in training; the rest read the model's "
             "own guess.",
    )
    beam_width: int = setting(
        1, low=1, high=8, label="Beam width",
        help="Hypotheses kept while decoding (1 = greedy): scores, typed phrases and the beams shown.",
    )
    vocabulary: str = setting(
        "separate", choices=("separate", "shared"), label="Vocabularies",
        help="One SentencePiece vocabulary per language, or one shared by both sides.",
    )
    vocab_size: int = setting(
        0, low=0, high=8000, label="Vocabulary size",
        help="Subword pieces per vocabulary (at most as many as the texts support); 0 picks what suits the data: "
             "120 for number words, 400 for dates, 4,000 for your own sentences.",
    )
    tokenizer: str = setting(
        "bpe", choices=("bpe", "unigram"), label="Tokenizer",
        help="SentencePiece algorithm: byte-pair encoding or unigram language model.",
    )
    embedding_size: int = setting(
        64, low=8, high=128, label="Embedding size", help="Length of each piece's learned vector.",
    )
    train_size: int = setting(
        4000, low=200, high=20000, label="Training pairs",
        help="Pairs generated, or the most taken from your file.",
    )
    upload: str = setting(
        "", pattern=UPLOAD_KEY, label="Uploaded pairs",
        help="Key of the uploaded file of sentence pairs this run trains on (set by the upload box).",
    )

    def model_names(self, cells: tuple[str, ...]) -> tuple[str, ...]:
        """Every cell with every attention kind: the models one run trains side by side."""
        return tuple(f"{cell}{VARIANT_MARK}{attention}" for cell in cells for attention in self.attention)


@dataclass(frozen=True)
class ModelConfig:
    """The recurrent encoders to compare and their shared size."""

    cells: tuple[str, ...] = setting(
        ("rnn", "lstm"), choices=CELLS, many=True, label="Cells",
        help="Architectures trained side by side on the same data and seed.",
    )
    hidden_size: int = setting(
        64, low=4, high=256, label="Hidden size", help="Units in each recurrent layer (per direction).",
    )
    num_layers: int = setting(1, low=1, high=3, label="Layers", help="Stacked recurrent layers.")
    dropout: float = setting(
        0.0, low=0.0, high=0.5, step=0.05, label="Dropout",
        help="Dropout between stacked layers (no effect with one layer).",
    )
    forget_bias: float = setting(
        1.0, low=0.0, high=3.0, step=0.5, label="Forget-gate bias",
        help="Initial LSTM forget-gate bias: 1 makes the cell remember by default.",
    )


@dataclass(frozen=True)
class TrainConfig:
    """How the models are optimised."""

    optimizer: str = setting(
        "adam", choices=("adam", "sgd"), label="Optimizer", help="Adam adapts step sizes; SGD does not.",
    )
    lr: float = setting(
        0.003, low=1e-4, high=1.0, log=True, options=LEARNING_RATES, label="Learning rate",
        help="Step size of the optimizer (log scale; other values snap to the nearest step).",
    )
    batch_size: int = setting(128, low=8, high=256, label="Batch size", help="Examples per step.")
    steps: int = setting(800, low=10, high=5000, label="Steps", help="Optimizer steps per model.")
    clip: float = setting(
        1.0, low=0.0, high=10.0, step=0.5, label="Gradient clip",
        help="Clip the total gradient norm to this value (0 turns clipping off).",
    )
    eval_every: int = setting(
        50, low=5, high=500, label="Evaluate every", help="Steps between validation passes.",
    )
    probe_every: int = setting(
        50, low=5, high=500, label="Probe every", help="Steps between gradient-through-time probes.",
    )


@dataclass(frozen=True)
class Experiment:
    """Everything that defines one run: the task, its settings, the models, training and seed."""

    task: str = "memory"
    seed: int = setting(0, low=0, high=2**31 - 1, label="Seed", help="Fixes data, weights and batches.")
    task_config: MemoryTaskConfig = field(default_factory=MemoryTaskConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


TASK_CONFIGS: dict[str, type] = {
    "memory": MemoryTaskConfig,
    "sentiment": SentimentTaskConfig,
    "handwriting": HandwritingTaskConfig,
    "translation": TranslationTaskConfig,
}
# Shared settings whose best starting value depends on the task; everything else keeps the
# dataclass default. Measured choices: see each task module's docstring.
TASK_DEFAULTS: dict[str, dict[str, Any]] = {
    "memory": {},
    # Measured: 600 steps of batch 64 take the LSTM past 0.95 on the puzzles in well under a minute.
    "sentiment": {"cells": ("rnn", "lstm", "bilstm", "bow"), "batch_size": 64, "steps": 600},
    # Measured: 24 points and 900 steps give the LSTM about 0.98 on generated digits and 0.91-0.93
    # on real writers' pendigits in about 30 s (see bench/demos_bench.py).
    "handwriting": {"cells": ("gru", "lstm", "bilstm"), "steps": 900},
    # Measured (bench/translation_bench.py, seeds 0-2): after 600 steps the attention model is at
    # 0.985-0.99 exact match on unseen numbers and the one without attention at 0.00-0.02, in ~12 s.
    "translation": {"cells": ("lstm",), "batch_size": 64, "steps": 600},
}
# Choices a task narrows: an encoder-decoder needs a recurrent state, which a bag of words has not.
TASK_CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "translation": {"cells": tuple(cell for cell in CELLS if cell != "bow")},
}


@dataclass(frozen=True)
class Setting:
    """One flat setting as a task sees it: its name, its default for that task and its metadata."""

    name: str
    default: Any
    metadata: Mapping[str, Any]


def settings_of(config_type: type) -> list[dataclasses.Field]:
    """The fields of a config dataclass that carry setting metadata, in declaration order."""
    return [f for f in dataclasses.fields(config_type) if "label" in f.metadata]


@functools.cache
def parameter_fields(task: str = "memory") -> dict[str, tuple[str | None, Setting]]:
    """Flat parameter name -> (section attribute on Experiment or None, setting with task default).

    Names are unique across concerns, so one flat URL carries the whole experiment.
    """
    sections: list[tuple[str | None, type]] = [
        (None, Experiment),
        ("task_config", TASK_CONFIGS[task]),
        ("model", ModelConfig),
        ("train", TrainConfig),
    ]
    overrides = TASK_DEFAULTS[task]
    narrowed = TASK_CHOICES.get(task, {})
    flat: dict[str, tuple[str | None, Setting]] = {}
    for section, config_type in sections:
        for f in settings_of(config_type):
            if f.name in flat:
                raise ValueError(f"setting name {f.name!r} is used twice")
            metadata = {**f.metadata, "choices": narrowed[f.name]} if f.name in narrowed else f.metadata
            flat[f.name] = (section, Setting(f.name, overrides.get(f.name, f.default), metadata))
    return flat


def model_names(experiment: Experiment) -> tuple[str, ...]:
    """The models one run trains side by side: its cells, or each cell in every variant the task asks for."""
    variants = getattr(experiment.task_config, "model_names", None)
    return variants(experiment.model.cells) if variants else experiment.model.cells


def cell_of(name: str) -> str:
    """The cell kind of a model name ("lstm+additive" -> "lstm")."""
    return name.partition(VARIANT_MARK)[0]


def model_label(name: str) -> str:
    """How charts and sentences name a model: "LSTM", or "LSTM, additive attention" for a variant."""
    cell, _, variant = name.partition(VARIANT_MARK)
    label = CELL_LABELS.get(cell, cell)
    return f"{label}, {ATTENTION_LABELS.get(variant, variant)}" if variant else label


def default_experiment(task: str = "memory") -> Experiment:
    """The experiment a task opens on when nothing is set."""
    return from_params({"task": task})[0]


def format_value(value: Any, name: str = "") -> str | list[str]:
    """The URL form of one value, as the page's widgets write it (so links and widgets agree).

    repr keeps floats exact, so a link reproduces the run; whole floats drop their ".0" and cells
    are shown by their labels, as Streamlit does in the address bar.
    """
    if isinstance(value, tuple):
        return [CELL_LABELS.get(item, item) for item in value] if name == "cells" else list(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _read(experiment: Experiment, section: str | None, name: str) -> Any:
    owner = experiment if section is None else getattr(experiment, section)
    return getattr(owner, name)


def value_of(experiment: Experiment, name: str) -> Any:
    """The value of the setting with flat name `name`, from whichever section holds it."""
    section, _ = parameter_fields(experiment.task)[name]
    return _read(experiment, section, name)


def to_params(experiment: Experiment) -> dict[str, str | list[str]]:
    """Flatten an experiment into URL-style strings (lists for multi-valued settings)."""
    params: dict[str, str | list[str]] = {"task": experiment.task}
    for name, (section, spec) in parameter_fields(experiment.task).items():
        value = _read(experiment, section, name)
        if spec.metadata["pattern"] is not None and not value:
            continue  # an unset key stays out of links
        params[name] = format_value(value, name)
    return params


def _as_list(raw: Any) -> list[Any]:
    if isinstance(raw, (list, tuple)):
        return list(raw)
    if isinstance(raw, str) and "," in raw:
        return [part.strip() for part in raw.split(",")]
    return [raw]


def _last(raw: Any) -> Any:
    """A repeated URL parameter counts by its last value, as browsers show it."""
    if isinstance(raw, (list, tuple)):
        return raw[-1] if raw else ""
    return raw


def _short(raw: Any) -> str:
    text = str(raw)
    return text if len(text) <= 40 else text[:37] + "..."


# Numbers in ASCII digits only: float() also reads Arabic-Indic and fullwidth digits and "1_000",
# which no link or command line means as a number.
_ASCII_NUMBER = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf(?:inity)?|nan)",
                           re.IGNORECASE)


def clean_value(name: str, spec: Setting, raw: Any) -> tuple[Any, str | None]:
    """Validate one raw value against its setting: (clean value, message or None)."""
    meta = spec.metadata
    default = spec.default
    label = meta["label"]
    if meta["pattern"] is not None:
        text = str(_last(raw)).strip().lower()
        if text == "" or re.fullmatch(meta["pattern"], text):
            return text, None
        return default, f"{label}: {_short(_last(raw))!r} is not a valid key; ignored."
    if meta["many"]:
        choices = meta["choices"]
        given = [str(item).strip() for item in _as_list(raw)]
        kept = tuple(dict.fromkeys(item.lower() for item in given if item.lower() in choices))
        unknown = [item for item in given if item.lower() not in choices]
        if not kept:
            return default, f"{label}: none of {_short(raw)!s} is known; using {', '.join(default)}."
        if unknown:
            return kept, f"{label}: ignored unknown {', '.join(_short(u) for u in unknown)}."
        return kept, None
    value = _last(raw)
    if meta["choices"] is not None:
        text = str(value).strip().lower()
        if text in meta["choices"]:
            return text, None
        return default, f"{label}: {_short(value)!r} is not one of {', '.join(meta['choices'])}; using {default}."
    kind = type(default)
    try:
        if isinstance(value, bool) or (isinstance(value, str) and not _ASCII_NUMBER.fullmatch(value.strip())):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError):
        return default, f"{label}: {_short(value)!r} is not a number; using {default}."
    if not math.isfinite(number):
        return default, f"{label}: {_short(value)!r} is not a finite number; using {default}."
    if kind is int:
        if number != int(number):
            rounded = int(round(number))
            clean, message = clean_value(name, spec, rounded)
            return clean, message or f"{label}: {_short(value)} is not a whole number; using {clean}."
        number = int(number)
    low, high = meta["low"], meta["high"]
    if meta["options"] is not None and low <= number <= high and number not in meta["options"]:
        nearest = min(meta["options"], key=lambda option: abs(math.log(option) - math.log(number)))
        return nearest, f"{label}: {_short(value)} snapped to the nearest step, {nearest:g}."
    if low is not None and number < low:
        return kind(low), f"{label}: {_short(value)} is below the minimum {kind(low)}; using {kind(low)}."
    if high is not None and number > high:
        return kind(high), f"{label}: {_short(value)} is above the maximum {kind(high)}; using {kind(high)}."
    return kind(number), None


# URL parameters that Streamlit itself owns; they are never experiment settings.
RESERVED_PARAMS = frozenset({"embed", "embed_options"})


def from_params(mapping: Mapping[str, Any] | None) -> tuple[Experiment, list[str]]:
    """Read an experiment from any mapping, returning it and a message per value not taken as is.

    Missing settings take their defaults silently; unknown, malformed or out-of-range ones are
    reset or clamped and reported. Never raises on any input mapping.
    """
    messages: list[str] = []
    mapping = dict(mapping or {})
    task_raw = _last(mapping.pop("task", "memory"))
    task = str(task_raw).strip().lower()
    if task not in TASKS:
        messages.append(f"Task: {_short(task_raw)!r} is not one of {', '.join(TASKS)}; using memory.")
        task = "memory"
    fields = parameter_fields(task)
    sections: dict[str | None, dict[str, Any]] = {None: {}, "task_config": {}, "model": {}, "train": {}}
    for name, value in TASK_DEFAULTS[task].items():
        sections[fields[name][0]][name] = value
    for key in mapping:
        name = str(key)
        if name in fields or name in RESERVED_PARAMS:
            continue
        messages.append(f"Ignored unknown setting {_short(name)!r}.")
    for name, (section, spec) in fields.items():
        if name not in mapping:
            continue
        value, message = clean_value(name, spec, mapping[name])
        sections[section][name] = value
        if message:
            messages.append(message)
    experiment = Experiment(
        task=task,
        task_config=TASK_CONFIGS[task](**sections["task_config"]),
        model=ModelConfig(**sections["model"]),
        train=TrainConfig(**sections["train"]),
        **sections[None],
    )
    return experiment, messages


def replace(experiment: Experiment, **changes: Any) -> Experiment:
    """A copy of the experiment with flat-named settings changed (validated like a URL)."""
    params: dict[str, Any] = dict(to_params(experiment))
    params.update(changes)
    changed, messages = from_params(params)
    if messages:
        raise ValueError("; ".join(messages))
    return changed


def describe(task: str = "memory", fields: Iterable[str] = ()) -> str:
    """One line per setting of a task with its default and bounds, for the CLI's help."""
    lines = []
    for name, (_, spec) in parameter_fields(task).items():
        if fields and name not in fields:
            continue
        meta = spec.metadata
        if meta["choices"] is not None:
            bounds = "|".join(meta["choices"])
        elif meta["pattern"] is not None:
            bounds = "key"
        else:
            bounds = f"{meta['low']}..{meta['high']}"
        default = format_value(spec.default, name)
        default = ",".join(default) if isinstance(default, list) else default
        lines.append(f"  {name}={default!s:<10} {bounds:<24} {meta['help']}")
    return "\n".join(lines)
