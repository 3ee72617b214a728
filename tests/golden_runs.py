"""Golden runs: one tiny seeded run per task, and the numbers it must reproduce.

Run ids hash a task's numbers version (its task record's `numbers_version`), not the code, so something must notice
when a change alters a task's numbers: tests/test_golden_runs.py trains these runs and compares
their histories with tests/golden_runs.json. After a change that is meant to alter a task's
numbers, bump that lesson's `numbers_version` (core/tasks/<lesson>/__init__.py) and regenerate the file:

    .venv/bin/python tests/golden_runs.py            # every task
    .venv/bin/python tests/golden_runs.py memory     # one task
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.tasks import experiment as config  # noqa: E402  (after the path set-up above, for the script form)
from core.tasks import registry  # noqa: E402
from core.training.trainer import prepare, run_interleaved  # noqa: E402

GOLDEN_FILE = Path(__file__).resolve().parent / "golden_runs.json"
REGENERATE = ".venv/bin/python tests/golden_runs.py"
# Shared by every task: few steps, tiny models, an evaluation and a probe mid-run and at the end.
COMMON = {"steps": "24", "batch_size": "16", "hidden_size": "8", "eval_every": "12", "probe_every": "12",
          "seed": "3", "lr": "0.01"}
# Six significant digits: far coarser than the float noise of repeating a run, far finer than
# any change that alters what a run computes.
DIGITS = 6


def experiment_of(task: str) -> config.Experiment:
    experiment, messages = config.from_params({**COMMON, **registry.task(task).golden.settings, "task": task})
    if messages:
        raise ValueError(f"golden settings for {task} were corrected: {messages}")
    return experiment


def _rounded(value):
    if isinstance(value, float):
        return float(f"{value:.{DIGITS}g}")
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return value


def fingerprint(task: str) -> dict:
    """The numbers of the task's golden run, rounded, by model, with the version they belong to."""
    trainers = prepare(experiment_of(task))
    run_interleaved(trainers)
    models = {}
    for trainer in trainers:
        history = trainer.history.to_dict()
        history.pop("wall_seconds")  # time is not a number the code computes
        models[trainer.cell] = _rounded(history)
    return {"numbers_version": registry.task(task).numbers_version, "models": models}


def load() -> dict:
    return json.loads(GOLDEN_FILE.read_text()) if GOLDEN_FILE.exists() else {}


def write(tasks: list[str]) -> None:
    golden = load()
    for task in tasks:
        golden[task] = fingerprint(task)
        print(f"{task}: numbers version {registry.task(task).numbers_version}")
    GOLDEN_FILE.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    write(sys.argv[1:] or list(registry.task_names()))
