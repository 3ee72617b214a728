"""The handwriting page's own parts: pictures of the data, the upload box, "draw it" and confusions."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
import torch

from core.data import strokes
from core.nn.cells import model_label
from core.nn.problems import evaluate_model
from core.report.analysis import load_model
from core.store import runs
from core.tasks.base import DataError, TaskData
from core.tasks.experiment import Experiment, model_names
from core.tasks.handwriting import data as handwriting
from core.tasks.registry import check_training_file
from ui import charts, figures, lab, plain, reading
from ui.services import run_store

CANVAS_SIZE = 280
PICTURES = 24


blocker = lab.upload_blocker("a pen-data file", "pen_file")


def data_panel(experiment: Experiment) -> TaskData | None:
    data = lab.data_or_error(experiment, upload_box)
    if data is None:
        return None
    try:
        pictures = _pictures(experiment)
    except DataError as error:
        plain.message(error, icon=":material/error:")
        return None
    info = data.info
    title = "generated handwriting" if experiment.task_config.source == "generated" else "your pen data"
    with st.expander(f"The data: {title}", expanded=True):
        plain.markdown("**{train:,}** training and **{val:,}** validation characters, classes {classes}. Each "
                       "character is the pen's path resampled to **{points}** equally spaced points; at each point "
                       "the model reads {features}.", train=info.get("train_size", 0), val=info.get("val_size", 0),
                       classes=", ".join(data.class_names), points=experiment.task_config.points,
                       features=", ".join(info.get("features", ())))
        plain.notes(info.get("notices", []))
        figures.show(pictures_chart(pictures))
        st.caption("Colours follow the order of the strokes (first stroke darkest). Some training samples are "
                   "shown coarsened to a few points or with the pen never lifted, as tablets and other writers "
                   "record them, so the models learn shapes rather than one plotter's habits.")
    return data


@st.cache_data(show_spinner=False, max_entries=8)
def _picture_rows(_experiment: Experiment, run_id: str) -> list[dict]:
    rows = []
    for index, (label, character) in enumerate(handwriting.sample_pictures(_experiment.task_config,
                                                                              _experiment.seed, PICTURES)):
        rows += [{**row, "sample": index, "label": label} for row in strokes.to_points_table(character)]
    return rows


def _pictures(experiment: Experiment) -> pd.DataFrame:
    return pd.DataFrame(_picture_rows(experiment, runs.run_id(experiment)))


# Fixed-size small multiples cannot stretch, so they are sized to fit a phone's column inside an
# expander (about 326 px; Vega adds some 45 px of padding and headers to the panels and gaps).
PICTURE_SIZE, PICTURE_COLUMNS, PICTURE_GAP = 42, 5, 8
PATH_SIZE, PATH_COLUMNS = 125, 2


def pictures_chart(frame: pd.DataFrame, columns: int = PICTURE_COLUMNS) -> alt.Chart:
    """Small pictures of characters; rows hold x, y, stroke, order, sample and a title."""
    titles = frame.drop_duplicates("sample").set_index("sample")["label"].to_dict() if len(frame) else {}
    frame = frame.assign(title=[f"{sample + 1}: {titles[sample]}" for sample in frame["sample"]])
    order = [f"{sample + 1}: {label}" for sample, label in titles.items()]
    return alt.Chart(frame).mark_line(strokeWidth=2).encode(
        x=alt.X("x:Q", axis=None, scale=alt.Scale(zero=False)),
        y=alt.Y("y:Q", axis=None, scale=alt.Scale(zero=False)),
        detail="stroke:N",
        order="order:Q",
        color=alt.Color("stroke:O", scale=alt.Scale(scheme="darkblue", reverse=True), legend=None),
    ).properties(width=PICTURE_SIZE, height=PICTURE_SIZE).facet(
        facet=alt.Facet("title:N", title=None, sort=order, header=alt.Header(labelFontSize=11)), columns=columns,
        spacing=PICTURE_GAP)


def upload_box(experiment: Experiment) -> None:
    st.markdown("**Your data**: pen trajectories in the UCI *Pen-Based Recognition of Handwritten Digits* format "
                "(`pendigits.tra`: 8 points and a class per line) or the UJI Pen Characters format.")
    uploaded = st.file_uploader("Upload pen data", key="pen_file")
    if uploaded is None:
        if experiment.task_config.upload:
            st.caption(f"Training on the file kept under key `{experiment.task_config.upload}`.")
        return
    guess = 1 if "uji" in uploaded.name.lower() else 0
    format = st.radio("Format", handwriting.FORMATS, index=guess, horizontal=True, key="pen_format")
    content = uploaded.getvalue()
    try:
        # Read as training will read it (only the chosen classes) and refused now if too little is left.
        penset = check_training_file("handwriting", handwriting.read_file(
            format, content, handwriting.charset_of(experiment.task_config)))
    except DataError as error:
        plain.error("{name}: {error}", name=uploaded.name, error=error, icon=":material/error:")
        return
    summary = f"{len(penset):,} characters, classes: {', '.join(sorted(set(penset.labels)))}."
    lab.confirm_upload(penset.notices, summary, "Train on this file", "use_pen_file", lambda: content, format, uploaded)


def path_frame(inputs: np.ndarray) -> pd.DataFrame:
    """A model input (points, features) as drawable points: x, y, order and the pen segment."""
    pen_up = inputs[:, strokes.FEATURES.index("pen_up")] > 0.5
    segment = np.cumsum(np.r_[0, np.diff(pen_up.astype(int)) != 0])
    return pd.DataFrame({"x": inputs[:, 0], "y": inputs[:, 1], "order": np.arange(len(inputs)),
                         "segment": segment, "pen_up": pen_up})


def draw_it(experiment: Experiment, stored: runs.StoredRun) -> None:
    st.subheader("Draw it")
    data = lab.data_or_error(experiment)
    if data is None:
        return
    counter = st.session_state.setdefault("canvas_round", 0)
    left, right = st.columns([1, 2])
    with left:
        from streamlit_drawable_canvas import st_canvas  # the component registers itself on import

        plain.caption("Write one of {names}{more} with the mouse or a finger.", names=", ".join(data.class_names[:10]),
                      more="…" if len(data.class_names) > 10 else "")
        result = st_canvas(stroke_width=10, stroke_color="#111", background_color="#fff", height=CANVAS_SIZE,
                           width=CANVAS_SIZE, drawing_mode="freedraw", key=f"canvas_{counter}")
        if st.button("Clear", key="clear_canvas", icon=":material/ink_eraser:"):
            st.session_state["canvas_round"] = counter + 1
            st.rerun()
        samples = handwriting.sample_pictures(experiment.task_config, experiment.seed, PICTURES)
        choice = st.selectbox("…or let the models read a generated sample", [None, *range(len(samples))],
                              format_func=lambda i: "my drawing" if i is None else f"sample {i + 1}: {samples[i][0]}",
                              key="pen_sample")
    with right:
        if choice is not None:
            show_reading(experiment, stored, data, samples[choice][1])
            return
        try:
            character = strokes.canvas_to_strokes(result.json_data if result is not None else None)
        except strokes.StrokeError as error:
            st.info(str(error), icon=":material/draw:")
            return
        show_reading(experiment, stored, data, character)


def show_reading(experiment: Experiment, stored: runs.StoredRun, data: TaskData, character) -> None:
    """Every trained model's answer to one character, and how it formed along the pen's path."""
    try:
        inputs = data.codec(character).unsqueeze(0)  # (1, points, features)
    except strokes.StrokeError as error:
        st.info(str(error), icon=":material/draw:")
        return
    readings = reading.read_and_answer(experiment, stored, data, inputs, "read drawings")
    if not readings:
        return
    figures.show(reading.answer_chart(readings, data.class_names))
    figures.show(confidence_paths(readings, inputs[0].numpy(), data.class_names))
    st.caption("Each dot is a point the model read, in pen order; its colour is the model's probability, at that "
               "point, of the answer it finally gave. Dots fade where the pen was lifted. "
               + reading.bidirectional_note(readings))


def confidence_paths(readings: list[reading.Reading], inputs: np.ndarray, class_names) -> alt.Chart:
    path = path_frame(inputs)
    frames = []
    for item in readings:
        answer = int(item.final.argmax())
        frames.append(path.assign(model=item.label, confidence=item.probabilities[:, answer],
                                  answer=class_names[answer]))
    frame = pd.concat(frames, ignore_index=True)
    base = alt.Chart(frame).encode(x=alt.X("x:Q", axis=None), y=alt.Y("y:Q", axis=None))
    line = base.mark_line(color="#bbb", strokeWidth=1).encode(order="order:Q", detail="segment:N")
    dots = base.mark_circle(size=70).encode(
        color=alt.Color("confidence:Q", scale=alt.Scale(scheme="viridis", domain=[0, 1]), title="P(answer)",
                        legend=alt.Legend(orient="bottom")),
        opacity=alt.condition(alt.datum.pen_up, alt.value(0.25), alt.value(1.0)),
        tooltip=["model", "order", "answer", alt.Tooltip("confidence:Q", format=".2f")],
    )
    return alt.layer(line, dots).properties(width=PATH_SIZE, height=PATH_SIZE).facet(
        facet=alt.Facet("model:N", title=None, sort=[item.label for item in readings]), columns=PATH_COLUMNS,
        spacing=PICTURE_GAP)


def confusions(experiment: Experiment, stored: runs.StoredRun) -> None:
    """The chosen model's confusion matrix and its most-confused validation samples, drawn."""
    histories = {cell: stored.histories[cell] for cell in model_names(experiment)
                 if cell in stored.histories and stored.histories[cell].confusion}
    if not histories:
        return
    st.subheader("Which characters get confused")
    cell = st.selectbox("Model", list(histories), format_func=model_label, key="confusion_cell")
    history = histories[cell]
    figures.show(charts.confusion_chart(history.confusion, history.class_names,
                                           f"{model_label(cell)}: true against predicted (validation)"))
    data = lab.data_or_error(experiment)
    weights = run_store().load_weights(stored.run_id, cell)
    if data is None or weights is None:
        return
    mistakes = _mistakes(experiment, stored.run_id, cell, data, weights)
    if not mistakes:
        st.caption("No validation sample was misread.")
        return
    rows = []
    for number, (index, true, predicted) in enumerate(mistakes):
        path = path_frame(data.val_inputs[index].numpy())
        path = path[~path["pen_up"]]
        rows += [{"x": x, "y": y, "stroke": segment, "order": order, "sample": number,
                  "label": f"{data.class_names[true]}→{data.class_names[predicted]}"}
                 for x, y, segment, order in zip(path["x"], path["y"], path["segment"], path["order"])]
    st.markdown("**Most-confused samples** (true → predicted), from the most common confusions:")
    figures.show(pictures_chart(pd.DataFrame(rows)))


@st.cache_data(show_spinner=False, max_entries=8)
def _mistakes(_experiment: Experiment, run_id: str, cell: str, _data: TaskData, _weights,
              count: int = 16) -> list[tuple[int, int, int]]:
    model = load_model(_experiment, cell, _data, _weights)
    _, predictions = evaluate_model(model, _data.val_inputs, _data.val_targets)
    wrong = torch.nonzero(predictions != _data.val_targets).flatten().tolist()
    pairs: dict[tuple[int, int], list[int]] = {}
    for index in wrong:
        pairs.setdefault((int(_data.val_targets[index]), int(predictions[index])), []).append(index)
    ranked = sorted(pairs.items(), key=lambda item: -len(item[1]))
    picked = []
    # Round-robin over the commonest confusions, so one pair does not fill every picture.
    for round_ in range(count):
        for (true, predicted), indices in ranked[:8]:
            if round_ < len(indices) and len(picked) < count:
                picked.append((indices[round_], true, predicted))
    return picked


def after_results(experiment: Experiment, stored: runs.StoredRun) -> None:
    draw_it(experiment, stored)
    confusions(experiment, stored)


PARTS = lab.PageParts(
    position_label="pen points back from the end",
    data_panel=data_panel,
    after_results=after_results,
    blocker=blocker,
    inspect_caption="Along a pen path, the gates open and close at corners and pen lifts.",
)
