"""Encoder-decoder: forward against a slow reference, unrolled states, exact beam search, learning."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from core.nn.seq2seq import ATTENTIONS, build_seq2seq

CASES = [(cell, attention) for cell in ("gru", "bilstm") for attention in ATTENTIONS]


@pytest.fixture(autouse=True)
def one_thread():
    """Train as the playground does: models this small run several times slower on two busy threads."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def small(cell="gru", attention="additive", *, target_vocab=7, num_layers=1, dropout=0.0, teacher_forcing=1.0,
          seed=0, hidden=6):
    return build_seq2seq(cell, 9, target_vocab, 5, hidden, num_layers, dropout, attention, teacher_forcing,
                         1.0, seed)


def batch(seed=0, source_vocab=9, target_vocab=7):
    """Three examples of different source and target lengths, padded as the task pads them."""
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([6, 2, 4])
    source = torch.randint(1, source_vocab, (3, 6), generator=generator)
    source[torch.arange(6) >= lengths.unsqueeze(1)] = 0
    targets = torch.randint(1, target_vocab, (3, 5), generator=generator)
    for row, pieces in enumerate([4, 1, 2]):
        targets[row, pieces] = target_vocab  # EOS
        targets[row, pieces + 1:] = -100
    return source, lengths, targets


# The slow reference: one example at a time, one step at a time, plain vector maths on the weights.

def cell_step(kind, x, h, c, w_ih, w_hh, b_ih, b_hh):
    input_part, hidden_part = w_ih @ x + b_ih, w_hh @ h + b_hh
    if kind == "gru":
        input_reset, input_update, input_new = input_part.chunk(3)
        hidden_reset, hidden_update, hidden_new = hidden_part.chunk(3)
        reset, update = torch.sigmoid(input_reset + hidden_reset), torch.sigmoid(input_update + hidden_update)
        candidate = torch.tanh(input_new + reset * hidden_new)
        return (1 - update) * candidate + update * h, c
    input_gate, forget_gate, candidate, output_gate = (input_part + hidden_part).chunk(4)
    c = torch.sigmoid(forget_gate) * c + torch.sigmoid(input_gate) * torch.tanh(candidate)
    return torch.sigmoid(output_gate) * torch.tanh(c), c


def reference_encoder(model, ids):
    kind = "gru" if "gru" in model.encoder.kind else "lstm"
    steps = [model.embedding.weight[i] for i in ids.tolist()]
    hidden = model.encoder.hidden_size
    for layer in model.encoder.layers:
        directions = []
        for reverse, module in enumerate(layer):
            h, c, states = torch.zeros(hidden), torch.zeros(hidden), [None] * len(steps)
            for t in (reversed(range(len(steps))) if reverse else range(len(steps))):
                h, c = cell_step(kind, steps[t], h, c, module.weight_ih_l0, module.weight_hh_l0,
                                 module.bias_ih_l0, module.bias_hh_l0)
                states[t] = h
            directions.append(states)
        steps = [torch.cat([states[t] for states in directions]) for t in range(len(steps))]
    return torch.stack(steps)  # (length, hidden * directions)


def reference_decoder(model, memory, targets):
    kind = "gru" if "gru" in model.encoder.kind else "lstm"
    hidden = model.encoder.hidden_size
    summary = memory[-1] if model.encoder.directions == 1 else torch.cat([memory[-1][:hidden], memory[0][hidden:]])
    h = torch.tanh(model.bridge.weight @ summary + model.bridge.bias)
    c = torch.zeros(hidden)
    previous, logits, weights = model.bos, [], []
    cell = model.decoder
    for target in targets.tolist():
        x = model.target_embedding.weight[previous]
        if model.attention == "additive":
            scores = torch.stack([model.score.weight[0] @ torch.tanh(model.query.weight @ h + model.key.weight @ m
                                                                     + model.key.bias) for m in memory])
            weight = torch.softmax(scores, dim=0)
            context = sum(a * m for a, m in zip(weight, memory))
            x = torch.cat([x, context])
        h, c = cell_step(kind, x, h, c, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
        if model.attention == "multiplicative":
            weight = torch.softmax(torch.stack([h @ (model.key.weight @ m) for m in memory]), dim=0)
            context = sum(a * m for a, m in zip(weight, memory))
        output = h
        if model.attention != "none":
            output = torch.tanh(model.combine.weight @ torch.cat([h, context]) + model.combine.bias)
            weights.append(weight)
        logits.append(model.head.weight @ output + model.head.bias)
        previous = max(target, 0)
    return torch.stack(logits), (torch.stack(weights) if weights else None)


@pytest.mark.parametrize("cell, attention", CASES)
def test_forward_matches_step_by_step_reference(cell, attention):
    model = small(cell, attention, num_layers=2).eval()
    source, lengths, targets = batch()
    logits = model(source, lengths, targets)
    weights = model.attention_map(source, lengths, targets)
    assert logits.shape == (3, 5, model.num_outputs)
    with torch.no_grad():
        for row, length in enumerate(lengths.tolist()):
            memory = reference_encoder(model, source[row, :length])
            expected_logits, expected_weights = reference_decoder(model, memory, targets[row])
            torch.testing.assert_close(logits[row], expected_logits, atol=1e-5, rtol=0)
            if attention == "none":
                assert weights is None
                continue
            torch.testing.assert_close(weights[row, :, :length], expected_weights, atol=1e-5, rtol=0)
            assert torch.all(weights[row, :, length:] == 0)
            torch.testing.assert_close(weights[row].sum(-1), torch.ones(5), atol=1e-6, rtol=0)


@pytest.mark.parametrize("cell, attention", CASES)
def test_a_longer_example_in_the_batch_changes_no_other_logits(cell, attention):
    model = small(cell, attention, num_layers=2).eval()
    source, lengths, targets = batch()
    longer_source = torch.cat([torch.nn.functional.pad(source, (0, 3)), torch.randint(1, 9, (1, 9))])
    longer_targets = torch.cat([torch.nn.functional.pad(targets, (0, 3), value=-100), torch.randint(1, 7, (1, 8))])
    longer_targets[3, -1] = model.eos
    alone = model(source, lengths, targets)
    padded = model(longer_source, torch.cat([lengths, torch.tensor([9])]), longer_targets)
    torch.testing.assert_close(padded[:3, :5], alone, atol=1e-5, rtol=0)


@pytest.mark.parametrize("cell, attention", CASES)
def test_unrolled_equals_forward_and_reaches_the_first_source_step(cell, attention):
    model = small(cell, attention, num_layers=2).eval()
    source, lengths, targets = batch()
    unrolled, layers = model.unrolled(source, lengths, targets)
    torch.testing.assert_close(unrolled, model(source, lengths, targets), atol=1e-5, rtol=0)
    assert len(layers) == 2 and len(layers[-1]) == model.encoder.directions
    loss = torch.nn.functional.cross_entropy(unrolled.flatten(0, 1), targets.flatten(), ignore_index=-100)
    # Without allow_unused this raises if the decoder read anything but the unrolled states.
    first_steps = [direction.hidden[0] for layer in layers for direction in layer]
    for gradient in torch.autograd.grad(loss, first_steps):
        assert float(gradient.norm()) > 1e-6


def candidate_sequences(model, max_length):
    """Every output the decoder may give: pieces then EOS within max_length, or max_length pieces."""
    pieces = range(1, model.eos)  # 0 is padding and never produced
    for size in range(max_length + 1):
        for sequence in itertools.product(pieces, repeat=size):
            yield list(sequence), size < max_length


def teacher_forced_scores(model, source, lengths, outputs):
    """Per example, the model's log-probability of its output (plus EOS if it ended)."""
    ids = [tokens + [model.eos] * finished for tokens, finished in outputs]
    time = max(len(row) for row in ids)
    targets = torch.tensor([row + [-100] * (time - len(row)) for row in ids])
    with torch.no_grad():
        log_probs = model(source, lengths, targets).log_softmax(-1)
    picked = log_probs.gather(2, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)  # (batch, time)
    return picked.masked_fill(targets == -100, 0.0).sum(1).tolist(), targets


@pytest.mark.parametrize("cell, attention", CASES)
def test_wide_beam_search_equals_exhaustive_search(cell, attention):
    model = build_seq2seq(cell, 9, 3, 5, 6, 1, 0.0, attention, 1.0, 1.0, seed=4).eval()
    with torch.no_grad():
        model.head.weight.mul_(4.0)  # sharper distributions, so ranking mistakes would show
    source, lengths, _ = batch()
    everything = list(candidate_sequences(model, 3))
    assert len(everything) == 15
    scored = [teacher_forced_scores(model, source, lengths, [candidate] * 3)[0] for candidate in everything]
    beams = model.beam_search(source, lengths, width=16, max_length=3)
    for row in range(3):
        expected = sorted(((scores[row], candidate) for scores, candidate in zip(scored, everything)),
                          key=lambda pair: -pair[0])
        assert len(beams[row]) == 15
        for hypothesis, (score, (tokens, finished)) in zip(beams[row], expected):
            assert (hypothesis.tokens, hypothesis.finished) == (tokens, finished)
            assert hypothesis.score == pytest.approx(score, abs=1e-5)


@pytest.mark.parametrize("cell, attention", CASES)
def test_width_one_equals_greedy_and_scores_are_model_log_probabilities(cell, attention):
    model = build_seq2seq(cell, 9, 12, 5, 8, 1, 0.0, attention, 1.0, 1.0, seed=5).eval()
    source, lengths, _ = batch()
    greedy = model.greedy(source, lengths, max_length=6)
    narrow = [hypotheses[0] for hypotheses in model.beam_search(source, lengths, width=1, max_length=6)]
    wide = model.beam_search(source, lengths, width=3, max_length=6)
    for one, other in zip(greedy, narrow):
        assert (one.tokens, one.finished) == (other.tokens, other.finished)
        assert one.score == pytest.approx(other.score, abs=1e-5)
    for hypotheses in [greedy, *zip(*wide)]:
        outputs = [(h.tokens, h.finished) for h in hypotheses]
        expected, targets = teacher_forced_scores(model, source, lengths, outputs)
        assert [h.score for h in hypotheses] == pytest.approx(expected, abs=1e-5)
        weights = model.attention_map(source, lengths, targets)
        for row, (hypothesis, length) in enumerate(zip(hypotheses, lengths.tolist())):
            steps = len(hypothesis.tokens) + hypothesis.finished
            if attention == "none":
                assert hypothesis.attention == []
            else:
                assert torch.tensor(hypothesis.attention).shape == (steps, length)
                torch.testing.assert_close(torch.tensor(hypothesis.attention), weights[row, :steps, :length])
    assert all(h.score >= other.score for hypotheses in wide for h, other in zip(hypotheses, hypotheses[1:]))


def test_decoding_never_produces_padding_and_keeps_true_scores():
    model = small(attention="additive", target_vocab=7).eval()
    with torch.no_grad():
        model.head.bias[0] = 50.0  # padding would win every step if it were allowed
    source, lengths, _ = batch()
    greedy = model.greedy(source, lengths, max_length=4)
    beams = model.beam_search(source, lengths, width=3, max_length=4)
    for hypothesis in [*greedy, *(h for hypotheses in beams for h in hypotheses)]:
        assert 0 not in hypothesis.tokens
    expected, _ = teacher_forced_scores(model, source, lengths, [(h.tokens, h.finished) for h in greedy])
    assert [h.score for h in greedy] == pytest.approx(expected, abs=1e-4)
    assert all(score < -40 for score in expected)  # the padding's share is still counted against them


def test_scheduled_sampling_feeds_own_guesses_from_the_models_generator():
    source, lengths, targets = batch()
    free_running = small("lstm", "multiplicative", teacher_forcing=0.0).train()
    sampled = free_running(source, lengths, targets)
    eval_model = small("lstm", "multiplicative", teacher_forcing=0.0).eval()
    guesses = eval_model.greedy(source, lengths, max_length=5)
    _, fed = teacher_forced_scores(eval_model, source, lengths, [(h.tokens, h.finished) for h in guesses])
    expected = eval_model(source, lengths, fed)
    for row, hypothesis in enumerate(guesses):
        steps = len(hypothesis.tokens) + hypothesis.finished
        torch.testing.assert_close(sampled[row, :steps], expected[row, :steps], atol=1e-5, rtol=0)
    # In eval mode, and at teacher_forcing 1, every input is the true previous target.
    forced = small("lstm", "multiplicative", teacher_forcing=1.0).train()(source, lengths, targets)
    torch.testing.assert_close(eval_model(source, lengths, targets), forced, atol=1e-6, rtol=0)
    assert not torch.allclose(sampled, forced, atol=1e-3)


def test_same_seed_same_model_and_training_logits():
    source, lengths, targets = batch()
    outputs = []
    for global_seed in (1, 2):
        model = small("lstm", "additive", num_layers=2, dropout=0.3, teacher_forcing=0.5, seed=7).train()
        torch.manual_seed(global_seed)  # the global generator must not matter
        outputs.append((model.state_dict(), model(source, lengths, targets), model(source, lengths, targets)))
    (first_weights, first, again), (second_weights, second, _) = outputs
    assert all(torch.equal(first_weights[name], second_weights[name]) for name in first_weights)
    torch.testing.assert_close(first, second, atol=0, rtol=0)
    assert not torch.allclose(first, again)  # fresh dropout and sampling draws on each call
    other = small("lstm", "additive", num_layers=2, dropout=0.3, teacher_forcing=0.5, seed=8).state_dict()
    assert not torch.equal(other["head.weight"], first_weights["head.weight"])
    assert not torch.equal(other["encoder.layers.0.0.weight_hh_l0"], first_weights["encoder.layers.0.0.weight_hh_l0"])


def test_initialisation_follows_the_playground_conventions():
    model = small("lstm", "additive", hidden=6)
    assert torch.all(model.embedding.weight[0] == 0) and torch.all(model.target_embedding.weight[0] == 0)
    assert torch.all(model.encoder.layers[0][0].bias_ih_l0[6:12] == 1.0)
    assert torch.all(model.encoder.layers[0][0].bias_hh_l0[6:12] == 0.0)
    assert torch.all(model.decoder.bias_ih[6:12] == 1.0) and torch.all(model.decoder.bias_hh[6:12] == 0.0)
    assert float(model.decoder.weight_hh.detach().abs().max()) <= 1 / math.sqrt(6)
    assert 0.7 < float(model.embedding.weight[1:].detach().std()) < 1.3


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_loss_at_initialisation_is_about_log_outputs(attention):
    model = build_seq2seq("lstm", 40, 30, 16, 32, 1, 0.0, attention, 1.0, 1.0, seed=0).eval()
    generator = torch.Generator().manual_seed(0)
    source = torch.randint(1, 40, (64, 8), generator=generator)
    targets = torch.randint(1, 31, (64, 10), generator=generator)
    loss = torch.nn.functional.cross_entropy(model(source, None, targets).flatten(0, 1), targets.flatten())
    assert abs(float(loss.detach()) - math.log(model.num_outputs)) < 0.15


def test_grad_groups_hold_every_parameter_once():
    for attention in ATTENTIONS:
        model = small("bilstm", attention, num_layers=2)
        groups = model.grad_groups()
        expected = ["embedding", "layer 1 input", "layer 1 recurrent", "layer 2 input", "layer 2 recurrent",
                    "decoder", *(["attention"] if attention != "none" else []), "head"]
        assert list(groups) == expected
        grouped = [id(parameter) for parameters in groups.values() for parameter in parameters]
        assert sorted(grouped) == sorted(id(parameter) for parameter in model.parameters())


def test_bad_names_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="bow"):
        build_seq2seq("bow", 9, 7, 5, 6, 1, 0.0, "none", 1.0, 1.0, 0)
    with pytest.raises(ValueError, match="attention"):
        build_seq2seq("gru", 9, 7, 5, 6, 1, 0.0, "dot", 1.0, 1.0, 0)
    model = small()
    source, lengths, targets = batch()
    with pytest.raises(ValueError, match="target"):
        model(source, lengths)
    with pytest.raises(ValueError, match="width"):
        model.beam_search(source, lengths, width=0, max_length=4)


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_overfits_a_tiny_batch_to_exact_greedy_output(attention):
    generator = torch.Generator().manual_seed(0)
    lengths = torch.randint(2, 6, (8,), generator=generator)
    source = torch.randint(1, 10, (8, 5), generator=generator)
    source[torch.arange(5) >= lengths.unsqueeze(1)] = 0
    wanted = [[int(i) + 1 for i in reversed(source[row, :length].tolist())] for row, length in enumerate(lengths)]
    model = build_seq2seq("gru", 10, 11, 16, 32, 1, 0.0, attention, 1.0, 1.0, seed=1)
    _, targets = teacher_forced_scores(model, source, lengths, [(tokens, True) for tokens in wanted])
    optimiser = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(300):
        loss = torch.nn.functional.cross_entropy(model(source, lengths, targets).flatten(0, 1), targets.flatten(),
                                                 ignore_index=-100)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    decoded = model.eval().greedy(source, lengths, max_length=8)
    assert [(h.tokens, h.finished) for h in decoded] == [(tokens, True) for tokens in wanted]
    # The outputs end at different steps: an example's score stops growing once it has said EOS.
    expected, _ = teacher_forced_scores(model, source, lengths, [(tokens, True) for tokens in wanted])
    assert [h.score for h in decoded] == pytest.approx(expected, abs=1e-5)
