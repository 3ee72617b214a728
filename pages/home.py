"""Home: what the playground teaches, and preset experiments to open on each page."""

import streamlit as st

from core.tasks.registry import tasks
from ui import class_teacher, guided, navigation
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
for record in tasks():
    st.subheader(record.page.title)
    st.caption(record.page.summary)
    preset_links(record.name)
st.subheader("Compare")
st.caption("Stored runs side by side: overlaid curves, smoothing, the settings that differ, share and export.")
# A button, not a page link: the home page's page links are its presets, one each.
if st.button("Open the Compare page", icon=":material/compare_arrows:", key="open_compare"):
    st.switch_page("pages/compare.py")
guided.home_entry()
class_teacher.start_box()
