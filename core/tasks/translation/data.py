"""The translation task: an encoder-decoder learns to translate, with and without attention.

Pairs come from `core.tasks.translation.phrases`: English number words into German, French, Spanish and more
(German puts units before tens and French counts in twenties, so alignments cross), dates and
quantities written by CLDR's rules through Babel, or the user's own tab-separated pairs. Each side
is cut into SentencePiece pieces (one vocabulary per language, or one shared). The `Translation`
problem builds a `core.nn.seq2seq.Seq2Seq` per model name ("lstm+additive"), scores it by exact match
and chrF (sacrebleu) of what it decodes, and records the attention map of one probe example at
every probe, so the page can show alignment being learned.

Defaults (English to German, 0-99,999 sampled evenly over lengths, 120 pieces per side, an LSTM
with and without additive attention, 600 steps of 64 pairs) were chosen by measuring with
bench/translation_bench.py: the attention model passes 0.95 exact match by step 200-300.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from core.data import tokens
from core.data.tables import counted
from core.nn.cells import VARIANT_MARK, ModelConfig
from core.nn.problems import EVAL_BATCH, Evaluation, evaluate_model, evaluating
from core.nn.seq2seq import Hypothesis, Seq2Seq, build_seq2seq
from core.tasks.base import DataError, TaskData
from core.tasks.translation import pair_files, phrases
from core.tasks.translation.config import FORMATS, TranslationTaskConfig

VAL_SIZE = 200
PROBE_SIZE = 32
# Validation sentences whose translations are recorded at each probe, to show them improving.
EXAMPLES = 3
# Validation pairs of a file decoded at each evaluation during training (all of them at the end).
VAL_SAMPLE = 200
# Longer texts are cut to this many pieces: the demo's models are small and train live.
MAX_PIECES = 40
IGNORED = -100
# Vocabulary sizes that "0" stands for, by source. Measured on number words: 120 pieces ("vier",
# "und", "zwanzig") generalise to unseen numbers far better than 400 whole-word pieces (with 400, the
# attention model ended at 0.82 exact match after 1500 steps; with 120 it passed 0.95 by step 300).
# Sentences need far more pieces, or 40 pieces would not hold a short sentence.
AUTOMATIC_VOCABULARY = {"numbers": 120, "dates": 400, "sentences": 2000, "upload": 4000}
# Both sides keep their case and spacing: the decoder writes "3. März 1999" as a reader expects it,
# and exact match and chrF compare that same text with the reference (tidied quotes and spaces only).
TEXT_FORM = "written"
SOURCE_NOTES = {
    "numbers": "number words written by num2words 0.5.14 (LGPL-2.1)",
    "dates": "dates, quantities and prices written by CLDR's rules through Babel 2.18 (BSD; CLDR data under "
             "the Unicode licence)",
    "sentences": "short everyday English-German sentences from the Tatoeba Project (tatoeba.org, CC-BY 2.0 FR), "
                 "by way of manythings.org/anki",
}


@dataclass
class TranslationCodec:
    """Each side's tokenizer, and the ids the decoder adds: end of sentence after the target's pieces."""

    source: tokens.Tokenizer
    target: tokens.Tokenizer

    @property
    def end(self) -> int:
        return self.target.vocab_size

    def encode_sources(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Piece ids (n, S) padded with 0 and lengths (n,), cut to MAX_PIECES."""
        inputs, lengths = self.source.encode_batch(texts, MAX_PIECES)
        return inputs, lengths

    def encode_targets(self, texts: list[str]) -> torch.Tensor:
        """Targets (n, T): the pieces, then the end id, then IGNORED padding."""
        rows = [self.target.encode(text)[:MAX_PIECES] + [self.end] for text in texts]
        width = max((len(row) for row in rows), default=1)
        targets = torch.full((len(rows), width), IGNORED, dtype=torch.long)
        for index, row in enumerate(rows):
            targets[index, : len(row)] = torch.tensor(row, dtype=torch.long)
        return targets

    def decode(self, ids: list[int]) -> str:
        return self.target.decode([i for i in ids if i < self.end])

    def target_pieces(self, ids: list[int]) -> list[str]:
        """Readable pieces of decoded ids, with "</s>" for the end of sentence."""
        return ["</s>" if i == self.end else self.target.piece(i).replace(tokens.WORD_START, "▁") for i in ids]

    def source_pieces(self, text: str) -> list[str]:
        return [piece for piece, _, _ in self.source.pieces(text)][:MAX_PIECES]


def chrf(hypotheses: list[str], references: list[str]) -> float:
    """Corpus chrF (0-100) by sacrebleu, the standard implementation, so scores compare with papers."""
    from sacrebleu.metrics import CHRF  # imported on use: only translation runs pay for it

    if not hypotheses:
        return 0.0
    return float(CHRF().corpus_score(hypotheses, [references]).score)


def exact_matches(hypotheses: list[str], references: list[str]) -> list[bool]:
    """Whether each decoded text is its reference exactly (both in the written form)."""
    return [hypothesis == reference for hypothesis, reference in zip(hypotheses, references)]


def counted_by_group(flags: list[bool], groups: dict[str, torch.Tensor]) -> dict[str, tuple[int, int]]:
    """Per validation group, how many of its pairs have the flag set, and how many pairs it has."""
    return {name: (sum(flag for flag, keep in zip(flags, mask.tolist()) if keep), int(mask.sum()))
            for name, mask in groups.items()}


def _lengths(data: TaskData, part: slice) -> torch.Tensor | None:
    """The source lengths of a part of the validation split (None where the data has none)."""
    return data.val_lengths[part] if data.val_lengths is not None else None


def bleu(hypotheses: list[str], references: list[str]) -> float:
    """Corpus BLEU (0-100) by sacrebleu with its standard 13a tokenisation, beside chrF as papers report it."""
    from sacrebleu.metrics import BLEU

    if not hypotheses:
        return 0.0
    return float(BLEU().corpus_score(hypotheses, [references]).score)


def sentence_chrf(hypothesis: str, reference: str) -> float:
    from sacrebleu.metrics import CHRF

    return float(CHRF().sentence_score(hypothesis, [reference]).score)


@dataclass(frozen=True)
class Translation:
    """Sequence to sequence: an encoder-decoder per model name, scored by exact match and chrF."""

    teacher_forcing: float
    beam_width: int
    max_length: int
    # Real sentences: BLEU beside chrF at each evaluation (on one- to three-word number phrases it
    # says little) and a few validation sentences decoded at each probe. Number runs keep the record
    # they always had.
    sentences: bool = False

    def build_model(self, data: TaskData, name: str, config: ModelConfig, seed: int) -> Seq2Seq:
        cell, _, attention = name.partition(VARIANT_MARK)
        codec: TranslationCodec = data.codec
        return build_seq2seq(cell, codec.source.vocab_size, codec.target.vocab_size, data.input_size,
                             config.hidden_size, config.num_layers, config.dropout, attention or "none",
                             self.teacher_forcing, config.forget_bias, seed)

    @torch.no_grad()
    def decode(self, model: Seq2Seq, inputs: torch.Tensor, lengths: torch.Tensor | None,
               width: int | None = None) -> list[list[Hypothesis]]:
        """Each example's best hypotheses (just one when greedy), best first, in eval mode."""
        width = width or self.beam_width
        results: list[list[Hypothesis]] = []
        with evaluating(model):
            for start in range(0, inputs.shape[0], EVAL_BATCH):
                chunk = slice(start, start + EVAL_BATCH)
                part_lengths = lengths[chunk] if lengths is not None else None
                if width == 1:
                    results += [[best] for best in model.greedy(inputs[chunk], part_lengths, self.max_length)]
                else:
                    results += model.beam_search(inputs[chunk], part_lengths, width, self.max_length)
        return results

    def translate(self, model: Seq2Seq, codec: TranslationCodec, inputs: torch.Tensor,
                  lengths: torch.Tensor | None, width: int | None = None) -> list[str]:
        return [codec.decode(best[0].tokens) for best in self.decode(model, inputs, lengths, width)]

    def evaluate(self, model: nn.Module, data: TaskData, limit: int | None = None) -> Evaluation:
        """Validation loss, exact match of the decoded text, chrF (and BLEU), and exact match per group,
        on the first `limit` validation pairs (None: all of them)."""
        part = slice(0, limit)
        # The trainer's own batched evaluation gives the teacher-forced loss per target piece.
        loss, _ = evaluate_model(model, data.val_inputs[part], data.val_targets[part], _lengths(data, part))
        # Greedy, whatever the beam width: a run's curves must not depend on a setting that only
        # reads the trained model (core/settings/fields.py `reading`); the page re-decodes with the beam.
        hypotheses, references = self.validation_texts(model, data, 1, limit)
        hits = exact_matches(hypotheses, references)
        masks = {name: mask[part] for name, mask in data.val_groups.items()}
        groups = {name: count / max(total, 1) for name, (count, total) in counted_by_group(hits, masks).items()}
        scores = {"chrF": chrf(hypotheses, references)}
        if self.sentences:
            scores["BLEU"] = bleu(hypotheses, references)
        return Evaluation(loss, sum(hits) / max(len(hits), 1), scores=scores, groups=groups)

    def validation_texts(self, model: nn.Module, data: TaskData, width: int,
                         limit: int | None = None) -> tuple[list[str], list[str]]:
        """The first `limit` validation pairs (None: all) decoded with `width` hypotheses, and their references."""
        part = slice(0, limit)
        return (self.translate(model, data.codec, data.val_inputs[part], _lengths(data, part), width),
                data.info["val_references"][part])

    def validation_scores(self, model: nn.Module, data: TaskData, width: int) -> tuple[list[bool], float, float]:
        """Each validation pair's exact hit, exact match and chrF, decoded with `width` hypotheses."""
        hypotheses, references = self.validation_texts(model, data, width)
        hits = exact_matches(hypotheses, references)
        return hits, sum(hits) / max(len(hits), 1), chrf(hypotheses, references)

    def score(self, model: nn.Module, data: TaskData, inputs: torch.Tensor, targets: torch.Tensor,
              lengths: torch.Tensor | None, dataset: phrases.Pairs) -> dict[str, float]:
        """Exact match and chrF on other pairs (an evaluation file), against their own target texts."""
        hypotheses = self.translate(model, data.codec, inputs, lengths)
        wanted = [tokens.normalise(text, TEXT_FORM) for text in dataset.targets]
        hits = exact_matches(hypotheses, wanted)
        return {"exact": sum(hits) / max(len(hits), 1), "chrf": chrf(hypotheses, wanted),
                "bleu": bleu(hypotheses, wanted)}

    @torch.no_grad()
    def probe_maps(self, model: nn.Module, data: TaskData) -> dict[str, list[list[float]]]:
        """The attention of the first probe example (target pieces x source pieces), teacher forced; for
        real sentences also the pieces the model writes for the first EXAMPLES validation sentences."""
        maps = self._attention_map(model, data)
        if self.sentences:
            written = self.decode(model, data.probe_inputs[:EXAMPLES], data.probe_lengths[:EXAMPLES], width=1)
            maps["examples"] = [[float(token) for token in best[0].tokens] for best in written]
        return maps

    def _attention_map(self, model: nn.Module, data: TaskData) -> dict[str, list[list[float]]]:
        source_length = int(data.probe_lengths[0])
        target_length = int((data.probe_targets[0] != IGNORED).sum())
        with evaluating(model):
            weights = model.attention_map(data.probe_inputs[:1, :source_length], data.probe_lengths[:1],
                                          data.probe_targets[:1, :target_length])
        if weights is None:
            return {}
        return {"attention": [[round(float(value), 5) for value in row] for row in weights[0]]}

    def describe_example(self, model: nn.Module, data: TaskData, index: int, inputs: torch.Tensor) -> str:
        [best] = self.decode(model, inputs, torch.tensor([inputs.shape[1]]), width=1)
        written = data.codec.decode(best[0].tokens)
        reference = data.info["val_references"][index]
        verdict = "exactly right" if written == reference else f"chrF {sentence_chrf(written, reference):.0f}"
        return (f"Example {index}: “{data.info['val_sources'][index]}” should become “{reference}”; "
                f"the model wrote “{written}” ({verdict}).")


def read_file(format: str, content: bytes) -> phrases.Pairs:
    """The user's tab-separated pairs (see `pair_files.read_pairs` for every check)."""
    if format not in FORMATS:
        raise DataError(f"Unknown file format {format!r}; the translation task reads {', '.join(FORMATS)} files.")
    return pair_files.read_pairs(content)


def check_training_file(pairs: phrases.Pairs) -> phrases.Pairs:
    """Pairs have no classes to balance; `pair_files.read_pairs` already refused too few of them."""
    return pairs


def encode_file(data: TaskData, pairs: phrases.Pairs) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Another file's pairs as (sources, targets, lengths) for a trained run's vocabularies."""
    inputs, lengths = data.codec.encode_sources(pairs.sources)
    return inputs, data.codec.encode_targets(pairs.targets), lengths


def splits(config: TranslationTaskConfig, seed: int) -> tuple[phrases.Pairs, phrases.Pairs]:
    """Training and validation pairs of the configured source (disjoint)."""
    if config.source == "numbers":
        return phrases.number_splits(config.source_language, config.target_language, config.largest,
                                     config.train_size, VAL_SIZE, seed)
    if config.source == "dates":
        return phrases.date_splits(config.source_language, config.target_language, config.train_size,
                                   VAL_SIZE, seed)
    if config.source in pair_files.PAIR_FILES:
        return pair_files.file_splits(config, seed)
    raise DataError(f"Unknown source {config.source!r}; choose numbers, dates or upload.")


def vocabulary_size(config: TranslationTaskConfig) -> int:
    return config.vocab_size or AUTOMATIC_VOCABULARY.get(config.source, 400)


def _codec(config: TranslationTaskConfig, train: phrases.Pairs) -> TranslationCodec:
    size = vocabulary_size(config)
    if config.vocabulary == "shared":
        shared = tokens.build_tokenizer(train.sources + train.targets, size, config.tokenizer, TEXT_FORM)
        return TranslationCodec(shared, shared)
    return TranslationCodec(tokens.build_tokenizer(train.sources, size, config.tokenizer, TEXT_FORM),
                            tokens.build_tokenizer(train.targets, size, config.tokenizer, TEXT_FORM))


def _group_masks(groups: list[str]) -> dict[str, torch.Tensor]:
    names = sorted(set(groups), key=phrases.group_order)
    return {name: torch.tensor([group == name for group in groups]) for name in names} if len(names) > 1 else {}


def build(config: TranslationTaskConfig, seed: int) -> TaskData:
    """Seeded, disjoint training and validation pairs as piece ids; the first validation pairs probe."""
    train, val = splits(config, seed)
    codec = _codec(config, train)
    train_inputs, train_lengths = codec.encode_sources(train.sources)
    val_inputs, val_lengths = codec.encode_sources(val.sources)
    train_targets, val_targets = codec.encode_targets(train.targets), codec.encode_targets(val.targets)
    longest = max(train_targets.shape[1], val_targets.shape[1])
    references = [tokens.normalise(text, TEXT_FORM) for text in val.targets]
    sources = [tokens.normalise(text, TEXT_FORM) for text in val.sources]
    notices = [*train.notices, *val.notices, *codec.source.notices]
    if codec.target is not codec.source:
        notices += codec.target.notices
    cut = sum(len(codec.source.encode(text)) > MAX_PIECES for text in train.sources + val.sources)
    if cut:
        notices.append(f"{counted(cut, 'source text')} are longer than {MAX_PIECES} pieces; only their first "
                       "pieces are read.")
    attributions = [text for text in train.attributions + val.attributions if text]
    info = {
        "source": config.source, "origin": SOURCE_NOTES.get(config.source, "your file of sentence pairs"),
        "train_size": len(train), "val_size": len(val), "notices": notices,
        "source_vocab": codec.source.vocab_size, "target_vocab": codec.target.vocab_size,
        "shared_vocabulary": codec.target is codec.source,
        "val_sources": sources, "val_references": references,
        "train_examples": list(zip(train.sources[:8], train.targets[:8])),
        # Writing the source out unchanged: what a model must beat to have learned anything.
        "copy_chrf": chrf(sources, references),
        "attributed": len(attributions), "attribution_example": attributions[0] if attributions else "",
    }
    probe = slice(0, min(PROBE_SIZE, len(val)))
    pairs_file = config.source in pair_files.PAIR_FILES
    problem = Translation(config.teacher_forcing, config.beam_width, max_length=min(2 * longest + 2, 2 * MAX_PIECES),
                          sentences=pairs_file)
    return TaskData(
        train_inputs=train_inputs, train_targets=train_targets,
        val_inputs=val_inputs, val_targets=val_targets,
        probe_inputs=val_inputs[probe], probe_targets=val_targets[probe],
        input_size=config.embedding_size, num_classes=codec.end + 1, metric="exact match",
        position_label="source pieces back from the end", vocab_size=codec.source.vocab_size,
        train_lengths=train_lengths, val_lengths=val_lengths, probe_lengths=val_lengths[probe],
        val_groups=_group_masks(val.groups), codec=codec, info=info, problem=problem,
        # Real sentences vary in length, and decoding all of a file's validation pairs at every
        # evaluation would cost more than the training between: buckets, a fixed sample, best chrF kept.
        bucketed=pairs_file, val_sample=min(VAL_SAMPLE, len(val)) if pairs_file else 0,
        best_by="chrF" if pairs_file else "",
    )
