"""Reports that open anywhere: a stored run as one HTML file, with its charts as SVG, the explanation,
the settings and the share link, escaping whatever came from outside, and nothing that loads."""

from __future__ import annotations

import re

import pytest
from golden_runs import experiment_of
from test_plain_text import HOST, PAYLOADS

from core.report.html_page import Figure, UnsafeFigure, checked_svg, report_html, sentence_html
from core.store.runs import RunStore, StoredRun
from core.tasks.registry import task, task_names
from core.training.trainer import prepare, run_interleaved
from ui import charts, lab, run_report

# Anything a browser would fetch or run: a report holds none of these.
LOADS = re.compile(r"<script|<link|<iframe|<img|src\s*=|url\(|@import|https?://(?!localhost)", re.IGNORECASE)


def trained_run(name: str, store: RunStore, status: str | None = None) -> tuple[object, StoredRun]:
    """The lesson's golden run, trained here, saved and read back as a page reads it."""
    experiment = experiment_of(name)
    trainers = prepare(experiment)
    run_interleaved(trainers)
    if status is not None:
        for trainer in trainers:
            trainer.history.status = status
    identifier = store.save(experiment, {trainer.cell: trainer.history for trainer in trainers})
    return experiment, store.load(identifier)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> RunStore:
    return RunStore(tmp_path_factory.mktemp("reports") / "runs.sqlite")


@pytest.fixture(scope="module", params=task_names())
def report(request, store):
    experiment, stored = trained_run(request.param, store)
    parts = lab.parts_of(request.param)
    explain = parts.explain or task(request.param).explain
    baselines = parts.baselines(experiment) if parts.baselines else {}
    text = run_report.run_report(experiment, stored, explain, baselines, parts.position_label,
                                 f"http://localhost:8501/{request.param}?seed=3")
    return request.param, experiment, stored, text


def test_a_run_report_holds_every_chart_the_sentences_and_the_settings_and_loads_nothing(report):
    name, experiment, stored, text = report
    figures = re.findall(r"<figure><figcaption>(.*?)</figcaption><svg", text)
    histories = list(stored.histories.values())
    charts = run_report.report_charts(histories, {}, "steps back")
    assert len(figures) == len(charts) >= 5
    assert "Loss" in figures and all(figure for figure in figures)
    assert f"run {stored.run_id}" in text and "?seed=3" in text
    for label, value in run_report.settings_rows(experiment):
        assert f"<th>{label}</th><td>{value}</td>" in text
    assert "What this run shows" in text
    # Namespace names (xmlns="http://www.w3.org/2000/svg") are names, not addresses anything loads.
    bare = re.sub(r'xmlns(:\w+)?="[^"]*"', "", text).replace("http://localhost:8501/", "")
    assert not LOADS.search(bare), LOADS.search(bare)


def test_outside_text_is_escaped_and_only_our_bold_is_markup():
    for payload in PAYLOADS:
        shown = sentence_html(f"**RNN** stopped: {payload}")
        assert shown.startswith("<strong>RNN</strong> stopped: ")
        assert "<script" not in shown and "<img" not in shown and "<a " not in shown
    page = report_html(f"<b>{HOST}</b>", "today", f"javascript:alert(1)<{HOST}>", [PAYLOADS[2]], [],
                       [("<i>name</i>", PAYLOADS[3])])
    assert "<b>" not in page and "<i>name" not in page and "<img" not in page and "<script>" not in page


@pytest.mark.parametrize("svg", ['<svg><script>alert(1)</script></svg>', '<svg onload="x()"></svg>',
                                 '<svg><image href="http://evil.example/x.png"/></svg>',
                                 '<svg><a xlink:href="http://evil.example">x</a></svg>'])
def test_a_chart_that_could_run_or_fetch_anything_is_refused(svg):
    with pytest.raises(UnsafeFigure):
        checked_svg(svg)
    with pytest.raises(UnsafeFigure):
        report_html("t", "now", "link", [], [Figure("chart", svg)], [])


def test_a_run_that_did_not_finish_says_so(tmp_path):
    experiment, stopped = trained_run("memory", RunStore(tmp_path / "runs.sqlite"), status="stopped")
    text = run_report.run_report(experiment, stopped, None, {}, "steps back", "link")
    assert "This run did not finish: it was stopped." in text


def test_a_comparison_report_names_each_run_and_holds_its_charts(store):
    first = trained_run("memory", store)[1]
    second = trained_run("sentiment", store)[1]
    shown = {first.run_id: first, second.run_id: second}
    names = {first.run_id: f"lr 0.01 {PAYLOADS[0]}", second.run_id: "sentiment"}
    drawn = {"Loss": charts.loss_chart(list(first.histories.values())),
             "Accuracy": charts.metric_chart(list(second.histories.values()))}
    text = run_report.comparison_report(drawn, shown, names.__getitem__, "http://localhost:8501/compare?runs=x")
    assert text.count("<figure>") == 2 and "Comparison of 2 runs" in text
    assert f"run <code>{first.run_id}</code> of the memory lesson, finished" in text
    assert "<strong>lr 0.01 ![t](http://evil.example/x.png)</strong>" in text  # shown, as text
    assert "<img" not in text


def comparison_file(store, folder) -> tuple:
    """A comparison report of two stored runs, written to a file, and its number of charts."""
    first, second = trained_run("memory", store)[1], trained_run("handwriting", store)[1]
    drawn = {"Loss": charts.loss_chart([*first.histories.values(), *second.histories.values()]),
             "Gradient": charts.ratio_chart(list(first.histories.values()))}
    path = folder / "comparison.html"
    path.write_text(run_report.comparison_report(drawn, {first.run_id: first, second.run_id: second},
                                                 lambda identifier: identifier, "link"), encoding="utf-8")
    return path, len(drawn)
