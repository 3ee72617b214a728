"""The Compare page's share link: checked on open, kept in the address bar, and runs it names that
this server lacks shown with their settings and retrained from them on request.

The link holds `runs` (repeated run ids), the view options, and `settings`: every linked run's
settings packed into one short value by core/compare.pack_settings, so a server that has never seen
a run can still say what it was and train it again (same settings and seed, so the same numbers).
Before the widgets exist the raw URL is checked here: a value that is not a run id is refused with
a notice, and a well-formed id this server does not store is named, never dropped silently.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from core.engine.jobs import JobRefused
from core.report import compare
from core.store import runs
from core.store.runs import RunStore
from core.tasks import experiment as config
from ui import form, plain
from ui.services import job_runner, session_liveness, session_owner

VIEW_KEYS = ("runs", "smoothing", "log_x", "log_y", "x", "layout", "settings")
NOTICE_KEY = "compare_notice"
# Run id -> its settings from the link (None when the link carried none) for linked runs not stored here.
MISSING_KEY = "compare_missing"
# Retraining jobs of missing runs: [{"run": the id the settings give, "job": job id or None}].
PENDING_KEY = "compare_retraining"
MAX_SMOOTHING = 0.99
REFRESH_SECONDS = 1.0


def _drop_param(key: str) -> None:
    try:
        del st.query_params[key]
    except (KeyError, StreamlitAPIException):
        pass  # a parameter bound to a widget is corrected by Streamlit itself


def _smoothing(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0 <= value <= MAX_SMOOTHING else None


def check_link(store: RunStore) -> None:
    """Validate the raw URL once per change; remember what was refused and which runs are missing."""
    raw = {key: st.query_params.get_all(key) for key in st.query_params}
    signature = repr(sorted(raw.items()))
    if st.session_state.get("compare_checked") == signature:
        return
    st.session_state["compare_checked"] = signature
    messages = []
    for key in raw:
        if key not in VIEW_KEYS and key not in config.RESERVED_PARAMS:
            messages.append(f"Ignored unknown setting {key[:40]!r}.")
            _drop_param(key)
    ids, refused = compare.check_run_ids(raw.get("runs", []))
    if refused:
        messages.append("Ignored values that are not run ids (16 hex characters): "
                        + ", ".join(repr(value) for value in refused) + ".")
    settings = {}
    if raw.get("settings"):
        try:
            settings = compare.unpack_settings(raw["settings"][-1])
        except compare.LinkError as error:
            messages.append(f"The link's run settings were not used: {error}.")
    stored = store.summaries(ids)
    missing = {identifier: settings.get(identifier) for identifier in ids if identifier not in stored}
    if missing:
        st.session_state[MISSING_KEY] = {**st.session_state.get(MISSING_KEY, {}), **missing}
    if "smoothing" in raw:
        smoothing = _smoothing(raw["smoothing"][-1] if raw["smoothing"] else "")
        if smoothing is None:
            messages.append(f"Smoothing {raw['smoothing'][-1][:40]!r} is not a number from 0 to "
                            f"{MAX_SMOOTHING}; it was set to 0.")
            st.session_state["smoothing"] = 0.0
            _drop_param("smoothing")
    if messages:
        st.session_state[NOTICE_KEY] = messages
    form.seed_widgets_from_clean_url()


def missing_runs() -> dict[str, dict | None]:
    return dict(st.session_state.get(MISSING_KEY, {}))


def _retrainable(params: dict | None) -> tuple[config.Experiment | None, str]:
    """The experiment a missing run's settings describe, or None and why it cannot be retrained."""
    if params is None:
        return None, "the link does not carry its settings (an older link, or one cut short)"
    experiment, messages = config.from_params(params)
    if messages:
        return None, "its settings are not valid here: " + " ".join(messages)
    return experiment, ""


def _settings_frame(missing: dict[str, dict | None]) -> pd.DataFrame:
    known = {identifier: params for identifier, params in missing.items() if params}
    names = list(dict.fromkeys(name for params in known.values() for name in params))
    return pd.DataFrame({identifier: {name: _shown(params.get(name)) for name in names}
                         for identifier, params in known.items()})


def _shown(value) -> str:
    if value is None:
        return "-"
    return ", ".join(value) if isinstance(value, list) else str(value)


def show_notices() -> None:
    messages = st.session_state.get(NOTICE_KEY)
    if messages:
        st.warning("This link had values that could not be used as given, so they were left out:\n\n"
                   + "\n".join(f"- {plain.escape(message)}" for message in messages), icon=":material/link_off:")
    missing = missing_runs()
    if missing:
        _missing_notice(missing)
    if (messages or missing) and st.button("Dismiss", key="dismiss_compare_notice"):
        st.session_state.pop(NOTICE_KEY, None)
        st.session_state.pop(MISSING_KEY, None)
        st.rerun()


def _missing_notice(missing: dict[str, dict | None]) -> None:
    lines = []
    ready = {}
    for identifier, params in missing.items():
        experiment, reason = _retrainable(params)
        if experiment is None:
            lines.append(f"- `{identifier}`: cannot be retrained here, since {plain.escape(reason)}.")
            continue
        ready[identifier] = experiment
        lines.append(_missing_line(identifier, experiment))
    st.warning(f"This server does not store {len(missing)} of the linked runs:\n\n" + "\n".join(lines)
               + "\n\nRetrain them from the settings the link carries (same settings and seed, so the same "
                 "curves), import their bundles below, or train their settings on the lab pages.",
               icon=":material/cloud_off:")
    if any(missing.values()):
        with st.expander("Settings of the missing runs"):
            plain.table(_settings_frame(missing), hide_index=False)
    pending = {entry["run"] for entry in st.session_state.get(PENDING_KEY, [])}
    waiting = {identifier: experiment for identifier, experiment in ready.items()
               if runs.run_id(experiment) not in pending}
    if waiting and st.button(f"Retrain {len(waiting)} missing run{'s' if len(waiting) > 1 else ''} from the link's "
                             "settings", icon=":material/model_training:", key="retrain_missing"):
        st.session_state[PENDING_KEY] = [*st.session_state.get(PENDING_KEY, []),
                                         *({"run": runs.run_id(experiment), "job": None, "link": identifier}
                                           for identifier, experiment in waiting.items())]
        submit_pending(missing)


def _missing_line(identifier: str, experiment: config.Experiment) -> str:
    """One Markdown line naming a missing run by the settings it will be retrained with.

    The settings quoted are the validated experiment's, not the link's text: a link can pack any
    string beside a valid value (a repeated key counts by its last value), and what matters to
    the reader is what would be trained. They are escaped all the same, as outside text.
    """
    defaults = config.to_params(config.default_experiment(experiment.task))
    differences = compare.settings_diff({"run": config.to_params(experiment), "defaults": defaults})
    summary = ", ".join(f"{name} {_shown(values['run'])}" for name, values in differences.items())
    now = runs.run_id(experiment)
    note = "" if now == identifier else (" This code computes these settings' numbers differently, so "
                                         f"retraining stores run `{now}` and shows it in its place.")
    return plain.fill("- `{identifier}`: {task} with {summary}.", identifier=identifier, task=experiment.task,
                      summary=summary or "the default settings") + note


def submit_pending(missing: dict[str, dict | None]) -> None:
    """Submit the retraining jobs not yet submitted; a refused one waits for the next try, with its reason."""
    for entry in st.session_state.get(PENDING_KEY, []):
        if entry["job"] is not None or entry["link"] not in missing:
            continue
        experiment, _ = _retrainable(missing[entry["link"]])
        try:
            entry["job"] = job_runner().submit(experiment, is_alive=session_liveness(), owner=session_owner()).id
            entry.pop("refused", None)
        except JobRefused as refusal:
            entry["refused"] = str(refusal)


def adopt_retrained(store: RunStore, chosen: list[str]) -> list[str]:
    """Move retrained runs that are now stored from the missing notice into the comparison; the
    chosen ids with them added. Called before the runs widget exists, so it may set its value."""
    pending = st.session_state.get(PENDING_KEY, [])
    if not pending:
        return chosen
    stored = store.summaries([entry["run"] for entry in pending])
    missing = missing_runs()
    still = []
    for entry in pending:
        job = job_runner().job(entry["job"]) if entry["job"] else None
        if entry["run"] in stored and (job is None or job.done):
            missing.pop(entry["link"], None)
            chosen = [*chosen, entry["run"]] if entry["run"] not in chosen else chosen
        elif job is not None and job.done:
            missing.pop(entry["link"], None)
            plain.error("Retraining run {run} ended without a stored run: {message}", run=entry["run"],
                        message=job.message or job.status, icon=":material/error:")
        else:
            still.append(entry)
    st.session_state[PENDING_KEY] = still
    st.session_state[MISSING_KEY] = missing
    # The runs widget refuses values it does not offer, and it offers stored runs only.
    known = store.summaries(chosen)
    chosen = [identifier for identifier in chosen if identifier in known]
    st.session_state["runs"] = chosen
    return chosen


def retraining_progress() -> None:
    """While missing runs retrain: their progress, redrawn each second; the page reruns when one ends."""
    if not st.session_state.get(PENDING_KEY):
        return

    @st.fragment(run_every=REFRESH_SECONDS)
    def poll() -> None:
        submit_pending(missing_runs())
        finished = False
        for entry in st.session_state.get(PENDING_KEY, []):
            job = job_runner().job(entry["job"]) if entry["job"] else None
            if job is None:
                plain.info("Run {run} waits to be submitted: {reason}", run=entry["run"],
                           reason=entry.get("refused", "queued"), icon=":material/hourglass_top:")
                continue
            snapshot = job.snapshot()
            st.progress(min(snapshot.steps_done / max(snapshot.steps_total, 1), 1.0),
                        text=f"Retraining run `{entry['run']}`: {snapshot.status}")
            finished = finished or job.done
        if finished:
            st.rerun(scope="app")

    poll()


def keep_runs_in_url(run_ids: list[str]) -> None:
    """The address bar's `runs` follows the picker, so the address itself stays a share link."""
    if st.query_params.get_all("runs") != list(run_ids):
        if run_ids:
            st.query_params["runs"] = list(run_ids)
        else:
            _drop_param("runs")


def share_settings(params: dict[str, dict]) -> str:
    return compare.pack_settings(params) if params else ""


def keep_settings_in_url(packed: str) -> None:
    """The address bar's `settings` follows the chosen runs, so the address itself stays a share link."""
    if packed and st.query_params.get("settings") != packed:
        st.query_params["settings"] = packed
    elif not packed and "settings" in st.query_params:
        _drop_param("settings")


def share_link(run_ids: list[str], packed: str, smoothing: float, log_x: bool, log_y: bool, x_axis: str,
               layout: str) -> str:
    query = urlencode({"runs": run_ids, "smoothing": f"{smoothing:g}", "log_x": str(log_x).lower(),
                       "log_y": str(log_y).lower(), "x": x_axis, "layout": layout, "settings": packed}, doseq=True)
    st.markdown("**Share this comparison**: the link reopens these runs with these view options; it carries "
                "their settings too, so a server without them can retrain them.")
    link = f"{st.context.url or ''}?{query}"
    st.code(link, language=None, wrap_lines=True)
    return link
