"""The cells a run can train, how they are named and coloured, and the model settings every lesson shares.

A model name is a cell name, or a cell name and a variant joined by VARIANT_MARK ("lstm+additive");
core/nn/models.py builds each cell and checks its registry lists exactly these names.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.settings.fields import setting


@dataclass(frozen=True)
class CellKind:
    """How the playground shows one cell kind: its name in charts and sentences, and its colour."""

    label: str
    colour: str  # the same on every chart, so a model is recognised across pages


# The cell registry's names, in the order pickers list them; core/nn/models.py registers how each
# one computes (its module, step function and gates) under the same names.
CELL_KINDS = {
    "rnn": CellKind("RNN", "#d62728"),
    "gru": CellKind("GRU", "#ff7f0e"),
    "lstm": CellKind("LSTM", "#1f77b4"),
    "birnn": CellKind("BiRNN", "#e377c2"),
    "bigru": CellKind("BiGRU", "#bcbd22"),
    "bilstm": CellKind("BiLSTM", "#2ca02c"),
    "bow": CellKind("BoW", "#7f7f7f"),
}
CELLS = tuple(CELL_KINDS)
CELL_LABELS = {name: kind.label for name, kind in CELL_KINDS.items()}
# Attention kinds of the translation decoder; each is a model variant trained beside the others.
ATTENTIONS = ("none", "additive", "multiplicative")
ATTENTION_LABELS = {"none": "no attention", "additive": "additive attention",
                    "multiplicative": "multiplicative attention"}
# A model name is a cell name, or a cell name and a variant joined by this mark ("lstm+additive").
VARIANT_MARK = "+"


@dataclass(frozen=True)
class ModelConfig:
    """The recurrent encoders to compare and their shared size."""

    cells: tuple[str, ...] = setting(
        ("rnn", "lstm"), choices=CELLS, many=True, label="Cells",
        help="Architectures trained side by side on the same data and seed.",
    )
    hidden_size: int = setting(
        64, low=4, high=256, label="Hidden size", help="Units in each recurrent layer (per direction).",
    )
    num_layers: int = setting(1, low=1, high=3, label="Layers", help="Stacked recurrent layers.")
    dropout: float = setting(
        0.0, low=0.0, high=0.5, step=0.05, label="Dropout",
        help="Dropout between stacked layers (no effect with one layer).",
    )
    forget_bias: float = setting(
        1.0, low=0.0, high=3.0, step=0.5, label="Forget-gate bias",
        help="Initial LSTM forget-gate bias: 1 makes the cell remember by default.",
    )



def cell_of(name: str) -> str:
    """The cell kind of a model name ("lstm+additive" -> "lstm")."""
    return name.partition(VARIANT_MARK)[0]


def model_label(name: str) -> str:
    """How charts and sentences name a model: "LSTM", or "LSTM, additive attention" for a variant."""
    cell, _, variant = name.partition(VARIANT_MARK)
    label = CELL_LABELS.get(cell, cell)
    return f"{label}, {ATTENTION_LABELS.get(variant, variant)}" if variant else label

