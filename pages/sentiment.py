"""Sentiment: why reading in order matters. Bag of words against RNN, LSTM and BiLSTM, live."""

import streamlit as st

from ui import lab, navigation

navigation.declare_if_cold()

st.title("Sentiment")
st.markdown(
    "Is a sentence positive or negative? A **bag of words** averages the words and cannot tell *not good* from "
    "*good*; a **plain RNN** reads in order but loses a cue that came long ago; an **LSTM** keeps it; a "
    "**BiLSTM** also reads from the end, so it sees what comes later. Train them side by side on word-order "
    "puzzles, on real movie-review snippets, or on your own table, then type a review of your own."
)
lab.lesson("sentiment")
