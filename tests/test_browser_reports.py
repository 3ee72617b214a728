"""Reports open anywhere: each lesson's run report, a comparison's and a class's, opened from a file in
Debian's Chromium with the network off, show every chart and their text, and ask for nothing (issue
20, acceptance 4). No server is started: the report is the file."""

from __future__ import annotations

import re

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, require_chromium
from test_class_pages import classes, stored_run_of_seed
from test_reports import comparison_file, store, trained_run  # noqa: F401 - the module's run store fixture

from core.tasks.registry import task, task_names
from ui import lab, run_report

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_every_lessons_report_and_a_comparison_show_their_charts_and_text_offline(store, tmp_path):  # noqa: F811
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    files = {}
    for name in task_names():
        experiment, stored = trained_run(name, store)
        parts = lab.parts_of(name)
        explain = parts.explain or task(name).explain
        baselines = parts.baselines(experiment) if parts.baselines else {}
        text = run_report.run_report(experiment, stored, explain, baselines, parts.position_label,
                                     f"http://localhost:8501/{name}")
        files[name] = (tmp_path / f"{name}.html", len(re.findall("<figure>", text)))
        files[name][0].write_text(text, encoding="utf-8")
    files["comparison"] = comparison_file(store, tmp_path)
    files["class"] = class_file(tmp_path)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(offline=True)
        requests = []
        context.on("request", lambda request: requests.append(request.url))
        page = context.new_page()
        for name, (path, count) in files.items():
            page.goto(path.as_uri())
            heading = {"comparison": "The runs", "class": "The class"}.get(name, "What this run shows")
            expect(page.get_by_role("heading", name=heading)).to_be_visible()
            charts = page.locator("figure svg")
            expect(charts).to_have_count(count)
            for index in range(count):
                box = charts.nth(index).bounding_box()
                assert box and box["width"] > 100 and box["height"] > 50, (name, index, box)
                # Drawn, not empty: vl-convert's marks are paths and text inside the SVG.
                assert charts.nth(index).locator("path, text").count() > 5, (name, index)
        browser.close()
    assert all(url.startswith("file://") for url in requests), requests


def class_file(folder):
    """A class of two students with a finished run each, as the teacher page's report."""
    from ui.class_teacher import class_report

    info, _ = classes().create()
    for index, name in enumerate(["Ada", "Grace"]):
        student, _ = classes().join(info.code, name)
        classes().record_run(student, stored_run_of_seed(50 + index), f"offline-{index}")
    path = folder / "class.html"
    text = class_report(info.code, f"http://localhost:8501/?class={info.code}")
    path.write_text(text, encoding="utf-8")
    assert "Ada" in text and "Grace" in text
    assert len(re.findall("<figure>", text)) == 2  # the latest runs' validation accuracy and train loss
    return path, 2
