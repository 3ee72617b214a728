"""The presets a just-started server trains in the background (RNN_PLAYGROUND_WARM_ON_START): each
one not stored finished is trained into the run store through the job runner, one at a time, and
never while a visitor's job is queued or training."""

from __future__ import annotations

import pytest
from job_support import poll_until, tiny

from core.engine.warming import WARM_OWNER, PresetWarmer, preset_experiments
from core.store.runs import run_id
from core.tasks import registry
from core.tasks.experiment import of_preset

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def backend() -> str:
    return "thread"


def test_every_unfinished_preset_is_trained_into_the_store_and_a_finished_one_is_left_alone(make_runner, store):
    runner = make_runner(max_concurrent=1)
    stored, fresh = tiny(seed=1), [tiny(seed=2), tiny(seed=3)]
    runner.submit(stored).wait()
    assert store.find(stored, finished_only=True) is not None
    warmer = PresetWarmer(runner, [stored, *fresh], idle_check_seconds=0.01).start()
    assert warmer.finished.wait(30)
    assert warmer.outcomes == {run_id(experiment): "finished" for experiment in fresh}
    for experiment in fresh:
        assert store.find(experiment, finished_only=True) is not None
    warm_jobs = [job for job in runner.jobs() if job.owner == WARM_OWNER]
    assert sorted(job.run_id for job in warm_jobs) == sorted(run_id(experiment) for experiment in fresh)


def test_a_visitors_job_trains_first_and_the_warmer_waits_until_it_ends(make_runner, store):
    runner = make_runner(max_concurrent=1)
    visitor = runner.submit(tiny(steps=5000), owner="a browser session")
    poll_until(lambda: visitor.snapshot().steps_done > 0, 20)
    checks = []
    warmer = PresetWarmer(runner, [tiny(seed=4)], idle_check_seconds=0.01)
    idle = warmer.runner_idle

    def counted() -> bool:
        checks.append(idle())
        return checks[-1]

    warmer.runner_idle = counted
    warmer.start()
    poll_until(lambda: len(checks) >= 3, 10)
    # The warmer has asked three times and found the runner busy: it has submitted nothing yet.
    assert checks[:3] == [False, False, False]
    assert not visitor.done and [job.owner for job in runner.jobs()] == ["a browser session"]
    visitor.stop("Stopped by you.")
    assert warmer.finished.wait(30)
    assert warmer.outcomes == {run_id(tiny(seed=4)): "finished"}
    assert store.find(tiny(seed=4), finished_only=True) is not None


def test_the_warmer_closes_without_submitting_while_a_visitor_trains(make_runner):
    runner = make_runner(max_concurrent=1)
    visitor = runner.submit(tiny(steps=5000), owner="a browser session")
    warmer = PresetWarmer(runner, [tiny(seed=5)], idle_check_seconds=0.01).start()
    warmer.close()
    assert warmer.finished.wait(10)
    assert warmer.outcomes == {} and [job.owner for job in runner.jobs()] == ["a browser session"]
    visitor.stop("Stopped by you.")


def test_the_warmer_warms_exactly_the_presets_a_link_opens():
    expected = []
    for preset in registry.presets():
        experiment, messages = of_preset(preset)
        assert not messages, (preset.title, messages)
        expected.append(run_id(experiment))
    assert [run_id(experiment) for experiment in preset_experiments()] == expected
