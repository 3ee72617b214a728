"""The sentiment and handwriting pages through AppTest: train tiny, then use the trained models."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest
from test_pages import assert_charts_fit, chart_frames, open_page, train_to_the_end

TINY_TEXT = {"steps": "30", "hidden_size": "8", "batch_size": "16", "eval_every": "10", "probe_every": "10",
             "train_size": "500", "vocab_size": "200", "embedding_size": "8", "cells": ["LSTM", "BiLSTM", "BoW"]}
TINY_PEN = {"steps": "30", "hidden_size": "8", "batch_size": "16", "eval_every": "10", "probe_every": "10",
            "train_size": "500", "points": "16", "cells": ["GRU", "BiLSTM"]}


def texts(app: AppTest) -> str:
    return " ".join([m.value for m in app.markdown] + [c.value for c in app.caption])


def test_sentiment_trains_and_reads_a_typed_review_piece_by_piece():
    app = open_page("sentiment", TINY_TEXT)
    assert "training" in texts(app) and app.text_input(key="tokenizer_probe").value
    train_to_the_end(app)
    text = texts(app)
    assert "What this run shows" in [h.value for h in app.subheader]
    assert "by kind" in text and "BoW" in text
    assert any("by kind of example" in m.value for m in app.markdown)
    # One small chart per kind of example, the distance buckets in numeric order.
    titles = [str(spec.get("title", "")) for spec, _ in chart_frames(app)]
    buckets = [title for title in titles if title.startswith("distance ")]
    assert buckets and buckets == sorted(buckets, key=lambda title: int(title.split()[1].split("-")[0].rstrip("+")))
    assert_charts_fit(app)
    review = app.text_area(key="review_text")
    review.input("not good at all").run()
    assert not app.exception, app.exception
    frames = {str(spec.get("title", "")): frame for spec, frame in chart_frames(app)}
    [reading] = [frame for title, frame in frames.items() if "after each piece" in title]
    assert set(reading["model"]) == {"LSTM", "BiLSTM", "BoW"}
    assert reading["probability"].between(0, 1).all()
    assert "bidirectional" in texts(app)


def test_sentiment_explains_empty_and_unknown_text_without_a_traceback():
    app = open_page("sentiment", TINY_TEXT)
    train_to_the_end(app)
    app.text_area(key="review_text").input("   ").run()
    assert not app.exception and any("Type a sentence" in i.value for i in app.info)
    app.text_area(key="review_text").input("☃☃☃ ☃").run()
    assert not app.exception and any("unknown" in w.value for w in app.warning)


def test_sentiment_upload_source_waits_for_a_file_and_a_missing_upload_is_explained():
    app = open_page("sentiment", {"source": "upload"})
    assert any("Upload a table" in i.value for i in app.info)
    assert [b for b in app.button if b.label == "Train"][0].disabled
    app = open_page("sentiment", {"source": "upload", "upload": "0123456789abcdef"})
    assert not app.exception
    assert any("again" in e.value for e in app.error)


def test_handwriting_trains_then_reads_a_sample_and_shows_confusions():
    app = open_page("handwriting", TINY_PEN)
    assert not app.exception
    train_to_the_end(app)
    assert "What this run shows" in [h.value for h in app.subheader]
    assert "Draw it" in [h.value for h in app.subheader]
    # A blank canvas gets a friendly word, not an error.
    assert any("Draw" in i.value for i in app.info)
    app.selectbox(key="pen_sample").set_value(0).run()
    assert not app.exception, app.exception
    frames = chart_frames(app)
    answers = [frame for spec, frame in frames if frame is not None and "probability" in frame.columns]
    assert answers and set(answers[0]["model"]) == {"GRU", "BiLSTM"}
    paths = [frame for spec, frame in frames if frame is not None and "confidence" in frame.columns]
    assert paths and len(paths[0]) == 2 * 16
    assert "Which characters get confused" in [h.value for h in app.subheader]
    assert_charts_fit(app)
