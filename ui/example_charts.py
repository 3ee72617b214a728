"""Charts of what a trained model does with single examples: gate heatmaps and cell state against
hidden state for one example, class probabilities, the confusion matrix and attention maps.

Their axes are time steps, units, classes or pieces rather than training steps; each takes plain
arrays or rows and returns a chart.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from ui.chart_style import BAND, HEIGHT, colour_of, every_label_axis, legend, whole_number_axis


def heatmap(values, title: str, x_title: str = "Time step", color_domain=(0.0, 1.0),
            units: list[int] | None = None) -> alt.Chart:
    """values: (time, shown units) array of gate activations or states; `units` names each column's
    unit (0, 1, ... when None), and the rows keep that order."""
    units = list(range(len(values[0]) if len(values) else 0)) if units is None else list(units)
    rows = [{"t": t + 1, "unit": units[column], "value": float(v)}
            for t, row in enumerate(values) for column, v in enumerate(row)]
    # Binning t in steps of one draws one cell per time step that stretches with the column.
    return alt.Chart(pd.DataFrame(rows), title=title).mark_rect().encode(
        x=alt.X("t:Q", title=x_title, bin=alt.Bin(step=1), axis=whole_number_axis()),
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
        x=alt.X("t:Q", title="Time step", axis=whole_number_axis()),
        y=alt.Y("value:Q", title="Value"),
        color=alt.Color("unit:N", title="Unit", scale=alt.Scale(domain=names, scheme="dark2"), legend=legend(names)),
        strokeDash=alt.StrokeDash("state:N", title="State", scale=alt.Scale(domain=STATES),
                                  legend=legend(STATES, "top")),
        tooltip=["unit", "state", "t", alt.Tooltip("value:Q", format=".3f")],
    ).properties(height=HEIGHT)


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
        x=alt.X("source:N", sort=source_labels, title="Source piece", axis=every_label_axis(len(source_labels))),
        y=alt.Y("target:N", sort=target_labels, title="Output piece", axis=alt.Axis(labelOverlap=False)),
        color=alt.Color("weight:Q", scale=alt.Scale(domain=[0, 1], scheme="greens"), title="Attention"),
        tooltip=["target", "source", alt.Tooltip("weight:Q", format=".2f")],
    ).properties(height=alt.Step(BAND))
