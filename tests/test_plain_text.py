"""Outside text is shown as plain text on every page: a corpus of Markdown/HTML payloads, via AppTest.

The payloads go in through every door a stranger has: URL keys and values, an uploaded file's name,
an uploaded table's labels, a pen file's labels, and a stored (imported) run's message and class
names. Each page is read from app.py's own navigation, so a page added later is covered too. A
body Streamlit renders as Markdown may hold a payload only escaped: after removing backslash
escapes, no link, image, HTML tag, automatic link or directive may remain.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_pages import open_page

from core.data.history import History
from core.store import runs
from core.tasks import experiment as config
from ui import navigation, plain

ROOT = Path(__file__).resolve().parents[1]
HOST = "evil.example"
PAYLOADS = (
    f"![t](http://{HOST}/x.png)",
    f"[Log in again](http://{HOST}/login)",
    f"<img src=http://{HOST}/i.png>",
    f"<script>fetch('http://{HOST}/s')</script>",
    f'<a href="http://{HOST}/a">a</a>',
    f"http://{HOST}/auto",
    f"www.{HOST}",
    f"<http://{HOST}/angle>",
    ":red[alarm] **bold** $x^2$ :material/home: " + HOST,
    f"x\n\n# heading\n\n[r]: http://{HOST}/ref",
)
# What Markdown would turn into markup, once escaped characters are taken out.
MARKUP = re.compile(r"\]\(|\]:|<\s*/?\s*[a-z]|https?:|www\.|:[a-z]+\[|\$[^$]+\$", re.IGNORECASE)
MARKDOWN_ELEMENTS = ("markdown", "caption", "info", "warning", "error", "success", "title", "header",
                     "subheader", "exception", "expander", "button")
# Streamlit's own shortcodes, rewritten in the text after escapes are resolved (a colour directive,
# an icon, an emoji): an escaped colon is not enough, a word joiner after it is.
SHORTCODE = re.compile(r":(?:[a-z-]+\[|material/|[a-z_+-]+:)", re.IGNORECASE)


def app_pages() -> list[str]:
    """The page names of the app's own navigation (ui/navigation.py, which app.py runs)."""
    return [Path(path).stem for path, _, _ in navigation.page_entries()]


# GitHub's automatic links are found after escapes are resolved, in the text a reader sees.
AUTOLINK = re.compile(r"https?://|www\.|@[-\w]", re.IGNORECASE)


def unescaped(body: str) -> list[str]:
    return (MARKUP.findall(re.sub(r"\\[!-~]", "", body)) + AUTOLINK.findall(visible(body))
            + SHORTCODE.findall(visible(body)))


def visible(body: str) -> str:
    """The text a reader sees: escapes resolved."""
    return re.sub(r"\\([!-~])", r"\1", body)


def shows_host(elements) -> bool:
    return any(HOST in visible(element.value) for element in elements)


def markup_on(app) -> list[tuple[str, str]]:
    found = []
    for kind in MARKDOWN_ELEMENTS:
        for element in getattr(app, kind):
            body = getattr(element, "label", None) if kind == "button" else getattr(element, "value", None)
            body = body or getattr(element, "label", "") or ""
            if HOST in visible(body) and unescaped(body):
                found.append((kind, body))
    # Streamlit reads each text cell, column and row name of a static table as Markdown too.
    for table in app.table:
        frame = table.value
        texts = [*map(str, frame.columns), *map(str, frame.index),
                 *(value for column in frame.columns for value in frame[column] if isinstance(value, str))]
        found += [("table", text) for text in texts if HOST in visible(text) and unescaped(text)]
    return found


def test_a_static_tables_cells_columns_and_rows_are_plain_text():
    """st.table read "3. November 1906" as a list item and would draw a link from an uploaded sentence."""
    from streamlit.testing.v1 import AppTest

    def page(payloads):
        import pandas as pd

        from ui import plain as shown

        frame = pd.DataFrame({payload: [payload, "3. November 1906"] for payload in payloads[:4]},
                             index=[payloads[4], payloads[5]])
        shown.table(frame, hide_index=False)

    app = AppTest.from_function(page, default_timeout=30, args=(PAYLOADS,)).run()
    assert not app.exception, app.exception
    assert markup_on(app) == []
    [table] = app.table
    assert visible(table.value.iloc[1, 0]).replace(plain.WORD_JOINER, "") == "3. November 1906"
    assert table.value.iloc[1, 0] != "3. November 1906"  # escaped, so not a numbered list


# The slots of a link a payload can fill, one of each kind of setting: a choice, a number, a list, a key.
SLOTS = ("optimizer", "seed", "cells", "upload", "lr")


def payload_params(payloads: tuple[str, ...]) -> dict:
    """A link with one payload in each slot and every payload as an unknown key."""
    params: dict = {slot: [payload, "LSTM"] if slot == "cells" else payload for slot, payload in zip(SLOTS, payloads)}
    params.update({payload: "1" for payload in PAYLOADS})
    return params


# Each payload fills one slot on every page, and every payload is an unknown key of every link: every
# message path is met by markup, at two page runs per page instead of one per payload. plain.escape
# itself meets every payload in every slot's wording in the test after this one.
HALVES = (PAYLOADS[: len(SLOTS)], PAYLOADS[len(SLOTS):])


def test_the_page_list_comes_from_the_app():
    assert {"home", "memory_lab", "sentiment", "handwriting", "translation"} <= set(app_pages())


@pytest.mark.parametrize("page", app_pages())
@pytest.mark.parametrize("half", [0, 1])
def test_url_payloads_are_shown_as_plain_text(page, half):
    app = open_page(page, payload_params(HALVES[half]))
    assert not markup_on(app)
    if page == "class_teacher":  # it reads no settings: a link without its class's key is refused whole
        assert [w.value for w in app.warning if "teacher link" in w.value]
    elif page != "home":
        assert [w.value for w in app.warning if "could not be used" in w.value]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_payload_in_every_slot_of_a_link_gives_plain_messages(payload):
    """What the pages show of a link (its correction notices) holds no markup, for each payload in
    each slot: the messages are the ones the pages above render, made without a page."""
    for slot in SLOTS:
        _, messages = config.from_params({"task": "memory", slot: payload, payload: "1"})
        assert messages
        for message in messages:
            shown = plain.escape(message)
            assert not (HOST in visible(shown) and unescaped(shown)), (slot, shown)


def table_with_labels(first: str, second: str, rows: int = 60) -> bytes:
    lines = ["text,label"] + [f"review number {i} is {'good' if i % 2 else 'bad'},\"{first if i % 2 else second}\""
                              for i in range(rows)]
    return "\n".join(lines).encode()


@pytest.mark.parametrize("payload", PAYLOADS[:4])
def test_an_uploaded_tables_name_and_labels_are_plain_text(payload):
    app = open_page("sentiment", {"source": "upload", "vocab_size": "100", "train_size": "500"})
    single = payload.replace("\n", " ")
    app.file_uploader(key="sentiment_file").set_value((f"{single}.csv", b"text,label\na,x\n", "text/csv")).run()
    assert not app.exception, app.exception
    assert shows_host(app.error) and not markup_on(app)
    content = table_with_labels(single, f"{single} two")
    app.file_uploader(key="sentiment_file").set_value(("reviews.csv", content, "text/csv")).run()
    assert not app.exception and not markup_on(app)
    assert shows_host(app.caption)
    [use] = [b for b in app.button if b.key == "use_table"]
    use.click().run()
    assert not app.exception, app.exception
    assert any("classes" in m.value and HOST in visible(m.value) for m in app.markdown) and not markup_on(app)


@pytest.mark.parametrize("payload", PAYLOADS[:4])
def test_a_pen_files_name_and_labels_are_plain_text(payload):
    label = payload.replace("\n", " ").replace(" ", "")
    # A third of the samples carry the payload as their label; the rest are enough digits to train on.
    records = "".join(f"WORD {label if i % 3 == 0 else '37'[i % 2]} w{i}\nNUMSTROKES 1\n"
                      f"POINTS 3 # 0 0 {i % 90 + 5} 9 20 30\n" for i in range(120))
    app = open_page("handwriting", {"source": "upload", "points": "16"})
    app.file_uploader(key="pen_file").set_value((f"{label}.uji", b"nothing here", "text/plain")).run()
    assert not app.exception and shows_host(app.error) and not markup_on(app)
    app.file_uploader(key="pen_file").set_value(("writer.uji", records.encode(), "text/plain")).run()
    assert not app.exception and shows_host(app.caption) and not markup_on(app)
    [use] = [b for b in app.button if b.key == "use_pen_file"]
    use.click().run()
    assert not app.exception, app.exception
    # The digits charset keeps only digits, and the notice saying so (shown when the file is read, and
    # again in the data panel) quotes the dropped labels.
    assert shows_host(app.caption) and not markup_on(app)


def stored_run_with(payload: str, seed: int) -> dict:
    params = {"distance": "6", "hidden_size": "8", "steps": "20", "seed": str(seed), "cells": ["RNN", "LSTM"]}
    experiment, _ = config.from_params(params)
    histories = {}
    for cell, status in (("rnn", "diverged"), ("lstm", "stopped")):
        histories[cell] = History(cell=cell, status=status, message=payload, steps=[1, 2],
                                  wall_seconds=[0.1, 0.2], train_loss=[2.0, 1.9], grad_norm=[1.0, 1.0],
                                  eval_steps=[2], val_loss=[1.9], val_metric=[0.2],
                                  class_names=[payload, "b"], confusion=[[1, 0], [0, 1]])
    runs.RunStore().save(experiment, histories, status="stopped", message=payload)
    return params


@pytest.mark.parametrize("number, payload", list(enumerate(PAYLOADS)))
def test_a_stored_runs_message_is_plain_text(number, payload):
    app = open_page("memory_lab", stored_run_with(payload, 9100 + number))
    shown = [e.value for e in app.error] + [w.value for w in app.warning] + [m.value for m in app.markdown]
    assert any(HOST in visible(text) for text in shown)
    assert not markup_on(app)


# The packed settings of issue 21's comparison link: a payload beside each valid value.
LINKED_SETTINGS = {"seed": [f"![i](http://{HOST}/x.png)", "5"], "lr": [f"<img src=http://{HOST}/y.png>", "0.01"],
                   "optimizer": ["[clk](javascript:alert(1))", "sgd"], "distance": [f":red[RED] **BOLD** # H {HOST}", "60"],
                   "noise": [f"[phish](http://{HOST}/login)", "0.5"], "hidden_size": [":material/home: :smile:", "16"]}


def test_a_comparison_links_packed_settings_are_plain_text():
    from core.report import compare

    missing = "0123456789abcde1"
    packed = compare.pack_settings({missing: {"task": "memory", **LINKED_SETTINGS},
                                    "0123456789abcde2": {"task": "memory", f"[k](http://{HOST}/k)": "1"}})
    app = open_page("compare", {"runs": [missing, "0123456789abcde2"], "settings": packed})
    notice = " ".join(visible(w.value) for w in app.warning if "does not store" in w.value)
    # The first run is named by the settings it would be retrained with, the second refused, and
    # neither line speaks with the link's words.
    assert "seed 5" in notice and "lr 0.01" in notice and "optimizer sgd" in notice and "distance 60" in notice
    assert "cannot be retrained" in notice
    assert not markup_on(app)
    assert [b.label for b in app.button if b.key == "retrain_missing"] == ["Retrain 1 missing run from the link's settings"]

