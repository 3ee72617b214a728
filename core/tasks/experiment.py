"""The experiment a link holds: the task, its settings, the models, training and seed.

`to_params` flattens an experiment into URL-style strings; `from_params` reads any mapping back,
clamping or dropping what it cannot accept and saying so in plain words. The lesson's own settings
and its defaults for the shared ones come from its record in the task registry.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.nn.cells import CELL_LABELS, ModelConfig
from core.settings.fields import Setting, clean_value, last_value, setting, settings_of, shortened
from core.settings.train import TrainConfig
from core.tasks.record import Preset
from core.tasks.registry import task as task_record
from core.tasks.registry import task_names

# The lesson a link without a task opens.
DEFAULT_TASK = "memory"


def _default_task_config() -> Any:
    return task_record(DEFAULT_TASK).config_type()


@dataclass(frozen=True)
class Experiment:
    """Everything that defines one run: the task, its settings, the models, training and seed."""

    task: str = DEFAULT_TASK
    seed: int = setting(0, low=0, high=2**31 - 1, label="Seed", help="Fixes data, weights and batches.")
    # The lesson's own config dataclass (the type its task record names).
    task_config: Any = field(default_factory=_default_task_config)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


@functools.cache
def parameter_fields(task: str = DEFAULT_TASK) -> dict[str, tuple[str | None, Setting]]:
    """Flat parameter name -> (section attribute on Experiment or None, setting with task default).

    Names are unique across concerns, so one flat URL carries the whole experiment.
    """
    sections: list[tuple[str | None, type]] = [
        (None, Experiment),
        ("task_config", task_record(task).config_type),
        ("model", ModelConfig),
        ("train", TrainConfig),
    ]
    overrides = task_record(task).defaults
    narrowed = task_record(task).choices
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
    return task_record(experiment.task).model_names(experiment.task_config, experiment.model.cells)



def default_experiment(task: str = DEFAULT_TASK) -> Experiment:
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
        if spec.metadata.get("quiet") and value == spec.default:
            continue  # a later setting at its default keeps older runs' ids
        params[name] = format_value(value, name)
    return params


def idle_settings(experiment: Experiment) -> set[str]:
    """Settings that apply only to other data sources than the experiment's (the target language of
    generated numbers, for a file of sentence pairs): they hold their defaults and say nothing."""
    fields = parameter_fields(experiment.task)
    if "source" not in fields:
        return set()
    source = _read(experiment, fields["source"][0], "source")
    return {name for name, (_, spec) in fields.items()
            if spec.metadata["sources"] is not None and source not in spec.metadata["sources"]}


def link_params(experiment: Experiment) -> dict[str, str | list[str]]:
    """The settings a share link carries: `to_params` without the idle ones. (Run ids keep hashing
    `to_params`, so no stored run changes its id.)"""
    idle = idle_settings(experiment)
    return {name: value for name, value in to_params(experiment).items() if name not in idle}


# URL parameters that are never experiment settings: Streamlit's own, a class's code and a
# student's token (ui/class_student.py), which stay in a student's address on every page, and a
# guided lesson's name and step (ui/guided.py), which never enter a run's settings or its id.
RESERVED_PARAMS = frozenset({"embed", "embed_options", "class", "student", "lesson", "step"})


def from_params(mapping: Mapping[str, Any] | None) -> tuple[Experiment, list[str]]:
    """Read an experiment from any mapping, returning it and a message per value not taken as is.

    Missing settings take their defaults silently; unknown, malformed or out-of-range ones are
    reset or clamped and reported. Never raises on any input mapping.
    """
    messages: list[str] = []
    mapping = dict(mapping or {})
    task_raw = last_value(mapping.pop("task", DEFAULT_TASK))
    task = str(task_raw).strip().lower()
    if task not in task_names():
        messages.append(f"Task: {shortened(task_raw)!r} is not one of {', '.join(task_names())}; "
                        f"using {DEFAULT_TASK}.")
        task = DEFAULT_TASK
    fields = parameter_fields(task)
    sections: dict[str | None, dict[str, Any]] = {None: {}, "task_config": {}, "model": {}, "train": {}}
    for name, value in task_record(task).defaults.items():
        sections[fields[name][0]][name] = value
    for key in mapping:
        name = str(key)
        if name in fields or name in RESERVED_PARAMS:
            continue
        messages.append(f"Ignored unknown setting {shortened(name)!r}.")
    for name, (section, spec) in fields.items():
        if name not in mapping:
            continue
        value, message = clean_value(name, spec, mapping[name])
        sections[section][name] = value
        if message:
            messages.append(message)
    _idle_settings_take_defaults(fields, sections)
    experiment = Experiment(
        task=task,
        task_config=task_record(task).config_type(**sections["task_config"]),
        model=ModelConfig(**sections["model"]),
        train=TrainConfig(**sections["train"]),
        **sections[None],
    )
    return experiment, messages


def _idle_settings_take_defaults(fields: Mapping[str, tuple[str | None, Any]],
                                 sections: dict[str | None, dict[str, Any]]) -> None:
    """A setting that applies only to other data sources (the target language of generated number
    words, for a file of sentence pairs) takes its default: it neither shows a value the data does
    not have nor travels in the link, and two runs differing only there are one run."""
    if "source" not in fields:
        return
    section, spec = fields["source"]
    source = sections[section].get("source", spec.default)
    for name, (place, field_spec) in fields.items():
        applies_to = field_spec.metadata["sources"]
        if applies_to is not None and source not in applies_to:
            sections[place].pop(name, None)


def as_trained(experiment: Experiment) -> Experiment:
    """The experiment as a run trains it: settings that change only how a trained model is read take
    their defaults, so the run store finds one run for every beam width and re-reads it."""
    fields = parameter_fields(experiment.task)
    reading = [name for name, (_, spec) in fields.items() if spec.metadata["reading"]]
    if not reading:
        return experiment
    params = {name: value for name, value in to_params(experiment).items() if name not in reading}
    return from_params(params)[0]


def replace(experiment: Experiment, **changes: Any) -> Experiment:
    """A copy of the experiment with flat-named settings changed (validated like a URL)."""
    params: dict[str, Any] = dict(to_params(experiment))
    params.update(changes)
    changed, messages = from_params(params)
    if messages:
        raise ValueError("; ".join(messages))
    return changed


def describe(task: str = DEFAULT_TASK, fields: Iterable[str] = ()) -> str:
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


def of_preset(preset: Preset) -> tuple[Experiment, list[str]]:
    """The experiment a preset's link opens (the page names the task), and what the validator changed."""
    return from_params({**preset.params, "task": preset.task})
