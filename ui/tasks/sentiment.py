"""The sentiment page's own parts: the data panel, the upload box and "type a review"."""

from __future__ import annotations

import csv

import altair as alt
import pandas as pd
import streamlit as st

from core.data import tables
from core.export.describe import TYPED_PIECES  # what a downloaded model reads too
from core.store import runs
from core.tasks.base import DataError, TaskData
from core.tasks.experiment import Experiment
from core.tasks.registry import check_training_file
from ui import figures, lab, plain, reading
from ui.chart_style import every_label_axis

SAMPLE_TEXT = "I expected to hate it, but the acting was not bad at all."
# The same review without its full stop: the generated puzzles hold none, so their tokenizer reads
# "." as unknown, and the page's own example should not show a warning it caused itself.
SAMPLE_TEXTS = (SAMPLE_TEXT, SAMPLE_TEXT.removesuffix("."))


def sample_text(codec) -> str:
    """The first sample review whose every word the run's tokenizer knows (else the first)."""
    for text in SAMPLE_TEXTS:
        if not any(word.unknown for word in codec.words(text)):
            return text
    return SAMPLE_TEXTS[0]


blocker = lab.upload_blocker("a table of texts and labels", "sentiment_file")


def data_panel(experiment: Experiment) -> TaskData | None:
    """What the models will read; None (with a message shown) when the data cannot be built."""
    data = lab.data_or_error(experiment, upload_box)
    if data is None:
        return None
    info = data.info
    # An uploaded table's source names its columns, the uploader's text: escaped, as in any label.
    with st.expander(plain.fill("The data: {source}", source=info.get("source", experiment.task_config.source)),
                     expanded=False):
        # Class names are an uploaded table's labels: outside text, escaped into the template.
        plain.markdown("**{train:,}** training and **{val:,}** validation examples; classes: {classes}. "
                       "Licence: {licence}. Vocabulary: {vocab:,} {tokenizer} pieces.",
                       train=info.get("train_size", 0), val=info.get("val_size", 0),
                       classes=", ".join(data.class_names), licence=info.get("licence", "n/a"),
                       vocab=info.get("vocab_size", data.vocab_size), tokenizer=info.get("tokenizer", ""))
        plain.notes([info["origin"]] if info.get("origin") else [])
        plain.notes(info.get("notices", []))
        texts = info.get("val_texts", [])[:12]
        categories = info.get("val_categories", [None] * len(texts))
        frame = pd.DataFrame({
            "text": texts,
            "label": [data.class_names[int(t)] for t in data.val_targets[: len(texts)]],
            **({"kind": categories[: len(texts)]} if "val_categories" in info else {}),
        })
        plain.table(frame, hide_index=True)
        sentence = st.text_input("See how the tokenizer cuts a sentence into pieces",
                                 value=sample_text(data.codec),
                                 key="tokenizer_probe")
        pieces_view(data, sentence)
    return data


def pieces_view(data: TaskData, text: str) -> None:
    words = data.codec.words(text) if text.strip() else []
    if not words:
        st.caption("Type something to see its pieces.")
        return
    spans = []
    for word in words:
        style = "background:#eef;border-radius:4px;padding:1px 4px;margin:1px"
        if word.unknown:
            style = "background:#fdd;border:1px solid #c33;border-radius:4px;padding:1px 4px;margin:1px"
        elif word.heavily_split:
            style = "background:#ffe9b3;border-radius:4px;padding:1px 4px;margin:1px"
        # Typed text: Markdown reads between the tags too, so each piece is escaped for both.
        pieces = "·".join(plain.html_text(piece.text.replace("\u2581", "")) or "␣" for piece in word.pieces)
        spans.append(f'<span style="{style}" title="{plain.html_text(word.text)}">{pieces}</span>')
    st.markdown(" ".join(spans), unsafe_allow_html=True)
    st.caption("Pieces are separated by ·. Yellow: a word cut into 3 or more pieces (rare to the tokenizer). "
               "Red: characters the tokenizer never saw (read as one unknown token).")


def upload_box(experiment: Experiment) -> None:
    """Read the user's table, let them pick its columns, and keep a clean copy under a key."""
    st.markdown("**Your data**: a CSV or TSV file with a column of texts and a column of labels "
                "(0/1, pos/neg, or any two or more classes).")
    uploaded = st.file_uploader("Upload a table", type=["csv", "tsv", "txt"], key="sentiment_file")
    if uploaded is None:
        if experiment.task_config.upload:
            st.caption(f"Training on the table kept under key `{experiment.task_config.upload}`.")
        return
    content = uploaded.getvalue()
    format = "tsv" if uploaded.name.lower().endswith((".tsv", ".txt")) else "csv"
    try:
        preview = tables.read_table(content, format)
        columns = list(preview.columns)
        text_column, label_column = preview.text_column, preview.label_column
    except DataError as error:
        columns = _header(content, format)
        if len(columns) < 2:
            plain.error("{name}: {error}", name=uploaded.name, error=error, icon=":material/error:")
            return
        plain.info("{error} Pick the columns below.", error=error, icon=":material/table:")
        text_column, label_column = columns[0], columns[-1]
    left, right = st.columns(2)
    text_column = left.selectbox("Text column", columns, index=columns.index(text_column), key="text_column")
    label_column = right.selectbox("Label column", columns, index=columns.index(label_column),
                                   key="label_column")
    try:
        table = check_training_file("sentiment", tables.read_table(content, format, text_column=text_column,
                                                                   label_column=label_column))
    except DataError as error:
        plain.error("{name}: {error}", name=uploaded.name, error=error, icon=":material/error:")
        return

    def clean_copy() -> bytes:
        # The chosen columns, renamed to the importer's defaults, so the run needs no column settings.
        frame = pd.DataFrame({"text": table.texts, "label": [table.class_names[t] for t in table.targets]})
        return frame.to_csv(index=False).encode("utf-8")

    lab.confirm_upload(table.notices, f"{len(table.texts):,} rows, classes: {', '.join(table.class_names)}.",
                       "Train on this table", "use_table", clean_copy, "csv", uploaded)


def _header(content: bytes, format: str) -> list[str]:
    """The column names of a table whose columns could not be picked automatically."""
    try:
        first = content.decode("utf-8-sig").splitlines()[0]
        names = next(csv.reader([first], delimiter=tables.DELIMITERS.get(format, ",")))
    except (UnicodeDecodeError, IndexError, StopIteration, csv.Error):
        return []
    return list(dict.fromkeys(name.strip() for name in names if name.strip()))


def type_a_review(experiment: Experiment, stored: runs.StoredRun) -> None:
    st.subheader("Type a review")
    data = lab.data_or_error(experiment)
    if data is None:
        return
    text = st.text_area("Your review", value=sample_text(data.codec), key="review_text", height=80,
                        help="Every trained model reads it; the chart shows what each would answer after each piece.")
    if not text.strip():
        st.info("Type a sentence for the models to read.", icon=":material/edit:")
        return
    inputs, lengths, empty = data.codec.encode_batch([text], max_length=TYPED_PIECES, return_empty=True)
    words = data.codec.words(text)
    if bool(empty[0]) or all(word.unknown for word in words):
        st.warning("None of these characters are known to the tokenizer, so the models would read only "
                   "unknown tokens. Try a sentence in English words.", icon=":material/help:")
        return
    readings = reading.read_and_answer(experiment, stored, data, inputs, "try your own text")
    if not readings:
        return
    pieces = [piece for piece, _, _ in data.codec.pieces(text)][: int(lengths[0])]
    figures.show(reading_chart(readings, pieces, data.class_names))
    pieces_view(data, text)
    if note := reading.bidirectional_note(readings):
        st.caption(note)


def reading_chart(readings: list[reading.Reading], pieces: list[str], class_names: tuple[str, ...]) -> alt.Chart:
    """Piece by piece, each model's probability of the last class (positive, for two classes)."""
    target = len(class_names) - 1
    labels = [f"{index + 1} {piece.replace(chr(0x2581), '') or '␣'}" for index, piece in enumerate(pieces)]
    rows = [{"piece": labels[step], "model": item.label, "probability": float(item.probabilities[step, target])}
            for item in readings for step in range(min(len(labels), item.probabilities.shape[0]))]
    frame = pd.DataFrame(rows, columns=["piece", "model", "probability"])
    base = alt.Chart(frame).encode(
        x=alt.X("piece:N", sort=labels, title=None, axis=every_label_axis(len(labels))),
        y=alt.Y("model:N", title=None, sort=[item.label for item in readings]),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("probability:Q", scale=alt.Scale(scheme="redblue", domain=[0, 1]),
                        title=f"P({class_names[target]})"),
        tooltip=["model", "piece", alt.Tooltip("probability:Q", format=".2f")],
    )
    text = base.mark_text(fontSize=9).encode(text=alt.Text("probability:Q", format=".2f"))
    return alt.layer(cells, text, title=f"P({class_names[target]}) after each piece").properties(
        height=alt.Step(40))


PARTS = lab.PageParts(
    position_label="tokens back from the end",
    data_panel=data_panel,
    after_results=type_a_review,
    blocker=blocker,
    inspect_caption="In a sentence, look at where the forget gate drops: that is where the LSTM lets go "
                    "of what it read before (often at “but”).",
)
