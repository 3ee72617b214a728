"""Seeded sentences with person, place, organisation and date entities, in BIO tags, by kind.

Names, places and company suffixes come from Faker (MIT licence), drawn from several locales with
the run's seed, so the same surnames turn up as people, places and firms. The kinds are what the
lesson measures:

- `plain`: the entity's own first word says what it is (a first name, a month, "Radio" or "Hotel");
- `before`: a bare surname whose kind the words before it decide ("flew to Garcia");
- `after`: a bare surname opening the sentence, whose kind only the words after it decide
  ("Garcia scored twice", "Garcia lies on the river", "Garcia hired 300 workers"): a model reading
  forward must tag it before it has read what decides it;
- `long`: entities of four to six words;
- `nested`: entities holding a name of another kind ("Bank of Huesca" is an organisation, "Mount
  Garcia" a place).

Only `after` is decided by later words: every other entity's first word says its kind, so the
lesson's contrast between reading forward and reading both ways is measured where it should be.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass

TYPES = ("PER", "LOC", "ORG", "DATE")
TAGS = ("O", *(f"{prefix}-{kind}" for kind in TYPES for prefix in ("B", "I")))
KINDS = ("plain", "before", "after", "long", "nested")
WEIGHTS = (0.3, 0.2, 0.25, 0.1, 0.15)
# it_IT is left out: some of its providers draw from the global random state, so a seed would not fix them.
LOCALES = ("en_US", "en_GB", "de_DE", "es_ES", "fr_FR", "nl_NL", "pt_PT")
SUFFIXES = ("Inc", "Ltd", "Group", "PLC", "LLC", "GmbH", "AG", "Holdings")
# Words that open an organisation's name and say what it is before its name does.
ORG_WORDS = ("Radio", "Hotel", "Banco", "Studio", "Club", "Air")
MONTHS = tuple(calendar.month_name[1:])
WEEKDAYS = tuple(calendar.day_name)

# Templates: words, and slots in braces that an entity of the slot's kind fills.
AFTER = {
    "PER": ("{S} scored twice .", "{S} said the plan would work .", "{S} was born in 1970 .",
            "{S} resigned as coach on Friday .", "{S} thanked her family ."),
    "LOC": ("{S} is a small town on the coast .", "{S} lies on the river .", "{S} has a population of 40,000 .",
            "{S} was flooded again .", "{S} sits high in the hills ."),
    "ORG": ("{S} hired 300 new workers .", "{S} shares fell sharply .", "{S} opened a new factory .",
            "{S} reported a loss this year .", "{S} sells its phones online ."),
}
BEFORE = {
    "PER": ("Yesterday Mr. {S} said nothing .", "A speech by Dr. {S} was cancelled .",
            "The fans cheered for Mrs. {S} .", "Later coach {S} was angry ."),
    "LOC": ("They flew to {S} last week .", "She grew up in {S} .", "The road from {S} was closed .",
            "Trains to {S} are late ."),
    "ORG": ("Shares of {S} fell .", "He works for {S} now .", "They signed a contract with {S} .",
            "Investors in {S} lost money ."),
}
PLAIN = ("{E} was mentioned in the report .", "The report named {E} first .", "Nobody expected {E} to matter .",
         "{E} came up again at the meeting .")
PAIRED = ("{E} and {F} were both in the news .", "The letter mentioned {E} as well as {F} .")


@dataclass(frozen=True)
class Sentence:
    """One sentence's words, their BIO tags, and its kind."""

    words: tuple[str, ...]
    tags: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class Pools:
    """The names a seed draws from Faker."""

    surnames: tuple[str, ...]
    first_names: tuple[str, ...]
    cities: tuple[str, ...]


def _single_words(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value.isalpha() and value[0].isupper()))


# Pools small enough that training meets every name: the lesson is about context, not about
# guessing what an unseen word is.
POOL_SIZES = {"surnames": 150, "first_names": 120, "cities": 80}


def pools(seed: int) -> Pools:
    """Surnames, first names and cities from Faker's locales, drawn with the seed.

    One Faker per locale, each seeded, and the locale of each draw chosen by our own generator:
    a multi-locale Faker picks locales with the process's global random state, which differs
    between the page's process and the worker that trains."""
    from faker import Faker  # imported on use: listing the lessons must not load it

    fakers = {}
    for offset, locale in enumerate(LOCALES):
        fakers[locale] = Faker(locale)
        fakers[locale].seed_instance(seed * len(LOCALES) + offset)
    randomness = random.Random(seed)

    def draw(kind: str) -> list[str]:
        return [getattr(fakers[randomness.choice(LOCALES)], kind)() for _ in range(3 * max(POOL_SIZES.values()))]

    cities = [value for value in draw("city") if all(word.isalpha() and word[0].isupper() for word in value.split())]
    surnames = _single_words(draw("last_name"))
    first_names = [name for name in _single_words(draw("first_name")) if name not in surnames]
    return Pools(surnames=surnames[:POOL_SIZES["surnames"]], first_names=tuple(first_names[:POOL_SIZES["first_names"]]),
                 cities=tuple(dict.fromkeys(cities))[:POOL_SIZES["cities"]])


class Writer:
    """Writes seeded sentences of each kind from the pools."""

    def __init__(self, names: Pools, randomness: random.Random):
        self.names, self.random = names, randomness

    def pick(self, values: tuple[str, ...]) -> str:
        return values[self.random.randrange(len(values))]

    def date(self, long: bool = False) -> list[str]:
        day, month, year = str(self.random.randint(1, 28)), self.pick(MONTHS), str(self.random.randint(1950, 2030))
        if long:
            return [self.pick(WEEKDAYS), ",", day, month, year]
        return [day, month, year] if self.random.random() < 0.5 else [month, day, ",", year]

    def plain_entity(self) -> tuple[str, list[str]]:
        kind = self.pick(TYPES)
        names = self.names
        if kind == "PER":
            return kind, [self.pick(names.first_names), self.pick(names.surnames)]
        if kind == "LOC":
            return kind, self.pick(names.cities).split()
        if kind == "ORG":
            return kind, [self.pick(ORG_WORDS), self.pick(names.surnames)]
        return kind, self.date()

    def long_entity(self) -> tuple[str, list[str]]:
        kind = self.pick(TYPES)
        names = self.names
        if kind == "PER":
            return kind, [self.pick(names.first_names), self.pick(names.first_names), self.pick(names.surnames),
                          self.pick(names.surnames)]
        if kind == "LOC":
            return kind, ["Lake", self.pick(names.surnames), "National", "Park"]
        if kind == "ORG":
            return kind, [self.pick(ORG_WORDS), self.pick(names.surnames), ",", self.pick(names.surnames), "and",
                          self.pick(names.surnames), self.pick(SUFFIXES)]
        return kind, self.date(long=True)

    def nested_entity(self) -> tuple[str, list[str]]:
        names = self.names
        choice = self.random.randrange(3)
        if choice == 0:
            return "ORG", ["Bank", "of", *self.pick(names.cities).split()]
        if choice == 1:
            return "ORG", ["Radio", *self.pick(names.cities).split()]
        return "LOC", ["Mount", self.pick(names.surnames)]

    def sentence(self, kind: str) -> Sentence:
        if kind in ("after", "before"):
            entity = self.pick(("PER", "LOC", "ORG"))
            template = self.pick((AFTER if kind == "after" else BEFORE)[entity])
            return fill(template, {"S": (entity, [self.pick(self.names.surnames)])}, kind)
        make = {"plain": self.plain_entity, "long": self.long_entity, "nested": self.nested_entity}[kind]
        if kind == "plain" and self.random.random() < 0.4:
            return fill(self.pick(PAIRED), {"E": make(), "F": self.plain_entity()}, kind)
        return fill(self.pick(PLAIN), {"E": make()}, kind)


def fill(template: str, slots: dict[str, tuple[str, list[str]]], kind: str) -> Sentence:
    """A template's words with its slots filled, each entity's words tagged B-/I- by its type."""
    words, tags = [], []
    for word in template.split():
        if word.startswith("{") and word.endswith("}"):
            entity, filler = slots[word[1:-1]]
            words += filler
            tags += [f"B-{entity}"] + [f"I-{entity}"] * (len(filler) - 1)
        else:
            words.append(word)
            tags.append("O")
    return Sentence(tuple(words), tuple(tags), kind)


def sentences(count: int, names: Pools, seed: int) -> list[Sentence]:
    """`count` seeded sentences, their kinds drawn with the lesson's weights."""
    randomness = random.Random(seed)
    writer = Writer(names, randomness)
    kinds = randomness.choices(KINDS, weights=WEIGHTS, k=count)
    return [writer.sentence(kind) for kind in kinds]
