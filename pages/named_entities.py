"""Named entities: tag people, places, firms and dates; a name the words after it decide, read forward or both ways."""

import streamlit as st

from ui import lab, navigation

navigation.declare_if_cold()

st.title("Named entities")
st.markdown(
    "Tag every word of a sentence with the entity it belongs to: a **person**, a **place**, an **organisation** "
    "or a **date**. The same surname is all three (“Garcia scored twice”, “Garcia lies on the river”, “Garcia "
    "hired 300 workers”), and when it opens the sentence only the words **after** it say which. Train forward "
    "readers (RNN, LSTM), a **bidirectional** LSTM and a word-by-word baseline side by side, and see which of "
    "them can tag it."
)
lab.lesson("ner")
