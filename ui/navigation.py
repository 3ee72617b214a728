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

from core.tasks.registry import tasks
from ui import class_student, guard, metrics, upload_memory

# The pages around the lessons; each lesson's page comes from its task record, in its order.
HOME = ("pages/home.py", "Home", ":material/home:")
COMPARE = ("pages/compare.py", "Compare", ":material/compare_arrows:")
# A class's teacher page (ui/class_teacher.py); it shows a class only with the teacher link's key.
TEACHER = ("pages/class_teacher.py", "Class (teacher)", ":material/school:")
# Set once app.py's navigation has run in this server process; never cleared.
_DECLARED = threading.Event()


def configure_page() -> None:
    """The page config every page gets, set before the navigation is declared: the browser takes the
    favicon from the first of the two to arrive, and a page's Material icon is fetched from Google's
    servers (a cold server's first request, which declares the navigation itself, leaked it)."""
    # An emoji, not a Material icon, for the same reason.
    st.set_page_config(page_title="RNN Playground", page_icon="🧠", layout="wide")


def page_entries() -> list[tuple[str, str, str]]:
    """(path, title, icon) of every page in sidebar order: home, each lesson, compare, a class's teacher."""
    lessons = [(record.page.path, record.page.title, record.page.icon) for record in tasks()]
    return [HOME, *lessons, COMPARE, TEACHER]


def pages() -> list:
    return [st.Page(path, title=title, icon=icon, default=index == 0)
            for index, (path, title, icon) in enumerate(page_entries())]


def run() -> None:
    """app.py's navigation: the sidebar over every page, then the page the URL names (guarded, so a
    failing page shows visitors an error id rather than a traceback)."""
    navigation = st.navigation(pages())
    _DECLARED.set()
    metrics.keep_private()
    upload_memory.release_closed_sessions()
    guard.run(navigation)


def declare_if_cold(class_gate: bool = True) -> None:
    """First line of every page file: on a cold server, declare the navigation and rerun via app.py.

    Then a class link's gate (ui/class_student.py): a student who opened one picks a name before the
    page runs, and a closed class's link says so instead of running it. It sits here, in the page,
    because a page can also run without app.py (the cold case above, and AppTest's page switches).
    The teacher's page passes class_gate=False: its link carries the teacher's key, not a student.
    """
    if not _DECLARED.is_set():
        configure_page()
        st.navigation(pages(), position="hidden")
        st.rerun()
    if class_gate and not class_student.admit():
        st.stop()
