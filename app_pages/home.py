"""Home: what the playground teaches, and preset experiments to open in the memory lab."""

import streamlit as st

from ui.presets import PRESETS

st.title("RNN Playground")
st.markdown(
    "Train small recurrent networks in your browser and **measure** the classic story of RNNs and LSTMs "
    "on your own runs:\n"
    "- a recurrent network carries memory from step to step;\n"
    "- a plain RNN's gradient **vanishes** over long distances, so it cannot learn long dependencies;\n"
    "- an LSTM's **forget, input and output gates** decide what is erased, stored and shown, and its "
    "**cell state** carries the memory while the hidden state is the output.\n\n"
    "Every setting lives in the page's address, so a link reproduces exactly what you saw."
)
st.subheader("Start with a preset")
for preset in PRESETS:
    with st.container(border=True):
        st.markdown(f"**{preset.title}**: {preset.description}")
        st.page_link("app_pages/memory_lab.py", label="Open in the memory lab", icon=":material/arrow_forward:",
                     query_params=preset.params)
