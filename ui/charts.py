"""Altair charts drawn from History records: loss, metric, scores, gradient through time, per-layer
gradient norms and accuracy by kind of example (one example's gates and states: ui/example_charts.py).

Every function takes plain histories (or arrays) and returns a chart, so the same drawing serves
live jobs, stored runs and tests. Long series are thinned to a few hundred points to keep redraws
cheap in the browser.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from core.data.history import History
from core.nn.cells import model_label
from core.report.order import numeric_order

# Older callers read these here: the style and the per-example charts live in their own modules.
from ui.chart_style import (  # noqa: F401
    BAND,
    CHARACTER_WIDTH,
    FLOOR,
    HEIGHT,
    LEGEND_WIDTH,
    LOG_FORMAT,
    MAX_POINTS,
    PALETTE,
    SPARE_COLOURS,
    SYMBOL_WIDTH,
    VARIANT_PALETTE,
    colour_of,
    heading,
    legend,
    whole_number_axis,
)
from ui.example_charts import STATES, attention_chart, confusion_chart, heatmap, probability_chart, state_chart  # noqa: F401


def _label(cell: str) -> str:
    return model_label(cell)


def _thin(xs: list, ys: list) -> tuple[list, list]:
    stride = max(1, math.ceil(len(xs) / MAX_POINTS))
    if stride == 1:
        return xs, ys
    # Keep the newest point so the live curve always reaches the current step.
    picked = list(range(0, len(xs), stride))
    if picked[-1] != len(xs) - 1:
        picked.append(len(xs) - 1)
    return [xs[i] for i in picked], [ys[i] for i in picked]


def _cell_color(cells: list[str]) -> alt.Color:
    labels = [_label(cell) for cell in cells]
    # A fixed palette per label keeps RNN, LSTM, ... the same colour in every chart and every run.
    return alt.Color("model:N", title="Model", legend=legend(labels),
                     scale=alt.Scale(domain=labels, range=[colour_of(label) for label in labels]))


def loss_frame(histories: list[History]) -> pd.DataFrame:
    rows = []
    for history in histories:
        steps, losses = _thin(history.steps, history.train_loss)
        rows += [{"step": s, "loss": v, "model": _label(history.cell), "split": "train"}
                 for s, v in zip(steps, losses) if v is not None and math.isfinite(v)]
        rows += [{"step": s, "loss": v, "model": _label(history.cell), "split": "validation"}
                 for s, v in zip(history.eval_steps, history.val_loss) if v is not None and math.isfinite(v)]
    return pd.DataFrame(rows, columns=["step", "loss", "model", "split"])


SPLITS = ["train", "validation"]


def loss_chart(histories: list[History]) -> alt.Chart:
    cells = [h.cell for h in histories]
    return alt.Chart(loss_frame(histories), title="Loss").mark_line().encode(
        x=alt.X("step:Q", title="Step", axis=whole_number_axis()),
        y=alt.Y("loss:Q", title="Cross-entropy"),
        color=_cell_color(cells),
        strokeDash=alt.StrokeDash("split:N", title="Split", scale=alt.Scale(domain=SPLITS),
                                  legend=legend(SPLITS, "top")),
        opacity=alt.condition(alt.datum.split == "train", alt.value(0.55), alt.value(1.0)),
        tooltip=["model", "split", "step", alt.Tooltip("loss:Q", format=".3f")],
    ).properties(height=HEIGHT)


def metric_frame(histories: list[History]) -> pd.DataFrame:
    rows = [{"step": s, "value": v, "model": _label(h.cell)}
            for h in histories for s, v in zip(h.eval_steps, h.val_metric) if v is not None]
    return pd.DataFrame(rows, columns=["step", "value", "model"])


def metric_chart(histories: list[History], chance: float | None = None) -> alt.Chart:
    cells = [h.cell for h in histories]
    metric = histories[0].metric if histories else "accuracy"
    title = f"Validation {metric}"
    lines = alt.Chart(metric_frame(histories), title=title).mark_line(point=True).encode(
        x=alt.X("step:Q", title="Step", axis=whole_number_axis()),
        y=alt.Y("value:Q", title=heading(metric), scale=alt.Scale(domain=[0, 1])),
        color=_cell_color(cells),
        tooltip=["model", "step", alt.Tooltip("value:Q", format=".3f")],
    )
    if chance is None:
        return lines.properties(height=HEIGHT)
    return alt.layer(lines, chance_rule(chance), title=title).properties(height=HEIGHT)


def reference_rule(value: float, name: str, field: str = "value", number_format: str = ".2f") -> alt.Chart:
    """A dashed horizontal reference line (chance, copying the source) with its own legend entry,
    so a reader knows what it is."""
    frame = pd.DataFrame({field: [value], "line": [name]})
    return alt.Chart(frame).mark_rule(color="gray").encode(
        y=f"{field}:Q",
        strokeDash=alt.StrokeDash("line:N", title="Reference", scale=alt.Scale(domain=[name], range=[[4, 4]]),
                                  legend=legend([name], "top")),
        tooltip=[alt.Tooltip("line:N", title="reference"), alt.Tooltip(f"{field}:Q", title=name, format=number_format)])


def chance_rule(chance: float) -> alt.Chart:
    """The dashed chance line, with its own legend entry."""
    return reference_rule(chance, "chance", field="chance")


def _probe_at(history: History, probe_step: int | None) -> tuple[int, dict[str, list[float]]] | None:
    """The history's latest probe at or before `probe_step` (its last probe when None)."""
    chosen = None
    for step, probe in zip(history.probe_steps, history.grad_through_time):
        if probe_step is None or step <= probe_step:
            chosen = (step, probe)
    return chosen


def gradient_frame(histories: list[History], probe_step: int | None = None) -> pd.DataFrame:
    """Each model's |dL/dh_t| per layer at the chosen probe, against steps back from the end."""
    rows = []
    for history in histories:
        picked = _probe_at(history, probe_step)
        if picked is None:
            continue
        for layer, norms in picked[1].items():
            length = len(norms)
            rows += [{"back": length - t, "norm": max(v, FLOOR), "model": _label(history.cell), "layer": layer}
                     for t, v in enumerate(norms, start=1) if v is not None]
    return pd.DataFrame(rows, columns=["back", "norm", "model", "layer"])


def gradient_chart(histories: list[History], probe_step: int | None = None,
                   position_label: str = "steps back from the end") -> alt.Chart:
    cells = [h.cell for h in histories]
    steps = [picked[0] for h in histories if (picked := _probe_at(h, probe_step)) is not None]
    title = f"Gradient through time (probe at step {max(steps, default=0)})"
    frame = gradient_frame(histories, probe_step)
    layers = list(dict.fromkeys(frame["layer"]))
    return alt.Chart(frame, title=title).mark_line().encode(
        x=alt.X("back:Q", title=heading(position_label), axis=whole_number_axis()),
        y=alt.Y("norm:Q", title="|dL/dh_t| (log)", scale=alt.Scale(type="log"), axis=alt.Axis(format=LOG_FORMAT)),
        color=_cell_color(cells),
        strokeDash=alt.StrokeDash("layer:N", title="Layer", scale=alt.Scale(domain=layers),
                                  legend=legend(layers, "top")),
        tooltip=["model", "layer", "back", alt.Tooltip("norm:Q", format=".2e")],
    ).properties(height=HEIGHT)


def ratio_frame(histories: list[History]) -> pd.DataFrame:
    rows = [{"step": step, "ratio": max(ratio, FLOOR), "model": _label(history.cell)}
            for history in histories for step, ratio in history.grad_ratios_by_step()]
    return pd.DataFrame(rows, columns=["step", "ratio", "model"])


def ratio_chart(histories: list[History]) -> alt.Chart:
    cells = [h.cell for h in histories]
    return alt.Chart(ratio_frame(histories), title="How much gradient reaches the first step").mark_line(
        point=True).encode(
        x=alt.X("step:Q", title="Training step", axis=whole_number_axis()),
        y=alt.Y("ratio:Q", title="|dL/dh_1| / |dL/dh_T| (log)", scale=alt.Scale(type="log"),
                axis=alt.Axis(format=LOG_FORMAT)),
        color=_cell_color(cells),
        tooltip=["model", "step", alt.Tooltip("ratio:Q", format=".2e")],
    ).properties(height=HEIGHT)


def layer_norm_frame(histories: list[History]) -> pd.DataFrame:
    rows = []
    for history in histories:
        for group, values in history.layer_grad_norms.items():
            steps, thinned = _thin(history.steps, values)
            rows += [{"step": s, "norm": max(v, FLOOR), "group": group, "model": _label(history.cell)}
                     for s, v in zip(steps, thinned) if v is not None and math.isfinite(v)]
    return pd.DataFrame(rows, columns=["step", "norm", "group", "model"])


def layer_norm_panels(histories: list[History]) -> list[alt.Chart]:
    """One chart per model of each parameter group's gradient norm over training. The panels share
    their y range and colours, so they compare at a glance, and each is a plain chart that fits its
    column (a faceted chart keeps a fixed width and overflows a phone). Each panel's legend lists
    only its own model's groups: the bag-of-words panel listed a "layer 1 recurrent" it has not."""
    frame = layer_norm_frame(histories)
    groups = list(dict.fromkeys(frame["group"]))
    domain = [float(frame["norm"].min()), float(frame["norm"].max())] if len(frame) else alt.Undefined
    panels = []
    for label in dict.fromkeys(_label(h.cell) for h in histories):
        shown = frame[frame["model"] == label]
        own = list(dict.fromkeys(shown["group"]))
        colour = alt.Color("group:N", title="Parameters", legend=legend(own, only=True),
                           scale=alt.Scale(domain=groups, scheme="dark2"))
        panels.append(alt.Chart(shown, title=f"{label}: per-layer gradient norms").mark_line(opacity=0.85).encode(
            x=alt.X("step:Q", title="Step", axis=whole_number_axis()),
            y=alt.Y("norm:Q", title="Gradient norm (log)", scale=alt.Scale(type="log", domain=domain),
                    axis=alt.Axis(format=LOG_FORMAT)),
            color=colour,
            tooltip=["model", "group", "step", alt.Tooltip("norm:Q", format=".2e")],
        ).properties(height=170))
    return panels


def layer_norm_chart(histories: list[History], columns: int = 3) -> alt.VConcatChart:
    """The per-model panels stacked in one chart, which fits any width when stretched. Pages lay the
    panels out side by side instead (ui/figures.panels); `columns` is kept for older callers."""
    return alt.vconcat(*layer_norm_panels(histories), title="Per-layer gradient norms")


def distance_chart(rows: list[dict], chance: float) -> alt.Chart:
    """Final validation accuracy against the distance remembered; rows: distance, model, accuracy."""
    frame = pd.DataFrame(rows, columns=["distance", "model", "accuracy"])
    labels = list(dict.fromkeys(frame["model"]))
    color = alt.Color("model:N", title="Model", legend=legend(labels),
                      scale=alt.Scale(domain=labels, range=[colour_of(label) for label in labels]))
    # Points only: a run measures its own distance, and a line between two of them would draw a
    # curve nobody measured.
    distances = sorted(set(frame["distance"]))
    lines = alt.Chart(frame).mark_point(filled=True, size=90, opacity=1).encode(
        x=alt.X("distance:Q", title="Distance (steps to remember)", axis=whole_number_axis(values=distances),
                scale=alt.Scale(zero=False, padding=20)),
        y=alt.Y("accuracy:Q", title="Final validation accuracy", scale=alt.Scale(domain=[0, 1])),
        color=color,
        tooltip=["model", "distance", alt.Tooltip("accuracy:Q", format=".3f")],
    )
    return alt.layer(lines, chance_rule(chance),
                     title="Memory against distance (your stored runs)").properties(height=HEIGHT)


def metric_name(histories: list[History]) -> str:
    """The task's headline metric as the histories name it ("accuracy", "entity F1")."""
    return histories[0].metric if histories else "accuracy"


def group_frame(histories: list[History]) -> pd.DataFrame:
    rows = [{"step": step, "value": value, "model": _label(history.cell), "group": group}
            for history in histories for group, values in history.group_metric.items()
            for step, value in zip(history.eval_steps, values) if value is not None]
    return pd.DataFrame(rows, columns=["step", "value", "model", "group"])


def group_panels(histories: list[History]) -> list[alt.Chart]:
    """Validation accuracy on each named subset (category, distance bucket), one small chart each,
    in numeric order ("distance 3-5" before "distance 11-20"); each fits its column. The panels are
    too narrow for a legend of their own: their colours are the models' on every chart, the page
    says so, and each point's tooltip names its model."""
    cells = [h.cell for h in histories]
    frame = group_frame(histories)
    order = numeric_order(list(dict.fromkeys(group for h in histories for group in h.group_metric)))
    metric = metric_name(histories)
    return [alt.Chart(frame[frame["group"] == group], title=group).mark_line(
        point=alt.OverlayMarkDef(size=12)).encode(
        x=alt.X("step:Q", title="Step", axis=whole_number_axis()),
        y=alt.Y("value:Q", title=heading(metric), scale=alt.Scale(domain=[0, 1])),
        color=_cell_color(cells).legend(None),
        tooltip=["model", "group", "step", alt.Tooltip("value:Q", format=".3f")],
    ).properties(height=140) for group in order]


def group_chart(histories: list[History], columns: int = 4) -> alt.VConcatChart:
    """The group panels stacked in one chart that fits any width when stretched; pages lay them out
    side by side instead (ui/figures.panels). `columns` is kept for older callers."""
    return alt.vconcat(*group_panels(histories), title=f"Validation {metric_name(histories)} by kind of example")


def score_frame(histories: list[History], name: str) -> pd.DataFrame:
    rows = [{"step": step, "value": value, "model": _label(history.cell)}
            for history in histories for step, value in zip(history.eval_steps, history.scores.get(name, []))
            if value is not None]
    return pd.DataFrame(rows, columns=["step", "value", "model"])


def score_chart(histories: list[History], name: str, baseline: float | None = None,
                baseline_label: str = "copy the source") -> alt.Chart:
    """A further validation score (e.g. chrF, 0-100) over training, with a dashed reference line."""
    cells = [h.cell for h in histories]
    title = f"Validation {name}"
    lines = alt.Chart(score_frame(histories, name), title=title).mark_line(point=True).encode(
        x=alt.X("step:Q", title="Step", axis=whole_number_axis()),
        y=alt.Y("value:Q", title=name, scale=alt.Scale(domain=[0, 100])),
        color=_cell_color(cells),
        tooltip=["model", "step", alt.Tooltip("value:Q", format=".1f")],
    )
    if baseline is None:
        return lines.properties(height=HEIGHT)
    return alt.layer(lines, reference_rule(baseline, baseline_label, number_format=".1f"),
                     title=title).properties(height=HEIGHT)
