"""Issue 17 in Chromium: what each page says and draws, item by item, as a student sees it.

Each test opens one page on runs stored where the server reads them, as a shared link does:
hand-made histories where the words or curves of a run are the point (tests/test_explain.py checks
the same sentences property-style), tiny runs trained in this process where the page must read a
model, and the server's own training only where the item is about watching it (item 7). Each checks its item in the rendered page: the text Streamlit wrote, the SVG Vega drew,
the address bar. The item a test names is in its name.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from browser_support import button, charts, slider, store_trained_run
from test_browser import (  # noqa: F401 - fixtures
    LONG,
    TRAIN_TIMEOUT,
    browser,
    expect,
    expect_no_traceback,
    lab_url,
    new_page,
    open_lab,
    page,
    query,
    server,
    server_log_is_clean,
    start_training,
    stop_training,
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


# --- compare ----------------------------------------------------------------------------------

# Each line a chart draws, read from its SVG: Vega labels a line mark with its first point and the
# fields it is coloured and dashed by ("...; Model: RNN"), and its path ends at its last point.
LINES = """svg => [...svg.querySelectorAll('path[aria-roledescription="line mark"]')].map(path => {
  const label = path.getAttribute('aria-label') || '';
  const end = path.getPointAtLength(path.getTotalLength()).matrixTransform(path.getScreenCTM());
  return {model: (/Model: ([^;]+)/.exec(label) || [])[1], label, end_y: end.y,
          dash: path.getAttribute('stroke-dasharray'), opacity: Number(path.getAttribute('opacity') || 1)};
})"""
# The y axis's labels with their values and where they sit on the screen.
Y_LABELS = """svg => [...svg.querySelectorAll('g.role-axis')].filter(axis =>
    (axis.getAttribute('aria-label') || '').startsWith('Y-axis'))
  .flatMap(axis => [...axis.querySelectorAll('.role-axis-label text')]).map(text => {
    const box = text.getBoundingClientRect();
    return {value: Number(text.textContent), y: box.top + box.height / 2};
  })"""
COMPARE = {"task": "memory", "steps": "850", "eval_every": "50", "probe_every": "50"}


def drawn_lines(chart) -> list[dict]:
    chart.scroll_into_view_if_needed()
    expect(chart.locator('path[aria-roledescription="line mark"]').first).to_be_attached()
    return chart.locator("svg").first.evaluate(LINES)


def compare_chart(page, title: str | re.Pattern):
    """The Compare page's chart titled exactly `title` (or as the pattern says), once Vega has drawn it."""
    pattern = title if isinstance(title, re.Pattern) else re.compile(rf"^{re.escape(title)}$")
    chart = charts(page).filter(has=page.locator(".role-title-text text", has_text=pattern))
    expect(chart.locator("svg")).to_have_count(1, timeout=60_000)
    return chart


def sparse_history(cell: str, offset: float = 0.0) -> History:
    """850 steps of train loss, 17 validation points 50 steps apart rising to 0.998, one probe."""
    history = make_history(cell, "finished", None, [(850, 0.1)], steps=850)
    history.train_loss = [1.0 / (1 + step / 100) + offset for step in range(850)]
    history.eval_steps = list(range(50, 851, 50))
    history.val_metric = [min(0.998, 0.1 + 0.06 * index) for index in range(len(history.eval_steps))]
    history.val_loss = [1.0 - value for value in history.val_metric]
    return history


def open_compare(server, page, run_ids: list[str], **view: str) -> None:
    page.goto(server.url("compare") + "?" + urlencode({"runs": run_ids, **view}, doseq=True))
    expect(page.get_by_role("heading", name="Compare runs")).to_be_visible(timeout=60_000)


def test_item_6_each_model_keeps_its_dash_on_the_seed_bands(server, page):
    """The seed bands drew the LSTM solid and the RNN dashed, every other chart the reverse."""
    identifiers = []
    for seed in (1706, 1707, 1708):  # the run and two repeats with the next seeds: a band
        params = {**COMPARE, "seed": str(seed), "cells": ["RNN", "LSTM"]}
        store_histories(server, params, [sparse_history("rnn", (seed - 1706) / 50),
                                         sparse_history("lstm", 0.1 + (seed - 1706) / 50)])
        identifiers.append(run_id(config.from_params(params)[0]))
    open_compare(server, page, identifiers[:1])
    bands = {line["model"]: line["dash"] for line in drawn_lines(compare_chart(page, "Train loss across seeds"))}
    assert set(bands) == {"RNN", "LSTM"}, bands
    for title in ("Train loss", "Validation accuracy"):
        drawn = drawn_lines(compare_chart(page, title))
        assert {line["model"]: line["dash"] for line in drawn} == bands, (title, drawn, bands)
    assert bands["RNN"] in ("1,0", None) and bands["LSTM"] not in ("1,0", None), bands  # the RNN solid
    expect_no_traceback(page)


def test_item_9_smoothing_keeps_a_sparse_curve_at_its_values_and_swatches_full(server, page):
    """Smoothing 0.9 drew a final 0.998 of 17 validation points as about 0.8; legend swatches faded."""
    params = {**COMPARE, "seed": "1709", "cells": ["RNN"]}
    store_histories(server, params, [sparse_history("rnn")])
    open_compare(server, page, [run_id(config.from_params(params)[0])], smoothing="0.9")
    expect(slider(page, "Smoothing")).to_have_value("0.9")
    accuracy = compare_chart(page, "Validation accuracy")
    lines = drawn_lines(accuracy)
    labels = accuracy.locator("svg").first.evaluate(Y_LABELS)
    low, high = labels[1], labels[-2]  # the end labels are nudged inside the plot (flush), not at their ticks

    def reading(line: dict) -> float:  # the value at the line's end, read off the y axis
        return low["value"] + (line["end_y"] - low["y"]) * (high["value"] - low["value"]) / (high["y"] - low["y"])

    [raw] = [line for line in lines if line["opacity"] < 1]
    [smoothed] = [line for line in lines if line["opacity"] == 1]
    assert reading(raw) == pytest.approx(0.998, abs=0.01), labels  # the reading itself is right
    assert reading(smoothed) == pytest.approx(0.998, abs=0.02), (reading(smoothed), labels)
    # Swatches at full strength, although the raw line under the smoothed one is faint.
    swatches = accuracy.locator(".role-legend-symbol path").evaluate_all(
        "paths => paths.map(path => Number(path.getAttribute('opacity') || 1))")
    assert swatches and all(opacity == 1 for opacity in swatches), swatches
    expect_no_traceback(page)


def test_item_10_a_diverged_run_leaves_the_other_runs_their_probe_steps(server, page):
    """Adding a diverged run made the gradient-through-time chart fall back to "step 1" for every run."""
    finished = {**COMPARE, "seed": "1710", "lr": "0.003", "cells": ["LSTM"]}
    store_histories(server, finished, [make_history("lstm", "finished", 0.9, [(1, 0.5), (400, 0.2), (850, 0.1)],
                                                    steps=850)])
    diverged_params = {**finished, "lr": "1.0"}
    diverged = make_history("lstm", "diverged", None, [(1, 0.5)], steps=12)
    diverged.train_loss[-2:] = [float("nan"), float("inf")]
    store_histories(server, diverged_params, [diverged])
    identifiers = [run_id(config.from_params(params)[0]) for params in (finished, diverged_params)]
    open_compare(server, page, identifiers)
    gradient = compare_chart(page, re.compile(r"^Gradient through time at step"))
    # The last step the finished run was probed at, not the diverged run's only probe (step 1).
    expect(gradient.locator(".role-title-text text")).to_have_text("Gradient through time at step 850, layer 1")
    runs = {re.search(r"Run: ([^;]+)", line["label"]).group(1) for line in drawn_lines(gradient)}
    assert runs == {"lr 0.003", "lr 1"}, runs  # both runs drawn, the diverged one at its only probe
    expect(slider(page, "Probe at step")).to_have_count(1)
    expect(page.get_by_test_id("stMain")).to_contain_text(
        "Runs not probed at step 850 are drawn at their nearest probe: step 1.")
    expect_no_traceback(page)


def test_item_7_repeats_with_other_seeds_are_followed_live_and_drawn_when_they_end(server, new_page):
    """"Repeat with other seeds" said "Queued. Reopen or refresh this page" and drew nothing until a
    reload. A long run in the lab holds the server's one training slot, so the two tiny repeats
    wait in line while the page is watched (however fast they would train), then train when it stops."""
    blocker = open_lab(new_page(), lab_url(server, {**LONG, "seed": "1707"}))
    start_training(blocker)
    params = {"task": "memory", "distance": "6", "steps": "12", "hidden_size": "8", "batch_size": "16",
              "eval_every": "6", "probe_every": "6", "seed": "1707", "cells": ["RNN"]}
    history = make_history("rnn", "finished", 0.5, [(12, 0.5)], steps=12)
    history.eval_steps, history.val_loss, history.val_metric = [6, 12], [1.0, 0.9], [0.4, 0.5]
    store_histories(server, params, [history])
    page = new_page()
    open_compare(server, page, [run_id(config.from_params(params)[0])])
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text("No chosen run has stored repeats with other seeds yet", timeout=60_000)
    button(page, "Repeat with other seeds").click()
    # Live progress of the two repeats (seeds 1708 and 1709) while they wait...
    progress = page.get_by_test_id("stProgress")
    expect(progress.get_by_text("Seed runs: 2 queued, 0 training, 0 of 2 done")).to_be_visible(timeout=30_000)
    stop_training(blocker)
    # ... then, with no reload, the band of all three seeds, and the progress gone.
    expect(main).not_to_contain_text("No chosen run has stored repeats", timeout=TRAIN_TIMEOUT)
    band = compare_chart(page, "Train loss across seeds")
    expect(band.locator('path[aria-roledescription="line mark"][aria-label*="seeds: 3"]')).to_have_count(1)
    expect(main).not_to_contain_text("Reopen or refresh")
    expect(progress).to_have_count(0)
    expect_no_traceback(page)
