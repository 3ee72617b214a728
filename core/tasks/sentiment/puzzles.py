"""The sentiment lesson's word-order puzzles: seeded sentences whose label depends on word order.

Polar words come from the VADER sentiment lexicon (vaderSentiment, MIT licence): hand-picked
adjectives that read naturally in "the film was ...", kept only where VADER's raters agree they
are clearly positive or negative. See core/tasks/sentiment/data.py for the three sources.
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass

import torch

from core.data.files import package_file
from core.data.tables import DataError

# How often each kind of puzzle is drawn when `opinions` is 0.
CATEGORY_WEIGHTS = {"plain": 0.4, "negation": 0.3, "contrast": 0.3}
DISTANCE_BUCKETS = ((0, 2), (3, 5), (6, 10), (11, 20), (21, 1000))
OPINION_BUCKETS = ((0, 0), (1, 2), (3, 4), (5, 6))
# A cue is "clearly" polar when VADER's raters give it at least this mean (on a -4..4 scale) ...
STRONG_MEAN = 1.3
# ... and do not disagree too much about it.
MAX_SPREAD = 2.0


POSITIVE_CANDIDATES = (
    "good great excellent wonderful brilliant superb amazing fantastic terrific outstanding marvelous "
    "magnificent splendid delightful charming enjoyable entertaining fun funny hilarious lovely beautiful "
    "gorgeous stunning impressive remarkable fascinating engaging thrilling exciting heartwarming inspiring "
    "clever smart intelligent fresh original creative elegant graceful perfect powerful vibrant lively "
    "pleasant satisfying rewarding sweet heartfelt sincere honest glorious awesome strong nice likeable "
    "lovable admirable fabulous joyful joyous playful thoughtful breathtaking adorable cute superior wise "
    "amusing classy cool ideal pleasing talented warmhearted worthy"
).split()
NEGATIVE_CANDIDATES = (
    "bad awful terrible horrible dreadful boring dull lame stupid dumb ridiculous meaningless mindless weak "
    "poor lousy crappy disappointing annoying irritating frustrating painful unpleasant ugly messy pathetic "
    "pitiful miserable worthless useless incompetent insipid dismal disastrous horrendous appalling "
    "embarrassing joyless humorless sickening obnoxious offensive nasty gross dire rotten sluggish clueless "
    "lazy hateful idiotic moronic disgusting dreary unimpressive unsuccessful inferior unattractive "
    "uncomfortable unacceptable tired horrid horrific vile unworthy careless thoughtless heartless charmless "
    "talentless"
).split()

SUBJECTS = (
    "the movie", "the film", "the plot", "the story", "the acting", "the script", "the ending", "the dialogue",
    "the soundtrack", "the cast", "the direction", "the pacing", "the humour", "the finale", "the screenplay",
    "the camera work", "the lead actor", "the sequel", "this picture", "the premise", "the opening scene",
    "the editing", "the score", "the visuals",
)
# Things a viewer has opinions on that are not the film: the distractors of `long` puzzles.
ASIDES = (
    "the popcorn", "my seat", "the parking", "the ticket price", "the trailer", "the cinema", "the snack bar",
    "the weather", "the bus ride", "the queue", "the crowd", "the sound system", "the coffee", "the lobby",
    "the car park", "the dinner after", "the usher", "the air conditioning", "the advert before it",
    "the walk home",
)
VERBS = ("was", "is", "felt", "seemed")
INTENSIFIERS = ("very", "really", "extremely", "truly", "so", "incredibly", "quite", "absolutely")
NEGATORS = ("not", "never", "hardly", "far from", "not at all", "anything but", "in no way")
# Sentence frames that negate the cue with the subject in the middle.
NEGATED_FRAMES = ("{subject} did not seem {cue}", "{subject} never felt {cue}", "i would not call {subject} {cue}",
                  "nobody could call {subject} {cue}", "{subject} was not {cue} at all")
CONTRASTS = ("{x} , but {y}", "{x} but {y}", "{x} ; however , {y}", "{x} , yet {y}")
# Subordinate clauses that do not decide: the main clause does, whichever side it is on.
CONCESSIONS = ("although", "even though", "though", "while")
ASIDE_OPENERS = ("as for the rest ,", "apart from that ,", "for the record ,", "elsewhere ,")
FILLERS = (
    "in my opinion", "if you ask me", "from start to finish", "for most of the running time", "on the whole",
    "as far as i can tell", "by the standards of the genre", "at least for me", "when i saw it last week",
    "in the version i watched", "at the cinema on main street", "during the second half", "to be frank",
    "all things considered", "more or less", "as the lights came up", "on a tuesday evening", "overall",
    "today", "again", "tonight", "then", "by then", "in the end", "for its length", "on the big screen",
    "in the version shown in cinemas", "according to the people next to me",
)
FILM_WORDS = frozenset("movie film plot story acting script screenplay cast".split())


@functools.lru_cache(maxsize=1)
def lexicon() -> dict[str, float]:
    """VADER's word -> mean rating (-4 very negative .. 4 very positive), for plain words only."""
    path = package_file("vaderSentiment", "vader_lexicon.txt")
    if path is None:
        raise DataError("The puzzles need the vaderSentiment package for their word lists; "
                        "install it with: pip install vaderSentiment==3.3.2")
    ratings = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0].isalpha():
            ratings[parts[0]] = (float(parts[1]), float(parts[2]))
    return {word: mean for word, (mean, spread) in ratings.items() if spread <= MAX_SPREAD}


@functools.lru_cache(maxsize=1)
def cue_words() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(negative words, positive words): the candidates that VADER rates clearly polar."""
    ratings = lexicon()
    negative = tuple(word for word in dict.fromkeys(NEGATIVE_CANDIDATES) if ratings.get(word, 0.0) <= -STRONG_MEAN)
    positive = tuple(word for word in dict.fromkeys(POSITIVE_CANDIDATES) if ratings.get(word, 0.0) >= STRONG_MEAN)
    return negative, positive


@functools.lru_cache(maxsize=1)
def fillers() -> tuple[tuple[str, ...], ...]:
    """Filler phrases as word tuples, without any word VADER gives a polarity."""
    ratings = lexicon()
    return tuple(tuple(phrase.split()) for phrase in FILLERS
                 if not any(word in ratings for word in phrase.split()))


@dataclass(frozen=True)
class Example:
    """One sentence, its label (0 negative, 1 positive), its kind and how far from the end its cue is."""

    text: str
    label: int
    category: str
    distance: int
    opinions: int = 0


class PuzzleMaker:
    """Word-order puzzles drawn from a private random stream, so a seed fixes every sentence."""

    def __init__(self, seed: int, distance: int = 0, opinions: int = 0):
        self.random = random.Random(seed)
        self.distance = distance
        self.opinions = opinions
        self.negative, self.positive = cue_words()
        self.fillers = fillers()

    def cue(self, label: int) -> str:
        return self.random.choice(self.positive if label else self.negative)

    def clause(self, label: int, subject: str | None = None, intensify: float = 0.35) -> list[str]:
        """'the plot was very dull': a subject, a verb, maybe an intensifier, and the cue last."""
        words = (subject or self.random.choice(SUBJECTS)).split() + [self.random.choice(VERBS)]
        if self.random.random() < intensify:
            words.append(self.random.choice(INTENSIFIERS))
        return words + [self.cue(label)]

    def plain(self, label: int) -> tuple[list[str], int]:
        words = self.clause(label)
        return words, len(words) - 1

    def negation(self, label: int) -> tuple[list[str], int]:
        # The cue says the opposite of the label; the negator turns it round.
        cue = self.cue(1 - label)
        subject = self.random.choice(SUBJECTS)
        if self.random.random() < 0.4:
            frame = self.random.choice(NEGATED_FRAMES)
            words = frame.format(subject=subject, cue=cue).split()
        else:
            verb = self.random.choice(("was", "is"))
            words = subject.split() + [verb] + self.random.choice(NEGATORS).split() + [cue]
        return words, words.index(cue)

    def contrast(self, label: int) -> tuple[list[str], int]:
        first, second = self.random.sample(SUBJECTS, 2)
        deciding = self.clause(label, second)
        other = self.clause(1 - label, first)
        shape = self.random.random()
        if shape < 0.5:
            words = self.random.choice(CONTRASTS).format(x=" ".join(other), y=" ".join(deciding)).split()
            return words, len(words) - 1
        concession = self.random.choice(CONCESSIONS).split()
        if shape < 0.8:
            words = concession + other + [","] + deciding
            return words, len(words) - 1
        # The main clause first and the concession after: the cue is no longer near the end.
        words = deciding + [","] + concession + other
        return words, len(deciding) - 1

    def long(self, label: int) -> tuple[list[str], int, int]:
        """A verdict on the film, then opinions on other things that do not count."""
        subject = self.random.choice([name for name in SUBJECTS if name.split()[-1] in FILM_WORDS])
        words = self.clause(label, subject)
        cue_index = len(words) - 1
        count = self.random.randint(0, self.opinions)
        if count:
            asides = self.random.sample(ASIDES, count)
            words += ["."] + self.random.choice(ASIDE_OPENERS).split()
            for index, aside in enumerate(asides):
                if index:
                    words.append("and" if index == count - 1 else ",")
                words += self.clause(self.random.randint(0, 1), aside, intensify=0.2)
        return words, cue_index, count

    def pad(self, words: list[str]) -> list[str]:
        """Neutral filler words at the end, between 0 and `distance` of them."""
        target = self.random.randint(0, self.distance)
        added: list[str] = []
        used: set[tuple[str, ...]] = set()
        while len(added) < target:
            room = target - len(added)
            fitting = [phrase for phrase in self.fillers if len(phrase) <= room]
            # Prefer phrases not used yet, so fillers read less like a stutter.
            phrase = self.random.choice([phrase for phrase in fitting if phrase not in used] or fitting)
            used.add(phrase)
            added += phrase
        return words + added

    def example(self, label: int, category: str) -> Example:
        opinions = 0
        if category == "long":
            words, cue_index, opinions = self.long(label)
        else:
            words, cue_index = getattr(self, category)(label)
        words = self.pad(words)
        return Example(" ".join(words), label, category, len(words) - 1 - cue_index, opinions)

    def plan(self, count: int) -> list[tuple[int, str]]:
        """(label, category) for `count` puzzles: both labels equally often (to within one)."""
        labels = [index % 2 for index in range(count)]
        self.random.shuffle(labels)
        if self.opinions > 0:
            categories = ["long"] * count
        else:
            categories = self.random.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()), k=count)
        return list(zip(labels, categories))


def make_puzzles(count: int, seed: int, distance: int = 0, opinions: int = 0,
                 exclude: frozenset[str] = frozenset()) -> list[Example]:
    """`count` seeded puzzles with distinct texts, none of them in `exclude` (so validation is unseen)."""
    maker = PuzzleMaker(seed, distance, opinions)
    seen = set(exclude)
    found = []
    for label, category in maker.plan(count):
        # Short plain sentences repeat now and then; redraw the same kind until one is new.
        for _ in range(100):
            example = maker.example(label, category)
            if example.text not in seen:
                break
        seen.add(example.text)
        found.append(example)
    return found


def distance_group(distance: int) -> str:
    for low, high in DISTANCE_BUCKETS:
        if low <= distance <= high:
            return f"distance {low}-{high}" if high < 1000 else f"distance {low}+"
    return f"distance {distance}"


def opinion_group(count: int) -> str:
    for low, high in OPINION_BUCKETS:
        if low <= count <= high:
            return f"opinions {low}" if low == high else f"opinions {low}-{high}"
    return f"opinions {count}"


def group_masks(names: list[list[str]]) -> dict[str, torch.Tensor]:
    """Group name -> bool mask, from each example's list of group names (in first-seen order)."""
    order: dict[str, None] = {}
    for example_names in names:
        order.update(dict.fromkeys(example_names))
    return {group: torch.tensor([group in example_names for example_names in names], dtype=torch.bool)
            for group in order}


def puzzle_groups(examples: list[Example]) -> dict[str, torch.Tensor]:
    names = []
    for example in examples:
        groups = [example.category, distance_group(example.distance)]
        if example.category == "long":
            groups.append(opinion_group(example.opinions))
        names.append(groups)
    masks = group_masks(names)
    ordered = sorted(masks, key=group_order)
    return {name: masks[name] for name in ordered}


def group_order(name: str) -> tuple[int, int]:
    kinds = ["plain", "negation", "contrast", "long", "has negation", "has contrast", "short", "long text"]
    if name in kinds:
        return (0, kinds.index(name))
    number = re.search(r"\d+", name)
    return (1 if name.startswith("distance") else 2, int(number.group(0)) if number else 0)


