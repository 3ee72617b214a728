"""The translation lesson's own settings."""

from __future__ import annotations

from dataclasses import dataclass

from core.nn.cells import ATTENTIONS, VARIANT_MARK
from core.settings.fields import UPLOAD_KEY, setting

# Languages whose number words (num2words) and CLDR formats (Babel) were checked by reading them.
LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")

# Files of sentence pairs: tab-separated, the Tatoeba and Anki layout.
FORMATS = ("tsv",)


@dataclass(frozen=True)
class TranslationTaskConfig:
    """The translation demo: number words, CLDR dates and quantities, or the user's sentence pairs."""

    source: str = setting(
        "numbers", choices=("numbers", "dates", "sentences", "upload"), label="Data",
        help="Number words (\"three hundred twenty-one\"), dates and quantities in two languages, 16,000 short "
             "everyday English-German sentences from Tatoeba, or a file of sentence pairs you upload.",
    )
    source_language: str = setting(
        "en", choices=LANGUAGES, label="From", sources=("numbers", "dates"),
        help="The language the model reads.",
    )
    target_language: str = setting(
        "de", choices=LANGUAGES, label="To", sources=("numbers", "dates"),
        help="The language the model writes (German puts units before tens, French counts in twenties).",
    )
    largest: int = setting(
        99999, low=99, high=999999, label="Largest number", sources=("numbers",),
        help="Numbers from 0 to this one, as many of each length; the validation numbers are never seen in "
             "training.",
    )
    attention: tuple[str, ...] = setting(
        ("none", "additive"), choices=ATTENTIONS, many=True, label="Attention",
        help="Decoders trained side by side: none (the source reaches the decoder only through the encoder's "
             "last state), additive (Bahdanau) or multiplicative (Luong).",
    )
    teacher_forcing: float = setting(
        1.0, low=0.0, high=1.0, step=0.1, label="Teacher forcing",
        help="Share of decoder steps that read the correct previous piece in training; the rest read the model's "
             "own guess.",
    )
    beam_width: int = setting(
        1, low=1, high=8, label="Beam width", reading=True,
        help="Hypotheses kept while decoding a trained model (1 = greedy): the typed phrase, the beams shown and "
             "the validation scores re-read from the stored run. Training's curves always decode greedily, so "
             "changing it re-reads the run at once instead of retraining.",
    )
    vocabulary: str = setting(
        "separate", choices=("separate", "shared"), label="Vocabularies",
        help="One SentencePiece vocabulary per language, or one shared by both sides.",
    )
    vocab_size: int = setting(
        0, low=0, high=8000, label="Vocabulary size",
        help="Subword pieces per vocabulary (at most as many as the texts support); 0 picks what suits the data: "
             "120 for number words, 400 for dates, 4,000 for your own sentences.",
    )
    tokenizer: str = setting(
        "bpe", choices=("bpe", "unigram"), label="Tokenizer",
        help="SentencePiece algorithm: byte-pair encoding or unigram language model.",
    )
    embedding_size: int = setting(
        64, low=8, high=128, label="Embedding size", help="Length of each piece's learned vector.",
    )
    train_size: int = setting(
        4000, low=200, high=20000, label="Training pairs",
        help="Pairs generated, or the most taken from your file.",
    )
    upload: str = setting(
        "", pattern=UPLOAD_KEY, label="Uploaded pairs",
        help="Key of the uploaded file of sentence pairs this run trains on (set by the upload box).",
    )

    def model_names(self, cells: tuple[str, ...]) -> tuple[str, ...]:
        """Every cell with every attention kind: the models one run trains side by side."""
        return tuple(f"{cell}{VARIANT_MARK}{attention}" for cell in cells for attention in self.attention)
