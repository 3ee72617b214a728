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
