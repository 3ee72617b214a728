"""Altair charts drawn from History records: curves, gradient through time, gates and states.

Every function takes plain histories (or arrays) and returns a chart, so the same drawing serves
live jobs, stored runs and tests. Long series are thinned to a few hundred points to keep redraws
cheap in the browser.
"""

from __future__ import annotations

import math
import re

import altair as alt
import pandas as pd

from core.config import model_label
from core.history import History

MAX_POINTS = 300
FLOOR = 1e-30  # log scales cannot show zero; a vanished gradient sits on the floor
HEIGHT = 260
# Every log axis labels its ticks one way (1e-6, not 0.000001 beside 1e-10).
LOG_FORMAT = ".0e"
# Rows of a chart whose two axes are both categories (a heatmap of pieces, a confusion matrix) are
# sized per row: Streamlit 1.67 squeezes such a chart to a sliver when given a fixed total height.
BAND = 22
PALETTE = {"RNN": "#d62728", "GRU": "#ff7f0e", "LSTM": "#1f77b4", "BiRNN": "#e377c2", "BiGRU": "#bcbd22",
           "BiLSTM": "#2ca02c", "BoW": "#7f7f7f"}


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
    return alt.Color("model:N", title="Model",
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


def loss_chart(histories: list[History]) -> alt.Chart:
    cells = [h.cell for h in histories]
    return alt.Chart(loss_frame(histories), title="Loss").mark_line().encode(
        x=alt.X("step:Q", title="Step"),
        y=alt.Y("loss:Q", title="Cross-entropy"),
        color=_cell_color(cells),
        strokeDash=alt.StrokeDash("split:N", title="Split", scale=alt.Scale(domain=["train", "validation"])),
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


def chance_rule(chance: float) -> alt.Chart:
    """The dashed chance line, with its own legend entry so a reader knows what it is."""
    frame = pd.DataFrame({"chance": [chance], "line": ["chance"]})
    return alt.Chart(frame).mark_rule(color="gray").encode(
        y="chance:Q",
        strokeDash=alt.StrokeDash("line:N", title="Reference", scale=alt.Scale(domain=["chance"], range=[[4, 4]])),
        tooltip=[alt.Tooltip("chance:Q", title="chance", format=".2f")])


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
    return alt.Chart(gradient_frame(histories, probe_step), title=title).mark_line().encode(
        x=alt.X("back:Q", title=position_label.capitalize()),
        y=alt.Y("norm:Q", title="|dL/dh_t| (log)", scale=alt.Scale(type="log"), axis=alt.Axis(format=LOG_FORMAT)),
        color=_cell_color(cells),
        strokeDash=alt.StrokeDash("layer:N", title="Layer"),
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


def layer_norm_chart(histories: list[History], columns: int = 3) -> alt.Chart:
    return alt.Chart(layer_norm_frame(histories)).mark_line(opacity=0.85).encode(
        x=alt.X("step:Q", title="Step"),
        y=alt.Y("norm:Q", title="Gradient norm (log)", scale=alt.Scale(type="log"), axis=alt.Axis(format=LOG_FORMAT)),
        color=alt.Color("group:N", title="Parameters", scale=alt.Scale(scheme="dark2")),
        tooltip=["model", "group", "step", alt.Tooltip("norm:Q", format=".2e")],
    ).properties(height=170, width=280).facet(
        facet=alt.Facet("model:N", title=None, sort=[_label(h.cell) for h in histories]), columns=columns,
    ).properties(title="Per-layer gradient norms")


def heatmap(values, title: str, x_title: str = "Time step", color_domain=(0.0, 1.0)) -> alt.Chart:
    """values: (time, units) array of gate activations or states."""
    rows = [{"t": t + 1, "unit": unit, "value": float(v)}
            for t, row in enumerate(values) for unit, v in enumerate(row)]
    # Binning t in steps of one draws one cell per time step that stretches with the column.
    return alt.Chart(pd.DataFrame(rows), title=title).mark_rect().encode(
        x=alt.X("t:Q", title=x_title, bin=alt.Bin(step=1)),
        y=alt.Y("unit:O", title="Unit", axis=alt.Axis(labelOverlap=True)),
        color=alt.Color("value:Q", scale=alt.Scale(domain=list(color_domain), scheme="viridis"), title=None),
        tooltip=["t", "unit", alt.Tooltip("value:Q", format=".3f")],
    ).properties(height=180)


def state_chart(cell_states, hidden_states, units: list[int]) -> alt.Chart:
    """Cell state against hidden state over time for a few units; each array is (time, units)."""
    rows = []
    for unit in units:
        for t in range(len(cell_states)):
            rows.append({"t": t + 1, "value": float(cell_states[t][unit]), "state": "cell c_t", "unit": f"unit {unit}"})
            rows.append({"t": t + 1, "value": float(hidden_states[t][unit]), "state": "hidden h_t",
                         "unit": f"unit {unit}"})
    return alt.Chart(pd.DataFrame(rows), title="Cell state (long-term memory) vs hidden state (output)").mark_line(
    ).encode(
        x=alt.X("t:Q", title="Time step"),
        y=alt.Y("value:Q", title="Value"),
        color=alt.Color("unit:N", title="Unit", scale=alt.Scale(scheme="dark2")),
        strokeDash=alt.StrokeDash("state:N", title="State"),
        tooltip=["unit", "state", "t", alt.Tooltip("value:Q", format=".3f")],
    ).properties(height=HEIGHT)


def distance_chart(rows: list[dict], chance: float) -> alt.Chart:
    """Final validation accuracy against the distance remembered; rows: distance, model, accuracy."""
    frame = pd.DataFrame(rows, columns=["distance", "model", "accuracy"])
    labels = list(dict.fromkeys(frame["model"]))
    color = alt.Color("model:N", title="Model",
                      scale=alt.Scale(domain=labels, range=[colour_of(label) for label in labels]))
    lines = alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("distance:Q", title="Distance (steps to remember)"),
        y=alt.Y("accuracy:Q", title="Final validation accuracy", scale=alt.Scale(domain=[0, 1])),
        color=color,
        tooltip=["model", "distance", alt.Tooltip("accuracy:Q", format=".3f")],
    )
    return alt.layer(lines, chance_rule(chance), title="Memory against distance (your stored runs)").properties(height=HEIGHT)


def numeric_order(names: list[str]) -> list[str]:
    """Names holding numbers ("distance 3-5", "distance 11-20") in numeric order, in the places
    numbered names already take; names without numbers keep their places."""
    def key(name: str) -> tuple[str, int]:
        return name[:re.search(r"\d", name).start()], int(re.search(r"\d+", name).group())

    numbered = iter(sorted((name for name in names if re.search(r"\d", name)), key=key))
    return [next(numbered) if re.search(r"\d", name) else name for name in names]


def group_frame(histories: list[History]) -> pd.DataFrame:
    rows = [{"step": step, "value": value, "model": _label(history.cell), "group": group}
            for history in histories for group, values in history.group_metric.items()
            for step, value in zip(history.eval_steps, values) if value is not None]
    return pd.DataFrame(rows, columns=["step", "value", "model", "group"])


def group_chart(histories: list[History], columns: int = 4) -> alt.Chart:
    """Validation accuracy on each named subset (category, distance bucket), one small chart each."""
    cells = [h.cell for h in histories]
    order = numeric_order(list(dict.fromkeys(group for h in histories for group in h.group_metric)))
    return alt.Chart(group_frame(histories)).mark_line(point=alt.OverlayMarkDef(size=12)).encode(
        x=alt.X("step:Q", title="Step"),
        y=alt.Y("value:Q", title="Accuracy", scale=alt.Scale(domain=[0, 1])),
        color=_cell_color(cells),
        tooltip=["model", "group", "step", alt.Tooltip("value:Q", format=".3f")],
    ).properties(height=140, width=170).facet(
        facet=alt.Facet("group:N", title=None, sort=order), columns=columns,
    ).properties(title="Validation accuracy by kind of example")


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
        color=alt.Color("share:Q", scale=alt.Scale(scheme="blues", domain=[0, 1]), title="Share of row"),
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
        color=alt.Color("model:N", title="Model",
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
    rule = alt.Chart(pd.DataFrame({"value": [baseline], "line": [baseline_label]})).mark_rule(
        strokeDash=[4, 4], color="gray").encode(
        y="value:Q", tooltip=[alt.Tooltip("line:N", title="reference"), alt.Tooltip("value:Q", format=".1f")])
    return alt.layer(lines, rule, title=title).properties(height=HEIGHT)


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
