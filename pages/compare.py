"""Compare: stored runs side by side, with shared axes, smoothing, a settings diff, share links and exports."""

import streamlit as st

from ui import compare_view, navigation

navigation.declare_if_cold()

st.title("Compare runs")
st.markdown(
    "Pick stored runs from the table and overlay their curves: each run keeps **one colour** on every chart "
    "and each model keeps its **dash**. Smooth noisy curves (the raw curve stays faint behind), switch to a "
    "log axis or to wall time, and see only the settings that differ. The address is a share link to this "
    "comparison."
)
compare_view.render()
