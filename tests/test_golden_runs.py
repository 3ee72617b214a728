"""Run ids survive edits that leave a task's numbers alone, and golden runs catch edits that do not.

A run id hashes the settings and the task's numbers version (core/tasks/versions.py). These tests show
the id no longer depends on the code's bytes, and retrain one tiny seeded run per task to check
its history against tests/golden_runs.json, so a change that alters numbers cannot keep old ids.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import golden_runs
import pytest

from core.store import runs
from core.tasks import experiment as config
from core.tasks import registry, versions
from core.tasks.registry import task_names

ROOT = Path(__file__).resolve().parents[1]


def _first_difference(expected, actual, path: str = "") -> str | None:
    """Where two rounded histories differ beyond float noise, as 'field[index]: expected -> actual'."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            if key not in expected or key not in actual:
                return f"{path}.{key}: present in only one of them"
            found = _first_difference(expected[key], actual[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"{path}: {len(expected)} values -> {len(actual)}"
        for index, (left, right) in enumerate(zip(expected, actual)):
            found = _first_difference(left, right, f"{path}[{index}]")
            if found:
                return found
        return None
    if isinstance(expected, float) and isinstance(actual, float):
        same = math.isclose(expected, actual, rel_tol=1e-4, abs_tol=1e-9)
        return None if same else f"{path}: {expected!r} -> {actual!r}"
    return None if expected == actual else f"{path}: {expected!r} -> {actual!r}"


def _advice(task: str) -> str:
    return (f"If the change is meant to alter {task}'s numbers, bump the numbers_version of its TASK in "
            f"core/tasks/{task}/ (so stored {task} runs and links are not served as if this code made them) "
            f"and regenerate the fingerprint with `{golden_runs.REGENERATE} {task}`; if not, the change has "
            "a side effect to find.")


@pytest.mark.parametrize("task", task_names())
def test_golden_run_reproduces_its_stored_numbers(task):
    golden = golden_runs.load()
    assert task in golden, f"No golden run stored for {task}: run `{golden_runs.REGENERATE} {task}`."
    stored = golden[task]
    assert stored["numbers_version"] == versions.numbers_versions()[task], (
        f"{task}'s numbers version is {versions.numbers_versions()[task]} but its golden run was recorded at "
        f"{stored['numbers_version']}: regenerate it with `{golden_runs.REGENERATE} {task}`.")
    difference = _first_difference(stored["models"], golden_runs.fingerprint(task)["models"])
    assert difference is None, f"The {task} golden run computes different numbers ({difference}). " + _advice(task)


def test_the_comparison_sees_a_change_in_a_single_number():
    """The golden check must not pass a history whose numbers moved, even slightly."""
    stored = golden_runs.load()["memory"]["models"]
    changed = json.loads(json.dumps(stored))
    changed["lstm"]["train_loss"][5] *= 1.001
    assert _first_difference(stored, stored) is None
    assert "train_loss[5]" in _first_difference(stored, changed)


def test_every_task_has_a_numbers_version_and_bumping_it_changes_only_its_ids(monkeypatch):
    assert set(versions.numbers_versions()) == set(task_names())
    experiments = {task: config.from_params({"task": task})[0] for task in task_names()}
    before = {task: runs.run_id(experiment) for task, experiment in experiments.items()}
    memory = registry.task("memory")
    # The cached records are the registry's; monkeypatch puts memory's back after the test.
    monkeypatch.setitem(registry._records(), "memory",
                        dataclasses.replace(memory, numbers_version=memory.numbers_version + 1))
    after = {task: runs.run_id(experiment) for task, experiment in experiments.items()}
    assert after["memory"] != before["memory"]
    assert {task: after[task] for task in task_names() if task != "memory"} == \
        {task: before[task] for task in task_names() if task != "memory"}


IDS_SCRIPT = ("import json, sys; from core.tasks import experiment as config; from core.store import runs; from core.tasks.registry import task_names; "
              "print(json.dumps({task: runs.run_id(config.from_params({'task': task})[0]) "
              "for task in task_names()}))")


def _ids_from(root: Path) -> dict[str, str]:
    result = subprocess.run([sys.executable, "-c", IDS_SCRIPT], cwd=root, capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout)


def test_editing_the_trainer_or_adding_a_task_module_keeps_every_run_id(tmp_path):
    """A copy of core/ with a comment changed in the trainer and a new task file gives the same ids."""
    original = _ids_from(ROOT)
    shutil.copytree(ROOT / "core", tmp_path / "core", ignore=shutil.ignore_patterns("__pycache__"))
    trainer = tmp_path / "core" / "training" / "trainer.py"
    trainer.write_text(trainer.read_text().replace("# Norms are measured once", "# Norms are read once", 1))
    assert trainer.read_text() != (ROOT / "core" / "training" / "trainer.py").read_text()
    (tmp_path / "core" / "tasks" / "parity.py").write_text('"""A new task, not yet registered."""\n')
    models = tmp_path / "core" / "nn" / "models.py"
    models.write_text(models.read_text() + "\n# A trailing comment.\n")
    assert _ids_from(tmp_path) == original
