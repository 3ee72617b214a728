"""The Compare page's exports: the plotted curves as CSV, a run as a JSON bundle, charts as SVG or PNG.

Streamlit 1.67 replaced vega-embed's "Save as SVG / Save as PNG" menu with its own chart toolbar,
whose download icon saves a PNG only (streamlit/streamlit#15806; SVG is asked for in #16512), and
it drops any `embedOptions` that would bring the old menu back. So the SVG (and a PNG at twice the
resolution) comes from vl-convert, which renders the chart's own Vega-Lite spec, data included, on
the server. Each file is made only when its button is pressed (a deferred download), so opening
the page renders nothing it does not show.
"""

from __future__ import annotations

import json
import re

import altair as alt
import streamlit as st

from core.report import compare
from core.store.runs import RunStore

# PNG files at twice the chart's size read sharply on high-density screens and in slides.
PNG_SCALE = 2


def file_stem(title: str) -> str:
    """A chart title as a file name: lower case, words joined by dashes."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "chart"


def to_svg(spec: dict) -> str:
    import vl_convert  # imported on first use: loading its JavaScript engine takes about a second

    return vl_convert.vegalite_to_svg(spec)


def to_png(spec: dict) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(spec, scale=PNG_SCALE)


def chart_files(charts: dict[str, alt.TopLevelMixin]) -> None:
    """A chart picker with SVG and PNG download buttons; the file is rendered when a button is pressed."""
    if not charts:
        return
    st.caption("Each chart's toolbar (hover the chart) has a download icon that saves it as PNG; for an SVG, "
               "or a PNG at twice the size, pick the chart here.")
    left, middle, right = st.columns([2, 1, 1], vertical_alignment="bottom")
    title = left.selectbox("Chart to save", list(charts), key="export_chart")
    spec = charts[title].to_dict()
    middle.download_button("Chart as SVG", lambda: to_svg(spec), file_name=f"{file_stem(title)}.svg",
                           mime="image/svg+xml", on_click="ignore", icon=":material/download:", key="download_svg")
    right.download_button("Chart as PNG", lambda: to_png(spec), file_name=f"{file_stem(title)}.png",
                          mime="image/png", on_click="ignore", icon=":material/download:", key="download_png")


def exports(store: RunStore, run_ids: list[str], rows: list[dict], charts: dict[str, alt.TopLevelMixin],
            label_of, ids_by_name: dict[str, str] | None = None) -> None:
    st.subheader("Export")
    left, right = st.columns(2)
    left.download_button("Curves as CSV", lambda: compare.to_csv(rows, ids_by_name), file_name="comparison.csv",
                         mime="text/csv",
                         on_click="ignore", icon=":material/download:", key="download_csv")
    chosen = right.selectbox("Run to export", run_ids, format_func=label_of, key="export_run")
    right.download_button("Run as JSON bundle", lambda: json.dumps(store.export_bundle(chosen)),
                          file_name=f"run-{chosen}.json", mime="application/json", on_click="ignore",
                          icon=":material/download:", key="download_bundle")
    chart_files(charts)
