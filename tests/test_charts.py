"""Charts that fit and read well, checked on their Vega-Lite specs: legends that never cut a name and
never sit side by side, one number format on log axes, a legend entry for every reference line,
panels instead of fixed-width facets, groups in natural order, units picked by one rule.

What only a browser shows (real pixel widths at 390 and 1400 px) is in tests/test_browser_layout.py.
"""

from __future__ import annotations

import numpy as np

from core.data.history import History
from core.report.analysis import ExampleTrace
from core.report.order import natural_key, numeric_order
from ui import charts, figures
from ui.inspect_view import units_caption

LONG_LABEL = "LSTM, multiplicative attention"


def history(cell: str, scale: float = 1.0, groups: tuple[str, ...] = ()) -> History:
    steps = list(range(1, 21))
    return History(cell=cell, steps=steps, train_loss=[2 / s for s in steps], grad_norm=[1.0] * 20,
                   eval_steps=steps[::5], val_loss=[2 / s for s in steps[::5]], val_metric=[0.5] * 4,
                   class_names=("a", "b", "c", "d"),
                   layer_grad_norms={"layer 1 input": [scale * 10 ** -s for s in steps], "head": [scale] * 20},
                   group_metric={group: [0.5] * 4 for group in groups}, scores={"chrF": [30.0] * 4},
                   probe_steps=[5, 20], grad_through_time=[{"layer 1": [1e-10, 1e-3, 1.0]}] * 2)


def gallery() -> dict[str, object]:
    """Every chart the lab pages draw, on small made-up runs."""
    runs = [history("rnn", 1.0, ("distance 11-20", "distance 3-5")), history("lstm", 1e-3, ("distance 11-20",))]
    values = np.random.default_rng(0).random((6, 10))
    return {
        "loss": charts.loss_chart(runs), "metric": charts.metric_chart(runs, 0.25),
        "score": charts.score_chart(runs, "chrF", 12.5), "gradient": charts.gradient_chart(runs),
        "ratio": charts.ratio_chart(runs), "state": charts.state_chart(values, values, [4, 1, 7]),
        "distance": charts.distance_chart([{"distance": 5, "model": LONG_LABEL, "accuracy": 0.5}], 0.25),
        "probability": charts.probability_chart([{"model": LONG_LABEL, "class": "a", "probability": 0.5}]),
        **{f"layers {index}": panel for index, panel in enumerate(charts.layer_norm_panels(runs))},
        **{f"group {index}": panel for index, panel in enumerate(charts.group_panels(runs))},
        "layers stacked": charts.layer_norm_chart(runs), "groups stacked": charts.group_chart(runs),
    }


def views(spec: dict):
    """Every single view inside a spec (layers, stacks and facets opened up)."""
    for key in ("layer", "vconcat", "hconcat", "concat"):
        for child in spec.get(key, []):
            yield from views(child)
    if "spec" in spec:
        yield from views(spec["spec"])
    if "encoding" in spec:
        yield spec


def legends(spec: dict) -> list[dict]:
    """Each categorical legend of a chart (once, however many layers or panels draw it), with its names."""
    found = {}
    for view in views(spec):
        for channel in ("color", "strokeDash", "shape"):
            encoding = view["encoding"].get(channel)
            if encoding and encoding.get("type") == "nominal" and encoding.get("legend", {}) is not None:
                found[encoding.get("title", encoding["field"])] = {
                    **encoding.get("legend", {}), "labels": encoding.get("scale", {}).get("domain")}
    return list(found.values())


def test_every_legend_reads_whole_and_fits_a_phone_width_chart():
    for name, chart in gallery().items():
        found = legends(chart.to_dict())
        orients = [legend.get("orient") for legend in found]
        # Two legends side by side under a chart overflow a phone: one goes under, one above.
        assert len(orients) == len(set(orients)), (name, orients)
        for legend in found:
            assert legend.get("orient") in ("bottom", "top"), (name, legend)
            assert legend.get("labelLimit") == 0 and legend.get("titleLimit") == 0, (name, legend)
            labels = [str(label) for label in legend["labels"] or []]
            assert labels, (name, "a legend without a fixed list of names cannot be sized")
            longest = max(len(label) for label in labels)
            width = legend["columns"] * (charts.SYMBOL_WIDTH + charts.CHARACTER_WIDTH * longest)
            assert width <= charts.LEGEND_WIDTH or legend["columns"] == 1, (name, legend)


def test_a_long_model_name_gets_a_legend_of_one_column():
    found = legends(charts.distance_chart([{"distance": 5, "model": LONG_LABEL, "accuracy": 0.5},
                                           {"distance": 5, "model": "RNN", "accuracy": 0.5}], 0.25).to_dict())
    [model] = [legend for legend in found if LONG_LABEL in legend["labels"]]
    assert model["columns"] == 1
    [short] = legends(charts.ratio_chart([history("rnn"), history("lstm")]).to_dict())
    assert short["columns"] == 2


def test_every_log_axis_uses_one_number_format():
    checked = 0
    for name, chart in gallery().items():
        for view in views(chart.to_dict()):
            for channel in view["encoding"].values():
                if isinstance(channel, dict) and channel.get("scale", {}).get("type") == "log":
                    assert channel.get("axis", {}).get("format") == charts.LOG_FORMAT, name
                    checked += 1
    assert checked >= 4  # gradient, ratio and every per-layer panel


def test_every_reference_line_has_a_legend_entry():
    runs = [history("rnn")]
    for chart, name in ((charts.metric_chart(runs, 0.25), "chance"),
                        (charts.score_chart(runs, "chrF", 12.5), "copy the source"),
                        (charts.distance_chart([{"distance": 5, "model": "RNN", "accuracy": 0.5}], 0.25), "chance")):
        [rule] = [layer for layer in chart.to_dict()["layer"] if layer["mark"]["type"] == "rule"]
        dash = rule["encoding"]["strokeDash"]
        assert dash["scale"]["domain"] == [name] and dash["title"] == "Reference"
        assert dash["legend"]["orient"] == "top"


def test_per_model_panels_share_their_axis_and_colours_and_stretch():
    runs = [history("rnn", 1.0), history("lstm", 1e-3)]
    panels = charts.layer_norm_panels(runs)
    specs = [panel.to_dict() for panel in panels]
    assert [spec["title"] for spec in specs] == ["RNN: per-layer gradient norms", "LSTM: per-layer gradient norms"]
    # One y range for both, from the smallest norm of either model to the largest.
    smallest = min(v for h in runs for values in h.layer_grad_norms.values() for v in values)
    assert {tuple(spec["encoding"]["y"]["scale"]["domain"]) for spec in specs} == {(smallest, 1.0)}
    assert {tuple(spec["encoding"]["color"]["scale"]["domain"]) for spec in specs} == {("layer 1 input", "head")}
    for spec in specs:
        assert "width" not in spec and "facet" not in spec
        assert figures.fitted(panels[0]).to_dict()["autosize"]["type"] == "fit-x"


def test_group_panels_come_in_natural_order():
    runs = [history("rnn", groups=("plain", "distance 11-20", "distance 3-5", "negation", "distance 0-2"))]
    assert [panel.to_dict()["title"] for panel in charts.group_panels(runs)] == [
        "plain", "distance 0-2", "distance 3-5", "negation", "distance 11-20"]


def test_natural_order_reads_numbers_as_numbers():
    assert sorted(["10+ digits", "2 digits", "distance 11-20", "distance 3-5"], key=natural_key) == [
        "2 digits", "10+ digits", "distance 3-5", "distance 11-20"]
    assert numeric_order(["long", "distance 21-40", "distance 6-10", "plain"]) == [
        "long", "distance 6-10", "distance 21-40", "plain"]


def test_fitted_stretches_what_vega_lite_can_stretch_and_leaves_facets_alone():
    runs = [history("rnn")]
    assert figures.fitted(charts.loss_chart(runs)).to_dict()["autosize"]["type"] == "fit-x"
    assert figures.fitted(charts.metric_chart(runs, 0.25)).to_dict()["autosize"]["type"] == "fit-x"
    assert figures.fitted(charts.layer_norm_chart(runs)).to_dict()["autosize"]["type"] == "fit-x"
    facet = charts.loss_chart(runs).properties(width=100).facet("model:N")
    assert "autosize" not in figures.fitted(facet).to_dict()


def trace(final_cell: list[float], cell_state: bool = True) -> ExampleTrace:
    states = np.array([np.zeros(len(final_cell)), final_cell])
    return ExampleTrace(cell="lstm", summary="", hidden=states * 0.5, cell_state=states if cell_state else None,
                        gates={"forget": states})


def test_units_are_picked_by_the_size_of_their_final_state_and_the_caption_says_so():
    picked = trace([0.1, -0.9, 0.3, 0.05, 0.7])
    assert picked.strongest_units(4) == [1, 4, 2, 0]
    assert picked.strongest_units(4)[:3] == picked.strongest_units(3)
    caption = units_caption(picked, [1, 4, 2, 0], [1, 4, 2])
    assert "4 of 5 units" in caption and "final cell state" in caption and "units 1, 4, 2" in caption
    everything = units_caption(trace([0.1, 0.2], cell_state=False), [1, 0], [])
    assert "all 2 units" in everything and "hidden state" in everything and "traces" not in everything


def test_a_heatmap_names_the_units_it_shows_in_the_order_given():
    values = np.arange(12, dtype=float).reshape(4, 3) / 12  # (time, shown units)
    spec = charts.heatmap(values, "Forget gate", units=[40, 7, 12]).to_dict()
    assert spec["encoding"]["y"]["sort"] == [40, 7, 12]
    rows = list(spec["datasets"].values())[0]
    assert {row["unit"] for row in rows} == {40, 7, 12}
    # The column of unit 7 (the second shown) holds the second column of values.
    assert [row["value"] for row in rows if row["unit"] == 7] == list(values[:, 1])


def spec_nodes(node):
    """Every mapping anywhere in a (layered, concatenated) Vega-Lite spec."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from spec_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from spec_nodes(value)


def _dash_of(chart_spec: dict, model: str) -> list:
    """The dash a chart's spec gives `model`, wherever in its layers the strokeDash scale sits."""
    found = [scale["range"][scale["domain"].index(model)] for node in spec_nodes(chart_spec)
             if isinstance(dash := node.get("strokeDash"), dict) and "domain" in (scale := dash.get("scale", {}))
             and model in scale["domain"]]
    assert found, f"no dash for {model}"
    assert all(dash == found[0] for dash in found)
    return found[0]


def test_each_model_keeps_one_dash_on_every_chart():
    """Issue 17, item 6: the seed bands drew the LSTM solid and the RNN dashed, other charts the reverse."""
    import pandas as pd

    from ui import compare_charts, seed_bands

    rows = [{"run": "a", "model": model, "series": "train loss", "step": step, "value": 1.0 / step, "wall": step}
            for model in ("LSTM", "RNN") for step in (1, 2, 3)]
    curves = compare_charts.curve_chart(rows, "train loss", "Train loss", ["a"]).to_dict()
    only_lstm = compare_charts.curve_chart([row for row in rows if row["model"] == "LSTM"], "train loss",
                                           "Train loss", ["a"]).to_dict()
    band = pd.DataFrame([{"run": "a", "model": model, "seeds": 2, "step": step, "mean": 1.0, "low": 0.5,
                          "high": 1.5, "deviation": 0.1} for model in ("LSTM", "RNN") for step in (1, 2)])
    bands = seed_bands.band_chart(band, "Train loss across seeds", ["a"], seed_bands.BAND_KINDS[0]).to_dict()
    assert _dash_of(curves, "RNN") == _dash_of(bands, "RNN") == [1, 0]
    assert _dash_of(curves, "LSTM") == _dash_of(bands, "LSTM") == _dash_of(only_lstm, "LSTM") != [1, 0]


def test_legend_swatches_stay_at_full_strength_when_the_raw_curve_fades():
    """Issue 17, item 9: with smoothing the legend took the faint raw line's opacity."""
    from ui import compare_charts

    rows = [{"run": "a", "model": "LSTM", "series": "train loss", "step": step, "value": 1.0 / step, "wall": step}
            for step in (1, 2, 3)]
    spec = compare_charts.curve_chart(rows, "train loss", "Train loss", ["a"], smoothing=0.6).to_dict()
    legends = [node["legend"] for node in spec_nodes(spec) if isinstance(node.get("legend"), dict)]
    assert legends and all(legend.get("symbolOpacity") == 1 for legend in legends)


def test_every_piece_of_a_heatmap_gets_its_label():
    """Issue 17, item 11: Vega dropped overlapping labels, so the attention map named every other
    source piece and the sentiment map hid "not"."""
    from ui.example_charts import attention_chart

    source = ["_twelve", "_thousand", "_three", "_hundred", "_forty", "-", "five"]
    spec = attention_chart([[1.0 / len(source)] * len(source)] * 3, source, ["_zwölf", "tausend", "x"],
                           "Attention").to_dict()
    axis = spec["encoding"]["x"]["axis"]
    assert axis["labelOverlap"] is False and axis["labelAngle"] == -90
    assert spec["encoding"]["x"]["sort"] == [f"{index + 1}:{piece}" for index, piece in enumerate(source)]
    assert spec["encoding"]["y"]["axis"]["labelOverlap"] is False


def test_each_models_gradient_panel_lists_only_its_own_layers():
    """Issue 17, item 14: the bag-of-words panel's legend listed "layer 1 recurrent"."""
    from core.data.history import History
    from ui import charts

    bow = History(cell="bow", steps=[1, 2], layer_grad_norms={"embedding": [1.0, 0.5], "head": [1.0, 0.5]})
    lstm = History(cell="lstm", steps=[1, 2], layer_grad_norms={"embedding": [1.0, 0.5], "layer 1 recurrent": [2.0, 1.0],
                                                                "head": [1.0, 0.5]})
    panels = {panel.to_dict()["title"]: panel.to_dict() for panel in charts.layer_norm_panels([bow, lstm])}
    bow_colour = panels["BoW: per-layer gradient norms"]["encoding"]["color"]
    lstm_colour = panels["LSTM: per-layer gradient norms"]["encoding"]["color"]
    assert bow_colour["legend"]["values"] == ["embedding", "head"]
    assert lstm_colour["legend"]["values"] == ["embedding", "layer 1 recurrent", "head"]
    assert bow_colour["scale"]["domain"] == lstm_colour["scale"]["domain"]  # one colour per group on both


def test_the_pages_own_example_review_is_known_to_the_default_tokenizer():
    """Issue 17, item 14: the sample review's final "." showed as unknown on the default puzzles."""
    from core.tasks import experiment as config
    from core.tasks.registry import build_task
    from ui.tasks.sentiment import sample_text

    data = build_task(config.default_experiment("sentiment"))
    text = sample_text(data.codec)
    assert text.startswith("I expected to hate it") and not any(word.unknown for word in data.codec.words(text))
