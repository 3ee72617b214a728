"""Class (teacher): a class's students, their runs and scores, live; opens only with the teacher link."""

import streamlit as st

from ui import class_teacher, navigation

navigation.declare_if_cold(class_gate=False)

st.title("Your class")
class_teacher.render()
