"""Every page through Streamlit's AppTest, from app.py: rendering, URL validation, training, charts."""

from __future__ import annotations

import json
import re

import numpy as np
import pyarrow as pa
from streamlit.testing.v1 import AppTest

from core.report.analysis import trace_example
from core.tasks import experiment as config
from core.tasks.registry import presets, task, task_names
from ui import share
from ui.services import job_runner, run_store, task_data

APP = "../app.py"
TINY = {"distance": "8", "steps": "40", "hidden_size": "8", "batch_size": "16", "eval_every": "10",
        "probe_every": "10", "cells": ["RNN", "LSTM"]}


def table_frames(app: AppTest) -> list:
    """Each static table on the page as a reader sees it: the Markdown escapes of ui/plain.table
    (backslashes, word joiners) undone."""
    from ui.plain import WORD_JOINER

    def seen(value):
        return re.sub(r"\\(.)", r"\1", value).replace(WORD_JOINER, "") if isinstance(value, str) else value

    frames = []
    for table in app.table:
        frame = table.value.copy()
        frame.columns = [seen(name) for name in frame.columns]
        frame.index = [seen(name) for name in frame.index]
        for column in frame.columns:
            frame[column] = [seen(value) for value in frame[column]]
        frames.append(frame)
    return frames


def open_page(page: str, params: dict | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    if page != "home":
        app.switch_page(f"pages/{page}.py")
    for key, value in (params or {}).items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, app.exception
    return app


def title_of(spec: dict) -> str:
    """A chart's title text, whether given as a string or with a subtitle."""
    title = spec.get("title") or spec.get("spec", {}).get("title") or ""
    return title.get("text", "") if isinstance(title, dict) else str(title)


def chart_frames(app: AppTest) -> list[tuple[dict, object]]:
    """(Vega-Lite spec, data frame) for every chart on the page."""
    frames = []
    for chart in app.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        tables = [pa.ipc.open_stream(d.data.data).read_pandas() for d in chart.proto.datasets]
        frames.append((spec, tables[0] if tables else None))
    return frames


# A phone's chart column inside an expander (390 px less Streamlit's padding), less the ~45 px that
# Vega adds around a facet's panels; the browser test measures the real width.
PHONE_COLUMN = 280


def facet_width(spec: dict) -> int:
    """The drawn width of a fixed-size faceted chart: its columns of panels and the gaps between."""
    inner = spec["spec"]
    width = inner.get("width", 0)
    columns = spec.get("columns", 1)
    return columns * width + (columns - 1) * spec.get("spacing", 20)


def assert_charts_fit(app: AppTest) -> None:
    """Every chart on the page either stretches to its column (Vega-Lite's fit-x, as
    ui/figures.show draws it) or is a fixed-size small multiple narrow enough for a phone."""
    for spec, _ in chart_frames(app):
        title = spec.get("title") or spec.get("spec", {}).get("title")
        if "facet" in spec:
            assert facet_width(spec) <= PHONE_COLUMN, (title, facet_width(spec))
        else:
            assert spec.get("autosize", {}).get("type") == "fit-x", (title, spec.get("autosize"))
            assert "width" not in spec, title


# Steps, positions and distances: whole numbers, so their axes never read "1.2" (issue 17, item 12).
WHOLE_FIELDS = {"step", "back", "t", "distance"}
WHOLE_TITLES = {"Step", "Steps back from the end"}


def encodings(spec) -> list[dict]:
    """Every x and y encoding anywhere in a (layered, concatenated) Vega-Lite spec."""
    found = []
    if isinstance(spec, dict):
        for channel in ("x", "y"):
            encoding = spec.get("encoding", {}).get(channel)
            if isinstance(encoding, dict):
                found.append(encoding)
        for value in spec.values():
            found += encodings(value)
    elif isinstance(spec, list):
        for value in spec:
            found += encodings(value)
    return found


def assert_whole_number_axes(app: AppTest) -> int:
    """Every quantitative axis over a step, position or distance labels whole numbers only."""
    checked = 0
    for spec, _ in chart_frames(app):
        for encoding in encodings(spec):
            # Compare names its x "x" whatever it holds; its title says when that is a step.
            whole = encoding.get("field") in WHOLE_FIELDS or encoding.get("title") in WHOLE_TITLES
            if whole and encoding.get("type") == "quantitative":
                assert encoding.get("axis", {}).get("format") == "d", (title_of(spec), encoding)
                checked += 1
    return checked


def train_to_the_end(app: AppTest) -> None:
    [train] = [button for button in app.button if button.label == "Train"]
    train.click().run()
    assert not app.exception, app.exception
    for job in job_runner().jobs():
        assert job.wait(120)
    app.run()
    assert not app.exception, app.exception


def test_home_page_explains_and_links_presets():
    app = open_page("home")
    text = " ".join(m.value for m in app.markdown)
    assert "vanish" in text and "forget" in text
    links = app.get("page_link")
    assert len(links) == len(presets())
    for link, preset in zip(links, presets()):
        assert link.proto.page.endswith(task(preset.task).page.path.removeprefix("pages/").removesuffix(".py"))


def test_memory_lab_opens_on_defaults_with_every_control():
    app = open_page("memory_lab")
    defaults = config.to_params(config.Experiment())
    sliders = {slider.key: slider.value for slider in app.slider}
    for name in ("distance", "symbols", "hidden_size", "num_layers", "batch_size", "steps", "seed"):
        value = sliders.get(name, None) if name != "seed" else app.number_input(key="seed").value
        assert str(value) == defaults[name]
    assert app.multiselect(key="cells").value == ["rnn", "lstm"]
    assert app.select_slider(key="lr").value == config.Experiment().train.lr
    assert any("Not trained yet" in info.value for info in app.info)


def test_a_tampered_link_opens_with_clean_values_and_a_notice():
    app = open_page("memory_lab", {"hidden_size": "99999", "lr": "abc", "cells": ["Transformer", "LSTM"],
                                   "bogus": "1", "distance": "-4"})
    [notice] = [w.value for w in app.warning if "could not be used" in w.value]
    for fragment in ("Hidden size", "Learning rate", "Transformer", "'bogus'", "Distance"):
        assert fragment in notice
    assert app.slider(key="hidden_size").value == 256
    assert app.slider(key="distance").value == 5
    assert app.multiselect(key="cells").value == ["lstm"]
    assert app.select_slider(key="lr").value == config.Experiment().train.lr


def test_the_share_link_spells_out_the_experiment():
    params = {**TINY, "seed": "11", "cells": ["GRU", "BiLSTM"]}
    app = open_page("memory_lab", params)
    link = app.code[0].value
    for key, value in params.items():
        for item in value if isinstance(value, list) else [value]:
            assert f"{key}={item}" in link
    experiment, messages = config.from_params(params)
    assert messages == [] and link.endswith(share.query_string(experiment))


def test_training_a_tiny_job_draws_its_curves_and_stores_the_run():
    params = {**TINY, "seed": "21"}
    app = open_page("memory_lab", params)
    train_to_the_end(app)
    assert any("Trained and saved as run" in s.value for s in app.success)
    assert not any("Loaded finished run" in s.value for s in app.success)
    experiment, _ = config.from_params(params)
    stored = run_store().find(experiment)
    assert stored is not None and stored.status == "finished"
    frames = chart_frames(app)
    titles = [spec.get("title") or spec.get("spec", {}).get("title") for spec, _ in frames]
    assert "Loss" in titles and "Validation accuracy" in titles
    loss = next(frame for spec, frame in frames if spec.get("title") == "Loss")
    assert set(loss["model"]) == {"RNN", "LSTM"}
    assert loss[loss["split"] == "train"]["step"].max() == 40
    assert len(loss[(loss["split"] == "train") & (loss["model"] == "LSTM")]) == 40
    gradient = next(frame for spec, frame in frames if str(spec.get("title", "")).startswith("Gradient through"))
    assert set(gradient["back"]) == set(range(0, 8))
    text = " ".join(m.value for m in app.markdown)
    assert "orders of magnitude" in text
    # The look-inside view draws the LSTM's three gates from the stored weights.
    gate_titles = {title_of(spec) for spec, _ in frames}
    assert {"Input gate", "Forget gate", "Output gate"} <= gate_titles
    # Every gate heatmap shows the same units, strongest final cell state first, and the state traces
    # follow the first three of them (checked against the trace recomputed from the stored weights).
    trace = trace_example(experiment, "lstm", task_data(experiment), run_store().load_weights(stored.run_id, "lstm"), 0)
    strongest = [int(unit) for unit in np.argsort(-np.abs(trace.cell_state[-1]))]
    for spec, _ in frames:
        if title_of(spec).endswith(" gate"):
            assert spec["encoding"]["y"]["sort"] == strongest
    [states] = [frame for spec, frame in frames if title_of(spec) == "Cell state vs hidden state"]
    assert list(dict.fromkeys(states["unit"])) == [f"unit {unit}" for unit in strongest[:3]]
    assert any("units " + ", ".join(map(str, strongest[:3])) in caption.value for caption in app.caption)
    assert_charts_fit(app)
    assert assert_whole_number_axes(app) >= 5


def test_a_stored_run_reopens_without_training():
    params = {**TINY, "seed": "31"}
    first = open_page("memory_lab", params)
    train_to_the_end(first)
    jobs_before = len(job_runner().jobs())
    again = open_page("memory_lab", params)
    assert any("Loaded finished run" in s.value for s in again.success)
    assert len(job_runner().jobs()) == jobs_before
    assert chart_frames(again)
    # A finished run offers its report as one HTML file (ui/run_report.py; tests/test_reports.py reads it).
    assert [button for button in again.get("download_button") if "Report" in button.proto.label]


def test_a_diverging_learning_rate_says_what_to_change_and_keeps_the_curves():
    params = {**TINY, "seed": "41", "lr": "1", "clip": "0", "hidden_size": "32", "steps": "200"}
    app = open_page("memory_lab", params)
    train_to_the_end(app)
    errors = " ".join(e.value for e in app.error)
    assert "diverged" in errors and "learning rate" in errors
    assert chart_frames(app)


def test_stopping_before_the_first_step_loses_nothing():
    params = {**TINY, "seed": "51", "steps": "5000"}
    app = open_page("memory_lab", params)
    [train] = [button for button in app.button if button.label == "Train"]
    train.click().run()
    [stop] = [button for button in app.button if button.label == "Stop"]
    stop.click().run()
    for job in job_runner().jobs():
        assert job.wait(30)
    app.run()
    assert not app.exception
    assert any(button.label == "Train" and not button.disabled for button in app.button)


def test_runs_at_several_distances_draw_memory_against_distance():
    for distance in ("6", "9"):
        train_to_the_end(open_page("memory_lab", {**TINY, "seed": "61", "distance": distance}))
    app = open_page("memory_lab", {**TINY, "seed": "61", "distance": "12"})
    [(spec, frame)] = [(spec, frame) for spec, frame in chart_frames(app)
                       if str(spec.get("title", "")).startswith("Memory against distance")]
    assert sorted(set(frame["distance"])) == [6, 9]
    assert set(frame["model"]) == {"RNN", "LSTM"}
    # Measured points, ticked at the measured distances: no line implies a curve between them (item 13).
    measured = spec["layer"][0]
    assert measured["mark"]["type"] == "point"
    assert measured["encoding"]["x"]["axis"]["values"] == [6, 9]
    assert frame["accuracy"].between(0, 1).all()


def test_every_preset_is_a_valid_experiment():
    assert {preset.task for preset in presets()} == set(task_names())
    for preset in presets():
        assert config.from_params({"task": preset.task, **preset.params})[1] == [], preset.title
