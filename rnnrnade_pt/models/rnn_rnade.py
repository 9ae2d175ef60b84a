"""RNN-RNADE as a PyTensor graph: ``build_rnnrnade`` for padded batches of sequences ``X`` (T x B x D).

An RNN over frames, ``hhat_t = sigm(x_t W2 + hhat_{t-1} W3 + b_hhat)``, shifts the output biases of an
RNADE that models each frame: frame t uses ``b_* + hhat_{t-1} W_*``. The RNADE's accumulator restarts from
``c`` at every frame (Algorithm 2 of the supplement omits this reset; without it frames would leak into
each other through ``a``).

Two graphs of the same density:

* ``graph="scan"``: Algorithm 2, a scan over time whose step runs Algorithm 1 (a scan over dimensions).
* ``graph="fast"``: one scan over time for the RNN alone, then every frame of every sequence through the
  cumulative-sum RNADE at once.

Parameters: the RNADE's (:mod:`rnnrnade_pt.models.rnade`) and the RNN's:

======================  ===========  ==================================================================
name                    shape        role
======================  ===========  ==================================================================
``W2``                  D x R        RNN input weights, ``hhat_t = f(x_t W2 + hhat_{t-1} W3 + b_hhat)``
``W3``                  R x R        RNN recurrent weights
``b_hhat``              R            RNN bias
``h0``                  R            initial RNN state ``hhat_0``
``W_alpha/W_mu/W_sigma``  R x D x K  RNN-to-bias maps, ``r_alpha = hhat_{t-1} W_alpha`` (if conditioned)
``W_c``                 R x H        RNN-to-hidden-bias map (only with ``condition_c``)
======================  ===========  ==================================================================

Sampling runs frame after frame, as the RNN-RBM tutorial's ``generate``: frame t's biases come from
``hhat_{t-1}`` (:func:`~rnnrnade_pt.kernels.rnn.frame_biases`), the frame is sampled by the scan over
dimensions (nested in the scan over time), and ``hhat_t`` is updated from the sampled frame
(:func:`~rnnrnade_pt.kernels.rnn.rnn_step`): training, evaluation and generation share one recurrence. A
prime is first run through the RNN; sampling continues each sequence from its last state. One-step
prediction is the ancestral mean-field of frame t's RNADE given ``hhat_{t-1}`` of the true frames.

Padded frames (``mask == 0``) are zeroed before use and weighted by 0: they contribute nothing to the
log-likelihood or its gradients, whatever they contain, and the RNN state passes over them unchanged.

References
----------
.. [1] Supplementary Material for the RNN-RNADE model, section 2 and Algorithm 2.
.. [2] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. "Modeling temporal dependencies in high-dimensional
   sequences: application to polyphonic music generation and transcription." ICML 2012.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytensor
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
)
from ..kernels.rnade_grads import frame_param_grads, rnade_explicit_grads
from ..kernels.rnn import frame_biases, rnn_explicit_backward, rnn_states, rnn_step
from . import rnade
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
    "RnnRnadeGraph",
    "param_shapes",
    "init_params",
    "data_driven_init",
    "build_rnnrnade",
    "build",
    "explicit_gradients",
    "build_sampler",
    "build_predictor",
    "build_sample_mean_predictor",
]


class RnnRnadeGraph(NamedTuple):
    """Symbolic pieces of an RNN-RNADE."""

    config: ModelConfig
    graph: str  # "scan" (Algorithm 2 with Algorithm 1 inside), "fast" or "fused"
    X: TensorVariable  # T x B x D input
    mask: TensorVariable  # T x B input, 1 for a frame, 0 for padding
    params: dict  # name -> shared variable
    hhat: TensorVariable  # T x B x R, RNN state after each frame
    frame_loglik: TensorVariable  # T x B, log p(x_t | x_<t), 0 on padding
    loglik: TensorVariable  # B, log p(sequence)
    total: TensorVariable  # scalar, summed over sequences
    n_frames: TensorVariable  # scalar, number of unmasked frames
    cost: TensorVariable  # scalar, -total / n_frames
    terms: RnadeTerms | None  # fast graph: the RNADE intermediates (frames flattened to N = T B)
    hhat_prev: TensorVariable | None  # fast graph: T x B x R state before each frame
    # what training may need beyond the cost (the DensityGraph protocol's optional fields; None: not used)
    train_cost: TensorVariable | None = None  # the surrogate cost whose gradient trains it (else cost)
    consider_constant: tuple = ()  # variables the training gradient holds constant
    rngs: dict | None = None  # checkpoint name -> shared random generator of the training graph
    rng_updates: dict | None = None  # generator -> its state after a training step
    M: TensorVariable | None = None  # N x D x D orderings input (an RNADE's only)


# -- parameters -------------------------------------------------------------------------------------------
def param_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Names and shapes of the parameters, in a fixed order: the RNADE's, then the RNN's (the table above)."""
    D, H, K, R = cfg.D, cfg.H, cfg.K, cfg.R
    shapes = rnade.param_shapes(cfg)
    shapes.update(W2=(D, R), W3=(R, R), b_hhat=(R,), h0=(R,))
    for comp in cfg.conditioned:
        shapes[f"W_{comp}"] = (R, D, K)
    if cfg.condition_c:
        shapes["W_c"] = (R, H)
    return shapes


def init_params(cfg: ModelConfig, rng: np.random.Generator, scale: float) -> dict:
    """The RNADE's initialisation (:func:`rnnrnade_pt.models.rnade.init_params`) over every parameter, and
    ``h0 = 0``."""
    values = rnade.init_params(cfg, rng, scale, shapes=param_shapes(cfg))
    values["h0"] = np.zeros(cfg.R)
    return values


data_driven_init = rnade.data_driven_init
"""The RNADE's data-driven start (:func:`rnnrnade_pt.models.rnade.data_driven_init`); the RNN keeps its
random start."""


# -- the density ------------------------------------------------------------------------------------------
def build_rnnrnade(
    cfg: ModelConfig, params: dict | None = None, graph: str = "fast", shape=None
) -> RnnRnadeGraph:
    """Build the RNN-RNADE log-likelihood graph.

    Parameters
    ----------
    cfg : ModelConfig
        With ``model == "rnn-rnade"``.
    params : dict, optional
        Shared variables from :func:`~rnnrnade_pt.params.shared_params` (new ones when omitted).
    graph : {"fast", "fused", "scan"}
        The vectorised graph (``fused``: with the fused frame Op), or the faithful nested scan.
    shape : tuple, optional
        Static ``(T, B, D)`` of ``X`` (the JAX backend needs it).
    """
    check_model(cfg, "rnn-rnade", "build_rnnrnade")
    check_graph(graph)
    p = own_params(cfg, params, init_params)
    D, R = cfg.D, cfg.R
    X, mask, Xc = sequence_inputs(cfg, shape)  # T x B x D, T x B, T x B x D
    T, B = X.shape[0], X.shape[1]
    h0 = pt.broadcast_to(p["h0"], (B, R))  # B x R
    terms = hhat_prev = None
    if graph == "scan":
        names = list(p)

        def rnnrnade_time_step(x_t, m_t, hhat_tm1, *values):
            q = dict(zip(names, values, strict=True))
            biases = frame_biases(hhat_tm1, q, cfg)  # r_* from hhat_{t-1}; c restarts every frame
            W = input_weights(q, cfg.fold_c_into_W)[1]
            logp_t = rnade_logp_scan(x_t, q, biases, W, cfg.mixture, cfg.hidden_activation)  # B
            return rnn_step(x_t, m_t, hhat_tm1, q, cfg), logp_t * m_t

        hhat, frame_loglik = pytensor.scan(
            rnnrnade_time_step,
            sequences=[Xc, mask],
            outputs_info=[h0, None],
            non_sequences=[p[n] for n in names],
            strict=True,
            return_updates=False,
            name="rnnrnade_time",
        )
    else:
        hhat = rnn_states(Xc, mask, p, cfg)  # T x B x R
        hhat_prev = pt.concatenate([pt.shape_padleft(h0), hhat[:-1]], axis=0)  # T x B x R
        biases = frame_biases(hhat_prev.reshape((T * B, R)), p, cfg)
        W = input_weights(p, cfg.fold_c_into_W)[1]
        terms = rnade_terms_fast(
            Xc.reshape((T * B, D)),
            p,
            biases,
            W,
            cfg.mixture,
            fused=graph == "fused",
            activation=cfg.hidden_activation,
        )
        frame_loglik = terms.logp.reshape((T, B)) * mask
    hhat.name = "hhat"
    return RnnRnadeGraph(cfg, graph, X, mask, p, hhat, *sequence_totals(frame_loglik, mask), terms, hhat_prev)


build = build_rnnrnade


def explicit_gradients(
    g: RnnRnadeGraph, *, sigma_scaled_mu: bool = False, logdensity_floor: float | None = None
) -> dict:
    """The supplement's formulas for d total / d parameter, through ``r_*`` and back through time.

    ``sigma_scaled_mu`` and ``logdensity_floor`` switch on the original code's hacks (off by default, which
    is the true gradient); see :func:`~rnnrnade_pt.kernels.rnade_grads.rnade_explicit_grads`.
    """
    if g.graph != "fast":
        raise ConfigError("explicit gradients are built on the fast graph; build it with graph='fast'")
    cfg, p = g.config, g.params
    T, B = g.X.shape[0], g.X.shape[1]
    hp = g.hhat_prev.reshape((T * B, cfg.R))  # N x R
    gr = rnade_explicit_grads(
        p,
        g.terms,
        weight=g.mask.reshape((T * B,)),
        sigma_scaled_mu=sigma_scaled_mu,
        logdensity_floor=logdensity_floor,
    )
    out = frame_param_grads(gr, cfg.fold_c_into_W)
    e = pt.zeros_like(hp)  # N x R: gradient reaching hhat_{t-1} through frame t's biases
    for comp, dz in (("alpha", gr.dz_alpha), ("mu", gr.dz_mu), ("sigma", gr.dz_sigma)):  # dz: D x N x K
        out[f"b_{comp}"] = dz.sum(axis=1)
        if comp in cfg.conditioned:
            out[f"W_{comp}"] = pt.tensordot(hp, dz, axes=[[0], [1]])  # R x D x K
            e = e + pt.tensordot(dz, p[f"W_{comp}"], axes=[[0, 2], [1, 2]])
    if cfg.condition_c:
        out["W_c"] = pt.dot(hp.T, gr.dc)  # R x H
        e = e + pt.dot(gr.dc, p["W_c"].T)
    Xc = g.terms.x.T.reshape((T, B, cfg.D))
    out.update(rnn_explicit_backward(Xc, g.mask, g.hhat, g.hhat_prev, e.reshape((T, B, cfg.R)), p, cfg))
    return {name: out[name] for name in p}


# -- sampling and prediction ------------------------------------------------------------------------------
def build_sampler(
    cfg: ModelConfig,
    params: dict | None = None,
    n_steps=None,
    n_sequences=None,
    prime: bool = True,
    rng=None,
    seed: int = 0,
) -> Sampler:
    """Ancestral sampling of an RNN-RNADE: a scan over time with a scan over dimensions inside.

    Parameters
    ----------
    cfg : ModelConfig
        With ``model == "rnn-rnade"``.
    params : dict, optional
        Shared variables (new ones when omitted).
    n_steps : int or TensorVariable, optional
        Frames to sample; a new int64 scalar input ``n_steps`` when omitted.
    n_sequences : int or TensorVariable, optional
        Sequences to sample without a prime; a new int64 scalar input ``n_sequences`` when omitted. With
        ``prime`` it must be omitted: the number of sequences is the prime's B.
    prime : bool
        Add the inputs ``prime_X`` (T0 x B x D) and ``prime_mask`` (T0 x B); sampling starts from each
        sequence's state after its last unmasked frame (``h0`` for T0 = 0 or an all-padding column).
        Without a prime every sequence starts from ``h0``.
    rng : shared Generator, optional
        A new one seeded with ``seed`` when omitted. Given the seed, frame t draws the t-th
        ``uniform(0, 1, (D, n))`` and ``normal(0, 1, (D, n))`` of ``numpy.random.default_rng(seed)``.

    Returns
    -------
    Sampler
        ``samples`` (n_steps x n x D), the sampled continuation without the prime; ``states``: ``hhat``
        after each sampled frame.
    """
    check_model(cfg, "rnn-rnade", "rnn_rnade.build_sampler")
    p = own_params(cfg, params, init_params)
    D, dtype = cfg.D, cfg.dtype
    n_steps = int_scalar(n_steps, "n_steps")
    prime_X = prime_mask = None
    if prime:
        if n_sequences is not None:
            raise ConfigError("with prime=True the number of sequences is the prime's B; omit n_sequences")
        prime_X, prime_mask, h_start = prime_inputs(cfg, p)  # T0 x B x D, T0 x B, B x R
        n_sequences = prime_X.shape[1]
    else:
        n_sequences = int_scalar(n_sequences, "n_sequences")
        h_start = pt.broadcast_to(p["h0"], (n_sequences, cfg.R))  # n x R
    h_start.name = "h_start"
    rng = new_rng(rng, seed)

    def rnnrnade_sample_frame(hhat_tm1, rng_tm1, q):
        # hhat_tm1: n x R; q: the parameters by name
        n = hhat_tm1.shape[0]
        rng_t, u, eps = rnade_noise(rng_tm1, D, n, dtype, cfg.mixture)  # D x n each
        biases = frame_biases(hhat_tm1, q, cfg)  # b_* + hhat_{t-1} W_*; c restarts every frame
        W_q = input_weights(q, cfg.fold_c_into_W)[1]
        x_t = rnade_sample_scan(u, eps, q, biases, W_q, cfg.hidden_activation)  # n x D
        hhat_t = rnn_step(x_t, pt.ones((n,), dtype=dtype), hhat_tm1, q, cfg)  # n x R
        return hhat_t, rng_t, x_t

    hhat, rng_final, samples = sample_over_time(
        cfg, p, rnnrnade_sample_frame, h_start, rng, n_steps, name="rnnrnade_sample_time"
    )
    samples.name, hhat.name = "samples", "hhat"
    inputs = root_inputs(n_steps, n_sequences, prime_X, prime_mask)
    return Sampler(
        cfg, samples, inputs, rng, {rng: rng_final}, n_sequences, n_steps, prime_X, prime_mask, h_start, hhat
    )


def build_predictor(cfg: ModelConfig, params: dict | None = None) -> Predictor:
    """One-step-ahead prediction of every frame of ``X`` (T x B x D) by ancestral mean-field.

    Frame t is predicted from ``hhat_{t-1}``, the RNN state after the true frames before it (padding is
    skipped, as in the density). Every frame's prediction then comes from one scan over dimensions over all
    T*B frames at once (:func:`~rnnrnade_pt.kernels.rnade.rnade_mean_field_scan`). Predictions and errors
    are 0 on padding.
    """
    check_model(cfg, "rnn-rnade", "rnn_rnade.build_predictor")
    p = own_params(cfg, params, init_params)
    D, R = cfg.D, cfg.R
    X, mask, Xc = sequence_inputs(cfg)  # T x B x D, T x B, T x B x D (padding zeroed)
    T, B = X.shape[0], X.shape[1]
    hhat_prev = states_before(rnn_states(Xc, mask, p, cfg), p["h0"])  # T x B x R
    hhat_prev.name = "hhat_prev"
    biases = frame_biases(hhat_prev.reshape((T * B, R)), p, cfg)  # per frame: c, D x TB x K
    W = input_weights(p, cfg.fold_c_into_W)[1]
    mean = rnade_mean_field_scan(p, biases, W, T * B, cfg.hidden_activation)  # TB x D
    return one_step_predictor(cfg, X, mask, Xc, mean.reshape((T, B, D)), hhat_prev)


def build_sample_mean_predictor(
    cfg: ModelConfig, params: dict | None = None, n_samples: int = 16, rng=None, seed: int = 0
) -> tuple[Predictor, object, dict]:
    """One-step prediction of every frame of ``X`` as the mean of ``n_samples`` draws from ``p(x_t | x_<t)``.

    :func:`build_predictor`'s ancestral mean-field feeds each dimension's mixture mean to the following
    dimensions; that is the exact conditional mean of the first dimension only (for d > 1 the mean of
    ``x_<d``, not its distribution, enters the later conditionals). The average of S ancestral draws of
    frame t, each from the RNN state of the true past, is an unbiased estimate of ``E[x_t | x_<t]``, with an
    expected squared error of the exact mean's plus ``tr Cov / S``: a check on the mean-field predictor.

    Returns
    -------
    predictor : Predictor
        ``prediction`` (T x B x D, 0 on padding) and ``sq_error``.
    rng : shared Generator
        Seed it before each call (``numpy.random.default_rng(seed)``: draw s of frame t is row
        ``s T B + t B + b`` of one ``uniform`` and one ``normal`` (D x S T B) draw).
    updates : dict
        ``{rng: its state after the draws}``.
    """
    check_model(cfg, "rnn-rnade", "rnn_rnade.build_sample_mean_predictor")
    p = own_params(cfg, params, init_params)
    D, R, S = cfg.D, cfg.R, int_scalar(n_samples, "n_samples")
    X, mask, Xc = sequence_inputs(cfg)  # T x B x D, T x B, T x B x D
    T, B = X.shape[0], X.shape[1]
    hhat_prev = states_before(rnn_states(Xc, mask, p, cfg), p["h0"]).reshape((T * B, R))  # TB x R
    rows = pt.tile(hhat_prev, (S, 1))  # S TB x R: draw s of every frame in block s
    rng = new_rng(rng, seed, name="predict_rng")
    rng_final, u, eps = rnade_noise(rng, D, rows.shape[0], cfg.dtype, cfg.mixture)  # D x S TB each
    W = input_weights(p, cfg.fold_c_into_W)[1]
    draws = rnade_sample_scan(u, eps, p, frame_biases(rows, p, cfg), W, cfg.hidden_activation)
    mean = draws.reshape((S, T, B, D)).mean(axis=0)  # T x B x D
    return one_step_predictor(cfg, X, mask, Xc, mean, None), rng, {rng: rng_final}
