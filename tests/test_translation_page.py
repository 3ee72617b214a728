"""The translation page through AppTest: train tiny, type a phrase, see translations and attention."""

from __future__ import annotations

from test_pages import assert_charts_fit, chart_frames, open_page, table_frames, train_to_the_end

from core.tasks import experiment as config

TINY = {"steps": "30", "hidden_size": "16", "batch_size": "16", "eval_every": "10", "probe_every": "10",
        "train_size": "300", "largest": "499", "beam_width": "3"}


def texts(app) -> str:
    return " ".join([m.value for m in app.markdown] + [c.value for c in app.caption])


def titles(app) -> list[str]:
    return [str(spec.get("title", "")) for spec, _ in chart_frames(app)]


def test_translation_trains_and_translates_a_typed_phrase_with_its_attention():
    app = open_page("translation", TINY)
    assert "copying the source" in texts(app).lower()
    train_to_the_end(app)
    assert {"What this run shows", "Type a phrase", "Alignment being learned",
            "Where the models go wrong"} <= {h.value for h in app.subheader}
    [chrf] = [spec for spec, _ in chart_frames(app) if spec.get("title") == "Validation chrF"]
    assert len(chrf["layer"]) == 2  # the models' curves and the copy-the-source line
    app.text_input(key="phrase_text").input("three hundred twelve").run()
    assert not app.exception, app.exception
    translations = [code.value for code in app.code][1:]  # the first block is the share link
    assert len(translations) == 2 and all(isinstance(text, str) for text in translations)
    attention = [frame for spec, frame in chart_frames(app) if spec.get("title") == "Where each piece looked"]
    assert len(attention) == 1  # only the model with attention has a map
    [frame] = attention
    sources = {label.split(":", 1)[1] for label in frame["source"]}
    assert {"▁three", "▁hundred"} <= sources or "▁three" in sources
    sums = frame.groupby("target")["weight"].sum()
    assert ((sums - 1).abs() < 1e-3).all()  # each output piece's weights over the source add to one
    beams = [table for table in table_frames(app) if "log-probability" in table.columns]
    assert beams and len(beams[0]) == 3 and beams[0]["log-probability"].is_monotonic_decreasing
    assert "No attention" in texts(app)
    assert_charts_fit(app)


def test_translation_explains_an_empty_phrase_and_waits_for_an_upload():
    app = open_page("translation", TINY)
    train_to_the_end(app)
    app.text_input(key="phrase_text").input("   ").run()
    assert not app.exception and any("Type a phrase" in info.value for info in app.info)
    app.text_input(key="phrase_text").input("☃☃☃ ☃").run()
    assert not app.exception and any("None of these characters" in warning.value for warning in app.warning)
    app = open_page("translation", {"source": "upload"})
    assert not app.exception
    assert [button for button in app.button if button.label == "Train"][0].disabled
    assert any("sentence pairs" in info.value for info in app.info)
    app = open_page("translation", {"source": "upload", "upload": "0123456789abcdef"})
    assert not app.exception and any("again" in error.value for error in app.error)


def test_settings_for_generated_data_are_hidden_and_left_out_of_an_upload_link():
    """The report: the 'To' language stayed 'de' for a French file and went into the share link."""
    experiment, messages = config.from_params({"task": "translation", "source": "upload", "target_language": "fr",
                                               "largest": "999"})
    assert not messages
    assert experiment.task_config.target_language == "de" and experiment.task_config.largest == 99999
    assert config.from_params({"task": "translation", "source": "upload"})[0] == experiment
    generated = config.from_params({"task": "translation", "target_language": "fr"})[0]
    assert generated.task_config.target_language == "fr"  # where it applies, it is kept
    app = open_page("translation", {"source": "upload", "target_language": "fr"})
    labels = [widget.label for widget in app.sidebar.segmented_control] + [w.label for w in app.sidebar.slider]
    assert "To" not in labels and "From" not in labels
    assert any("Not used with this data, so not shown: From, To, Largest number" in caption.value
               for caption in app.sidebar.caption)
    # Neither the address nor the share link carries them (the browser showed the link kept them).
    assert "target_language" not in app.query_params and "largest" not in app.query_params
    from ui import share

    shared = share.query_string(config.from_params({"task": "translation", **app.query_params})[0])
    assert "target_language" not in shared and "largest" not in shared and "source=upload" in shared
    numbers = open_page("translation", {"target_language": "fr"})
    assert "To" in [widget.label for widget in numbers.sidebar.segmented_control]


def chrf_frame(app):
    [frame] = [frame for spec, frame in chart_frames(app) if spec.get("title") == "Validation chrF"]
    return frame


def test_moving_the_beam_width_re_reads_the_trained_run_and_keeps_the_typed_phrase():
    """The report: beam 1 -> 4 after training threw the results away and retrained for two minutes."""
    app = open_page("translation", {**TINY, "beam_width": "1"})
    train_to_the_end(app)
    curves = chrf_frame(app)
    assert not [table for table in table_frames(app) if "exact, greedy" in table.columns]
    app.text_input(key="phrase_text").input("three hundred twelve").run()
    app.slider(key="beam_width").set_value(4).run()
    assert not app.exception, app.exception
    assert "Not trained yet" not in " ".join(info.value for info in app.info)
    assert not [button for button in app.button if button.label == "Stop"]  # nothing is training
    [table] = [table for table in table_frames(app) if "exact, beam 4" in table.columns]
    assert len(table) == 2 and table["chrF, beam 4"].between(0, 100).all()
    assert app.text_input(key="phrase_text").value == "three hundred twelve"
    beams = [table for table in table_frames(app) if "log-probability" in table.columns]
    assert beams and len(beams[0]) == 4  # the typed phrase is decoded with the new width
    # The same run's curves: the chart's data did not change.
    again = chrf_frame(app)
    assert again.equals(curves)
