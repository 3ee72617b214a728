"""Real sentences: settings that fit a file of pairs, batches by length, the best weights kept, BLEU,
and the Sentences preset on the page. Tiny models and few steps: each test takes seconds."""

from __future__ import annotations

import json
import math
import random

import pytest
import torch
from test_pages import open_page, table_frames, train_to_the_end

from core.data.history import History
from core.store import runs
from core.tasks import experiment as config
from core.tasks.translation import data as translation
from core.tasks.translation import pair_files, sizing
from core.tasks.translation.presets import PRESETS
from core.training.regime import BestWeights, LengthBuckets, lr_factor
from core.training.trainer import prepare, run_interleaved

WORDS = ("the cat dog house red big small runs sleeps eats sees my your old new green blue tree car book "
         "today now here there quickly very").split()


def pairs_file(path, count: int, seed: int = 0) -> str:
    """`count` distinct made-up pairs of 1 to 9 words (the target: the words reversed, upper-cased)."""
    rng = random.Random(seed)
    lines = set()
    while len(lines) < count:
        words = rng.choices(WORDS, k=rng.randint(1, 9))
        lines.add(f"{' '.join(words)}\t{' '.join(reversed(words)).upper()}")
    path.write_text("\n".join(sorted(lines)) + "\n", encoding="utf-8")
    return f"tsv:{path}"


# --- settings that fit the file -----------------------------------------------------------------------------

def test_settings_grow_with_the_file_and_count_training_in_epochs():
    small, large = sizing.pair_file_settings(3000), sizing.pair_file_settings(16000)
    assert int(small["vocab_size"]) < int(large["vocab_size"])
    assert int(small["hidden_size"]) < int(large["hidden_size"])
    assert int(small["embedding_size"]) <= int(large["embedding_size"])
    for pairs, chosen in ((3000, small), (16000, large)):
        train, val = pair_files.split_sizes(pairs)
        assert train + val == pairs and chosen["train_size"] == str(train)  # the whole file trains
        epochs = sizing.epochs_of(int(chosen["steps"]), int(chosen["batch_size"]), train)
        # The same number of passes over either file (give or take the last partial batch).
        assert sizing.EPOCHS <= epochs < sizing.EPOCHS + 1, (pairs, epochs)
        assert chosen["schedule"] == "cosine" and chosen["keep"] == "best"
    # Every chosen value is one a link can hold: the validator takes all of them as they are.
    experiment, messages = config.from_params({"task": "translation", "source": "upload", **large})
    assert messages == []
    assert experiment.train.steps == int(large["steps"]) and experiment.model.hidden_size == int(large["hidden_size"])


def test_the_command_line_applies_the_files_settings_under_its_own(cli, tmp_path):
    train_file = pairs_file(tmp_path / "pairs.tsv", 400)
    result = cli("train", "translation", "--train-file", train_file, "--steps", "10", "--set", "hidden_size=8",
                 "--set", "embedding_size=8", "--set", "attention=additive", "--json", database=tmp_path / "runs.db")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    chosen = sizing.pair_file_settings(400)
    # What the command gave wins; the rest is what the file's size chose.
    assert summary["settings"]["steps"] == "10" and summary["settings"]["hidden_size"] == "8"
    assert summary["settings"]["vocab_size"] == chosen["vocab_size"]
    assert summary["settings"]["schedule"] == "cosine" and summary["settings"]["keep"] == "best"
    model = summary["models"]["lstm+additive"]
    assert model["steps"] == 10 and 1 <= model["best_step"] <= 10
    assert "BLEU" in model["scores"] and "chrF" in model["scores"]


def test_later_settings_at_their_defaults_leave_run_ids_alone():
    experiment = config.default_experiment("translation")
    params = config.to_params(experiment)
    assert "schedule" not in params and "keep" not in params  # as before the settings existed
    cosine = config.replace(experiment, schedule="cosine")
    assert config.to_params(cosine)["schedule"] == "cosine"
    assert runs.run_id(cosine) != runs.run_id(experiment)
    assert config.from_params(config.to_params(cosine)) == (cosine, [])


# --- batches by length ----------------------------------------------------------------------------------------

def padding_share(batches: list[torch.Tensor], lengths: torch.Tensor) -> float:
    """Share of a batch's cells (examples x its longest length) that are padding, over all batches."""
    padded = sum(len(batch) * int(lengths[batch].max()) for batch in batches)
    return 1 - float(lengths.sum()) / padded


def test_length_buckets_hold_every_example_once_an_epoch_with_less_padding():
    lengths = torch.randint(1, 40, (1000,), generator=torch.Generator().manual_seed(3))
    buckets = LengthBuckets(lengths, batch_size=32, seed=5)
    first, second = buckets.plan(0), buckets.plan(1)
    for plan in (first, second):
        assert sorted(torch.cat(plan).tolist()) == list(range(1000))  # each example exactly once
        assert len(plan) == math.ceil(1000 / 32)
    assert [b.tolist() for b in first] != [b.tolist() for b in second]  # a new order every epoch
    shuffled = list(torch.randperm(1000, generator=torch.Generator().manual_seed(0)).split(32))
    assert padding_share(first, lengths) < 0.5 * padding_share(shuffled, lengths)
    # Steps walk the plan in order, and a fresh walker (a continued run) draws the same batches.
    assert torch.equal(buckets.indices(33), second[0]) and torch.equal(LengthBuckets(lengths, 32, 5).indices(33),
                                                                      second[0])


def test_bucketed_batches_are_cut_to_their_longest_example(tmp_path):
    from core.data import uploads

    pairs_file(tmp_path / "p.tsv", 300)
    key = uploads.save((tmp_path / "p.tsv").read_bytes(), "tsv")
    experiment = config.from_params({"task": "translation", "source": "upload", "upload": key, "steps": "2",
                                     "hidden_size": "8", "embedding_size": "8"})[0]
    [trainer, _] = prepare(experiment)
    assert trainer.data.bucketed
    inputs, targets, lengths = trainer._batch(1)
    assert inputs.shape[1] == int(lengths.max()) < trainer.data.train_inputs.shape[1]
    assert int((targets != translation.IGNORED).sum(dim=1).max()) == targets.shape[1]


# --- the best weights kept --------------------------------------------------------------------------------------

def test_best_weights_keep_the_highest_score_and_put_it_back():
    model = torch.nn.Linear(2, 1)
    best = BestWeights()
    for step, score in ((10, 1.0), (20, 3.0), (30, 3.0), (40, 2.0)):
        with torch.no_grad():
            model.weight.fill_(step)
        best.offer(model.state_dict(), score, step)
    assert best.restore(model) == 20 and float(model.weight.detach()[0, 0]) == 20  # a tie keeps the earlier step


def test_a_run_keeping_its_best_weights_ends_on_the_step_of_its_best_chrf(tmp_path):
    from core.data import uploads

    pairs_file(tmp_path / "p.tsv", 400)
    key = uploads.save((tmp_path / "p.tsv").read_bytes(), "tsv")
    settings = {"task": "translation", "source": "upload", "upload": key, "steps": "40", "eval_every": "10",
                "probe_every": "40", "hidden_size": "16", "embedding_size": "8", "attention": "additive",
                "lr": "0.03", "vocab_size": "60"}
    experiment = config.from_params({**settings, "keep": "best"})[0]
    [trainer] = prepare(experiment)
    run_interleaved([trainer])
    history = trainer.history
    sample_chrf = history.scores["chrF"]
    best_step = history.eval_steps[max(range(len(sample_chrf)), key=lambda i: (sample_chrf[i], -i))]
    assert history.best_step == best_step >= 10  # it learned past its first evaluation
    # The kept weights are the weights of that step: a run of the same seed stopped there ends on them.
    shorter = config.from_params({**settings, "steps": str(best_step)})[0]
    [reference] = prepare(shorter)
    run_interleaved([reference])
    for name, value in reference.model.state_dict().items():
        assert torch.allclose(trainer.model.state_dict()[name], value, atol=1e-6), name
    # Scored on the whole validation split at the end, with BLEU beside chrF, and read back so.
    assert {"loss", "exact match", "chrF", "BLEU"} <= set(history.final)
    assert history.final_scores()["chrF"] == history.final["chrF"]
    # Each score compares what the kept weights write with the references, in that order (BLEU is not
    # symmetric): the same numbers as decoding the whole split again here.
    hypotheses, references = trainer.data.problem.validation_texts(trainer.model, trainer.data, 1)
    assert len(references) == trainer.data.val_inputs.shape[0]
    assert history.final["BLEU"] == pytest.approx(translation.bleu(hypotheses, references))
    assert history.final["chrF"] == pytest.approx(translation.chrf(hypotheses, references))
    assert History.from_dict(json.loads(json.dumps(history.to_dict()))).best_step == best_step


def test_runs_that_keep_the_last_weights_keep_the_record_they_always_had():
    experiment = config.from_params({"task": "translation", "steps": "3", "hidden_size": "8", "embedding_size": "8",
                                     "train_size": "200", "largest": "199", "attention": "none"})[0]
    [trainer] = prepare(experiment)
    run_interleaved([trainer])
    record = trainer.history.to_dict()
    assert "best_step" not in record and "final" not in record
    assert set(trainer.history.scores) == {"chrF"}  # no BLEU on number words
    assert "examples" not in trainer.history.probe_maps


def test_the_cosine_schedule_warms_up_then_decays_to_its_floor():
    factors = [lr_factor("cosine", step, 1000) for step in range(1, 1001)]
    peak = factors.index(max(factors))
    assert factors[0] < 0.1 and max(factors) == 1.0 and 0 < peak < 100
    assert all(a >= b for a, b in zip(factors[peak:], factors[peak + 1:]))
    assert factors[-1] == pytest.approx(0.02)
    assert lr_factor("constant", 500, 1000) == 1.0


def test_bleu_is_sacrebleus_corpus_score():
    from sacrebleu.metrics import BLEU

    hypotheses, references = ["the cat sat on the mat", "a dog"], ["the cat sat on the mat", "the dog"]
    assert translation.bleu(hypotheses, references) == pytest.approx(BLEU().corpus_score(hypotheses,
                                                                                         [references]).score)
    assert translation.bleu(references, references) == pytest.approx(100)


# --- the Sentences preset ---------------------------------------------------------------------------------------

def test_the_shipped_file_holds_the_pairs_the_preset_is_sized_for():
    pairs = pair_files.read_pairs(pair_files.SHIPPED_PAIRS.read_bytes())
    assert len(pairs) == sizing.SHIPPED_PAIR_COUNT and not pairs.notices
    assert pair_files.SHIPPED_PAIRS.stat().st_size <= 1_000_000
    licence = (pair_files.SHIPPED_PAIRS.parent / "README.md").read_text()
    assert "CC-BY 2.0" in licence and "tatoeba.org" in licence
    [preset] = [preset for preset in PRESETS if preset.title == "Sentences"]
    experiment, messages = config.from_params({"task": "translation", **preset.params})
    assert messages == [] and experiment.task_config.source == "sentences"
    assert experiment.train.steps == int(sizing.pair_file_settings(sizing.SHIPPED_PAIR_COUNT)["steps"])


@pytest.mark.parametrize("keep", ["best", "last"])
def test_the_sentences_preset_trains_on_the_page_and_shows_translations_improving(keep):
    [preset] = [preset for preset in PRESETS if preset.title == "Sentences"]
    tiny = {**preset.params, "steps": "10", "eval_every": "5", "probe_every": "5", "hidden_size": "16",
            "embedding_size": "8", "train_size": "300", "vocab_size": "200", "batch_size": "32", "keep": keep}
    app = open_page("translation", tiny)
    text = " ".join([m.value for m in app.markdown] + [c.value for c in app.caption])
    assert "Tatoeba" in text and "epochs" in text
    train_to_the_end(app)
    assert "Translations being learned" in {h.value for h in app.subheader}
    kept = [frame for frame in table_frames(app) if "weights of step" in frame.columns]
    assert kept and set(kept[0]["weights of step"]) <= ({1, 5, 10} if keep == "best" else {10})
    assert "BLEU" in kept[0].columns
    # The table's sentence says what this run kept, and that the curves read a sample of the 1,000 pairs.
    [heading] = [m.value for m in app.markdown if "The kept weights on all" in m.value]
    assert "sample of 200 of them" in heading
    assert ("best chrF" in heading) == (keep == "best") and ("after the last step" in heading) == (keep == "last")
    learned = [frame for frame in table_frames(app) if "step" in frame.columns and len(frame.columns) == 3]
    assert learned and list(learned[0]["step"]) == [1, 5, 10]


def test_pairs_kept_in_the_upload_box_bring_their_settings_under_the_visitors():
    lines = "".join(f"sentence number {i}\tSatz Nummer {i}\n" for i in range(3000)).encode()
    app = open_page("translation", {"source": "upload", "hidden_size": "16"})
    app.file_uploader(key="pairs_file").set_value(("pairs.tsv", lines, "text/plain")).run()
    [keep] = [button for button in app.button if button.key == "use_pairs"]
    keep.click().run()
    assert not app.exception, app.exception
    chosen = sizing.pair_file_settings(3000)
    assert app.query_params["steps"] == chosen["steps"] and app.query_params["vocab_size"] == chosen["vocab_size"]
    assert app.query_params["schedule"] == "cosine" and app.query_params["keep"] == "best"
    assert app.query_params["hidden_size"] == "16"  # the visitor's own setting stays
    text = " ".join(c.value for c in app.caption)
    assert f"{int(chosen['steps']):,} steps" in text and "epochs" in text
