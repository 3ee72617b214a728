"""Sentiment: why reading in order matters. Bag of words against RNN, LSTM and BiLSTM, live."""

import streamlit as st

from core.tasks.explaining import sentiment_lines
from ui import form, lab, navigation
from ui.tasks import sentiment as text_view

navigation.declare_if_cold()

st.title("Sentiment")
st.markdown(
    "Is a sentence positive or negative? A **bag of words** averages the words and cannot tell *not good* from "
    "*good*; a **plain RNN** reads in order but loses a cue that came long ago; an **LSTM** keeps it; a "
    "**BiLSTM** also reads from the end, so it sees what comes later. Train them side by side on word-order "
    "puzzles, on real movie-review snippets, or on your own table, then type a review of your own."
)
experiment = form.lab_controls("sentiment")
text_view.data_panel(experiment)
lab.render(experiment, lab.PageParts(
    position_label="tokens back from the end",
    explain=sentiment_lines,
    after_results=text_view.type_a_review,
    blocker=text_view.blocker,
    inspect_caption="In a sentence, look at where the forget gate drops: that is where the LSTM lets go "
                    "of what it read before (often at “but”).",
))
