"""The named-entity page through AppTest: train tiny, see the reach chart, F1 by type and kind, type a
sentence and read each model's tags, see the sentences a model gets wrong, and wait for an upload."""

from __future__ import annotations

import pytest
from test_pages import chart_frames, open_page, table_frames, train_to_the_end

TINY = {"steps": "40", "hidden_size": "16", "train_size": "300", "eval_every": "20", "probe_every": "20",
        "embedding_size": "8", "cells": ["RNN", "BiLSTM", "BoW"], "seed": "11"}


def test_the_page_trains_and_tags_a_typed_sentence_with_each_model():
    app = open_page("named_entities", TINY)
    train_to_the_end(app)
    assert {"What this run shows", "Which words a tag's error reaches", "Entity F1 by type", "Type a sentence",
            "Validation sentences each model gets wrong"} <= {h.value for h in app.subheader}
    titles = [str(spec.get("title", "")) for spec, _ in chart_frames(app)]
    assert "How far the first word's tag error reaches" in titles
    reach = [frame for spec, frame in chart_frames(app) if spec.get("title") == "How far the first word's tag error reaches"][0]
    assert set(reach["model"]) == {"RNN", "BiLSTM", "BoW"} and reach["word"].min() == 1
    # Each kind of sentence gets its own F1 panel, titled by the kind.
    assert {"after", "before", "plain"} <= set(titles)
    app.text_input(key="entity_text").input("Garcia scored twice in Madrid .").run()
    assert not app.exception, app.exception
    [tags] = [table for table in table_frames(app) if "word" in table.columns]
    assert list(tags["word"]) == ["Garcia", "scored", "twice", "in", "Madrid", "."]
    assert {"RNN", "BiLSTM", "BoW", "forward vs both ways"} <= set(tags.columns)
    assert all(cell.split()[0] in ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-DATE", "I-DATE")
               and cell.endswith("%") for cell in tags["RNN"])
    explanation = " ".join(m.value for m in app.markdown)
    assert "**BiLSTM** reached entity F1" in explanation
    app.text_input(key="entity_text").input("   ").run()
    assert any("Type a sentence" in info.value for info in app.info)


def test_the_upload_source_waits_for_a_conll_file():
    app = open_page("named_entities", {"source": "upload"})
    assert [button for button in app.button if button.label == "Train"][0].disabled
    assert any("CoNLL" in info.value for info in app.info)


def conll_file(count: int) -> bytes:
    from core.tasks.ner import sentences as generated

    made = generated.sentences(count, generated.pools(4), 4)
    return "\n\n".join("\n".join(f"{w} {t}" for w, t in zip(s.words, s.tags)) for s in made).encode()


def test_a_conll_file_too_small_is_refused_and_one_big_enough_is_kept_and_trains():
    from core.tasks.ner.data import MIN_SENTENCES

    app = open_page("named_entities", {"source": "upload", **TINY})
    app.file_uploader(key="conll_file").set_value(("tags.conll", conll_file(MIN_SENTENCES - 1), "text/plain")).run()
    assert len(app.error) == 1 and f"at least {MIN_SENTENCES}" in app.error[0].value
    assert not [button for button in app.button if button.key == "use_conll"]
    app.file_uploader(key="conll_file").set_value(("tags.conll", conll_file(80), "text/plain")).run()
    assert not app.error and any("80 sentences" in m.value for m in [*app.markdown, *app.caption, *app.info])
    [keep] = [button for button in app.button if button.key == "use_conll"]
    keep.click().run()
    assert not app.exception and not app.error
    assert app.query_params["upload"]
    train_to_the_end(app)
    assert any("**BiLSTM** reached entity F1" in m.value for m in app.markdown)


def test_two_stored_runs_compare_with_their_entity_f1_and_kinds():
    """Compare knows nothing of the lesson: two real runs that differ in one setting overlay their F1."""
    from core.store.runs import RunStore
    from core.tasks import experiment as config
    from core.training.trainer import prepare, run_interleaved

    identifiers = []
    for hidden in ("8", "16"):
        experiment = config.from_params({"task": "ner", **TINY, "hidden_size": hidden})[0]
        trainers = prepare(experiment)
        run_interleaved(trainers)
        identifiers.append(RunStore().save(experiment, {t.cell: t.history for t in trainers}))
    app = open_page("compare", {"runs": identifiers})
    assert not app.exception and not app.error
    titles = {str(spec.get("title", "")) for spec, _ in chart_frames(app)}
    assert "Validation entity F1" in titles, "; ".join(sorted(titles))
    [f1] = [frame for spec, frame in chart_frames(app) if spec.get("title") == "Validation entity F1"]
    assert set(f1["run"]) == {"hidden_size 8", "hidden_size 16"} and set(f1["model"]) == {"RNN", "BiLSTM", "BoW"}


def test_ghosts_and_seed_bands_work_as_on_every_lesson():
    """The shared lab's ghost of the previous run and its seed bands, with no lesson-specific code."""
    from test_ghosts import set_lr_and_train, the_ghost

    from core.tasks import experiment as config
    from ui.services import job_runner, run_store

    params = {**TINY, "seed": "8300"}
    app = open_page("named_entities", params)
    train_to_the_end(app)
    set_lr_and_train(app, 0.01)
    assert set(the_ghost(app, "Loss")["ghost"]) == {"lr 0.003 -> 0.01"}
    metric = the_ghost(app, "Validation entity F1")
    stored = run_store().find(config.from_params({"task": "ner", **params})[0])
    bilstm = metric[metric["model"] == "BiLSTM"].sort_values("step")
    assert bilstm["value"].tolist() == pytest.approx(stored.histories["bilstm"].val_metric)
    app.button(key="lab_repeat").click().run()
    for job in job_runner().jobs():
        assert job.wait(120)
    app.run()
    assert not app.exception, app.exception
    [band] = [frame for spec, frame in chart_frames(app) if spec.get("title") == "Train loss across seeds"]
    assert set(band["model"]) == {"RNN", "BiLSTM", "BoW"} and set(band["seeds"]) == {3}
