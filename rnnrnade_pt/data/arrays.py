"""The generic array format and its validation: ``X`` (N x D) for RNADE, ``X`` (T x B x D) + ``mask`` for
RNN-RNADE, in memory or as an ``.npz`` file with those keys.

A mask holds 1 for a frame and 0 for padding. Padded frames may hold anything (NaN included); every
unmasked value must be finite, and 0 or 1 for the binary models (RNN-NADE, RNN-RBM: piano rolls). A
sequence with no frame at all is an error.
"""

from __future__ import annotations

import os

import numpy as np

from ..config import ModelConfig
from ..errors import DataError
from ..npz import read_npz

__all__ = ["check_vectors", "check_sequences", "check_data", "load_data", "lengths_to_mask"]


def _as_float(a, name: str, source: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise DataError(f"{source}: {name} must hold numbers, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise DataError(f"{source}: {name} must hold real numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _first_bad(bad: np.ndarray) -> str:
    return ", ".join(str(int(i)) for i in np.argwhere(bad)[0])


def check_vectors(X, cfg: ModelConfig, source: str = "data") -> np.ndarray:
    """Validate RNADE data ``X`` (N x D); return it as float64."""
    X = _as_float(X, "X", source)
    if X.ndim != 2:
        raise DataError(f"{source}: X must be N x D for an RNADE, got shape {X.shape}")
    if X.shape[1] != cfg.D:
        raise DataError(f"{source}: X has D={X.shape[1]} dimensions, the model has D={cfg.D}")
    if X.shape[0] == 0:
        raise DataError(f"{source}: X holds no rows")
    bad = ~np.isfinite(X)
    if bad.any():
        raise DataError(f"{source}: X holds NaN or infinite values (first at row, dim {_first_bad(bad)})")
    return X


def check_sequences(X, mask=None, cfg: ModelConfig | None = None, source: str = "data"):
    """Validate RNN-RNADE data ``X`` (T x B x D, or one sequence T x D) and ``mask`` (T x B).

    Returns
    -------
    X : ndarray
        T x B x D float64, padded frames set to 0.
    mask : ndarray
        T x B float64 of 0 and 1 (all ones when ``mask`` is None).
    """
    X = _as_float(X, "X", source)
    if X.ndim == 2 and mask is None:
        X = X[:, None, :]  # one sequence: T x D -> T x 1 x D
    if X.ndim != 3:
        raise DataError(f"{source}: X must be T x B x D (or T x D for one sequence), got shape {X.shape}")
    T, B, D = X.shape
    if cfg is not None and D != cfg.D:
        raise DataError(f"{source}: X has D={D} dimensions, the model has D={cfg.D}")
    if T == 0 or B == 0:
        raise DataError(f"{source}: X holds no frames (shape {X.shape})")
    if mask is None:
        mask = np.ones((T, B))
    mask = _as_float(mask, "mask", source)
    if mask.shape != (T, B):
        raise DataError(f"{source}: mask has shape {mask.shape}, expected (T, B) = {(T, B)} to match X")
    if not np.all(np.isfinite(mask)):
        raise DataError(f"{source}: mask holds NaN or infinite values")
    if (mask < 0).any():
        raise DataError(f"{source}: mask holds negative values (first at t, b {_first_bad(mask < 0)})")
    if not np.all((mask == 0) | (mask == 1)):
        raise DataError(f"{source}: mask must hold only 0 (padding) and 1 (frame)")
    empty = mask.sum(axis=0) == 0
    if empty.any():
        raise DataError(f"{source}: sequence {int(np.argmax(empty))} is empty (its mask column is all 0)")
    bad = ~np.isfinite(X) & (mask[:, :, None] > 0)
    if bad.any():
        raise DataError(
            f"{source}: X holds NaN or infinite values in a frame (first at t, b, d {_first_bad(bad)})"
        )
    if cfg is not None and cfg.binary:
        bad = (X != 0) & (X != 1) & (mask[:, :, None] > 0)
        if bad.any():
            raise DataError(
                f"{source}: a {cfg.model} models binary frames; X holds a value other than 0 and 1 "
                f"(first at t, b, d {_first_bad(bad)})"
            )
    return np.where(mask[:, :, None] > 0, X, 0.0), mask


def check_data(X, mask, cfg: ModelConfig, source: str = "data"):
    """:func:`check_vectors` or :func:`check_sequences`, by ``cfg.model``; returns ``(X, mask or None)``."""
    if cfg.recurrent:
        return check_sequences(X, mask, cfg, source)
    if mask is not None:
        raise DataError(f"{source}: an RNADE models independent vectors and takes no mask")
    return check_vectors(X, cfg, source), None


def load_data(path: str | os.PathLike, cfg: ModelConfig):
    """Read and validate an ``.npz`` data file for ``cfg``; returns ``(X, mask or None)``."""
    arrays = read_npz(path, "data", DataError)
    source = f"data file {os.fspath(path)}"
    if "X" not in arrays:
        raise DataError(f"{source} has no array 'X' (it holds {sorted(arrays)})")
    return check_data(arrays["X"], arrays.get("mask"), cfg, source)


def lengths_to_mask(lengths, T: int | None = None) -> np.ndarray:
    """A T x B mask of trailing padding for sequences of the given lengths."""
    lengths = np.asarray(lengths, dtype=int)
    T = int(lengths.max()) if T is None else T
    return (np.arange(T)[:, None] < lengths[None, :]).astype(np.float64)
