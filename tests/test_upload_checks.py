"""Every upload page refuses a file that is too small for its task when it is uploaded, with one
message, and a file just big enough is kept and builds its data without a second word.

The thresholds are the tasks' own (a handwriting file needs MIN_UPLOAD_SAMPLES samples of the chosen
classes, a table MIN_PER_CLASS rows of each of two classes, a pairs file MIN_PAIRS pairs), so the
upload box, the CLI and the training data agree on one rule.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_pages import open_page

from core.data.training_data import MIN_PER_CLASS
from core.tasks.handwriting.data import MIN_UPLOAD_SAMPLES
from core.tasks.translation.pair_files import MIN_PAIRS


def status_boxes(app: AppTest) -> list[str]:
    return [box.value for kind in ("error", "warning", "info", "success") for box in getattr(app, kind)]


def pen_file(count: int, labels=("3", "7")) -> bytes:
    return "".join(f"WORD {labels[i % len(labels)]} w{i}\nNUMSTROKES 1\nPOINTS 3 # 0 0 {i % 90 + 5} 9 20 30\n"
                   for i in range(count)).encode()


def table(rows: int) -> bytes:
    return ("text,label\n" + "".join(f"review number {i} was {'good' if i % 2 else 'bad'},{'pos' if i % 2 else 'neg'}\n"
                                     for i in range(rows))).encode()


def pairs(count: int) -> bytes:
    return "".join(f"number {i}\tnombre {i}\n" for i in range(count)).encode()


PAGES = {
    # page: (params, uploader key, confirm button key, file name, file of n units)
    "handwriting": ({"points": "16"}, "pen_file", "use_pen_file", "writer.uji", pen_file),
    "sentiment": ({"vocab_size": "100", "train_size": "500"}, "sentiment_file", "use_table", "reviews.csv", table),
    "translation": ({"train_size": "300"}, "pairs_file", "use_pairs", "pairs.tsv", pairs),
}
SMALLEST = {"handwriting": MIN_UPLOAD_SAMPLES, "sentiment": 2 * MIN_PER_CLASS, "translation": MIN_PAIRS}


def upload(page: str, count: int) -> AppTest:
    params, key, _, name, make = PAGES[page]
    app = open_page(page, {"source": "upload", **params})
    app.file_uploader(key=key).set_value((name, make(count), "text/plain")).run()
    assert not app.exception, app.exception
    return app


def train_button(app: AppTest):
    [train] = [button for button in app.button if button.label == "Train"]
    return train


@pytest.mark.parametrize("page", list(PAGES))
def test_a_file_too_small_for_the_task_is_refused_at_upload_with_one_message(page):
    app = upload(page, SMALLEST[page] - 1)
    boxes = status_boxes(app)
    assert len(boxes) == 1, boxes
    assert len(app.error) == 1 and "at least" in app.error[0].value
    assert not [button for button in app.button if button.key == PAGES[page][2]]  # nothing to keep
    assert train_button(app).disabled


@pytest.mark.parametrize("page", list(PAGES))
def test_a_file_just_big_enough_is_kept_and_its_data_builds(page):
    app = upload(page, SMALLEST[page])
    assert not app.error, [box.value for box in app.error]
    # While the file waits for its confirmation, the upload box is the only thing that speaks.
    assert status_boxes(app) == [] and train_button(app).disabled
    [keep] = [button for button in app.button if button.key == PAGES[page][2]]
    keep.click().run()
    assert not app.exception, app.exception
    assert not app.error, [box.value for box in app.error]
    [box] = status_boxes(app)
    assert "Not trained yet" in box and not train_button(app).disabled


def test_a_pen_file_is_counted_by_the_classes_training_keeps():
    # Enough samples in all, but under the digits charset half are letters, which training drops.
    app = upload("handwriting", 2 * MIN_UPLOAD_SAMPLES - 2)
    assert not app.error
    params, key, _, name, _ = PAGES["handwriting"]
    app.file_uploader(key=key).set_value((name, pen_file(2 * MIN_UPLOAD_SAMPLES - 2, ("3", "x", "7", "y")),
                                          "text/plain")).run()
    [refusal] = status_boxes(app)
    assert f"{MIN_UPLOAD_SAMPLES - 1} usable samples of the chosen classes" in refusal
