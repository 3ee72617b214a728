"""How every chart looks: sizes, the log-axis number format, model colours and legends that read whole.

Shared by ui/charts.py, ui/example_charts.py and the Compare page's charts, so every chart agrees.
"""

from __future__ import annotations

import altair as alt

from core.nn.cells import CELL_KINDS

MAX_POINTS = 300
FLOOR = 1e-30  # log scales cannot show zero; a vanished gradient sits on the floor
HEIGHT = 260
# Every log axis labels its ticks one way (1e-6, not 0.000001 beside 1e-10).
LOG_FORMAT = ".0e"
# Rows of a chart whose two axes are both categories (a heatmap of pieces, a confusion matrix) are
# sized per row: Streamlit 1.67 squeezes such a chart to a sliver when given a fixed total height.
BAND = 22
# A chart's main legend (models, runs) sits under it and a second one (split, layer, reference line)
# above it, never side by side, which would overflow a phone. Each has as many columns as fit a
# phone-width chart and never shortens a name (Vega cuts labels past 160 px with an ellipsis).
# px: the narrowest plot a legend sits under (a panel of three across beside the sidebar at 1400 px,
# or a chart on a 390 px phone), less its axis.
LEGEND_WIDTH = 240
CHARACTER_WIDTH = 7  # px per character of a legend label, generously (11 px Source Sans)
SYMBOL_WIDTH = 34  # px per entry for the symbol and the gaps around it
# Each cell's colour, by its label, from the cell registry (core/nn/cells.py).
PALETTE = {kind.label: kind.colour for kind in CELL_KINDS.values()}


def legend(labels, orient: str = "bottom") -> alt.Legend:
    """A legend under (or above) the chart whose columns fit LEGEND_WIDTH, so every name reads whole."""
    labels = [str(label) for label in labels]
    entry = SYMBOL_WIDTH + CHARACTER_WIDTH * max((len(label) for label in labels), default=1)
    columns = max(1, min(len(labels) or 1, LEGEND_WIDTH // entry))
    return alt.Legend(orient=orient, direction="horizontal", columns=columns, labelLimit=0, titleLimit=0)


# Colours for model variants ("LSTM, additive attention"), by variant, so every chart agrees.
VARIANT_PALETTE = {"no attention": "#7f7f7f", "additive attention": "#1f77b4", "multiplicative attention": "#9467bd"}
SPARE_COLOURS = ("#8c564b", "#17becf", "#e377c2", "#bcbd22", "#ff7f0e", "#2ca02c")


def colour_of(label: str) -> str:
    """A model's colour: its cell's, its variant's, or a spare one picked from the label itself."""
    if label in PALETTE:
        return PALETTE[label]
    variant = label.partition(", ")[2]
    if variant in VARIANT_PALETTE:
        return VARIANT_PALETTE[variant]
    return SPARE_COLOURS[sum(map(ord, label)) % len(SPARE_COLOURS)]
