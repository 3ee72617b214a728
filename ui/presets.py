"""The lessons' presets (each task record's `presets`) as links: on the home page and on each lesson's page."""

from __future__ import annotations

import streamlit as st

from core.tasks.registry import task


def preset_links(name: str) -> None:
    """Each preset of a lesson as a link that opens its page on the preset's settings (a share link)."""
    page = task(name).page
    for preset in task(name).presets:
        with st.container(border=True):
            st.markdown(f"**{preset.title}**: {preset.description}")
            st.page_link(page.path, label=f"Open in the {_page_noun(page.title)}", icon=":material/arrow_forward:",
                         query_params=preset.params)


def _page_noun(title: str) -> str:
    """How a link names a page: "memory lab", "sentiment page" (a title that is not a place gets "page")."""
    return title.lower() if title.lower().endswith("lab") else f"{title.lower()} page"
