"""What a visitor sees when a page fails: one short message with an id; the traceback goes to the log.

A traceback names the server's files and the code's inner workings, and says nothing a visitor can
act on. On a served app (not under AppTest, where tests must see the exception itself, and not
when the operator asked for full error details) a page's uncaught exception becomes an id shown
on the page and logged with the whole traceback, so the operator can find it from the visitor's
report. Streamlit's own handler, set to "none" in .streamlit/config.toml, covers what runs outside
this guard (fragments). Streamlit's rerun and stop signals are BaseExceptions and pass through.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.runtime import Runtime

logger = logging.getLogger("rnn_playground.errors")


def hosted() -> bool:
    """True on a served app whose operator has not asked visitors to see full error details."""
    return Runtime.exists() and st.get_option("client.showErrorDetails") != "full"


def contain(body: Callable[[], Any], contained: bool | None = None) -> None:
    """Run `body`; when `contained` (default: `hosted()`), an exception becomes a message and an id."""
    if not (hosted() if contained is None else contained):
        body()
        return
    try:
        body()
    except Exception as error:  # noqa: BLE001 - every failure is reported, none is shown in full
        identifier = uuid.uuid4().hex[:8]
        logger.error("Page failed, error id %s", identifier, exc_info=error)
        st.error(f"Something went wrong on this page (error id {identifier}). Reload to try again; if it "
                 "keeps happening, tell the person who runs this server the error id.", icon=":material/error:")


def run(page: Any) -> None:
    """Run a page from st.navigation inside the guard."""
    contain(page.run)
