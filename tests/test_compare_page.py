"""The Compare page through AppTest: two stored runs opened from a link, overlaid, diffed, smoothed."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest
from test_pages import assert_whole_number_axes, chart_frames, open_page, table_frames
from test_plain_text import visible

from core.data.history import History
from core.report import compare
from core.store import runs
from core.tasks import experiment as config
from ui import compare_charts, compare_export
from ui.services import job_runner


def tiny_history(cell: str, offset: float) -> History:
    steps = list(range(1, 11))
    return History(cell=cell, status="finished", steps=steps, wall_seconds=[0.1 * s for s in steps],
                   train_loss=[2.0 - 0.1 * s + offset + (0.3 if s % 2 else 0.0) for s in steps],
                   grad_norm=[1.0] * 10, layer_grad_norms={"rnn.layer0": [0.5] * 10},
                   eval_steps=[5, 10], val_loss=[1.6 + offset, 1.2 + offset], val_metric=[0.3, 0.5 + offset],
                   group_metric={"far": [0.2, 0.4 + offset]},
                   probe_steps=[5, 10], grad_through_time=[{"layer0": [0.01 + offset, 1.0]}, {"layer0": [0.02, 1.0]}])


def stored_pair(seed: int) -> list[str]:
    """Two runs on the same settings but the learning rate; their ids."""
    identifiers = []
    for lr, offset in (("0.003", 0.0), ("0.01", 0.2)):
        experiment, messages = config.from_params({"distance": "6", "steps": "10", "seed": str(seed), "lr": lr})
        assert not messages
        histories = {cell: tiny_history(cell, offset) for cell in experiment.model.cells}
        identifiers.append(runs.RunStore().save(experiment, histories))
    return identifiers


def frame_titled(app, title: str):
    frames = [frame for spec, frame in chart_frames(app) if spec.get("title") == title]
    assert len(frames) == 1, [spec.get("title") for spec, _ in chart_frames(app)]
    [frame] = frames
    return frame


def test_a_link_with_two_run_ids_overlays_both_and_diffs_only_lr():
    first, second = stored_pair(7001)
    app = open_page("compare", {"runs": [first, second]})
    loss = frame_titled(app, "Train loss")
    assert set(loss["run"]) == {"lr 0.003", "lr 0.01"} and set(loss["model"]) == {"RNN", "LSTM"}
    assert set(frame_titled(app, "Validation accuracy")["run"]) == {"lr 0.003", "lr 0.01"}
    assert set(frame_titled(app, "First-step gradient ratio")["run"]) == {"lr 0.003", "lr 0.01"}
    # The diff table has one column per chosen run; the run table lists every stored run.
    [diff] = [table for table in table_frames(app) if list(table.columns) == ["lr 0.003", "lr 0.01"]]
    assert list(diff.index) == ["lr"]
    assert list(diff.loc["lr"]) == ["0.003", "0.01"]
    assert first in app.code[0].value and second in app.code[0].value
    assert assert_whole_number_axes(app) >= 3
    # The view downloads as one HTML report (ui/run_report.py; tests/test_reports.py reads one).
    assert [button for button in app.get("download_button") if "Comparison report" in button.proto.label]


def test_smoothing_from_the_link_plots_the_debiased_average():
    first, second = stored_pair(7002)
    app = open_page("compare", {"runs": [first, second], "smoothing": "0.6"})
    loss = frame_titled(app, "Train loss")
    curve = loss[(loss["run"] == "lr 0.003") & (loss["model"] == "LSTM")].sort_values("x")
    raw = tiny_history("lstm", 0.0).train_loss
    assert curve["value"].tolist() == pytest.approx(raw)
    assert curve["smoothed"].tolist() == pytest.approx(compare.smooth(raw, 0.6))
    assert curve["smoothed"].tolist() != pytest.approx(raw)
    assert "smoothing=0.6" in app.code[0].value


def test_wall_time_and_log_y_come_from_the_link():
    first, second = stored_pair(7003)
    app = open_page("compare", {"runs": [first, second], "x": "wall time", "log_y": "true"})
    loss = frame_titled(app, "Train loss")
    assert loss["x"].max() == pytest.approx(1.0)
    [spec] = [spec for spec, _ in chart_frames(app) if spec.get("title") == "Train loss"]
    assert spec["layer"][0]["encoding"]["y"]["scale"]["type"] == "log"


def test_a_tampered_id_is_refused_and_a_missing_run_is_named():
    first, _ = stored_pair(7004)
    absent = "0123456789abcdef"
    app = open_page("compare", {"runs": [first, "../../etc/passwd", absent], "smoothing": "lots"})
    warnings = " ".join(w.value for w in app.warning)
    assert "not run ids" in warnings and "passwd" in warnings
    assert absent in warnings and "does not store" in warnings
    assert "Smoothing" in warnings
    assert set(frame_titled(app, "Train loss")["run"]) == {"memory, seed 7004"}


def test_importing_a_bundle_adds_its_run_and_a_bad_one_is_explained():
    first, second = stored_pair(7005)
    bundle = json.dumps(runs.RunStore().export_bundle(second))
    assert runs.RunStore().delete(second)
    app = open_page("compare", {"runs": [first]})
    app.file_uploader(key="bundle_file").set_value(("run.json", bundle.encode(), "application/json")).run()
    assert not app.exception, app.exception
    app.run()
    assert set(frame_titled(app, "Train loss")["run"]) == {"lr 0.003", "lr 0.01 (imported)"}
    app.file_uploader(key="bundle_file").set_value(("bad.json", b"{not json", "application/json")).run()
    assert not app.exception and any("not valid JSON" in e.value for e in app.error)


def test_the_home_page_opens_compare():
    app = open_page("home")
    [button] = [button for button in app.button if button.key == "open_compare"]
    button.click().run()
    assert not app.exception, app.exception
    assert any(title.value == "Compare runs" for title in app.title)


def test_stored_seeds_draw_their_mean_and_band():
    identifiers = []
    for seed, offset in ((7101, 0.0), (7102, 0.3), (7103, 0.6)):
        experiment, _ = config.from_params({"distance": "6", "steps": "10", "seed": str(seed)})
        histories = {cell: tiny_history(cell, offset) for cell in experiment.model.cells}
        identifiers.append(runs.RunStore().save(experiment, histories))
    app = open_page("compare", {"runs": [identifiers[0]]})
    band = frame_titled(app, "Train loss across seeds")
    at_one = band[(band["model"] == "LSTM") & (band["step"] == 1)].iloc[0]
    # Step 1's raw losses are 2.2, 2.5 and 2.8 for the three seeds (see tiny_history).
    assert at_one["mean"] == pytest.approx(2.5) and at_one["seeds"] == 3
    assert (at_one["low"], at_one["high"]) == pytest.approx((2.2, 2.8))
    assert at_one["deviation"] == pytest.approx((0.18 / 3) ** 0.5)
    assert any(button.key == "repeat" for button in app.button)
    assert assert_whole_number_axes(app) >= 2


def spec_titled(app, title: str) -> dict:
    [spec] = [spec for spec, _ in chart_frames(app) if spec.get("title") == title]
    return spec


def test_log_x_comes_from_the_link_and_leaves_out_what_a_log_axis_cannot_show():
    first, second = stored_pair(7010)
    app = open_page("compare", {"runs": [first, second], "log_x": "true"})
    assert spec_titled(app, "Train loss")["layer"][0]["encoding"]["x"]["scale"]["type"] == "log"
    assert "log_x=true" in app.code[0].value
    rows = [{"run": "a", "model": "RNN", "series": "train loss", "step": step, "wall_seconds": wall, "value": 1.0}
            for step, wall in ((1, 0.0), (2, 0.5), (3, 1.0))]
    chart = compare_charts.curve_chart(rows, "train loss", "Train loss", ["a"], x_axis="wall time", log_x=True)
    assert chart.data["x"].tolist() == [0.5, 1.0]  # 0 s has no place on a log axis


def test_small_multiples_put_each_run_in_a_panel_on_shared_axes_in_its_own_colour():
    first, second = stored_pair(7011)
    labels = ["lr 0.003", "lr 0.01"]
    app = open_page("compare", {"runs": [first, second], "layout": "panel per run"})
    loss = spec_titled(app, "Train loss")
    assert [panel["title"] for panel in loss["vconcat"]] == labels
    assert [panel["transform"][0]["filter"] for panel in loss["vconcat"]] == [
        f"(datum['run'] === '{label}')" for label in labels]
    assert loss["resolve"]["scale"]["x"] == loss["resolve"]["scale"]["y"] == "shared"
    # Every curve chart and the gradient chart give each run the same colour.
    colours = set()
    for spec, _ in chart_frames(app):
        for part in spec.get("vconcat", spec.get("layer", [spec])):
            for layer in part.get("layer", [part]):
                scale = layer.get("encoding", {}).get("color", {}).get("scale")
                if scale and "domain" in scale:
                    colours.add(tuple(zip(scale["domain"], scale["range"])))
    assert colours == {((labels[0], compare_charts.RUN_COLOURS[0]), (labels[1], compare_charts.RUN_COLOURS[1]))}
    by_model = open_page("compare", {"runs": [first, second], "layout": "panel per model"})
    assert [panel["title"] for panel in spec_titled(by_model, "Train loss")["vconcat"]] == ["RNN", "LSTM"]


def test_every_curve_the_labs_draw_is_compared():
    first, second = stored_pair(7012)
    app = open_page("compare", {"runs": [first, second]})
    titles = {spec.get("title") for spec, _ in chart_frames(app)}
    for title in ("Train loss", "Validation loss", "Validation accuracy", "Group far", "First-step gradient ratio",
                  "Gradient norm rnn.layer0", "Gradient through time at step 10, layer0"):
        assert title in titles, titles
    group = frame_titled(app, "Group far")
    assert group[(group["run"] == "lr 0.01") & (group["model"] == "RNN")]["value"].tolist() == pytest.approx([0.2, 0.6])


def test_gradient_through_time_follows_the_chosen_probe_step():
    first, second = stored_pair(7013)
    app = open_page("compare", {"runs": [first, second]})
    slider = app.select_slider(key="compare_probe_step")
    assert list(slider.options) == ["5", "10"] and slider.value == 10
    at_ten = frame_titled(app, "Gradient through time at step 10, layer0")
    one_back = at_ten[(at_ten["run"] == "lr 0.01") & (at_ten["x"] == 1)]
    assert one_back["norm"].tolist() == pytest.approx([0.02, 0.02])  # RNN and LSTM at probe 10
    slider.set_value(5).run()
    at_five = frame_titled(app, "Gradient through time at step 5, layer0")
    one_back = at_five[(at_five["run"] == "lr 0.01") & (at_five["x"] == 1)]
    assert one_back["norm"].tolist() == pytest.approx([0.21, 0.21])  # 0.01 + the run's offset 0.2


def test_runs_probed_at_other_steps_are_drawn_at_their_nearest_probe():
    identifiers = []
    for seed, probes in ((7014, [5, 10]), (7015, [4, 8])):
        experiment, _ = config.from_params({"distance": "6", "steps": "10", "seed": str(seed)})
        histories = {}
        for cell in experiment.model.cells:
            history = tiny_history(cell, 0.0)
            history.probe_steps = probes
            histories[cell] = history
        identifiers.append(runs.RunStore().save(experiment, histories))
    app = open_page("compare", {"runs": identifiers})
    assert list(app.select_slider(key="compare_probe_step").options) == ["4", "5", "8", "10"]
    app.select_slider(key="compare_probe_step").set_value(5).run()
    frame = frame_titled(app, "Gradient through time at step 5, layer0")
    assert set(frame[frame["run"] == "seed 7015"]["probe_step"]) == {4}
    assert set(frame[frame["run"] == "seed 7014"]["probe_step"]) == {5}
    assert any("nearest probe: step 4" in caption.value for caption in app.caption)


def test_charts_save_as_svg_and_png():
    first, second = stored_pair(7016)
    app = open_page("compare", {"runs": [first, second]})
    picker = app.selectbox(key="export_chart")
    assert "Train loss" in picker.options and "Gradient through time at step 10, layer0" in picker.options
    assert any("toolbar" in caption.value and "PNG" in caption.value for caption in app.caption)
    rows = compare.comparison_rows({"run one": {"lstm": tiny_history("lstm", 0.0)}})
    chart = compare_charts.curve_chart(rows, "train loss", "Train loss", ["run one"], layout="panel per run")
    svg = compare_export.to_svg(chart.to_dict())
    assert svg.startswith("<svg") and "Train loss" in svg and "run one" in svg
    assert compare_export.to_png(chart.to_dict()).startswith(b"\x89PNG")


def test_the_share_link_carries_the_runs_settings():
    first, second = stored_pair(7017)
    app = open_page("compare", {"runs": [first, second]})
    link = app.code[0].value
    packed = link.split("settings=")[1].split("&")[0]
    stored = runs.RunStore().params_of([first, second])
    assert compare.unpack_settings(packed) == stored
    assert app.query_params["settings"] in (packed, [packed])


TINY_RUN = {"distance": "6", "steps": "10", "hidden_size": "8", "batch_size": "16", "eval_every": "5",
            "probe_every": "5", "lr": "0.01"}


def test_a_linked_run_the_server_lacks_is_named_and_retrained_from_the_link():
    experiment, _ = config.from_params({**TINY_RUN, "seed": "7201"})
    absent = runs.run_id(experiment)
    assert runs.RunStore().load(absent) is None
    packed = compare.pack_settings({absent: config.to_params(experiment)})
    app = open_page("compare", {"runs": [absent], "settings": packed})
    warning = visible(" ".join(w.value for w in app.warning))
    assert absent in warning and "does not store" in warning and "lr 0.01" in warning and "seed 7201" in warning
    [button] = [button for button in app.button if button.key == "retrain_missing"]
    button.click().run()
    assert not app.exception, app.exception
    jobs = [job for job in job_runner().jobs() if job.run_id == absent]
    assert len(jobs) == 1 and jobs[0].wait(120)
    app.run()
    assert not app.exception, app.exception
    stored = runs.RunStore().load(absent)
    assert stored is not None and stored.status == "finished"
    loss = frame_titled(app, "Train loss")
    curve = loss[(loss["run"] == "memory, seed 7201") & (loss["model"] == "LSTM")].sort_values("x")
    assert curve["value"].tolist() == pytest.approx(stored.histories["lstm"].train_loss)
    assert not any(absent in w.value for w in app.warning)
    assert app.multiselect(key="runs").value == [absent]


def test_a_missing_run_without_settings_in_the_link_cannot_be_retrained_and_bad_settings_are_named():
    absent = "00000000000000aa"
    app = open_page("compare", {"runs": [absent], "settings": "not-settings"})
    warning = " ".join(w.value for w in app.warning)
    assert absent in warning and "does not carry its settings" in warning
    assert "settings were not used" in warning and "damaged" in warning
    assert not any(button.key == "retrain_missing" for button in app.button)


def test_runs_are_named_by_the_settings_that_set_them_apart_with_the_id_at_hand():
    """Issue 17, item 8: hex ids named the runs in the picker and every legend."""
    stored_pair(7020)  # other runs in the store, whichever tests ran before, so the seed sets these apart
    first, second = stored_pair(7021)
    app = open_page("compare", {"runs": [first, second]})
    picker = app.multiselect(key="runs")
    assert picker.value == [first, second]
    # Among every stored run the picker lists, each is named by its rarest settings, then its id's start.
    shown = {option.rsplit(" · ", 1)[1]: option for option in picker.options}
    assert "seed 7021" in shown[first[:8]] and "seed 7021" in shown[second[:8]], shown
    assert len(set(picker.options)) == len(picker.options)
    for title in ("Train loss", "Validation accuracy"):
        assert set(frame_titled(app, title)["run"]) == {"lr 0.003", "lr 0.01"}
    # The ids stay in the link and in the runs table, one click from the names.
    assert app.query_params["runs"] == [first, second]
    [table] = [table for table in table_frames(app) if "id" in table.columns]
    rows = {row["id"]: row["run"] for row in table.to_dict("records")}
    assert first in rows and second in rows
    assert {option.rsplit(" · ", 1)[0] for option in picker.options} >= {rows[first], rows[second]}


def test_pinned_runs_start_selected_when_no_runs_are_linked():
    from ui import ghosts

    first, _ = stored_pair(7022)
    app = AppTest.from_file("../app.py", default_timeout=60)
    app.session_state[ghosts._key("memory", "pins")] = [first]
    app.run()
    app.switch_page("pages/compare.py").run()
    assert not app.exception, app.exception
    assert app.multiselect(key="runs").value == [first]
    assert app.query_params["runs"] in (first, [first])  # AppTest gives one value as a string


def test_the_csv_names_each_run_and_gives_its_id():
    rows = compare.comparison_rows({"lr 0.01": {"lstm": tiny_history("lstm", 0.0)}})
    text = compare.to_csv(rows, {"lr 0.01": "0123456789abcdef"})
    header, first_row = text.splitlines()[:2]
    assert header.split(",")[:2] == ["run", "run id"]
    assert first_row.startswith("lr 0.01,0123456789abcdef,LSTM,")


def test_repeating_with_other_seeds_shows_progress_and_draws_the_bands_when_they_end():
    """Issue 17, item 7: Compare said "Queued. Reopen or refresh this page" and drew nothing until a reload."""
    experiment, _ = config.from_params({"distance": "6", "steps": "12", "hidden_size": "8", "batch_size": "16",
                                        "eval_every": "6", "probe_every": "6", "seed": "7031"})
    from core.training.trainer import prepare, run_interleaved

    trainers = prepare(experiment)
    run_interleaved(trainers)
    first = runs.RunStore().save(experiment, {trainer.cell: trainer.history for trainer in trainers})
    app = open_page("compare", {"runs": [first]})
    assert not any(spec.get("title") == "Train loss across seeds" for spec, _ in chart_frames(app))
    app.button(key="repeat").click().run()
    assert not app.exception, app.exception
    jobs = [job for job in job_runner().jobs() if job.experiment.seed in (7032, 7033)]
    assert len(jobs) == 2
    assert any("Seed runs:" in (bar.proto.text or "") for bar in app.get("progress")) or all(job.done for job in jobs)
    assert all(job.wait(120) for job in jobs)
    app.run()  # what the progress fragment does when the last seed run ends
    assert not app.exception, app.exception
    band = frame_titled(app, "Train loss across seeds")
    assert set(band["seeds"]) == {3}
    assert not any("Reopen or refresh" in info.value for info in app.info)
