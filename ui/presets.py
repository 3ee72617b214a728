"""The preset experiments (core/tasks/presets.py) as links: on the home page and on each task's page."""

from __future__ import annotations

import streamlit as st

from core.tasks.presets import PRESETS, Preset, of_task  # noqa: F401  (the pages and tests read them here)

PAGES = {
    "memory": ("pages/memory_lab.py", "memory lab"),
    "sentiment": ("pages/sentiment.py", "sentiment page"),
    "handwriting": ("pages/handwriting.py", "handwriting page"),
    "translation": ("pages/translation.py", "translation page"),
}


def preset_links(task: str) -> None:
    """Each preset of a page as a link that opens the page on its settings (a share link)."""
    path, name = PAGES[task]
    for preset in of_task(task):
        with st.container(border=True):
            st.markdown(f"**{preset.title}**: {preset.description}")
            st.page_link(path, label=f"Open in the {name}", icon=":material/arrow_forward:",
                         query_params=preset.params)
