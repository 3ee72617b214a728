"""The named-entity lesson: entity spans and scores, seeded sentences of each kind, CoNLL files, a
tagger that learns, a bidirectional reader that tags what a forward one cannot, the reach probe,
the CLI on the user's files, and explanations that follow the run's numbers."""

from __future__ import annotations

import json
import math
import random
import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.data.history import History
from core.nn.probes import sequence_loss
from core.tasks import experiment as config
from core.tasks.base import DataError
from core.tasks.ner import data as entities
from core.tasks.ner import sentences as generated
from core.tasks.ner import spans
from core.tasks.ner.explanation import BOTH_WAYS, FORWARD_ONLY, ner_lines
from core.tasks.registry import build_task
from core.training.trainer import prepare, run_interleaved

SMALL = {"task": "ner", "train_size": "800", "steps": "250", "hidden_size": "32", "embedding_size": "16",
         "cells": ["RNN", "BiLSTM", "BoW"], "eval_every": "50", "probe_every": "50"}


def small(**changes: str) -> config.Experiment:
    experiment, messages = config.from_params({**SMALL, **changes})
    assert not messages
    return experiment


@pytest.fixture(scope="module")
def trained():
    trainers = prepare(small())
    run_interleaved(trainers)
    return {trainer.cell: trainer for trainer in trainers}


# --- entity spans and scores ------------------------------------------------------------------

@pytest.mark.parametrize("tags, expected", [
    (["B-PER", "I-PER", "O", "B-LOC"], {("PER", 0, 1), ("LOC", 3, 3)}),
    (["I-PER", "I-PER", "O"], {("PER", 0, 1)}),  # IOB1: an entity may open on I-
    (["B-PER", "I-LOC", "I-LOC"], {("PER", 0, 0), ("LOC", 1, 2)}),  # a type change opens a new entity
    (["B-ORG", "B-ORG", "I-ORG"], {("ORG", 0, 0), ("ORG", 1, 2)}),
    (["O", "O"], set()),
])
def test_entities_are_spans_as_conlleval_reads_them(tags, expected):
    assert spans.entities(tags) == expected


def test_entity_scores_count_whole_spans_only():
    true = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    guess = [["B-PER", "O", "O", "B-LOC"], ["B-ORG", "B-DATE"]]
    # Right: LOC, ORG. The PER span is cut short, so it is a miss and a wrong guess at once.
    scores = spans.entity_scores(true, guess)
    assert (scores.correct, scores.predicted_entities, scores.true_entities) == (2, 4, 3)
    assert scores.precision == pytest.approx(0.5) and scores.recall == pytest.approx(2 / 3)
    assert scores.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    by_type = spans.scores_by_type(true, guess)
    assert by_type["PER"].f1 == 0 and by_type["LOC"].f1 == 1 and by_type["DATE"].precision == 0


# --- generated sentences ----------------------------------------------------------------------

def test_sentences_are_seeded_whatever_the_global_random_state():
    random.seed(1)
    first = generated.sentences(300, generated.pools(5), 5)
    random.seed(2)
    assert generated.sentences(300, generated.pools(5), 5) == first
    assert generated.sentences(300, generated.pools(6), 6) != first


def test_every_kind_is_written_and_after_names_open_their_sentence_as_all_three_types():
    made = generated.sentences(2000, generated.pools(0), 0)
    assert {sentence.kind for sentence in made} == set(generated.KINDS)
    for sentence in made:
        assert len(sentence.words) == len(sentence.tags)
        assert all(tag in generated.TAGS for tag in sentence.tags)
    after = [sentence for sentence in made if sentence.kind == "after"]
    assert all(sentence.tags[0].startswith("B-") and sentence.tags[1] == "O" for sentence in after)
    types_of = {}
    for sentence in after:
        types_of.setdefault(sentence.words[0], set()).add(sentence.tags[0])
    # The same surname opens sentences as a person, a place and a firm: the word itself cannot say which.
    assert any(len(types) == 3 for types in types_of.values())


def test_validation_never_repeats_a_training_sentence():
    data = build_task(small())
    training = {tuple(words) for words, _, _ in data.info["train_examples"]}
    assert not training & {tuple(words) for words in data.info["val_words"]}
    assert data.info["val_size"] == entities.VAL_SIZE
    assert set(data.val_groups) == set(generated.KINDS)


# --- CoNLL files ------------------------------------------------------------------------------

def conll(sentences: list[generated.Sentence]) -> bytes:
    blocks = ["\n".join(f"{word} _ _ {tag}" for word, tag in zip(s.words, s.tags)) for s in sentences]
    return ("-DOCSTART- -X- O O\n\n" + "\n\n".join(blocks) + "\n").encode()


def test_a_conll_file_reads_back_its_sentences_and_tags():
    made = generated.sentences(40, generated.pools(1), 1)
    read = entities.read_file("conll", conll(made))
    assert read.sentences == [(s.words, s.tags) for s in made]
    assert entities.check_training_file(read) is read


@pytest.mark.parametrize("content, words", [
    (b"Paris\n", "one column"),
    (b"Paris B-Place!\n", "not O, B-TYPE or I-TYPE"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_a_malformed_file_is_refused_with_its_reason(content, words):
    with pytest.raises(DataError, match=words):
        entities.read_file("conll", content)


def test_a_file_too_small_or_without_entities_is_refused_for_training():
    with pytest.raises(DataError, match="at least 30"):
        entities.check_training_file(entities.read_file("conll", b"Paris B-LOC\n\nRome B-LOC\n"))
    plain = b"\n\n".join(b"the O\ncat O" for _ in range(40))
    with pytest.raises(DataError, match="no entity"):
        entities.check_training_file(entities.read_file("conll", plain))


def test_typed_text_is_cut_into_words_as_the_sentences_are():
    assert entities.words_of("Mr. Garcia paid 40,000 on 3 March, didn't he?") == [
        "Mr.", "Garcia", "paid", "40,000", "on", "3", "March", ",", "didn't", "he", "?"]


# --- models -----------------------------------------------------------------------------------

def test_loss_at_init_is_about_log_of_the_tags():
    for trainer in prepare(small()):
        data = trainer.data
        with torch.no_grad():
            loss = sequence_loss(trainer.model(data.val_inputs, data.val_lengths), data.val_targets)
        assert float(loss) == pytest.approx(math.log(len(generated.TAGS)), rel=0.2), trainer.cell


def test_reading_both_ways_tags_the_names_only_later_words_decide(trained):
    after = {cell: trainer.history.final_group_metrics()["after"] for cell, trainer in trained.items()}
    assert after["bilstm"] >= 0.9 and after["rnn"] <= FORWARD_ONLY and after["bow"] <= FORWARD_ONLY
    # Where the words before decide, the forward reader does far better: its gap is about direction.
    before = {cell: trainer.history.final_group_metrics()["before"] for cell, trainer in trained.items()}
    assert before["rnn"] >= after["rnn"] + 0.25 and before["bow"] < before["rnn"]


def test_the_first_words_error_reaches_later_words_only_in_a_bidirectional_reader(trained):
    reach = {cell: trainer.history.probe_maps["reach"][-1][0] for cell, trainer in trained.items()}
    assert reach["rnn"][0] > 0 and all(value == 0 for value in reach["rnn"][1:])
    assert reach["bow"][0] > 0 and all(value == 0 for value in reach["bow"][1:])
    assert all(value > 0 for value in reach["bilstm"])


def test_the_same_seed_gives_the_same_history():
    first, second = prepare(small(steps="30")), prepare(small(steps="30"))
    run_interleaved(first)
    run_interleaved(second)
    assert [t.history.to_dict() for t in first] != []
    assert [{**t.history.to_dict(), "wall_seconds": []} for t in first] == \
        [{**t.history.to_dict(), "wall_seconds": []} for t in second]


def test_the_cli_trains_and_scores_the_users_conll_files(cli, tmp_path):
    train_file, eval_file = tmp_path / "train.conll", tmp_path / "eval.conll"
    train_file.write_bytes(conll(generated.sentences(600, generated.pools(2), 2)))
    eval_file.write_bytes(conll(generated.sentences(80, generated.pools(2), 99)))
    result = cli("train", "ner", "--train-file", f"conll:{train_file}", "--eval-file", f"conll:{eval_file}",
                       "--steps", "300", "--cells", "lstm,bilstm", "--set", "hidden_size=32", "--json",
                       database=tmp_path / "runs.sqlite")
    assert result.returncode == 0, result.stderr
    result = json.loads(result.stdout.strip().splitlines()[-1])
    for model in ("lstm", "bilstm"):
        scores = result["eval"][model]
        assert 0 <= scores["entity_f1"] <= 1 and {"precision", "recall", "token_accuracy"} <= set(scores)
        assert any(key.startswith("f1_") for key in scores)
    assert result["eval"]["bilstm"]["entity_f1"] > 0.3


# --- explanations -----------------------------------------------------------------------------

EXPERIMENT = config.from_params({"task": "ner", "steps": "500"})[0]


def history(cell: str, overall: float | None, after: float | None, status: str = "finished") -> History:
    made = History(cell=cell, metric="entity F1", status=status, steps=list(range(1, 501)),
                   message="Training diverged at step 9." if status == "diverged" else "")
    if overall is not None:
        made.eval_steps, made.val_loss, made.val_metric = [500], [0.5], [overall]
        made.group_metric = {"after": [after], "before": [overall]}
        made.scores = {"precision": [overall], "recall": [overall], "token accuracy": [overall]}
    return made


@st.composite
def runs(draw) -> list[History]:
    cells = draw(st.lists(st.sampled_from(["rnn", "gru", "lstm", "bilstm", "bigru", "bow"]), min_size=1, max_size=4,
                          unique=True))
    made = []
    for cell in cells:
        status = draw(st.sampled_from(["finished", "finished", "stopped", "diverged"]))
        value = draw(st.none() | st.floats(0, 1, allow_subnormal=False))
        made.append(history(cell, value, draw(st.floats(0, 1, allow_subnormal=False)) if value is not None else None,
                            status))
    return made


@settings(max_examples=300, deadline=None)
@given(runs())
def test_each_claim_holds_in_the_run_it_describes(histories):
    lines = ner_lines(EXPERIMENT, histories)
    text = " ".join(lines)
    live = [h for h in histories if h.status != "diverged" and h.final_val_metric() is not None]
    both = [h for h in live if h.cell in ("bilstm", "bigru")]
    forward = [h for h in live if h.cell in ("rnn", "gru", "lstm")]
    if "so it can only guess" in text:
        assert max(h.final_group_metrics()["after"] for h in both) >= BOTH_WAYS
        assert max(h.final_group_metrics()["after"] for h in forward) <= FORWARD_ONLY
    if "did no better than the forward readers" in text:
        assert max(h.final_group_metrics()["after"] for h in both) <= \
            max(h.final_group_metrics()["after"] for h in forward) + 0.05
    if not both or not forward:
        assert "words after them decide" not in text
    for number in re.findall(r"F1 (\d\.\d\d)", text):
        assert any(abs(float(number) - value) < 0.006 for h in live
                   for value in [h.final_val_metric(), *h.final_group_metrics().values()])
    for h in histories:
        if h.status == "diverged":
            assert f"**{h.cell.upper() if h.cell != 'bilstm' else 'BiLSTM'}" in text or "diverged" in text


def test_the_lesson_is_told_from_the_runs_numbers_and_not_otherwise():
    shown = " ".join(ner_lines(EXPERIMENT, [history("rnn", 0.8, 0.3), history("bilstm", 0.98, 0.97),
                                             history("bow", 0.2, 0.3)]))
    assert "the BiLSTM reached F1 0.97 and the best forward reader (RNN) 0.30" in shown
    assert "so it can only guess" in shown and "word-by-word baseline, which never sees another word" in shown
    not_shown = " ".join(ner_lines(EXPERIMENT, [history("rnn", 0.8, 0.8), history("bilstm", 0.8, 0.78)]))
    assert "did no better than the forward readers" in not_shown and "can only guess" not in not_shown
