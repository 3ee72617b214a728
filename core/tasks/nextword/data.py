"""The next-word lesson's data: seeded long-gap stories, or free text cut into training windows.

Inputs are (examples, time) ids and targets the same ids one step later, so every step is a
next-unit prediction; padding carries target -100. The seeded stories score the long-range word
at one step and probe the gradient from that word alone back through the gap to the clue.
"""

from __future__ import annotations

import math

import torch

from core.data.errors import DataError
from core.tasks.base import DataShape, TaskData
from core.tasks.nextword import free_text, story
from core.tasks.nextword.codec import Codec, clean_characters
from core.tasks.nextword.config import NextWordTaskConfig
from core.tasks.nextword.problem import LanguageModel

TRAIN_STORIES = 3000
VAL_STORIES = 500
PROBE_STORIES = 32
TRAIN_WINDOWS = 3000
VAL_WINDOWS = 300
PROBE_WINDOWS = 16
SAMPLE_CHARACTERS = 120
SAMPLE_PIECES = 40
PIECES = 500


def build(config: NextWordTaskConfig, seed: int) -> TaskData:
    """Seeded splits for the chosen source; each split has its own stream of randomness."""
    if config.source == "story":
        return _stories(config, seed)
    return _free_text(config, seed)


def _stories(config: NextWordTaskConfig, seed: int) -> TaskData:
    train_inputs, train_targets, train_kinds, answer = story.make_stories(config.gap, TRAIN_STORIES, seed * 3 + 0)
    val_inputs, val_targets, val_kinds, _ = story.make_stories(config.gap, VAL_STORIES, seed * 3 + 1)
    probe_inputs, probe_targets, probe_kinds, _ = story.make_stories(config.gap, 4 * PROBE_STORIES, seed * 3 + 2)
    # The probe reads language stories (the clue is their fifth word) up to the long-range word,
    # and its loss is that word's alone: how much of its error reaches each step back to the clue.
    language = (probe_kinds == 0).nonzero().flatten()[:PROBE_STORIES]
    probe_inputs = probe_inputs[language, : answer + 1]
    only_answer = torch.full_like(probe_targets[language, : answer + 1], -100)
    only_answer[:, answer] = probe_targets[language, answer]
    codec = Codec("words", story.WORDS)
    groups = {kind: val_kinds == index for index, kind in enumerate(story.KINDS)}
    # The prompt of the live samples: the first validation story up to its clue and full stop.
    first = [int(unit) for unit in val_inputs[0].tolist() if unit != 0]
    prompt = tuple(first[: first.index(story.INDEX["."]) + 1]) if story.INDEX["."] in first else tuple(first[:5])
    problem = LanguageModel(answer_step=answer, prompt=prompt, sample_length=config.gap + 8,
                            temperature=config.temperature, seed=seed)
    return TaskData(
        train_inputs=train_inputs, train_targets=train_targets, val_inputs=val_inputs, val_targets=val_targets,
        probe_inputs=probe_inputs, probe_targets=only_answer, input_size=config.embedding_size,
        num_classes=codec.size, vocab_size=codec.size, per_step=True, metric="accuracy",
        position_label="steps back from the long-range word", val_groups=groups, codec=codec, problem=problem,
        info={"source": "Seeded stories", "answer_step": answer,
              "frequency_accuracy": frequency_accuracy(train_targets, train_kinds, val_targets, val_kinds, answer),
              "unigram_perplexity": unigram_perplexity(train_targets, val_targets, codec.size)},
    )


def frequency_accuracy(train_targets: torch.Tensor, train_kinds: torch.Tensor, val_targets: torch.Tensor,
                       val_kinds: torch.Tensor, answer: int) -> float:
    """Accuracy on the long-range word of guessing, for each kind of story, its most frequent answer
    in training: what a model that knows the kind of sentence but not the clue can reach."""
    hits = 0
    for kind in train_kinds.unique().tolist():
        guess = int(train_targets[train_kinds == kind, answer].mode().values)
        hits += int((val_targets[val_kinds == kind, answer] == guess).sum())
    return hits / max(val_targets.shape[0], 1)


def unigram_perplexity(train_targets: torch.Tensor, val_targets: torch.Tensor, size: int) -> float:
    """Validation perplexity of a model that ignores context: each unit's training frequency
    (add-one smoothed), the baseline a language model must beat."""
    counts = torch.bincount(train_targets[train_targets >= 0].reshape(-1), minlength=size).double() + 1
    log_probabilities = (counts / counts.sum()).log()
    scored = val_targets[val_targets >= 0].reshape(-1)
    return math.exp(float(-log_probabilities[scored].mean()))


def _codec(config: NextWordTaskConfig, train_text: str) -> Codec:
    if config.units == "pieces":
        from core.data.tokens import build_tokenizer

        lines = [line for line in train_text.splitlines() if line.strip()]
        return Codec("pieces", tokenizer=build_tokenizer(lines, PIECES, "unigram"))
    characters = sorted(set(clean_characters(train_text)))
    return Codec("characters", ("<pad>", "<unk>", *characters))


def _text(config: NextWordTaskConfig) -> tuple[str, str]:
    if config.source == "hamlet":
        return free_text.hamlet(), free_text.SOURCE_NOTE
    if not config.upload:
        raise DataError("Upload a text file first.")
    from core.data import uploads  # only uploads need the upload store

    format, content = uploads.load(config.upload)
    return free_text.read_file(format, content), "Your text file"


def encode_text(codec: Codec, text: str) -> torch.Tensor:
    """A whole text as one id sequence, read the way the codec reads (one line at a time for pieces)."""
    if codec.units == "pieces":
        ids = [unit for line in text.splitlines() if line.strip() for unit in codec.encode(line)]
    else:
        ids = codec.encode(text)
    return torch.tensor(ids, dtype=torch.long)


def windows(ids: torch.Tensor, length: int, count: int,
            generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` windows of `length` + 1 ids, at random starts (a generator) or side by side (None),
    as next-unit (inputs, targets), each (count, length)."""
    if ids.numel() < length + 2:
        raise DataError(f"The text is too short for windows of {length} units; lower the Window setting.")
    last = ids.numel() - length - 1
    if generator is None:
        starts = torch.arange(0, last + 1, length)[:count]
    else:
        starts = torch.randint(0, last + 1, (count,), generator=generator)
    rows = torch.stack([ids[start: start + length + 1] for start in starts.tolist()])
    return rows[:, :-1], rows[:, 1:]


def _free_text(config: NextWordTaskConfig, seed: int) -> TaskData:
    text, note = _text(config)
    train_text, val_text = free_text.split(text)
    codec = _codec(config, train_text)
    train_ids, val_ids = encode_text(codec, train_text), encode_text(codec, val_text)
    generator = torch.Generator().manual_seed(seed)
    train_inputs, train_targets = windows(train_ids, config.window, TRAIN_WINDOWS, generator)
    val_inputs, val_targets = windows(val_ids, config.window, VAL_WINDOWS, None)
    probe_inputs, probe_targets = val_inputs[:PROBE_WINDOWS], val_targets[:PROBE_WINDOWS]
    length = SAMPLE_PIECES if config.units == "pieces" else SAMPLE_CHARACTERS
    problem = LanguageModel(prompt=tuple(val_ids[:16].tolist()), sample_length=length,
                            temperature=config.temperature, seed=seed)
    return TaskData(
        train_inputs=train_inputs, train_targets=train_targets, val_inputs=val_inputs, val_targets=val_targets,
        probe_inputs=probe_inputs, probe_targets=probe_targets, input_size=config.embedding_size,
        num_classes=codec.size, vocab_size=codec.size, per_step=True, metric="accuracy",
        position_label="steps back from the end", codec=codec, problem=problem,
        info={"source": note, "unigram_perplexity": unigram_perplexity(train_targets, val_targets, codec.size)},
    )


def data_shape(config: NextWordTaskConfig) -> DataShape:
    """The shape `build` gives, without building it (for the server's memory budget)."""
    if config.source == "story":
        length = config.gap + 11
        return DataShape(TRAIN_STORIES, VAL_STORIES, PROBE_STORIES, length, config.embedding_size, len(story.WORDS))
    return DataShape(TRAIN_WINDOWS, VAL_WINDOWS, PROBE_WINDOWS, config.window, config.embedding_size, 2000)


def read_file(format: str, content: bytes) -> str:
    return free_text.read_file(format, content)


def encode_file(data: TaskData, text: str) -> tuple[torch.Tensor, torch.Tensor, None]:
    """Another text as next-unit windows for a trained run's codec (the CLI's --eval-file)."""
    ids = encode_text(data.codec, text)
    inputs, targets = windows(ids, data.train_inputs.shape[1], VAL_WINDOWS, None)
    return inputs, targets, None
