"""Next word: language models that must remember a clue many words back, with live samples."""

import streamlit as st

from ui import lab, navigation

navigation.declare_if_cold()

st.title("Next word")
st.markdown(
    "A language model predicts each next word from the words before it. In \"I grew up in France ... so I speak "
    "fluent ___\" the answer depends on a clue said many words earlier: train a plain RNN, a GRU and an LSTM "
    "side by side, watch their samples improve while they train, and see which one still remembers the clue "
    "after a long gap. Or train them on Hamlet, or on your own text."
)
lab.lesson("nextword")
