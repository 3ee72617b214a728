"""Ghost curves: earlier runs left faded on a lab's charts, each labelled with what changed.

After a setting change and Train, the run this browser session last viewed (or trained) for the
same task with other settings stays on every chart whose x axis is the training step (loss,
metric, further scores, gradient reaching the first step) until dismissed; "Pin" keeps any run there
across further changes. Session state holds run ids only: histories are read back from the run
store on each script run, and nothing here touches the URL, so a share link still holds exactly
the experiment in the sidebar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from core.data.history import History
from core.report import compare
from core.store.records import DamagedRun
from ui import plain
from ui.charts import colour_of
from ui.services import run_store

# One dash per earlier run on screen, none of them solid or the validation split's [4, 2].
DASHES = ([6, 3], [2, 2], [10, 3, 2, 3], [1, 3], [12, 5], [8, 2, 2, 2, 2, 2])
MAX_PINS = len(DASHES) - 1  # room is kept for the ghost beside the pins
OPACITY = 0.5
# The loss chart draws its noisy train split fainter than validation; its ghost keeps that order.
TRAIN_OPACITY = 0.3
LEGEND_TITLE = "Earlier runs"
# Long change labels are cut (with their full text in the tooltip) rather than widening a phone's chart.
LABEL_LIMIT = 200


@dataclass(frozen=True)
class Ghost:
    """One earlier run drawn faded: its id, its legend label, whether it is pinned, its histories."""

    run_id: str
    label: str
    pinned: bool
    histories: tuple[History, ...]


def _key(task: str, what: str) -> str:
    return f"ghost_{what}_{task}"


def pins(task: str) -> list[str]:
    return list(st.session_state.get(_key(task, "pins"), []))


def note_view(task: str, run_id: str) -> None:
    """The page shows run `run_id`: the run viewed before it, with other settings, becomes the ghost."""
    seen = st.session_state.get(_key(task, "seen"))
    if seen is not None and seen != run_id:
        st.session_state[_key(task, "ghost")] = seen
    st.session_state[_key(task, "seen")] = run_id


def dismiss(task: str) -> None:
    st.session_state.pop(_key(task, "ghost"), None)


def clear(task: str) -> None:
    dismiss(task)
    st.session_state[_key(task, "pins")] = []


def pin(task: str, run_id: str) -> None:
    chosen = pins(task)
    if run_id not in chosen and len(chosen) < MAX_PINS:
        st.session_state[_key(task, "pins")] = [*chosen, run_id]


def unpin(task: str, run_id: str) -> None:
    st.session_state[_key(task, "pins")] = [identifier for identifier in pins(task) if identifier != run_id]


def overlays(task: str, run_id: str, params: dict[str, Any]) -> list[Ghost]:
    """The pinned runs, then the ghost, as drawn beside run `run_id` (whose settings are `params`).

    The shown run itself is never its own ghost, and a run the store no longer has is left out.
    """
    ghost = st.session_state.get(_key(task, "ghost"))
    wanted = list(dict.fromkeys([*pins(task), *([ghost] if ghost else [])]))
    found = []
    for identifier in wanted:
        if identifier == run_id:
            continue
        try:
            stored = run_store().load(identifier)
        except DamagedRun:  # a damaged row is named on the Compare page; here it is only left out
            continue
        if stored is None:
            continue
        pinned = identifier in pins(task)
        change = compare.change_label(stored.params, params) or f"same settings, run {identifier[:8]}"
        change = f"imported: {change}" if stored.imported else change
        label = f"pinned: {change}" if pinned else change
        if any(other.label == label for other in found):
            label = f"{label} ({identifier[:8]})"
        found.append(Ghost(identifier, label, pinned, tuple(stored.histories.values())))
    return found


def render(task: str, run_id: str, params: dict[str, Any], pinnable: bool) -> tuple[Ghost, ...]:
    """Note that run `run_id` is shown, draw the pin and dismiss controls, and return what to overlay."""
    note_view(task, run_id)
    drawn = overlays(task, run_id, params)
    current = st.columns([5, 2])
    if pinnable and run_id not in pins(task):
        current[1].button("Pin this run", key="ghost_pin_current", icon=":material/push_pin:",
                          on_click=pin, args=(task, run_id), disabled=len(pins(task)) >= MAX_PINS,
                          help="Keeps this run's curves on the charts, faded, while you change settings.")
    elif pinnable:
        current[1].button("Unpin this run", key="ghost_unpin_current", on_click=unpin, args=(task, run_id))
    if not drawn:
        return ()
    current[0].caption("Faded curves on the step charts are earlier runs, labelled with how their settings "
                       "differ from this one's (earlier -> now).")
    for ghost in drawn:
        text, action = st.columns([5, 2])
        # The label carries "pinned: " for the charts' legend; beside the word Pinned it would say it twice.
        shown = ghost.label.removeprefix("pinned: ")
        text.markdown(f"{'Pinned' if ghost.pinned else 'Ghost'}: **{plain.escape(shown)}** "
                      f"(run `{ghost.run_id[:8]}`)")
        if ghost.pinned:
            action.button("Unpin", key=f"ghost_unpin_{ghost.run_id}", on_click=unpin, args=(task, ghost.run_id))
        else:
            left, right = action.columns(2)
            left.button("Pin", key=f"ghost_pin_{ghost.run_id}", icon=":material/push_pin:", on_click=pin,
                        args=(task, ghost.run_id), disabled=len(pins(task)) >= MAX_PINS)
            right.button("Dismiss", key="ghost_dismiss", on_click=dismiss, args=(task,))
    if len(drawn) > 1:
        st.button("Clear ghosts", key="ghost_clear", icon=":material/layers_clear:", on_click=clear, args=(task,))
    return tuple(drawn)


def frame(ghosts: tuple[Ghost, ...], frame_of: Callable[[list[History]], pd.DataFrame]) -> pd.DataFrame:
    """The rows a chart of the shown run would plot for each ghost, with its label in column "ghost"."""
    parts = [frame_of(list(ghost.histories)).assign(ghost=ghost.label) for ghost in ghosts]
    parts = [part for part in parts if len(part)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _lines(chart: alt.TopLevelMixin) -> alt.Chart:
    """The layer of a lab chart that draws its curves (the first; later ones are reference lines)."""
    return chart.layer[0] if isinstance(chart, alt.LayerChart) else chart


def over(chart: alt.TopLevelMixin, ghosts: tuple[Ghost, ...],
         frame_of: Callable[[list[History]], pd.DataFrame]) -> alt.TopLevelMixin:
    """The chart with each ghost's curves beneath its own: same axes, faded colours, a dash per run.

    `frame_of` is the function that built the chart's own data (e.g. charts.loss_frame), so a ghost
    plots exactly what the chart would plot for that run. Without ghosts the chart comes back as is.
    """
    rows = frame(ghosts, frame_of)
    if not ghosts or rows.empty:
        return chart
    lines = _lines(chart)
    encoding = lines.encoding
    value = encoding.y.to_dict()["field"]
    labels = [ghost.label for ghost in ghosts]
    models = list(dict.fromkeys(rows["model"]))
    opacity = (alt.condition(alt.datum.split == "train", alt.value(TRAIN_OPACITY), alt.value(OPACITY))
               if "split" in rows else alt.value(OPACITY))
    ghost_layer = alt.Chart(rows).mark_line(strokeWidth=1.5).encode(
        x=encoding.x, y=encoding.y,
        color=alt.Color("model:N", legend=None,
                        scale=alt.Scale(domain=models, range=[faded(colour_of(model)) for model in models])),
        strokeDash=alt.StrokeDash("ghost:N", title=LEGEND_TITLE, sort=labels,
                                  scale=alt.Scale(domain=labels, range=[list(DASHES[i % len(DASHES)])
                                                                        for i in range(len(labels))]),
                                  legend=alt.Legend(labelLimit=LABEL_LIMIT)),
        detail=alt.Detail("split:N") if "split" in rows else alt.Undefined,
        opacity=opacity,
        tooltip=[alt.Tooltip("ghost:N", title="earlier run"), "model", "step", alt.Tooltip(value, format=".4g")],
    )
    title = chart.title
    if isinstance(chart, alt.LayerChart):
        combined = chart.copy()
        combined.layer = [ghost_layer, *chart.layer]
    else:
        base = chart.copy()
        base.title = alt.Undefined
        combined = alt.layer(ghost_layer, base)
    return combined.properties(title=title).resolve_scale(color="independent", strokeDash="independent")


def faded(colour: str, share: float = 0.45) -> str:
    """A colour mixed towards white, so a ghost reads as the same model, only older."""
    red, green, blue = (int(colour[index:index + 2], 16) for index in (1, 3, 5))
    mixed = (round(channel + (255 - channel) * share) for channel in (red, green, blue))
    return "#" + "".join(f"{channel:02x}" for channel in mixed)
