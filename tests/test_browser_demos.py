"""The demo pages in Debian's Chromium: train on an uploaded table, draw a digit with the mouse.

Same rules as tests/test_browser.py (whose fixtures this module reuses): a private server with one
training slot, tiny experiments opened by URL, waits that are auto-waiting `expect`s, no sleeps.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from browser_support import button, charts, store_trained_run
from sentence_pairs import lines as sentence_pair_lines
from test_browser import (  # noqa: F401 - fixtures
    TRAIN_TIMEOUT,
    browser,
    expect,
    expect_no_traceback,
    new_page,
    page,
    query,
    server,
    server_log_is_clean,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

TINY = {"steps": "40", "hidden_size": "8", "batch_size": "16", "eval_every": "10", "probe_every": "10",
        "train_size": "500"}
TABLE = "review,stars\n" + "".join(
    f"{text} {number},{label}\n"
    for number in range(40)
    for text, label in (("a wonderful warm film", "pos"), ("a dull tedious mess", "neg")))


def test_a_table_uploaded_in_the_browser_trains(server, page, tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(TABLE, encoding="utf-8")
    params = {**TINY, "source": "upload", "seed": "501", "cells": ["LSTM", "BoW"], "vocab_size": "100"}
    page.goto(server.url("sentiment") + "?" + urlencode(params, doseq=True))
    expect(page.get_by_role("heading", name="Sentiment")).to_be_visible(timeout=30_000)
    expect(button(page, "Train")).to_be_disabled()
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    # "review" and "stars" are not the usual names: the page asks, offering every column.
    expect(page.get_by_text("Pick the columns below")).to_be_visible()
    page.get_by_test_id("stSelectbox").filter(has_text="Text column").click()
    page.get_by_role("option", name="review").click()
    page.get_by_test_id("stSelectbox").filter(has_text="Label column").click()
    page.get_by_role("option", name="stars").click()
    expect(page.get_by_text("80 rows, classes: negative, positive")).to_be_visible()
    button(page, "Train on this table").click()
    expect(page).to_have_url(re.compile(r"[?&]upload=[0-9a-f]{16}(&|$)"))
    train = button(page, "Train")
    expect(train).to_be_enabled()
    train.click()
    expect(page.get_by_text("Trained and saved as run")).to_be_visible(timeout=TRAIN_TIMEOUT)
    expect(charts(page).first).to_be_visible()
    assert query(page)["source"] == ["upload"]
    expect_no_traceback(page)


def test_a_digit_drawn_with_the_mouse_is_read(server, page):
    params = {**TINY, "seed": "502", "cells": ["GRU", "LSTM"], "points": "16"}
    # Stored finished, as a shared link opens it: this test is about reading what the user makes.
    store_trained_run(server, {**params, "task": "handwriting"})
    page.goto(server.url("handwriting") + "?" + urlencode(params, doseq=True))
    expect(page.get_by_text("Loaded finished run")).to_be_visible(timeout=TRAIN_TIMEOUT)
    expect(page.get_by_role("heading", name="Draw it")).to_be_visible()
    expect(page.get_by_text("Draw a character first")).to_be_visible()
    # Fabric stacks two canvases; the upper one takes the pen.
    canvas = page.locator("canvas.upper-canvas").first
    expect(canvas).to_be_visible(timeout=30_000)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    left, top, size = box["x"], box["y"], box["width"]
    # A "7": a bar from left to right, then a long diagonal down to the bottom left.
    page.mouse.move(left + 0.25 * size, top + 0.2 * size)
    page.mouse.down()
    for fraction in (0.35, 0.5, 0.65, 0.75):
        page.mouse.move(left + fraction * size, top + 0.2 * size, steps=4)
    for step in range(1, 9):
        page.mouse.move(left + (0.75 - 0.04 * step) * size, top + (0.2 + 0.08 * step) * size, steps=3)
    page.mouse.up()
    verdict = page.get_by_text(re.compile(r"GRU: \S+ \(\d+%\)"))
    expect(verdict).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"LSTM: \S+ \(\d+%\)"))).to_be_visible()
    expect(page.get_by_text("Each dot is a point the model read")).to_be_visible()
    button(page, "Clear").click()
    expect(page.get_by_text("Draw a character first")).to_be_visible()
    expect_no_traceback(page)


def test_a_typed_phrase_is_translated_with_its_attention_map(server, page):
    params = {**TINY, "seed": "503", "cells": ["LSTM"], "attention": ["none", "additive"], "train_size": "300",
              "largest": "999", "hidden_size": "16"}
    # Stored finished, as a shared link opens it: this test is about reading what the user makes.
    store_trained_run(server, {**params, "task": "translation"})
    page.goto(server.url("translation") + "?" + urlencode(params, doseq=True))
    expect(page.get_by_text("Loaded finished run")).to_be_visible(timeout=TRAIN_TIMEOUT)
    expect(page.get_by_role("heading", name="Type a phrase")).to_be_visible()
    phrase = page.get_by_role("textbox", name="Source phrase")
    phrase.fill("two hundred five")
    phrase.press("Enter")
    # Each model's translation in a code block, and the attention model's heatmap beside it.
    expect(page.get_by_text("LSTM, additive attention", exact=True).first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("No attention: the decoder reads the source only")).to_be_visible()
    heatmap = charts(page).filter(has_text="Where each piece looked")
    expect(heatmap).to_have_count(1)
    expect(heatmap.get_by_text("1:▁two")).to_be_visible()
    # A heatmap of pieces against pieces must have room for its rows (Streamlit squeezed such charts).
    cells = heatmap.locator("g.mark-rect").first
    assert cells.bounding_box()["height"] >= 15  # a readable row per output piece, not a sliver
    translations = page.get_by_test_id("stCode").locator("code")
    expect(translations).to_have_count(3)  # the share link and one translation per model
    expect_no_traceback(page)


def test_sentence_pairs_uploaded_in_the_browser_train_and_beat_copying(server, page, tmp_path):
    path = tmp_path / "deu.txt"
    path.write_text("\n".join(sentence_pair_lines(300)), encoding="utf-8")
    params = {**TINY, "source": "upload", "seed": "504", "cells": ["GRU"], "attention": ["additive"],
              "hidden_size": "16", "train_size": "300"}
    page.goto(server.url("translation") + "?" + urlencode(params, doseq=True))
    expect(page.get_by_role("heading", name="Translation")).to_be_visible(timeout=30_000)
    expect(button(page, "Train")).to_be_disabled()
    expect(page.get_by_text("tatoeba.org")).to_be_visible()  # where such files come from
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    expect(page.get_by_text(re.compile(r"^300 pairs, e\.g\."))).to_be_visible()
    button(page, "Train on these pairs").click()
    expect(page).to_have_url(re.compile(r"[?&]upload=[0-9a-f]{16}(&|$)"))
    expect(page.get_by_text(re.compile(r"Copying the source unchanged scores chrF"))).to_be_attached()
    train = button(page, "Train")
    expect(train).to_be_enabled()
    train.click()
    expect(page.get_by_text("Trained and saved as run")).to_be_visible(timeout=TRAIN_TIMEOUT)
    expect(charts(page).filter(has_text="Validation chrF")).to_have_count(1)
    expect(page.get_by_text(re.compile(r"for copying the source unchanged|no better than copying"))).to_be_visible()
    expect_no_traceback(page)


def test_a_comparison_link_reopens_in_a_new_browser_session(tmp_path, browser):
    """Two stored learning rates, compared; the link with its view options opens the same view elsewhere."""
    from browser_support import start_app

    from core.store.runs import RunStore
    from core.tasks import experiment as config
    from core.training.trainer import prepare, run_interleaved

    store = RunStore(tmp_path / "runs.sqlite")
    ids = []
    for lr in ("0.003", "0.01"):
        experiment = config.from_params({"task": "memory", "lr": lr, **TINY, "distance": "8"})[0]
        trainers = prepare(experiment)
        run_interleaved(trainers)
        ids.append(store.save(experiment, {t.cell: t.history for t in trainers}))
    compare_server = start_app(tmp_path, max_jobs=1)
    try:
        first = browser.new_context().new_page()
        first.goto(compare_server.url("compare") + "?" + urlencode({"runs": ids, "smoothing": "0.6"}, doseq=True))
        expect(first.get_by_role("heading", name="Compare runs")).to_be_visible(timeout=30_000)
        diff = first.get_by_test_id("stTable").filter(has_text="0.01").filter(has_not_text="status")
        expect(diff.first).to_be_visible()
        expect(charts(first).filter(has_text="Train loss")).to_have_count(1)
        link = first.get_by_test_id("stCode").locator("code").first
        expect(link).to_contain_text("smoothing=0.6")
        shared = link.inner_text().strip()
        assert all(run_id in shared for run_id in ids)
        second = browser.new_context().new_page()  # another session: nothing but the link carries over
        second.goto(shared.replace("http://localhost", compare_server.base_url) if shared.startswith("http")
                    else compare_server.url("compare") + shared)
        expect(second.get_by_role("heading", name="Compare runs")).to_be_visible(timeout=30_000)
        tags = second.get_by_test_id("stMultiSelect").filter(has_text="Runs to compare").locator("[data-tag]")
        expect(tags).to_have_count(2)
        expect(charts(second).filter(has_text="Train loss")).to_have_count(1)
        expect_no_traceback(second)
    finally:
        compare_server.stop()


def test_the_model_downloads_from_the_page_and_predicts_outside_the_app(server, page, tmp_path):
    """The lab's download button hands over, through the server, a zip whose predict.py answers a typed
    review as the page's models do (tests/test_model_export.py checks every lesson without a browser)."""
    import io
    import json
    import subprocess
    import sys
    import zipfile

    from core.export.answers import answers
    from core.report.analysis import load_model
    from core.store.runs import RunStore
    from core.tasks import experiment as config
    from core.tasks.registry import build_task

    params = {**TINY, "seed": "509", "cells": ["GRU", "BiLSTM"], "vocab_size": "100", "embedding_size": "8"}
    run_id = store_trained_run(server, {**params, "task": "sentiment"})
    page.goto(server.url("sentiment") + "?" + urlencode(params, doseq=True))
    expect(page.get_by_text("Loaded finished run")).to_be_visible(timeout=TRAIN_TIMEOUT)
    with page.expect_download() as download:
        button(page, "Model (zip to predict with)").click()
    archive = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes()))
    assert download.value.suggested_filename == f"rnn-playground-sentiment-{run_id}.zip"
    archive.extractall(tmp_path)
    review = "Not bad at all, but the ending drags."
    fresh = subprocess.run([sys.executable, "-I", "predict.py", review, "--json"], capture_output=True, text=True,
                           cwd=tmp_path / f"rnn-playground-sentiment-{run_id}", timeout=120)
    assert fresh.returncode == 0, fresh.stderr
    experiment = config.from_params({**params, "task": "sentiment"})[0]
    store, data = RunStore(server.store_path), build_task(experiment)
    models = {cell: load_model(experiment, cell, data, store.load_weights(run_id, cell)) for cell in ("gru", "bilstm")}
    expected = answers(experiment, data, models, review)
    got = json.loads(fresh.stdout)
    assert {cell: result["answer"] for cell, result in got.items()} == \
        {cell: result["answer"] for cell, result in expected.items()}
    for cell, result in expected.items():
        for name, probability in result["probabilities"].items():
            assert abs(got[cell]["probabilities"][name] - probability) < 1e-5
    expect_no_traceback(page)
