"""A corpus of hostile run bundles, generated from a clean one: what a stranger could upload.

Each entry is (name, bundle-or-text, whether the store must refuse it). Refused: numbers past float32's
range or past a float's, empty gradient probes, lists that do not line up, forged statuses, a run id
borrowed from another run, steps that go backwards. Accepted (and then shown marked imported):
a clean bundle claiming "finished" for settings a run trained here has, and series names that a
spreadsheet would read as formulas.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from core.data.history import History
from core.store.runs import RunStore
from core.tasks import experiment as config

FORMULA_NAMES = ("=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tlead", "\rlead")


def clean_history(cell: str, steps: int = 4) -> History:
    """A small history whose lists line up the way training writes them."""
    numbers = list(range(1, steps + 1))
    return History(cell=cell, status="finished", steps=numbers, wall_seconds=[0.1 * s for s in numbers],
                   train_loss=[2.0 / s for s in numbers], grad_norm=[1.0] * steps,
                   layer_grad_norms={"layer0": [0.5] * steps}, eval_steps=[2, 4], val_loss=[1.5, 1.0],
                   val_metric=[0.4, 0.6], probe_steps=[2, 4],
                   grad_through_time=[{"layer0": [0.01, 1.0]}, {"layer0": [0.02, 1.0]}])


def clean_bundle(params: dict[str, Any], path) -> dict[str, Any]:
    """An exported bundle of `params` with clean histories, made in a throwaway store at `path`."""
    experiment, messages = config.from_params(params)
    assert not messages, messages
    source = RunStore(path)
    histories = {name: clean_history(name) for name in config.model_names(experiment)}
    return source.export_bundle(source.save(experiment, histories))


def _each_history(change: Callable[[dict], None]) -> Callable[[dict], dict]:
    def spoil(bundle: dict) -> dict:
        bundle = copy.deepcopy(bundle)
        for history in bundle["histories"].values():
            change(history)
        return bundle
    return spoil


def _set(key: str, value: Any) -> Callable[[dict], None]:
    return lambda history: history.__setitem__(key, value)


def _last(key: str, value: Any) -> Callable[[dict], None]:
    return lambda history: history[key].__setitem__(-1, value)


def _formula_names(history: dict) -> None:
    history["scores"] = {FORMULA_NAMES[0]: [0.1, 0.2], FORMULA_NAMES[1]: [0.3, 0.4]}
    history["group_metric"] = {name: [0.5, 0.6] for name in FORMULA_NAMES[2:]}
    history["layer_grad_norms"] = {"=cmd|' /C calc'!A0": [0.5] * len(history["steps"])}


SPOILERS: dict[str, tuple[Callable[[dict], dict], bool]] = {
    "an integer past the float range in val_metric": (_each_history(_last("val_metric", 10 ** 400)), True),
    "1e300 in train_loss": (_each_history(_last("train_loss", 1e300)), True),
    "an empty last gradient probe": (_each_history(_last("grad_through_time", {})), True),
    "a probe layer with no values": (_each_history(_last("grad_through_time", {"layer0": []})), True),
    "val_metric shorter than eval_steps": (_each_history(_set("val_metric", [0.4])), True),
    "layer norms longer than steps": (_each_history(_set("layer_grad_norms", {"layer0": [0.5] * 9})), True),
    "steps that go backwards": (_each_history(_set("steps", [4, 3, 2, 1])), True),
    "a negative step": (_each_history(_set("steps", [-1, 2, 3, 4])), True),
    "a confusion matrix that is not square": (_each_history(_set("confusion", [[1, 2], [3]])), True),
    "a forged running status": (lambda b: {**b, "status": "running"}, True),
    "a forged failed model": (_each_history(_set("status", "failed")), True),
    "another run's id": (lambda b: {**b, "run_id": "0123456789abcdef"}, True),
    "formula names": (_each_history(_formula_names), False),
    "a clean finished claim": (copy.deepcopy, False),
}


def corpus(bundle: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(name, bundle text, refused?) for every spoiler applied to a clean `bundle`."""
    return [(name, json.dumps(spoil(bundle)), refused) for name, (spoil, refused) in SPOILERS.items()]
