"""Handwriting: recurrent models read the pen's path point by point; draw a character for them."""

import streamlit as st

from core.tasks.explaining import handwriting_lines
from ui import form, lab, navigation
from ui.tasks import handwriting as pen_view

navigation.declare_if_cold()

st.title("Handwriting")
st.markdown(
    "Online handwriting recognition reads the **pen's path**, point by point, the classic LSTM success story. "
    "The training data is generated from single-line stroke fonts, written the way people write: slanted, "
    "wobbly, in varied stroke order, with several shapes per digit. Train GRU, LSTM and BiLSTM side by side, "
    "then draw a character and watch each model read it."
)
experiment = form.lab_controls("handwriting")
pen_view.data_panel(experiment)
lab.render(experiment, lab.PageParts(
    position_label="pen points back from the end",
    explain=handwriting_lines,
    after_results=pen_view.after_results,
    blocker=pen_view.blocker,
    inspect_caption="Along a pen path, the gates open and close at corners and pen lifts.",
))
