"""Dicts of tensors as stored blobs: a model's weights, and its optimizer state and random streams
(core/training/resume.py). Written with torch.save and read back with weights_only=True, then
checked to be names and tensors only, so nothing stored can run code when loaded."""

from __future__ import annotations

import io

import torch


class UnsafeWeights(ValueError):
    """Stored weights that are not a plain state dict (a pickle, say): refused, never run."""


def tensor_blob(state: dict[str, torch.Tensor]) -> bytes:
    buffer = io.BytesIO()
    # Clones keep each blob to its own tensors, not the whole storage a view may belong to.
    torch.save({name: tensor.detach().cpu().clone() for name, tensor in state.items()}, buffer)
    return buffer.getvalue()


def read_tensor_blob(blob: bytes, what: str) -> dict[str, torch.Tensor]:
    """The dict of tensors in a blob; UnsafeWeights naming `what` if it is anything else."""
    try:
        state = torch.load(io.BytesIO(blob), weights_only=True, map_location="cpu")
    except Exception:  # the unpickler's refusals come as several exception types, many lines long
        raise UnsafeWeights(f"stored {what} are not a plain state dict and were not loaded") from None
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise UnsafeWeights(f"stored {what} are not a state dict")
    return dict(state)
