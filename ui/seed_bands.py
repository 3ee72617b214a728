"""Seeds as bands on the Compare page: repeat a run's settings with other seeds, draw mean and spread.

One seed can mislead, so a run's "siblings" (the same settings with the next seeds) are trained
through the job queue and found again in the run store by their ids; the band is computed by
core/compare.band from every stored sibling's history.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st

from core.engine.jobs import JobRefused
from core.nn.cells import model_label
from core.report import compare
from core.store import runs
from core.store.runs import RunStore, StoredRun
from core.tasks import experiment as config
from ui import figures, plain
from ui.chart_style import legend, model_dashes, whole_number_axis
from ui.charts import HEIGHT
from ui.compare_charts import run_colours
from ui.services import job_runner, session_liveness, session_owner

# Siblings are the seeds after a run's own; this many are looked for when drawing its band.
MAX_SEEDS = 10
REFRESH_SECONDS = 1.0
BAND_KINDS = ("min-max", "one standard deviation")


def with_seed(stored: StoredRun, seed: int) -> config.Experiment:
    return dataclasses.replace(stored.experiment(), seed=seed)


def siblings(store: RunStore, stored: StoredRun,
             load: Callable[[str], StoredRun | None] | None = None) -> list[StoredRun]:
    """The finished stored runs of the same settings with seeds seed .. seed + MAX_SEEDS - 1.

    Their summaries are read first (one query, no histories), so only runs that exist and have
    finished are loaded; `load` (default: the store's) lets a page serve them from its cache.
    """
    base = stored.experiment().seed
    candidates = [runs.run_id(with_seed(stored, seed)) for seed in range(base, base + MAX_SEEDS)]
    summaries = store.summaries(candidates)
    load = load or store.load
    found = []
    for identifier in candidates:
        summary = summaries.get(identifier)
        if summary is not None and summary.status == "finished":
            other = load(identifier)
            if other is not None and other.status == "finished":
                found.append(other)
    return found


def _jobs_key(run_id: str) -> str:
    return f"seed_jobs_{run_id}"


def _jobs(run_id: str) -> list:
    """The seed jobs started from run `run_id` that the runner still knows, as (job id, job or None)."""
    return [(identifier, job_runner().job(identifier)) for identifier in st.session_state.get(_jobs_key(run_id), [])]


def pending(run_id: str) -> bool:
    return any(job is not None and not job.done for _, job in _jobs(run_id))


def submit(stored: StoredRun, seeds: list[int]) -> None:
    """Queue the run's settings with each of `seeds`; session state keeps the job ids only."""
    started = []
    try:
        for seed in seeds:
            job = job_runner().submit(with_seed(stored, seed), is_alive=session_liveness(), owner=session_owner())
            started.append(job.id)
    except JobRefused as refusal:
        plain.warning("Queued {count} of {wanted} seed runs: {reason}", count=len(started), wanted=len(seeds),
                      reason=str(refusal), icon=":material/block:")
    st.session_state[_jobs_key(stored.run_id)] = started


def progress_text(states: list[str]) -> str:
    queued, training = states.count("queued"), states.count("running")
    ended = len(states) - queued - training
    return f"Seed runs: {queued} queued, {training} training, {ended} of {len(states)} done"


def follow(run_id: str) -> None:
    """While the seed runs of `run_id` train: their progress, redrawn each second, and the whole
    page redrawn (bands included) when the last one ends; after that, which did not finish, once."""
    if pending(run_id):
        @st.fragment(run_every=REFRESH_SECONDS)
        def poll() -> None:
            states = [job.status if job is not None else "ended" for _, job in _jobs(run_id)]
            if not any(state in ("queued", "running") for state in states):
                st.rerun(scope="app")  # every seed has ended: redraw the page with its band
            st.progress((len(states) - states.count("queued") - states.count("running")) / max(len(states), 1),
                        text=progress_text(states))

        poll()
    elif st.session_state.get(_jobs_key(run_id)) is not None:
        for _, job in _jobs(run_id):
            if job is not None and job.status != "finished":
                plain.warning("Seed {seed} {status}: {message}", seed=job.experiment.seed, status=job.status,
                              message=job.message or "no reason given.", icon=":material/warning:")
        st.session_state.pop(_jobs_key(run_id), None)


def repeat_button(stored: dict[str, StoredRun], label_of, store: RunStore) -> None:
    """Repeat one chosen run with the next seeds, followed live; the bands below appear when they end."""
    left, middle, right = st.columns(3, vertical_alignment="bottom")
    chosen = left.selectbox("Run to repeat", list(stored), format_func=label_of, key="repeat_run")
    count = int(middle.number_input("Seeds in all", min_value=2, max_value=MAX_SEEDS, value=3, key="repeat_seeds"))
    run = stored[chosen]
    base = run.experiment().seed
    wanted = {seed: runs.run_id(with_seed(run, seed)) for seed in range(base + 1, base + count)}
    # Summaries only (one query, no histories), as siblings() reads them.
    stored_now = store.summaries(list(wanted.values()))
    missing = [seed for seed, identifier in wanted.items()
               if identifier not in stored_now or stored_now[identifier].status != "finished"]
    busy = pending(run.run_id)
    if right.button("Repeat with other seeds", icon=":material/replay:", key="repeat", disabled=busy or not missing,
                    help="Trains the chosen run's settings with the next seeds (seeds already stored are not "
                         "retrained); the bands appear below as soon as they are stored."):
        submit(run, missing)
        st.rerun()
    follow(run.run_id)


def band_frame(groups: dict[str, list[StoredRun]], series: str) -> pd.DataFrame:
    """Per run label and model: step, mean, low, high, deviation across the stored seeds."""
    rows = []
    for label, members in groups.items():
        for name in members[0].histories:
            curves = [compare.series_values(member.histories[name], series) for member in members
                      if name in member.histories]
            rows += [{"run": label, "model": model_label(name), "seeds": len(members), **point}
                     for point in compare.band(curves)]
    return pd.DataFrame(rows, columns=["run", "model", "seeds", "step", "mean", "low", "high", "deviation"])


def band_chart(frame: pd.DataFrame, title: str, runs: list[str], kind: str,
               colour: alt.Color | None = None) -> alt.LayerChart:
    """Mean line and shaded band per run and model; colour by run unless told otherwise (a lab page
    colours by model, as its other charts do)."""
    if kind == BAND_KINDS[1]:
        frame = frame.assign(low=frame["mean"] - frame["deviation"], high=frame["mean"] + frame["deviation"])
    colour = colour or alt.Color("run:N", title="Run", scale=run_colours(runs), legend=legend(runs))
    base = alt.Chart(frame).encode(x=alt.X("step:Q", title="Step", axis=whole_number_axis()), color=colour)
    area = base.mark_area(opacity=0.2).encode(y=alt.Y("low:Q", title=title), y2="high:Q", detail="model:N")
    dashes = model_dashes(frame["model"])
    line = base.mark_line().encode(y="mean:Q", strokeDash=alt.StrokeDash("model:N", title="Model", scale=dashes,
                                                                         legend=legend(dashes.domain, "top")),
                                   tooltip=["run", "model", "seeds", "step", alt.Tooltip("mean:Q", format=".4g")])
    return alt.layer(area, line, title=title).properties(height=HEIGHT)


def render(store: RunStore, stored: dict[str, StoredRun], label_of,
           load: Callable[[str], StoredRun | None] | None = None) -> None:
    st.subheader("Seeds as bands")
    repeat_button(stored, label_of, store)
    groups = {label_of(identifier): found for identifier, run in stored.items()
              if len(found := siblings(store, run, load)) > 1}
    if not groups:
        st.caption("No chosen run has stored repeats with other seeds yet.")
        return
    kind = st.segmented_control("Band", BAND_KINDS, default=BAND_KINDS[0], required=True, key="band") or BAND_KINDS[0]
    labels = [label_of(identifier) for identifier in stored]
    columns = st.columns(2)
    for index, (series, title) in enumerate((("train loss", "Train loss across seeds"),
                                             ("validation loss", "Validation loss across seeds"))):
        figures.show(band_chart(band_frame(groups, series), title, labels, kind), columns[index])
