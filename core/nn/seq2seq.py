"""An encoder-decoder with optional attention, for the translation demo.

The encoder is the playground's own `Encoder` over source embeddings, so every cell kind, the
inspect view and the gradient-through-time probe work unchanged. The decoder is one fused cell of
the same kind. Without attention it sees the source only through its initial state, which is the
bottleneck the page measures; additive (Bahdanau) or multiplicative (Luong "general") attention
lets every step read every source position. Decoding is greedy or a batched beam search whose
scores are the model's true log-probabilities.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from core.nn.cells import ATTENTIONS
from core.nn.initialise import initialise_seq2seq
from core.nn.models import REGISTRY, Encoder, Steps

CELLS_FOR_STEPS = {nn.RNN: nn.RNNCell, nn.GRU: nn.GRUCell, nn.LSTM: nn.LSTMCell}
State = Tensor | tuple[Tensor, Tensor]


@dataclass
class Hypothesis:
    """One decoded output: ids (EOS excluded), total log-probability, and where each step looked."""

    tokens: list[int]
    score: float
    finished: bool
    attention: list[list[float]]


@dataclass
class Memory:
    """What the decoder reads from the source, computed once per batch."""

    values: Tensor  # (batch, source, hidden * directions)
    keys: Tensor | None  # (batch, source, hidden)
    padding: Tensor  # (batch, 1, source): 0 on real steps, -inf on padding, added to the scores

    def repeated(self, copies: int) -> Memory:
        keys = self.keys.repeat_interleave(copies, 0) if self.keys is not None else None
        return Memory(self.values.repeat_interleave(copies, 0), keys, self.padding.repeat_interleave(copies, 0))


class Seq2Seq(nn.Module):
    """Source embedding, recurrent encoder, attention and a one-layer decoder with a linear head."""

    def __init__(self, encoder: Encoder, source_vocab: int, target_vocab: int, embedding_size: int,
                 attention: str, teacher_forcing: float):
        super().__init__()
        hidden, memory_size = encoder.hidden_size, encoder.output_size
        self.embedding = nn.Embedding(source_vocab, embedding_size, padding_idx=0)
        self.encoder = encoder
        self.attention = attention
        self.teacher_forcing = teacher_forcing
        self.eos, self.bos = target_vocab, target_vocab + 1
        self.num_outputs = target_vocab + 1
        self.target_embedding = nn.Embedding(target_vocab + 2, embedding_size, padding_idx=0)
        self.bridge = nn.Linear(memory_size, hidden)
        reads_context = attention == "additive"  # Bahdanau feeds the context into the cell
        cell = CELLS_FOR_STEPS[encoder.spec.module]
        self.decoder = cell(embedding_size + (memory_size if reads_context else 0), hidden)
        if attention == "additive":
            self.query = nn.Linear(hidden, hidden, bias=False)
            self.key = nn.Linear(memory_size, hidden)
            self.score = nn.Linear(hidden, 1, bias=False)
        elif attention == "multiplicative":
            self.key = nn.Linear(memory_size, hidden, bias=False)
        if attention != "none":
            self.combine = nn.Linear(hidden + memory_size, hidden)
        self.head = nn.Linear(hidden, self.num_outputs)
        # Scheduled sampling draws from the model's own generator: runs train in parallel threads.
        self.generator = torch.Generator()

    def embed(self, source: Tensor) -> Tensor:
        return self.embedding(source)  # (batch, source, embedding)

    def forward(self, source: Tensor, lengths: Tensor | None = None, targets: Tensor | None = None) -> Tensor:
        """Logits (batch, target, num_outputs); logits[:, t] predicts targets[:, t]."""
        top = self.encoder(self.embed(source), lengths)[-1]  # (batch, source, hidden * directions)
        sample = self.training and self.teacher_forcing < 1
        return self._teacher_forced(top, lengths, targets, sample)[0]

    def unrolled(self, source: Tensor, lengths: Tensor | None = None,
                 targets: Tensor | None = None) -> tuple[Tensor, list[list[Steps]]]:
        """Logits from an encoder stepped through time, plus its per-step states (gradient through time)."""
        layers = self.encoder.unroll(self.embed(source), lengths)
        top = torch.cat([torch.stack(d.hidden, dim=1) for d in layers[-1]], dim=-1)  # (batch, source, hidden * dirs)
        return self._teacher_forced(top, lengths, targets, sample=False)[0], layers

    @torch.no_grad()
    def attention_map(self, source: Tensor, lengths: Tensor | None, targets: Tensor) -> Tensor | None:
        """Attention weights (batch, target, source) under full teacher forcing; None without attention."""
        top = self.encoder(self.embed(source), lengths)[-1]
        return self._teacher_forced(top, lengths, targets, sample=False)[1]

    def grad_groups(self) -> dict[str, list[nn.Parameter]]:
        """Parameters grouped as the per-layer gradient-norm chart shows them."""
        groups: dict[str, list[nn.Parameter]] = {"embedding": list(self.embedding.parameters())}
        for index, layer in enumerate(self.encoder.layers, start=1):
            for name, parameter in layer.named_parameters():
                part = "input" if "_ih" in name else "recurrent"
                groups.setdefault(f"layer {index} {part}", []).append(parameter)
        groups["decoder"] = [*self.target_embedding.parameters(), *self.bridge.parameters(),
                             *self.decoder.parameters()]
        if self.attention != "none":
            groups["attention"] = [parameter for name, parameter in self.named_parameters()
                                   if name.split(".")[0] in ("query", "key", "score", "combine")]
        groups["head"] = list(self.head.parameters())
        return groups

    @torch.no_grad()
    def greedy(self, source: Tensor, lengths: Tensor | None, max_length: int) -> list[Hypothesis]:
        """The most likely id at each step, for every example at once. Call eval() first for no dropout."""
        memory, state, lengths = self._start(source, lengths, 1, max_length)
        batch = source.shape[0]
        previous = torch.full((batch,), self.bos, dtype=torch.long, device=source.device)
        finished = torch.zeros(batch, dtype=torch.bool, device=source.device)
        steps = torch.zeros(batch, dtype=torch.long, device=source.device)
        scores = torch.zeros(batch, device=source.device)
        tokens, weights = [], []
        for _ in range(max_length):
            state, context, weight = self._step(self.target_embedding(previous), state, memory)
            best, previous = self._log_probs(self._hidden(state), context).max(dim=-1)  # (batch,) each
            scores += torch.where(finished, 0.0, best)
            steps += (~finished).long()
            finished = finished | (previous == self.eos)
            tokens.append(previous)
            weights.append(weight)
            if bool(finished.all()):
                break
        attention = torch.cat(weights, dim=1) if self.attention != "none" else None  # (batch, steps, source)
        return self._hypotheses(torch.stack(tokens, 1), scores, steps, finished, attention, lengths)

    @torch.no_grad()
    def beam_search(self, source: Tensor, lengths: Tensor | None, width: int,
                    max_length: int) -> list[list[Hypothesis]]:
        """Per example the `width` most likely outputs, best first; examples and beams run as one batch.

        A finished beam keeps its slot and extends only by a free repeat of EOS, so it competes
        with unfinished ones on its true score; with enough width this is exhaustive search.
        """
        memory, state, lengths = self._start(source, lengths, width, max_length)
        batch, device = source.shape[0], source.device
        scores = torch.full((batch, width), -math.inf, device=device)
        scores[:, 0] = 0.0  # every beam starts identical, so only the first may expand
        finished = torch.zeros(batch, width, dtype=torch.bool, device=device)
        steps = torch.zeros(batch, width, dtype=torch.long, device=device)
        tokens = torch.zeros(batch, width, 0, dtype=torch.long, device=device)
        attention = memory.values.new_zeros(batch, width, 0, memory.values.shape[1])
        previous = torch.full((batch * width,), self.bos, dtype=torch.long, device=device)
        repeat = torch.full((self.num_outputs,), -math.inf, device=device)
        repeat[self.eos] = 0.0
        offsets = torch.arange(batch, device=device).unsqueeze(1) * width  # (batch, 1)
        for _ in range(max_length):
            if bool((finished | scores.isinf()).all()):
                break
            state, context, weight = self._step(self.target_embedding(previous), state, memory)
            log_probs = self._log_probs(self._hidden(state), context).view(batch, width, -1)
            log_probs = torch.where(finished.unsqueeze(-1), repeat, log_probs)  # (batch, width, outputs)
            candidates = (scores.unsqueeze(-1) + log_probs).view(batch, -1)  # (batch, width * outputs)
            scores, index = candidates.topk(width, dim=1)  # (batch, width), sorted best first
            origin, token = index // self.num_outputs, index % self.num_outputs
            was_finished = finished.gather(1, origin)
            steps = steps.gather(1, origin) + (~was_finished).long()
            finished = was_finished | (token == self.eos)
            tokens = torch.cat([_gather_beams(tokens, origin), token.unsqueeze(-1)], dim=-1)
            if weight is not None:
                weight = _gather_beams(weight.view(batch, width, 1, -1), origin)
                attention = torch.cat([_gather_beams(attention, origin), weight], dim=2)
            rows = (origin + offsets).view(-1)  # (batch * width,) the beam each survivor came from
            state = tuple(part[rows] for part in state) if isinstance(state, tuple) else state[rows]
            previous = token.view(-1)
        flat = self._hypotheses(tokens.flatten(0, 1), scores.flatten(), steps.flatten(), finished.flatten(),
                                attention.flatten(0, 1) if self.attention != "none" else None,
                                lengths.repeat_interleave(width))
        return [[h for h in flat[row * width: (row + 1) * width] if h.score > -math.inf] for row in range(batch)]

    def _teacher_forced(self, top: Tensor, lengths: Tensor | None, targets: Tensor | None,
                        sample: bool) -> tuple[Tensor, Tensor | None]:
        """Logits and attention weights with the previous target (or, if sampling, own guess) as input."""
        if targets is None:
            raise ValueError("an encoder-decoder needs the target sequences to compute its logits")
        batch, time = targets.shape
        lengths = _full_lengths(top, lengths)
        memory = self._memory(top, lengths)
        state = self._initial_state(top, lengths)
        previous = torch.cat([targets.new_full((batch, 1), self.bos), targets[:, :-1].clamp(min=0)], dim=1)
        # -100 padding reads as id 0; unbind keeps the backward pass to one gather of the step gradients.
        inputs = self.target_embedding(previous).unbind(dim=1)  # time x (batch, embedding)
        if sample:
            own = torch.rand(batch, time, generator=self.generator).to(top.device) >= self.teacher_forcing
        # Luong attention does not feed back, so under teacher forcing it can wait for every state.
        late = self.attention == "multiplicative" and not sample
        hidden, contexts, weights = [], [], []
        for t in range(time):
            step_input = inputs[t]  # (batch, embedding)
            if sample and t > 0:
                with torch.no_grad():
                    guess = self._log_probs(hidden[-1], contexts[-1]).argmax(dim=-1)  # (batch,)
                step_input = torch.where(own[:, t: t + 1], self.target_embedding(guess), step_input)
            state, context, weight = self._step(step_input, state, memory, attend_after=not late)
            hidden.append(self._hidden(state))
            contexts.append(context)
            weights.append(weight)
        hidden = torch.stack(hidden, dim=1)  # (batch, time, hidden)
        if late:
            weights = self._attend(hidden, memory)  # (batch, time, source)
            context = weights @ memory.values  # (batch, time, hidden * directions)
        elif self.attention != "none":
            weights = torch.cat(weights, dim=1)  # (batch, time, source)
            context = torch.stack(contexts, dim=1)  # (batch, time, hidden * directions)
        else:
            weights = context = None
        return self.head(self._output(hidden, context)), weights

    def _start(self, source: Tensor, lengths: Tensor | None, copies: int,
               max_length: int) -> tuple[Memory, State, Tensor]:
        """Encode once, then repeat the memory and initial state for each beam."""
        if copies < 1 or max_length < 1:
            raise ValueError(f"decoding needs a beam width and a maximum length of at least 1, "
                             f"not {copies} and {max_length}")
        top = self.encoder(self.embed(source), lengths)[-1]  # (batch, source, hidden * directions)
        lengths = _full_lengths(top, lengths)
        memory = self._memory(top, lengths).repeated(copies)
        state = self._initial_state(top, lengths)
        if isinstance(state, tuple):
            return memory, tuple(part.repeat_interleave(copies, 0) for part in state), lengths
        return memory, state.repeat_interleave(copies, 0), lengths

    def _memory(self, top: Tensor, lengths: Tensor) -> Memory:
        valid = torch.arange(top.shape[1], device=top.device) < lengths.to(top.device).unsqueeze(1)
        padding = top.new_zeros(valid.shape).masked_fill(~valid, -math.inf).unsqueeze(1)  # (batch, 1, source)
        keys = self.key(top) if self.attention != "none" else None  # (batch, source, hidden)
        return Memory(top, keys, padding)

    def _initial_state(self, top: Tensor, lengths: Tensor) -> State:
        """h0 = tanh(W summary): the last valid step forward, step 1 backward; an LSTM's c0 is zero."""
        last = top[torch.arange(top.shape[0], device=top.device), lengths.to(top.device) - 1]
        if self.encoder.directions == 2:
            hidden = self.encoder.hidden_size
            last = torch.cat([last[:, :hidden], top[:, 0, hidden:]], dim=-1)  # (batch, 2 * hidden)
        h = torch.tanh(self.bridge(last))  # (batch, hidden)
        return (h, torch.zeros_like(h)) if isinstance(self.decoder, nn.LSTMCell) else h

    def _step(self, step_input: Tensor, state: State, memory: Memory,
              attend_after: bool = True) -> tuple[State, Tensor | None, Tensor | None]:
        """One decoder step; returns the new state and the context and weights (batch, 1, source) it used."""
        context = weight = None
        if self.attention == "additive":
            weight = self._attend(self._hidden(state).unsqueeze(1), memory)  # from the previous state
            context = (weight @ memory.values).squeeze(1)  # (batch, hidden * directions)
            step_input = torch.cat([step_input, context], dim=-1)
        state = self.decoder(step_input, state)
        if self.attention == "multiplicative" and attend_after:
            weight = self._attend(self._hidden(state).unsqueeze(1), memory)  # from the new state
            context = (weight @ memory.values).squeeze(1)
        return state, context, weight

    def _attend(self, query: Tensor, memory: Memory) -> Tensor:
        """Weights (batch, time, source) for queries (batch, time, hidden); padding gets exactly 0."""
        if self.attention == "additive":
            # (batch, time, source, hidden)
            energy = torch.tanh(self.query(query).unsqueeze(2) + memory.keys.unsqueeze(1))
            scores = self.score(energy).squeeze(-1)  # (batch, time, source)
        else:
            scores = query @ memory.keys.transpose(1, 2)  # (batch, time, source)
        return (scores + memory.padding).softmax(dim=-1)  # exp(-inf) is exactly 0

    def _output(self, hidden: Tensor, context: Tensor | None) -> Tensor:
        if context is None:
            return hidden
        return torch.tanh(self.combine(torch.cat([hidden, context], dim=-1)))  # (..., hidden)

    def _log_probs(self, hidden: Tensor, context: Tensor | None) -> Tensor:
        """Log-probabilities (batch, num_outputs) with padding ruled out, the others left as they are."""
        log_probs = self.head(self._output(hidden, context)).log_softmax(dim=-1)
        log_probs[:, 0] = -math.inf
        return log_probs

    def _hidden(self, state: State) -> Tensor:
        return state[0] if isinstance(state, tuple) else state  # (batch, hidden)

    def _hypotheses(self, tokens: Tensor, scores: Tensor, steps: Tensor, finished: Tensor,
                    attention: Tensor | None, lengths: Tensor) -> list[Hypothesis]:
        """Plain-Python hypotheses from (items, steps) tensors; the EOS step keeps its attention row."""
        result = []
        for row, (ids, score, count, done, length) in enumerate(zip(
                tokens.tolist(), scores.tolist(), steps.tolist(), finished.tolist(), lengths.tolist())):
            weights = attention[row, :count, :length].tolist() if attention is not None else []
            result.append(Hypothesis(ids[: count - 1] if done else ids[:count], score, done, weights))
        return result


def _gather_beams(values: Tensor, origin: Tensor) -> Tensor:
    """values (batch, width, ...) reordered so beam k holds what beam origin[:, k] held."""
    index = origin.view(*origin.shape, *([1] * (values.dim() - 2))).expand(-1, -1, *values.shape[2:])
    return values.gather(1, index)


def _full_lengths(top: Tensor, lengths: Tensor | None) -> Tensor:
    if lengths is not None:
        return lengths.to(top.device)
    return torch.full((top.shape[0],), top.shape[1], dtype=torch.long, device=top.device)


def build_seq2seq(cell: str, source_vocab: int, target_vocab: int, embedding_size: int, hidden_size: int,
                  num_layers: int, dropout: float, attention: str, teacher_forcing: float, forget_bias: float,
                  seed: int) -> Seq2Seq:
    """An encoder-decoder for one cell name, initialised deterministically from the seed."""
    if cell not in REGISTRY:
        raise ValueError(f"unknown cell {cell!r}; choose from {', '.join(REGISTRY)}")
    if REGISTRY[cell].averages:
        raise ValueError(f"the {cell!r} cell averages its input and has no step to decode with; "
                         "choose a recurrent cell for translation")
    if attention not in ATTENTIONS:
        raise ValueError(f"unknown attention {attention!r}; choose from {', '.join(ATTENTIONS)}")
    encoder = Encoder(cell, embedding_size, hidden_size, num_layers, dropout)
    model = Seq2Seq(encoder, source_vocab, target_vocab, embedding_size, attention, teacher_forcing)
    initialise_seq2seq(model, seed, forget_bias)
    return model
