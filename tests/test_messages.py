"""Messages that must read right: progress per model, stored runs not retrained silently.

Chart details (natural order of panels, log-axis format, reference-line legends) are in
tests/test_charts.py."""

from __future__ import annotations

from types import SimpleNamespace

from test_pages import TINY, open_page

from core.data.history import History
from core.engine.jobs import JobRefused
from core.store import runs
from core.tasks import experiment as config
from ui.lab import progress_text, train_note
from ui.services import run_store


def test_progress_counts_steps_per_model():
    # Two models of 800 steps: the job counts 1600 steps in all.
    assert progress_text(312, 1600, 2, 4.25) == "Training 2 models: 156 of 800 steps each, 4.2 s"
    assert progress_text(5, 800, 1, 1.0) == "Training 1 model: 5 of 800 steps each, 1.0 s"


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


def status_boxes(app) -> list[str]:
    return [box.value for kind in ("error", "warning", "info", "success") for box in getattr(app, kind)]


def test_each_run_state_shows_one_status_box():
    # Cells without gates, so the look-inside view (which needs saved weights) stays quiet.
    params = {**TINY, "seed": "78", "cells": ["RNN", "BiRNN"]}
    app = open_page("memory_lab", params)
    [fresh] = status_boxes(app)
    assert "Not trained yet" in fresh
    experiment = config.from_params(params)[0]
    rnn, lstm = config.model_names(experiment)
    # A finished run whose RNN diverged: the divergence and the stored run, in one red box.
    run_store().save(experiment, {rnn: History(cell=rnn, steps=[1, 2], status="diverged",
                                               message="The loss became NaN."),
                                  lstm: History(cell=lstm, steps=[1, 2], status="finished")}, status="finished")
    app.run()
    [box] = status_boxes(app)
    assert len(app.error) == 1 and "NaN" in box and "Loaded finished run" in box
    # A stopped run: one amber box saying each model stopped and that Train restarts from step 0.
    run_store().save(experiment, {name: History(cell=name, steps=[1], status="stopped", message="Stopped.")
                                  for name in (rnn, lstm)}, status="stopped")
    app.run()
    [box] = status_boxes(app)
    assert len(app.warning) == 1 and box.count("stopped after 1 steps") == 2 and "step 0" in box


class RefusingRunner:
    """A job runner whose budgets refuse every job, or whose one job failed to start."""

    def __init__(self, failed=None):
        self.failed = failed

    def submit(self, experiment, **_):
        raise JobRefused("This server trains at most 1 job per browser session.")

    def job(self, job_id):
        return self.failed


def test_a_refused_or_failed_train_is_the_only_status_box(monkeypatch):
    import ui.class_student
    import ui.lab

    params = {**TINY, "seed": "79"}
    # Train submits through ui.class_student (tagging a class's student); the page polls through ui.lab.
    monkeypatch.setattr(ui.class_student, "job_runner", lambda: RefusingRunner())
    app = open_page("memory_lab", params)
    [train] = [button for button in app.button if button.label == "Train"]
    train.click().run()
    [box] = status_boxes(app)
    assert len(app.warning) == 1 and "at most 1 job" in box
    experiment = config.from_params(params)[0]
    failed = SimpleNamespace(done=True, status="failed", message="no memory left", run_id=runs.run_id(experiment))
    monkeypatch.setattr(ui.lab, "job_runner", lambda: RefusingRunner(failed))
    app.session_state["memory_job"] = "someone"
    app.run()
    [box] = status_boxes(app)
    assert len(app.error) == 1 and "did not finish" in box and "no memory left" in box
    # After a run of other settings, "not trained yet" says the earlier results are kept, in the same box.
    other = SimpleNamespace(done=True, status="finished", message="", run_id="0123456789abcdef")
    monkeypatch.setattr(ui.lab, "job_runner", lambda: RefusingRunner(other))
    app.run()
    [box] = status_boxes(app)
    assert "Not trained yet" in box and "other settings" in box


def test_a_run_without_weights_says_so_once():
    # An imported run carries curves but no weights: the status box says it, the views that need the
    # models (here the look inside the LSTM) only point back to it.
    params = {**TINY, "seed": "80"}
    experiment = config.from_params(params)[0]
    run_store().save(experiment, {name: History(cell=name, steps=[1, 2], status="finished")
                                  for name in config.model_names(experiment)}, status="finished")
    app = open_page("memory_lab", params)
    [box] = status_boxes(app)
    assert "no saved weights" in box and "Loaded finished run" in box
    assert any("see above" in caption.value for caption in app.caption)


class QueuedRunner:
    """A job runner holding one job queued first in line, with nothing training, and `earlier` jobs
    it has already run."""

    def __init__(self, backend: str, earlier: int, experiment):
        progress = SimpleNamespace(status="queued", position=1)
        self.queued = SimpleNamespace(id="queued", status="queued", done=False, progress=lambda: progress,
                                      experiment=experiment, run_id=runs.run_id(experiment))
        finished = SimpleNamespace(status="finished", position=0)
        self.earlier = [SimpleNamespace(id=f"done-{index}", progress=lambda: finished) for index in range(earlier)]
        self.backend = backend

    def job(self, job_id):
        return self.queued if job_id == "queued" else None

    def jobs(self):
        return [self.queued, *self.earlier]


def test_first_in_line_says_why_it_waits_only_as_it_is(monkeypatch):
    # The process backend's first job waits for its training processes to start; any other job first in
    # line, with nothing training, is between one run's end and its own start (a class on the thread
    # backend saw "processes still starting up" after every run).
    import ui.lab

    texts = {}
    for backend, earlier in (("process", 0), ("process", 2), ("thread", 0), ("thread", 3)):
        runner = QueuedRunner(backend, earlier, config.from_params({**TINY, "seed": "81"})[0])
        monkeypatch.setattr(ui.lab, "job_runner", lambda runner=runner: runner)
        app = open_page("memory_lab", {**TINY, "seed": "81"})
        app.session_state["memory_job"] = "queued"
        app.run()
        assert not app.exception, app.exception
        [box] = [info.value for info in app.info if "Starting" in info.value]
        texts[backend, earlier] = box
    assert "processes are still starting up" in texts["process", 0]
    for case in (("process", 2), ("thread", 0), ("thread", 3)):
        assert texts[case] == "Starting: your run is next and begins in a moment.", case
