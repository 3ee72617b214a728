"""A class through AppTest: the home page starts one, a student joins and trains, the teacher's page
opens only with its own key, shows the student's run, and every student's text stays plain."""

from __future__ import annotations

import re
import sqlite3

import pytest
from test_classes import store_run
from test_pages import TINY, chart_frames, open_page, train_to_the_end
from test_plain_text import HOST, PAYLOADS, markup_on, visible

from core.classes import rules
from core.classes.store import ClassStore
from core.store import runs
from core.tasks import experiment as config
from ui.class_teacher import REFUSED
from ui.services import job_runner, run_store


def classes() -> ClassStore:
    return ClassStore(run_store())


@pytest.fixture(autouse=True)
def no_classes_left():
    """Each test starts and ends with no class in this process's store: the server-wide limit on
    classes (20 by default) would otherwise fill up across the module."""
    for code in _codes():
        classes().delete(code)
    yield
    for code in _codes():
        classes().delete(code)


def texts(app, address: bool = True) -> list[str]:
    """Every text the page shows, in any element that has one, and (with `address`) its address."""
    found = []
    for kind in ("markdown", "caption", "code", "info", "warning", "error", "success", "title", "subheader",
                 "text_input", "button"):
        for element in getattr(app, kind):
            found += [str(getattr(element, name, "") or "") for name in ("value", "label")]
    return found + ([str(value) for value in app.query_params.values()] if address else [])


def refused(app) -> bool:
    return any(REFUSED in warning.value for warning in app.warning)


def test_the_teacher_page_refuses_no_key_another_classs_key_and_a_guess():
    first, first_key = classes().create()
    second, second_key = classes().create()
    classes().join(first.code, "Ada")
    near_miss = first_key[:-1] + ("B" if first_key[-1] != "B" else "C")
    for params in ({}, {"class": first.code}, {"class": first.code, "key": second_key},
                   {"class": first.code, "key": "A" * 43}, {"class": first.code, "key": near_miss},
                   {"class": "guessedcode", "key": first_key}):
        app = open_page("class_teacher", params)
        assert refused(app), params
        assert not any("Ada" in text or first.code in visible(text) for text in texts(app, address=False))
    app = open_page("class_teacher", {"class": first.code, "key": first_key})
    assert not refused(app) and any("Ada" in visible(text) for text in texts(app))


def test_home_starts_a_class_with_two_links_and_keeps_only_the_keys_digest():
    app = open_page("home")
    [start] = [button for button in app.button if button.label == "Start a class"]
    start.click().run()
    assert not app.exception
    student_link, teacher_link = [code.value for code in app.code][-2:]
    code = student_link.rpartition("class=")[2]
    key = teacher_link.rpartition("key=")[2]
    assert rules.CODE.fullmatch(code) and rules.SECRET.fullmatch(key)
    assert teacher_link.startswith("class_teacher?") and key not in student_link
    assert classes().for_teacher(code, key) is not None
    with sqlite3.connect(run_store().path) as connection:
        assert key not in "\n".join(connection.iterdump())


def test_a_full_server_says_so_when_a_class_would_start(monkeypatch):
    monkeypatch.setenv("RNN_PLAYGROUND_MAX_CLASSES", "1")
    classes().create()
    app = open_page("home")
    [start] = [button for button in app.button if button.label == "Start a class"]
    start.click().run()
    assert any("RNN_PLAYGROUND_MAX_CLASSES" in visible(error.value) for error in app.error)


def _codes() -> list[str]:
    with run_store().connect() as connection:
        return [row[0] for row in connection.execute("SELECT code FROM classes")]


def submit_join(app, name: str):
    app.text_input(key="class_name").input(name)
    [submit] = [button for button in app.button if button.label == "Join"]
    submit.click().run()
    assert not app.exception, app.exception
    return app


def test_a_student_joins_trains_and_the_teacher_sees_the_run_but_the_student_never_sees_the_key():
    info, key = classes().create()
    app = open_page("memory_lab", {"class": info.code, **TINY, "seed": "31"})
    assert any("Join the class" in title.value for title in app.title)
    assert not [button for button in app.button if button.label == "Train"]  # the lab waits for a name
    submit_join(app, "Grace")
    assert app.query_params["class"] == info.code and rules.SECRET.fullmatch(app.query_params["student"])
    assert not any("Ignored unknown setting" in warning.value for warning in app.warning)
    train_to_the_end(app)
    assert all(key not in text for text in texts(app))
    run_id = runs.run_id(config.from_params({**TINY, "seed": "31"})[0])
    assert [tag.run_id for tag in classes().class_runs(info.code)] == [run_id]
    teacher = open_page("class_teacher", {"class": info.code, "key": key})
    shown = [visible(text) for text in texts(teacher)]
    assert "Grace: 1 finished run" in [text.replace("**", "") for text in shown]
    stored = run_store().load(run_id)
    lstm = stored.histories["lstm"].final_val_metric()
    assert any("seed 31" in text and f"LSTM {lstm:.3f}" in text and "steps 40" in text for text in shown)
    # The latest curves: the Compare page's charts, one colour per student, named in the legend.
    colours = [spec["layer"][0]["encoding"]["color"] for spec, _ in chart_frames(teacher)]
    assert colours and all(colour["title"] == "Student" and colour["scale"]["domain"] == ["Grace"]
                           for colour in colours)


def test_a_taken_name_is_refused_and_a_closed_class_ends_the_student_link():
    info, _ = classes().create()
    classes().join(info.code, "Ada")
    app = open_page("home", {"class": info.code})
    submit_join(app, " ada ")
    assert any("already uses that name" in visible(error.value) for error in app.error)
    classes().close(info.code)
    app.run()
    assert any("closed by its teacher" in warning.value for warning in app.warning)
    assert not app.text_input


def test_without_a_class_link_the_pages_are_as_before():
    app = open_page("home")
    assert not any("Join the class" in title.value for title in app.title)
    assert "class" not in app.query_params and not any("In class" in caption.value for caption in app.sidebar.caption)


@pytest.mark.parametrize("half", [0, 1])
def test_student_names_are_plain_text_on_the_teachers_page(monkeypatch, half):
    """The hostile-text corpus as students' names (the length limit lifted so each payload fits whole):
    each is refused at joining or shown escaped, never as a link, image, tag or directive."""
    monkeypatch.setattr(rules, "NAME_LENGTH", 200)
    info, key = classes().create()
    joined = []
    for payload in PAYLOADS[half::2]:
        try:
            student, _ = classes().join(info.code, payload)
        except rules.ClassError:
            assert "\n" in payload  # only the line-breaking payload is refused
            continue
        classes().record_run(student, stored_run_of_seed(len(joined)), f"job-{len(joined)}")
        joined.append(payload)
    assert joined
    app = open_page("class_teacher", {"class": info.code, "key": key})
    assert not markup_on(app)
    assert sum(HOST in visible(text) for text in texts(app)) >= len(joined)


def stored_run_of_seed(seed: int) -> str:
    """A finished memory run with made-up curves, stored where the pages read runs."""
    return store_run(run_store(), {"rnn": 0.4, "lstm": 0.7}, seed=str(100 + seed))


def test_the_class_report_is_one_file_with_the_charts_and_every_name_as_text():
    from ui.class_teacher import class_report

    info, key = classes().create()
    for index, name in enumerate(["Ada", "Grace & <b>co</b>"]):
        student, _ = classes().join(info.code, name)
        classes().record_run(student, stored_run_of_seed(20 + index), f"report-{index}")
    page = class_report(info.code, f"http://host/?class={info.code}")
    assert page.count("<figure>") == 2 and page.count("<svg") == 2  # validation accuracy and train loss
    assert "Grace &amp; &lt;b&gt;co&lt;/b&gt;" in page and "<b>" not in page and "<script" not in page
    assert key not in page and f"?class={info.code}" in page
    assert "of 2</strong> have a run where the LSTM beats the RNN" in page
    hostile, _ = classes().join(info.code, "<img src=x onerror=alert(1)>")
    classes().record_run(hostile, stored_run_of_seed(30), "report-hostile")
    page = class_report(info.code, "")
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<figure>" not in page and "charts were left out" in page  # the SVG check refused the name's text


def test_a_student_past_the_runs_a_class_allows_is_refused_with_the_variable_named(monkeypatch):
    monkeypatch.setenv("RNN_PLAYGROUND_CLASS_RUNS", "1")
    info, _ = classes().create()
    student, token = classes().join(info.code, "Ada")
    classes().record_run(student, stored_run_of_seed(40), "earlier")
    app = open_page("memory_lab", {"class": info.code, "student": token, **TINY, "seed": "41"})
    assert any("In class" in visible(caption.value) for caption in app.sidebar.caption)
    [train] = [button for button in app.button if button.label == "Train"]
    train.click().run()
    assert any("RNN_PLAYGROUND_CLASS_RUNS" in visible(warning.value) for warning in app.warning)
    assert len(classes().class_runs(info.code)) == 1


def test_the_teacher_sees_what_a_student_trains_now():
    info, key = classes().create()
    _, token = classes().join(info.code, "Ada")
    long_run = {"distance": "60", "hidden_size": "32", "steps": "5000", "seed": "43"}
    app = open_page("memory_lab", {"class": info.code, "student": token, **long_run})
    [train] = [button for button in app.button if button.label == "Train"]
    train.click().run()
    [tag] = classes().class_runs(info.code)
    job = job_runner().job(tag.job_id)
    try:
        teacher = open_page("class_teacher", {"class": info.code, "key": key})
        now = [visible(text) for text in texts(teacher) if "Now:" in visible(text)]
        assert len(now) == 1 and re.search(r"Now: (queued|training)", now[0]), now
        assert "on Memory lab" in now[0] and "steps 5000" in now[0] and "hidden_size 32" in now[0]
    finally:
        job.stop()
        assert job.wait(60)


def test_the_teacher_deletes_the_class_at_once_and_its_student_link_ends():
    info, key = classes().create()
    classes().join(info.code, "Ada")
    teacher = open_page("class_teacher", {"class": info.code, "key": key})
    [delete] = [button for button in teacher.button if button.label == "Delete the class"]
    assert delete.disabled  # only once the teacher ticks that they mean it
    teacher.checkbox(key="delete_sure").check().run()
    [delete] = [button for button in teacher.button if button.label == "Delete the class"]
    delete.click().run()
    assert any("The class was deleted" in success.value for success in teacher.success)
    assert classes().get(info.code) is None and classes().students(info.code) == []
    student = open_page("home", {"class": info.code})
    assert any("This class link has ended" in warning.value for warning in student.warning)
