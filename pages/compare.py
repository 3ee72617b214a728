"""Compare: stored runs side by side, overlaid or in small multiples, with smoothing, a settings diff,
share links that carry the runs' settings, and exports."""

import streamlit as st

from ui import compare_view, navigation

navigation.declare_if_cold()

st.title("Compare runs")
st.markdown(
    "Pick stored runs from the table and overlay their curves, or set them out as small multiples (a panel per "
    "run or per model, every panel on the same axes): each run keeps **one colour** on every chart and each "
    "model keeps its **dash**. Smooth noisy curves (the raw curve stays faint behind), switch either axis to "
    "log or x to wall time, slide the gradient-through-time probe, and see only the settings that differ. The "
    "address is a share link to this comparison, carrying the runs' settings so another server can retrain them."
)
compare_view.render()
