"""Seeded stories in which the word to predict depends on something said many words earlier.

Two kinds, half each: "i grew up in france . <gap words> so i speak fluent french ." (the language
names the country) and "the keys that we saw <gap words> yesterday are here" (the verb agrees with
the subject). The gap is filler drawn at random from a small vocabulary, so nothing in it hints at
the answer: only a model that carries the clue across the gap gets the last word right.
"""

from __future__ import annotations

import torch

COUNTRIES = (("france", "french"), ("spain", "spanish"), ("germany", "german"), ("italy", "italian"),
             ("greece", "greek"), ("poland", "polish"), ("sweden", "swedish"), ("japan", "japanese"))
NOUNS = (("key", "keys"), ("dog", "dogs"), ("letter", "letters"), ("friend", "friends"))
VERBS = ("is", "are")
FILLER = ("and", "then", "we", "walked", "by", "the", "old", "river", "with", "friends", "in", "summer",
          "after", "school", "every", "day", "while", "rain", "fell", "on", "quiet", "streets", "near",
          "a", "small", "town")
FIXED = ("i", "grew", "up", "in", ".", "so", "speak", "fluent", "the", "that", "saw", "yesterday", "here")
KINDS = ("language", "agreement")
# Id 0 pads, id 1 is the unknown word (typed prompts), as in core/data/tokens.
WORDS = ("<pad>", "<unk>", *dict.fromkeys(
    [*FIXED, *FILLER, *(word for pair in COUNTRIES for word in pair),
     *(word for pair in NOUNS for word in pair), *VERBS]))
INDEX = {word: index for index, word in enumerate(WORDS)}


def story(kind: str, clue: int, filler: list[str]) -> tuple[list[str], int]:
    """One story's words and the index of the long-range word among them."""
    if kind == "language":
        country, language = COUNTRIES[clue]
        words = ["i", "grew", "up", "in", country, ".", *filler, "so", "i", "speak", "fluent", language, "."]
    else:
        noun = NOUNS[clue // 2][clue % 2]
        words = ["the", noun, "that", "we", "saw", *filler, "yesterday", VERBS[clue % 2], "here"]
    return words, len(words) - 2


def make_stories(gap: int, count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]:
    """`count` stories as next-word pairs: inputs (count, time) ids, targets (count, time) ids,
    each story's kind (0 language, 1 agreement) and the step where the long-range word is the target.

    Every story of one kind has the same length, and the two kinds are padded to the same one
    (agreement stories start with padding), so the long-range word sits at one step for all."""
    generator = torch.Generator().manual_seed(seed)
    kinds = torch.randint(0, 2, (count,), generator=generator)
    clues = torch.randint(0, 2 ** 16, (count,), generator=generator)
    fillers = torch.randint(0, len(FILLER), (count, gap), generator=generator)
    rows = []
    for kind, clue, filler in zip(kinds.tolist(), clues.tolist(), fillers.tolist()):
        choices = len(COUNTRIES) if kind == 0 else 2 * len(NOUNS)
        words, _ = story(KINDS[kind], clue % choices, [FILLER[index] for index in filler])
        rows.append([INDEX[word] for word in words])
    length = max(len(row) for row in rows)
    ids = torch.zeros((count, length), dtype=torch.long)
    for index, row in enumerate(rows):
        ids[index, length - len(row):] = torch.tensor(row)  # padded at the front: answers align
    inputs, targets = ids[:, :-1], ids[:, 1:].clone()
    targets[targets == 0] = -100
    answer_step = length - 3  # the target at this step is the long-range word
    return inputs, targets, kinds, answer_step


def frequency_expected() -> float:
    """Long-range accuracy of guessing each kind's most frequent answer, for stories drawn as
    make_stories draws them (half of each kind, answers uniform): what no memory of the clue gives."""
    return 0.5 / len(COUNTRIES) + 0.5 / 2
