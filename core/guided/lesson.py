"""A guided lesson read from its TOML file, checked against the task it teaches.

A lesson is data: a file `core/guided/lessons/<id>.toml` names its task and a list of steps, each
with a question to predict, the settings it sets, the few settings the student may move (every
other one is locked), the run to make, what to look at afterwards and a check of the student's run
(core/guided/checks.py). `load` refuses a file whose settings, models, measures or wording do not
fit the task, with an error naming the file, the step and the fix, so a teacher's typo never
reaches a page. README.md's "Guided lessons" shows a file.
"""

from __future__ import annotations

import functools
import re
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.tasks import experiment as config
from core.tasks.experiment import Experiment
from core.tasks.registry import task_names

FOLDER = Path(__file__).parent / "lessons"
IDENTIFIER = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
MEASURES = ("metric", "gradient")
# The words a check's sentences may fill in (core/guided/checks.py), e.g. "{model} scored {model_value}".
PLACEHOLDERS = frozenset({"model", "model_value", "than", "than_value", "margin", "difference"})
TEXT_LENGTH = 600
MAX_STEPS = 12


class LessonError(ValueError):
    """A lesson file that cannot be used, saying where and why."""


@dataclass(frozen=True)
class Check:
    """Whether a run showed the step's point: `model`'s measure above `than`'s by `margin`, or above
    (or below) a fixed value; `shown` and `not_shown` are the sentences for each outcome."""

    measure: str
    model: str
    shown: str
    not_shown: str
    than: str | None = None
    margin: float = 0.0
    above: float | None = None
    below: float | None = None


@dataclass(frozen=True)
class Step:
    title: str
    question: str
    answers: tuple[str, ...]
    params: dict[str, str | list[str]]  # the step's settings as URL parameters (lesson's, then its own)
    unlocked: tuple[str, ...]
    run: str
    look: str
    check: Check


@dataclass(frozen=True)
class Lesson:
    identifier: str
    task: str
    title: str
    summary: str
    steps: tuple[Step, ...]

    def experiment(self, number: int) -> Experiment:
        """The experiment step `number` (from 1) opens on."""
        return config.from_params({**self.steps[number - 1].params, "task": self.task})[0]

    def locked(self, number: int) -> set[str]:
        """The settings step `number` holds fixed: every one of the task's but those it unlocks."""
        return set(config.parameter_fields(self.task)) - set(self.steps[number - 1].unlocked)


def _text(table: dict, key: str, where: str, length: int = TEXT_LENGTH) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LessonError(f"{where}: `{key}` must be a non-empty text.")
    if len(value) > length:
        raise LessonError(f"{where}: `{key}` is {len(value)} characters long; keep it under {length}.")
    return value.strip()


def _template(table: dict, key: str, where: str) -> str:
    text = _text(table, key, where)
    try:
        fields = [(name, spec) for _, name, spec, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as error:
        raise LessonError(f"{where}: `{key}` has a stray brace ({error}); write {{{{ for a brace.") from None
    for name, spec in fields:
        if name not in PLACEHOLDERS or spec:
            raise LessonError(f"{where}: `{key}` uses {{{name}{':' + spec if spec else ''}}}; the words it may fill in "
                              f"are {', '.join('{' + known + '}' for known in sorted(PLACEHOLDERS))}.")
    return text


def _number(table: dict, key: str, where: str) -> float | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LessonError(f"{where}: `{key}` must be a number.")
    return float(value)


def _params(table: Any, where: str) -> dict[str, str | list[str]]:
    if not isinstance(table, dict):
        raise LessonError(f"{where}: `settings` must be a table of setting = value.")
    params: dict[str, str | list[str]] = {}
    for name, value in table.items():
        if isinstance(value, list):
            params[name] = [config.format_value(item) for item in value]
        elif isinstance(value, bool | int | float | str):
            params[name] = config.format_value(value)
        else:
            raise LessonError(f"{where}: setting {name!r} must be a text, a number, true/false or a list.")
    return params


def _check(table: Any, where: str, models: tuple[str, ...]) -> Check:
    if not isinstance(table, dict):
        raise LessonError(f"{where}: each step needs a [steps.check] table.")
    where = f"{where}, check"
    measure = table.get("measure", "metric")
    if measure not in MEASURES:
        raise LessonError(f"{where}: measure {measure!r} is not one of {', '.join(MEASURES)}.")
    for key in ("model", "than"):
        name = table.get(key)
        if (key == "model" or name is not None) and name not in models:
            raise LessonError(f"{where}: `{key}` {name!r} is not a model this step trains ({', '.join(models)}).")
    check = Check(measure, table["model"], _template(table, "shown", where), _template(table, "not_shown", where),
                  table.get("than"), _number(table, "margin", where) or 0.0, _number(table, "above", where),
                  _number(table, "below", where))
    if sum(value is not None for value in (check.than, check.above, check.below)) != 1:
        raise LessonError(f"{where}: give exactly one of `than` (another model), `above` or `below` (a number).")
    unknown = set(table) - {"measure", "model", "than", "margin", "above", "below", "shown", "not_shown"}
    if unknown:
        raise LessonError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}.")
    return check


def _step(table: Any, where: str, task: str, base: dict[str, str | list[str]]) -> Step:
    if not isinstance(table, dict):
        raise LessonError(f"{where}: a step must be a table ([[steps]]).")
    params = {**base, **_params(table.get("settings", {}), where)}
    experiment, messages = config.from_params({**params, "task": task})
    if messages:
        raise LessonError(f"{where}: its settings do not fit the {task} task: {' '.join(messages)}")
    fields = config.parameter_fields(task)
    unlocked = table.get("unlocked", [])
    if not isinstance(unlocked, list) or any(name not in fields for name in unlocked):
        raise LessonError(f"{where}: `unlocked` must list settings of the {task} task (from {', '.join(fields)}).")
    answers = table.get("answers")
    if not isinstance(answers, list) or not 2 <= len(answers) <= 6:
        raise LessonError(f"{where}: `answers` must list two to six answers to the question.")
    answers = [_text({"answer": answer}, "answer", where, 200) for answer in answers]
    unknown = set(table) - {"title", "question", "answers", "settings", "unlocked", "run", "look", "check"}
    if unknown:
        raise LessonError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}.")
    return Step(_text(table, "title", where, 120), _text(table, "question", where), tuple(answers), params,
                tuple(unlocked), _text(table, "run", where), _text(table, "look", where),
                _check(table.get("check"), where, config.model_names(experiment)))


def parse(identifier: str, text: str) -> Lesson:
    """A lesson from its file's text; LessonError saying what to fix."""
    where = f"lesson {identifier!r}"
    if not IDENTIFIER.fullmatch(identifier) or len(identifier) > 40:
        raise LessonError(f"{where}: name the file with lower-case letters, digits and dashes (at most 40).")
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise LessonError(f"{where}: not valid TOML ({error}).") from None
    task = table.get("task")
    if task not in task_names():
        raise LessonError(f"{where}: `task` {task!r} is not one of {', '.join(task_names())}.")
    steps = table.get("steps")
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
        raise LessonError(f"{where}: give one to {MAX_STEPS} [[steps]].")
    unknown = set(table) - {"task", "title", "summary", "settings", "steps"}
    if unknown:
        raise LessonError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}.")
    base = _params(table.get("settings", {}), where)
    return Lesson(identifier, task, _text(table, "title", where, 120), _text(table, "summary", where),
                  tuple(_step(step, f"{where}, step {number}", task, base) for number, step in enumerate(steps, 1)))


@functools.cache
def lessons() -> dict[str, Lesson]:
    """Every shipped lesson by its identifier (the file's name), in name order."""
    return {path.stem: parse(path.stem, path.read_text(encoding="utf-8")) for path in sorted(FOLDER.glob("*.toml"))}


def lessons_of(task: str) -> list[Lesson]:
    return [lesson for lesson in lessons().values() if lesson.task == task]
