"""Issue 17 in Chromium: what each page says and draws, item by item, as a student sees it.

Each test opens one page on runs stored where the server reads them, as a shared link does:
hand-made histories where the words about a run are the point (tests/test_explain.py checks the
same sentences property-style), tiny runs trained in this process where the page must read a
model. Each checks its item in the rendered page: the text Streamlit wrote, the SVG Vega drew,
the address bar. The item a test names is in its name.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from browser_support import charts, slider, store_trained_run
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
from test_explain import make_history

from core.data.history import History
from core.store.runs import RunStore, run_id
from core.tasks import experiment as config

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def store_histories(server, params: dict, histories: list[History]) -> None:
    """Store finished hand-made histories (no weights) under the id the link's settings give."""
    experiment, messages = config.from_params(params)
    assert not messages, messages
    RunStore(server.store_path).save(experiment, {history.cell: history for history in histories})


def open_link(server, page, path: str, params: dict) -> None:
    link = {name: value for name, value in params.items() if name != "task"}
    page.goto(server.url(path) + "?" + urlencode(link, doseq=True))
    expect(page.locator("h1").first).to_be_visible(timeout=60_000)


def test_item_1_sentiment_says_when_a_run_does_not_show_the_textbook_story(server, page):
    """Sentiment at defaults: the RNN passed back more gradient than the LSTM, and the page told
    the vanishing-gradient story with the BiLSTM as its hero."""
    params = {"task": "sentiment", "steps": "800", "seed": "1701", "cells": ["BoW", "RNN", "LSTM", "BiLSTM"]}
    store_histories(server, params, [make_history("bow", "finished", 0.71, [(800, 0.71)]),
                                     make_history("rnn", "finished", 0.998, [(800, 3.2e-2)]),
                                     make_history("lstm", "finished", 0.995, [(800, 1.8e-2)]),
                                     make_history("bilstm", "finished", 0.999, [(800, 0.5)])])
    open_link(server, page, "sentiment", params)
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text("In this run the RNN passes back more gradient than the LSTM", timeout=60_000)
    expect(main).to_contain_text("Every model that reads one way (RNN, LSTM) passes back gradient")
    expect(main).to_contain_text("The BiLSTM reads in both directions")
    expect(main).not_to_contain_text("vanishing gradient")
    expect(main).not_to_contain_text("cell state carries")
    expect_no_traceback(page)


def test_item_2_a_diverged_run_is_told_once_with_the_figures_the_chart_draws(server, page):
    """Memory lab at the largest learning rate: the text quoted a loss the chart did not show,
    advised clipping although it was on, and said the divergence twice."""
    params = {"task": "memory", "lr": "1.0", "steps": "60", "hidden_size": "16", "batch_size": "32",
              "eval_every": "20", "probe_every": "20", "seed": "5", "clip": "1.0"}
    store_trained_run(server, params)
    experiment, _ = config.from_params(params)
    stored = RunStore(server.store_path).load(run_id(experiment))
    rnn = stored.histories["rnn"]
    assert rnn.status == "diverged"
    step = rnn.steps[-1]
    open_link(server, page, "memory_lab", params)
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text("Training diverged at step", timeout=60_000)
    # The figure is named and both numbers are the history's: the running mean and the step's own loss.
    window = rnn.train_loss[-10:]
    quoted = f"the mean loss over steps {step - len(window) + 1}-{step} rose to {sum(window) / len(window):.3g} " \
             f"({rnn.train_loss[-1]:.3g} at step {step})"
    expect(main).to_contain_text(quoted)
    expect(main.get_by_text("Training diverged at step")).to_have_count(1)  # once, in the status box
    expect(main).to_contain_text("the box above says where and why")
    expect(main).not_to_contain_text("gradient clipping")  # clipping is on (1.0)
    expect_no_traceback(page)


def test_item_3_handwriting_says_falls_or_rises_never_a_sign(server, page):
    params = {"task": "handwriting", "steps": "800", "seed": "1703", "cells": ["GRU", "LSTM"]}
    store_histories(server, params, [make_history("gru", "finished", 0.9, [(800, 10 ** 0.2)]),
                                     make_history("lstm", "finished", 0.9, [(800, 10 ** -0.02)])])
    open_link(server, page, "handwriting", params)
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text("of the GRU rises by 0.2 orders of magnitude", timeout=60_000)
    expect(main).to_contain_text("of the LSTM stays level")
    expect(main).not_to_contain_text("-0.0")
    expect(main).not_to_contain_text("+0.2")
    expect_no_traceback(page)



# --- translation ------------------------------------------------------------------------------

TRANSLATION = {"task": "translation", "steps": "30", "hidden_size": "16", "batch_size": "16", "eval_every": "10",
               "probe_every": "10", "cells": ["LSTM"], "attention": ["additive"]}


def test_item_5_a_score_on_few_pairs_gives_its_size_and_the_to_language_is_gone(server, page, monkeypatch):
    """Your own pairs: 100% on a 30-pair validation split with no caveat, and "To: de" for a French
    file, carried into the share link."""
    from sentence_pairs import lines as sentence_pair_lines

    from core.data import uploads

    monkeypatch.setenv("RNN_PLAYGROUND_DB", str(server.store_path))  # uploads live beside the server's store
    key = uploads.save("\n".join(sentence_pair_lines(300)).encode(), "tsv")
    params = {**TRANSLATION, "source": "upload", "upload": key, "train_size": "300", "seed": "1705"}
    store_trained_run(server, params)
    open_link(server, page, "translation", {**params, "target_language": "fr"})
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text("Only 30 pairs were held out for validation", timeout=60_000)
    expect(main).to_contain_text(re.compile(r"of the 30 held-out validation pairs \(95% interval"))
    expect(page.get_by_test_id("stSidebar").get_by_text("To", exact=True)).to_have_count(0)
    expect(page.get_by_test_id("stCode").locator("code").first).not_to_contain_text("target_language")
    expect_no_traceback(page)


def test_item_15_dates_are_shown_cased_and_spaced(server, page):
    """The dates preset printed "3 . märz 1999" where Home promises "20. April 2062"."""
    params = {**TRANSLATION, "source": "dates", "train_size": "300", "seed": "1715"}
    store_trained_run(server, params)
    open_link(server, page, "translation", params)
    wrong = page.get_by_test_id("stTable").filter(has_text="reference")
    expect(wrong).to_be_visible(timeout=60_000)
    references = [text.strip() for text in wrong.locator("tbody tr td:nth-child(2)").all_inner_texts()]
    # Dates read "3. November 1906": cased, the day's full stop against its number, and shown whole
    # (a static table once read "3. November" as a numbered list item and showed "November 1906").
    dates = [text for text in references if re.search(r"\d{4}$", text) and not re.search(r"[£$€]", text)]
    assert dates and all(re.fullmatch(r"\d{1,2}\. [A-ZÄÖÜ][a-zäöü]+ \d{4}", text) for text in dates), dates
    expect(page.get_by_test_id("stMain")).to_contain_text("Both sides are read as written")
    expect_no_traceback(page)


def test_item_17_a_wider_beam_rereads_the_stored_run_and_keeps_the_phrase(server, page):
    """Moving "Beam width" from 1 to 4 after training threw the results away and retrained."""
    params = {**TRANSLATION, "train_size": "300", "largest": "499", "seed": "1717", "beam_width": "1"}
    store_trained_run(server, params)
    open_link(server, page, "translation", params)
    expect(page.get_by_text("Loaded finished run")).to_be_visible(timeout=60_000)
    phrase = page.get_by_role("textbox", name="Source phrase")
    phrase.fill("three hundred twelve")
    phrase.press("Enter")
    expect(page.get_by_test_id("stCode").locator("code")).to_have_count(2)  # the link and the translation
    beam = slider(page, "Beam width")
    beam.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(beam).to_have_value("4")
    rescored = page.get_by_test_id("stTable").filter(has_text="exact, beam 4")
    expect(rescored).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Loaded finished run")).to_be_visible()  # the same run, not trained again
    expect(page.get_by_test_id("stProgress")).to_have_count(0)
    expect(phrase).to_have_value("three hundred twelve")
    expect(page.get_by_test_id("stTable").filter(has_text="log-probability")).to_have_count(1)
    expect_no_traceback(page)


# --- charts a student can read ----------------------------------------------------------------

AXES = """chart => [...chart.querySelectorAll('g.role-axis')].map(axis => ({
  title: [...axis.querySelectorAll('.role-axis-title text')].map(text => text.textContent).join(' '),
  labels: [...axis.querySelectorAll('.role-axis-label text')].map(text => text.textContent),
}))"""


def axes_of(chart) -> list[dict]:
    return chart.locator("svg").first.evaluate(AXES.replace("chart =>", "svg =>").replace("chart.", "svg."))


def test_item_11_every_source_piece_of_the_attention_map_is_labelled(server, page):
    params = {**TRANSLATION, "train_size": "300", "largest": "99999", "seed": "1711"}
    store_trained_run(server, params)
    open_link(server, page, "translation", params)
    expect(page.get_by_text("Loaded finished run")).to_be_visible(timeout=60_000)
    phrase = page.get_by_role("textbox", name="Source phrase")
    phrase.fill("twelve thousand three hundred forty-five")
    phrase.press("Enter")
    heatmap = charts(page).filter(has_text="Where each piece looked")
    expect(heatmap).to_have_count(1, timeout=30_000)
    expect(heatmap).to_contain_text("thousand", timeout=30_000)  # drawn for the typed phrase
    source_axis = [axis for axis in axes_of(heatmap) if any(label.startswith("1:") for label in axis["labels"])]
    labels = source_axis[0]["labels"]
    numbers = [int(label.split(":", 1)[0]) for label in labels]
    assert numbers == list(range(1, len(labels) + 1)) and len(labels) >= 6, labels  # none dropped for overlap
    expect_no_traceback(page)


def test_items_12_and_13_whole_number_steps_and_measured_distances_as_points(server, page):
    small = {"task": "memory", "steps": "30", "hidden_size": "8", "batch_size": "16", "eval_every": "10",
             "probe_every": "10", "seed": "1712", "cells": ["RNN", "LSTM"]}
    for distance in ("6", "9"):
        store_trained_run(server, {**small, "distance": distance})
    store_trained_run(server, {**small, "distance": "12"})
    open_link(server, page, "memory_lab", {**small, "distance": "12"})
    expect(page.get_by_text("Loaded finished run")).to_be_visible(timeout=60_000)
    memory = charts(page).filter(has_text="Memory against distance")
    expect(memory.locator("svg").first).to_be_visible(timeout=30_000)
    # Measured points at the measured distances, no line implying a curve between them (item 13).
    assert memory.locator("g.mark-symbol").count() >= 1
    assert memory.locator("g.mark-line").count() == 0
    [distance_axis] = [axis for axis in axes_of(memory) if "istance" in axis["title"]]
    assert distance_axis["labels"] == ["6", "9", "12"] or distance_axis["labels"] == ["6", "9"], distance_axis
    # Every axis over steps or positions labels whole numbers only (item 12).
    checked = 0
    for index in range(charts(page).count()):
        chart = charts(page).nth(index)
        chart.scroll_into_view_if_needed()
        if chart.locator("svg").count() == 0:
            continue
        for axis in axes_of(chart):
            if re.search(r"\bstep|steps back|position", axis["title"], re.IGNORECASE):
                checked += 1
                assert all(re.fullmatch(r"[\d,]+", label) for label in axis["labels"]), axis
    assert checked >= 3
    expect_no_traceback(page)


def test_item_14_the_bag_of_words_legend_and_the_example_review(server, page):
    params = {"task": "sentiment", "steps": "30", "hidden_size": "8", "batch_size": "16", "eval_every": "10",
              "probe_every": "10", "seed": "1714", "cells": ["BoW", "LSTM"]}
    store_trained_run(server, params)
    open_link(server, page, "sentiment", params)
    expect(page.get_by_text("Loaded finished run")).to_be_visible(timeout=60_000)
    bow = charts(page).filter(has_text="BoW: per-layer gradient norms")
    expect(bow.locator("svg").first).to_be_visible(timeout=30_000)
    legend = bow.locator(".role-legend-label text").all_text_contents()
    assert legend and not any("recurrent" in label for label in legend), legend
    lstm = charts(page).filter(has_text="LSTM: per-layer gradient norms")
    assert any("recurrent" in label for label in lstm.locator(".role-legend-label text").all_text_contents())
    expect_no_traceback(page)
