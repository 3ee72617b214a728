"""Config: URL round trips, validation messages, and that nothing makes from_params raise."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core.nn.cells import ModelConfig
from core.settings.fields import Setting
from core.settings.train import LEARNING_RATES, TrainConfig
from core.tasks import experiment as config
from core.tasks import registry
from core.tasks.experiment import Experiment, from_params, to_params
from core.tasks.registry import task_names
from core.tasks.sentiment.config import SentimentTaskConfig


def _value_strategy(spec: Setting):
    meta = spec.metadata
    if meta["pattern"] is not None:
        return st.one_of(st.just(""), st.from_regex(meta["pattern"], fullmatch=True))
    if meta["many"]:
        return st.lists(st.sampled_from(meta["choices"]), min_size=1, max_size=len(meta["choices"]),
                        unique=True).map(tuple)
    if meta["choices"] is not None:
        return st.sampled_from(meta["choices"])
    if meta["options"] is not None:
        return st.sampled_from(meta["options"])
    if isinstance(spec.default, int):
        return st.integers(int(meta["low"]), int(meta["high"]))
    # Subnormals are excluded: the trainer flushes them to zero process-wide.
    return st.floats(meta["low"], meta["high"], allow_nan=False, allow_infinity=False, allow_subnormal=False)


@st.composite
def experiments(draw) -> Experiment:
    task = draw(st.sampled_from(task_names()))
    sections = {None: {}, "task_config": {}, "model": {}, "train": {}}
    for name, (section, spec) in config.parameter_fields(task).items():
        applies_to, source = spec.metadata["sources"], sections["task_config"].get("source")
        if applies_to is not None and source is not None and source not in applies_to:
            continue  # a setting of other data sources keeps its default (see the test below)
        sections[section][name] = draw(_value_strategy(spec))
    return Experiment(
        task=task,
        task_config=registry.task(task).config_type(**sections["task_config"]),
        model=ModelConfig(**sections["model"]),
        train=TrainConfig(**sections["train"]),
        **sections[None],
    )


@given(experiments())
@settings(max_examples=300, deadline=None)
def test_round_trip_for_any_valid_experiment(experiment):
    clean, messages = from_params(to_params(experiment))
    assert clean == experiment
    assert messages == []


@given(experiments(), st.data())
@settings(max_examples=100, deadline=None)
def test_a_setting_of_other_data_sources_takes_its_default_and_says_nothing(experiment, data):
    """Two links that differ only in a setting their data does not use open one experiment."""
    params = to_params(experiment)
    fields = config.parameter_fields(experiment.task)
    source = params.get("source")
    idle = [name for name, (_, spec) in fields.items()
            if spec.metadata["sources"] is not None and source not in spec.metadata["sources"]]
    for name in idle:
        params[name] = config.format_value(data.draw(_value_strategy(fields[name][1])), name)
    clean, messages = from_params(params)
    assert clean == experiment and messages == []


raw_values = st.one_of(
    st.text(max_size=20), st.integers(), st.floats(allow_subnormal=False), st.booleans(), st.none(),
    st.lists(st.one_of(st.text(max_size=8), st.integers()), max_size=4),
)
all_names = sorted({name for task in task_names() for name in config.parameter_fields(task)})
keys = st.one_of(st.sampled_from([*all_names, "task", "embed"]), st.text(max_size=10))
raw_values = st.one_of(raw_values, st.sampled_from(task_names()))


@given(st.dictionaries(keys, raw_values, max_size=12))
@settings(max_examples=400, deadline=None)
def test_from_params_never_raises_and_returns_valid_values(mapping):
    experiment, messages = from_params(mapping)
    assert isinstance(messages, list)
    # Whatever came in, what comes out is itself a clean, round-trippable experiment.
    assert from_params(to_params(experiment)) == (experiment, [])


def test_missing_settings_take_defaults_silently():
    assert from_params({}) == (Experiment(), [])


def test_each_kind_of_bad_value_is_reported():
    experiment, messages = from_params({
        "cells": ["LSTM", "transformer"], "hidden_size": "99999", "lr": "abc", "distance": "-3",
        "optimizer": "rmsprop", "seed": "nan", "colour": "blue", "steps": "12.7",
    })
    text = " ".join(messages)
    assert experiment.model.cells == ("lstm",)
    assert "transformer" in text
    assert experiment.model.hidden_size == 256 and "maximum 256" in text
    assert experiment.train.lr == Experiment().train.lr and "'abc' is not a number" in text
    assert experiment.task_config.distance == 5 and "minimum 5" in text
    assert experiment.train.optimizer == "adam" and "rmsprop" in text
    assert experiment.seed == 0 and "finite" in text
    assert "'colour'" in text
    assert experiment.train.steps == 13 and "whole number" in text
    assert len(messages) == 8


def test_no_known_cell_falls_back_to_default_cells():
    experiment, messages = from_params({"cells": ["gpt"]})
    assert experiment.model.cells == Experiment().model.cells
    assert len(messages) == 1


def test_learning_rate_snaps_to_log_grid():
    experiment, messages = from_params({"lr": "0.004"})
    assert experiment.train.lr in LEARNING_RATES
    assert experiment.train.lr == 0.005
    assert "snapped" in messages[0]


def test_cells_accept_labels_and_comma_lists():
    assert from_params({"cells": "RNN,BiLSTM"})[0].model.cells == ("rnn", "bilstm")
    assert from_params({"cells": ["GRU", "gru"]})[0].model.cells == ("gru",)


def test_streamlit_reserved_params_are_not_reported():
    assert from_params({"embed": "true"}) == (Experiment(), [])


def test_setting_names_are_unique_across_concerns():
    for task in task_names():
        names = list(config.parameter_fields(task))
        assert len(names) == len(set(names))


def test_each_task_opens_on_its_own_defaults():
    sentiment, messages = from_params({"task": "sentiment"})
    assert messages == [] and sentiment.model.cells == ("rnn", "lstm", "bilstm", "bow")
    assert isinstance(sentiment.task_config, SentimentTaskConfig)
    handwriting = config.default_experiment("handwriting")
    assert handwriting.model.cells == ("gru", "lstm", "bilstm")
    # A task's default is also what a bad value falls back to.
    assert from_params({"task": "handwriting", "cells": "gpt"})[0].model.cells == handwriting.model.cells


def test_upload_keys_are_validated_and_left_out_of_links_when_unset():
    assert "upload" not in to_params(config.default_experiment("sentiment"))
    experiment, messages = from_params({"task": "sentiment", "upload": "../../etc/passwd"})
    assert experiment.task_config.upload == "" and "not a valid key" in messages[0]
    key = "0123456789abcdef"
    experiment, messages = from_params({"task": "sentiment", "source": "upload", "upload": key})
    assert messages == [] and to_params(experiment)["upload"] == key
