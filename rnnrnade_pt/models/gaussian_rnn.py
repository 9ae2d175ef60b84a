"""The Gaussian RNN baseline: RNN-RNADE's RNN with a diagonal Gaussian per frame instead of an RNADE.

The same recurrence as RNN-RNADE (:func:`~rnnrnade_pt.kernels.rnn.rnn_states`, the supplement's names)::

    hhat_t = f(x_t W2 + hhat_{t-1} W3 + b_hhat),   hhat_0 = h0,   f = sigm (default) or tanh

sets the mean and log standard deviation of every dimension of the next frame::

    mu_t = b_mu + hhat_{t-1} W_mu,   log sigma_t = b_sigma + hhat_{t-1} W_sigma,
    log p(x_t | x_<t) = sum_d log N(x_td; mu_td, sigma_td^2)

RNN-RNADE with K = 1 component and an RNADE whose hidden layer is cut off (``V_* = 0``) is this model; it is
the baseline that tells how much the RNADE's within-frame dependencies and mixtures buy.

======================  =====  ==============================================================
name                    shape  role
======================  =====  ==============================================================
``W2``                  D x R  RNN input weights
``W3``                  R x R  RNN recurrent weights
``b_hhat``              R      RNN bias
``h0``                  R      initial RNN state (learned)
``b_mu``, ``b_sigma``   D      output biases (as RNN-RNADE's ``b_*``, D instead of D x K)
``W_mu``, ``W_sigma``   R x D  RNN-to-output maps (as RNN-RNADE's ``W_*``, R x D instead of R x D x K)
======================  =====  ==============================================================

Two graphs of one density: ``graph="scan"`` computes each frame's log-density inside the scan over time
(Algorithm 2's layout); ``graph="fast"`` runs the scan for the RNN alone and the Gaussians of all T*B frames
at once. Padded frames (``mask == 0``) are zeroed, weighted by 0, and leave ``hhat`` unchanged.

Prediction (the one-step squared prediction error) is the closed-form mean ``mu_t``; generation is
ancestral sampling in the graph, ``x_t = mu_t + sigma_t eps_t``, with the random generator threaded through
the time scan's ``outputs_info`` (:func:`~rnnrnade_pt.models.common.sample_over_time`, as for RNN-RNADE).
Both compile in the model (:meth:`rnnrnade_pt.density_model.DensityModel.sample` and ``predict``), once per
model.

References
----------
.. [1] Supplementary Material for the RNN-RNADE model, section 2 (the RNN and its names).
.. [2] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. "Modeling temporal dependencies in high-dimensional
   sequences: application to polyphonic music generation and transcription." ICML 2012 (RNN-conditioned
   frame models; the tutorial's ``generate``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.tensor.variable import TensorVariable

from ..compat import draw
from ..config import ModelConfig
from ..kernels.rnn import rnn_states, rnn_step
from ..ops import gaussian_logpdf
from .common import (
    Predictor,
    Sampler,
    check_graph,
    check_model,
    int_scalar,
    new_rng,
    one_step_predictor,
    own_params,
    prime_inputs,
    root_inputs,
    sample_over_time,
    sequence_inputs,
    sequence_totals,
    states_before,
)

__all__ = [
    "GaussianRnnGraph",
    "build_gaussian_rnn",
    "build",
    "param_shapes",
    "init_params",
    "data_driven_init",
    "output_params",
    "build_sampler",
    "build_predictor",
]

RNN_NAMES = ("W2", "W3", "b_hhat", "h0")
OUTPUT_NAMES = ("b_mu", "b_sigma", "W_mu", "W_sigma")
MIN_STD = 1e-3  # floor of the data-driven initial sigma (constant dimensions)


class GaussianRnnGraph(NamedTuple):
    """Symbolic pieces of a Gaussian RNN (the registry's contract, see :mod:`rnnrnade_pt.models`)."""

    config: ModelConfig
    graph: str  # "scan" or "fast"
    X: TensorVariable  # T x B x D input
    mask: TensorVariable  # T x B input, 1 for a frame, 0 for padding
    params: dict  # name -> shared variable
    hhat: TensorVariable  # T x B x R, RNN state after each frame
    hhat_prev: TensorVariable  # T x B x R, RNN state before each frame
    mu: TensorVariable  # T x B x D, mean of each frame
    log_sigma: TensorVariable  # T x B x D, log standard deviation of each frame
    frame_loglik: TensorVariable  # T x B, log p(x_t | x_<t), 0 on padding
    loglik: TensorVariable  # B, log p(sequence)
    total: TensorVariable  # scalar, summed over sequences
    n_frames: TensorVariable  # scalar, number of unmasked frames
    cost: TensorVariable  # scalar, -total / n_frames
    # what training may need beyond the cost (the DensityGraph protocol's optional fields; None: not used)
    train_cost: TensorVariable | None = None  # the surrogate cost whose gradient trains it (else cost)
    consider_constant: tuple = ()  # variables the training gradient holds constant
    rngs: dict | None = None  # checkpoint name -> shared random generator of the training graph
    rng_updates: dict | None = None  # generator -> its state after a training step
    M: TensorVariable | None = None  # N x D x D orderings input (an RNADE's only)


# -- parameters -----------------------------------------------------------------------------------------


def param_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Names and shapes of the parameters (the table above), in a fixed order; ``H`` and ``K`` are unused."""
    D, R = cfg.D, cfg.R
    return {
        "W2": (D, R),
        "W3": (R, R),
        "b_hhat": (R,),
        "h0": (R,),
        "b_mu": (D,),
        "b_sigma": (D,),
        "W_mu": (R, D),
        "W_sigma": (R, D),
    }


def init_params(cfg: ModelConfig, rng: np.random.Generator, scale: float) -> dict[str, np.ndarray]:
    """RNN-RNADE's initialisation (:func:`rnnrnade_pt.params.init_params`): weights and biases ~ N(0,
    scale^2), ``h0 = 0``, and ``b_sigma`` shifted by +1 as RNN-RNADE's."""
    values = {name: scale * rng.standard_normal(shape) for name, shape in param_shapes(cfg).items()}
    values["h0"] = np.zeros(cfg.R)
    values["b_sigma"] = values["b_sigma"] + 1.0
    return values


def data_driven_init(values: dict, frames: np.ndarray, cfg: ModelConfig, rng: np.random.Generator) -> dict:
    """Start from the best static Gaussian: ``b_mu`` = the training mean, ``b_sigma`` = log of the training
    standard deviation (floored at ``MIN_STD``); the other parameters are kept.

    Statistics come from at most 10,000 training frames (N x D) drawn with ``rng``, as RNADE's.
    """
    if frames.shape[0] > 10_000:
        frames = frames[rng.choice(frames.shape[0], 10_000, replace=False)]
    out = dict(values)
    out["b_mu"] = frames.mean(axis=0)  # D
    out["b_sigma"] = np.log(np.maximum(frames.std(axis=0), MIN_STD))  # D
    return out


def output_params(hhat_tm1: TensorVariable, p: dict) -> tuple[TensorVariable, TensorVariable]:
    """``mu_t = b_mu + hhat_{t-1} W_mu`` and ``log sigma_t = b_sigma + hhat_{t-1} W_sigma`` (each ... x D)
    from states ``hhat_{t-1}`` (... x R)."""
    mu = p["b_mu"] + pt.dot(hhat_tm1, p["W_mu"])
    log_sigma = p["b_sigma"] + pt.dot(hhat_tm1, p["W_sigma"])
    return mu, log_sigma


# -- the density ----------------------------------------------------------------------------------------


def build_gaussian_rnn(
    cfg: ModelConfig, params: dict | None = None, graph: str = "fast", shape=None
) -> GaussianRnnGraph:
    """Build the Gaussian RNN log-likelihood graph.

    Parameters
    ----------
    cfg : ModelConfig
        With ``model == "gaussian-rnn"``.
    params : dict, optional
        Shared variables from :func:`~rnnrnade_pt.params.shared_params` (new ones when omitted).
    graph : {"fast", "scan"}
        Every frame's Gaussian at once after the RNN's scan, or each inside the scan over time.
    shape : tuple, optional
        Static ``(T, B, D)`` of ``X`` (the JAX backend needs it).
    """
    check_model(cfg, "gaussian-rnn", "build_gaussian_rnn")
    check_graph(graph)
    p = own_params(cfg, params, init_params)
    X, mask, Xc = sequence_inputs(cfg, shape)  # T x B x D, T x B, T x B x D
    if graph == "scan":
        names = list(p)
        h0 = pt.broadcast_to(p["h0"], (X.shape[1], cfg.R))  # B x R

        def gaussian_rnn_time_step(x_t, m_t, hhat_tm1, *values):
            # x_t: B x D, m_t: B, hhat_tm1: B x R
            q = dict(zip(names, values, strict=True))
            mu_t, log_sigma_t = output_params(hhat_tm1, q)  # B x D each
            logp_t = gaussian_logpdf(x_t, mu_t, log_sigma_t).sum(axis=-1)  # B
            return rnn_step(x_t, m_t, hhat_tm1, q, cfg), mu_t, log_sigma_t, logp_t * m_t

        hhat, mu, log_sigma, frame_loglik = pytensor.scan(
            gaussian_rnn_time_step,
            sequences=[Xc, mask],
            outputs_info=[h0, None, None, None],
            non_sequences=[p[n] for n in names],
            strict=True,
            return_updates=False,
            name="gaussian_rnn_time",
        )
        hhat_prev = states_before(hhat, p["h0"])
    else:
        hhat = rnn_states(Xc, mask, p, cfg)  # T x B x R
        hhat_prev = states_before(hhat, p["h0"])  # T x B x R
        mu, log_sigma = output_params(hhat_prev, p)  # T x B x D each
        frame_loglik = gaussian_logpdf(Xc, mu, log_sigma).sum(axis=-1) * mask  # T x B
    hhat.name, hhat_prev.name, mu.name, log_sigma.name = "hhat", "hhat_prev", "mu", "log_sigma"
    return GaussianRnnGraph(
        cfg, graph, X, mask, p, hhat, hhat_prev, mu, log_sigma, *sequence_totals(frame_loglik, mask)
    )


build = build_gaussian_rnn


# -- prediction and generation --------------------------------------------------------------------------


def build_predictor(cfg: ModelConfig, params: dict | None = None) -> Predictor:
    """The closed-form one-step prediction of every frame of ``X`` (T x B x D): ``E[x_t | x_<t] = mu_t``,
    from the RNN state after the true frames before it; 0 on padding."""
    check_model(cfg, "gaussian-rnn", "gaussian_rnn.build_predictor")
    p = own_params(cfg, params, init_params)
    X, mask, Xc = sequence_inputs(cfg)  # T x B x D, T x B, T x B x D
    hhat_prev = states_before(rnn_states(Xc, mask, p, cfg), p["h0"])  # T x B x R
    hhat_prev.name = "hhat_prev"
    mu, _ = output_params(hhat_prev, p)  # T x B x D
    return one_step_predictor(cfg, X, mask, Xc, mu, hhat_prev)


def build_sampler(
    cfg: ModelConfig, params: dict | None = None, n_steps=None, rng=None, seed: int = 0
) -> Sampler:
    """Ancestral sampling by a scan over time: ``x_t = mu_t + sigma_t eps_t``, ``eps_t ~ N(0, I)``.

    Sampling continues every sequence of the prime ``prime_X`` (T0 x B x D, with ``prime_mask`` T0 x B)
    from its state after its last frame (``h0`` for T0 = 0). The generator is threaded through the scan's
    ``outputs_info``; given the seed, frame t's noise is the t-th ``normal(0, 1, (B, D))`` draw of
    ``numpy.random.default_rng(seed)``.

    Returns
    -------
    Sampler
        ``samples`` (n_steps x B x D); compile with ``inputs`` and ``updates``.
    """
    check_model(cfg, "gaussian-rnn", "gaussian_rnn.build_sampler")
    p = own_params(cfg, params, init_params)
    D, dtype = cfg.D, cfg.dtype
    n_steps = int_scalar(n_steps, "n_steps")
    prime_X, prime_mask, h_start = prime_inputs(cfg, p)  # T0 x B x D, T0 x B, B x R
    h_start.name = "h_start"
    rng = new_rng(rng, seed)

    def gaussian_rnn_sample_frame(hhat_tm1, rng_tm1, q):
        # hhat_tm1: B x R; q: the parameters by name
        mu_t, log_sigma_t = output_params(hhat_tm1, q)  # B x D each
        rng_t, eps = draw(pt.random.normal, 0.0, 1.0, rng=rng_tm1, size=(hhat_tm1.shape[0], D))  # B x D
        x_t = mu_t + pt.exp(log_sigma_t) * eps.astype(dtype)  # B x D
        hhat_t = rnn_step(x_t, pt.ones((hhat_tm1.shape[0],), dtype=dtype), hhat_tm1, q, cfg)  # B x R
        return hhat_t, rng_t, x_t

    hhat, rng_final, samples = sample_over_time(
        cfg, p, gaussian_rnn_sample_frame, h_start, rng, n_steps, name="gaussian_rnn_sample_time"
    )
    samples.name, hhat.name = "samples", "hhat"
    inputs = root_inputs(n_steps, prime_X, prime_mask)
    n = prime_X.shape[1]
    return Sampler(
        cfg, samples, inputs, rng, {rng: rng_final}, n, n_steps, prime_X, prime_mask, h_start, hhat
    )


explicit_gradients = None
"""No hand-derived gradient is written for this model: training uses ``pytensor.grad``."""
