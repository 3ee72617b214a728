"""The next-word page in Debian's Chromium: live samples appear and change while the models train,
read from the job's snapshots, then a typed prompt gets each model's next-word probabilities.

Same rules as tests/test_browser.py (whose fixtures this module reuses): a private server with one
training slot, tiny experiments opened by URL, waits that are auto-waiting `expect`s, no sleeps.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from browser_support import button
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

# Long enough that several probes (each writes a sample) pass while the page watches.
LIVE = {"steps": "900", "hidden_size": "32", "batch_size": "32", "eval_every": "30", "probe_every": "30",
        "gap": "4", "seed": "611", "cells": ["RNN", "LSTM"]}


def test_live_samples_change_while_training_and_a_prompt_is_read_after(server, page):
    page.goto(server.url("next_word") + "?" + urlencode(LIVE, doseq=True))
    expect(page.get_by_role("heading", name="Next word")).to_be_visible(timeout=30_000)
    button(page, "Train").click()
    expect(page.get_by_role("heading", name="Live samples")).to_be_visible(timeout=TRAIN_TIMEOUT)
    samples = page.get_by_test_id("stCode").filter(has_text="⟶")
    expect(samples).to_have_count(2)
    first = samples.nth(1).inner_text()
    assert first.startswith("i grew up in") or first.startswith("the ")
    # A later probe's sample replaces it while training goes on: the text changes with the weights.
    expect(samples.nth(1)).not_to_have_text(first, timeout=TRAIN_TIMEOUT)
    expect(page.get_by_text("Trained and saved as run")).to_be_visible(timeout=TRAIN_TIMEOUT)
    expect(page.get_by_role("heading", name="Samples at the end of training")).to_be_visible()
    expect(page.get_by_test_id("stTable").filter(has_text="probability")).to_have_count(2)  # each model's likeliest next words
    continuation = page.get_by_test_id("stCode").last
    before = continuation.inner_text()
    prompt = page.get_by_role("textbox", name="Prompt")
    prompt.fill("the dogs that we saw and then")
    prompt.press("Enter")
    expect(continuation).not_to_have_text(before)  # the models continue the new prompt
    expect_no_traceback(page)
