"""The Compare page's body: pick stored runs, overlay their curves, diff their settings, share and export.

The comparison lives in the URL: `runs` (repeated run ids) and the view options are widgets bound
with `bind="query-params"`, so the address bar is always a share link. Before the widgets exist
the raw URL is checked here: a value that is not a run id is refused with a notice, and a well-formed
id this server does not store is named, never dropped silently.
"""

from __future__ import annotations

import datetime
import json
from urllib.parse import urlencode

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from core import compare, config
from core.config import model_label
from core.runs import BundleError, RunStore, RunSummary
from ui import compare_charts, plain, seed_bands
from ui.services import run_store

VIEW_KEYS = ("runs", "smoothing", "log_y", "x")
NOTICE_KEY = "compare_notice"
MISSING_KEY = "compare_missing"
MAX_SMOOTHING = 0.99
# Series whose values span orders of magnitude are always drawn on a log axis.
LOG_SERIES = ("first-step gradient ratio", "gradient norm ")


def label_of(run_id: str) -> str:
    """How charts and tables name a run: the start of its id, enough to tell runs apart."""
    return run_id[:8]


def _drop_param(key: str) -> None:
    try:
        del st.query_params[key]
    except (KeyError, StreamlitAPIException):
        pass  # a parameter bound to a widget is corrected by Streamlit itself


def check_link(store: RunStore) -> None:
    """Validate the raw URL once per change; remember what was refused and which runs are missing."""
    raw = {key: st.query_params.get_all(key) for key in st.query_params}
    signature = repr(sorted(raw.items()))
    if st.session_state.get("compare_checked") == signature:
        return
    st.session_state["compare_checked"] = signature
    messages = []
    for key in raw:
        if key not in VIEW_KEYS and key not in config.RESERVED_PARAMS:
            messages.append(f"Ignored unknown setting {key[:40]!r}.")
            _drop_param(key)
    ids, refused = compare.check_run_ids(raw.get("runs", []))
    if refused:
        messages.append("Ignored values that are not run ids (16 hex characters): "
                        + ", ".join(repr(value) for value in refused) + ".")
    missing = [identifier for identifier in ids if identifier not in store.summaries(ids)]
    if missing:
        st.session_state[MISSING_KEY] = missing
    if "smoothing" in raw:
        smoothing = _smoothing(raw["smoothing"][-1] if raw["smoothing"] else "")
        if smoothing is None:
            messages.append(f"Smoothing {raw['smoothing'][-1][:40]!r} is not a number from 0 to "
                            f"{MAX_SMOOTHING}; it was set to 0.")
            st.session_state["smoothing"] = 0.0
    if messages:
        st.session_state[NOTICE_KEY] = messages


def _smoothing(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0 <= value <= MAX_SMOOTHING else None


def show_notices() -> None:
    messages = st.session_state.get(NOTICE_KEY)
    if messages:
        st.warning("This link had values that could not be used as given, so they were left out:\n\n"
                   + "\n".join(f"- {plain.escape(message)}" for message in messages), icon=":material/link_off:")
    missing = st.session_state.get(MISSING_KEY)
    if missing:
        plain.warning("This server does not store {count} of the linked runs: {ids}. Import their bundles "
                      "below, or train their settings on the lab pages.", count=len(missing),
                      ids=", ".join(missing), icon=":material/cloud_off:")
    if (messages or missing) and st.button("Dismiss", key="dismiss_compare_notice"):
        st.session_state.pop(NOTICE_KEY, None)
        st.session_state.pop(MISSING_KEY, None)
        st.rerun()


def import_box(store: RunStore) -> None:
    """A bundle upload that stores the run and adds it to the comparison, once per uploaded file."""
    with st.expander("Import a run bundle"):
        upload = st.file_uploader("Run bundle (JSON, as exported here or by the CLI)", type=["json"],
                                  key="bundle_file")
        if upload is None or st.session_state.get("imported_file") == upload.file_id:
            return
        st.session_state["imported_file"] = upload.file_id
        try:
            identifier = store.import_bundle(upload.getvalue())
        except BundleError as error:
            plain.message(error, icon=":material/error:")
            return
        chosen = list(st.session_state.get("runs") or st.query_params.get_all("runs"))
        if identifier not in chosen:
            st.session_state["runs"] = [*chosen, identifier]
        plain.success("Imported run {run} and added it to the comparison.", run=identifier,
                      icon=":material/check_circle:")


def filtered(summaries: list[RunSummary]) -> list[RunSummary]:
    """The runs the table lists, after the task, cell and date filters."""
    left, middle, right = st.columns(3)
    task = left.selectbox("Task", ["all", *config.TASKS], key="filter_task")
    cells = middle.multiselect("Cells", list(config.CELLS), key="filter_cells",
                               format_func=lambda cell: config.CELL_LABELS.get(cell, cell))
    since = right.date_input("Updated since", value=None, key="filter_since")
    picked = []
    for summary in summaries:
        if task != "all" and summary.task != task:
            continue
        if cells and not set(cells) & {config.cell_of(name) for name in summary.cells}:
            continue
        if since is not None and datetime.date.fromtimestamp(summary.updated) < since:
            continue
        picked.append(summary)
    return picked


def run_table(summaries: list[RunSummary], params: dict[str, dict]) -> None:
    """The listed runs, with one column per setting that differs among them."""
    differing = compare.settings_diff({summary.run_id: params.get(summary.run_id, {}) for summary in summaries})
    rows = []
    for summary in summaries:
        row = {"run id": summary.run_id, "task": summary.task, "status": summary.status,
               "models": ", ".join(model_label(name) for name in summary.cells),
               "updated": datetime.datetime.fromtimestamp(summary.updated),
               "final metric": ", ".join(f"{model_label(name)} {value:.3f}"
                                         for name, value in summary.final_metrics.items() if value is not None)}
        row.update({name: _shown(values[summary.run_id]) for name, values in differing.items()})
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="run_table")


def _shown(value) -> str:
    if value is None:
        return "-"
    return ", ".join(value) if isinstance(value, list) else str(value)


def view_options() -> tuple[float, bool, str]:
    left, middle, right = st.columns(3)
    smoothing = left.slider("Smoothing", 0.0, MAX_SMOOTHING, 0.0, 0.01, key="smoothing", bind="query-params",
                            help="Debiased exponential moving average, as TensorBoard's; the raw curve "
                                 "stays faint behind.")
    log_y = middle.toggle("Log y", key="log_y", bind="query-params")
    x_axis = right.segmented_control("x axis", ["step", "wall time"], default="step", key="x",
                                     required=True, bind="query-params") or "step"
    return smoothing, log_y, x_axis


def series_order(rows: list[dict]) -> list[str]:
    """Every series the chosen runs hold: losses, metrics and scores first, gradients last."""
    names = list(dict.fromkeys(row["series"] for row in rows))
    rank = {"train loss": 0, "validation loss": 1}
    return sorted(names, key=lambda name: (rank.get(name, 2 if not name.startswith(("group ", "first", "gradient"))
                                                     else 3 if name.startswith("group ") else 4), names.index(name)))


def curves(rows: list[dict], runs: list[str], smoothing: float, log_y: bool, x_axis: str) -> None:
    columns = st.columns(2)
    for index, series in enumerate(series_order(rows)):
        chart = compare_charts.curve_chart(rows, series, series.capitalize(), runs, smoothing,
                                           log_y or series.startswith(LOG_SERIES), x_axis)
        columns[index % 2].altair_chart(chart, width="stretch")


def settings_table(params: dict[str, dict]) -> None:
    st.subheader("Settings that differ")
    differing = compare.settings_diff(params)
    if not differing:
        st.caption("The chosen runs have the same settings.")
        return
    frame = pd.DataFrame({label: {name: _shown(values[label]) for name, values in differing.items()}
                          for label in params})
    st.dataframe(frame, key="settings_diff")


def share_link(run_ids: list[str], smoothing: float, log_y: bool, x_axis: str) -> None:
    query = urlencode({"runs": run_ids, "smoothing": f"{smoothing:g}", "log_y": str(log_y).lower(), "x": x_axis},
                      doseq=True)
    st.markdown("**Share this comparison**: the link reopens these runs with these view options.")
    st.code(f"{st.context.url or ''}?{query}", language=None, wrap_lines=True)


def exports(store: RunStore, run_ids: list[str], rows: list[dict]) -> None:
    st.subheader("Export")
    left, right = st.columns(2)
    left.download_button("Curves as CSV", compare.to_csv(rows), file_name="comparison.csv", mime="text/csv",
                         on_click="ignore", icon=":material/download:", key="download_csv")
    chosen = right.selectbox("Run to export", run_ids, format_func=label_of, key="export_run")
    right.download_button("Run as JSON bundle", json.dumps(store.export_bundle(chosen)),
                          file_name=f"run-{chosen}.json", mime="application/json", on_click="ignore",
                          icon=":material/download:", key="download_bundle")


def render() -> None:
    store = run_store()
    check_link(store)
    show_notices()
    import_box(store)
    listed = filtered(store.list(limit=200))
    linked = list(store.summaries(compare.check_run_ids(st.query_params.get_all("runs"))[0]))
    options = list(dict.fromkeys([*linked, *(summary.run_id for summary in listed)]))
    run_table(listed, store.params_of([summary.run_id for summary in listed]))
    # No format_func: a bound multiselect writes its shown labels into the URL, and the link must hold full ids.
    run_ids = st.multiselect("Runs to compare", options, key="runs", bind="query-params",
                             placeholder="Choose runs from the table")
    if not run_ids:
        st.info("Choose one or more runs to overlay their curves.", icon=":material/stacked_line_chart:")
        return
    smoothing, log_y, x_axis = view_options()
    loaded = {identifier: store.load(identifier) for identifier in run_ids}
    stored = {identifier: run for identifier, run in loaded.items() if run is not None}
    labels = [label_of(identifier) for identifier in stored]
    rows = compare.comparison_rows({label_of(identifier): run.histories for identifier, run in stored.items()})
    curves(rows, labels, smoothing, log_y, x_axis)
    settings_table({label_of(identifier): run.params for identifier, run in stored.items()})
    seed_bands.render(store, stored, label_of)
    share_link(list(stored), smoothing, log_y, x_axis)
    exports(store, list(stored), rows)
