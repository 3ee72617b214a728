"""Repeat with N seeds on a lab page: the shown settings trained again with other seeds, drawn as
each model's mean and band, because one seed can mislead.

Seeds follow the Compare page's scheme: the shown run's own seed and the next N - 1. The repeats go
through the job queue like any Train, followed live as on Compare (ui/seed_bands.py). The band is the
Compare page's own code (ui/seed_bands.band_frame over core/compare.band), coloured by model as
the lab's other charts are.
"""

from __future__ import annotations

import altair as alt
import streamlit as st

from core.store.runs import StoredRun
from ui import figures, seed_bands
from ui.charts import colour_of
from ui.services import run_store

LABEL = "these settings"
HIGHEST_SEED = 2**31 - 1


def seeds(base: int, count: int) -> list[int]:
    """The seeds of a repeat: the shown run's own and the next count - 1 (within the seed's range)."""
    return [seed for seed in range(base, base + count) if seed <= HIGHEST_SEED]


def render(stored: StoredRun) -> None:
    st.subheader("Repeat with other seeds")
    if stored.status != "finished":
        st.caption("Repeating with other seeds starts from a finished run: train these settings to the end first.")
        return
    left, right, _ = st.columns([1, 1, 2], vertical_alignment="bottom")
    count = int(left.number_input("Seeds in all", min_value=2, max_value=seed_bands.MAX_SEEDS, value=3,
                                  key="lab_seed_count", help="This run's seed and the next ones."))
    base = stored.experiment().seed
    members = {seed: run_store().find(seed_bands.with_seed(stored, seed), finished_only=True)
               for seed in seeds(base, count)}
    missing = [seed for seed, run in members.items() if run is None]
    pending = seed_bands.pending(stored.run_id)
    if right.button(f"Repeat with {count} seeds", key="lab_repeat", icon=":material/replay:",
                 disabled=pending or not missing,
                 help=f"Trains these settings again with seeds {base + 1} to {base + count - 1} through the job "
                      "queue (seeds already stored are not retrained); the band appears when they are stored."):
        seed_bands.submit(stored, missing)
        st.rerun()
    seed_bands.follow(stored.run_id)
    found = [run for run in members.values() if run is not None]
    if len(found) < 2:
        return
    bands(found, [seed for seed, run in members.items() if run is not None])


def bands(found: list[StoredRun], seeds_found: list[int]) -> None:
    kind = st.segmented_control("Band", seed_bands.BAND_KINDS, default=seed_bands.BAND_KINDS[0], required=True,
                                key="lab_band") or seed_bands.BAND_KINDS[0]
    metric = next(iter(found[0].histories.values())).metric
    columns = st.columns(2)
    for index, (series, title) in enumerate((("train loss", "Train loss across seeds"),
                                             (f"validation {metric}", f"Validation {metric} across seeds"))):
        frame = seed_bands.band_frame({LABEL: found}, series)
        labels = list(dict.fromkeys(frame["model"]))
        colour = alt.Color("model:N", title="Model",
                           scale=alt.Scale(domain=labels, range=[colour_of(label) for label in labels]))
        figures.show(seed_bands.band_chart(frame, title, [LABEL], kind, colour), columns[index])
    spread = ("the lowest to the highest seed" if kind == seed_bands.BAND_KINDS[0]
              else "one standard deviation either side of the mean")
    st.caption(f"Each line is a model's mean over {len(found)} seeds ({', '.join(map(str, seeds_found))}) at each "
               f"step; its shaded band spans {spread}. Where two models' bands overlap, a single seed could "
               "have ranked them either way.")

