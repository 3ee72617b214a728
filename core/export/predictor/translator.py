"""The playground's encoder-decoder, for translating only: greedy decoding and beam search.

Parameter names and operations are the app's (core/nn/seq2seq.py), so its saved state dict loads
here as it is and both decode the same pieces. Training-only parts (teacher forcing, scheduled
sampling, probes) are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .networks import Encoder

CELLS_FOR_STEPS = {"rnn": nn.RNNCell, "gru": nn.GRUCell, "lstm": nn.LSTMCell}


@dataclass
class Hypothesis:
    """One decoded output: piece ids (end of sentence excluded), its log-probability, and whether it ended."""

    tokens: list[int]
    score: float
    finished: bool


@dataclass
class Memory:
    values: Tensor  # (batch, source, hidden * directions)
    keys: Tensor | None  # (batch, source, hidden)
    padding: Tensor  # (batch, 1, source): 0 on real steps, -inf on padding

    def repeated(self, copies: int) -> Memory:
        keys = self.keys.repeat_interleave(copies, 0) if self.keys is not None else None
        return Memory(self.values.repeat_interleave(copies, 0), keys, self.padding.repeat_interleave(copies, 0))


class Seq2Seq(nn.Module):
    """Source embedding, recurrent encoder, optional attention and a one-layer decoder with a head."""

    def __init__(self, architecture: dict):
        super().__init__()
        self.encoder = Encoder(architecture)
        hidden, memory_size = self.encoder.hidden_size, self.encoder.output_size
        embedding_size, target_vocab = architecture["input_size"], architecture["target_vocab"]
        self.embedding = nn.Embedding(architecture["source_vocab"], embedding_size, padding_idx=0)
        self.attention = architecture["attention"]
        self.eos, self.bos = target_vocab, target_vocab + 1
        self.num_outputs = target_vocab + 1
        self.target_embedding = nn.Embedding(target_vocab + 2, embedding_size, padding_idx=0)
        self.bridge = nn.Linear(memory_size, hidden)
        reads_context = self.attention == "additive"  # Bahdanau feeds the context into the cell
        cell = CELLS_FOR_STEPS[architecture["module"]]
        self.decoder = cell(embedding_size + (memory_size if reads_context else 0), hidden)
        if self.attention == "additive":
            self.query = nn.Linear(hidden, hidden, bias=False)
            self.key = nn.Linear(memory_size, hidden)
            self.score = nn.Linear(hidden, 1, bias=False)
        elif self.attention == "multiplicative":
            self.key = nn.Linear(memory_size, hidden, bias=False)
        if self.attention != "none":
            self.combine = nn.Linear(hidden + memory_size, hidden)
        self.head = nn.Linear(hidden, self.num_outputs)

    @torch.no_grad()
    def greedy(self, source: Tensor, lengths: Tensor, max_length: int) -> list[Hypothesis]:
        """The most likely piece at each step, for every example at once."""
        memory, state = self._start(source, lengths, 1)
        batch = source.shape[0]
        previous = torch.full((batch,), self.bos, dtype=torch.long)
        finished = torch.zeros(batch, dtype=torch.bool)
        steps = torch.zeros(batch, dtype=torch.long)
        scores = torch.zeros(batch)
        tokens = []
        for _ in range(max_length):
            state, context = self._step(self.target_embedding(previous), state, memory)
            best, previous = self._log_probs(self._hidden(state), context).max(dim=-1)  # (batch,) each
            scores += torch.where(finished, 0.0, best)
            steps += (~finished).long()
            finished = finished | (previous == self.eos)
            tokens.append(previous)
            if bool(finished.all()):
                break
        return _hypotheses(torch.stack(tokens, 1), scores, steps, finished)

    @torch.no_grad()
    def beam_search(self, source: Tensor, lengths: Tensor, width: int, max_length: int) -> list[list[Hypothesis]]:
        """Per example the `width` most likely outputs, best first (a finished beam extends only by a
        free end of sentence, so it competes on its true score)."""
        memory, state = self._start(source, lengths, width)
        batch = source.shape[0]
        scores = torch.full((batch, width), -math.inf)
        scores[:, 0] = 0.0  # every beam starts identical, so only the first may expand
        finished = torch.zeros(batch, width, dtype=torch.bool)
        steps = torch.zeros(batch, width, dtype=torch.long)
        tokens = torch.zeros(batch, width, 0, dtype=torch.long)
        previous = torch.full((batch * width,), self.bos, dtype=torch.long)
        repeat = torch.full((self.num_outputs,), -math.inf)
        repeat[self.eos] = 0.0
        offsets = torch.arange(batch).unsqueeze(1) * width  # (batch, 1)
        for _ in range(max_length):
            if bool((finished | scores.isinf()).all()):
                break
            state, context = self._step(self.target_embedding(previous), state, memory)
            log_probs = self._log_probs(self._hidden(state), context).view(batch, width, -1)
            log_probs = torch.where(finished.unsqueeze(-1), repeat, log_probs)  # (batch, width, outputs)
            candidates = (scores.unsqueeze(-1) + log_probs).view(batch, -1)  # (batch, width * outputs)
            scores, index = candidates.topk(width, dim=1)  # (batch, width), best first
            origin, token = index // self.num_outputs, index % self.num_outputs
            was_finished = finished.gather(1, origin)
            steps = steps.gather(1, origin) + (~was_finished).long()
            finished = was_finished | (token == self.eos)
            tokens = torch.cat([tokens.gather(1, origin.unsqueeze(-1).expand(-1, -1, tokens.shape[2])),
                                token.unsqueeze(-1)], dim=-1)
            rows = (origin + offsets).view(-1)  # (batch * width,) the beam each survivor came from
            state = tuple(part[rows] for part in state) if isinstance(state, tuple) else state[rows]
            previous = token.view(-1)
        flat = _hypotheses(tokens.flatten(0, 1), scores.flatten(), steps.flatten(), finished.flatten())
        return [[h for h in flat[row * width: (row + 1) * width] if h.score > -math.inf] for row in range(batch)]

    def _start(self, source: Tensor, lengths: Tensor, copies: int):
        """Encode once, then repeat the memory and the decoder's first state for each beam."""
        top = self.encoder(self.embedding(source), lengths)  # (batch, source, hidden * directions)
        valid = torch.arange(top.shape[1]) < lengths.unsqueeze(1)
        padding = top.new_zeros(valid.shape).masked_fill(~valid, -math.inf).unsqueeze(1)  # (batch, 1, source)
        keys = self.key(top) if self.attention != "none" else None
        memory = Memory(top, keys, padding).repeated(copies)
        last = top[torch.arange(top.shape[0]), lengths - 1]
        if self.encoder.directions == 2:
            hidden = self.encoder.hidden_size
            last = torch.cat([last[:, :hidden], top[:, 0, hidden:]], dim=-1)
        h = torch.tanh(self.bridge(last))  # (batch, hidden)
        state = (h, torch.zeros_like(h)) if isinstance(self.decoder, nn.LSTMCell) else h
        if isinstance(state, tuple):
            return memory, tuple(part.repeat_interleave(copies, 0) for part in state)
        return memory, state.repeat_interleave(copies, 0)

    def _step(self, step_input: Tensor, state, memory: Memory):
        """One decoder step: the new state and the context it read (None without attention)."""
        context = None
        if self.attention == "additive":
            weight = self._attend(self._hidden(state).unsqueeze(1), memory)  # from the previous state
            context = (weight @ memory.values).squeeze(1)  # (batch, hidden * directions)
            step_input = torch.cat([step_input, context], dim=-1)
        state = self.decoder(step_input, state)
        if self.attention == "multiplicative":
            weight = self._attend(self._hidden(state).unsqueeze(1), memory)  # from the new state
            context = (weight @ memory.values).squeeze(1)
        return state, context

    def _attend(self, query: Tensor, memory: Memory) -> Tensor:
        """Weights (batch, time, source); padding gets exactly 0."""
        if self.attention == "additive":
            energy = torch.tanh(self.query(query).unsqueeze(2) + memory.keys.unsqueeze(1))
            scores = self.score(energy).squeeze(-1)  # (batch, time, source)
        else:
            scores = query @ memory.keys.transpose(1, 2)
        return (scores + memory.padding).softmax(dim=-1)

    def _log_probs(self, hidden: Tensor, context: Tensor | None) -> Tensor:
        """Log-probabilities (batch, outputs) with padding ruled out."""
        output = hidden if context is None else torch.tanh(self.combine(torch.cat([hidden, context], dim=-1)))
        log_probs = self.head(output).log_softmax(dim=-1)
        log_probs[:, 0] = -math.inf
        return log_probs

    def _hidden(self, state) -> Tensor:
        return state[0] if isinstance(state, tuple) else state


def _hypotheses(tokens: Tensor, scores: Tensor, steps: Tensor, finished: Tensor) -> list[Hypothesis]:
    return [Hypothesis(ids[: count - 1] if done else ids[:count], score, done)
            for ids, score, count, done in zip(tokens.tolist(), scores.tolist(), steps.tolist(), finished.tolist())]
