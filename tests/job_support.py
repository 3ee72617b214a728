"""What the job runner's tests share: a tiny experiment, and waiting on a condition with a hard limit."""

from __future__ import annotations

import time

from core.tasks.experiment import from_params

TINY = {"distance": "8", "hidden_size": "8", "batch_size": "16", "steps": "20",
        "eval_every": "5", "probe_every": "5"}


def tiny(**changes):
    """The tiny experiment with `changes` (any values, as strings in a link); the validator must accept them."""
    experiment, messages = from_params({**TINY, **{k: str(v) for k, v in changes.items()}})
    assert not messages, messages
    return experiment


def poll_until(condition, deadline: float) -> None:
    """Poll a condition the job cannot signal (e.g. 'has taken some steps') for at most `deadline` seconds."""
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, "condition not reached before the deadline"
        time.sleep(0.01)
