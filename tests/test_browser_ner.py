"""The named-entity page in Debian's Chromium: train tiny taggers, type a sentence, read each model's
tags with their confidence and where the forward and bidirectional readers disagree.

Same rules as tests/test_browser.py (whose fixtures this module reuses): a private server with one
training slot, a tiny experiment opened by URL, auto-waiting `expect`s, no sleeps.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from browser_support import store_trained_run
from test_browser import (  # noqa: F401 - fixtures
    TRAIN_TIMEOUT,
    browser,
    expect,
    expect_no_traceback,
    new_page,
    page,
    server,
    server_log_is_clean,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

TINY = {"steps": "60", "hidden_size": "16", "train_size": "400", "eval_every": "20", "probe_every": "20",
        "embedding_size": "8", "cells": ["RNN", "BiLSTM"], "seed": "801"}


def test_a_typed_sentence_is_tagged_word_by_word_by_each_model(server, page):
    # Trained here and stored where the server reads: training through the page is what
    # tests/test_browser.py covers; this test is about reading a typed sentence.
    store_trained_run(server, {**TINY, "task": "ner"})
    page.goto(server.url("named_entities") + "?" + urlencode(TINY, doseq=True))
    expect(page.get_by_text("Loaded finished run")).to_be_visible(timeout=TRAIN_TIMEOUT)
    expect(page.get_by_role("heading", name="Type a sentence")).to_be_visible()
    box = page.get_by_label("A sentence to tag")
    box.fill("Garcia scored twice in Madrid .")
    box.press("Enter")
    # A static table: the header, then a row per word.
    table = page.get_by_test_id("stTable").filter(has_text="forward vs both ways")
    rows = table.locator("tr")
    expect(rows).to_have_count(1 + 6)
    for column in ("word", "RNN", "BiLSTM", "forward vs both ways"):
        expect(rows.first).to_contain_text(column)
    expect(rows.nth(1)).to_contain_text(re.compile(r"Garcia\s*[BIO][-A-Z]*\s*\d+%"))
    expect(rows.nth(5)).to_contain_text("Madrid")
    expect(page.get_by_role("heading", name="Which words a tag's error reaches")).to_be_visible()
    expect_no_traceback(page)
