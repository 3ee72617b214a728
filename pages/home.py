"""Home: what the playground teaches, and preset experiments to open on each page."""

import streamlit as st

from ui import navigation
from ui.presets import preset_links

navigation.declare_if_cold()

st.title("RNN Playground")
st.markdown(
    "Train small recurrent networks in your browser and **measure** the classic story of RNNs and LSTMs "
    "on your own runs:\n"
    "- a recurrent network carries memory from step to step;\n"
    "- a plain RNN's gradient **vanishes** over long distances, so it cannot learn long dependencies;\n"
    "- an LSTM's **forget, input and output gates** decide what is erased, stored and shown, and its "
    "**cell state** carries the memory while the hidden state is the output;\n"
    "- a **bidirectional** LSTM reads the past and the future, and word order matters: a bag of words "
    "cannot tell *not good* from *good*;\n"
    "- an encoder-decoder without **attention** must squeeze a whole phrase into one state; with attention "
    "each output word looks back at the words it translates.\n\n"
    "Every setting lives in the page's address, so a link reproduces exactly what you saw."
)
sections = (
    ("memory", "Memory lab", "Can a model carry the first symbol across a long, noisy sequence?"),
    ("sentiment", "Sentiment", "Word-order puzzles, real movie reviews or your own table; then type a review."),
    ("handwriting", "Handwriting", "Pen trajectories read point by point; then draw a character yourself."),
    ("translation", "Translation", "An encoder-decoder with and without attention; then type a phrase and see "
                                   "where each output piece looked."),
)
for task, title, summary in sections:
    st.subheader(title)
    st.caption(summary)
    preset_links(task)
st.subheader("Compare")
st.caption("Stored runs side by side: overlaid curves, smoothing, the settings that differ, share and export.")
# A button, not a page link: the home page's page links are its presets, one each.
if st.button("Open the Compare page", icon=":material/compare_arrows:", key="open_compare"):
    st.switch_page("pages/compare.py")
