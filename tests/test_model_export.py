"""Take the model home: a stored run of every lesson downloads as a zip that predicts outside the app.

The acceptance check: each download is unzipped into an empty folder and run by a fresh Python
(`-I`: no user site, no script folder or working folder on the path, so nothing of the app can be
imported), and its answers to 20 inputs per lesson must be the app's own answers (core/export/answers.py,
the functions the pages call) value for value. The process boundary is the point here: it proves the
download needs only torch and sentencepiece, which the same process also checks in sys.modules.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.export.answers import answers
from core.export.model_zip import model_zip
from core.report.analysis import load_model
from core.store.runs import RunStore
from core.tasks import experiment as config
from core.tasks.registry import build_task, task_names
from core.training.trainer import prepare, run_interleaved

SHARED = {"steps": "20", "batch_size": "16", "hidden_size": "8", "eval_every": "20", "probe_every": "20",
          "seed": "5", "lr": "0.01"}
# Tiny runs covering every cell kind, stacked layers, each attention, greedy and beam decoding, and every
# way a lesson reads its input (vectors, pieces, strokes, pairs, words, characters).
RUNS = {
    "memory": {"distance": "7", "cells": "rnn,lstm,bigru", "num_layers": "2"},
    "sentiment": {"train_size": "500", "vocab_size": "100", "embedding_size": "8", "cells": "bow,gru,bilstm"},
    "handwriting": {"train_size": "500", "points": "8", "cells": "gru,birnn"},
    "translation": {"train_size": "200", "largest": "199", "embedding_size": "8", "cells": "lstm,bigru",
                    "attention": "none,additive,multiplicative"},
    "translation-beam": {"train_size": "200", "largest": "199", "embedding_size": "8", "cells": "gru",
                         "attention": "additive", "beam_width": "3"},
    "ner": {"train_size": "200", "embedding_size": "8", "cells": "rnn,bigru,bow"},
    "nextword": {"gap": "4", "embedding_size": "8", "cells": "rnn,lstm"},
    "nextword-characters": {"source": "hamlet", "units": "characters", "window": "24", "embedding_size": "8",
                            "cells": "gru"},
    "nextword-pieces": {"source": "hamlet", "units": "pieces", "window": "24", "embedding_size": "8",
                        "cells": "lstm"},
}
INPUTS_PER_RUN = 20
# A character model writes 120 characters per answer, each reading the whole text so far: the lesson
# has its 20 inputs in the story run, and the other ways of reading free text are checked on fewer.
FEWER_INPUTS = {"nextword-characters": 5, "nextword-pieces": 10}


def experiment_of(name: str) -> config.Experiment:
    experiment, messages = config.from_params({**SHARED, **RUNS[name], "task": name.partition("-")[0]})
    assert not messages, messages
    return experiment


def canvas(character: list[np.ndarray], number: int) -> dict:
    """A character as the page's canvas hands it over: a Fabric.js path (y down) placed on the canvas,
    moved, scaled and turned a little, its points joined by lines and curves."""
    commands = []
    for stroke in character:
        points = [(float(x) * 100, -float(y) * 100) for x, y in stroke]
        commands.append(["M", *points[0]])
        for index, point in enumerate(points[1:], start=1):
            if index % 2:
                commands.append(["L", *point])
            else:
                before = points[index - 1]
                commands.append(["Q", (before[0] + point[0]) / 2 + 3, (before[1] + point[1]) / 2, *point])
    every = np.array([point for stroke in character for point in stroke]) * 100
    width, height = np.ptp(every, axis=0)
    return {"version": "4.4.0", "objects": [{
        "type": "path", "path": commands, "left": 20 + number, "top": 30, "width": float(width),
        "height": float(height), "scaleX": 1 + number / 20, "scaleY": 0.9, "angle": 3 * (number % 4),
        "flipX": number == 7, "strokeWidth": 10, "originX": "left", "originY": "top"}]}


def inputs_of(name: str, experiment: config.Experiment, data) -> list[str]:
    """20 inputs of the kind the lesson's page takes, from its own validation data and typed by hand."""
    task = experiment.task
    if task == "memory":
        vectors = [json.dumps(data.val_inputs[index].tolist()) for index in range(10)]
        return vectors + ["C......", "0", "7......", "AB", "h.h.h.h", "3.....5", "E", "d..", "1234567", "......G"]
    if task == "sentiment":
        typed = ["I expected to hate it, but the acting was not bad at all.", "Not good. Not good at all!",
                 "“Brilliant” &amp; moving -- a must-see…", "zzzz qqq", "!!!", "the plot -lrb- such as it is -rrb-"]
        return data.info["val_texts"][: INPUTS_PER_RUN - len(typed)] + typed
    if task == "handwriting":
        from core.tasks.handwriting.data import sample_pictures

        characters = [strokes for _, strokes in sample_pictures(experiment.task_config, experiment.seed, 18)]
        drawn = [json.dumps(canvas(character, number)) for number, character in enumerate(characters[:9])]
        listed = [json.dumps([stroke.tolist() for stroke in character]) for character in characters[9:18]]
        return drawn + listed + ["[[0, 0], [3, 10], [6, 0]]", "[[[0, 0], [0, 10]], [[5, 5], [5, 5], [9, 9]]]"]
    if task == "translation":
        typed = ["one hundred", "  ", "NINETY-nine!", "zwölf &amp; eins"]
        return data.info["val_sources"][: INPUTS_PER_RUN - len(typed)] + typed
    if task == "ner":
        typed = ["Dr. Smith met Mr. Jones in Paris on 3 March 2021 .", "garcia group hired 1,200.5 people",
                 "Zyxw Qwerty visited Old Town", "St. Mary's is closed", "!!"]
        sentences = [" ".join(words) for words in data.info["val_words"][: INPUTS_PER_RUN - len(typed)]]
        return sentences + typed
    typed = ["i grew up in spain . and then", "a word never seen before", "To be, or not to be", "Ophelia!"]
    prompts = [data.codec.decode([unit for unit in data.val_inputs[index].tolist() if unit][: 3 + index])
               for index in range(16)]
    return prompts + typed


# Runs in the fresh process: every download's own predict.py on its inputs, then what got imported.
DRIVER = """
import contextlib, io, json, runpy, sys
import torch
before = {name.split(".")[0] for name in sys.modules}
answers = {}
for name in json.load(open("runs.json")):
    folder = name + "/" + next(iter(json.load(open(name + "/where.json"))))
    out = io.StringIO()
    sys.argv = ["predict.py", "--inputs", name + "/inputs.json", "--json"]
    with contextlib.redirect_stdout(out):
        try:
            runpy.run_path(folder + "/predict.py", run_name="__main__")
        except SystemExit as exit:
            assert exit.code in (0, None), (name, exit.code)
    answers[name] = json.loads(out.getvalue())
    sys.path.remove(sys.path[0])  # predict.py put its own folder first; the next download brings its own code
    for module in [module for module in sys.modules if module.split(".")[0] == "playground_model"]:
        del sys.modules[module]
imported = sorted({name.split(".")[0] for name in sys.modules} - before - set(sys.stdlib_module_names))
print(json.dumps({"answers": answers, "imported": imported, "all": sorted(sys.modules)}))
"""


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    """Per run: its stored id, the app's own answers to its inputs, and its unzipped download."""
    store = RunStore(tmp_path_factory.mktemp("store") / "runs.sqlite")
    home = tmp_path_factory.mktemp("home")  # the fresh process's working folder: downloads and inputs only
    made = {}
    for name in RUNS:
        experiment = experiment_of(name)
        trainers = prepare(experiment, threads=1)
        run_interleaved(trainers)
        run_id = store.save(experiment, {t.cell: t.history for t in trainers},
                            {t.cell: t.model.state_dict() for t in trainers})
        stored = store.load(run_id)
        data = build_task(experiment)
        archive = model_zip(experiment, stored, data, store)
        zipfile.ZipFile(io.BytesIO(archive)).extractall(home / name)
        inputs = inputs_of(name, experiment, data)[: FEWER_INPUTS.get(name, INPUTS_PER_RUN)]
        (home / name / "inputs.json").write_text(json.dumps(inputs))
        (home / name / "where.json").write_text(json.dumps([path.name for path in (home / name).iterdir()
                                                            if path.is_dir()]))
        models = {cell: load_model(experiment, cell, data, store.load_weights(run_id, cell)) for cell in stored.histories}
        made[name] = {"run_id": run_id, "archive": archive, "inputs": inputs,
                      "app": [answers(experiment, data, models, raw) for raw in inputs]}
    (home / "runs.json").write_text(json.dumps(list(RUNS)))
    (home / "driver.py").write_text(DRIVER)
    fresh = subprocess.run([sys.executable, "-I", "driver.py"], cwd=home, capture_output=True, text=True,
                           timeout=240)
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    return made, json.loads(fresh.stdout), store


def assert_same(app, downloaded, where: str) -> None:
    """Equal answers: every label, tag, word and text exactly, every probability and score to 1e-5."""
    if isinstance(app, dict):
        assert isinstance(downloaded, dict) and set(app) == set(downloaded), where
        for key in app:
            assert_same(app[key], downloaded[key], f"{where}/{key}")
    elif isinstance(app, list):
        assert isinstance(downloaded, list) and len(app) == len(downloaded), where
        for index, (mine, theirs) in enumerate(zip(app, downloaded)):
            assert_same(mine, theirs, f"{where}[{index}]")
    elif isinstance(app, float):
        assert downloaded == pytest.approx(app, abs=1e-5), where
    else:
        assert app == downloaded, where


def test_every_lesson_is_covered():
    assert {name.partition("-")[0] for name in RUNS} == set(task_names())


def test_a_download_answers_as_the_app_in_a_fresh_process_with_only_torch_and_sentencepiece(downloads):
    made, fresh, _ = downloads
    for name, run in made.items():
        got = fresh["answers"][name]
        assert len(got) == len(run["inputs"]) == FEWER_INPUTS.get(name, INPUTS_PER_RUN)
        for raw, app, downloaded in zip(run["inputs"], run["app"], got):
            assert_same(app, downloaded, f"{name} {raw[:60]!r}")
    # The answers are not all alike, so agreeing means something: tiny models still tell inputs apart.
    for name, run in made.items():
        assert len({json.dumps(answer, sort_keys=True) for answer in run["app"]}) > 1, name
    # The download itself brought in nothing beyond torch (and what torch loads) but sentencepiece
    # and its own code; nothing of the app was there to import.
    assert set(fresh["imported"]) <= {"sentencepiece", "playground_model"}
    assert not [module for module in fresh["all"] if module.split(".")[0] in ("core", "ui", "streamlit")]


def test_a_download_holds_weights_a_tokenizer_predict_py_and_a_readme(downloads):
    made, _, store = downloads
    expected = {"sentiment": {"tokenizer.model"}, "translation": {"source.model", "target.model"},
                "ner": {"vocabulary.json"}, "nextword": {"vocabulary.json"}, "nextword-pieces": {"tokenizer.model"}}
    for name, run in made.items():
        archive = zipfile.ZipFile(io.BytesIO(run["archive"]))
        root = f"rnn-playground-{name.partition('-')[0]}-{run['run_id']}/"
        files = {path.removeprefix(root) for path in archive.namelist()}
        assert {"predict.py", "README.md", "config.json", "playground_model/__init__.py"} <= files
        assert expected.get(name, set()) <= files, name
        described = json.loads(archive.read(root + "config.json"))
        stored = store.load(run["run_id"])
        assert sorted(entry["name"] for entry in described["models"]) == sorted(stored.histories)
        for entry in described["models"]:
            # Plain state dicts, loadable without running code, equal to what the store holds.
            state = torch.load(io.BytesIO(archive.read(root + entry["weights"])), weights_only=True)
            saved = store.load_weights(run["run_id"], entry["name"])
            assert set(state) == set(saved) and all(torch.equal(state[key], saved[key]) for key in state)
        readme = archive.read(root + "README.md").decode()
        assert "python predict.py" in readme and "from playground_model import load" in readme


def test_predict_command_answers_as_the_page(downloads, cli, tmp_path):
    made, _, store = downloads
    for name in ("sentiment", "handwriting", "translation-beam"):
        run = made[name]
        raw = run["inputs"][0]
        result = cli("predict", run["run_id"], raw, "--json", database=store.path)
        assert result.returncode == 0, result.stderr
        # The stored run reads with its stored settings: greedy decoding, where the page may beam.
        if name != "translation-beam":
            assert_same(run["app"][0], json.loads(result.stdout), name)
    run = made["ner"]
    shown = cli("predict", run["run_id"], "Garcia lives in Madrid .", database=store.path)
    assert shown.returncode == 0 and shown.stdout.count("Madrid/") == 3  # one line per model
    refusals = [("0123456789abcdef", "hello", "no stored run"),
                (made["handwriting"]["run_id"], "[[]]", "no pen points"),
                (made["handwriting"]["run_id"], "not json", "canvas JSON"),
                (made["memory"]["run_id"], "XYZ", "not a symbol"),
                (made["ner"]["run_id"], "...", None)]
    for run_id, raw, words in refusals:
        refused = cli("predict", run_id, raw, database=store.path)
        if words is None:
            assert refused.returncode == 0  # punctuation is a word to tag
            continue
        assert refused.returncode == 2 and words in refused.stderr and "Traceback" not in refused.stderr, refused
    only = cli("predict", made["memory"]["run_id"], "C....", "--model", "gru", database=store.path)
    assert only.returncode == 2 and "no model 'gru'" in only.stderr
    # The lab's download from the command line: the same files.
    target = tmp_path / "home.zip"
    written = cli("download", made["ner"]["run_id"], "--out", str(target), database=store.path)
    assert written.returncode == 0 and written.stdout.strip() == str(target)
    page_zip = zipfile.ZipFile(io.BytesIO(made["ner"]["archive"]))
    command_zip = zipfile.ZipFile(target)
    assert command_zip.namelist() == page_zip.namelist()
    assert all(command_zip.read(name) == page_zip.read(name) for name in page_zip.namelist())
    missing = cli("download", "0123456789abcdef", database=store.path)
    assert missing.returncode == 2 and "no stored run" in missing.stderr


def test_a_finished_lab_page_offers_the_model_and_a_run_without_weights_does_not():
    """The shared lab shows the download under a finished run with weights; the same run stored
    without weights shows its curves and no download (its status box says why)."""
    from streamlit.testing.v1 import AppTest
    from test_pages import open_page

    params = {**SHARED, **RUNS["memory"], "seed": "8"}
    experiment, _ = config.from_params({**params, "task": "memory"})
    trainers = prepare(experiment, threads=1)
    run_interleaved(trainers)
    store = RunStore()  # where the app's pages read (tests/conftest.py points it at this test process's store)
    run_id = store.save(experiment, {t.cell: t.history for t in trainers},
                        {t.cell: t.model.state_dict() for t in trainers})

    def model_buttons(app: AppTest) -> list:
        return [button for button in app.get("download_button") if "Model" in button.proto.label]

    link = {**params, "cells": ["RNN", "LSTM", "BiGRU"]}
    [button] = model_buttons(open_page("memory_lab", link))
    assert button.proto.label.startswith("Model (zip")
    assert store.save(experiment, {t.cell: t.history for t in trainers}) == run_id  # the same run, no weights
    without = open_page("memory_lab", link)
    [status] = [message.value for message in without.success if "Loaded finished run" in message.value]
    assert "no saved weights" in status
    assert not model_buttons(without)


# Fixed examples, so a failure is one the next run sees again; a loaded machine is not a failure.
PROPERTIES = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
# The download carries its own copies of how text and drawings are read (it cannot import the app);
# they must read every input as the app does, not only the ones above.
TEXTS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60) | st.sampled_from(
    ["Mr. Smith's “best” film -- 3,000.5 & more…", "-LRB- fine -RRB- ''quoted''", "&amp;&lt;b&gt;", "Ça va?!"])


@settings(max_examples=300, **PROPERTIES)
@given(TEXTS)
def test_the_download_reads_text_as_the_app_does(text):
    from core.data.tokens import normalise
    from core.export.predictor import text as downloaded
    from core.tasks.ner.data import shape, words_of
    from core.tasks.nextword.codec import clean_characters

    assert downloaded.normalise(text) == normalise(text)
    assert downloaded.normalise(text, "written") == normalise(text, "written")
    assert downloaded.words_of(text) == words_of(text)
    assert [downloaded.shape(word) for word in words_of(text)] == [shape(word) for word in words_of(text)]
    assert downloaded.clean_characters(text) == clean_characters(text)


POINTS = st.lists(st.tuples(st.integers(-300, 300), st.integers(-300, 300)), min_size=1, max_size=12)


@settings(max_examples=200, **PROPERTIES)
@given(st.lists(POINTS, min_size=1, max_size=4), st.integers(2, 30))
def test_the_download_reads_a_drawing_as_the_app_does(character, points):
    from core.data import strokes
    from core.export.predictor import pen

    drawing = [[list(point) for point in stroke] for stroke in character]
    want = strokes.resample([np.array(stroke, dtype=float) for stroke in drawing], points)
    got = pen.resample(drawing, points).numpy()
    assert got.shape == want.shape and np.allclose(got, want, atol=1e-5), (drawing, points)


def number(low: float, high: float):
    # Subnormal floats are left out: training turned on flush-to-zero in this process (core/training/trainer.py).
    return st.floats(low, high, allow_subnormal=False)


COORDINATE = number(0, 280)
COMMAND = st.one_of(
    st.tuples(st.just("L"), COORDINATE, COORDINATE),
    st.tuples(st.just("Q"), COORDINATE, COORDINATE, COORDINATE, COORDINATE),
    st.tuples(st.just("C"), *[COORDINATE] * 6),
    st.tuples(st.just("Z")))
PLACEMENT = st.fixed_dictionaries({}, optional={
    "left": number(-50, 300), "top": number(-50, 300), "scaleX": number(0.2, 3), "scaleY": number(0.2, 3),
    "angle": number(-180, 180), "flipX": st.booleans(), "flipY": st.booleans(), "strokeWidth": number(0, 20),
    "originX": st.sampled_from(["left", "center", "right"]), "originY": st.sampled_from(["top", "center", "bottom"])})


@settings(max_examples=200, **PROPERTIES)
@given(st.lists(st.tuples(COORDINATE, COORDINATE, st.lists(COMMAND, max_size=6), PLACEMENT),
                min_size=1, max_size=3))
def test_the_download_reads_the_page_canvas_as_the_app_does(paths):
    from core.data import strokes
    from core.export.predictor import pen

    drawing = {"objects": [{"type": "path", "path": [["M", x, y], *[list(command) for command in commands]],
                            **placement} for x, y, commands, placement in paths]}
    try:
        want = strokes.canvas_to_strokes(drawing)
    except strokes.StrokeError as error:
        with pytest.raises(pen.StrokeError, match=re.escape(str(error))):
            pen.canvas_strokes(drawing)
        return
    got = pen.canvas_strokes(drawing)
    assert len(got) == len(want)
    assert all(np.allclose(mine.numpy(), theirs, atol=1e-6) for mine, theirs in zip(got, want))
    assert np.allclose(pen.resample(drawing, 12).numpy(), strokes.resample(want, 12), atol=1e-5)
