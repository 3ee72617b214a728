"""A stored run as one HTML file a student can hand in: the lab's charts drawn as SVG, the
explanation, the settings, the share link and when it was made (core/report/html_page.py writes
the file). It opens with no server and no network, and is made only when its button is pressed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import altair as alt
import streamlit as st

from core.data.history import History
from core.report.html_page import Figure, report_html
from core.store import runs
from core.tasks import experiment as config
from core.tasks.experiment import Experiment, model_names
from core.tasks.registry import task
from ui import charts, share
from ui.compare_export import to_svg
from ui.services import run_store

# A report is read on paper or a laptop: charts a page wide, the per-model panels two to a row.
REPORT_WIDTH = 640


def report_charts(histories: list[History], baselines: dict[str, float],
                  position_label: str) -> list[alt.TopLevelMixin]:
    """The lab's charts of a finished run, in the order the page shows them."""
    classes = max((len(h.class_names) for h in histories), default=0)
    found = [charts.loss_chart(histories), charts.metric_chart(histories, 1 / classes if classes else None)]
    for name in dict.fromkeys(name for h in histories for name in h.scores):
        found.append(charts.score_chart(histories, name, baselines.get(name)))
    if any(h.group_metric for h in histories):
        found.append(charts.group_chart(histories, columns=2))
    found += [charts.gradient_chart(histories, None, position_label), charts.ratio_chart(histories),
              charts.layer_norm_chart(histories, columns=2)]
    return found


def _sized(chart: alt.TopLevelMixin) -> dict:
    spec = chart.to_dict()
    if "vconcat" not in spec and "hconcat" not in spec:
        spec["width"] = REPORT_WIDTH
    return spec


def _title(spec: dict) -> str:
    title = spec.get("title", "")
    return str(title.get("text", "") if isinstance(title, dict) else title)


def drawn(charts_to_draw: list[alt.TopLevelMixin]) -> list[Figure]:
    """Each chart as a titled SVG figure, a page wide."""
    figures = []
    for chart in charts_to_draw:
        spec = _sized(chart)
        figures.append(Figure(_title(spec), to_svg(spec)))
    return figures


def comparison_report(charts_shown: dict[str, alt.TopLevelMixin], runs_shown: dict[str, runs.StoredRun],
                      label_of, link: str) -> str:
    """The Compare page's view as HTML text: its charts, each run by its name, and their settings."""
    sentences = []
    for identifier, stored in runs_shown.items():
        finals = ", ".join(
            f"{model} {history.final_val_metric():.3g}" for model, history in stored.histories.items()
            if history.final_val_metric() is not None)
        sentences.append(f"**{label_of(identifier)}**: run `{identifier}` of the {stored.task} lesson, "
                         f"{stored.status}" + (f"; final validation {finals}" if finals else "") + ".")
    settings = [(label_of(identifier), ", ".join(f"{key}={', '.join(value) if isinstance(value, list) else value}"
                                                 for key, value in stored.params.items()))
                for identifier, stored in runs_shown.items()]
    return report_html(
        title=f"Comparison of {len(runs_shown)} runs",
        made=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        link=link, sentences=sentences, figures=drawn(list(charts_shown.values())), settings=settings,
        sentences_heading="The runs")


def settings_rows(experiment: Experiment) -> list[tuple[str, str]]:
    """Every setting by its label, as the sidebar names it, with the value the run used."""
    fields = config.parameter_fields(experiment.task)
    rows = []
    for name, value in config.to_params(experiment).items():
        label = fields[name][1].metadata["label"] if name in fields else name.capitalize()
        rows.append((label, ", ".join(value) if isinstance(value, list) else value))
    return rows


def run_report(experiment: Experiment, stored: runs.StoredRun, explain, baselines: dict[str, float],
               position_label: str, link: str) -> str:
    """The report of a stored run as HTML text."""
    histories = [stored.histories[name] for name in model_names(experiment) if name in stored.histories]
    figures = drawn(report_charts(histories, baselines, position_label))
    notes = [] if stored.status == "finished" else [f"This run did not finish: it was {stored.status}."]
    record = task(experiment.task)
    return report_html(
        title=f"{record.page.title}: run {stored.run_id}",
        made=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        link=link,
        sentences=explain(experiment, histories) if explain else [],
        figures=figures,
        settings=settings_rows(experiment),
        notes=notes,
    )


def report_button(experiment: Experiment, stored: runs.StoredRun, explain, baselines: dict[str, float],
                  position_label: str) -> None:
    # The link is read now: the file is made later, when the button is pressed, outside this run.
    link = share.share_url(experiment)
    run_id = stored.run_id
    st.download_button(
        "Report (one HTML file)",
        lambda: _report(experiment, run_id, explain, baselines, position_label, link),
        file_name=f"rnn-playground-{experiment.task}-{run_id}.html", mime="text/html", on_click="ignore",
        icon=":material/description:", key="run_report",
        help="The charts, the explanation, the settings and the share link in one file that opens anywhere, "
             "with no network, and prints well.")


def _report(experiment: Experiment, run_id: str, explain, baselines: dict[str, float], position_label: str,
            link: str) -> bytes:
    """The report, from the run read again when the button is pressed. Streamlit keeps a download's
    function as long as the tab is open, so it holds the run's id, not the run: every open tab
    would otherwise keep its own copy of the run's histories (0.4 MB for the memory lab's defaults)."""
    stored = run_store().load(run_id)
    if stored is None:
        raise ValueError(f"Run {run_id} is no longer in the run store.")
    return run_report(experiment, stored, explain, baselines, position_label, link).encode()
