"""RNN Playground's entry point: page setup and navigation over the files in pages/."""

import streamlit as st

st.set_page_config(page_title="RNN Playground", page_icon=":material/neurology:", layout="wide")

pages = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/memory_lab.py", title="Memory lab", icon=":material/memory:"),
]
st.navigation(pages).run()
