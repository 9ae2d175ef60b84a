"""RNADE as a PyTensor graph: ``build_rnade`` for vectors ``X`` (N x D), optionally under per-row orderings
of the dimensions (an N x D x D precedence-mask input ``M``; see :mod:`rnnrnade_pt.orderings`).

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
.. [2] Supplementary Material for the RNN-RNADE model, Algorithm 1.
.. [3] B. Uria, I. Murray, H. Larochelle. "A deep and tractable density estimator." ICML 2014
   (order-agnostic training).
"""

from __future__ import annotations

from typing import NamedTuple

import pytensor.tensor as pt
from pytensor.tensor.variable import TensorVariable

from ..config import ModelConfig
from ..errors import ConfigError
from ..params import shared_params
from ..rnade import (
    RnadeTerms,
    input_weights,
    rnade_explicit_grads,
    rnade_logp_scan,
    rnade_terms_fast,
    static_biases,
)

__all__ = ["RnadeGraph", "build_rnade", "build", "explicit_gradients", "unfold_grads"]

GRAPHS = ("scan", "fast", "fused")
"""``scan``: the algorithms as written (scans over dimensions, and over time); ``fast``: every frame and
dimension at once as plain PyTensor operations (inspectable; the explicit gradients are built on it);
``fused``: the fast graph with the autoregressive hidden and output layers as one fused Op
(:mod:`rnnrnade_pt.fused_frame`), the fastest, and the training default. Models without an autoregressive
frame model (the RNN-RBM, the Gaussian RNN) build their fast graph for ``fused``."""


class RnadeGraph(NamedTuple):
    """Symbolic pieces of an RNADE."""

    config: ModelConfig
    graph: str  # "scan" (Algorithm 1) or "fast"
    X: TensorVariable  # N x D input
    params: dict  # name -> shared variable
    loglik: TensorVariable  # N, log p(x_n)
    total: TensorVariable  # scalar, sum_n log p(x_n)
    n_frames: TensorVariable  # scalar, N
    cost: TensorVariable  # scalar, -total / N
    terms: RnadeTerms | None  # fast graph: intermediates for the explicit gradient
    M: TensorVariable | None = None  # N x D x D input: M[n, d, j] = 1 if j precedes d (orderings only)


def check_graph(graph: str) -> None:
    if graph not in GRAPHS:
        raise ConfigError(f"graph must be one of {list(GRAPHS)}, got {graph!r}")


def build_rnade(
    cfg: ModelConfig, params: dict | None = None, graph: str = "fast", shape=None, orderings: bool = False
) -> RnadeGraph:
    """Build the RNADE log-likelihood graph.

    Parameters
    ----------
    cfg : ModelConfig
        With ``model == "rnade"``.
    params : dict, optional
        Shared variables from :func:`~rnnrnade_pt.params.shared_params` (new ones when omitted), so that
        several graphs can share one set of parameters.
    graph : {"fast", "fused", "scan"}
        The cumulative-sum form (``fused``: with the fused frame Op), or Algorithm 1 as a scan over
        dimensions.
    shape : tuple, optional
        Static ``(N, D)`` of ``X`` (the JAX backend needs it).
    orderings : bool
        Add the input ``M`` (N x D x D, 0/1): row n's density is under its own ordering of the dimensions,
        ``M[n, d, j] = 1`` when dimension j comes before dimension d
        (:func:`~rnnrnade_pt.orderings.precedence_masks`). The strict lower-triangular ``M`` is the natural
        ordering. Fast graph only; without it the graph is the unchanged cumulative form.
    """
    if cfg.model != "rnade":
        raise ConfigError("build_rnade needs a config with model 'rnade'")
    check_graph(graph)
    if orderings and graph != "fast":
        raise ConfigError("orderings of the dimensions are built on the fast graph; use graph='fast'")
    p = params if params is not None else shared_params(cfg)
    X = pt.tensor("X", shape=shape or (None, cfg.D), dtype=cfg.dtype)  # N x D
    M = None
    if orderings:
        M = pt.tensor("M", shape=(shape[0] if shape else None, cfg.D, cfg.D), dtype=cfg.dtype)  # N x D x D
    _, W = input_weights(p, cfg.fold_c_into_W)
    biases = static_biases(p, cfg.fold_c_into_W)
    terms = None
    if graph == "scan":
        loglik = rnade_logp_scan(X, p, biases, W, cfg.mixture)
    else:
        terms = rnade_terms_fast(X, p, biases, W, cfg.mixture, M, fused=graph == "fused")
        loglik = terms.logp
    loglik.name = "loglik"
    total = loglik.sum()
    total.name = "total"
    n = pt.cast(X.shape[0], cfg.dtype)
    cost = -total / n
    cost.name = "cost"
    return RnadeGraph(cfg, graph, X, p, loglik, total, n, cost, terms, M)


build = build_rnade


def unfold_grads(dW_eff: TensorVariable, dc: TensorVariable, fold_c_into_W: bool) -> dict:
    """Map gradients w.r.t. the effective ``c`` (H) and ``W`` (H x D) back to the stored parameters."""
    if not fold_c_into_W:
        return {"W": dW_eff, "c": dc}
    return {"W": pt.concatenate([pt.shape_padright(dc), dW_eff[:, :-1]], axis=1)}


def explicit_gradients(
    g: RnadeGraph, *, sigma_scaled_mu: bool = False, logdensity_floor: float | None = None
) -> dict:
    """The supplement's formulas for d total / d parameter.

    ``sigma_scaled_mu`` and ``logdensity_floor`` switch on the original code's hacks (off by default, which
    is the true gradient); see :func:`~rnnrnade_pt.rnade.rnade_explicit_grads`.
    """
    if g.graph != "fast":
        raise ConfigError("explicit gradients are built on the fast graph; build it with graph='fast'")
    gr = rnade_explicit_grads(
        g.params, g.terms, sigma_scaled_mu=sigma_scaled_mu, logdensity_floor=logdensity_floor
    )
    out = unfold_grads(gr.W, gr.dc.sum(axis=0), g.config.fold_c_into_W)
    out.update(rho=gr.rho, V_alpha=gr.V_alpha, V_mu=gr.V_mu, V_sigma=gr.V_sigma)
    out.update(b_alpha=gr.dz_alpha.sum(axis=1), b_mu=gr.dz_mu.sum(axis=1), b_sigma=gr.dz_sigma.sum(axis=1))
    return {name: out[name] for name in g.params}
