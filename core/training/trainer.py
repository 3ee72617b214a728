"""Training: one model a step at a time (`Trainer`), one model to the end (`train`), or every
model of an experiment interleaved so their curves grow together (`train_all`).

The loop knows nothing of the cell kind, the task or the UI: the task's data draws the batches and
its problem builds and scores the models; the loop reports through `on_step` and asks
`should_stop` between steps, so the CLI, the job runner and the tests drive it alike.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator

import torch
from torch import nn

from core.data.history import History
from core.nn.probes import gradient_norms, gradient_through_time, sequence_loss
from core.settings import environment
from core.tasks.base import TaskData
from core.tasks.experiment import Experiment, model_names
from core.tasks.registry import build_task
from core.training.regime import BestWeights, LengthBuckets, example_lengths, kept_score, lr_factor

# A running loss this many times above where it started is treated as divergence.
EXPLOSION_FACTOR = 4.0
# A step this short needs no stopping points within it to keep a time budget (see run_interleaved).
SHORT_STEP_SECONDS = 0.25


def configure_torch(threads: int = 1) -> None:
    """Process-wide settings that keep small recurrent models fast on a shared CPU.

    Vanishing gradients are literally tiny numbers: without flushing denormals to zero a plain
    RNN's backward pass slows down many times over. Jobs use one intra-op thread each, so several
    can train at once without oversubscribing the cores (oversubscribed OpenMP threads spin-wait,
    which made small steps a hundred times slower). RNN_PLAYGROUND_TORCH_THREADS overrides it.
    """
    torch.set_flush_denormal(True)
    threads = environment.read("RNN_PLAYGROUND_TORCH_THREADS") or threads
    if threads > 0 and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Trainer:
    """One model's training state, advanced by `step()` until its history leaves 'running'."""

    def __init__(self, experiment: Experiment, name: str, data: TaskData, device: torch.device | None = None,
                 max_steps: int | None = None):
        self.experiment = experiment
        self.settings = experiment.train
        self.data = data
        self.device = device or default_device()
        self.model: nn.Module = data.problem.build_model(data, name, experiment.model, experiment.seed).to(self.device)
        optimizers = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
        self.optimizer = optimizers[self.settings.optimizer](self.model.parameters(), lr=self.settings.lr)
        # Batches come from a private generator: same seed, same batches, whatever else runs.
        self.batch_generator = torch.Generator().manual_seed(experiment.seed + 7919)
        self.total_steps = min(self.settings.steps, max_steps or self.settings.steps)
        # A translation has no classes to name (its outputs are pieces); classifiers name theirs.
        self.history = History(cell=name, metric=data.metric, class_names=list(data.class_names))
        self.elapsed = 0.0
        self.baseline_loss = math.log(max(data.num_classes, 2))
        self.recent_losses: list[float] = []
        self.buckets = (LengthBuckets(example_lengths(data.train_lengths, data.train_targets),
                                      self.settings.batch_size, experiment.seed)
                        if data.bucketed else None)
        self.best = BestWeights() if self.settings.keep == "best" else None
        # A run that keeps its best weights ends on them; Train more goes on from these, the last ones.
        self.last_weights: dict[str, torch.Tensor] | None = None

    @property
    def cell(self) -> str:
        return self.history.cell

    @property
    def done(self) -> bool:
        return self.history.status != "running"

    @property
    def step_count(self) -> int:
        return len(self.history.steps)

    def step(self) -> None:
        """One optimizer step, then evaluation and probing when they are due."""
        if self.done:
            return
        started = time.perf_counter()
        step = self.step_count + 1
        inputs, targets, lengths = self._batch(step)
        self.model.train()
        # The training step needs only the loss; the task's metrics are measured at evaluation.
        loss = sequence_loss(self.model(inputs, lengths, targets), targets)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        # Norms are measured once, before clipping, and the same total drives the clip.
        group_norms, total_norm = gradient_norms(self.model)
        if 0 < self.settings.clip < total_norm and math.isfinite(total_norm):
            torch.nn.utils.clip_grads_with_norm_(self.model.parameters(), self.settings.clip,
                                                 torch.tensor(total_norm))
        loss_value = float(loss.detach())
        diverged = self._divergence(loss_value, total_norm, step)
        if not diverged:
            if self.settings.schedule != "constant":
                for group in self.optimizer.param_groups:
                    group["lr"] = self.settings.lr * lr_factor(self.settings.schedule, step, self.total_steps)
            self.optimizer.step()
        self.elapsed += time.perf_counter() - started
        self._record(step, loss_value, total_norm, group_norms)
        if diverged:
            self.history.status, self.history.message = "diverged", diverged
            return
        last = step >= self.total_steps
        if step % self.settings.eval_every == 0 or last or step == 1:
            self.evaluate(step)
        if step % self.settings.probe_every == 0 or last or step == 1:
            self.probe(step)
        if last:
            self.finish()
            self.history.status = "finished"

    def stop(self, reason: str) -> None:
        if not self.done:
            self.history.status, self.history.message = "stopped", reason

    def _batch(self, step: int):
        if self.buckets is not None:
            return self.data.batch(self.buckets.indices(step))
        size = self.data.train_targets.shape[0]
        index = torch.randint(0, size, (self.settings.batch_size,), generator=self.batch_generator)
        return self.data.batch(index)

    def _record(self, step: int, loss: float, total_norm: float, group_norms: dict[str, float]) -> None:
        history = self.history
        history.steps.append(step)
        history.wall_seconds.append(round(self.elapsed, 4))
        history.train_loss.append(loss)
        history.grad_norm.append(total_norm)
        for name, value in group_norms.items():
            history.layer_grad_norms.setdefault(name, []).append(value)

    def _divergence(self, loss: float, total_norm: float, step: int) -> str:
        """A message saying what went wrong and what to change, or '' while training is sane."""
        lr = self.settings.lr
        advice = f"Lower the learning rate (now {lr:g}; try {lr / 10:g})"
        advice += " or turn on gradient clipping." if self.settings.clip <= 0 else "."
        if not math.isfinite(loss) or not math.isfinite(total_norm):
            became = "NaN" if loss != loss else "infinite"
            return f"Training diverged at step {step}: the loss became {became}. {advice}"
        self.recent_losses = (self.recent_losses + [loss])[-10:]
        running = sum(self.recent_losses) / len(self.recent_losses)
        limit = EXPLOSION_FACTOR * self.baseline_loss
        if step >= 10 and running > limit:
            # Name the figure: the test is a running mean, and the chart shows each step's loss.
            first = step - len(self.recent_losses) + 1
            return (f"Training diverged at step {step}: the mean loss over steps {first}-{step} rose to "
                    f"{running:.3g} ({loss:.3g} at step {step}), far above its starting level of about "
                    f"{self.baseline_loss:.2f}. {advice}")
        return ""

    @torch.no_grad()
    def evaluate(self, step: int) -> None:
        """The task's validation measurements, appended to the history."""
        sample = self.data.val_sample
        # Only a task that reads a sample takes the limit (the translation task, for a file of pairs).
        evaluation = (self.data.problem.evaluate(self.model, self.data, sample) if sample else
                      self.data.problem.evaluate(self.model, self.data))
        history = self.history
        history.eval_steps.append(step)
        history.val_loss.append(evaluation.loss)
        history.val_metric.append(evaluation.metric)
        for name, value in evaluation.scores.items():
            history.scores.setdefault(name, []).append(value)
        for name, value in evaluation.groups.items():
            history.group_metric.setdefault(name, []).append(value)
        if evaluation.confusion is not None:
            history.confusion = evaluation.confusion
        if self.best is not None:
            self.best.offer(self.model.state_dict(), kept_score(evaluation.scores, evaluation.metric,
                                                                self.data.best_by), step)

    @torch.no_grad()
    def finish(self) -> None:
        """At the last step: put the best weights back (if kept) and score the kept weights on the whole
        validation split when the curves read only a sample of it or the weights are not the last ones."""
        if self.best is not None:
            self.last_weights = {name: value.detach().clone() for name, value in self.model.state_dict().items()}
            self.history.best_step = self.best.restore(self.model)
        if self.best is None and not self.data.val_sample:
            return
        evaluation = self.data.problem.evaluate(self.model, self.data)
        self.history.final = {"loss": evaluation.loss, self.history.metric: evaluation.metric, **evaluation.scores}

    def probe(self, step: int) -> None:
        data = self.data
        # Measured first, recorded after: a probe interrupted midway leaves the history as it was.
        through_time = gradient_through_time(self.model, data.probe_inputs, data.probe_targets, data.probe_lengths)
        maps = data.problem.probe_maps(self.model, data)
        self.history.probe_steps.append(step)
        self.history.grad_through_time.append(through_time)
        for name, matrix in maps.items():
            self.history.probe_maps.setdefault(name, []).append(matrix)


class Interrupted(Exception):
    """Raised inside a step when its `interrupt` check gives a reason; the step is abandoned."""


@contextlib.contextmanager
def interruptible(model: nn.Module, interrupt: Callable[[], str | None] | None) -> Iterator[None]:
    """Ask `interrupt` at every point a step can stop without harm and raise Interrupted there.

    One step of a large model can take tens of seconds, so a budget checked only between steps
    overshoots by that much. These points come often within a step: each tensor autograd saves in
    the forward pass or reads back in the backward pass (hooks on this thread only), and each
    module call (also in evaluation, which saves nothing). An abandoned step has not moved the
    weights (the optimizer saves no tensors) and has recorded nothing (records follow the work).
    """
    if interrupt is None:
        yield
        return

    def check(*_) -> None:
        reason = interrupt()
        if reason:
            raise Interrupted(reason)

    def packing(tensor):
        check()
        # Detached, or a graph that is never run backward keeps itself alive for good: a saved output
        # would hold its own grad_fn, a cycle through C++ that gc cannot see. The gradient-through-time
        # probe leaves such a graph below each h_t, and a class's server grew by megabytes a run
        # (bench/class_load.py). Autograd restores the grad_fn on unpacking, so nothing else changes.
        return tensor.detach()

    def unpacking(tensor):
        check()
        return tensor

    handles = [module.register_forward_pre_hook(check) for module in model.modules()]
    try:
        with torch.autograd.graph.saved_tensors_hooks(packing, unpacking):
            yield
    finally:
        for handle in handles:
            handle.remove()


def prepare(experiment: Experiment, device: torch.device | None = None, max_steps: int | None = None,
            data: TaskData | None = None, threads: int = 1) -> list[Trainer]:
    """A trainer per model of the experiment, all on the same data and seed."""
    configure_torch(threads)
    device = device or default_device()
    data = (data or build_task(experiment)).to(device)
    return [Trainer(experiment, name, data, device, max_steps) for name in model_names(experiment)]


def run_interleaved(trainers: list[Trainer], on_step: Callable[[Trainer], None] | None = None,
                    should_stop: Callable[[], str | None] | None = None,
                    interrupt: Callable[[], str | None] | None = None) -> None:
    """Step each unfinished trainer in turn until all are done or `should_stop` gives a reason.

    `should_stop` is asked between steps; `interrupt`, which must be cheap, is asked many times
    within each step (see `interruptible`) and abandons the step in hand when it gives a reason,
    in every step of a trainer until one has shown its steps take under `SHORT_STEP_SECONDS`.
    """
    # The longest step each trainer has taken. Its first step also evaluates and probes, so it
    # bounds the work of every later one: once that stays short, a budget that runs out between
    # steps overshoots by less than a step, and the stopping points, whose hooks cost a short step
    # several percent of its speed, are left out (bench/live_speed.py).
    longest: dict[int, float] = {}
    while True:
        active = [trainer for trainer in trainers if not trainer.done]
        if not active:
            return
        for trainer in active:
            reason = should_stop() if should_stop else None
            if not reason:
                started = time.perf_counter()
                stopping_points = interrupt if longest.get(id(trainer), math.inf) >= SHORT_STEP_SECONDS else None
                try:
                    with interruptible(trainer.model, stopping_points):
                        trainer.step()
                except Interrupted as stop:
                    reason = str(stop)
                taken = time.perf_counter() - started
                longest[id(trainer)] = max(longest.get(id(trainer), 0.0), taken)
            if reason:
                for other in trainers:
                    other.stop(reason)
                return
            if on_step:
                on_step(trainer)


def train_all(experiment: Experiment, on_step: Callable[[Trainer], None] | None = None,
              should_stop: Callable[[], str | None] | None = None,
              device: torch.device | None = None) -> list[Trainer]:
    """Train every model of the experiment, interleaved; returns the trainers."""
    trainers = prepare(experiment, device)
    run_interleaved(trainers, on_step, should_stop)
    return trainers


def train(experiment: Experiment, name: str, on_step: Callable[[Trainer], None] | None = None,
          should_stop: Callable[[], str | None] | None = None) -> History:
    """Train one model of the experiment to the end and return its history."""
    configure_torch()
    trainer = Trainer(experiment, name, build_task(experiment))
    run_interleaved([trainer], on_step, should_stop)
    return trainer.history
