"""Share links: the page's address with every experiment setting spelled out.

The address bar drops settings at their defaults; a shared link spells them all out, so it still
reproduces the run if a default changes later.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from core.tasks import experiment as config
from core.tasks.experiment import Experiment


def query_string(experiment: Experiment) -> str:
    params = {key: value for key, value in config.link_params(experiment).items() if key != "task"}
    return urlencode(params, doseq=True)


def share_url(experiment: Experiment) -> str:
    """The absolute link when the browser told us its address, else one relative to this page."""
    base = st.context.url or ""
    return f"{base}?{query_string(experiment)}"


def share_box(experiment: Experiment) -> None:
    st.markdown("**Share this experiment**: the link reopens these exact settings "
                "(and, once trained, the finished curves).")
    st.code(share_url(experiment), language=None, wrap_lines=True)
