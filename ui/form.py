"""Experiment controls built from the config's field metadata, each bound to the URL.

The address bar always holds the experiment: every widget uses `bind="query-params"` with the
setting's own name as its key. Before the widgets exist, the raw URL goes through the same
validator as the CLI, so a tampered link opens with its bad values reset and a notice listing them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.nn.cells import CELL_LABELS
from core.settings.fields import Setting
from core.tasks import experiment as config
from core.tasks.experiment import Experiment
from ui import plain, presets

NOTICE_KEY = "url_notice"
# Settings to apply on the next run, before the widgets exist (those an upload box chose for a file).
PENDING_KEY = "pending_settings"
# Settings that belong to the experiment but are rarely touched; they sit in an expander.
ADVANCED = ("optimizer", "clip", "dropout", "forget_bias", "eval_every", "probe_every")


def check_url(task: str) -> None:
    """Validate the raw URL once per change; correct bad values and remember what was wrong.

    On the first run the widgets are not bound yet, so the URL can still be corrected here and
    the widgets then open on the clean values.
    """
    raw = {key: st.query_params.get_all(key) for key in st.query_params}
    pending = st.session_state.pop(PENDING_KEY, None) or {}
    if pending:
        # Bound widgets own their URL parameters: they open on these values and write them there.
        chosen = config.from_params({**raw, **pending, "task": task})[0]
        for key in pending:
            value = config.value_of(chosen, key)
            st.session_state[key] = list(value) if isinstance(value, tuple) else value
    signature = repr(sorted(raw.items()))
    if st.session_state.get("url_checked") == signature:
        return
    st.session_state["url_checked"] = signature
    # The page decides the task; a "task" in the link cannot move it to another one.
    experiment, messages = config.from_params({**raw, "task": task})
    clean = config.to_params(experiment)
    for key in config.idle_settings(experiment) & set(raw):
        # Not shown for this data source, so not left in the address a visitor copies either.
        try:
            del st.query_params[key]
        except StreamlitAPIException:
            pass
        raw.pop(key)
    for key, values in raw.items():
        if key in config.RESERVED_PARAMS:
            continue
        wanted = clean.get(key)
        # A value the validator accepts in another spelling ("rnn", "ADAM", "0.10") is written back
        # in the widget's own: Streamlit resets a bound widget to its default, with no word, when the
        # URL's value is not one of its options as they are written.
        if not messages and (wanted is None or _as_list(wanted) == values):
            continue
        try:
            if wanted is None:
                del st.query_params[key]
            elif _as_list(wanted) != values:
                st.query_params[key] = wanted
        except StreamlitAPIException:
            pass  # a parameter already bound to a widget is corrected by Streamlit itself
        if key in clean and key != "task":
            # The widget seeds itself from the URL it was opened with, and Streamlit resets (not
            # clamps) a value it rejects; session state makes it open on our clean value instead.
            value = config.value_of(experiment, key)
            st.session_state[key] = list(value) if isinstance(value, tuple) else value
    if messages:
        st.session_state[NOTICE_KEY] = messages
    seed_widgets_from_clean_url()


def seed_widgets_from_clean_url() -> None:
    """Make the widgets bound to the URL seed themselves from the URL as corrected, not as opened.

    Streamlit seeds a bound widget from a copy of the query string it took when the page loaded,
    and parses it before any check of ours can run: `seed=1e999` or 65,000 nines raised
    OverflowError inside number_input's parser (it catches only ValueError and TypeError). So
    after the raw URL is validated and corrected, that copy is replaced by the corrected URL.
    This reaches into Streamlit's session state: streamlit is pinned, and the suite's extreme-URL
    tests fail if a new version moves it.
    """
    context = get_script_run_ctx()
    if context is None:
        return
    current = {key: st.query_params.get_all(key) for key in st.query_params}
    with context.session_state.query_params() as params:
        params.set_initial_query_params(urlencode(current, doseq=True))


def show_notice() -> None:
    messages = st.session_state.get(NOTICE_KEY)
    if not messages:
        return
    with st.container(border=True):
        st.warning("This link had settings that could not be used as given, so they were reset:\n\n"
                   + "\n".join(f"- {plain.escape(message)}" for message in messages), icon=":material/link_off:")
        if st.button("Dismiss", key="dismiss_notice"):
            st.session_state.pop(NOTICE_KEY, None)
            st.rerun()


def lab_controls(task: str, locked: frozenset[str] = frozenset(), lock_note: str = "",
                 notices: tuple[str, ...] | list[str] = ()) -> Experiment:
    """A lab page's opening: the sidebar controls (the `locked` ones disabled, under `lock_note`), the
    notice about a link's bad values (and `notices`, e.g. a guided lesson's), its presets."""
    experiment = experiment_controls(task, locked, lock_note)
    if notices:
        st.session_state[NOTICE_KEY] = [*(st.session_state.get(NOTICE_KEY) or []), *notices]
    show_notice()
    with st.expander("Presets: share links to start from"):
        presets.preset_links(task)
    return experiment


def experiment_controls(task: str = "memory", locked: frozenset[str] = frozenset(), lock_note: str = "") -> Experiment:
    """Sidebar widgets for every setting; returns the experiment they describe."""
    check_url(task)
    fields = config.parameter_fields(task)
    values: dict[str, Any] = {"task": task}
    sidebar = st.sidebar
    sidebar.header("Experiment")
    if lock_note:
        sidebar.info(lock_note, icon=":material/lock:")
    for name, (_, spec) in fields.items():
        if spec.metadata["pattern"] is not None:
            # Keys of uploaded files get no widget: the upload box writes them into the URL.
            values[name] = st.query_params.get(name, "")
            continue
        if name in ADVANCED:
            continue
        values[name] = _widget(sidebar, name, spec, values.get("source"), name in locked)
    with sidebar.expander("More settings"):
        for name in ADVANCED:
            values[name] = _widget(st, name, fields[name][1], values.get("source"), name in locked)
    idle = [spec.metadata["label"] for _, spec in fields.values() if _idle(spec, values.get("source"))]
    if idle:
        sidebar.caption(plain.fill("Not used with this data, so not shown: {settings}.", settings=", ".join(idle)))
    experiment, _ = config.from_params({k: config.format_value(v, k) for k, v in values.items()})
    return experiment


def _as_list(value: Any) -> list[str]:
    return list(value) if isinstance(value, list) else [value]


def _idle(spec: Setting, source: str | None) -> bool:
    """Whether a setting applies only to data sources other than the chosen one."""
    sources = spec.metadata["sources"]
    return source is not None and sources is not None and source not in sources


def _widget(place: Any, name: str, spec: Setting, source: str | None = None, locked: bool = False) -> Any:
    meta = spec.metadata
    if _idle(spec, source):
        # Hidden, not greyed: it takes its default (core/tasks/experiment.py), so a greyed value
        # would name a language or font the user's file does not have.
        return spec.default
    help_text = f"{meta['help']} Locked by the guided lesson's step." if locked else meta["help"]
    common = {"key": name, "help": help_text, "bind": "query-params", "disabled": locked}
    default = spec.default
    if meta["many"]:
        chosen = place.multiselect(meta["label"], options=list(meta["choices"]), default=list(default),
                                   format_func=lambda cell: CELL_LABELS.get(cell, cell), **common)
        return tuple(chosen) or default
    if meta["choices"] is not None:
        return place.segmented_control(meta["label"], options=list(meta["choices"]), default=default,
                                       required=True, **common) or default
    if meta["options"] is not None:
        return place.select_slider(meta["label"], options=list(meta["options"]), value=default,
                                   format_func=lambda value: f"{value:g}", **common)
    if isinstance(default, int) and meta["high"] > 10_000:
        return place.number_input(meta["label"], min_value=int(meta["low"]), max_value=int(meta["high"]),
                                  value=default, step=1, **common)
    if isinstance(default, int):
        return place.slider(meta["label"], min_value=int(meta["low"]), max_value=int(meta["high"]),
                            value=default, step=1, **common)
    return place.slider(meta["label"], min_value=float(meta["low"]), max_value=float(meta["high"]),
                        value=float(default), step=float(meta["step"] or 0.01), **common)
