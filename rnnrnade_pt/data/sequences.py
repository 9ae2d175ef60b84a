"""What every loader of real-valued sequences shares: the :class:`SequenceData` it returns, and the checks of
lists of ``T_i x D`` sequences, integers and seeds that the data modules use.

The loaders are one module per data family (:mod:`~rnnrnade_pt.data.vowels`,
:mod:`~rnnrnade_pt.data.mocap`, :mod:`~rnnrnade_pt.data.music`); the tools to train on their sequences are in
:mod:`~rnnrnade_pt.data.batching` and :mod:`~rnnrnade_pt.data.standardize`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ..errors import DataError

__all__ = ["SequenceData", "check_int", "check_sequence_list", "as_generator"]


class SequenceData(NamedTuple):
    """A dataset of variable-length sequences.

    Attributes
    ----------
    splits : dict[str, list[ndarray]]
        Split name ("train", "test") -> sequences, each ``T_i x D`` float64 (C-contiguous).
    labels : dict[str, ndarray] or None
        Split name -> one label per sequence, or None for unlabelled data.
    description : str
        One line: what the data are and where they come from.
    """

    splits: dict[str, list[np.ndarray]]
    labels: dict[str, np.ndarray] | None
    description: str


def check_int(name: str, value, minimum: int = 1) -> int:
    """An integer argument, checked.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : object
        Any integer but a bool.
    minimum : int
        The smallest value allowed.

    Returns
    -------
    int
        ``value`` as a Python int.

    Raises
    ------
    DataError
        ``value`` is not an integer, or is below ``minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise DataError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise DataError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_sequence_list(seqs, source: str = "sequences") -> list[np.ndarray]:
    """Validate a non-empty list of ``T_i x D`` sequences (one D, T_i >= 1, finite).

    Parameters
    ----------
    seqs : list of array_like
        The sequences (a list or tuple, not one array).
    source : str
        What the sequences are, for the messages.

    Returns
    -------
    list of ndarray
        The sequences as float64 (the same objects where they already were).

    Raises
    ------
    DataError
        Not a list, an empty list, a sequence that is not ``T x D`` of real numbers, an empty sequence,
        sequences of different D, D = 0, or a NaN or infinite value.
    """
    if isinstance(seqs, np.ndarray) or not isinstance(seqs, Sequence):
        raise DataError(f"{source} must be a list of T_i x D arrays, got {type(seqs).__name__}")
    if len(seqs) == 0:
        raise DataError(f"{source}: the list holds no sequence")
    out = []
    D = None
    for i, s in enumerate(seqs):
        a = np.asarray(s)
        if a.dtype == object or not np.issubdtype(a.dtype, np.number) or np.iscomplexobj(a):
            raise DataError(f"{source}: sequence {i} must hold real numbers, got dtype {a.dtype}")
        if a.ndim != 2:
            raise DataError(f"{source}: sequence {i} must be T x D, got shape {a.shape}")
        if a.shape[0] == 0:
            raise DataError(f"{source}: sequence {i} is empty (shape {a.shape})")
        if D is None:
            D = a.shape[1]
        elif a.shape[1] != D:
            raise DataError(f"{source}: sequence {i} has D={a.shape[1]}, sequence 0 has D={D}")
        a = a.astype(np.float64, copy=False)
        if not np.all(np.isfinite(a)):
            raise DataError(f"{source}: sequence {i} holds NaN or infinite values")
        out.append(a)
    if D == 0:
        raise DataError(f"{source}: the sequences have no dimensions (D=0)")
    return out


def as_generator(rng) -> np.random.Generator:
    """A NumPy generator from a generator (returned as is) or an integer seed.

    Parameters
    ----------
    rng : numpy.random.Generator or int
        The randomness, or its seed.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    DataError
        Anything else (a bool included).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise DataError(f"rng must be a numpy.random.Generator or an integer seed, got {type(rng).__name__}")
