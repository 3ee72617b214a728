"""Typed text is shown as plain text, and a link's choice values are read in any case.

What a visitor types into a page (the tokenizer probes, a review) is drawn back as the pieces the
tokenizer cut it into; Streamlit reads that HTML's text as Markdown, so `*emph*` became emphasis,
`~~strike~~` a strike-through and `$x^2$` maths. A link's `cells=rnn` was silently replaced by the
defaults, though `cells=RNN` worked.
"""

from __future__ import annotations

import re

from test_pages import open_page

from core.tasks import experiment as config

TYPED = "*emph* ~~strike~~ $x^2$ _under_ `code` <b>bold</b> [a](b)"
# Characters that open Markdown (or HTML) when they reach the text between tags as they are.
OPENERS = re.compile(r"[*~$_`<>\[\]]")


def text_between_tags(body: str) -> str:
    """What Markdown reads in an HTML body: the text outside the tags, backslash escapes removed."""
    return re.sub(r"\\[!-~]", "", re.sub(r"<[^<>]*>", "", body))


def html_bodies(app) -> list[str]:
    return [element.value for element in app.markdown if "<span" in element.value]


def test_typed_text_in_the_sentiment_tokenizer_probe_is_plain():
    app = open_page("sentiment", {"vocab_size": "100", "train_size": "500"})
    app.text_input(key="tokenizer_probe").input(TYPED).run()
    assert not app.exception, app.exception
    [body] = html_bodies(app)
    assert "emph" in body and "strike" in body  # the typed words are shown
    assert not OPENERS.findall(text_between_tags(body)), body
    # Every tag in it is one of the page's own spans: the typed <b> is text, not a tag.
    assert set(re.findall(r"<(/?\w+)", body)) == {"span", "/span"}


def test_typed_text_in_the_translation_tokenizer_probe_is_plain():
    app = open_page("translation", {"train_size": "200"})
    app.text_input(key="pieces_probe").input(TYPED).run()
    assert not app.exception, app.exception
    shown = [caption.value for caption in app.caption if "Source pieces" in caption.value]
    assert shown and not OPENERS.findall(text_between_tags(shown[0]))


def test_choice_values_in_a_link_are_read_in_any_case():
    experiment, messages = config.from_params({"cells": ["rnn", "Lstm"], "optimizer": "ADAM"})
    assert not messages
    assert experiment.model.cells == ("rnn", "lstm") and experiment.train.optimizer == "adam"


def test_a_link_in_another_case_opens_on_its_values():
    app = open_page("memory_lab", {"cells": ["rnn", "gru"], "optimizer": "SGD"})
    assert app.multiselect(key="cells").value == ["rnn", "gru"]
    assert app.segmented_control(key="optimizer").value == "sgd"
    assert app.query_params["cells"] == ["RNN", "GRU"] and app.query_params["optimizer"] == "sgd"
    assert not [w for w in app.warning if "could not be used" in w.value]


def test_a_refused_choice_is_named_on_the_page():
    app = open_page("memory_lab", {"cells": ["rnn", "nonsense"]})
    assert app.multiselect(key="cells").value == ["rnn"]
    [notice] = [w.value for w in app.warning if "could not be used" in w.value]
    assert "nonsense" in notice
