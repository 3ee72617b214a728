"""Handwriting: recurrent models read the pen's path point by point; draw a character for them."""

import streamlit as st

from ui import lab, navigation

navigation.declare_if_cold()

st.title("Handwriting")
st.markdown(
    "Online handwriting recognition reads the **pen's path**, point by point, the classic LSTM success story. "
    "The training data is generated from single-line stroke fonts, written the way people write: slanted, "
    "wobbly, in varied stroke order, with several shapes per digit. Train GRU, LSTM and BiLSTM side by side, "
    "then draw a character and watch each model read it."
)
lab.lesson("handwriting")
