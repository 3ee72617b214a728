"""How every chart looks: sizes, the log-axis number format, model colours and legends that read whole.

Shared by ui/charts.py, ui/example_charts.py and the Compare page's charts, so every chart agrees.
"""

from __future__ import annotations

import altair as alt

from core.nn.cells import ATTENTION_LABELS, ATTENTIONS, CELL_KINDS, CELL_LABELS, CELLS

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


def heading(text: str) -> str:
    """Text with its first letter upper case and the rest as written: str.capitalize would turn
    "entity F1" into "Entity f1"."""
    return text[:1].upper() + text[1:]


def legend(labels, orient: str = "bottom", only: bool = False) -> alt.Legend:
    """A legend under (or above) the chart whose columns fit LEGEND_WIDTH, so every name reads whole.

    Its symbols are drawn at full strength: a legend takes its symbol from the first layer, which on
    a smoothed chart is the faint raw curve, and a faded swatch reads as a different colour.
    """
    labels = [str(label) for label in labels]
    entry = SYMBOL_WIDTH + CHARACTER_WIDTH * max((len(label) for label in labels), default=1)
    columns = max(1, min(len(labels) or 1, LEGEND_WIDTH // entry))
    # `only`: list just these labels, though the scale (shared with other charts) knows more.
    extra = {"values": labels} if only else {}
    return alt.Legend(orient=orient, direction="horizontal", columns=columns, labelLimit=0, titleLimit=0,
                      symbolOpacity=1, **extra)


def whole_number_axis(**options) -> alt.Axis:
    """An axis of steps, positions or distances: whole numbers only, never "1.2" or "0.5" between them."""
    return alt.Axis(format="d", tickMinStep=1, **options)


def every_label_axis(count: int, **options) -> alt.Axis:
    """A category axis that labels every one of its `count` entries: Vega drops labels that would
    overlap (the attention map showed every other source piece, the sentiment map hid "not"), so
    labels stand upright, and get smaller past 12 entries, to fit a phone's column."""
    return alt.Axis(labelOverlap=False, labelAngle=-90, labelFontSize=11 if count <= 12 else 9,
                    labelLimit=140, labelPadding=2, **options)


# One dash per model, the same on every chart of every page: solid for the first cell of the
# registry (RNN), then one pattern per cell and attention variant. A dash picked by a chart's own
# order drew the LSTM solid on a chart without an RNN, and on the seed bands (sorted by name).
DASHES = ([1, 0], [8, 4], [2, 3], [12, 3, 2, 3], [5, 5], [1, 5], [16, 4], [8, 3, 2, 3, 2, 3], [4, 2, 1, 2],
          [10, 6], [3, 6], [14, 2, 2, 2], [6, 2], [2, 8])


def model_rank(label: str) -> int:
    """A model label's place in the cell registry ("LSTM" -> 2), variants after every plain cell."""
    cell, _, variant = str(label).partition(", ")
    cells = [CELL_LABELS[name] for name in CELLS]
    variants = [ATTENTION_LABELS[name] for name in ATTENTIONS]
    cell_rank = cells.index(cell) if cell in cells else len(cells)
    variant_rank = variants.index(variant) + 1 if variant in variants else 0
    return variant_rank * (len(cells) + 1) + cell_rank


def model_dashes(models) -> alt.Scale:
    """The dash scale for these model labels, each drawn with its own fixed pattern."""
    ordered = sorted(dict.fromkeys(str(model) for model in models), key=model_rank)
    return alt.Scale(domain=ordered, range=[DASHES[model_rank(model) % len(DASHES)] for model in ordered])


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
