"""Config: URL round trips, validation messages, and that nothing makes from_params raise."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from core import config
from core.config import Experiment, from_params, to_params


def _value_strategy(spec: dataclasses.Field):
    meta = spec.metadata
    if meta["many"]:
        return st.lists(st.sampled_from(meta["choices"]), min_size=1, max_size=len(meta["choices"]),
                        unique=True).map(tuple)
    if meta["choices"] is not None:
        return st.sampled_from(meta["choices"])
    if meta["options"] is not None:
        return st.sampled_from(meta["options"])
    if isinstance(spec.default, int):
        return st.integers(int(meta["low"]), int(meta["high"]))
    return st.floats(meta["low"], meta["high"], allow_nan=False, allow_infinity=False)


@st.composite
def experiments(draw) -> Experiment:
    sections = {None: {}, "task_config": {}, "model": {}, "train": {}}
    for name, (section, spec) in config.parameter_fields().items():
        sections[section][name] = draw(_value_strategy(spec))
    return Experiment(
        task="memory",
        task_config=config.MemoryTaskConfig(**sections["task_config"]),
        model=config.ModelConfig(**sections["model"]),
        train=config.TrainConfig(**sections["train"]),
        **sections[None],
    )


@given(experiments())
@settings(max_examples=300, deadline=None)
def test_round_trip_for_any_valid_experiment(experiment):
    clean, messages = from_params(to_params(experiment))
    assert clean == experiment
    assert messages == []


raw_values = st.one_of(
    st.text(max_size=20), st.integers(), st.floats(), st.booleans(), st.none(),
    st.lists(st.one_of(st.text(max_size=8), st.integers()), max_size=4),
)
keys = st.one_of(st.sampled_from([*config.parameter_fields(), "task", "embed"]), st.text(max_size=10))


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
    assert experiment.train.lr in config.LEARNING_RATES
    assert experiment.train.lr == 0.005
    assert "snapped" in messages[0]


def test_cells_accept_labels_and_comma_lists():
    assert from_params({"cells": "RNN,BiLSTM"})[0].model.cells == ("rnn", "bilstm")
    assert from_params({"cells": ["GRU", "gru"]})[0].model.cells == ("gru",)


def test_streamlit_reserved_params_are_not_reported():
    assert from_params({"embed": "true"}) == (Experiment(), [])


def test_setting_names_are_unique_across_concerns():
    names = list(config.parameter_fields())
    assert len(names) == len(set(names))
