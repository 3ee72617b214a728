"""The Compare page's body: pick stored runs, overlay their curves or set them out in small multiples,
diff their settings, share and export.

The comparison lives in the URL: the view options are widgets bound with `bind="query-params"`, and
the page writes the chosen run ids (`runs`, repeated) itself, so the address bar is always a share
link while the picker, legends and tables name runs by the settings that set them apart;
ui/compare_link.py checks the raw URL before the widgets exist and keeps the runs' settings in it. Only the chosen runs'
histories are read from the store (never their weights), once per run and store change.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import altair as alt
import pandas as pd
import streamlit as st

from core.nn.cells import CELL_LABELS, CELLS, cell_of, model_label
from core.report import compare
from core.report.order import numeric_order
from core.settings import environment
from core.store.bundles import BundleError
from core.store.runs import DamagedRun, RunStore, RunSummary, StoredRun
from core.tasks.registry import task_names
from ui import chart_style, compare_charts, compare_export, compare_link, figures, ghosts, plain, run_report, seed_bands
from ui.compare_link import MAX_SMOOTHING, MISSING_KEY, NOTICE_KEY, VIEW_KEYS  # noqa: F401 (kept for importers)
from ui.services import run_store

# Series whose values span orders of magnitude are always drawn on a log axis.
LOG_SERIES = ("first-step gradient ratio", "gradient norm ")


def picker_label(store: RunStore, options: list[str]):
    """How the picker names a run: the settings that set it apart from the other runs it lists,
    then the start of its id."""
    params = store.params_of(options)
    names = compare.run_names({identifier: params.get(identifier, {}) for identifier in options})
    imported = {identifier for identifier, summary in store.summaries(options).items() if summary.imported}

    def label(run_id: str) -> str:
        return f"{'imported: ' if run_id in imported else ''}{names.get(run_id, run_id)} · {run_id[:8]}"

    return label


def first_choice(linked: list[str], known: dict) -> list[str]:
    """The runs chosen when the page opens: the link's, else the runs pinned on the lab pages."""
    if linked:
        return [identifier for identifier in linked if identifier in known]
    return list(dict.fromkeys(identifier for task in task_names() for identifier in ghosts.pins(task)))


def import_box(store: RunStore) -> None:
    """A bundle upload that stores the run and adds it to the comparison, once per uploaded file."""
    with st.expander("Import a run bundle"):
        if environment.read("RNN_PLAYGROUND_IMPORTS") == "off":
            st.caption("This server does not import run bundles; it shows only runs trained on it.")
            return
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
        plain.success("Imported run {run} and added it to the comparison. It is marked imported: its curves come "
                      "from the bundle, not from training here, and a link to its settings does not open it.",
                      run=identifier, icon=":material/check_circle:")


def filtered(summaries: list[RunSummary]) -> list[RunSummary]:
    """The runs the table lists, after the task, cell and date filters."""
    left, middle, right = st.columns(3)
    task = left.selectbox("Task", ["all", *task_names()], key="filter_task")
    cells = middle.multiselect("Cells", list(CELLS), key="filter_cells",
                               format_func=lambda cell: CELL_LABELS.get(cell, cell))
    since = right.date_input("Updated since", value=None, key="filter_since")
    picked = []
    for summary in summaries:
        if task != "all" and summary.task != task:
            continue
        if cells and not set(cells) & {cell_of(name) for name in summary.cells}:
            continue
        if since is not None and datetime.date.fromtimestamp(summary.updated) < since:
            continue
        picked.append(summary)
    return picked


# The runs table is static so it wraps on a phone; beyond this many rows the filters narrow it.
TABLE_ROWS = 40


def run_table(summaries: list[RunSummary], params: dict[str, dict]) -> None:
    """The listed runs, newest first, each named by the settings that set it apart, its id beside.

    A static table: each cell wraps, so a 390 px screen shows every column (a data grid cuts them
    at the right edge). The settings that differ are already in each run's name.
    """
    shown = sorted(summaries, key=lambda summary: -summary.updated)[:TABLE_ROWS]
    # Named among every listed run, as the picker names them.
    names = compare.run_names({summary.run_id: params.get(summary.run_id, {}) for summary in summaries})
    rows = [{"run": f"{names[summary.run_id]} (imported)" if summary.imported else names[summary.run_id],
             "status": summary.status,
             "models": ", ".join(model_label(name) for name in summary.cells),
             "final metric": ", ".join(f"{model_label(name)} {value:.3f}"
                                       for name, value in summary.final_metrics.items() if value is not None),
             "updated": datetime.datetime.fromtimestamp(summary.updated).strftime("%Y-%m-%d %H:%M"),
             "id": summary.run_id}
            for summary in shown]
    if not rows:
        return
    plain.table(pd.DataFrame(rows), hide_index=True)
    if len(summaries) > len(shown):
        plain.caption("The {shown} most recent of {total:,} runs; the filters above narrow the list.",
                      shown=len(shown), total=len(summaries))


def _shown(value) -> str:
    if value is None:
        return "-"
    return ", ".join(value) if isinstance(value, list) else str(value)


@dataclass(frozen=True)
class View:
    """How the chosen runs are drawn; every field is bound to the URL, so a link reopens the same view."""

    smoothing: float = 0.0
    log_x: bool = False
    log_y: bool = False
    x_axis: str = "step"
    layout: str = "overlay"


def view_options() -> View:
    # Two rows of two: the layout's three choices need half the page's width to show whole.
    first, second = st.columns(2, vertical_alignment="bottom")
    third, fourth = st.columns(2, vertical_alignment="bottom")
    smoothing = first.slider("Smoothing", 0.0, MAX_SMOOTHING, 0.0, 0.01, key="smoothing", bind="query-params",
                             help="Debiased exponential moving average, as TensorBoard's; the raw curve "
                                  "stays faint behind.")
    log_x_column, log_y_column = second.columns(2)
    log_x = log_x_column.toggle("Log x", key="log_x", bind="query-params",
                                help="Early training spread out; points at x = 0 cannot be shown and are left out.")
    log_y = log_y_column.toggle("Log y", key="log_y", bind="query-params")
    x_axis = third.segmented_control("x axis", list(compare_charts.X_AXES), default="step", key="x",
                                     required=True, bind="query-params") or "step"
    layout = fourth.segmented_control("Layout", list(compare_charts.LAYOUTS), default="overlay", key="layout",
                                      required=True, bind="query-params",
                                      help="Small multiples: a panel per run or per model, every panel on the "
                                           "same axes.") or "overlay"
    return View(smoothing, log_x, log_y, x_axis, layout)


def series_order(rows: list[dict]) -> list[str]:
    """Every series the chosen runs hold: losses, metrics and scores first, gradients last."""
    # Group series ("group distance 3-5") in natural order, so 3-5 comes before 11-20.
    names = numeric_order(list(dict.fromkeys(row["series"] for row in rows)))
    rank = {"train loss": 0, "validation loss": 1}
    return sorted(names, key=lambda name: (rank.get(name, 2 if not name.startswith(("group ", "first", "gradient"))
                                                     else 3 if name.startswith("group ") else 4), names.index(name)))


def curves(rows: list[dict], runs: list[str], view: View) -> dict[str, alt.TopLevelMixin]:
    """A chart per series, two to a row; the charts by title, for the exports."""
    drawn = {}
    columns = st.columns(2)
    for index, series in enumerate(series_order(rows)):
        title = chart_style.heading(series)
        drawn[title] = compare_charts.curve_chart(rows, series, title, runs, view.smoothing,
                                                  view.log_y or series.startswith(LOG_SERIES), view.x_axis,
                                                  view.log_x, view.layout)
        figures.show(drawn[title], columns[index % 2])
    return drawn


def gradient_section(stored: dict[str, StoredRun], view: View, label_of) -> dict[str, alt.TopLevelMixin]:
    """Gradient through time at one probe step, picked from the probe steps the chosen runs share."""
    histories = [history for run in stored.values() for history in run.histories.values()]
    steps = compare.probe_steps_to_offer(histories)
    if not steps:
        return {}
    st.subheader("Gradient through time")
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    step = steps[-1]
    if len(steps) > 1:
        step = left.select_slider("Probe at step", options=steps, value=steps[-1], key="compare_probe_step",
                                  help="The training steps every chosen run was probed at; runs probed at "
                                       "other steps are drawn at their nearest probe.")
    rows = [row for identifier, run in stored.items() for name in compare.model_order(run.histories)
            for row in compare.gradient_rows(label_of(identifier), run.histories[name], step)]
    layers = sorted({row["layer"] for row in rows})
    layer = layers[-1] if layers else None
    if len(layers) > 1:
        layer = right.selectbox("Layer", layers, index=len(layers) - 1, key="compare_layer")
    chart = compare_charts.gradient_chart(rows, step, [label_of(identifier) for identifier in stored], layer,
                                          view.layout, view.log_x)
    figures.show(chart)
    nearest = sorted({row["probe_step"] for row in rows} - {step})
    if nearest:
        plain.caption("Runs not probed at step {step} are drawn at their nearest probe: step {steps}.", step=step,
                      steps=", ".join(map(str, nearest)))
    return {chart.to_dict().get("title", "Gradient through time"): chart}


def settings_table(params: dict[str, dict]) -> None:
    st.subheader("Settings that differ")
    differing = compare.settings_diff(params)
    if not differing:
        st.caption("The chosen runs have the same settings.")
        return
    frame = pd.DataFrame({label: {name: _shown(values[label]) for name, values in differing.items()}
                          for label in params})
    plain.table(frame, hide_index=False)




# A shared read-only object per stored version of a run: pages read it and never change it.
@st.cache_resource(max_entries=400, show_spinner=False)
def _load(path: str, run_id: str, updated: float) -> StoredRun | None:
    """One stored run without weights, read once per server for each version of it (`updated`)."""
    return RunStore(path).load(run_id)


def _load_or_skip(store: RunStore, run_id: str, updated: float) -> StoredRun | None:
    """The run, or None with a notice when its stored row is damaged (a damaged row is never cached)."""
    try:
        return _load(str(store.path), run_id, updated)
    except DamagedRun as error:
        plain.warning("{error}.", error=error, icon=":material/broken_image:")
        return None


def loader(store: RunStore):
    """A run-id -> StoredRun reader served from the cache, for the runs the page shows or bands."""
    def load(run_id: str) -> StoredRun | None:
        summary = store.summaries([run_id]).get(run_id)
        return None if summary is None else _load_or_skip(store, run_id, summary.updated)

    return load


def load_chosen(store: RunStore, run_ids: list[str]) -> dict[str, StoredRun]:
    """The chosen runs that are stored and readable, in the chosen order."""
    summaries = store.summaries(run_ids)
    loaded = {identifier: _load_or_skip(store, identifier, summaries[identifier].updated)
              for identifier in run_ids if identifier in summaries}
    return {identifier: run for identifier, run in loaded.items() if run is not None}


def listed_runs(store: RunStore) -> list[RunSummary]:
    """The newest stored runs; damaged rows are named in one notice and left out."""
    listed, damaged = store.list_checked(limit=200)
    if damaged:
        plain.warning("Skipped {count} damaged stored run(s): {errors}.", count=len(damaged),
                      errors="; ".join(str(error) for error in damaged[:5]), icon=":material/broken_image:")
    return listed


def labels_of(stored: dict[str, StoredRun]) -> dict[str, str]:
    """Each run's name in legends and tables: the settings that set it apart, and "imported" for one
    read from a bundle, so it is never taken for a run trained here."""
    names = compare.run_names({identifier: run.params for identifier, run in stored.items()})
    return {identifier: f"{name} (imported)" if stored[identifier].imported else name
            for identifier, name in names.items()}


def render() -> None:
    store = run_store()
    compare_link.check_link(store)
    linked_ids = compare.check_run_ids(st.query_params.get_all("runs"))[0]
    # Before the notices, so a run whose retraining has just ended is no longer named as missing.
    compare_link.adopt_retrained(store, list(st.session_state.get("runs") or linked_ids))
    compare_link.show_notices()
    import_box(store)
    compare_link.retraining_progress()
    listed = filtered(listed_runs(store))
    chosen = list(st.session_state.get("runs") or linked_ids)
    known = store.summaries(list(dict.fromkeys([*linked_ids, *chosen])))
    options = list(dict.fromkeys([*(i for i in [*linked_ids, *chosen] if i in known),
                                  *(summary.run_id for summary in listed)]))
    run_table(listed, store.params_of([summary.run_id for summary in listed]))
    if "runs" not in st.session_state:
        st.session_state["runs"] = [identifier for identifier in first_choice(linked_ids, known)
                                    if identifier in options]
    # Not bound to the URL: a bound multiselect writes its shown names there, and the link must hold
    # ids; the chosen ids are written into the address below instead.
    run_ids = st.multiselect("Runs to compare", options, key="runs", format_func=picker_label(store, options),
                             placeholder="Choose runs from the table")
    missing = {identifier: params for identifier, params in compare_link.missing_runs().items() if params}
    if not run_ids:
        compare_link.keep_runs_in_url(run_ids)
        compare_link.keep_settings_in_url(compare_link.share_settings(missing))
        st.info("Choose one or more runs to overlay their curves.", icon=":material/stacked_line_chart:")
        return
    view = view_options()
    stored = load_chosen(store, run_ids)
    if not stored:  # every chosen run is damaged (each named above): nothing to draw
        compare_link.keep_runs_in_url(run_ids)
        st.info("None of the chosen runs can be drawn.", icon=":material/stacked_line_chart:")
        return
    names = labels_of(stored)
    label_of = names.__getitem__
    labels = [label_of(identifier) for identifier in stored]
    rows = compare.comparison_rows({label_of(identifier): run.histories for identifier, run in stored.items()})
    drawn = curves(rows, labels, view)
    drawn.update(gradient_section(stored, view, label_of))
    settings_table({label_of(identifier): run.params for identifier, run in stored.items()})
    seed_bands.render(store, stored, label_of, loader(store))
    packed = compare_link.share_settings({**missing, **{identifier: run.params for identifier, run in stored.items()}})
    # The address is written once, at the end of the run, with the runs and their settings together.
    compare_link.keep_runs_in_url(run_ids)
    compare_link.keep_settings_in_url(packed)
    link = compare_link.share_link([*stored, *(i for i in missing if i not in stored)], packed, view.smoothing,
                                   view.log_x, view.log_y, view.x_axis, view.layout)
    compare_export.exports(store, list(stored), rows, drawn, label_of, {name: identifier
                                                                       for identifier, name in names.items()})
    st.download_button("Comparison report (one HTML file)",
                       lambda: run_report.comparison_report(drawn, stored, label_of, link).encode(),
                       file_name="rnn-playground-comparison.html", mime="text/html", on_click="ignore",
                       icon=":material/description:", key="comparison_report",
                       help="These charts, the runs and their settings, and the share link, in one file that opens "
                            "anywhere, with no network, and prints well.")
