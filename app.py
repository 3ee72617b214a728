"""RNN Playground's entry point: page setup and navigation over the files in pages/.

A shared link may open a page as the very first request of a fresh server, when Streamlit would
run that pages/ file directly; ui/navigation.py makes such a page declare this navigation and
rerun through here, so every link gets the page config and the sidebar.
"""

import streamlit as st

from ui import navigation

# An emoji, not a Material icon: the icon font for the page's favicon came from Google's servers.
st.set_page_config(page_title="RNN Playground", page_icon="🧠", layout="wide")
navigation.run()
