"""From lists of sequences to what a model trains on: a seeded validation hold-out, windows, shuffled
minibatches and evaluation batches, and the padding between a list of ``T_i x D`` sequences and the padded
``X`` (T x B x D) + ``mask`` (T x B) format of :mod:`rnnrnade_pt.data.arrays`.

* :func:`split_off` -- a seeded hold-out of whole sequences (e.g. for validation).
* :func:`windows` -- consecutive chunks of sequences, as the RNN-RBM tutorial's 100-step chunks.
* :func:`minibatches`, :func:`eval_batches` -- padded batches for training (shuffled) and evaluation (in
  order, bounded in frames).
* :func:`pad_sequences` / :func:`unpad` -- a list of sequences to a padded batch and back.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence

import numpy as np

from ..errors import DataError
from .arrays import check_sequences, lengths_to_mask
from .sequences import as_generator, check_int, check_sequence_list

__all__ = ["split_off", "pad_sequences", "unpad", "windows", "minibatches", "eval_batches"]


def split_off(seqs, fraction: float, seed) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Hold out a seeded random ``fraction`` of whole sequences (e.g. for validation).

    ``round(fraction * N)`` sequences are held out, but always at least one, and at least one is kept.

    Parameters
    ----------
    seqs : list of ndarray
        The sequences (N >= 2).
    fraction : float
        In (0, 1).
    seed : int or numpy.random.Generator
        The same seed gives the same split.

    Returns
    -------
    kept, held_out : list of ndarray
        The same array objects as ``seqs``, each list in the original order.
    """
    if isinstance(seqs, np.ndarray) or not isinstance(seqs, Sequence):
        raise DataError(f"split_off needs a list of sequences, got {type(seqs).__name__}")
    n = len(seqs)
    if n < 2:
        raise DataError(f"split_off needs at least 2 sequences to keep one and hold one out, got {n}")
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) or not 0 < fraction < 1:
        raise DataError(f"fraction must be a number in (0, 1), got {fraction!r}")
    n_held = min(max(int(np.floor(fraction * n + 0.5)), 1), n - 1)
    held = np.zeros(n, dtype=bool)
    held[as_generator(seed).permutation(n)[:n_held]] = True
    kept_list = [s for s, h in zip(seqs, held, strict=True) if not h]
    held_list = [s for s, h in zip(seqs, held, strict=True) if h]
    return kept_list, held_list


def pad_sequences(seqs, T: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Stack sequences into a zero-padded batch (trailing padding).

    Parameters
    ----------
    seqs : list of ndarray
        B sequences, each ``T_i x D``.
    T : int, optional
        The padded length; defaults to ``max T_i``.

    Returns
    -------
    X : ndarray
        ``T x B x D`` float64, zero after the end of each sequence.
    mask : ndarray
        ``T x B`` float64, 1 for a frame and 0 for padding.
    """
    seqs = check_sequence_list(seqs, "pad_sequences")
    lengths = np.array([len(s) for s in seqs])
    T = int(lengths.max()) if T is None else check_int("T", T, 1)
    if lengths.max() > T:
        i = int(np.argmax(lengths))
        raise DataError(f"pad_sequences: sequence {i} has {lengths[i]} frames, more than T={T}")
    X = np.zeros((T, len(seqs), seqs[0].shape[1]))  # T x B x D
    for b, s in enumerate(seqs):
        X[: len(s), b] = s
    return X, lengths_to_mask(lengths, T)  # T x B x D, T x B


def unpad(X, mask=None) -> list[np.ndarray]:
    """The sequences of a padded batch: the inverse of :func:`pad_sequences`.

    Parameters
    ----------
    X : ndarray
        ``T x B x D`` (validated by :func:`rnnrnade_pt.data.arrays.check_sequences`).
    mask : ndarray, optional
        ``T x B`` of 0/1; all ones if None.

    Returns
    -------
    list of ndarray
        B arrays, the frames of each column whose mask is 1 (``T_b x D``, copies).
    """
    X, mask = check_sequences(X, mask, source="unpad")  # T x B x D, T x B
    return [np.ascontiguousarray(X[mask[:, b] > 0, b]) for b in range(X.shape[1])]


def windows(seqs, length: int | None, rng) -> list[np.ndarray]:
    """Cut every sequence into consecutive non-overlapping windows of ``length`` frames, then shuffle.

    A sequence of ``T`` frames gives ``ceil(T / length)`` windows; the last holds the remaining
    ``T mod length`` frames when that is not 0. Every frame is in exactly one window.

    Parameters
    ----------
    seqs : list of ndarray
        Sequences ``T_i x D``.
    length : int or None
        Window length; None or 0 keeps whole sequences (still shuffled).
    rng : numpy.random.Generator or int
        The shuffling randomness.

    Returns
    -------
    list of ndarray
        The windows (copies), in random order.
    """
    seqs = check_sequence_list(seqs, "windows")
    if length is None or (
        not isinstance(length, bool) and isinstance(length, numbers.Integral) and length == 0
    ):
        pieces = [s.copy() for s in seqs]
    else:
        length = check_int("length", length, 1)
        pieces = [s[t : t + length].copy() for s in seqs for t in range(0, len(s), length)]
    order = as_generator(rng).permutation(len(pieces))
    return [pieces[i] for i in order]


def minibatches(seqs, batch_size: int, rng) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Shuffle the sequences and pad each consecutive group of ``batch_size`` (the last may be smaller).

    Parameters
    ----------
    seqs : list of ndarray
        Sequences ``T_i x D``.
    batch_size : int
        Sequences per batch (>= 1).
    rng : numpy.random.Generator or int
        The shuffling randomness (drawn when this function is called).

    Yields
    ------
    X : ndarray
        ``T x B x D``, T the longest sequence of the batch.
    mask : ndarray
        ``T x B``.
    """
    seqs = check_sequence_list(seqs, "minibatches")
    batch_size = check_int("batch_size", batch_size, 1)
    order = as_generator(rng).permutation(len(seqs))

    def batches():
        for start in range(0, len(order), batch_size):
            yield pad_sequences([seqs[i] for i in order[start : start + batch_size]])  # T x B x D, T x B

    return batches()


def eval_batches(
    seqs, batch_size: int = 64, max_frames: int = 8192
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Padded batches of consecutive sequences for evaluation, in order: at most ``batch_size`` sequences
    and at most ``max_frames`` padded frames (B x the longest T) a batch, so that a graph's T B x D x H
    intermediates fit in memory whatever the lengths (a single longer sequence is a batch of its own).

    Parameters
    ----------
    seqs : iterable of ndarray
        Sequences ``T_i x D``.
    batch_size : int
        The most sequences a batch.
    max_frames : int
        The most padded frames a batch (B x its longest T), unless one sequence alone is longer.

    Yields
    ------
    (X, mask)
        T x B x D and T x B, as :func:`pad_sequences`.
    """
    batch: list = []
    longest = 0
    for s in seqs:
        T = len(s)
        if batch and (len(batch) == batch_size or (len(batch) + 1) * max(longest, T) > max_frames):
            yield pad_sequences(batch)
            batch, longest = [], 0
        batch.append(s)
        longest = max(longest, T)
    if batch:
        yield pad_sequences(batch)
