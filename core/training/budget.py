"""A job's peak memory, estimated from its experiment before it trains, and the budget that refuses
what does not fit, saying which setting to lower.

Training steps every model of a job in turn, so the peak is the data, every model's weights with
their gradients and Adam's two moments, the history each model keeps (and the copies of it that
progress and saving make), and the largest single phase of one model: a training step (autograd
keeps every step's gates and states for backward: batch x time x hidden x layers x directions
values, several per unit), an evaluation (no gradients, but every layer's output over a whole
evaluation batch) or a probe (the step-by-step unroll keeps every state and gate of the probe
examples). Measured on 2 CPU cores (bench/job_memory.py), per unit kept for backward: RNN 3.3
floats, GRU 8.9, LSTM 9.6, and about one more for a bidirectional cell's reversed copy; the worst
link within the bounds (7 cells, 256 units, 3 layers, batch 256, distance 200) peaks at 3.3 GB in
one BiLSTM step. The estimate reads the data's shape from the task (`data_shape(config)` in the
task module) where the task can say it cheaply, else from the built data before the first step.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from core.nn.cells import cell_of
from core.tasks.base import DataShape
from core.tasks.experiment import Experiment, model_names, parameter_fields
from core.tasks.registry import task

FLOAT = 4  # bytes in a float32
# A number in a History list: a Python float (24 bytes) and the list's pointer to it.
HISTORY_NUMBER = 32
# Live copies of a history at the peak: the trainer's, the published progress copy, a page's
# snapshot and the run store's JSON while saving.
HISTORY_COPIES = 4
EVAL_BATCH = 512  # core/nn/problems.py evaluates in chunks of this many examples
# What a job's first steps cost beyond its tensors (autograd's and the allocator's own set-up),
# measured as the peak of a 4-unit model on 5-step sequences.
OVERHEAD = 90 * 2 ** 20
MEGABYTE = 2 ** 20
# For whoever runs the server: where the budget comes from and how to change it.
HOST_NOTE = ("(The server's host sets this budget with RNN_PLAYGROUND_MEMORY_MB, the memory of all jobs "
             "together, shared by the RNN_PLAYGROUND_MAX_JOBS that train at once; unset, it is a third of "
             "the machine's memory.)")


def shape_of(data) -> DataShape:
    """The shape of built task data (a core.tasks.base.TaskData)."""
    targets = data.train_targets
    decodes = targets.dim() > 1 and not data.per_step
    return DataShape(
        train_examples=int(data.train_targets.shape[0]), val_examples=int(data.val_targets.shape[0]),
        probe_examples=int(data.probe_targets.shape[0]), length=int(data.train_inputs.shape[1]),
        features=int(data.input_size), num_classes=int(data.num_classes), vocab_size=int(data.vocab_size or 0),
        target_length=int(targets.shape[1]) if decodes else 0,
    )


def expected_shape(experiment: Experiment) -> DataShape | None:
    """The data's shape from the task's `data_shape(config)`, or None where the task cannot say
    it without building the data (then the runner checks the built data before the first step)."""
    return task(experiment.task).data_shape(experiment.task_config)


@functools.cache
def _cell(cell: str) -> tuple[int, int, bool]:
    """(gate blocks, directions, averages) of a cell kind, read from its registered module."""
    from core.nn.models import REGISTRY

    spec = REGISTRY[cell]
    blocks = spec.module(1, 1).weight_ih_l0.shape[0]  # 4 for an LSTM, 3 for a GRU, 1 for an RNN
    return blocks, 2 if spec.bidirectional else 1, spec.averages


@dataclass(frozen=True)
class Footprint:
    """A job's estimated peak, in bytes, by part."""

    data: int
    weights: int
    phase: int  # the largest training step and evaluation of one model (and its probe, if larger)
    history: int

    @property
    def total(self) -> int:
        return OVERHEAD + self.data + self.weights + self.phase + self.history

    @property
    def megabytes(self) -> int:
        return -(-self.total // MEGABYTE)


def footprint(experiment: Experiment, shape: DataShape, max_steps: int | None = None) -> Footprint:
    """The estimated peak memory of training `experiment` on data of `shape`."""
    model, train = experiment.model, experiment.train
    steps = min(train.steps, max_steps or train.steps)
    per_value = FLOAT * (1 if shape.vocab_size else shape.features)
    data = (shape.train_examples + shape.val_examples + shape.probe_examples) * shape.length * per_value * 2
    weights, phase, history = 0, 0, 0
    for name in model_names(experiment):
        blocks, directions, averages = _cell(cell_of(name))
        layers = 1 if averages else model.num_layers
        width = model.hidden_size * directions
        parameters = _parameters(shape, model.hidden_size, layers, blocks, directions)
        weights += parameters * FLOAT * 5  # weights, gradients, Adam's two moments, the saved copy
        # Values kept per (example, step, unit, layer, direction): each gate's input and output,
        # the state and its input, and the reversed copy of a bidirectional layer's input.
        kept = 4 if averages else 2 * blocks + 3 + (directions - 1)
        units = shape.length * model.hidden_size * layers * directions
        decoder = _decoder(shape, model.hidden_size, width, blocks)
        step = (units * kept + decoder) * train.batch_size * FLOAT
        # No gradients: every layer's output over an evaluation batch, and the reversed copies.
        evaluated = min(shape.val_examples, EVAL_BATCH)
        evaluation = (shape.length * width * (layers + 1) * (1 + directions) // 2 + decoder) * evaluated * FLOAT
        probe = (units * kept + decoder) * shape.probe_examples * FLOAT
        # The allocator does not have all of a step's memory back when the evaluation after it
        # runs (measured: the peaks add up), so the two count together.
        phase = max(phase, step + evaluation, probe)
        history += _history_numbers(shape, layers, steps, train.eval_every, train.probe_every)
    return Footprint(data, weights, phase, history * HISTORY_NUMBER * HISTORY_COPIES)


def _parameters(shape: DataShape, hidden: int, layers: int, blocks: int, directions: int) -> int:
    count = shape.vocab_size * shape.features
    inputs = shape.features
    for _ in range(layers):
        count += directions * blocks * hidden * (inputs + hidden + 2)
        inputs = hidden * directions
    count += (inputs + 1) * shape.num_classes  # the head
    if shape.target_length:  # a decoder: its embedding, cell, attention and a head over the pieces
        count += shape.num_classes * shape.features + blocks * hidden * (shape.features + inputs + hidden + 2)
        count += 3 * hidden * (hidden + inputs)
    return count


def _decoder(shape: DataShape, hidden: int, width: int, blocks: int) -> int:
    """Values a decoder keeps per example for backward: its cell's and, at every step, attention
    over every source step, and the logits over the target pieces."""
    if not shape.target_length:
        return 0
    per_step = hidden * (2 * blocks + 4) + shape.length * (3 * hidden + 2) + width + 2 * shape.num_classes
    return shape.target_length * per_step


def _history_numbers(shape: DataShape, layers: int, steps: int, eval_every: int, probe_every: int) -> int:
    """Numbers one model's History holds at the end (see core/data/history.py)."""
    evaluations = steps // eval_every + 2  # plus the first and the last step
    probes = steps // probe_every + 2
    per_step = 5 + 2 * layers + 1  # step, time, loss, norm, per-layer norms, head
    per_evaluation = 3 + 2
    per_probe = 1 + layers * shape.length + shape.target_length * shape.length
    return steps * per_step + evaluations * per_evaluation + probes * per_probe


def _label(experiment: Experiment, name: str) -> str:
    return parameter_fields(experiment.task)[name][1].metadata["label"]


def refusal(experiment: Experiment, shape: DataShape, limit_mb: float, max_steps: int | None = None) -> str | None:
    """None if the job fits in `limit_mb`, else a message for the user naming what to lower."""
    need = footprint(experiment, shape, max_steps)
    if need.total <= limit_mb * MEGABYTE:
        return None
    advice = _advice(experiment, shape, limit_mb, max_steps, need)
    return (f"This server gives each training job about {limit_mb:,.0f} MB of memory; these settings need "
            f"about {need.megabytes:,} MB. {advice} {HOST_NOTE}")


def _advice(experiment: Experiment, shape: DataShape, limit_mb: float, max_steps: int | None,
            need: Footprint) -> str:
    """Which settings to lower, and to what: each one that alone would make the job fit."""
    from core.tasks.experiment import replace, value_of

    def fits(**changes) -> bool:
        try:
            changed = replace(experiment, **changes)
        except ValueError:
            return False
        return footprint(changed, shape, max_steps).total <= limit_mb * MEGABYTE

    train = experiment.train
    if need.history > need.phase:
        for every in range(max(train.probe_every, train.eval_every), 501, 5):
            if fits(probe_every=every, eval_every=every):
                return (f"Most of it is the record of the run: set {_label(experiment, 'probe_every')} and "
                        f"{_label(experiment, 'eval_every')} to {every} or more, or train fewer steps.")
    options = []
    for name in ("batch_size", "hidden_size", "num_layers"):
        value, low = value_of(experiment, name), int(parameter_fields(experiment.task)[name][1].metadata["low"])
        while value > low and not fits(**{name: value}):
            value = max(low, value // 2 if name != "num_layers" else value - 1)
        if value < value_of(experiment, name) and fits(**{name: value}):
            options.append(f"the {_label(experiment, name).lower()} to {value}")
    if options:
        return f"Lower {' or '.join(options)}, or train fewer cells at once."
    return (f"Train fewer cells at once, and lower the {_label(experiment, 'hidden_size').lower()}, the "
            f"{_label(experiment, 'num_layers').lower()} or the sequence length.")
