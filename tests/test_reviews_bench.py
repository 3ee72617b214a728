"""bench/reviews.py measures what the sentiment page shows for real reviews, and reads other sites' files.

The benchmark's figures (recurrent models against the bag of words on held-out Rotten Tomatoes films,
and on review sentences from other sites) are only worth quoting if it trains the page's own preset for
the reviews source and reads the other files' sentences and labels as they are.
"""

from __future__ import annotations

from bench.reviews import PRESET_TITLE, as_table, preset_arguments
from core.data import tables
from core.tasks import experiment as config
from core.tasks.sentiment.presets import PRESETS


def _experiment_of(arguments: list[str]) -> config.Experiment:
    """The experiment `python -m core train sentiment ARGUMENTS` trains, read as the command line reads it."""
    params: dict[str, str] = {"task": "sentiment"}
    for flag, value in zip(arguments[::2], arguments[1::2]):
        if flag == "--cells":
            params["cells"] = value
        else:
            name, _, setting = value.partition("=")
            params[name] = setting
    experiment, messages = config.from_params(params)
    assert messages == []
    return experiment


def test_the_bench_trains_the_pages_real_reviews_preset():
    (preset,) = [preset for preset in PRESETS if preset.title == PRESET_TITLE]
    shown, _ = config.of_preset(preset)
    assert shown.task_config.source == "reviews"
    assert _experiment_of(preset_arguments([])) == shown


def test_a_setting_given_to_the_bench_replaces_the_presets():
    (preset,) = [preset for preset in PRESETS if preset.title == PRESET_TITLE]
    shown, _ = config.of_preset(preset)
    changed = _experiment_of(preset_arguments(["steps=1200", "cells=LSTM,BoW"]))
    assert changed.train.steps == 1200 and changed.model.cells == ("lstm", "bow")
    assert changed.task_config == shown.task_config


def test_a_headerless_sentence_file_becomes_a_table_with_its_labels(tmp_path):
    source = tmp_path / "imdb_labelled.txt"
    source.write_text('A very, very slow-moving, aimless movie.  \t0\nLoved the "casting".\t1\n'
                      "\t1\nnot a label\tx\nIt Was So Cool.  \t1\n", encoding="utf-8")
    copy = as_table(source, tmp_path)
    table = tables.read_table(copy.read_bytes(), "tsv")
    assert table.texts == ["A very, very slow-moving, aimless movie.", "Loved the 'casting'.", "It Was So Cool."]
    assert tables.canonical_labels(table.labels) == ["negative", "positive", "positive"]


def test_a_file_with_a_header_is_read_as_it_is(tmp_path):
    source = tmp_path / "mine.tsv"
    source.write_text("text\tlabel\ngreat\t1\n", encoding="utf-8")
    assert as_table(source, tmp_path) == source
