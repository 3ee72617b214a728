"""Streamlit's `/_stcore/metrics` endpoint, kept from telling strangers about other visitors.

The endpoint answers anyone who asks, and Streamlit 1.67 has no setting to turn it off (only
`server.enableExpensiveMemoryStats` and `server.unsafeMetricsUserAttributes`, which .streamlit/
config.toml keeps off and empty). It reported the bytes of files visitors had uploaded (176 MB
13 minutes after their sessions closed), each cached function's entries and bytes, its lookups and
compute times, and session counts and durations: what others are doing on the server. So once per
server the app takes every statistics provider off Streamlit's statistics manager, and the endpoint
answers with no metrics. An operator who wants them serves the app behind a proxy that keeps
`/_stcore/metrics` to itself and removes this call (README, "Hosting").

This reaches into Streamlit's runtime (`StatsManager._providers_by_family`): streamlit is pinned,
and tests/test_upload_share.py fails if a new version moves it.
"""

from __future__ import annotations

import logging

import streamlit as st
from streamlit.runtime import Runtime

logger = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def keep_private() -> list[str]:
    """Take every provider off the endpoint, once per server; the families it no longer reports."""
    return withdraw(Runtime.instance() if Runtime.exists() else None)


def withdraw(runtime) -> list[str]:
    """Remove every statistics provider from `runtime`'s statistics manager; their families."""
    manager = getattr(runtime, "stats_mgr", None)
    providers = getattr(manager, "_providers_by_family", None)
    if not isinstance(providers, dict):
        if type(runtime) is Runtime:  # not a test's stand-in (AppTest's runtime is a mock)
            logger.warning("Streamlit's statistics manager has changed; /_stcore/metrics still reports.")
        return []
    families = sorted(providers)
    providers.clear()
    return families
