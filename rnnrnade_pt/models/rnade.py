"""RNADE, the whole contract: parameter shapes, initialisation (random and data-driven), the density graph
``build_rnade`` for vectors ``X`` (N x D), optionally under per-row orderings of the dimensions (an
N x D x D precedence-mask input ``M``; see :mod:`rnnrnade_pt.orderings`), the supplement's explicit
gradients, ancestral sampling and mean-field prediction.

The parameters of the RNADE family (RNN-RNADE adds its RNN's, :mod:`rnnrnade_pt.models.rnn_rnade`):

======================  ===========  ==================================================================
name                    shape        role
======================  ===========  ==================================================================
``W``                   H x D        input-to-hidden weights; ``a_{d+1} = a_d + x_d W[:, d]``
``c``                   H            hidden bias, ``a_1 = c`` (absent with ``fold_c_into_W``)
``rho``                 D            activation rescaling, ``h_d = sigm(rho_d a_d)``
``V_alpha/V_mu/V_sigma``  D x H x K  hidden-to-output weights of the mixture parameters
``b_alpha/b_mu/b_sigma``  D x K      output biases
======================  ===========  ==================================================================

Ancestral sampling runs Algorithm 1 generatively (:func:`~rnnrnade_pt.kernels.rnade.rnade_sample_scan`):
``k ~ Categorical(alpha_d)``, ``x_d = mu_dk + sigma_dk eps`` (``eps ~ Laplace(0, 1)`` and ``b_dk`` for
RNADE-Laplace), ``a_{d+1} = a_d + x_d W[:, d]``. Given the seed the draws are those of
``numpy.random.default_rng(seed)``: ``uniform(0, 1, (D, n))`` then ``normal(0, 1, (D, n))``. Prediction
(the one-step squared-error metric) replaces every draw by its conditional mean (*ancestral mean-field*,
:func:`~rnnrnade_pt.kernels.rnade.rnade_mean_field_scan`); an RNADE conditions on nothing outside the
vector, so every row gets the same vector.

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

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor.variable import TensorVariable

from ..config import ModelConfig
from ..errors import ConfigError
from ..kernels.rnade import (
    RnadeTerms,
    input_weights,
    rnade_logp_scan,
    rnade_mean_field_scan,
    rnade_noise,
    rnade_sample_scan,
    rnade_terms_fast,
    static_biases,
)
from ..kernels.rnade_grads import frame_param_grads, rnade_explicit_grads
from .common import (
    Predictor,
    Sampler,
    check_graph,
    check_model,
    int_scalar,
    new_rng,
    own_params,
    root_inputs,
)

__all__ = [
    "RnadeGraph",
    "param_shapes",
    "init_params",
    "data_driven_init",
    "mixture_bias_init",
    "build_rnade",
    "build",
    "explicit_gradients",
    "build_sampler",
    "build_predictor",
]

MAX_INIT_FRAMES = 10_000  # data-driven initialisation reads at most this many training frames


class RnadeGraph(NamedTuple):
    """Symbolic pieces of an RNADE."""

    config: ModelConfig
    graph: str  # "scan" (Algorithm 1), "fast" or "fused"
    X: TensorVariable  # N x D input
    params: dict  # name -> shared variable
    loglik: TensorVariable  # N, log p(x_n)
    total: TensorVariable  # scalar, sum_n log p(x_n)
    n_frames: TensorVariable  # scalar, N
    cost: TensorVariable  # scalar, -total / N
    terms: RnadeTerms | None  # fast graph: intermediates for the explicit gradient
    M: TensorVariable | None = None  # N x D x D input: M[n, d, j] = 1 if j precedes d (orderings only)
    # what training may need beyond the cost (the DensityGraph protocol's optional fields; None: not used)
    train_cost: TensorVariable | None = None  # the surrogate cost whose gradient trains it (else cost)
    consider_constant: tuple = ()  # variables the training gradient holds constant
    rngs: dict | None = None  # checkpoint name -> shared random generator of the training graph
    rng_updates: dict | None = None  # generator -> its state after a training step


# -- parameters -------------------------------------------------------------------------------------------
def param_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Names and shapes of the RNADE's parameters (the table above), in a fixed order."""
    D, H, K = cfg.D, cfg.H, cfg.K
    shapes: dict[str, tuple[int, ...]] = {"W": (H, D)}
    if not cfg.fold_c_into_W:
        shapes["c"] = (H,)
    shapes["rho"] = (D,)
    for comp in ("alpha", "mu", "sigma"):
        shapes[f"V_{comp}"] = (D, H, K)
    for comp in ("alpha", "mu", "sigma"):
        shapes[f"b_{comp}"] = (D, K)
    return shapes


def init_params(cfg: ModelConfig, rng: np.random.Generator, scale: float, shapes: dict | None = None) -> dict:
    """Small random parameters as the original code initialised them: every parameter of ``shapes`` (the
    RNADE's, :func:`param_shapes`, when omitted) ~ N(0, scale^2) in their order, then ``rho = 1`` and
    ``b_sigma`` shifted by +1 (Uria's RNADE code)."""
    shapes = param_shapes(cfg) if shapes is None else shapes
    values = {name: scale * rng.standard_normal(shape) for name, shape in shapes.items()}
    values["rho"] = np.ones(cfg.D)
    values["b_sigma"] = values["b_sigma"] + 1.0
    return values


def data_driven_init(values: dict, frames: np.ndarray, cfg: ModelConfig, rng: np.random.Generator) -> dict:
    """Uria's start: ``b_alpha = 0``; the K means spread evenly over each dimension's range, with
    ``s = (max - min) / (K + 1)``, ``b_mu[d] = min_d + s (1..K)`` and ``b_sigma = log s`` (sigma = s);
    ``rho = 1``.

    For RNADE-Laplace the same ``b_sigma = log s`` makes each component's scale ``b = s``, as the original
    ``MoLaplaceNADE`` (the original MoG code assigned ``s`` itself to ``b_sigma``, an apparent slip; both
    families get ``log s`` here).

    Statistics come from at most ``MAX_INIT_FRAMES`` training frames (N x D) drawn with ``rng``.
    """
    return {**values, **mixture_bias_init(frames, cfg.K, rng), "rho": np.ones(cfg.D)}


def mixture_bias_init(frames: np.ndarray, K: int, rng: np.random.Generator) -> dict:
    """The output biases of Uria's data-driven start (:func:`data_driven_init`): ``b_alpha = 0``, the K
    means spread evenly over each dimension's range of ``frames`` (N x D; at most ``MAX_INIT_FRAMES`` of them,
    drawn with ``rng``), ``b_sigma = log s`` with ``s = (max - min) / (K + 1)``."""
    if frames.shape[0] > MAX_INIT_FRAMES:
        frames = frames[rng.choice(frames.shape[0], MAX_INIT_FRAMES, replace=False)]
    lo, hi = frames.min(axis=0), frames.max(axis=0)
    s = np.maximum((hi - lo) / (K + 1), 1e-3)  # D
    return {
        "b_alpha": np.zeros((frames.shape[1], K)),
        "b_mu": lo[:, None] + s[:, None] * np.arange(1, K + 1)[None, :],
        "b_sigma": np.repeat(np.log(s)[:, None], K, axis=1),
    }


# -- the density ------------------------------------------------------------------------------------------
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
    check_model(cfg, "rnade", "build_rnade")
    check_graph(graph)
    if orderings and graph != "fast":
        raise ConfigError("orderings of the dimensions are built on the fast graph; use graph='fast'")
    p = own_params(cfg, params, init_params)
    X = pt.tensor("X", shape=shape or (None, cfg.D), dtype=cfg.dtype)  # N x D
    M = None
    if orderings:
        M = pt.tensor("M", shape=(shape[0] if shape else None, cfg.D, cfg.D), dtype=cfg.dtype)  # N x D x D
    _, W = input_weights(p, cfg.fold_c_into_W)
    biases = static_biases(p, cfg.fold_c_into_W)
    terms = None
    if graph == "scan":
        loglik = rnade_logp_scan(X, p, biases, W, cfg.mixture, cfg.hidden_activation)
    else:
        terms = rnade_terms_fast(X, p, biases, W, cfg.mixture, M, graph == "fused", cfg.hidden_activation)
        loglik = terms.logp
    loglik.name = "loglik"
    total = loglik.sum()
    total.name = "total"
    n = pt.cast(X.shape[0], cfg.dtype)
    cost = -total / n
    cost.name = "cost"
    return RnadeGraph(cfg, graph, X, p, loglik, total, n, cost, terms, M)


build = build_rnade


def explicit_gradients(
    g: RnadeGraph, *, sigma_scaled_mu: bool = False, logdensity_floor: float | None = None
) -> dict:
    """The supplement's formulas for d total / d parameter.

    ``sigma_scaled_mu`` and ``logdensity_floor`` switch on the original code's hacks (off by default, which
    is the true gradient); see :func:`~rnnrnade_pt.kernels.rnade_grads.rnade_explicit_grads`.
    """
    if g.graph != "fast":
        raise ConfigError("explicit gradients are built on the fast graph; build it with graph='fast'")
    gr = rnade_explicit_grads(
        g.params, g.terms, sigma_scaled_mu=sigma_scaled_mu, logdensity_floor=logdensity_floor
    )
    out = frame_param_grads(gr, g.config.fold_c_into_W)
    out.update(b_alpha=gr.dz_alpha.sum(axis=1), b_mu=gr.dz_mu.sum(axis=1), b_sigma=gr.dz_sigma.sum(axis=1))
    return {name: out[name] for name in g.params}


# -- sampling and prediction ------------------------------------------------------------------------------
def build_sampler(cfg: ModelConfig, params: dict | None = None, n=None, rng=None, seed: int = 0) -> Sampler:
    """Ancestral sampling of an RNADE.

    Parameters
    ----------
    cfg : ModelConfig
        With ``model == "rnade"``.
    params : dict, optional
        Shared variables (new ones when omitted).
    n : int or TensorVariable, optional
        Number of samples; a new int64 scalar input ``n`` when omitted (one compiled function, every n).
    rng : shared Generator, optional
        A shared ``numpy.random.Generator``; a new one seeded with ``seed`` when omitted.

    Returns
    -------
    Sampler
        ``samples`` (n x D); compile with ``inputs`` and ``updates`` so that each call draws afresh.
    """
    check_model(cfg, "rnade", "rnade.build_sampler")
    p = own_params(cfg, params, init_params)
    n = int_scalar(n, "n")
    rng = new_rng(rng, seed)
    rng_final, u, eps = rnade_noise(rng, cfg.D, n, cfg.dtype, cfg.mixture)  # D x n each
    _, W = input_weights(p, cfg.fold_c_into_W)
    samples = rnade_sample_scan(u, eps, p, static_biases(p, cfg.fold_c_into_W), W, cfg.hidden_activation)
    samples.name = "samples"
    return Sampler(cfg, samples, root_inputs(n), rng, {rng: rng_final}, n)


def build_predictor(cfg: ModelConfig, params: dict | None = None) -> Predictor:
    """RNADE ancestral mean-field "prediction" of rows ``X`` (N x D): every row gets the same vector, each
    dimension's mean given the means of the dimensions before it; ``sq_error`` is each row's squared distance
    to it."""
    check_model(cfg, "rnade", "rnade.build_predictor")
    p = own_params(cfg, params, init_params)
    X = pt.tensor("X", shape=(None, cfg.D), dtype=cfg.dtype)  # N x D
    _, W = input_weights(p, cfg.fold_c_into_W)
    mean = rnade_mean_field_scan(p, static_biases(p, cfg.fold_c_into_W), W, 1, cfg.hidden_activation)
    prediction = pt.broadcast_to(mean, X.shape)  # N x D
    prediction.name = "prediction"
    sq_error = pt.sqr(X - prediction).sum(axis=-1)  # N
    sq_error.name = "sq_error"
    return Predictor(cfg, X, None, prediction, sq_error)
