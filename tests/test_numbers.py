"""The numbers the pages teach from, each checked against a value computed another way.

Gradient through time against a hand-unrolled RNN; the ratio's direction; alignment of
variable-length sequences on a hand-made case; per-prefix readings against running each prefix
alone; upload splits by their documented sizes; and every training setting by what it must do
to the optimizer's step, the model or the schedule.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from core.data.history import History
from core.nn.cells import ModelConfig
from core.nn.models import build_model
from core.nn.probes import _from_the_end, gradient_through_time
from core.report.analysis import prefix_probabilities
from core.tasks import experiment as config
from core.tasks.explaining import orders_of_magnitude
from core.training.trainer import prepare

TINY = {"task": "memory", "distance": "5", "hidden_size": "6", "steps": "20", "batch_size": "16",
        "eval_every": "10", "probe_every": "10", "cells": "rnn", "lr": "0.01"}


def tiny(**changes) -> config.Experiment:
    experiment, messages = config.from_params({**TINY, **changes})
    assert messages == [], messages
    return experiment


def small_model(cell: str = "rnn", hidden_size: int = 4, seed: int = 0):
    model_config = dataclasses.replace(ModelConfig(), hidden_size=hidden_size, num_layers=1, dropout=0.0)
    return build_model(cell, 3, 2, model_config, seed)


# Gradient through time and its ratio.

def hand_unrolled_norms(model, inputs: torch.Tensor, targets: torch.Tensor) -> list[float]:
    """Batch-mean |dL/dh_t| for t = 1..T of a one-layer tanh RNN, unrolled by hand from its weights."""
    rnn = model.encoder.layers[0][0]
    states, hidden = [], torch.zeros(inputs.shape[0], rnn.hidden_size)
    for t in range(inputs.shape[1]):
        hidden = torch.tanh(inputs[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + hidden @ rnn.weight_hh_l0.T
                            + rnn.bias_hh_l0)
        states.append(hidden)
    loss = torch.nn.functional.cross_entropy(model.head(states[-1]), targets)
    grads = torch.autograd.grad(loss, states)
    return [float(grad.norm(dim=-1).mean()) for grad in grads]


def test_gradient_through_time_matches_a_hand_unrolled_rnn_in_time_order():
    model = small_model()
    inputs = torch.randn(5, 7, 3, generator=torch.Generator().manual_seed(1))
    targets = torch.tensor([0, 1, 1, 0, 1])
    measured = gradient_through_time(model, inputs, targets)["layer 1"]
    expected = hand_unrolled_norms(model, inputs, targets)
    assert measured == pytest.approx(expected, rel=1e-5)
    # The last step gets the loss's gradient directly; earlier steps only what survives the recurrence.
    assert expected[-1] != pytest.approx(expected[0])


def test_the_gradient_ratio_is_first_step_over_last_and_says_which_way_it_points():
    history = History(cell="rnn", probe_steps=[10, 20],
                      grad_through_time=[{"layer 1": [0.001, 0.1, 1.0]}, {"layer 1": [0.02, 0.3, 2.0]}])
    assert history.grad_ratios_by_step() == [(10, pytest.approx(0.001)), (20, pytest.approx(0.01))]
    assert history.median_grad_ratio() == pytest.approx(0.0055)
    # Positive orders of magnitude mean the gradient shrank on its way back to the first step.
    assert orders_of_magnitude(0.01) == pytest.approx(2.0)
    assert orders_of_magnitude(100.0) == pytest.approx(-2.0)
    growing = History(cell="rnn", probe_steps=[5], grad_through_time=[{"layer 1": [4.0, 2.0, 1.0]}])
    assert growing.median_grad_ratio() == pytest.approx(4.0)


def test_variable_lengths_are_aligned_at_each_sequences_last_step_by_hand():
    norms = torch.tensor([[1.0, 2.0, 3.0, 4.0],
                          [10.0, 20.0, 0.0, 0.0],
                          [100.0, 200.0, 300.0, 0.0]])
    lengths = torch.tensor([4, 2, 3])
    # Last steps: 4, 20, 300; one before: 3, 10, 200; two before: 2 and 100 (the second is too
    # short); three before: only the first sequence reaches it, fewer than half, so it is left out.
    expected = [(2 + 100) / 2, (3 + 10 + 200) / 3, (4 + 20 + 300) / 3]
    assert _from_the_end(norms, lengths).tolist() == pytest.approx(expected)


def test_a_padded_batch_gives_each_sequence_its_own_curve_aligned_at_the_end():
    model = small_model()
    generator = torch.Generator().manual_seed(2)
    long, short = torch.randn(1, 6, 3, generator=generator), torch.randn(1, 4, 3, generator=generator)
    padded = torch.cat([long, torch.cat([short, torch.zeros(1, 2, 3)], dim=1)])
    targets = torch.tensor([1, 0])
    measured = gradient_through_time(model, padded, targets, torch.tensor([6, 4]))["layer 1"]
    # Alone, each example is the whole batch; in a batch of two its share of the mean loss is half.
    alone_long = [value / 2 for value in gradient_through_time(model, long, targets[:1])["layer 1"]]
    alone_short = [value / 2 for value in gradient_through_time(model, short, targets[1:])["layer 1"]]
    both = [(a + b) / 2 for a, b in zip(alone_long[-4:], alone_short)]
    assert measured == pytest.approx(alone_long[:2] + both, rel=1e-5)


# Step-by-step readings.

@pytest.mark.parametrize("cell", ["rnn", "bilstm"])
def test_each_prefix_is_read_alone(cell):
    model = small_model(cell).eval()
    inputs = torch.randn(1, 6, 3, generator=torch.Generator().manual_seed(3))
    readings = prefix_probabilities(model, inputs)
    with torch.no_grad():
        expected = torch.stack([torch.softmax(model(inputs[:, :steps]), dim=-1)[0] for steps in range(1, 7)])
    assert torch.allclose(torch.from_numpy(readings), expected, atol=1e-6)
    shorter = prefix_probabilities(model, inputs, length=3)
    assert torch.allclose(torch.from_numpy(shorter), expected[:3], atol=1e-6)


# Training settings: each must reach what it changes.

def one_trainer(**changes):
    return prepare(tiny(**changes))[0]


def spy_on_steps(trainer) -> list[dict[str, torch.Tensor]]:
    """Each step's parameters before the update and the gradients the optimizer applies."""
    seen = []
    original = trainer.optimizer.step

    def step(*args, **kwargs):
        seen.append({"before": [p.detach().clone() for p in trainer.model.parameters()],
                     "grads": [p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p)
                               for p in trainer.model.parameters()]})
        return original(*args, **kwargs)

    trainer.optimizer.step = step
    return seen


def norm(tensors: list[torch.Tensor]) -> float:
    return float(torch.sqrt(sum(t.pow(2).sum() for t in tensors)))


def test_clipping_bounds_the_applied_gradient_and_zero_turns_it_off():
    clipped = one_trainer(clip="0.5", hidden_size="32", lr="0.1", optimizer="sgd")
    seen = spy_on_steps(clipped)
    for _ in range(8):
        clipped.step()
    recorded = clipped.history.grad_norm
    assert any(value > 0.5 for value in recorded), recorded
    for before_clip, step in zip(recorded, seen):
        assert norm(step["grads"]) == pytest.approx(min(before_clip, 0.5), rel=1e-4)
    free = one_trainer(clip="0", hidden_size="32", lr="0.1", optimizer="sgd")
    seen = spy_on_steps(free)
    for _ in range(8):
        free.step()
    assert [norm(step["grads"]) for step in seen] == pytest.approx(free.history.grad_norm, rel=1e-4)


def test_sgd_moves_each_parameter_by_the_learning_rate_times_its_gradient():
    trainer = one_trainer(optimizer="sgd", lr="0.05", clip="0")
    seen = spy_on_steps(trainer)
    trainer.step()
    for before, grad, after in zip(seen[0]["before"], seen[0]["grads"], trainer.model.parameters()):
        assert torch.allclose(after.detach(), before - 0.05 * grad, atol=1e-7)


def test_adams_first_step_moves_each_parameter_by_about_the_learning_rate():
    trainer = one_trainer(optimizer="adam", lr="0.02", clip="0")
    seen = spy_on_steps(trainer)
    trainer.step()
    for before, grad, after in zip(seen[0]["before"], seen[0]["grads"], trainer.model.parameters()):
        moved = (after.detach() - before)[grad.abs() > 1e-4]
        # Adam's first update is lr * g / (|g| + eps): the learning rate against the gradient's sign.
        assert torch.allclose(moved, -0.02 * grad[grad.abs() > 1e-4].sign(), rtol=1e-2)


def test_each_step_draws_batch_size_examples():
    trainer = one_trainer(batch_size="24")
    sizes = []
    original = trainer.data.batch
    trainer.data.batch = lambda index: (sizes.append(len(index)), original(index))[1]
    for _ in range(3):
        trainer.step()
    assert sizes == [24, 24, 24]


def test_model_settings_shape_the_model():
    model = one_trainer(cells="lstm", hidden_size="7", num_layers="2", dropout="0.3", forget_bias="2.0").model
    assert len(model.encoder.layers) == 2 and model.encoder.dropout == pytest.approx(0.3)
    for layer in model.encoder.layers:
        lstm = layer[0]
        assert lstm.weight_hh_l0.shape == (4 * 7, 7)
        # The forget gate's two biases add up to the chosen forget bias.
        forget = lstm.bias_ih_l0[7:14] + lstm.bias_hh_l0[7:14]
        assert torch.allclose(forget, torch.full((7,), 2.0))


def test_dropout_masks_between_layers_only_while_training():
    model = one_trainer(cells="lstm", num_layers="2", dropout="0.5").model
    inputs = torch.randn(4, 5, 8, generator=torch.Generator().manual_seed(4))  # 8 symbols
    model.train()
    assert not torch.allclose(model(inputs), model(inputs))
    model.eval()
    assert torch.allclose(model(inputs), model(inputs))
    without = one_trainer(cells="lstm", num_layers="2", dropout="0").model.train()
    assert torch.allclose(without(inputs), without(inputs))


def test_layers_each_get_a_gradient_through_time_and_a_norm():
    trainer = one_trainer(num_layers="2", steps="10")
    while not trainer.done:
        trainer.step()
    assert set(trainer.history.grad_through_time[-1]) == {"layer 1", "layer 2"}
    assert {"layer 1 recurrent", "layer 2 recurrent"} <= set(trainer.history.layer_grad_norms)


def test_evaluation_and_probe_schedules_follow_their_settings():
    trainer = one_trainer(eval_every="7", probe_every="9", steps="20")
    while not trainer.done:
        trainer.step()
    assert trainer.history.eval_steps == [1, 7, 14, 20]
    assert trainer.history.probe_steps == [1, 9, 18, 20]


def losses(**changes) -> list[float]:
    trainer = one_trainer(steps="12", **changes)
    while not trainer.done:
        trainer.step()
    return trainer.history.train_loss + trainer.history.val_loss


@pytest.mark.parametrize("name, value", [
    ("clip", "0.5"), ("lr", "0.05"), ("optimizer", "sgd"), ("batch_size", "8"), ("dropout", "0.5"),
    ("forget_bias", "3.0"), ("num_layers", "2"), ("hidden_size", "9"), ("seed", "5"),
])
def test_every_setting_that_changes_the_numbers_changes_them(name, value):
    # Each base is one where the setting has work to do: dropout needs two layers, a forget bias an
    # LSTM, and clipping gradients larger than its limit.
    base = {"cells": "lstm", "num_layers": "2"} if name == "dropout" else {"cells": "lstm"}
    if name == "clip":
        base = {"clip": "0", "hidden_size": "32", "optimizer": "sgd", "lr": "0.1"}
    changed = {**base, name: value}
    assert losses(**base) != losses(**changed)


# Upload splits: validation is the documented share, the rest trains; swapped, the sizes say so.

def upload_task(task: str, content: bytes, format: str, **changes):
    from core.data import uploads
    from core.tasks.registry import build_task

    key = uploads.save(content, format)
    experiment, messages = config.from_params({"task": task, "source": "upload", "upload": key, **changes})
    assert messages == [], messages
    return build_task(experiment)


def test_a_sentiment_upload_validates_on_fifteen_percent_and_trains_on_the_rest():
    rows = [f"this film is {'great' if i % 2 else 'awful'} number {i},{'pos' if i % 2 else 'neg'}" for i in range(60)]
    data = upload_task("sentiment", ("text,label\n" + "\n".join(rows)).encode(), "csv", vocab_size="100",
                       train_size="500")
    assert data.val_targets.shape[0] == round(0.15 * 60) == 9
    assert data.train_targets.shape[0] == 51
    val_texts = set(data.info["val_texts"])
    assert len(val_texts) == 9 and val_texts < {row.rsplit(",", 1)[0] for row in rows}


def test_a_handwriting_upload_validates_on_a_fifth_and_trains_on_the_rest():
    lines = []
    for index in range(60):
        points = [(index * 7 + 13 * k) % 101 for k in range(16)]
        lines.append(",".join(str(value) for value in points) + f",{index % 10}")
    data = upload_task("handwriting", ("\n".join(lines) + "\n").encode(), "pendigits", points="8")
    assert data.val_targets.shape[0] == 60 // 5 == 12
    assert data.train_targets.shape[0] == 48
