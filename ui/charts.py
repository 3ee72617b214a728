"""Altair charts drawn from History records: curves, gradient through time, gates and states.

Every function takes plain histories (or arrays) and returns a chart, so the same drawing serves
live jobs, stored runs and tests. Long series are thinned to a few hundred points to keep redraws
cheap in the browser.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from core.config import model_label
from core.order import numeric_order  # noqa: F401  (pages and tests read it here too)
from core.history import History

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
PALETTE = {"RNN": "#d62728", "GRU": "#ff7f0e", "LSTM": "#1f77b4", "BiRNN": "#e377c2", "BiGRU": "#bcbd22",
           "BiLSTM": "#2ca02c", "BoW": "#7f7f7f"}


def legend(labels, orient: str = "bottom") -> alt.Legend:
    """A legend under (or above) the chart whose columns fit LEGEND_WIDTH, so every name reads whole."""
    labels = [str(label) for label in labels]
    entry = SYMBOL_WIDTH + CHARACTER_WIDTH * max((len(label) for label in labels), default=1)
    columns = max(1, min(len(labels) or 1, LEGEND_WIDTH // entry))
    return alt.Legend(orient=orient, direction="horizontal", columns=columns, labelLimit=0, titleLimit=0)


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
        x=alt.X("step:Q", title="Step"),
        y=alt.Y("loss:Q", title="Cross-entropy"),
        color=_cell_color(cells),
        strokeDash=alt.StrokeDash("split:N", title="Split", scale=alt.Scale(domain=SPLITS), legend=legend(SPLITS, "top")),
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
        x=alt.X("step:Q", title="Step"),
        y=alt.Y("value:Q", title=metric.capitalize(), scale=alt.Scale(domain=[0, 1])),
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
        x=alt.X("back:Q", title=position_label.capitalize()),
        y=alt.Y("norm:Q", title="|dL/dh_t| (log)", scale=alt.Scale(type="log"), axis=alt.Axis(format=LOG_FORMAT)),
        color=_cell_color(cells),
        strokeDash=alt.StrokeDash("layer:N", title="Layer", scale=alt.Scale(domain=layers), legend=legend(layers, "top")),
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
        x=alt.X("step:Q", title="Training step"),
        y=alt.Y("ratio:Q", title="|dL/dh_1| / |dL/dh_T| (log)", scale=alt.Scale(type="log"), axis=alt.Axis(format=LOG_FORMAT)),
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
    column (a faceted chart keeps a fixed width and overflows a phone)."""
    frame = layer_norm_frame(histories)
    groups = list(dict.fromkeys(frame["group"]))
    domain = [float(frame["norm"].min()), float(frame["norm"].max())] if len(frame) else alt.Undefined
    colour = alt.Color("group:N", title="Parameters", legend=legend(groups),
                       scale=alt.Scale(domain=groups, scheme="dark2"))
    return [alt.Chart(frame[frame["model"] == label], title=f"{label}: per-layer gradient norms").mark_line(
        opacity=0.85).encode(
        x=alt.X("step:Q", title="Step"),
        y=alt.Y("norm:Q", title="Gradient norm (log)", scale=alt.Scale(type="log", domain=domain),
                axis=alt.Axis(format=LOG_FORMAT)),
        color=colour,
        tooltip=["model", "group", "step", alt.Tooltip("norm:Q", format=".2e")],
    ).properties(height=170) for label in dict.fromkeys(_label(h.cell) for h in histories)]


def layer_norm_chart(histories: list[History], columns: int = 3) -> alt.VConcatChart:
    """The per-model panels stacked in one chart, which fits any width when stretched. Pages lay the
    panels out side by side instead (ui/figures.panels); `columns` is kept for older callers."""
    return alt.vconcat(*layer_norm_panels(histories), title="Per-layer gradient norms")


def heatmap(values, title: str, x_title: str = "Time step", color_domain=(0.0, 1.0),
            units: list[int] | None = None) -> alt.Chart:
    """values: (time, shown units) array of gate activations or states; `units` names each column's
    unit (0, 1, ... when None), and the rows keep that order."""
    units = list(range(len(values[0]) if len(values) else 0)) if units is None else list(units)
    rows = [{"t": t + 1, "unit": units[column], "value": float(v)}
            for t, row in enumerate(values) for column, v in enumerate(row)]
    # Binning t in steps of one draws one cell per time step that stretches with the column.
    return alt.Chart(pd.DataFrame(rows), title=title).mark_rect().encode(
        x=alt.X("t:Q", title=x_title, bin=alt.Bin(step=1)),
        y=alt.Y("unit:O", title="Unit", sort=units, axis=alt.Axis(labelOverlap=True)),
        color=alt.Color("value:Q", scale=alt.Scale(domain=list(color_domain), scheme="viridis"), title=None),
        tooltip=["t", "unit", alt.Tooltip("value:Q", format=".3f")],
    ).properties(height=180)


STATES = ["cell c_t", "hidden h_t"]


def state_chart(cell_states, hidden_states, units: list[int]) -> alt.Chart:
    """Cell state against hidden state over time for a few units; each array is (time, units)."""
    names = [f"unit {unit}" for unit in units]
    rows = []
    for unit in units:
        for t in range(len(cell_states)):
            rows.append({"t": t + 1, "value": float(cell_states[t][unit]), "state": STATES[0], "unit": f"unit {unit}"})
            rows.append({"t": t + 1, "value": float(hidden_states[t][unit]), "state": STATES[1],
                         "unit": f"unit {unit}"})
    title = alt.Title("Cell state vs hidden state", subtitle="long-term memory vs what the layer outputs")
    return alt.Chart(pd.DataFrame(rows), title=title).mark_line(
    ).encode(
        x=alt.X("t:Q", title="Time step"),
        y=alt.Y("value:Q", title="Value"),
        color=alt.Color("unit:N", title="Unit", scale=alt.Scale(domain=names, scheme="dark2"), legend=legend(names)),
        strokeDash=alt.StrokeDash("state:N", title="State", scale=alt.Scale(domain=STATES), legend=legend(STATES, "top")),
        tooltip=["unit", "state", "t", alt.Tooltip("value:Q", format=".3f")],
    ).properties(height=HEIGHT)


def distance_chart(rows: list[dict], chance: float) -> alt.Chart:
    """Final validation accuracy against the distance remembered; rows: distance, model, accuracy."""
    frame = pd.DataFrame(rows, columns=["distance", "model", "accuracy"])
    labels = list(dict.fromkeys(frame["model"]))
    color = alt.Color("model:N", title="Model", legend=legend(labels),
                      scale=alt.Scale(domain=labels, range=[colour_of(label) for label in labels]))
    lines = alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("distance:Q", title="Distance (steps to remember)"),
        y=alt.Y("accuracy:Q", title="Final validation accuracy", scale=alt.Scale(domain=[0, 1])),
        color=color,
        tooltip=["model", "distance", alt.Tooltip("accuracy:Q", format=".3f")],
    )
    return alt.layer(lines, chance_rule(chance), title="Memory against distance (your stored runs)").properties(height=HEIGHT)


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
    return [alt.Chart(frame[frame["group"] == group], title=group).mark_line(
        point=alt.OverlayMarkDef(size=12)).encode(
        x=alt.X("step:Q", title="Step"),
        y=alt.Y("value:Q", title="Accuracy", scale=alt.Scale(domain=[0, 1])),
        color=_cell_color(cells).legend(None),
        tooltip=["model", "group", "step", alt.Tooltip("value:Q", format=".3f")],
    ).properties(height=140) for group in order]


def group_chart(histories: list[History], columns: int = 4) -> alt.VConcatChart:
    """The group panels stacked in one chart that fits any width when stretched; pages lay them out
    side by side instead (ui/figures.panels). `columns` is kept for older callers."""
    return alt.vconcat(*group_panels(histories), title="Validation accuracy by kind of example")


def confusion_chart(confusion: list[list[int]], class_names: list[str], title: str) -> alt.Chart:
    """counts[true][predicted] as a heatmap with the counts written in."""
    rows = [{"true": class_names[t], "predicted": class_names[p], "count": count,
             "share": count / max(sum(row), 1)}
            for t, row in enumerate(confusion) for p, count in enumerate(row)]
    frame = pd.DataFrame(rows, columns=["true", "predicted", "count", "share"])
    base = alt.Chart(frame, title=title).encode(
        x=alt.X("predicted:N", title="Predicted", sort=class_names),
        y=alt.Y("true:N", title="True", sort=class_names),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("share:Q", scale=alt.Scale(scheme="blues", domain=[0, 1]), title="Share of row",
                        legend=alt.Legend(orient="bottom")),
        tooltip=["true", "predicted", "count", alt.Tooltip("share:Q", format=".1%")],
    )
    text = base.mark_text(fontSize=10).encode(
        text=alt.condition(alt.datum.count > 0, alt.Text("count:Q"), alt.value("")),
        color=alt.condition(alt.datum.share > 0.5, alt.value("white"), alt.value("black")),
    )
    return alt.layer(cells, text).properties(height=alt.Step(BAND))


def probability_chart(rows: list[dict]) -> alt.Chart:
    """Each model's probability of each class; rows: model, class, probability."""
    frame = pd.DataFrame(rows, columns=["model", "class", "probability"])
    labels = list(dict.fromkeys(frame["model"]))
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("probability:Q", title="Probability", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("class:N", title=None),
        color=alt.Color("model:N", title="Model", legend=legend(labels),
                        scale=alt.Scale(domain=labels, range=[colour_of(label) for label in labels])),
        yOffset="model:N",
        tooltip=["model", "class", alt.Tooltip("probability:Q", format=".1%")],
    ).properties(height=max(120, 28 * len(set(frame["class"])) * max(1, len(labels)) // 2))


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
        x=alt.X("step:Q", title="Step"),
        y=alt.Y("value:Q", title=name, scale=alt.Scale(domain=[0, 100])),
        color=_cell_color(cells),
        tooltip=["model", "step", alt.Tooltip("value:Q", format=".1f")],
    )
    if baseline is None:
        return lines.properties(height=HEIGHT)
    return alt.layer(lines, reference_rule(baseline, baseline_label, number_format=".1f"),
                     title=title).properties(height=HEIGHT)


def attention_chart(weights: list[list[float]], source: list[str], target: list[str], title: str) -> alt.Chart:
    """Attention weights as a heatmap: output pieces down, source pieces across (weights: target x source)."""
    # Positions keep repeated pieces apart; the axis shows the pieces themselves.
    source_labels = [f"{index + 1}:{piece}" for index, piece in enumerate(source)]
    target_labels = [f"{index + 1}:{piece}" for index, piece in enumerate(target)]
    rows = [{"source": source_labels[s], "target": target_labels[t], "weight": float(value)}
            for t, row in enumerate(weights[: len(target_labels)])
            for s, value in enumerate(row[: len(source_labels)])]
    frame = pd.DataFrame(rows, columns=["source", "target", "weight"])
    return alt.Chart(frame, title=title).mark_rect().encode(
        x=alt.X("source:N", sort=source_labels, title="Source piece", axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("target:N", sort=target_labels, title="Output piece"),
        color=alt.Color("weight:Q", scale=alt.Scale(domain=[0, 1], scheme="greens"), title="Attention"),
        tooltip=["target", "source", alt.Tooltip("weight:Q", format=".2f")],
    ).properties(height=alt.Step(BAND))
