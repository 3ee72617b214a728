"""Repeat with N seeds on a lab page: the shown settings trained again with other seeds, drawn as
each model's mean and band, because one seed can mislead.

Seeds follow the Compare page's scheme: the shown run's own seed and the next N - 1. The repeats go
through the job queue like any Train; session state keeps their job ids only. The band is the
Compare page's own code (ui/seed_bands.band_frame over core/compare.band), coloured by model as
the lab's other charts are.
"""

from __future__ import annotations

import altair as alt
import streamlit as st

from core.engine.jobs import JobRefused
from core.store.runs import StoredRun
from ui import figures, plain, seed_bands
from ui.charts import colour_of
from ui.services import job_runner, run_store, session_liveness, session_owner

REFRESH_SECONDS = 1.0
LABEL = "these settings"
HIGHEST_SEED = 2**31 - 1


def seeds(base: int, count: int) -> list[int]:
    """The seeds of a repeat: the shown run's own and the next count - 1 (within the seed's range)."""
    return [seed for seed in range(base, base + count) if seed <= HIGHEST_SEED]


def _jobs_key(run_id: str) -> str:
    return f"seed_jobs_{run_id}"


def _jobs(run_id: str) -> list:
    """The seed jobs started from run `run_id` that the runner still knows, as (job id, job or None)."""
    return [(identifier, job_runner().job(identifier)) for identifier in st.session_state.get(_jobs_key(run_id), [])]


def _pending(run_id: str) -> bool:
    return any(job is not None and not job.done for _, job in _jobs(run_id))


def _submit(stored: StoredRun, missing: list[int]) -> None:
    started = []
    try:
        for seed in missing:
            job = job_runner().submit(seed_bands.with_seed(stored, seed), is_alive=session_liveness(),
                                      owner=session_owner())
            started.append(job.id)
    except JobRefused as refusal:
        plain.warning("Queued {count} of {wanted} seed runs: {reason}", count=len(started), wanted=len(missing),
                      reason=str(refusal), icon=":material/block:")
    st.session_state[_jobs_key(stored.run_id)] = started


def progress_text(states: list[str]) -> str:
    queued, training = states.count("queued"), states.count("running")
    ended = len(states) - queued - training
    return f"Seed runs: {queued} queued, {training} training, {ended} of {len(states)} done"


def _progress(run_id: str) -> None:
    @st.fragment(run_every=REFRESH_SECONDS)
    def poll() -> None:
        states = [job.status if job is not None else "ended" for _, job in _jobs(run_id)]
        if not any(state in ("queued", "running") for state in states):
            st.rerun(scope="app")  # every seed has ended: redraw the page with its band
        st.progress((len(states) - states.count("queued") - states.count("running")) / max(len(states), 1),
                    text=progress_text(states))

    poll()


def _report_ended(run_id: str) -> None:
    """Say which seed runs did not finish, once, then forget the jobs."""
    for _, job in _jobs(run_id):
        if job is not None and job.status != "finished":
            plain.warning("Seed {seed} {status}: {message}", seed=job.experiment.seed, status=job.status,
                          message=job.message or "no reason given.", icon=":material/warning:")
    st.session_state.pop(_jobs_key(run_id), None)


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
    pending = _pending(stored.run_id)
    if right.button(f"Repeat with {count} seeds", key="lab_repeat", icon=":material/replay:",
                 disabled=pending or not missing,
                 help=f"Trains these settings again with seeds {base + 1} to {base + count - 1} through the job "
                      "queue (seeds already stored are not retrained); the band appears when they are stored."):
        _submit(stored, missing)
        st.rerun()
    if pending:
        _progress(stored.run_id)
    elif st.session_state.get(_jobs_key(stored.run_id)) is not None:
        _report_ended(stored.run_id)
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

