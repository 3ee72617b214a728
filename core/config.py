"""Experiment configuration: one frozen dataclass per concern, with bounds in field metadata.

The same metadata drives the page's sliders, the URL validator and the command line, so a bound
is written once. `to_params` flattens an experiment into URL-style strings; `from_params` reads
any mapping back, clamping or dropping what it cannot accept and saying so in plain words.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

CELLS = ("rnn", "gru", "lstm", "birnn", "bigru", "bilstm")
CELL_LABELS = {
    "rnn": "RNN",
    "gru": "GRU",
    "lstm": "LSTM",
    "birnn": "BiRNN",
    "bigru": "BiGRU",
    "bilstm": "BiLSTM",
}
TASKS = ("memory",)
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


TASK_CONFIGS: dict[str, type] = {"memory": MemoryTaskConfig}


def settings_of(config_type: type) -> list[dataclasses.Field]:
    """The fields of a config dataclass that carry setting metadata, in declaration order."""
    return [f for f in dataclasses.fields(config_type) if "label" in f.metadata]


def parameter_fields(task: str = "memory") -> dict[str, tuple[str | None, dataclasses.Field]]:
    """Flat parameter name -> (section attribute on Experiment or None, field).

    Names are unique across concerns, so one flat URL carries the whole experiment.
    """
    sections: list[tuple[str | None, type]] = [
        (None, Experiment),
        ("task_config", TASK_CONFIGS[task]),
        ("model", ModelConfig),
        ("train", TrainConfig),
    ]
    flat: dict[str, tuple[str | None, dataclasses.Field]] = {}
    for section, config_type in sections:
        for f in settings_of(config_type):
            if f.name in flat:
                raise ValueError(f"setting name {f.name!r} is used twice")
            flat[f.name] = (section, f)
    return flat


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
    for name, (section, _) in parameter_fields(experiment.task).items():
        params[name] = format_value(_read(experiment, section, name), name)
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


def clean_value(name: str, spec: dataclasses.Field, raw: Any) -> tuple[Any, str | None]:
    """Validate one raw value against its field: (clean value, message or None)."""
    meta = spec.metadata
    default = spec.default
    label = meta["label"]
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
        if isinstance(value, bool):
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


def describe(fields: Iterable[str] = ()) -> str:
    """One line per setting with its bounds, for the CLI's help."""
    lines = []
    for name, (_, spec) in parameter_fields().items():
        if fields and name not in fields:
            continue
        meta = spec.metadata
        if meta["choices"] is not None:
            bounds = "|".join(meta["choices"])
        else:
            bounds = f"{meta['low']}..{meta['high']}"
        lines.append(f"  {name}={format_value(spec.default, name)!s:<10} {bounds:<24} {meta['help']}")
    return "\n".join(lines)
