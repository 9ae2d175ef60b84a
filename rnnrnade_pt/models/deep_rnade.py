"""The deep order-agnostic RNADE, the whole contract: parameter shapes, initialisation (random and
data-driven), the density graph ``build_deep_rnade`` for vectors ``X`` (N x D), ancestral sampling and
mean-field prediction. The math is in :mod:`rnnrnade_pt.kernels.deep_rnade`.

One network of L hidden layers gives the mixture of every dimension from any observed subset (its input is
the masked vector and the mask), so the model has a density for every ordering of the dimensions. It is
trained order-agnostically: each example of each step scores the unobserved dimensions of a random ordering
prefix, rescaled by ``D / (D - d)`` (an unbiased estimate of the mean log-likelihood over orderings). Its
exact log-likelihood under an ordering takes D passes of the network; ensembles average the density over
orderings (:func:`rnnrnade_pt.orderings.ensemble_loglik`).

The parameters (``l`` = 2 .. L):

=========================  ===========  ===============================================================
name                       shape        role
=========================  ===========  ===============================================================
``W``                      H x D        first layer: weights of the observed values ``x * m``
``W_mask``                 H x D        first layer: weights of the mask ``m`` (Uria's ``Wflags``)
``c``                      H            first layer's bias
``W_layer<l>``             H x H        hidden layer l: ``h_l = act(h_{l-1} W_layer<l> + c_layer<l>)``
``c_layer<l>``             H            its bias
``V_alpha/V_mu/V_sigma``   D x H x K    top-layer-to-output weights of the mixture parameters
``b_alpha/b_mu/b_sigma``   D x K        output biases
=========================  ===========  ===============================================================

What the density graph holds follows the RNN-RBM's precedent (``total`` is what training monitors and
differentiates): ``loglik`` is the exact log-likelihood under the natural ordering (a scan over the D steps;
the ``scan``, ``fast`` and ``fused`` graphs are this one graph, each step's layers being matrix products
already), while ``total`` is the summed order-agnostic estimate on masks drawn from the graph's generator
``rngs["mask_rng"]``, whose gradient trains the model. Sampling and prediction run the natural order.

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "A deep and tractable density estimator." ICML 2014.
.. [2] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.tensor.variable import TensorVariable

from ..config import ModelConfig
from ..kernels.deep_rnade import (
    deep_mean_field_scan,
    deep_sample_scan,
    layer_names,
    masked_estimate,
    masked_logp,
    ordered_logp_scan,
    random_masks,
)
from ..kernels.rnade import rnade_noise
from .common import Predictor, Sampler, check_graph, check_model, int_scalar, new_rng, own_params, root_inputs
from .rnade import mixture_bias_init

__all__ = [
    "DeepRnadeGraph",
    "param_shapes",
    "init_params",
    "data_driven_init",
    "build_deep_rnade",
    "build",
    "explicit_gradients",
    "build_sampler",
    "build_predictor",
]

explicit_gradients = None  # no hand-derived gradient: pytensor.grad


class DeepRnadeGraph(NamedTuple):
    """Symbolic pieces of a deep order-agnostic RNADE."""

    config: ModelConfig
    graph: str
    X: TensorVariable  # N x D input
    params: dict  # name -> shared variable
    loglik: TensorVariable  # N, log p(x_n | o): exact, under the natural ordering (or the input `order`)
    total: TensorVariable  # scalar: summed order-agnostic estimate on random masks (what training follows)
    n_frames: TensorVariable  # scalar, N
    cost: TensorVariable  # scalar, -total / N
    observed: TensorVariable  # N x D, the observed subsets drawn for `total` (1: observed)
    estimate: TensorVariable  # N, each row's order-agnostic estimate
    order: TensorVariable | None = None  # D int64 input: the ordering of `loglik` (orderings only)
    # the DensityGraph protocol's optional fields
    train_cost: TensorVariable | None = None
    consider_constant: tuple = ()
    rngs: dict | None = None  # {"mask_rng": the masks' generator}
    rng_updates: dict | None = None
    M: TensorVariable | None = None


# -- parameters -------------------------------------------------------------------------------------------
def param_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Names and shapes of the parameters (the table above), in a fixed order."""
    D, H, K = cfg.D, cfg.H, cfg.K
    shapes: dict[str, tuple[int, ...]] = {"W": (H, D), "W_mask": (H, D), "c": (H,)}
    for W_l, c_l in layer_names(cfg.layers):
        shapes[W_l], shapes[c_l] = (H, H), (H,)
    for comp in ("alpha", "mu", "sigma"):
        shapes[f"V_{comp}"] = (D, H, K)
    for comp in ("alpha", "mu", "sigma"):
        shapes[f"b_{comp}"] = (D, K)
    return shapes


def init_params(cfg: ModelConfig, rng: np.random.Generator, scale: float) -> dict:
    """Every parameter ~ N(0, scale^2) in the order of :func:`param_shapes`, then ``b_sigma`` shifted by +1
    (Uria's code draws every weight and bias from N(0, 0.01^2))."""
    values = {name: scale * rng.standard_normal(shape) for name, shape in param_shapes(cfg).items()}
    values["b_sigma"] = values["b_sigma"] + 1.0
    return values


def data_driven_init(values: dict, frames: np.ndarray, cfg: ModelConfig, rng: np.random.Generator) -> dict:
    """Uria's ``initialize_parameters_from_dataset``: the output biases spread over each dimension's range of
    the training frames (N x D; :func:`~rnnrnade_pt.models.rnade.mixture_bias_init`, ``b_sigma = log s``)."""
    return {**values, **mixture_bias_init(frames, cfg.K, rng)}


# -- the density ------------------------------------------------------------------------------------------
def build_deep_rnade(
    cfg: ModelConfig, params: dict | None = None, graph: str = "fast", shape=None, orderings: bool = False
) -> DeepRnadeGraph:
    """Build the deep order-agnostic RNADE's graph.

    Parameters
    ----------
    cfg : ModelConfig
        With ``model == "deep-rnade"`` (``layers`` hidden layers of ``H`` units, ``K`` components).
    params : dict, optional
        Shared variables (new ones when omitted).
    graph : {"fast", "fused", "scan"}
        Accepted for the family's contract; every name builds the same graph.
    shape : tuple, optional
        Static ``(N, D)`` of ``X``.
    orderings : bool
        Add the input ``order`` (D integers, a permutation): ``loglik`` is then under that ordering.

    >>> import numpy as np, rnnrnade_pt as rp
    >>> cfg = rp.ModelConfig(model="deep-rnade", D=3, H=4, K=2, layers=2)
    >>> g = build_deep_rnade(cfg)
    >>> g.loglik.eval({g.X: np.zeros((5, 3))}).shape
    (5,)
    """
    check_model(cfg, "deep-rnade", "build_deep_rnade")
    check_graph(graph)
    p = own_params(cfg, params, init_params)
    X = pt.tensor("X", shape=shape or (None, cfg.D), dtype=cfg.dtype)  # N x D
    order = pt.lvector("order") if orderings else None  # D
    upper = layer_names(cfg.layers)
    loglik = ordered_logp_scan(X, p, upper, cfg.K, cfg.mixture, cfg.hidden_activation, order)  # N
    loglik.name = "loglik"
    rng = pytensor.shared(np.random.default_rng(0), name="mask_rng")
    rng_next, m = random_masks(rng, X.shape[0], cfg.D, cfg.dtype)  # N x D
    m.name = "observed"
    logp = masked_logp(X, m, p, [(p[w], p[b]) for w, b in upper], cfg.K, cfg.mixture, cfg.hidden_activation)
    estimate = masked_estimate(X, m, logp)  # N
    estimate.name = "estimate"
    total = estimate.sum()
    total.name = "total"
    n = pt.cast(X.shape[0], cfg.dtype)
    cost = -total / n
    cost.name = "cost"
    return DeepRnadeGraph(
        cfg,
        graph,
        X,
        p,
        loglik,
        total,
        n,
        cost,
        m,
        estimate,
        order,
        rngs={"mask_rng": rng},
        rng_updates={rng: rng_next},
    )


build = build_deep_rnade


# -- sampling and prediction ------------------------------------------------------------------------------
def build_sampler(cfg: ModelConfig, params: dict | None = None, n=None, rng=None, seed: int = 0) -> Sampler:
    """Ancestral sampling in the natural order, with the draws of
    :func:`~rnnrnade_pt.models.rnade.build_sampler`: ``uniform(0, 1, (D, n))`` picks the components, then
    ``normal`` or ``laplace(0, 1, (D, n))``.

    Returns
    -------
    Sampler
        ``samples`` (n x D); compile with ``inputs`` and ``updates``.
    """
    check_model(cfg, "deep-rnade", "deep_rnade.build_sampler")
    p = own_params(cfg, params, init_params)
    n = int_scalar(n, "n")
    rng = new_rng(rng, seed)
    rng_final, u, eps = rnade_noise(rng, cfg.D, n, cfg.dtype, cfg.mixture)  # D x n each
    samples = deep_sample_scan(u, eps, p, layer_names(cfg.layers), cfg.K, cfg.hidden_activation)
    samples.name = "samples"
    return Sampler(cfg, samples, root_inputs(n), rng, {rng: rng_final}, n)


def build_predictor(cfg: ModelConfig, params: dict | None = None) -> Predictor:
    """Ancestral mean-field "prediction" of rows ``X`` (N x D), as an RNADE's: every row gets the same vector,
    each dimension's mean given the means before it; ``sq_error`` is each row's squared distance to it."""
    check_model(cfg, "deep-rnade", "deep_rnade.build_predictor")
    p = own_params(cfg, params, init_params)
    X = pt.tensor("X", shape=(None, cfg.D), dtype=cfg.dtype)  # N x D
    mean = deep_mean_field_scan(p, layer_names(cfg.layers), cfg.K, cfg.hidden_activation, 1)  # 1 x D
    prediction = pt.broadcast_to(mean, X.shape)  # N x D
    prediction.name = "prediction"
    sq_error = pt.sqr(X - prediction).sum(axis=-1)  # N
    sq_error.name = "sq_error"
    return Predictor(cfg, X, None, prediction, sq_error)
