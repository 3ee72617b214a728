"""Translation: an encoder-decoder learns to translate, with and without attention, side by side."""

import streamlit as st

from ui import lab, navigation

navigation.declare_if_cold()

st.title("Translation")
st.markdown(
    "A **sequence-to-sequence** model reads a phrase with a recurrent encoder and writes its translation with a "
    "recurrent decoder, piece by piece. Without **attention** the whole phrase must squeeze through the encoder's "
    "last state; with attention every output piece looks back at the source pieces it needs. Train both side by "
    "side on number words (German puts units before tens, French counts in twenties), dates and quantities, or "
    "your own sentence pairs, then type a phrase and see where each model looked."
)
lab.lesson("translation")
