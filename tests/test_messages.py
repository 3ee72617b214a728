"""Messages and chart details that must read right: progress per model, stored runs not retrained
silently, numeric order of bucket panels, one number format on log axes, a legend for chance."""

from __future__ import annotations

from core import config
from core.history import History
from test_pages import TINY, open_page
from ui import charts
from ui.lab import progress_text, train_note
from ui.services import run_store


def test_progress_counts_steps_per_model():
    # Two models of 800 steps: the job counts 1600 steps in all.
    assert progress_text(312, 1600, 2, 4.25) == "Training 2 models: 156 of 800 steps each, 4.2 s"
    assert progress_text(5, 800, 1, 1.0) == "Training 1 model: 5 of 800 steps each, 1.0 s"


def test_distance_buckets_sort_by_number_and_other_kinds_keep_their_places():
    names = ["plain", "distance 11-20", "distance 3-5", "negation", "distance 0-2"]
    assert charts.numeric_order(names) == ["plain", "distance 0-2", "distance 3-5", "negation", "distance 11-20"]
    history = History(cell="lstm", eval_steps=[1], group_metric={name: [0.5] for name in names})
    facet = charts.group_chart([history]).to_dict()["facet"]
    assert facet["sort"] == ["plain", "distance 0-2", "distance 3-5", "negation", "distance 11-20"]


def probed() -> History:
    history = History(cell="rnn", steps=[1, 2], train_loss=[1.0, 0.9], grad_norm=[1.0, 1.0],
                      layer_grad_norms={"head": [1e-6, 1e-10]}, probe_steps=[1],
                      grad_through_time=[{"layer 1": [1e-10, 1e-3, 1.0]}])
    return history


def test_every_log_axis_uses_one_number_format():
    for chart in (charts.gradient_chart([probed()]), charts.ratio_chart([probed()])):
        y = chart.to_dict()["encoding"]["y"]
        assert y["scale"]["type"] == "log" and y["axis"]["format"] == charts.LOG_FORMAT
    layers = charts.layer_norm_chart([probed()]).to_dict()["spec"]["encoding"]["y"]
    assert layers["axis"]["format"] == charts.LOG_FORMAT


def test_the_chance_line_has_a_legend_entry():
    for chart in (charts.metric_chart([probed()], 0.25),
                  charts.distance_chart([{"distance": 5, "model": "RNN", "accuracy": 0.5}], 0.25)):
        rule = chart.to_dict()["layer"][1]
        assert rule["mark"]["type"] == "rule"
        assert rule["encoding"]["strokeDash"]["scale"]["domain"] == ["chance"]
        assert rule["encoding"]["strokeDash"]["title"] == "Reference"


def test_train_says_what_it_will_do_to_a_stored_run():
    experiment = config.from_params({**TINY, "seed": "77"})[0]
    store = run_store()
    histories = {name: History(cell=name, status="finished") for name in config.model_names(experiment)}
    store.save(experiment, histories)
    assert "already trained" in train_note(store.find(experiment))
    app = open_page("memory_lab", {**TINY, "seed": "77"})
    assert not app.exception
    assert any("already trained" in caption.value for caption in app.caption)
    [train] = [button for button in app.button if button.label == "Train"]
    assert "already trained" in train.help
    stopped = {name: History(cell=name, status="stopped", message="Stopped.") for name in histories}
    store.save(experiment, stopped)
    assert "from step 0" in train_note(store.find(experiment))
    app.run()
    assert any("from step 0" in caption.value for caption in app.caption)
    assert train_note(None) is None
