"""The translation task's sentence pairs: number words and CLDR phrases are aligned, seeded and split
without overlap, and a user's file of pairs is read with a clear message for each way it is wrong."""

from __future__ import annotations

import collections
import datetime
import re
from decimal import Decimal

import pytest
from babel.dates import format_date
from hypothesis import given, settings, strategies

from core.tasks.translation import pair_files, phrases
from core.tasks.translation.pair_files import read_pairs
from core.tasks.translation.phrases import DataError, date_splits, number_splits, number_words

# --- number words --------------------------------------------------------------------------------

@pytest.mark.parametrize("number, language, words", [
    (21, "de", "einundzwanzig"),
    (97, "de", "siebenundneunzig"),
    (321, "de", "dreihunderteinundzwanzig"),
    (80, "fr", "quatre-vingts"),
    (97, "fr", "quatre-vingt-dix-sept"),
    (321, "en", "three hundred twenty-one"),
    (101, "en", "one hundred one"),
    (1234, "en", "one thousand two hundred thirty-four"),
])
def test_number_words_read_as_people_write_them(number, language, words):
    assert number_words(number, language) == words


@settings(max_examples=60, deadline=None)
@given(strategies.integers(min_value=0, max_value=10**7))
def test_english_has_no_and_and_no_language_has_commas(number):
    assert "and" not in number_words(number, "en").split()
    for language in phrases.LANGUAGES:
        words = number_words(number, language)
        assert "," not in words and "  " not in words and words == words.strip()


def test_every_language_is_named_and_has_a_locale():
    assert {"en", "de", "fr", "es", "it", "nl", "pt"} <= set(phrases.LANGUAGES)
    assert set(phrases.LANGUAGE_NAMES) == set(phrases.LOCALES) == set(phrases.LANGUAGES)


def _numbers_of(pairs, language="en", largest=99_999):
    """The number behind each source text, read back by spelling every number in range."""
    lookup = {number_words(number, language): number for number in range(largest + 1)}
    return [lookup[source] for source in pairs.sources]


def test_number_pairs_are_aligned_and_grouped_by_digits():
    train, val = number_splits("en", "de", 9999, 600, 200, seed=3)
    for pairs in (train, val):
        numbers = _numbers_of(pairs, largest=9999)
        assert pairs.targets == [number_words(number, "de") for number in numbers]
        assert pairs.groups == [f"{len(str(number))} digit{'s' if number > 9 else ''}" for number in numbers]
        assert pairs.attributions == [""] * len(pairs)


def test_number_sizes_are_honoured_when_the_range_is_big_enough():
    train, val = number_splits("en", "fr", 9999, 1000, 200, seed=0)
    assert (len(train), len(val)) == (1000, 200)
    assert train.notices == [] and val.notices == []


def test_a_small_range_gives_fewer_training_numbers_and_says_so():
    train, val = number_splits("en", "de", 999, 2000, 200, seed=0)
    assert (len(train), len(val)) == (800, 200)
    assert len(train.notices) == 1 and "800" in train.notices[0] and "2,000" in train.notices[0]


def test_validation_takes_at_most_a_fifth_of_the_range():
    train, val = number_splits("en", "de", 99, 100, 50, seed=0)
    assert (len(train), len(val)) == (80, 20)
    assert len(val.notices) == 1 and "20" in val.notices[0] and "50" in val.notices[0]


@settings(max_examples=25, deadline=None)
@given(largest=strategies.integers(min_value=4, max_value=3000), train_size=strategies.integers(1, 3000),
       val_size=strategies.integers(1, 600), seed=strategies.integers(0, 2**32))
def test_number_splits_never_share_a_number(largest, train_size, val_size, seed):
    train, val = number_splits("de", "en", largest, train_size, val_size, seed)
    assert set(train.sources).isdisjoint(val.sources)
    assert len(set(train.sources)) == len(train) and len(set(val.sources)) == len(val)
    assert len(val) == min(val_size, (largest + 1) // 5)
    assert len(train) == min(train_size, largest + 1 - len(val))


def test_number_splits_spread_over_the_lengths_of_the_numbers():
    train, val = number_splits("en", "de", 99999, 4000, 200, seed=0)
    val_lengths, train_lengths = collections.Counter(val.groups), collections.Counter(train.groups)
    # Validation: a fifth of the 10 one-digit and 90 two-digit numbers, the rest shared evenly.
    assert [val_lengths[f"{d} digit{'s' if d > 1 else ''}"] for d in range(1, 6)] == [2, 18, 60, 60, 60]
    # Training: every remaining short number, then even shares of what is left to ask for.
    assert train_lengths["1 digit"] == 8 and train_lengths["2 digits"] == 72 and train_lengths["3 digits"] == 840
    assert train_lengths["4 digits"] == train_lengths["5 digits"] == (4000 - 8 - 72 - 840) // 2


def test_number_splits_follow_the_seed():
    first, again, other = (number_splits("en", "de", 999, 500, 100, seed) for seed in (1, 1, 2))
    assert first[0] == again[0] and first[1] == again[1]
    assert set(first[1].sources) != set(other[1].sources)


@pytest.mark.parametrize("source, target, words", [
    ("de", "de", "both German"),
    ("en", "xx", "'xx'"),
])
def test_bad_languages_are_refused_in_one_sentence(source, target, words):
    with pytest.raises(DataError, match=words) as error:
        number_splits(source, target, 999, 100, 10, seed=0)
    assert str(error.value).count(".") == 1
    with pytest.raises(DataError):
        date_splits(source, target, 100, 10, seed=0)


# --- dates, quantities and money -----------------------------------------------------------------

def test_date_splits_sizes_kinds_and_disjoint_sources():
    train, val = date_splits("en", "fr", 4000, 400, seed=0)
    assert (len(train), len(val)) == (4000, 400)
    assert set(train.sources).isdisjoint(val.sources)
    assert len(set(train.sources)) == len(train)
    assert sorted(train.groups.count(kind) for kind in phrases.DATE_KINDS) == [1333, 1333, 1334]
    assert set(val.groups) == {"date", "quantity", "money"}


def test_date_splits_follow_the_seed():
    first, again, other = (date_splits("en", "de", 300, 60, seed) for seed in (5, 5, 6))
    assert first[0] == again[0] and first[1] == again[1]
    assert set(first[1].sources) != set(other[1].sources)


def _amount(text: str, decimal_mark: str) -> Decimal:
    """The number in a quantity or a price, written with a locale's decimal mark."""
    digits = re.search(r"\d[\d.,' ]*", text).group().strip()
    thousands = "," if decimal_mark == "." else "."
    return Decimal(digits.replace(thousands, "").replace(" ", "").replace(decimal_mark, "."))


def test_dates_quantities_and_money_are_aligned():
    train, _ = date_splits("en", "de", 600, 60, seed=1)
    for source, target, group in zip(train.sources, train.targets, train.groups):
        if group == "date":
            day = datetime.datetime.strptime(source, "%B %d, %Y").date()
            assert datetime.date(1900, 1, 1) <= day <= datetime.date(2099, 12, 31)
            assert target == format_date(day, format="long", locale="de_DE")
        else:
            assert _amount(source, ".") == _amount(target, ","), (source, target)


def test_known_phrases_in_long_form():
    train, _ = date_splits("en", "de", 3000, 30, seed=0)
    pairs = dict(zip(train.sources, train.targets))
    dates = [source for source, group in zip(train.sources, train.groups) if group == "date"]
    assert all(re.fullmatch(r"[A-Z][a-z]+ \d{1,2}, (19|20)\d\d", source) for source in dates)
    kilometers = [source for source in pairs if source.endswith(" kilometers")]
    assert kilometers and all(pairs[source].endswith(" Kilometer") for source in kilometers)


@pytest.mark.parametrize("language", [language for language in phrases.LANGUAGES if language != "en"])
def test_every_language_names_its_units_and_uses_plain_spaces(language):
    train, val = date_splits(language, "en", 1500, 150, seed=0)
    for text in train.sources + train.targets + val.sources:
        assert "\u00a0" not in text and "\u202f" not in text
        assert not re.search(r"\b(length|mass|volume|duration|temperature|speed)-", text), text
    assert set(train.sources).isdisjoint(val.sources)


def test_groups_sort_in_numeric_order():
    names = ["11+ words", "4-6 words", "1-3 words", "7-10 words"]
    assert sorted(names, key=phrases.group_order) == ["1-3 words", "4-6 words", "7-10 words", "11+ words"]
    digits = ["4+ digits", "10+", "2 digits", "1 digit"]
    assert sorted(digits, key=phrases.group_order) == ["1 digit", "2 digits", "4+ digits", "10+"]
    assert sorted(["money", "quantity", "date"], key=phrases.group_order) == ["date", "quantity", "money"]


# --- the user's pairs ----------------------------------------------------------------------------

ANKI_LINE = "Go.\tGeh.\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM) & #8597805 (Roujin)"


def pair_lines(count: int, start: int = 0) -> list[str]:
    return [f"Sentence number {index}.\tSatz Nummer {index}.\tCC-BY 2.0 (France) #{index}"
            for index in range(start, start + count)]


def as_file(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_a_good_file_keeps_pairs_attribution_and_groups():
    pairs = read_pairs(as_file([ANKI_LINE] + pair_lines(60)))
    assert len(pairs) == 61 and pairs.notices == []
    assert (pairs.sources[0], pairs.targets[0]) == ("Go.", "Geh.")
    assert pairs.attributions[0] == ANKI_LINE.split("\t")[2]
    assert pairs.attributions[5] == "CC-BY 2.0 (France) #4"
    assert pairs.groups[0] == "1-3 words" and pairs.groups[1] == "1-3 words"
    assert pair_files.length_group("one two three four five six seven eight nine ten eleven") == "11+ words"
    assert pair_files.length_group("one two three four") == "4-6 words"


def test_a_pair_without_attribution_has_an_empty_one():
    pairs = read_pairs(as_file([line.rsplit("\t", 1)[0] for line in pair_lines(50)]), min_pairs=50)
    assert pairs.attributions == [""] * 50


@pytest.mark.parametrize("content, words", [
    ("Café\tCafé\n".encode("latin-1") * 60, "not UTF-8"),
    ("Go.\tGeh.\n".encode("utf-16"), "UTF-16"),
    (b"Go.\tGeh.\x00\x01\n" * 60, "binary"),
    (b"", "empty"),
    (b"\n  \n\r\n", "empty"),
    (b"Go.,Geh.\nHi.,Hallo.\n", "not tab-separated.*comma"),
    (b"Go. Geh.\nHi. Hallo.\n", "not tab-separated"),
])
def test_unreadable_files_are_refused_in_one_sentence(content, words):
    with pytest.raises(DataError, match=words) as error:
        read_pairs(content)
    assert "\n" not in str(error.value) and str(error.value).endswith(".")


def test_a_file_over_the_limit_names_its_size_and_the_limit():
    content = as_file(pair_lines(60))
    assert 2560 <= len(content) < 3584  # shown as "3 KB"
    with pytest.raises(DataError, match=r"is 3 KB, over the limit of 1000 bytes"):
        read_pairs(content, max_bytes=1000)
    assert len(read_pairs(content, max_bytes=len(content))) == 60


def test_too_few_pairs_says_how_many_and_how_many_are_needed():
    with pytest.raises(DataError, match=r"has 10 usable pairs.*at least 50"):
        read_pairs(as_file(pair_lines(10)))


def test_too_few_pairs_says_what_was_dropped():
    lines = pair_lines(5) + ["no tab on this line"] * 3 + ["\tan empty source"]
    with pytest.raises(DataError) as error:
        read_pairs(as_file(lines), min_pairs=10)
    message = str(error.value)
    assert "5 usable pairs" in message and "10" in message
    assert "3 lines without a tab" in message and "line 6" in message
    assert "1 line with an empty source or target" in message and "line 9" in message


def test_lines_without_a_tab_or_with_an_empty_side_are_dropped_and_told():
    lines = pair_lines(3) + ["just one sentence"] + pair_lines(50, start=3) + ["Hello.\t  ", "\tHallo."]
    pairs = read_pairs(as_file(lines))
    assert len(pairs) == 53
    assert "Dropped 1 line without a tab between source and target; the first is line 4." in pairs.notices
    assert "Dropped 2 lines with an empty source or target; the first is line 55." in pairs.notices


def test_long_lines_are_dropped_and_told():
    long_line = "word " * 70 + "\t" + "Wort " * 10
    pairs = read_pairs(as_file(pair_lines(2) + [long_line] + pair_lines(50, start=2)))
    assert len(pairs) == 52 and all(len(source) < 300 for source in pairs.sources)
    notice = [notice for notice in pairs.notices if "longer than" in notice]
    assert notice == [f"Dropped 1 line longer than {pair_files.MAX_LINE_CHARS} characters "
                      "(not counting the attribution); the first is line 3."]


def test_duplicates_are_dropped_after_collapsing_spacing_and_the_first_is_kept():
    lines = pair_lines(50) + ["Sentence  number 0.\tSatz Nummer 0.\tsomeone else", "Sentence number 1.\tSatz Nummer 1."]
    pairs = read_pairs(as_file(lines + ["Sentence number 1.\tSatz Nummer eins."]))
    assert len(pairs) == 51
    assert pairs.attributions[0] == "CC-BY 2.0 (France) #0"
    assert "Dropped 2 duplicate pairs; the first of each is kept." in pairs.notices
    assert "Satz Nummer eins." in pairs.targets  # same source, other target: a pair of its own


def test_spacing_inside_a_text_is_collapsed():
    pairs = read_pairs(as_file(["  Good   morning.\tGuten\u00a0 Morgen.  "] + pair_lines(50)))
    assert (pairs.sources[0], pairs.targets[0]) == ("Good morning.", "Guten Morgen.")


def test_many_pairs_are_sampled_by_seed_and_told():
    content = as_file(pair_lines(500))
    first, again, other = (read_pairs(content, max_pairs=100, seed=seed) for seed in (0, 0, 1))
    assert len(first) == 100 and first == again and first.sources != other.sources
    assert "Sampled 100 of 500 pairs (seed 0)." in first.notices
    order = [int(source.split()[-1].rstrip(".")) for source in first.sources]
    assert order == sorted(order)  # the sample keeps the file's order
    assert all(f"#{number}" in attribution for number, attribution in zip(order, first.attributions))


@pytest.mark.parametrize("header", ["source\ttarget", "English\tGerman\tattribution", "en\tde", "SRC:\tTGT:"])
def test_a_header_line_is_dropped_and_told(header):
    pairs = read_pairs(as_file([header] + pair_lines(50)))
    assert len(pairs) == 50 and pairs.sources[0] == "Sentence number 0."
    assert any("as a header" in notice for notice in pairs.notices)


def test_a_first_pair_that_looks_like_words_is_not_a_header():
    pairs = read_pairs(as_file(["Source.\tQuelle.", "text\ttexte"] + pair_lines(50)))
    assert pairs.sources[:2] == ["Source.", "text"] and pairs.notices == []


def test_anki_export_settings_are_dropped_and_told():
    pairs = read_pairs(as_file(["#separator:tab", "#html:false"] + pair_lines(50)))
    assert len(pairs) == 50
    assert any("2 lines of Anki export settings" in notice for notice in pairs.notices)


def test_tatoeba_layout_keeps_its_ids_as_attribution():
    lines = [f"{index}\tSentence {index}.\t{index + 1000}\tSatz {index}." for index in range(50)]
    pairs = read_pairs(as_file(lines))
    assert (pairs.sources[3], pairs.targets[3]) == ("Sentence 3.", "Satz 3.")
    assert pairs.attributions[3] == "tatoeba.org #3 & #1003"
    assert any("Tatoeba's layout" in notice for notice in pairs.notices)


def test_windows_line_ends_and_a_byte_order_mark_are_read():
    content = "\ufeff".encode("utf-8") + "\r\n".join(pair_lines(50)).encode("utf-8")
    pairs = read_pairs(content)
    assert len(pairs) == 50 and pairs.sources[0] == "Sentence number 0." and pairs.notices == []


def test_the_sources_note_names_where_and_the_licence():
    assert "tatoeba.org" in pair_files.PAIR_SOURCES_NOTE and "manythings.org/anki" in pair_files.PAIR_SOURCES_NOTE
    assert "CC-BY 2.0 France" in pair_files.PAIR_SOURCES_NOTE and "attribution" in pair_files.PAIR_SOURCES_NOTE


def test_validation_sources_stay_out_of_training_even_when_items_read_alike(monkeypatch):
    # Should a CLDR update ever spell two items the same, the split must still not leak.
    monkeypatch.setitem(phrases._KINDS, "quantity", (1000, lambda index, locale: f"{index % 40} things"))
    train, val = date_splits("en", "de", 300, 30, seed=0)
    assert set(train.sources).isdisjoint(val.sources)
    assert any(source.endswith(" things") for source in train.sources)
