"""The translation task through the shared core: data as tensors, one trainer for every task shape,
exact match and chrF, attention probes, the CLI, and the explanation written from the run."""

from __future__ import annotations

import json
import math
import re

import pytest
import torch
from sacrebleu.metrics import CHRF

from core.cli import main
from core.data import tokens
from core.data.history import History
from core.nn.cells import model_label
from core.store.runs import run_id
from core.tasks import experiment as config
from core.tasks.experiment import as_trained
from core.tasks.explaining import wilson_interval
from core.tasks.registry import build_task
from core.tasks.translation import data as translation
from core.tasks.translation.explanation import translation_lines
from core.training.trainer import prepare, run_interleaved

TINY = {"task": "translation", "steps": "30", "hidden_size": "16", "batch_size": "16", "eval_every": "10",
        "probe_every": "10", "train_size": "300", "largest": "499"}


def tiny(**changes) -> config.Experiment:
    experiment, messages = config.from_params({**TINY, **changes})
    assert not messages, messages
    return experiment


@pytest.fixture(scope="module")
def trained():
    """One tiny run of an LSTM with and without additive attention."""
    trainers = prepare(tiny())
    run_interleaved(trainers)
    return trainers


def test_models_are_every_cell_with_every_attention():
    experiment = tiny(cells="gru,bilstm", attention="none,multiplicative")
    assert config.model_names(experiment) == ("gru+none", "gru+multiplicative", "bilstm+none",
                                              "bilstm+multiplicative")
    assert model_label("bilstm+multiplicative") == "BiLSTM, multiplicative attention"
    # A bag of words has no state to decode from: the link is corrected, with a message.
    corrected, messages = config.from_params({**TINY, "cells": "bow,lstm"})
    assert corrected.model.cells == ("lstm",) and any("BoW" in m or "bow" in m for m in messages)


def test_data_is_disjoint_ids_with_an_end_piece_and_ignored_padding():
    data = build_task(tiny())
    codec = data.codec
    assert not set(data.info["val_sources"]) & {tokens.normalise(s, translation.TEXT_FORM)
                                                for s, _ in data.info["train_examples"]}
    ends = (data.train_targets == codec.end).sum(dim=1)
    assert torch.equal(ends, torch.ones_like(ends))  # exactly one end piece per target
    for row in data.val_targets[:20]:
        length = int((row != translation.IGNORED).sum())
        assert int(row[length - 1]) == codec.end and (row[length:] == translation.IGNORED).all()
    # The references are the normalised targets: decoding the target ids spells them back.
    for index in range(10):
        ids = [int(i) for i in data.val_targets[index] if i >= 0]
        assert codec.decode(ids) == data.info["val_references"][index]
    assert data.num_classes == codec.target.vocab_size + 1


def test_dates_are_written_back_cased_and_spaced_as_people_write_them():
    """"3. März 1999", not "3 . märz 1999": what the decoder's pieces spell, what the page shows and
    what exact match and chrF compare is the reference as written (issue 17, item 15)."""
    experiment = tiny(source="dates", train_size="300")
    data = build_task(experiment)
    _, val = translation.splits(experiment.task_config, experiment.seed)
    references = data.info["val_references"]
    assert references == val.targets  # generated text is already tidy: nothing folded or split
    assert data.info["val_sources"] == val.sources
    assert any(re.fullmatch(r"\d{1,2}\. [A-ZÄÖÜ][a-zäöü]+ \d{4}", reference) for reference in references)
    for index, reference in enumerate(references):
        ids = [int(i) for i in data.val_targets[index] if 0 <= i < data.codec.end]
        assert data.codec.decode(ids) == reference


def test_uploaded_sentences_keep_their_case_and_punctuation(tmp_path):
    lines = [f"They did it again {i}.\tIls l'ont encore fait {i} !" for i in range(80)]
    data = _upload_data(tmp_path, "\n".join(lines).encode())
    assert set(data.info["val_references"]) <= {line.split("\t")[1] for line in lines}
    assert data.codec.decode(data.codec.target.encode("Ils l'ont encore fait 3 !")) == "Ils l'ont encore fait 3 !"
    assert data.codec.source_pieces("They")[0].lstrip("▁") .startswith("T")


def test_same_seed_same_data_other_seed_other_split():
    first, again, other = build_task(tiny()), build_task(tiny()), build_task(tiny(seed="1"))
    assert first.info["val_sources"] == again.info["val_sources"]
    assert torch.equal(first.train_inputs, again.train_inputs)
    assert first.info["val_sources"] != other.info["val_sources"]


def test_one_trainer_trains_a_classifier_and_an_encoder_decoder_alike(trained):
    memory = prepare(config.from_params({"task": "memory", "distance": "6", "steps": "12", "hidden_size": "8",
                                         "batch_size": "8", "eval_every": "6", "probe_every": "6"})[0])
    run_interleaved(memory)
    for trainer in [*memory, *trained]:
        history = trainer.history
        assert history.status == "finished" and len(history.steps) == trainer.total_steps
        assert history.eval_steps[-1] == trainer.total_steps and len(history.val_metric) == len(history.eval_steps)
    assert all(t.history.metric == "accuracy" and not t.history.scores for t in memory)
    assert all(t.history.metric == "exact match" and len(t.history.scores["chrF"]) == len(t.history.eval_steps)
               for t in trained)


def test_loss_at_init_is_about_ln_of_the_outputs(trained):
    for trainer in trained:
        outputs = trainer.data.num_classes
        assert abs(trainer.history.train_loss[0] - math.log(outputs)) < 0.35 * math.log(outputs)


def test_same_seed_same_history():
    def run():
        trainers = prepare(tiny(steps="12", eval_every="6", probe_every="6"))
        run_interleaved(trainers)
        histories = [t.history.to_dict() for t in trainers]
        for history in histories:
            history.pop("wall_seconds")
        return histories

    assert run() == run()


def test_attention_is_probed_only_where_there_is_attention(trained):
    plain, attended = (t.history for t in trained)
    assert plain.probe_maps == {}
    maps = attended.probe_maps["attention"]
    assert len(maps) == len(attended.probe_steps)
    data = trained[1].data
    source_length = int(data.probe_lengths[0])
    target_length = int((data.probe_targets[0] != translation.IGNORED).sum())
    for matrix in maps:
        assert len(matrix) == target_length and all(len(row) == source_length for row in matrix)
        assert all(abs(sum(row) - 1) < 1e-3 for row in matrix)


def test_gradient_through_time_runs_over_the_source(trained):
    data = trained[0].data
    for trainer in trained:
        [layer] = trainer.history.grad_through_time[-1].values()
        # Aligned at each source's end; as long as a typical probe source.
        assert int(data.probe_lengths.min()) <= len(layer) <= int(data.probe_lengths.max())
        assert all(value > 0 for value in layer)


def test_exact_match_groups_and_chrf_follow_the_decoded_text(trained, monkeypatch):
    trainer = trained[1]
    data = trainer.data
    references = data.info["val_references"]
    # Right on every even example, a wrong word on every odd one.
    written = [reference if index % 2 == 0 else "falsch" for index, reference in enumerate(references)]
    monkeypatch.setattr(translation.Translation, "translate",
                        lambda self, model, codec, inputs, lengths, width=None: written)
    evaluation = data.problem.evaluate(trainer.model, data)
    assert evaluation.metric == pytest.approx(sum(1 for i in range(len(references)) if i % 2 == 0) / len(references))
    assert evaluation.scores["chrF"] == pytest.approx(CHRF().corpus_score(written, [references]).score)
    for name, mask in data.val_groups.items():
        chosen = [index for index, keep in enumerate(mask.tolist()) if keep]
        assert evaluation.groups[name] == pytest.approx(sum(index % 2 == 0 for index in chosen) / len(chosen))


def test_copying_the_source_is_the_baseline(tmp_path):
    same = "\n".join(f"word{i} thing{i}\tword{i} thing{i}" for i in range(80)).encode()
    data = _upload_data(tmp_path, same)
    assert data.info["copy_chrf"] == pytest.approx(100.0)
    numbers = build_task(tiny())
    assert numbers.info["copy_chrf"] < 40  # English number words are not German ones


def _upload_data(tmp_path, content: bytes):
    from core.data import uploads

    key = uploads.save(content, "tsv")
    return build_task(config.from_params({**TINY, "source": "upload", "upload": key})[0])


def test_an_upload_splits_into_disjoint_seeded_parts(tmp_path):
    content = "\n".join(f"sentence number {i}\tSatz Nummer {i}\tCC-BY 2.0 (France) #{i}" for i in range(200)).encode()
    data = _upload_data(tmp_path, content)
    assert data.info["val_size"] == 20 and data.info["train_size"] == 180
    train_sources = {tokens.normalise(s) for s, _ in data.info["train_examples"]}
    assert not train_sources & set(data.info["val_sources"])
    assert data.info["attributed"] == 200


def _pairs_file(tmp_path, count: int, name: str = "pairs.tsv", offset: int = 0):
    words = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    german = ["eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun"]
    lines = [f"{words[i % 9]} {words[(i // 9) % 9]} {i + offset}\t{german[i % 9]} {german[(i // 9) % 9]} {i + offset}"
             for i in range(count)]
    path = tmp_path / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_cli_trains_on_pairs_and_scores_another_file(tmp_path, capsys):
    train_file, eval_file = _pairs_file(tmp_path, 300), _pairs_file(tmp_path, 60, "other.tsv", offset=1000)
    code = main(["train", "translation", "--train-file", f"tsv:{train_file}", "--eval-file", f"tsv:{eval_file}",
                 "--steps", "20", "--set", "hidden_size=16", "--set", "batch_size=16", "--set", "eval_every=10",
                 "--set", "probe_every=10", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(summary["models"]) == {"lstm+none", "lstm+additive"}
    for name, model in summary["models"].items():
        assert model["metric"] == "exact match" and 0 <= model["val_metric"] <= 1
        assert 0 <= model["scores"]["chrF"] <= 100 and model["steps"] == 20 and model["grad_ratio"] is not None
        assert set(summary["eval"][name]) == {"exact", "chrf", "bleu"}


def test_cli_refuses_a_bad_pairs_file_in_one_line_before_training(tmp_path, capsys):
    bad = tmp_path / "bad.tsv"
    bad.write_text("no tabs here\nnor here\n", encoding="utf-8")
    assert main(["train", "translation", "--train-file", f"tsv:{bad}"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "tab" in error
    too_few = _pairs_file(tmp_path, 10)
    assert main(["train", "translation", "--eval-file", f"tsv:{too_few}", "--steps", "10"]) == 2
    assert "pairs" in capsys.readouterr().err


def history(cell: str, exact: float, ratio: float, status: str = "finished", chrf: float = 50.0) -> History:
    probe = {"layer 1": [ratio, 1.0]}
    return History(cell=cell, metric="exact match", status=status, steps=list(range(1, 101)),
                   eval_steps=[100], val_loss=[1.0], val_metric=[exact], scores={"chrF": [chrf]},
                   probe_steps=[50, 100], grad_through_time=[probe, probe])


EXPERIMENT = config.from_params({"task": "translation", "steps": "100"})[0]


def test_the_explanation_credits_attention_only_when_it_won():
    won = translation_lines(EXPERIMENT, [history("lstm+none", 0.05, 1e-3), history("lstm+additive", 0.97, 0.5)],
                            20.0)
    assert any("With additive attention the LSTM translated 97%" in line for line in won)
    assert any("more strongly, relative to the last, with attention than without" in line for line in won)
    lost = translation_lines(EXPERIMENT, [history("lstm+none", 0.9, 0.5), history("lstm+additive", 0.3, 1e-3)],
                             20.0)
    text = " ".join(lost)
    assert "without attention did better" in text and "look straight at" not in text
    assert "more strongly, relative to the last, without attention than with" in text
    assert "hands the gradient" not in text
    close = " ".join(translation_lines(EXPERIMENT, [history("lstm+none", 0.9, 0.5),
                                                    history("lstm+additive", 0.95, 0.5)], 20.0))
    assert "within 10 points" in close and "about as much gradient" in close


def test_the_explanation_names_diverged_stopped_and_baseline_runs():
    diverged = history("lstm+additive", 0.0, 1.0, status="diverged")
    diverged.message = "Training diverged at step 12: the loss became NaN."
    stopped = history("lstm+none", 0.1, 1.0, status="stopped", chrf=10.0)
    lines = translation_lines(EXPERIMENT, [stopped, diverged], 20.0)
    assert lines[0].startswith("**LSTM, no attention** (stopped after 100 of 100 steps)")
    assert "no better than copying the source unchanged (20.0)" in lines[0]
    # The status box quotes the divergence; the explanation says so once and points there.
    assert lines[1].startswith("**LSTM, additive attention** diverged") and "step 12" not in lines[1]
    assert len(lines) == 2  # nothing compares a diverged model


def test_a_small_validation_set_gives_its_size_its_interval_and_a_warning():
    """The report: 100% on 30 held-out pairs of the user's own, with no caveat."""
    small = translation_lines(EXPERIMENT, [history("lstm+additive", 1.0, 0.5)], 20.0, val_count=30)
    assert "translated 100% of the 30 held-out validation pairs (95% interval 88.6%-100%) exactly" in small[0]
    assert small[1].startswith("Only 30 pairs were held out for validation") and "3.3 points" in small[1]
    large = translation_lines(EXPERIMENT, [history("lstm+additive", 0.97, 0.5)], 20.0, val_count=1000)
    assert "97% of the 1,000 held-out validation pairs exactly" in large[0]
    assert "interval" not in " ".join(large) and not any(line.startswith("Only") for line in large)


def test_the_wilson_interval_holds_its_share_and_narrows_with_more_items():
    for share in (0.0, 0.1, 0.5, 0.97, 1.0):
        widths = []
        for count in (10, 30, 100, 1000):
            low, high = wilson_interval(share, count)
            assert 0.0 <= low <= share <= high <= 1.0
            widths.append(high - low)
        assert widths == sorted(widths, reverse=True)


def test_vocabulary_size_zero_picks_what_suits_the_source(tmp_path):
    numbers = build_task(tiny())
    assert numbers.info["source_vocab"] <= translation.AUTOMATIC_VOCABULARY["numbers"]
    chosen = build_task(tiny(vocab_size="60"))
    assert chosen.info["source_vocab"] <= 60 < numbers.info["source_vocab"]
    from sentence_pairs import lines

    sentences = _upload_data(tmp_path, "\n".join(lines(400)).encode())
    # Sentences get a vocabulary far above the number words' (bounded by what 400 pairs hold).
    assert sentences.info["target_vocab"] > translation.AUTOMATIC_VOCABULARY["numbers"]


def test_every_translation_setting_reaches_what_it_changes(monkeypatch):
    shared = build_task(tiny(vocabulary="shared"))
    assert shared.codec.source is shared.codec.target and shared.info["shared_vocabulary"]
    french = build_task(tiny(target_language="fr"))
    assert any("quatre-vingt" in reference for reference in french.info["val_references"])
    small = build_task(tiny(largest="99"))
    assert all(len(source.split()) <= 2 for source in small.info["val_sources"])  # nothing past "ninety-nine"
    dates = build_task(tiny(source="dates"))
    assert set(dates.val_groups) == {"date", "quantity", "money"}
    sampled = tiny(teacher_forcing="0.5")
    data = build_task(sampled)
    assert data.problem.build_model(data, "lstm+additive", sampled.model, 0).teacher_forcing == 0.5

    def losses(experiment):
        trainers = prepare(experiment)
        run_interleaved(trainers)
        return [t.history.train_loss for t in trainers]

    assert losses(tiny(steps="12", teacher_forcing="0.5")) != losses(tiny(steps="12"))
    # Training decodes validation greedily whatever the beam width, so a beam is one stored run read
    # again; the beam decides how that run's validation is re-decoded (issue 17, item 17).
    widths = []
    original = translation.Translation.decode

    def spy(self, model, inputs, lengths, width=None):
        widths.append(width or self.beam_width)
        return original(self, model, inputs, lengths, width)

    monkeypatch.setattr(translation.Translation, "decode", spy)
    beamed = tiny(beam_width="3", steps="10", eval_every="5", probe_every="5")
    greedy = tiny(steps="10", eval_every="5", probe_every="5")
    trainers = prepare(beamed)
    run_interleaved(trainers)
    assert widths and set(widths) == {1}
    assert run_id(beamed) == run_id(greedy) and as_trained(beamed) == greedy
    widths.clear()
    trainer = trainers[0]
    trainer.data.problem.validation_scores(trainer.model, trainer.data, beamed.task_config.beam_width)
    assert set(widths) == {3}
