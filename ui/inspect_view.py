"""Inside a trained model: gate heatmaps and cell state against hidden state for one example."""

from __future__ import annotations

import streamlit as st

from core.data.errors import DataError
from core.nn.cells import model_label
from core.report.analysis import has_gates, trace_example
from core.store import runs
from core.tasks.experiment import Experiment, model_names
from ui import charts, figures, plain
from ui.services import run_store, view_data

GATE_HELP = {
    "input": "Input gate: how much of the new candidate is written into the cell (1 = write).",
    "forget": "Forget gate: how much of the old cell state is kept (1 = keep, 0 = erase).",
    "output": "Output gate: how much of the cell state is shown as the hidden state (1 = show).",
    "reset": "Reset gate: how much of the previous state feeds the new candidate.",
    "update": "Update gate: how much of the previous state is kept (1 = keep).",
}
MAX_UNITS = 32
# The strongest units, traced as cell state against hidden state (the top rows of every heatmap).
TRACED_UNITS = 3


def render(experiment: Experiment, stored: runs.StoredRun, caption: str = "") -> None:
    cells = [name for name in model_names(experiment) if has_gates(name) and name in stored.histories]
    st.subheader("Look inside")
    if not cells:
        st.caption("Gates exist in LSTM and GRU cells; add one to the comparison to look inside.")
        return
    try:
        data = view_data(experiment)
    except DataError:
        # The data panel above already says why (an uploaded file this server does not hold).
        st.caption("Looking inside needs the run's data, which this server cannot build (see above).")
        return
    left, right = st.columns(2)
    cell = left.selectbox("Model", cells, format_func=model_label, key="inspect_cell")
    index = right.number_input("Validation example", min_value=0, max_value=int(data.val_targets.shape[0]) - 1,
                               value=0, step=1, key="inspect_example")
    weights = run_store().load_weights(stored.run_id, cell)
    if weights is None:
        # The page's status box already says the run has no weights (ui/lab_status.NO_WEIGHTS).
        st.caption("Looking inside needs the run's trained weights, which it does not have (see above).")
        return
    trace = trace_example(experiment, cell, data, weights, int(index))
    # The sentence quotes the example's text and class names, which may come from an upload.
    plain.markdown("{summary}", summary=trace.summary)
    units = trace.strongest_units(min(MAX_UNITS, trace.hidden.shape[1]))
    traced = units[:TRACED_UNITS]
    st.caption(units_caption(trace, units, traced))
    columns = st.columns(len(trace.gates))
    for column, (name, values) in zip(columns, trace.gates.items()):
        figures.show(charts.heatmap(values[:, units], f"{name.capitalize()} gate", units=units), column)
        column.caption(GATE_HELP.get(name, ""))
    if trace.cell_state is not None:
        figures.show(charts.state_chart(trace.cell_state, trace.hidden, traced))
        st.caption("The cell state c_t is the LSTM's long-term memory; the hidden state h_t = o_t · tanh(c_t) is "
                   "what the layer shows, and it can stay small while the memory is held. " + caption)


def units_caption(trace, units: list[int], traced: list[int]) -> str:
    """The one rule that picks the units every view of this example shows, said in words."""
    state = "cell state" if trace.cell_state is not None else "hidden state"
    total = trace.hidden.shape[1]
    shown = f"all {total} units" if len(units) == total else f"the {len(units)} of {total} units"
    text = (f"Showing {shown} ordered by the size of their final {state}, largest at the top "
            "(where the memory most likely lives)")
    if trace.cell_state is None:
        return text + "."
    return text + f"; the cell- and hidden-state traces follow the top {len(traced)}: units " + \
        ", ".join(map(str, traced)) + "."
