"""The hosted configuration in .streamlit/config.toml, read by Streamlit's own config loader."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit import config as streamlit_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def server_options():
    """Streamlit's options as `streamlit run app.py` from the repository root would read them."""
    previous = os.getcwd()
    os.chdir(ROOT)
    try:
        streamlit_config.get_config_options(force_reparse=True)
        yield streamlit_config.get_option
    finally:
        os.chdir(previous)
        streamlit_config.get_config_options(force_reparse=True)


def test_no_full_garbage_collection_after_each_rerun(server_options):
    # Measured with 8 sessions training: the post-run collection starved every job (issue 11).
    assert server_options("runner.postScriptGC") is False


def test_visitors_see_no_error_details(server_options):
    # "full" showed visitors tracebacks with the server's paths (issue 9).
    assert server_options("client.showErrorDetails") == "none"


def test_the_metrics_endpoint_publishes_counts_only(server_options):
    assert server_options("server.enableExpensiveMemoryStats") is False
    assert server_options("server.unsafeMetricsUserAttributes") == []


def failing_page() -> None:
    from ui import guard

    def page() -> None:
        raise ZeroDivisionError("secret /srv/app/core/models.py detail")

    guard.contain(page, contained=True)


def test_a_failing_page_shows_an_error_id_and_logs_the_traceback(caplog):
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_function(failing_page)
    with caplog.at_level("ERROR", logger="rnn_playground.errors"):
        app.run()
    assert not app.exception
    [message] = [error.value for error in app.error]
    identifier = message.split("error id ")[1].split(")")[0]
    assert len(identifier) == 8 and "secret" not in message and "ZeroDivisionError" not in message
    [record] = [r for r in caplog.records if identifier in r.getMessage()]
    assert record.exc_info and "secret" in str(record.exc_info[1])
