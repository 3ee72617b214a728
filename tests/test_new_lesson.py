"""A fifth lesson added from a test fixture, with no existing file edited: its own package and its
own page file, both written to a temporary folder. The registry finds it once that folder is on
core.tasks' discovery path, and it appears on the home page, in the navigation, in the CLI's
`train --help`, with its presets and a golden run."""

from __future__ import annotations

import sys
import textwrap

import golden_runs
import pytest
from streamlit.testing.v1 import AppTest

import core.tasks
from core.cli import main
from core.tasks import registry
from core.tasks.experiment import from_params, of_preset

APP = "../app.py"

LESSON = {
    "__init__.py": '''
        """Parity: is the number of ones in a bit string odd? A lesson that lives in a test's folder."""

        from core.tasks.parity.config import ParityTaskConfig
        from core.tasks.record import Golden, Page, Preset, Task


        def build(config, seed):
            from core.tasks.parity import data

            return data.build(config, seed)


        def explain(experiment, histories):
            return [f"{history.cell} reached {history.final_val_metric():.2f} accuracy." for history in histories]


        TASK = Task(
            name="parity",
            config_type=ParityTaskConfig,
            build=build,
            explain=explain,
            page=Page(path=PAGE_PATH, title="Parity", icon=":material/exposure:", order=50,
                      summary="Count the ones in a bit string: odd or even?"),
            golden=Golden({"bits": "6", "cells": "gru"}),
            numbers_version=1,
            presets=(Preset("parity", "Twelve bits", "parity over twelve bits, GRU against LSTM.",
                            {"cells": ["GRU", "LSTM"], "bits": "12"}),),
            defaults={"cells": ("gru", "lstm"), "steps": 300},
        )
    ''',
    "config.py": '''
        """The parity lesson's settings."""

        from dataclasses import dataclass

        from core.settings.fields import setting


        @dataclass(frozen=True)
        class ParityTaskConfig:
            """Bit strings whose label is the parity of their ones."""

            bits: int = setting(8, low=2, high=32, label="Bits", help="Length of each bit string.")
    ''',
    "data.py": '''
        """Seeded bit strings and their parity."""

        import torch

        from core.tasks.base import TaskData


        def _split(bits, count, seed):
            generator = torch.Generator().manual_seed(seed)
            ones = torch.randint(0, 2, (count, bits), generator=generator)
            inputs = torch.nn.functional.one_hot(ones, 2).float()  # (count, bits, 2)
            return inputs, ones.sum(dim=1) % 2


        def build(config, seed):
            train, val, probe = (_split(config.bits, count, seed * 3 + index)
                                 for index, count in enumerate((512, 128, 16)))
            return TaskData(train_inputs=train[0], train_targets=train[1], val_inputs=val[0], val_targets=val[1],
                            probe_inputs=probe[0], probe_targets=probe[1], input_size=2, num_classes=2,
                            class_names=("even", "odd"))
    ''',
}
PAGE = '''
    """Parity: a lesson page from a test's folder."""

    import streamlit as st

    from ui import lab, navigation

    navigation.declare_if_cold()

    st.title("Parity")
    lab.lesson("parity")
'''


@pytest.fixture
def parity(tmp_path, monkeypatch):
    """The parity lesson's package and page, written to tmp_path and put on the discovery path."""
    lessons, package = tmp_path / "lessons", tmp_path / "lessons" / "parity"
    package.mkdir(parents=True)
    page = tmp_path / "parity_page.py"
    page.write_text(textwrap.dedent(PAGE))
    for name, text in LESSON.items():
        text = textwrap.dedent(text).replace("PAGE_PATH", repr(str(page)))
        (package / name).write_text(text)
    monkeypatch.setattr(core.tasks, "__path__", [*core.tasks.__path__, str(lessons)])
    registry.forget()
    yield page
    registry.forget()
    for name in [name for name in sys.modules if name.startswith("core.tasks.parity")]:
        del sys.modules[name]


def test_the_registry_finds_the_lesson_and_links_read_it(parity):
    assert registry.task_names()[-1] == "parity"
    experiment, messages = from_params({"task": "parity", "bits": "12"})
    assert not messages and experiment.task_config.bits == 12
    assert experiment.model.cells == ("gru", "lstm") and experiment.train.steps == 300
    assert from_params({"task": "parity", "bits": "99"})[1] == ["Bits: 99 is above the maximum 32; using 32."]


def test_the_cli_help_lists_the_lesson_and_its_settings(parity, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["train", "--help"])
    assert exit.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines at the terminal's width
    # Every lesson the registry finds, ending with the fixture's (its page sorts after the shipped ones).
    assert f"Lessons: {', '.join(registry.task_names())}" in help_text and help_text.count("parity") > 1
    assert registry.task_names()[-1] == "parity"
    parity_settings = help_text.split("Settings of parity (--set KEY=VALUE):")[1]
    assert "bits=8 2..32 Length of each bit string." in parity_settings


def test_its_presets_are_valid_links(parity):
    presets = [preset for preset in registry.presets() if preset.task == "parity"]
    assert [preset.title for preset in presets] == ["Twelve bits"]
    experiment, messages = of_preset(presets[0])
    assert not messages and experiment.task_config.bits == 12 and experiment.model.cells == ("gru", "lstm")


def test_it_has_a_golden_run_that_repeats(parity):
    first = golden_runs.fingerprint("parity")
    assert first["numbers_version"] == 1 and list(first["models"]) == ["gru"]
    assert len(first["models"]["gru"]["train_loss"]) == 24
    assert golden_runs.fingerprint("parity") == first


def test_the_home_page_and_the_navigation_show_it(parity):
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    assert not app.exception, app.exception
    assert "Parity" in [header.value for header in app.subheader]
    assert any("odd or even" in caption.value for caption in app.caption)
    links = [link for link in app.get("page_link") if "Twelve bits" in link.proto.label
             or link.proto.page.endswith("parity_page")]
    assert links, "no preset link to the parity page"
    app.switch_page(str(parity))
    app.run()
    assert not app.exception, app.exception
    assert [title.value for title in app.title] == ["Parity"]
    assert any(slider.label == "Bits" for slider in app.slider)
