"""RNN-NADE as a PyTensor graph: ``build_rnnnade`` for padded batches of binary sequences ``V`` (T x B x D).

Each frame ``v_t`` of a piano roll (D pitches, 0/1) is modelled by a binary NADE whose biases an RNN over
the previous frames sets, exactly as in the RNN-RBM [1]_ (:mod:`~rnnrnade_pt.models.binary_rnn`)::

    bv_t = bv + u_tm1 Wuv,   bh_t = bh + u_tm1 Wuh,   u_t = tanh(bu + v_t Wvu + u_tm1 Wuu),   u_0 = 0

and the NADE of frame t [2]_, for d = 1 .. D (pitch order)::

    a_1 = bh_t,   h_d = sigm(a_d),   p(v_d = 1 | v_<d) = sigm(bv_t[d] + h_d . V[d]),
    a_{d+1} = a_d + v_d W[:, d]

The log-likelihood is exact: ``log p(v_t | v_<t) = sum_d -softplus((1 - 2 v_d) l_d)`` with the logit
``l_d = bv_t[d] + h_d . V[d]`` (log-sigmoid by softplus, in log space). It is trained by ``pytensor.grad``.

======  =====  ===============================================================
name    shape  role
======  =====  ===============================================================
``W``    H x D  NADE input weights, ``a_{d+1} = a_d + v_d W[:, d]`` (RNADE's layout)
``V``    D x H  NADE output weights, row ``V[d]`` gives pitch d's logit
``bv``   D      visible bias (shifted by ``u_tm1 Wuv``)
``bh``   H      hidden bias ``a_1`` (shifted by ``u_tm1 Wuh``)
RNN      ...    ``Wuh``, ``Wuv``, ``Wvu``, ``Wuu``, ``bu`` (:mod:`~rnnrnade_pt.models.binary_rnn`)
======  =====  ===============================================================

Two graphs of the same density:

* ``graph="scan"``: the faithful one, a scan over time whose step runs the NADE of the frame by a scan over
  the D pitches.
* ``graph="fast"``: one RNN scan over time, then all T*B frames through a vectorised NADE: the accumulators
  ``a_d`` of all pitches at once (:func:`rnnrnade_pt.rnade.accumulators`, as RNADE's fast graph).

Padded frames (``mask == 0``) are zeroed before use and weighted by 0: they contribute nothing, whatever they
contain, and the RNN state passes over them unchanged.

Generation (:func:`generate`) is ancestral sampling in the graph: a scan over time whose step is a scan over
the pitches, ``v_d = 1[w_d < p(v_d = 1 | v_<d)]`` with ``w_d ~ U[0, 1)``; the random generator goes through
the time scan's ``outputs_info``, and given the seed frame t's noise is the t-th ``uniform(0, 1, (D, n))``
draw of ``numpy.random.default_rng(seed)``. Prediction (:func:`predict`) is the ancestral mean-field (see
there). Both compile once per model through :func:`rnnrnade_pt.sample.sample` / ``predict``.

References
----------
.. [1] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. "Modeling temporal dependencies in high-dimensional
   sequences: application to polyphonic music generation and transcription." ICML 2012 (the RNN-NADE,
   section 4), and the Theano tutorial ``rnnrbm.py`` (names, ``u0 = 0``, initialisation).
.. [2] H. Larochelle, I. Murray. "The neural autoregressive distribution estimator." AISTATS 2011.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.tensor.variable import TensorVariable

from ..config import ModelConfig
from ..errors import ConfigError
from ..fused_frame import fused_frame
from ..rnade import accumulators
from ..rnn import TUTORIAL, rnn_step
from .binary_rnn import conditional_biases, init_rnn_params, rnn_param_shapes, u_states
from .inputs import sequence_inputs
from .rnade import check_graph

__all__ = [
    "NadeTerms",
    "RnnNadeGraph",
    "RnnNadeSampler",
    "RnnNadePredictor",
    "nade_log_prob",
    "nade_logp_scan",
    "nade_terms_fast",
    "nade_ancestral_scan",
    "build_rnnnade",
    "build",
    "param_shapes",
    "init_params",
    "build_sampler",
    "build_predictor",
    "generate",
    "predict",
]


class NadeTerms(NamedTuple):
    """Intermediates of the vectorised NADE (N frames)."""

    a: TensorVariable | None  # D x N x H, accumulators a_d (None in the fused graph)
    h: TensorVariable | None  # D x N x H, h_d = sigm(a_d) (None in the fused graph)
    logit: TensorVariable  # D x N, l_d = bv_t[d] + h_d . V[d]
    logp_d: TensorVariable  # D x N, log p(v_d | v_<d)
    logp: TensorVariable  # N, log p(v)


class RnnNadeGraph(NamedTuple):
    """Symbolic pieces of an RNN-NADE (the registry's contract, see :mod:`rnnrnade_pt.models`)."""

    config: ModelConfig
    graph: str  # "scan" (time scan with a pitch scan inside) or "fast"
    X: TensorVariable  # T x B x D input (0/1)
    mask: TensorVariable  # T x B input, 1 for a frame, 0 for padding
    params: dict  # name -> shared variable
    u: TensorVariable  # T x B x R, RNN state after each frame
    frame_loglik: TensorVariable  # T x B, log p(v_t | v_<t), 0 on padding
    loglik: TensorVariable  # B, log p(sequence)
    total: TensorVariable  # scalar, summed over sequences
    n_frames: TensorVariable  # scalar, number of unmasked frames
    cost: TensorVariable  # scalar, -total / n_frames
    u_prev: TensorVariable | None  # fast graph: T x B x R state before each frame
    terms: NadeTerms | None  # fast graph: the NADE intermediates (frames flattened to N = T B)


class RnnNadeSampler(NamedTuple):
    """Symbolic pieces of RNN-NADE ancestral sampling (the fields :func:`rnnrnade_pt.sample.sample` uses)."""

    config: ModelConfig
    n_steps: TensorVariable  # int64 scalar: frames to sample
    prime_X: TensorVariable  # T0 x B x D prime (T0 = 0: none)
    prime_mask: TensorVariable  # T0 x B
    u_start: TensorVariable  # B x R, state after the prime (u_0 = 0 for T0 = 0)
    samples: TensorVariable  # n_steps x B x D, the continuation only
    probs: TensorVariable  # n_steps x B x D, p(v_d = 1 | v_<d, past) of each sampled note
    u: TensorVariable  # n_steps x B x R, state after each sampled frame
    rng: object  # shared Generator
    rng_final: TensorVariable
    inputs: tuple  # (n_steps, prime_X, prime_mask)
    updates: dict  # {rng: rng_final}


class RnnNadePredictor(NamedTuple):
    """Symbolic pieces of one-step-ahead mean-field prediction."""

    config: ModelConfig
    X: TensorVariable  # T x B x D
    mask: TensorVariable  # T x B
    u_prev: TensorVariable  # T x B x R, the state each frame is predicted from
    prediction: TensorVariable  # T x B x D, note probabilities, 0 on padding
    sq_error: TensorVariable  # T x B, ||v_t - prediction_t||^2, 0 on padding


def _check_cfg(cfg: ModelConfig, what: str) -> None:
    if cfg.model != "rnn-nade":
        raise ConfigError(f"{what} needs a config with model 'rnn-nade', got {cfg.model!r}")


def _shared(cfg: ModelConfig, params: dict | None) -> dict:
    from ..params import shared_params

    return params if params is not None else shared_params(cfg)


# -- parameters -----------------------------------------------------------------------------------------
def param_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Names and shapes (the table above), in a fixed order: ``W`` H x D, ``V`` D x H, ``bv`` D, ``bh`` H,
    then the RNN's ``Wuh``, ``Wuv``, ``Wvu``, ``Wuu``, ``bu``."""
    _check_cfg(cfg, "rnn_nade.param_shapes")
    D, H = cfg.D, cfg.H
    return {"W": (H, D), "V": (D, H), "bv": (D,), "bh": (H,), **rnn_param_shapes(cfg)}


def init_params(cfg: ModelConfig, rng: np.random.Generator, scale: float) -> dict[str, np.ndarray]:
    """The tutorial's initialisation: ``W``, ``V`` ~ N(0, scale^2) (``scale = 0.01``: the tutorial's
    ``shared_normal(..., 0.01)``), ``bv = bh = 0``; the RNN part as
    :func:`~rnnrnade_pt.models.binary_rnn.init_rnn_params` (weights std ``scale / 100``, ``bu = 0``)."""
    _check_cfg(cfg, "rnn_nade.init_params")
    D, H = cfg.D, cfg.H
    values = {
        "W": scale * rng.standard_normal((H, D)),
        "V": scale * rng.standard_normal((D, H)),
        "bv": np.zeros(D),
        "bh": np.zeros(H),
    }
    values.update(init_rnn_params(cfg, rng, scale))
    return values


# -- the NADE of a frame --------------------------------------------------------------------------------
def nade_log_prob(v: TensorVariable, logit: TensorVariable) -> TensorVariable:
    """``log p(v | logit)`` of a Bernoulli, ``-softplus((1 - 2 v) logit)``, elementwise (v is 0/1)."""
    return -pt.softplus((1 - 2 * v) * logit)


def nade_logp_scan(v: TensorVariable, p: dict, bv_t: TensorVariable, bh_t: TensorVariable) -> TensorVariable:
    """``log p(v)`` of N binary frames by a scan over the D pitches (the NADE as written).

    Parameters
    ----------
    v : TensorVariable
        N x D frames of 0/1.
    p : dict
        ``W`` (H x D) and ``V`` (D x H).
    bv_t, bh_t : TensorVariable
        N x D visible and N x H hidden biases of each frame.

    Returns
    -------
    TensorVariable
        N log-probabilities.
    """

    def nade_pitch_step(v_d, W_d, V_d, bv_d, a_d):
        # v_d, bv_d: N; W_d, V_d: H; a_d: N x H
        h_d = pt.sigmoid(a_d)  # N x H
        logit_d = pt.dot(h_d, V_d) + bv_d  # N
        return a_d + pt.outer(v_d, W_d), nade_log_prob(v_d, logit_d)

    _, logp_d = pytensor.scan(
        nade_pitch_step,
        sequences=[v.T, p["W"].T, p["V"], bv_t.T],
        outputs_info=[bh_t, None],
        strict=True,
        return_updates=False,
        name="nade_pitches",
    )
    return logp_d.sum(axis=0)  # D x N -> N


def nade_terms_fast(
    v: TensorVariable, p: dict, bv_t: TensorVariable, bh_t: TensorVariable, fused: bool = False
) -> NadeTerms:
    """Every conditional of every frame at once: the density of :func:`nade_logp_scan`.

    ``a_d = bh_t + sum_{j<d} v_j W[:, j]`` for all d by :func:`rnnrnade_pt.rnade.accumulators`, then all the
    logits by one batched product with ``V``. With ``fused``, both are one Op
    (:func:`rnnrnade_pt.fused_frame.fused_frame` with ``rho = 1``), and ``a``, ``h`` are not kept.
    """
    if fused:
        ones = pt.ones((v.shape[1],), dtype=v.dtype)  # rho = 1: NADE's h_d = sigm(a_d)
        logit = fused_frame(v, p["W"], bh_t, ones, pt.shape_padright(p["V"]))[:, :, 0] + bv_t  # N x D
        logp_d = nade_log_prob(v, logit).T  # D x N
        logit = logit.T
        return NadeTerms(None, None, logit, logp_d, logp_d.sum(axis=0))
    a = accumulators(v, p["W"], bh_t)  # D x N x H
    h = pt.sigmoid(a)
    logit = (h * pt.shape_padaxis(p["V"], 1)).sum(axis=2) + bv_t.T  # D x N
    logp_d = nade_log_prob(v.T, logit)  # D x N
    return NadeTerms(a, h, logit, logp_d, logp_d.sum(axis=0))


def nade_ancestral_scan(
    p: dict, bv_t: TensorVariable, bh_t: TensorVariable, noise: TensorVariable | None = None
) -> tuple[TensorVariable, TensorVariable]:
    """Ancestral sampling (given ``noise``) or ancestral mean-field (without) of N frames, pitch by pitch.

    Parameters
    ----------
    p : dict
        ``W`` (H x D) and ``V`` (D x H).
    bv_t, bh_t : TensorVariable
        N x D and N x H biases.
    noise : TensorVariable, optional
        D x N uniform [0, 1) draws: ``v_d = 1[noise_d < p_d]``. Without it ``v_d := p_d`` (mean-field): each
        pitch's probability, not a draw, feeds the accumulator of the following pitches.

    Returns
    -------
    v, prob : TensorVariable
        N x D values fed forward (samples, or the probabilities again) and N x D probabilities ``p_d``.
    """

    def nade_sample_pitch_step(w_d, W_d, V_d, bv_d, a_d):
        # w_d, bv_d: N; W_d, V_d: H; a_d: N x H
        p_d = pt.sigmoid(pt.dot(pt.sigmoid(a_d), V_d) + bv_d)  # N
        v_d = pt.lt(w_d, p_d).astype(p_d.dtype)  # N of 0/1
        return a_d + pt.outer(v_d, W_d), v_d, p_d

    def nade_mean_field_pitch_step(W_d, V_d, bv_d, a_d):
        p_d = pt.sigmoid(pt.dot(pt.sigmoid(a_d), V_d) + bv_d)  # N
        return a_d + pt.outer(p_d, W_d), p_d

    sequences = [p["W"].T, p["V"], bv_t.T]
    if noise is None:
        _, prob = pytensor.scan(
            nade_mean_field_pitch_step,
            sequences=sequences,
            outputs_info=[bh_t, None],
            strict=True,
            return_updates=False,
            name="nade_mean_field_pitches",
        )
        return prob.T, prob.T  # D x N -> N x D
    _, v, prob = pytensor.scan(
        nade_sample_pitch_step,
        sequences=[noise] + sequences,
        outputs_info=[bh_t, None, None],
        strict=True,
        return_updates=False,
        name="nade_sample_pitches",
    )
    return v.T, prob.T  # D x N -> N x D


# -- the density ----------------------------------------------------------------------------------------
def build_rnnnade(
    cfg: ModelConfig, params: dict | None = None, graph: str = "fast", shape=None
) -> RnnNadeGraph:
    """Build the RNN-NADE log-likelihood graph.

    Parameters
    ----------
    cfg : ModelConfig
        With ``model == "rnn-nade"``.
    params : dict, optional
        Shared variables from :func:`~rnnrnade_pt.params.shared_params` (new ones when omitted).
    graph : {"fast", "scan"}
        The vectorised graph, or the faithful nested scan.
    shape : tuple, optional
        Static ``(T, B, D)`` of ``X`` (the JAX backend needs it).

    Returns
    -------
    RnnNadeGraph
    """
    _check_cfg(cfg, "build_rnnnade")
    check_graph(graph)
    p = _shared(cfg, params)
    D, R = cfg.D, cfg.R
    X, mask, Vc = sequence_inputs(cfg, shape)  # T x B x D, T x B, T x B x D
    T, B = X.shape[0], X.shape[1]
    u_prev = terms = None
    if graph == "scan":
        names = list(p)

        def rnnnade_time_step(v_t, m_t, u_tm1, *values):
            # v_t: B x D; m_t: B; u_tm1: B x R
            q = dict(zip(names, values, strict=True))
            bv_t, bh_t = conditional_biases(u_tm1, q)  # B x D, B x H
            logp_t = nade_logp_scan(v_t, q, bv_t, bh_t)  # B
            return rnn_step(v_t, m_t, u_tm1, q, cfg, names=TUTORIAL), logp_t * m_t

        u, frame_loglik = pytensor.scan(
            rnnnade_time_step,
            sequences=[Vc, mask],
            outputs_info=[pt.zeros((B, R), dtype=cfg.dtype), None],  # u_0 = 0
            non_sequences=[p[n] for n in names],
            strict=True,
            return_updates=False,
            name="rnnnade_time",
        )
        u.name = "u"
    else:
        u, u_prev = u_states(Vc, mask, p, cfg)  # T x B x R each
        bv_t, bh_t = conditional_biases(u_prev.reshape((T * B, R)), p)  # N x D, N x H
        terms = nade_terms_fast(Vc.reshape((T * B, D)), p, bv_t, bh_t, fused=graph == "fused")
        frame_loglik = terms.logp.reshape((T, B)) * mask
    frame_loglik.name = "frame_loglik"
    loglik = frame_loglik.sum(axis=0)
    loglik.name = "loglik"
    total = loglik.sum()
    total.name = "total"
    n_frames = mask.sum()
    cost = -total / n_frames
    cost.name = "cost"
    return RnnNadeGraph(cfg, graph, X, mask, p, u, frame_loglik, loglik, total, n_frames, cost, u_prev, terms)


build = build_rnnnade


# -- generation and prediction --------------------------------------------------------------------------
def build_sampler(
    cfg: ModelConfig, params: dict | None = None, n_steps=None, rng=None, seed: int = 0
) -> RnnNadeSampler:
    """Ancestral sampling: a scan over time whose step samples a frame by a scan over the pitches.

    Sampling continues every sequence of the prime ``prime_X`` (T0 x B x D, with ``prime_mask`` T0 x B) from
    its state after its last frame (``u_0 = 0`` for T0 = 0); frame t's biases come from ``u_{t-1}``
    (:func:`~rnnrnade_pt.models.binary_rnn.conditional_biases`) and ``u_t`` from the sampled frame
    (:func:`~rnnrnade_pt.rnn.rnn_step`), the recurrence of the density.

    Parameters
    ----------
    n_steps : int or TensorVariable, optional
        Frames to sample; a new int64 scalar input ``n_steps`` when omitted.
    rng : shared Generator, optional
        A new one seeded with ``seed`` when omitted; threaded through the time scan's ``outputs_info``.

    Returns
    -------
    RnnNadeSampler
        ``samples`` (n_steps x B x D); compile with ``inputs`` and ``updates``.
    """
    from ..sample import int_scalar, new_rng, prime_inputs, root_inputs

    _check_cfg(cfg, "rnn_nade.build_sampler")
    p = _shared(cfg, params)
    D, R, dtype = cfg.D, cfg.R, cfg.dtype
    n_steps = int_scalar(n_steps, "n_steps")
    u0 = pt.zeros((R,), dtype=dtype)  # R, the fixed u_0
    prime_X, prime_mask, u_start = prime_inputs(cfg, p, names=TUTORIAL, h0=u0)  # T0 x B x D, T0 x B, B x R
    u_start.name = "u_start"
    rng = new_rng(rng, seed)
    names = list(p)

    def rnnnade_sample_time_step(u_tm1, rng_tm1, *values):
        # u_tm1: B x R
        q = dict(zip(names, values, strict=True))
        n = u_tm1.shape[0]
        rng_t, noise = rng_tm1.uniform(size=(D, n))  # D x B
        bv_t, bh_t = conditional_biases(u_tm1, q)  # B x D, B x H
        v_t, prob_t = nade_ancestral_scan(q, bv_t, bh_t, noise.astype(dtype))  # B x D each
        u_t = rnn_step(v_t, pt.ones((n,), dtype=dtype), u_tm1, q, cfg, names=TUTORIAL)  # B x R
        return u_t, rng_t, v_t, prob_t

    u, rng_final, samples, probs = pytensor.scan(
        rnnnade_sample_time_step,
        outputs_info=[u_start, rng, None, None],
        non_sequences=[p[name] for name in names],
        n_steps=n_steps,
        strict=True,
        return_updates=False,
        name="rnnnade_sample_time",
    )
    samples.name, probs.name, u.name = "samples", "probs", "u"
    inputs = root_inputs(n_steps, prime_X, prime_mask)
    return RnnNadeSampler(
        cfg,
        n_steps,
        prime_X,
        prime_mask,
        u_start,
        samples,
        probs,
        u,
        rng,
        rng_final,
        inputs,
        {rng: rng_final},
    )


def build_predictor(cfg: ModelConfig, params: dict | None = None) -> RnnNadePredictor:
    """One-step-ahead note probabilities of every frame of ``X`` (T x B x D) by ancestral mean-field.

    Frame t is predicted from ``u_{t-1}``, the RNN state after the true frames before it (padding skipped,
    as in the density); all T*B frames then go through one scan over the pitches
    (:func:`nade_ancestral_scan` without noise). Predictions and errors are 0 on padding.
    """
    _check_cfg(cfg, "rnn_nade.build_predictor")
    p = _shared(cfg, params)
    D, R = cfg.D, cfg.R
    X, mask, Vc = sequence_inputs(cfg)  # T x B x D, T x B, T x B x D
    frame = pt.shape_padright(mask) > 0  # T x B x 1
    T, B = X.shape[0], X.shape[1]
    _, u_prev = u_states(Vc, mask, p, cfg)  # T x B x R
    bv_t, bh_t = conditional_biases(u_prev.reshape((T * B, R)), p)
    _, prob = nade_ancestral_scan(p, bv_t, bh_t)  # TB x D
    prediction = pt.switch(frame, prob.reshape((T, B, D)), pt.zeros_like(X))  # T x B x D
    prediction.name = "prediction"
    sq_error = pt.sqr(Vc - prediction).sum(axis=-1)  # T x B
    sq_error.name = "sq_error"
    return RnnNadePredictor(cfg, X, mask, u_prev, prediction, sq_error)


def generate(model, n: int = 1, steps: int = 100, prime=None, prime_mask=None, seed: int = 0) -> np.ndarray:
    """``steps x n x D`` sampled piano-roll frames of 0/1, continuing ``prime`` (T0 x B x D with B = n, or
    B = 1 to continue one prime n times); compiled once per model, see :func:`rnnrnade_pt.sample.sample`."""
    from ..sample import sample

    return sample(model, n, steps=steps, prime=prime, prime_mask=prime_mask, seed=seed)


def predict(model, X, mask=None) -> np.ndarray:
    """The probability of each note of frame t given the true frames before it (T x B x D, 0 on padding).

    The exact marginal ``p(v_d = 1 | v_<t)`` would sum over the 2^(d-1) settings of the lower notes; this is
    the ancestral mean-field instead: pitch by pitch, ``p_d = sigm(bv_t[d] + sigm(a_d) . V[d])`` with
    ``a_{d+1} = a_d + p_d W[:, d]``, each note's probability (not a sample) fed to the following notes. It is
    exact for the lowest pitch. :func:`rnnrnade_pt.runs.evaluate_run` thresholds it at 0.5 for the
    frame-level accuracy.
    """
    from ..sample import predict as compiled_predict

    return compiled_predict(model, X, mask)
