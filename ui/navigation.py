"""The app's pages, declared once, and the cold-server case of a link that opens a page first.

Streamlit runs a file in pages/ straight from the URL on the first request after a server start,
before app.py has ever declared its navigation (the old folder-based multipage mode). Every page
file therefore begins with `declare_if_cold()`: when app.py's navigation has not run yet in this
process, the page declares the same navigation itself, hidden, and reruns. Declaring it switches
Streamlit to navigation mode for good, so the rerun goes through app.py (page config, sidebar,
the page the link names, its settings) and every later request does too.
"""

from __future__ import annotations

import threading

import streamlit as st

from ui import guard

PAGES = (
    ("pages/home.py", "Home", ":material/home:"),
    ("pages/memory_lab.py", "Memory lab", ":material/memory:"),
    ("pages/sentiment.py", "Sentiment", ":material/reviews:"),
    ("pages/handwriting.py", "Handwriting", ":material/draw:"),
    ("pages/translation.py", "Translation", ":material/translate:"),
    ("pages/compare.py", "Compare", ":material/compare_arrows:"),
)
# Set once app.py's navigation has run in this server process; never cleared.
_DECLARED = threading.Event()


def pages() -> list:
    return [st.Page(path, title=title, icon=icon, default=index == 0)
            for index, (path, title, icon) in enumerate(PAGES)]


def run() -> None:
    """app.py's navigation: the sidebar over every page, then the page the URL names (guarded, so a
    failing page shows visitors an error id rather than a traceback)."""
    navigation = st.navigation(pages())
    _DECLARED.set()
    guard.run(navigation)


def declare_if_cold() -> None:
    """First line of every page file: on a cold server, declare the navigation and rerun via app.py."""
    if not _DECLARED.is_set():
        st.navigation(pages(), position="hidden")
        st.rerun()
