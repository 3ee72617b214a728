"""Charts of the Compare page: one series of many runs overlaid, smoothed, with the raw curve faint behind.

Each run keeps one colour on every chart (colour = run) and each model keeps its dash (strokeDash =
model), so "run 2's LSTM" looks the same on the loss, metric and gradient charts alike.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from core import compare
from ui.charts import FLOOR, HEIGHT, LOG_FORMAT, MAX_POINTS

# Distinct colours for runs (Tableau 10); a run's colour is its place in the chosen list.
RUN_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
               "#bcbd22", "#17becf")
X_AXES = {"step": ("step", "Step"), "wall time": ("wall_seconds", "Wall time (s)")}
COLUMNS = ["run", "model", "x", "value", "smoothed"]


def run_colours(runs: list[str]) -> alt.Scale:
    return alt.Scale(domain=runs, range=[RUN_COLOURS[index % len(RUN_COLOURS)] for index in range(len(runs))])


def curve_frame(rows: list[dict], series: str, smoothing: float = 0.0, x_axis: str = "step") -> pd.DataFrame:
    """The rows of one series, each run's model smoothed along its own curve, x as asked."""
    column = X_AXES[x_axis][0]
    parts = []
    picked = [row for row in rows if row["series"] == series and row[column] is not None]
    for (run, model), group in pd.DataFrame(picked, columns=compare.CSV_COLUMNS).groupby(
            ["run", "model"], sort=False):
        group = group.sort_values("step")
        smoothed = compare.smooth(group["value"].tolist(), smoothing)
        frame = pd.DataFrame({"run": run, "model": model, "x": group[column].tolist(),
                              "value": group["value"].tolist(), "smoothed": smoothed})
        # Thin after smoothing, so the plotted average still saw every step.
        stride = max(1, -(-len(frame) // MAX_POINTS))
        parts.append(frame.iloc[::stride] if stride > 1 else frame)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)


def curve_chart(rows: list[dict], series: str, title: str, runs: list[str], smoothing: float = 0.0,
                log_y: bool = False, x_axis: str = "step") -> alt.LayerChart:
    """One series over training for every chosen run; the raw curve faint behind the smoothed one."""
    frame = curve_frame(rows, series, smoothing, x_axis)
    if log_y:
        frame["value"] = frame["value"].clip(lower=FLOOR)
        frame["smoothed"] = frame["smoothed"].clip(lower=FLOOR)
    scale = alt.Scale(type="log") if log_y else alt.Scale(zero=False)
    axis = alt.Axis(format=LOG_FORMAT) if log_y else alt.Axis()
    base = alt.Chart(frame).encode(
        x=alt.X("x:Q", title=X_AXES[x_axis][1]),
        color=alt.Color("run:N", title="Run", scale=run_colours(runs)),
        strokeDash=alt.StrokeDash("model:N", title="Model"),
    )
    raw = base.mark_line(opacity=0.2 if smoothing else 1.0).encode(
        y=alt.Y("value:Q", title=series, scale=scale, axis=axis))
    if not smoothing:
        return alt.layer(raw.encode(tooltip=["run", "model", "x", alt.Tooltip("value:Q", format=".4g")]),
                         title=title).properties(height=HEIGHT)
    line = base.mark_line().encode(
        y=alt.Y("smoothed:Q", scale=scale, axis=axis),
        tooltip=["run", "model", "x", alt.Tooltip("smoothed:Q", format=".4g"), alt.Tooltip("value:Q", format=".4g")])
    return alt.layer(raw, line, title=title).properties(height=HEIGHT)
