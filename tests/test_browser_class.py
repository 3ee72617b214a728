"""Acceptance 1 of issue 20 in Debian's Chromium: a teacher starts a class from the home page; three
students, each in their own browser context, join with names and train different settings in the
memory lab; the teacher's page shows each student's run with its settings and scores within 5 s of
it finishing; the class's CSV holds exactly the stored histories; closing the class ends the
student link with a clear message. No page a student sees ever holds the teacher's key.

Same rules as tests/test_browser.py (whose fixtures and helpers this module reuses): a private
server with one training slot, tiny experiments opened by URL, auto-waiting `expect`s, no sleeps.
"""

from __future__ import annotations

import csv
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from browser_support import button
from test_browser import (  # noqa: F401 - fixtures
    TINY,
    TRAIN_TIMEOUT,
    browser,
    expect,
    expect_no_traceback,
    lab_url,
    new_page,
    open_lab,
    query,
    server,
    server_log_is_clean,
    start_training,
)
from test_browser_layout import WIDTHS, measure_at_both_widths

from core.store import runs
from core.store.runs import RunStore
from core.tasks import experiment as config

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

# Three students, each moving a different setting away from the tiny run every one starts from.
STUDENTS = {"Ada": {"lr": "0.01"}, "Grace": {"hidden_size": "16"}, "Alan": {"distance": "12"}}
SHOWN = {"Ada": "lr 0.01", "Grace": "hidden_size 16", "Alan": "distance 12"}
SEED = "2001"
FINISH_TO_TEACHER_MS = 5_000


def start_class(page, server) -> tuple[str, str]:
    """The home page's Start a class: (student link, teacher link)."""
    page.goto(server.url(""))
    button(page, "Start a class").click()
    codes = page.get_by_test_id("stCode")
    expect(codes).to_have_count(2)
    student_link, teacher_link = (codes.nth(index).inner_text().strip() for index in range(2))
    assert "key=" not in student_link and "key=" in teacher_link
    return student_link, teacher_link


def join(page, student_link: str, name: str) -> str:
    """Open the student link, join under `name`; the student's token from the address."""
    page.goto(student_link)
    expect(page.get_by_role("heading", name="Join the class")).to_be_visible(timeout=30_000)
    page.get_by_label("Your name", exact=True).fill(name)
    button(page, "Join").click()
    expect(page).to_have_url(re.compile(r"[?&]student="))
    expect(page.get_by_role("heading", name="RNN Playground")).to_be_visible()
    return query(page)["student"][0]


def final_accuracy(store: RunStore, run_id: str, cell: str) -> float:
    return store.load(run_id).histories[cell].final_val_metric()


def test_a_class_from_start_to_close(server, new_page):
    teacher = new_page()
    student_link, teacher_link = start_class(teacher, server)
    code = parse_qs(urlsplit(student_link).query)["class"][0]
    key = parse_qs(urlsplit(teacher_link).query)["key"][0]
    teacher.goto(teacher_link)
    expect(teacher.get_by_role("heading", name="Your class")).to_be_visible(timeout=30_000)
    expect(teacher.get_by_text("No one has joined yet")).to_be_visible()

    store = RunStore(server.store_path)
    students, run_ids = {}, {}
    for name, settings in STUDENTS.items():
        page = new_page()
        token = join(page, student_link, name)
        if not students:
            # A page switch (which clears the address) keeps the student in the class.
            page.get_by_test_id("stSidebarNav").get_by_text("Compare", exact=True).click()
            expect(page.get_by_role("heading", name="Compare runs")).to_be_visible(timeout=30_000)
            expect(page).to_have_url(re.compile(rf"[?&]class={code}(&|$)"))
            expect(page.get_by_text(f"In class {code} as {name}", exact=False)).to_be_visible()
        params = {**TINY, **settings, "seed": SEED}
        open_lab(page, lab_url(server, {**params, "class": code, "student": token}))
        start_training(page)
        expect(page.get_by_text("Trained and saved as run")).to_be_visible(timeout=TRAIN_TIMEOUT)
        run_ids[name] = runs.run_id(config.from_params(params)[0])
        # Within 5 s of the student's page saying it finished, the teacher's page lists the run with
        # the setting this student changed and the scores the store holds.
        line = teacher.get_by_text(re.compile(rf"run {run_ids[name]}"))
        expect(line).to_be_visible(timeout=FINISH_TO_TEACHER_MS)
        expect(teacher.get_by_text(re.compile(rf"^{name}: 1 finished run$"))).to_be_visible()
        text = line.inner_text()
        assert SHOWN[name] in text and all(SHOWN[other] not in text for other in SHOWN if other != name)
        for cell, label in (("rnn", "RNN"), ("lstm", "LSTM")):
            assert f"{label} {final_accuracy(store, run_ids[name], cell):.3f}" in text
        students[name] = page
    expect(teacher.get_by_text(re.compile(r"of 3 have a run where the LSTM beats the RNN"))).to_be_visible()

    with teacher.expect_download() as download:
        button(teacher, "Class results as CSV").click()
    with open(download.value.path(), newline="") as handle:
        rows = list(csv.DictReader(handle))
    for name, run_id in run_ids.items():
        stored = store.load(run_id)
        for cell, label in (("rnn", "RNN"), ("lstm", "LSTM")):
            history = stored.histories[cell]
            mine = [row for row in rows if row["student"] == name and row["run id"] == run_id and row["model"] == label]
            loss = [(int(row["step"]), float(row["value"])) for row in mine if row["series"] == "train loss"]
            accuracy = [(int(row["step"]), float(row["value"])) for row in mine
                        if row["series"] == "validation accuracy"]
            assert loss == list(zip(history.steps, history.train_loss))
            assert accuracy == list(zip(history.eval_steps, history.val_metric))

    # The teacher's page of a real class fits a phone and a desktop, charts and all.
    assert measure_at_both_widths(teacher) == {width: [] for width in WIDTHS}
    button(teacher, "Close the class").click()
    expect(teacher.get_by_text(re.compile(r"closed since"))).to_be_visible()
    for page in students.values():
        assert key not in page.url and key not in page.content()
        page.reload()
        expect(page.get_by_text(re.compile("closed by its teacher"))).to_be_visible(timeout=30_000)
        expect(page.get_by_role("button", name=re.compile("Train"))).to_have_count(0)
        expect_no_traceback(page)
