"""Putting Altair charts on a page so they fit: every chart stretches to its container, and a set of
small charts (one per model, one per kind of example) is laid out in columns.

Vega-Lite cannot stretch a faceted or concatenated chart to its container, so pages draw panels as
plain charts in Streamlit columns, which sit side by side on a desktop and stack on a phone.
"""

from __future__ import annotations

import altair as alt
import streamlit as st

# A plain chart's height is its plot's: the legend under it adds to the height instead of squeezing
# the plot (Streamlit's default "fit" takes the legend out of the plot's height).
FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")


def fitted(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The chart with its width fitted to the container where Vega-Lite can fit it: a plain or
    layered chart, or a plain stack of them (not a facet, a row of charts or a repeat)."""
    if isinstance(chart, (alt.FacetChart, alt.HConcatChart, alt.ConcatChart, alt.RepeatChart)):
        return chart
    encoding = getattr(chart, "encoding", alt.Undefined)
    if encoding is not alt.Undefined and any(getattr(encoding, name, alt.Undefined) is not alt.Undefined
                                             for name in ("row", "column", "facet")):
        return chart
    return chart.properties(autosize=FIT_WIDTH)


def show(chart: alt.TopLevelMixin, where=None) -> None:
    """Draw one chart stretched to the width of `where` (a column or container; the page by default)."""
    (where or st).altair_chart(fitted(chart), width="stretch")


def panels(charts: list[alt.TopLevelMixin], per_row: int, where=None) -> None:
    """Small charts in rows of at most `per_row` columns, each stretched to its column."""
    container = where or st
    for start in range(0, len(charts), per_row):
        row = charts[start:start + per_row]
        # Always per_row columns, so a last short row keeps the same panel width as the rows above.
        for column, chart in zip(container.columns(per_row if len(charts) > per_row else len(row)), row):
            show(chart, column)
