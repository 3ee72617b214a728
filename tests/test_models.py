"""Models: one contract for every cell, an inspect path equal to the fused forward, learning."""

from __future__ import annotations

import math

import pytest
import torch

from core.nn.cells import CELLS, ModelConfig
from core.nn.models import REGISTRY, build_model
from core.nn.probes import gradient_norms, gradient_through_time

SMALL = ModelConfig(hidden_size=12, num_layers=2, dropout=0.0)


def test_registry_covers_every_configured_cell():
    assert tuple(REGISTRY) == CELLS


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_inspect_matches_fused_forward(cell, layers):
    model = build_model(cell, 5, 3, ModelConfig(hidden_size=10, num_layers=layers), seed=1).eval()
    inputs = torch.randn(4, 9, 5)  # (batch, time, features)
    fused = model.encoder(inputs)
    trace = model.encoder.inspect(inputs)
    directions = 2 if cell.startswith("bi") else 1
    for fused_layer, inspected in zip(fused, trace.hidden):
        assert inspected.shape == (4, 9, 10 * directions)
        torch.testing.assert_close(inspected, fused_layer, atol=1e-5, rtol=0)
    expected_gates = set(REGISTRY[cell].gates)
    assert all(set(gates) == expected_gates for gates in trace.gates)
    for gates in trace.gates:
        for values in gates.values():
            assert values.shape == (4, 9, 10 * directions)
            assert float(values.min()) >= 0.0 and float(values.max()) <= 1.0
    assert (trace.cell is not None) == REGISTRY[cell].has_cell_state


@pytest.mark.parametrize("cell", [cell for cell in CELLS if REGISTRY[cell].has_cell_state])
def test_cell_state_matches_fused_final_state(cell):
    spec = REGISTRY[cell]
    model = build_model(cell, 5, 3, ModelConfig(hidden_size=7, num_layers=1), seed=2).eval()
    inputs = torch.randn(3, 6, 5)
    _, (_, final_cell) = model.encoder.layers[0][0](inputs)
    trace = model.encoder.inspect(inputs)
    torch.testing.assert_close(trace.cell[0][:, -1, :7], final_cell[0], atol=1e-5, rtol=0)
    if spec.bidirectional:
        # The backward module reads the sequence from its end, so its final state is the one at step 1.
        _, (_, backward_cell) = model.encoder.layers[0][1](inputs.flip(1))
        torch.testing.assert_close(trace.cell[0][:, 0, 7:], backward_cell[0], atol=1e-5, rtol=0)


@pytest.mark.parametrize("cell", CELLS)
def test_padded_and_unrolled_logits_agree_with_single_examples(cell):
    model = build_model(cell, 4, 3, SMALL, seed=3).eval()
    inputs = torch.randn(3, 8, 4)
    lengths = torch.tensor([8, 3, 5])
    batched = model(inputs, lengths)
    unrolled, _ = model.unrolled(inputs, lengths)
    torch.testing.assert_close(unrolled, batched, atol=1e-5, rtol=0)
    for row, length in enumerate(lengths.tolist()):
        alone = model(inputs[row: row + 1, :length])
        torch.testing.assert_close(batched[row: row + 1], alone, atol=1e-5, rtol=0)


@pytest.mark.parametrize("cell", CELLS)
def test_output_shapes_for_both_heads(cell):
    many_to_one = build_model(cell, 4, 5, SMALL, seed=0)
    per_step = build_model(cell, 4, 5, SMALL, seed=0, per_step=True)
    tokens = build_model(cell, 6, 5, SMALL, seed=0, vocab_size=20)
    inputs = torch.randn(2, 7, 4)
    assert many_to_one(inputs).shape == (2, 5)
    assert per_step(inputs).shape == (2, 7, 5)
    assert tokens(torch.randint(1, 20, (2, 7))).shape == (2, 5)


@pytest.mark.parametrize("cell", CELLS)
def test_loss_at_initialisation_is_about_log_classes(cell):
    classes = 6
    model = build_model(cell, 4, classes, ModelConfig(hidden_size=16), seed=0)
    logits = model(torch.randn(256, 10, 4))
    loss = torch.nn.functional.cross_entropy(logits, torch.randint(0, classes, (256,)))
    assert abs(float(loss.detach()) - math.log(classes)) < 0.25


@pytest.mark.parametrize("cell", CELLS)
def test_every_cell_overfits_a_tiny_batch(cell):
    torch.manual_seed(0)
    model = build_model(cell, 4, 3, ModelConfig(hidden_size=16), seed=0)
    inputs, targets = torch.randn(8, 6, 4), torch.randint(0, 3, (8,))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(150):
        loss = torch.nn.functional.cross_entropy(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert float(loss.detach()) < 0.05
    assert (model(inputs).argmax(-1) == targets).all()


def test_same_seed_same_weights_different_seed_different_weights():
    first = build_model("lstm", 4, 3, SMALL, seed=5).state_dict()
    second = build_model("lstm", 4, 3, SMALL, seed=5).state_dict()
    third = build_model("lstm", 4, 3, SMALL, seed=6).state_dict()
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert not all(torch.equal(first[k], third[k]) for k in first)


@pytest.mark.parametrize("bias", [0.0, 1.0, 2.5])
def test_forget_gate_bias_is_an_option(bias):
    model = build_model("lstm", 4, 3, ModelConfig(hidden_size=8, forget_bias=bias), seed=0)
    layer = model.encoder.layers[0][0]
    total = layer.bias_ih_l0[8:16] + layer.bias_hh_l0[8:16]
    torch.testing.assert_close(total, torch.full((8,), bias))


def test_dropout_is_deterministic_per_seed_and_off_in_eval():
    config = ModelConfig(hidden_size=8, num_layers=2, dropout=0.5)
    inputs = torch.randn(2, 5, 4)
    first = build_model("gru", 4, 3, config, seed=9).train()
    second = build_model("gru", 4, 3, config, seed=9).train()
    torch.testing.assert_close(first(inputs), second(inputs))
    first.eval()
    torch.testing.assert_close(first(inputs), first(inputs))


def test_gradient_through_time_vanishes_for_rnn_not_for_lstm_at_init():
    torch.manual_seed(0)
    inputs, targets = torch.randn(32, 60, 4), torch.randint(0, 3, (32,))
    ratios = {}
    for cell in ("rnn", "lstm"):
        model = build_model(cell, 4, 3, ModelConfig(hidden_size=32, forget_bias=3.0), seed=0)
        norms = gradient_through_time(model, inputs, targets)["layer 1"]
        assert len(norms) == 60
        ratios[cell] = norms[0] / norms[-1]
        assert all(p.grad is None for p in model.parameters()), "the probe must not touch parameter grads"
    assert ratios["rnn"] < 1e-6
    assert ratios["lstm"] > 100 * ratios["rnn"]


def test_bidirectional_gradient_reaches_the_first_step():
    model = build_model("bilstm", 4, 3, ModelConfig(hidden_size=16), seed=0)
    norms = gradient_through_time(model, torch.randn(8, 40, 4), torch.randint(0, 3, (8,)))["layer 1"]
    assert norms[0] > 0.1 * norms[-1]


def test_group_gradient_norms_name_every_layer_and_the_head():
    model = build_model("gru", 4, 3, ModelConfig(hidden_size=8, num_layers=2), seed=0)
    torch.nn.functional.cross_entropy(model(torch.randn(4, 5, 4)), torch.tensor([0, 1, 2, 0])).backward()
    norms, total = gradient_norms(model)
    assert set(norms) == {"layer 1 input", "layer 1 recurrent", "layer 2 input", "layer 2 recurrent", "head"}
    expected = float(torch.nn.utils.clip_grad_norm_(model.parameters(), math.inf))
    assert abs(math.sqrt(sum(v ** 2 for v in norms.values())) - expected) < 1e-4
    assert abs(total - expected) < 1e-4
