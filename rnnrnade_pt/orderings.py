"""Orderings of an RNADE's dimensions: precedence masks, order-agnostic training's draws, and ensembles (of
an RNADE or a deep order-agnostic RNADE).

An RNADE's parameters are tied to the input dimensions (``W[:, j]`` is dimension j's input weight, ``V_*_d``,
``b_*_d``, ``rho_d`` dimension d's output layer), so the same parameters define a density for every ordering
o of the dimensions: ``log p(x | o) = sum_i log p(x_{o_i} | x_{o_<i})`` with
``a_{o_i} = c + sum_{k<i} x_{o_k} W[:, o_k]``. The graph takes an ordering as its N x D x D precedence mask
``M[n, d, j] = 1`` when j comes before d in row n's ordering (see
:func:`~rnnrnade_pt.models.rnade.build_rnade` with ``orderings=True``).

* Order-agnostic training (the original code's orderless NADE) draws one ordering per example and step
  (:func:`random_orderings`; the trainer seeds it from (seed, phase, epoch, batch), so runs are
  reproducible and resume exactly).
* The deep order-agnostic RNADE (:mod:`rnnrnade_pt.models.deep_rnade`) takes an ordering as it is (its
  ``order`` input, D integers): one network serves every conditional, so nothing per row is needed.
* An ensemble over N orderings is the uniform mixture ``log p(x) = logmeanexp_i log p(x | o_i)``
  (:func:`ensemble_loglik`); its orderings are ``o_1`` = the natural order, then ``N - 1`` seeded random
  permutations drawn one after another, so the ensemble of N uses the first N orderings of the ensemble of
  any larger N with the same seed.

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "A deep and tractable density estimator." ICML 2014
   (order-agnostic training; ensembles over orderings, ``OrderlessMoGNADE.logdensity``).
.. [2] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
"""

from __future__ import annotations

import logging
import numbers

import numpy as np
from scipy.special import logsumexp

from .backend import needs_static_shapes
from .data.arrays import check_data
from .errors import ConfigError, DataError
from .models.deep_rnade import build_deep_rnade
from .models.rnade import build_rnade

__all__ = [
    "natural_ordering",
    "random_orderings",
    "precedence_masks",
    "ensemble_orderings",
    "ordering_logliks",
    "ensemble_loglik",
    "check_ordered",
    "ORDERED_MODELS",
]

logger = logging.getLogger(__name__)


def natural_ordering(D: int) -> np.ndarray:
    """``0, 1, ..., D - 1``."""
    return np.arange(D)


def random_orderings(rng: np.random.Generator, n: int, D: int) -> np.ndarray:
    """``n`` uniformly random permutations of ``0 .. D-1``, one per row (n x D int64), drawn with ``rng``."""
    return np.stack([rng.permutation(D) for _ in range(n)]) if n else np.zeros((0, D), np.int64)


def precedence_masks(orderings, dtype: str = "float64") -> np.ndarray:
    """The N x D x D 0/1 masks of orderings (N x D permutations): ``M[n, d, j] = 1`` iff j precedes d.

    The natural ordering gives the strict lower triangle (``M[n, d, j] = 1`` for ``j < d``).

    Raises
    ------
    DataError
        If a row is not a permutation of ``0 .. D-1``.
    """
    o = np.asarray(orderings)
    if o.ndim != 2 or not np.issubdtype(o.dtype, np.integer):
        raise DataError(f"orderings must be an N x D integer array, got shape {o.shape} of {o.dtype}")
    D = o.shape[1]
    if not np.array_equal(np.sort(o, axis=1), np.broadcast_to(np.arange(D), o.shape)):
        raise DataError(f"orderings: every row must be a permutation of 0..{D - 1}")
    pos = np.argsort(o, axis=1)  # pos[n, j]: where dimension j comes in row n's ordering
    return (pos[:, None, :] < pos[:, :, None]).astype(dtype)


def ensemble_orderings(D: int, n_orderings: int, seed: int = 0) -> np.ndarray:
    """The orderings of an ensemble (n_orderings x D): the natural order, then seeded random permutations."""
    if not isinstance(n_orderings, numbers.Integral) or isinstance(n_orderings, bool) or n_orderings < 1:
        raise ConfigError(f"n_orderings must be a positive integer, got {n_orderings!r}")
    rest = random_orderings(np.random.default_rng(seed), int(n_orderings) - 1, D)
    return np.concatenate([natural_ordering(D)[None], rest], axis=0)


ORDERED_MODELS = ("rnade", "deep-rnade")  # the models with a density for every ordering


def _ordered_loglik_fn(model, shape):
    """The compiled ``(X, M) -> log p(X | orderings)`` of an RNADE, or ``(X, order) -> log p(X | order)`` of a
    deep RNADE, in the model's cache (once per static shape)."""

    def make():
        if model.cfg.model == "deep-rnade":
            g = build_deep_rnade(model.cfg, model.shared, shape=shape, orderings=True)
            return [g.X, g.order], [g.loglik], None
        g = build_rnade(model.cfg, model.shared, graph="fast", shape=shape, orderings=True)
        return [g.X, g.M], [g.loglik], None

    return model.function(("ordered_loglik", "fast", shape), make)


def ordering_logliks(model, X, orderings, batch_size: int = 1024) -> np.ndarray:
    """``log p(x_n | o_i)`` for every ordering ``o_i`` (rows of ``orderings``) and row ``x_n``.

    Parameters
    ----------
    model : Rnade or DeepRnade
    X : array_like
        N x D data in the model's units.
    orderings : array_like
        n_orderings x D permutations.
    batch_size : int
        Rows per call (an RNADE's N x D x D masks of a call are ``batch_size D^2`` numbers).

    Returns
    -------
    numpy.ndarray
        n_orderings x N float64.
    """
    check_ordered(model.cfg.model)
    cfg = model.cfg
    X, _ = check_data(X, None, cfg, source="ordering_logliks")
    masks = precedence_masks(orderings, cfg.dtype)  # n_orderings x D x D (checks the orderings)
    deep = cfg.model == "deep-rnade"
    N = X.shape[0]
    static = needs_static_shapes(model.backend)
    out = np.empty((masks.shape[0], N))
    for start in range(0, N, batch_size):
        rows = X[start : start + batch_size].astype(cfg.dtype)
        n = rows.shape[0]
        if static and n < batch_size:  # one static shape: pad with zero rows, dropped below
            rows = np.concatenate([rows, np.zeros((batch_size - n, cfg.D), cfg.dtype)])
        fn = _ordered_loglik_fn(model, rows.shape if static else None)
        for i, M in enumerate(masks):
            if deep:
                order = np.asarray(orderings[i], dtype=np.int64)
            else:
                order = np.ascontiguousarray(np.broadcast_to(M, (rows.shape[0], cfg.D, cfg.D)))
            out[i, start : start + n] = np.asarray(fn(rows, order)[0], dtype=np.float64)[:n]
    return out


def check_ordered(model: str) -> None:
    """Raise :class:`ConfigError` unless ``model`` has a density for every ordering
    (:data:`ORDERED_MODELS`)."""
    if model not in ORDERED_MODELS:
        raise ConfigError(f"orderings are an RNADE's; model {model!r} has a fixed ordering")


def ensemble_loglik(model, X, n_orderings: int, seed: int = 0, batch_size: int = 1024) -> np.ndarray:
    """Log-density of each row under the uniform mixture of the RNADE over ``n_orderings`` orderings.

    ``log p(x) = logsumexp_i log p(x | o_i) - log n_orderings`` with the orderings of
    :func:`ensemble_orderings` (``o_1`` natural; an ensemble of 1 is the RNADE itself).

    Returns
    -------
    numpy.ndarray
        N float64.
    """
    L = ordering_logliks(model, X, ensemble_orderings(model.cfg.D, n_orderings, seed), batch_size)
    return logsumexp(L, axis=0) - np.log(L.shape[0])
