"""The binary NADE of one frame: the scan over pitches, the vectorised (and fused) form, ancestral sampling.

For N frames ``v`` (N x D, 0/1) with per-frame biases ``bv_t`` (N x D) and ``bh_t`` (N x H)::

    a_1 = bh_t,   h_d = sigm(a_d),   l_d = bv_t[d] + h_d . V[d],   p(v_d = 1 | v_<d) = sigm(l_d),
    a_{d+1} = a_d + v_d W[:, d]

and ``log p(v_d | v_<d) = -softplus((1 - 2 v_d) l_d)`` (log space).

References
----------
.. [1] H. Larochelle, I. Murray. "The neural autoregressive distribution estimator." AISTATS 2011.
.. [2] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. "Modeling temporal dependencies in high-dimensional
   sequences: application to polyphonic music generation and transcription." ICML 2012 (section 4).
"""

from __future__ import annotations

from typing import NamedTuple

import pytensor
import pytensor.tensor as pt
from pytensor.tensor.variable import TensorVariable

from .fused_frame import fused_frame
from .rnade import accumulators

__all__ = ["NadeTerms", "nade_log_prob", "nade_logp_scan", "nade_terms_fast", "nade_ancestral_scan"]


class NadeTerms(NamedTuple):
    """Intermediates of the vectorised NADE (N frames)."""

    a: TensorVariable | None  # D x N x H, accumulators a_d (None in the fused graph)
    h: TensorVariable | None  # D x N x H, h_d = sigm(a_d) (None in the fused graph)
    logit: TensorVariable  # D x N, l_d = bv_t[d] + h_d . V[d]
    logp_d: TensorVariable  # D x N, log p(v_d | v_<d)
    logp: TensorVariable  # N, log p(v)


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

    ``a_d = bh_t + sum_{j<d} v_j W[:, j]`` for all d by :func:`rnnrnade_pt.kernels.rnade.accumulators`, then
    all the logits by one batched product with ``V``. With ``fused``, both are one Op
    (:func:`rnnrnade_pt.kernels.fused_frame.fused_frame` with ``rho = 1``), and ``a``, ``h`` are not kept.
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
