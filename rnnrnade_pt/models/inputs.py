"""The symbolic inputs every sequence model takes: padded frames ``X`` (T x B x D) and their ``mask`` (T x B).

A padded frame (``mask == 0``) may hold anything (NaN included); every model reads ``Xc``, ``X`` with its
padding zeroed, and weights padded frames by 0, so padding contributes nothing to a log-likelihood, a
gradient or a prediction, and the RNN state passes over it unchanged.

References
----------
.. [1] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. "Modeling temporal dependencies in high-dimensional
   sequences: application to polyphonic music generation and transcription." ICML 2012.
"""

from __future__ import annotations

from typing import NamedTuple

import pytensor.tensor as pt
from pytensor.tensor.variable import TensorVariable

from ..config import ModelConfig

__all__ = ["SequenceInputs", "sequence_inputs"]


class SequenceInputs(NamedTuple):
    """A padded batch of sequences as new symbolic inputs."""

    X: TensorVariable  # T x B x D input
    mask: TensorVariable  # T x B input, 1 for a frame, 0 for padding
    Xc: TensorVariable  # T x B x D, X with its padding zeroed


def sequence_inputs(cfg: ModelConfig, shape=None, prefix: str = "") -> SequenceInputs:
    """New inputs ``X`` (T x B x D) and ``mask`` (T x B) of ``cfg.dtype``, and ``Xc``, the padding zeroed.

    Parameters
    ----------
    cfg : ModelConfig
        Gives ``D`` and ``dtype``.
    shape : tuple, optional
        Static ``(T, B, D)`` of ``X`` (the JAX backend needs it); ``(None, None, D)`` when omitted.
    prefix : str
        Prepended to the inputs' names (``"prime_"``: ``prime_X`` and ``prime_mask``, a sampler's prime).
    """
    X = pt.tensor(f"{prefix}X", shape=shape or (None, None, cfg.D), dtype=cfg.dtype)  # T x B x D
    mask = pt.tensor(f"{prefix}mask", shape=shape[:2] if shape else (None, None), dtype=cfg.dtype)  # T x B
    Xc = pt.switch(pt.shape_padright(mask) > 0, X, pt.zeros_like(X))  # padding zeroed, whatever it holds
    return SequenceInputs(X, mask, Xc)
