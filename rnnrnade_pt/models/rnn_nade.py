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
  ``a_d`` of all pitches at once (:func:`rnnrnade_pt.kernels.rnade.accumulators`, as RNADE's fast graph).

Padded frames (``mask == 0``) are zeroed before use and weighted by 0: they contribute nothing, whatever they
contain, and the RNN state passes over them unchanged.

Generation (:func:`build_sampler`) is ancestral sampling in the graph: a scan over time whose step is a scan
over the pitches, ``v_d = 1[w_d < p(v_d = 1 | v_<d)]`` with ``w_d ~ U[0, 1)``; the random generator goes
through the time scan's ``outputs_info``, and given the seed frame t's noise is the t-th
``uniform(0, 1, (D, n))`` draw of ``numpy.random.default_rng(seed)``. Prediction (:func:`build_predictor`)
is the ancestral mean-field (see there). Both compile once per model
(:meth:`rnnrnade_pt.density_model.DensityModel.sample`, ``predict``).

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

from ..compat import draw
from ..config import ModelConfig
from ..kernels.nade import NadeTerms, nade_ancestral_scan, nade_logp_scan, nade_terms_fast
from ..kernels.rnn import TUTORIAL, rnn_step
from .binary_rnn import (
    conditional_biases,
    data_driven_init,
    init_rnn_params,
    rnn_param_shapes,
    u_prime,
    u_states,
)
from .common import (
    Predictor,
    Sampler,
    check_graph,
    check_model,
    int_scalar,
    new_rng,
    one_step_predictor,
    own_params,
    root_inputs,
    sample_over_time,
    sequence_inputs,
    sequence_totals,
)

__all__ = [
    "RnnNadeGraph",
    "build_rnnnade",
    "build",
    "param_shapes",
    "init_params",
    "data_driven_init",
    "build_sampler",
    "build_predictor",
]


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
    # what training may need beyond the cost (the DensityGraph protocol's optional fields; None: not used)
    train_cost: TensorVariable | None = None  # the surrogate cost whose gradient trains it (else cost)
    consider_constant: tuple = ()  # variables the training gradient holds constant
    rngs: dict | None = None  # checkpoint name -> shared random generator of the training graph
    rng_updates: dict | None = None  # generator -> its state after a training step
    M: TensorVariable | None = None  # N x D x D orderings input (an RNADE's only)


# -- parameters -----------------------------------------------------------------------------------------
def param_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Names and shapes (the table above), in a fixed order: ``W`` H x D, ``V`` D x H, ``bv`` D, ``bh`` H,
    then the RNN's ``Wuh``, ``Wuv``, ``Wvu``, ``Wuu``, ``bu``."""
    D, H = cfg.D, cfg.H
    return {"W": (H, D), "V": (D, H), "bv": (D,), "bh": (H,), **rnn_param_shapes(cfg)}


def init_params(cfg: ModelConfig, rng: np.random.Generator, scale: float) -> dict[str, np.ndarray]:
    """The tutorial's initialisation: ``W``, ``V`` ~ N(0, scale^2) (``scale = 0.01``: the tutorial's
    ``shared_normal(..., 0.01)``), ``bv = bh = 0``; the RNN part as
    :func:`~rnnrnade_pt.models.binary_rnn.init_rnn_params` (weights std ``scale / 100``, ``bu = 0``)."""
    D, H = cfg.D, cfg.H
    values = {
        "W": scale * rng.standard_normal((H, D)),
        "V": scale * rng.standard_normal((D, H)),
        "bv": np.zeros(D),
        "bh": np.zeros(H),
    }
    values.update(init_rnn_params(cfg, rng, scale))
    return values


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
    check_model(cfg, "rnn-nade", "build_rnnnade")
    check_graph(graph)
    p = own_params(cfg, params, init_params)
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
    return RnnNadeGraph(cfg, graph, X, mask, p, u, *sequence_totals(frame_loglik, mask), u_prev, terms)


build = build_rnnnade


# -- generation and prediction --------------------------------------------------------------------------
def build_sampler(
    cfg: ModelConfig, params: dict | None = None, n_steps=None, rng=None, seed: int = 0
) -> Sampler:
    """Ancestral sampling: a scan over time whose step samples a frame by a scan over the pitches.

    Sampling continues every sequence of the prime ``prime_X`` (T0 x B x D, with ``prime_mask`` T0 x B) from
    its state after its last frame (``u_0 = 0`` for T0 = 0); frame t's biases come from ``u_{t-1}``
    (:func:`~rnnrnade_pt.models.binary_rnn.conditional_biases`) and ``u_t`` from the sampled frame
    (:func:`~rnnrnade_pt.kernels.rnn.rnn_step`), the recurrence of the density. Given the seed frame t's
    noise is the t-th ``uniform(0, 1, (D, n))`` draw of ``numpy.random.default_rng(seed)``.

    Parameters
    ----------
    n_steps : int or TensorVariable, optional
        Frames to sample; a new int64 scalar input ``n_steps`` when omitted.
    rng : shared Generator, optional
        A new one seeded with ``seed`` when omitted; threaded through the time scan's ``outputs_info``.

    Returns
    -------
    Sampler
        ``samples`` (n_steps x B x D), ``probs`` (each sampled note's probability), ``states`` (``u``);
        compile with ``inputs`` and ``updates``.
    """
    check_model(cfg, "rnn-nade", "rnn_nade.build_sampler")
    p = own_params(cfg, params, init_params)
    D, dtype = cfg.D, cfg.dtype
    n_steps = int_scalar(n_steps, "n_steps")
    prime_X, prime_mask, u_start = u_prime(cfg, p)  # T0 x B x D, T0 x B, B x R
    rng = new_rng(rng, seed)

    def rnnnade_sample_frame(u_tm1, rng_tm1, q):
        # u_tm1: B x R; q: the parameters by name
        n = u_tm1.shape[0]
        rng_t, noise = draw(pt.random.uniform, 0.0, 1.0, rng=rng_tm1, size=(D, n))  # D x B
        bv_t, bh_t = conditional_biases(u_tm1, q)  # B x D, B x H
        v_t, prob_t = nade_ancestral_scan(q, bv_t, bh_t, noise.astype(dtype))  # B x D each
        u_t = rnn_step(v_t, pt.ones((n,), dtype=dtype), u_tm1, q, cfg, names=TUTORIAL)  # B x R
        return u_t, rng_t, v_t, prob_t

    u, rng_final, samples, probs = sample_over_time(
        cfg, p, rnnnade_sample_frame, u_start, rng, n_steps, name="rnnnade_sample_time", n_outputs=2
    )
    samples.name, probs.name, u.name = "samples", "probs", "u"
    inputs = root_inputs(n_steps, prime_X, prime_mask)
    n = prime_X.shape[1]
    return Sampler(
        cfg, samples, inputs, rng, {rng: rng_final}, n, n_steps, prime_X, prime_mask, u_start, u, probs
    )


def build_predictor(cfg: ModelConfig, params: dict | None = None) -> Predictor:
    """One-step-ahead note probabilities of every frame of ``X`` (T x B x D) by ancestral mean-field.

    Frame t is predicted from ``u_{t-1}``, the RNN state after the true frames before it (padding skipped,
    as in the density); all T*B frames then go through one scan over the pitches
    (:func:`~rnnrnade_pt.kernels.nade.nade_ancestral_scan` without noise). Predictions and errors are 0 on
    padding.

    The exact marginal ``p(v_d = 1 | v_<t)`` would sum over the 2^(d-1) settings of the lower notes; this is
    the ancestral mean-field instead: pitch by pitch, ``p_d = sigm(bv_t[d] + sigm(a_d) . V[d])`` with
    ``a_{d+1} = a_d + p_d W[:, d]``, each note's probability (not a sample) fed to the following notes. It is
    exact for the lowest pitch. :func:`rnnrnade_pt.runs.evaluate_run` thresholds it at 0.5 for the
    frame-level accuracy.
    """
    check_model(cfg, "rnn-nade", "rnn_nade.build_predictor")
    p = own_params(cfg, params, init_params)
    D, R = cfg.D, cfg.R
    X, mask, Vc = sequence_inputs(cfg)  # T x B x D, T x B, T x B x D
    T, B = X.shape[0], X.shape[1]
    _, u_prev = u_states(Vc, mask, p, cfg)  # T x B x R
    bv_t, bh_t = conditional_biases(u_prev.reshape((T * B, R)), p)
    _, prob = nade_ancestral_scan(p, bv_t, bh_t)  # TB x D
    return one_step_predictor(cfg, X, mask, Vc, prob.reshape((T, B, D)), u_prev)


explicit_gradients = None
"""No hand-derived gradient is written for this model: training uses ``pytensor.grad``."""
