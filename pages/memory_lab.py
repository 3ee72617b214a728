"""Memory lab: can a model carry the first symbol across a long sequence? RNN against LSTM, live."""

import streamlit as st

from ui import lab, navigation

navigation.declare_if_cold()

st.title("Memory lab")
st.markdown(
    "Each sequence starts with one of a few symbols and continues with random distractors; the model must "
    "name the **first** symbol at the very end. Train a plain RNN and an LSTM side by side and watch the "
    "gradient that reaches the first step: the RNN's vanishes, the LSTM's gates keep it alive."
)
lab.lesson("memory")
