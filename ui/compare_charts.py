"""Charts of the Compare page: many runs overlaid or in small multiples, smoothed, raw curve faint behind.

Each run keeps one colour on every chart (colour = run, in the order the runs were chosen) and each
model keeps its dash (strokeDash = model), so "run 2's LSTM" looks the same on the loss, metric and
gradient charts alike, overlaid or in panels. Small multiples are one Vega-Lite vconcat per series,
a panel per run or per model, every panel on the same x and y scales so heights compare at a glance;
Streamlit stretches each panel of a vconcat to the column's width, so panels never overflow a phone.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.report import compare
from ui.chart_style import legend, model_dashes, whole_number_axis
from ui.charts import FLOOR, HEIGHT, LOG_FORMAT, MAX_POINTS

# Distinct colours for runs (Tableau 10); a run's colour is its place in the chosen list.
RUN_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
               "#bcbd22", "#17becf")
X_AXES = {"step": ("step", "Step"), "wall time": ("wall_seconds", "Wall time (s)")}
COLUMNS = ["run", "model", "x", "value", "smoothed"]
# Layouts: every run in one chart, or a panel per run or per model on shared axes.
LAYOUTS = {"overlay": None, "panel per run": "run", "panel per model": "model"}
PANEL_HEIGHT = 120
# Tooltip channels built once as objects: strings would be parsed and schema-checked on every chart.
NAMES = (alt.Tooltip("run:N"), alt.Tooltip("model:N"), alt.Tooltip("x:Q"))


def run_colours(runs: list[str]) -> alt.Scale:
    return alt.Scale(domain=runs, range=[RUN_COLOURS[index % len(RUN_COLOURS)] for index in range(len(runs))])


def curve_frame(rows: list[dict], series: str, smoothing: float = 0.0, x_axis: str = "step") -> pd.DataFrame:
    """The rows of one series, each run's model smoothed along its own curve, x as asked."""
    column = X_AXES[x_axis][0]
    curves: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        if row["series"] == series and row[column] is not None:
            curves.setdefault((row["run"], row["model"]), []).append(row)
    data: dict[str, list] = {name: [] for name in COLUMNS}
    for (run, model), picked in curves.items():
        picked.sort(key=lambda row: row["step"])
        values = [row["value"] for row in picked]
        smoothed = compare.smooth(values, smoothing, [row["step"] for row in picked])
        # Thin after smoothing, so the plotted average still saw every step.
        stride = max(1, -(-len(picked) // MAX_POINTS))
        kept = range(0, len(picked), stride)
        data["run"] += [run] * len(kept)
        data["model"] += [model] * len(kept)
        data["x"] += [picked[index][column] for index in kept]
        data["value"] += [values[index] for index in kept]
        data["smoothed"] += [smoothed[index] for index in kept]
    return pd.DataFrame(data, columns=COLUMNS)


def _log_ready(frame: pd.DataFrame, log_x: bool, log_y: bool, columns: tuple[str, ...]) -> pd.DataFrame:
    """A log axis cannot show zero: x at or below zero is left out (the first wall-time reading can
    be 0 s), y is raised to the floor, where a vanished gradient sits."""
    if log_x:
        frame = frame[frame["x"] > 0]
    if log_y:
        frame = frame.assign(**{column: frame[column].clip(lower=FLOOR) for column in columns})
    return frame


def _axis(log: bool, whole: bool = False) -> tuple[alt.Scale, alt.Axis]:
    """A log or linear axis; `whole` for steps and positions, which are never "1.5"."""
    if log:
        return alt.Scale(type="log"), alt.Axis(format="d" if whole else LOG_FORMAT)
    return alt.Scale(zero=False), whole_number_axis() if whole else alt.Axis()


def _y_title(title: str, layout: str) -> str | None:
    # A panel's y title would sit beside its plot and overflow the column; the chart's title names it.
    return title if LAYOUTS[layout] is None else None


def _dashes(frame: pd.DataFrame) -> alt.StrokeDash:
    """Dash = model, each model's own dash (chart_style.model_dashes), listed RNN before LSTM."""
    scale = model_dashes(frame["model"])
    # Above the chart, as the labs draw their second legend: two legends side by side overflow a phone.
    return alt.StrokeDash("model:N", title="Model", scale=scale, legend=legend(scale.domain, "top"))


def _colours(runs: list[str], title: str = "Run") -> alt.Color:
    """Colour = run, its legend under the chart in as many columns as its names fit."""
    return alt.Color("run:N", title=title, scale=run_colours(runs), legend=legend(runs))


def arrange(layer: alt.LayerChart, frame: pd.DataFrame, title: str, layout: str = "overlay") -> alt.TopLevelMixin:
    """One layered chart as the layout asks: itself over `frame`, or a vconcat of panels (one per run
    or per model, in the frame's order) filtered from the same data, on shared scales and legends."""
    panel = LAYOUTS[layout]
    if panel is None:
        return layer.properties(data=frame, title=title, height=HEIGHT)
    panels = [layer.transform_filter(alt.datum[panel] == value).properties(title=str(value), height=PANEL_HEIGHT)
              for value in dict.fromkeys(frame[panel])]
    if not panels:
        return layer.properties(data=frame, title=title, height=HEIGHT)
    # Streamlit gives each panel of a vconcat the column's whole width as its plot width, so anything
    # beside the plot would overflow: the y labels go inside the plot, the legend below it.
    return alt.vconcat(*panels, data=frame, title=title, padding={"left": 0, "right": 0, "top": 5}).resolve_scale(
        x="shared", y="shared", color="shared", strokeDash="shared").configure_axisY(
        title=None, labelAlign="left", labelPadding=-4, labelBaseline="bottom", ticks=False, domain=False,
        labelFlush=True).configure_axisX(labelFlush=True).configure_legend(
        orient="bottom", direction="horizontal", columns=4).configure_view(stroke=None)


def curve_chart(rows: list[dict], series: str, title: str, runs: list[str], smoothing: float = 0.0,
                log_y: bool = False, x_axis: str = "step", log_x: bool = False,
                layout: str = "overlay", run_title: str = "Run") -> alt.TopLevelMixin:
    """One series over training for every chosen run; the raw curve faint behind the smoothed one.
    `run_title` heads the colour legend (a class's page names its runs by student)."""
    frame = _log_ready(curve_frame(rows, series, smoothing, x_axis), log_x, log_y, ("value", "smoothed"))
    y_scale, y_axis = _axis(log_y)
    x_scale, x_axis_format = _axis(log_x, whole=x_axis == "step")
    base = alt.Chart().encode(
        x=alt.X("x:Q", title=X_AXES[x_axis][1], scale=x_scale, axis=x_axis_format),
        color=_colours(runs, run_title),
        strokeDash=_dashes(frame),
    )
    # Clipped lines: a line's stroke and joins would otherwise reach past the plot's edge.
    raw = base.mark_line(opacity=0.2 if smoothing else 1.0, clip=True).encode(
        y=alt.Y("value:Q", title=_y_title(series, layout), scale=y_scale, axis=y_axis))
    if not smoothing:
        layer = alt.layer(raw.encode(tooltip=[*NAMES, alt.Tooltip("value:Q", format=".4g")]))
    else:
        line = base.mark_line(clip=True).encode(
            y=alt.Y("smoothed:Q", scale=y_scale, axis=y_axis),
            tooltip=[*NAMES, alt.Tooltip("smoothed:Q", format=".4g"), alt.Tooltip("value:Q", format=".4g")])
        layer = alt.layer(raw, line)
    return arrange(layer, frame, title, layout)


def gradient_frame(rows: list[dict], layer: str | None = None) -> pd.DataFrame:
    """compare.gradient_rows of every chosen run, of one encoder layer (every layer when None)."""
    frame = pd.DataFrame(rows, columns=compare.GRADIENT_COLUMNS)
    return frame if layer is None else frame[frame["layer"] == layer]


def gradient_chart(rows: list[dict], probe_step: int, runs: list[str], layer: str | None = None,
                   layout: str = "overlay", log_x: bool = False) -> alt.TopLevelMixin:
    """|dL/dh_t| against steps back from the end at one probe step, for every chosen run."""
    frame = gradient_frame(rows, layer).rename(columns={"back": "x"})
    frame = _log_ready(frame, log_x, True, ("norm",))
    x_scale, x_axis = _axis(log_x, whole=True)
    title = f"Gradient through time at step {probe_step}" + (f", {layer}" if layer else "")
    layered = alt.layer(alt.Chart().mark_line(clip=True).encode(
        x=alt.X("x:Q", title="Steps back from the end", scale=x_scale, axis=x_axis),
        y=alt.Y("norm:Q", title=_y_title("|dL/dh_t| (log)", layout), scale=alt.Scale(type="log"),
                axis=alt.Axis(format=LOG_FORMAT)),
        color=_colours(runs),
        strokeDash=_dashes(frame),
        detail=alt.Detail("layer:N"),
        tooltip=[*NAMES[:2], alt.Tooltip("layer:N"), alt.Tooltip("probe_step:Q", title="probe at step"),
                 alt.Tooltip("x:Q", title="steps back"), alt.Tooltip("norm:Q", format=".2e")]))
    return arrange(layered, frame, title, layout)
