"""RNN Playground's entry point: page setup and navigation over the files in app_pages/.

The folder is not called pages/: Streamlit treats a pages/ folder as an old-style multipage app
until st.navigation first runs, so a shared link opened first after a server start would skip
this file (no page config, wrong sidebar).
"""

import streamlit as st

from ui import guard

st.set_page_config(page_title="RNN Playground", page_icon="🧠", layout="wide")

pages = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/memory_lab.py", title="Memory lab", icon=":material/memory:"),
    st.Page("app_pages/sentiment.py", title="Sentiment", icon=":material/reviews:"),
    st.Page("app_pages/handwriting.py", title="Handwriting", icon=":material/draw:"),
]
guard.run(st.navigation(pages))  # a failing page shows an error id, not a traceback
