"""How the models are optimised: the training settings every lesson shares."""

from __future__ import annotations

from dataclasses import dataclass

from core.settings.fields import setting

# Learning rates move on a log grid, so a slider, a link and the CLI all land on the same values.
# A stored run's id, as a text setting's pattern: a continued run names its parent by it.
RUN_ID = "[0-9a-f]{16}"
LEARNING_RATES = (0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)


@dataclass(frozen=True)
class TrainConfig:
    """How the models are optimised."""

    optimizer: str = setting(
        "adam", choices=("adam", "sgd"), label="Optimizer", help="Adam adapts step sizes; SGD does not.",
    )
    lr: float = setting(
        0.003, low=1e-4, high=1.0, log=True, options=LEARNING_RATES, label="Learning rate",
        help="Step size of the optimizer (log scale; other values snap to the nearest step).",
    )
    batch_size: int = setting(128, low=8, high=256, label="Batch size", help="Examples per step.")
    steps: int = setting(800, low=10, high=5000, label="Steps", help="Optimizer steps per model.")
    clip: float = setting(
        1.0, low=0.0, high=10.0, step=0.5, label="Gradient clip",
        help="Clip the total gradient norm to this value (0 turns clipping off).",
    )
    eval_every: int = setting(
        50, low=5, high=500, label="Evaluate every", help="Steps between validation passes.",
    )
    probe_every: int = setting(
        50, low=5, high=500, label="Probe every", help="Steps between gradient-through-time probes.",
    )
    schedule: str = setting(
        "constant", choices=("constant", "cosine"), label="Learning-rate schedule", quiet=True,
        help="Constant, or a short warm-up then a cosine decay to nearly zero by the last step (the default for "
             "files of sentence pairs: large steps early, fine ones at the end).",
    )
    keep: str = setting(
        "last", choices=("last", "best"), label="Keep weights", quiet=True,
        help="The weights after the last step, or those of the evaluation that scored best (the task's main "
             "validation score, chrF for a translation): early stopping without cutting the curves short.",
    )
    parent: str = setting(
        "", pattern=RUN_ID, label="Continues run",
        help="The stored run this one continues from its weights, optimizer state and random streams (set "
             "by Train more); Steps is then the total, the parent's steps included.",
    )
