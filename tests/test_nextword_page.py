"""The next-word page through AppTest: train tiny, see the samples the job recorded, type a prompt."""

from __future__ import annotations

from test_pages import chart_frames, open_page, table_frames, train_to_the_end

TINY = {"steps": "30", "hidden_size": "16", "batch_size": "16", "eval_every": "10", "probe_every": "10",
        "gap": "4", "cells": ["RNN", "LSTM"]}


def texts(app) -> str:
    return " ".join([m.value for m in app.markdown] + [c.value for c in app.caption])


def codes(app) -> list[str]:
    return [code.value for code in app.code]


def test_next_word_trains_shows_samples_and_reads_a_typed_prompt():
    app = open_page("next_word", TINY)
    assert "guessing each kind's most frequent answer" in texts(app).lower()
    train_to_the_end(app)
    headers = {h.value for h in app.subheader}
    assert {"What this run shows", "Samples at the end of training", "Type a prompt"} <= headers
    assert any("predicts the long-range word 4 words after its clue" in m.value for m in app.markdown)
    samples = [code for code in codes(app) if "⟶" in code]
    assert len(samples) == 2 and all(code.startswith("i grew up in") or code.startswith("the ") for code in samples)
    [perplexity] = [spec for spec, _ in chart_frames(app) if "perplexity" in str(spec.get("title", "")).lower()]
    assert len(perplexity["layer"]) == 2  # the models' curves and the unigram model's dashed line
    tables = [table for table in table_frames(app) if "probability" in table.columns]
    assert len(tables) == 2 and all(0 < table["probability"].sum() <= 1.0001 for table in tables)
    assert all(table["probability"].is_monotonic_decreasing for table in tables)
    before = codes(app)
    app.text_input(key="prompt_text").input("the dogs that we saw and then").run()
    assert not app.exception, app.exception
    after = codes(app)
    assert after != before
    app.run()  # the same prompt and seed give the same continuation
    assert codes(app) == after
    app.text_input(key="prompt_text").input("   ").run()
    assert not app.exception and any("Type a prompt" in info.value for info in app.info)


def test_upload_source_waits_for_a_file_and_refuses_a_binary_one():
    app = open_page("next_word", {"source": "upload"})
    assert [button for button in app.button if button.label == "Train"][0].disabled
    assert any("text file" in info.value for info in app.info)
    app = open_page("next_word", {"source": "upload", "upload": "0123456789abcdef"})
    assert not app.exception and app.error


def test_two_stored_next_word_runs_compare_with_their_perplexity_and_the_gap_chart():
    from test_compare_page import frame_titled

    from core.store import runs
    from core.tasks import experiment as config
    from core.training.trainer import prepare, run_interleaved

    identifiers = []
    for gap in ("3", "5"):
        experiment = config.from_params({**TINY, "task": "nextword", "cells": "rnn,lstm", "gap": gap,
                                         "seed": "9101"})[0]
        trainers = prepare(experiment)
        run_interleaved(trainers)
        identifiers.append(runs.RunStore().save(experiment, {t.history.cell: t.history for t in trainers}))
    app = open_page("compare", {"runs": identifiers})
    assert set(frame_titled(app, "Train loss")["run"]) == {"gap 3", "gap 5"}
    assert set(frame_titled(app, "Perplexity")["run"]) == {"gap 3", "gap 5"}
    page = open_page("next_word", {**TINY, "gap": "5", "seed": "9101"})
    assert "The long-range word against the gap" in {h.value for h in page.subheader}
    [gaps] = [frame for spec, frame in chart_frames(page) if "against distance" in str(spec.get("title", "")).lower()
              or "distance" in getattr(frame, "columns", [])]
    assert sorted(set(gaps["distance"])) == [3, 5] and set(gaps["model"]) == {"RNN", "LSTM"}


def test_hamlet_in_pieces_opens_with_its_source_and_unigram_baseline():
    app = open_page("next_word", {"source": "hamlet", "units": "pieces", "window": "32"})
    shown = texts(app)
    assert "unigram model" in shown and "pieces" in shown
    assert any("Hamlet" in expander.label for expander in app.expander)


def test_a_text_file_too_short_is_refused_and_a_long_enough_one_is_kept():
    from core.tasks.nextword.free_text import MIN_CHARACTERS

    app = open_page("next_word", {"source": "upload"})
    app.file_uploader(key="text_file").set_value(("notes.txt", b"too short", "text/plain")).run()
    assert len(app.error) == 1 and app.error[0].value.startswith("notes")  # the file named, its name escaped
    assert not [button for button in app.button if button.key == "use_text"]
    text = ("the quick brown fox jumps over the lazy dog . " * (MIN_CHARACTERS // 40 + 1)).encode()
    app.file_uploader(key="text_file").set_value(("notes.txt", text, "text/plain")).run()
    assert not app.error and any("characters, starting" in m.value for m in [*app.markdown, *app.caption, *app.info])
    [keep] = [button for button in app.button if button.key == "use_text"]
    keep.click().run()
    assert not app.exception and not app.error and app.query_params["upload"]
