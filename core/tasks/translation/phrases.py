"""Sentence pairs for the translation task: number words, CLDR dates and quantities, or the user's file.

Number words come from num2words and dates, quantities and money from the CLDR data Babel ships,
so the default data is generated offline from a seed. Validation never shares a source text with
training, and every pair carries a group name so validation can be scored per kind. A user's file
of tab-separated pairs is read by core/tasks/translation/pair_files.py. Plain Python: no tensors here.
"""

from __future__ import annotations

import datetime
import random
import re
from dataclasses import dataclass, field
from decimal import Decimal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency
from babel.units import format_unit
from num2words import num2words

from core.data.errors import DataError
from core.data.tables import counted
from core.tasks.translation.config import LANGUAGES

LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
                  "nl": "Dutch", "pt": "Portuguese"}
# num2words writes European Portuguese ("dezasseis"), so Babel formats it as pt_PT to match.
LOCALES = {"en": "en_US", "de": "de_DE", "fr": "fr_FR", "es": "es_ES", "it": "it_IT", "nl": "nl_NL",
           "pt": "pt_PT"}

FIRST_DATE = datetime.date(1900, 1, 1)
LAST_DATE = datetime.date(2099, 12, 31)
# Babel 2.18 has no long name for hours in Dutch nor for days, months and years in Italian and
# Portuguese (it writes the unit's id instead), so only units every language names are listed.
UNITS = ("length-kilometer", "length-meter", "length-centimeter", "length-mile", "mass-kilogram", "mass-gram",
         "mass-pound", "volume-liter", "volume-milliliter", "duration-minute", "duration-week",
         "temperature-celsius", "speed-kilometer-per-hour")
CURRENCIES = ("EUR", "USD", "GBP")
QUANTITY_INTEGERS = 1000  # 1 .. 1000
QUANTITY_DECIMALS = 900  # 0.1 .. 99.9 with a nonzero tenth, so 12.0 never repeats 12
MONEY_CENTS = (100, 1_000_000)  # 1.00 .. 9,999.99
DATE_KINDS = ("date", "quantity", "money")


@dataclass
class Pairs:
    """Source and target texts, a group name per pair, each pair's attribution, and what was changed."""

    sources: list[str]
    targets: list[str]
    groups: list[str]
    attributions: list[str]
    notices: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sources)


def group_order(name: str) -> tuple:
    """Sort key for group names: by their first number ("2 digits" before "10+"), then by kind."""
    number = re.search(r"\d+", name)
    if number:
        return (0, int(number.group()), name)
    kind = DATE_KINDS.index(name) if name in DATE_KINDS else len(DATE_KINDS)
    return (1, kind, name)


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise DataError(f"Unknown language {language!r}; choose one of {', '.join(LANGUAGES)}.")


def _check_pair_of_languages(source_language: str, target_language: str) -> None:
    _check_language(source_language)
    _check_language(target_language)
    if source_language == target_language:
        raise DataError(f"The source and target language are both {LANGUAGE_NAMES[source_language]}; "
                        "choose two different languages.")


def _check_sizes(train_size: int, val_size: int) -> None:
    if train_size < 1 or val_size < 1:
        raise DataError(f"Training and validation need at least one pair each (asked for {train_size:,} "
                        f"and {val_size:,}).")


def make_pairs(rows: list[tuple[str, str, str]], notices: list[str]) -> Pairs:
    return Pairs(sources=[row[0] for row in rows], targets=[row[1] for row in rows],
                 groups=[row[2] for row in rows], attributions=[""] * len(rows), notices=notices)


# --- number words --------------------------------------------------------------------------------

def number_words(number: int, language: str) -> str:
    """A number written out in words, English in the US style ("three hundred twenty-one")."""
    _check_language(language)
    words = num2words(number, lang=language).replace(",", "")
    if language == "en":
        words = re.sub(r"\band\b", "", words)  # num2words writes British English ("one hundred and one")
    return " ".join(words.split())


def _digits_group(number: int) -> str:
    return counted(len(str(abs(number))), "digit")


def _spread(total: int, caps: list[int]) -> list[int]:
    """`total` shared out as evenly as `caps` allow (water filling): small pools give all they have."""
    shares = [0] * len(caps)
    remaining = total
    open_pools = [index for index, cap in enumerate(caps) if cap > 0]
    while remaining > 0 and open_pools:
        each = max(1, remaining // len(open_pools))
        for index in list(open_pools):
            take = min(each, caps[index] - shares[index], remaining)
            shares[index] += take
            remaining -= take
            if shares[index] == caps[index]:
                open_pools.remove(index)
            if remaining == 0:
                break
    return shares


def number_splits(source_language: str, target_language: str, largest: int, train_size: int, val_size: int,
                  seed: int) -> tuple[Pairs, Pairs]:
    """Training and validation pairs of the numbers 0..largest in words, the two sets disjoint.

    Both splits spread over the numbers' lengths (as many 2-digit as 5-digit numbers where there are
    enough), so a model trained up to 99,999 still meets "twenty-one" and is scored on every length,
    rather than on the 90% of the range that has five digits. Validation takes `val_size` numbers (at
    most a fifth of the range, and of each length), training up to `train_size` of the rest; a
    shortfall is told in the notices of the split it concerns.
    """
    _check_pair_of_languages(source_language, target_language)
    _check_sizes(train_size, val_size)
    count = largest + 1
    if count < 5:
        raise DataError(f"The largest number is {largest}; it must be at least 4 so that some numbers are "
                        "left for validation.")
    val_count = min(val_size, count // 5)
    train_count = min(train_size, count - val_count)
    val_notices, train_notices = [], []
    span = f"0-{largest:,}"
    if val_count < val_size:
        val_notices.append(f"Validation uses {counted(val_count, 'number')}, a fifth of the {count:,} in {span}, "
                           f"not the {val_size:,} asked for.")
    if train_count < train_size:
        train_notices.append(f"The range {span} leaves {counted(train_count, 'number')} for training, fewer than "
                             f"the {train_size:,} asked for.")
    pools = [range(0 if digits == 1 else 10 ** (digits - 1), min(10 ** digits, count))
             for digits in range(1, len(str(largest)) + 1)]
    fifths = [len(pool) // 5 for pool in pools]
    val_shares = _spread(val_count, fifths)
    # Rounding each length's fifth down can leave validation short of a fifth of the whole range.
    room = [len(pool) - share for pool, share in zip(pools, val_shares)]
    val_shares = [share + extra for share, extra in zip(val_shares, _spread(val_count - sum(val_shares), room))]
    train_shares = _spread(train_count, [len(pool) - share for pool, share in zip(pools, val_shares)])
    randomness = random.Random(seed)
    val_numbers, train_numbers = [], []
    # Sampling without replacement keeps the two splits disjoint and costs nothing for a big range.
    for pool, val_share, train_share in zip(pools, val_shares, train_shares):
        chosen = randomness.sample(pool, val_share + train_share)
        val_numbers += chosen[:val_share]
        train_numbers += chosen[val_share:]
    randomness.shuffle(val_numbers)
    randomness.shuffle(train_numbers)

    def rows(chosen: list[int]) -> list[tuple[str, str, str]]:
        return [(number_words(number, source_language), number_words(number, target_language),
                 _digits_group(number)) for number in chosen]

    return make_pairs(rows(train_numbers), train_notices), make_pairs(rows(val_numbers), val_notices)


# --- dates, quantities and money -----------------------------------------------------------------

def _plain(text: str) -> str:
    """CLDR's no-break spaces as ordinary ones, as a person typing a phrase writes them."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _date(index: int, locale: Locale) -> str:
    return format_date(FIRST_DATE + datetime.timedelta(days=index), format="long", locale=locale)


def _quantity(index: int, locale: Locale) -> str:
    value_index, unit_index = divmod(index, len(UNITS))
    if value_index < QUANTITY_INTEGERS:
        value = Decimal(value_index + 1)
    else:
        decimal = value_index - QUANTITY_INTEGERS
        value = Decimal(decimal // 9 * 10 + decimal % 9 + 1).scaleb(-1)
    return format_unit(value, UNITS[unit_index], length="long", locale=locale)


def _money(index: int, locale: Locale) -> str:
    cents, currency = divmod(index, len(CURRENCIES))
    return format_currency(Decimal(MONEY_CENTS[0] + cents).scaleb(-2), CURRENCIES[currency], locale=locale)


# Each kind: how many different phrases it has, and the phrase of one of them in a locale.
_KINDS = {
    "date": ((LAST_DATE - FIRST_DATE).days + 1, _date),
    "quantity": ((QUANTITY_INTEGERS + QUANTITY_DECIMALS) * len(UNITS), _quantity),
    "money": ((MONEY_CENTS[1] - MONEY_CENTS[0]) * len(CURRENCIES), _money),
}


def _shares(total: int) -> list[int]:
    """`total` split as evenly as it goes over the kinds, the first kinds taking the remainder."""
    return [total // len(DATE_KINDS) + (position < total % len(DATE_KINDS)) for position in range(len(DATE_KINDS))]


def date_splits(source_language: str, target_language: str, train_size: int, val_size: int,
                seed: int) -> tuple[Pairs, Pairs]:
    """Training and validation pairs of dates, quantities and money, mixed in even shares.

    Each kind draws distinct items without replacement, validation first, so no validation source
    text is ever a training one.
    """
    _check_pair_of_languages(source_language, target_language)
    _check_sizes(train_size, val_size)
    locales = (Locale.parse(LOCALES[source_language]), Locale.parse(LOCALES[target_language]))
    generator = random.Random(seed)
    train_rows, val_rows, notices = [], [], []
    for kind, train_count, val_count in zip(DATE_KINDS, _shares(train_size), _shares(val_size)):
        space, phrase = _KINDS[kind]
        if val_count + train_count > space:
            notices.append(f"There are only {space:,} different {kind} phrases; training uses "
                           f"{space - val_count:,} of them, not {train_count:,}.")
            train_count = space - val_count
        chosen = generator.sample(range(space), val_count + train_count)
        rows = [(_plain(phrase(index, locales[0])), _plain(phrase(index, locales[1])), kind) for index in chosen]
        val_rows += rows[:val_count]
        train_rows += rows[val_count:]
    # Distinct items read differently in every checked locale; this keeps the promise if CLDR changes.
    val_sources = {row[0] for row in val_rows}
    train_rows = [row for row in train_rows if row[0] not in val_sources]
    generator.shuffle(train_rows)
    generator.shuffle(val_rows)
    return make_pairs(train_rows, notices), make_pairs(val_rows, [])
