"""The recurrence of RNN-RNADE: the RNN state ``hhat_t`` and the biases it gives the next frame's RNADE.

    hhat_t = f(x_t W2 + hhat_{t-1} W3 + b_hhat),   hhat_0 = h0,
    f = sigm (supplement) or tanh (original code)
    r_alpha = hhat_{t-1} W_alpha,  r_mu = hhat_{t-1} W_mu,  r_sigma = hhat_{t-1} W_sigma   (R x D x K maps)
    frame t's RNADE uses b_alpha + r_alpha, b_mu + r_mu, b_sigma + r_sigma (and c + hhat_{t-1} W_c)

:func:`frame_biases` and :func:`rnn_step` are the two halves of the tutorial's ``recurrence(v_t, u_tm1)``;
the faithful graph, the fast graph and sampling all call them. A frame whose mask is 0 is skipped: it leaves
``hhat`` unchanged. :func:`rnn_explicit_backward` is backpropagation through time written out by hand.

References
----------
.. [1] Supplementary Material for the RNN-RNADE model, section 2.
.. [2] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. "Modeling temporal dependencies in high-dimensional
   sequences: application to polyphonic music generation and transcription." ICML 2012.
"""

from __future__ import annotations

from typing import NamedTuple

import pytensor
import pytensor.tensor as pt
from pytensor.tensor.variable import TensorVariable

from ..config import ModelConfig
from ..ops import activation, activation_grad
from .rnade import RnadeBiases, input_weights

__all__ = [
    "RnnNames",
    "SUPPLEMENT",
    "TUTORIAL",
    "frame_biases",
    "rnn_step",
    "rnn_states",
    "rnn_explicit_backward",
]


class RnnNames(NamedTuple):
    """The names of the recurrence's parameters in a parameter dict: input weights, recurrent weights,
    bias, initial state."""

    W_in: str
    W_rec: str
    b: str
    h0: str


SUPPLEMENT = RnnNames("W2", "W3", "b_hhat", "h0")  # RNN-RNADE, the Gaussian RNN
TUTORIAL = RnnNames("Wvu", "Wuu", "bu", "u0")  # RNN-RBM and RNN-NADE, the Theano tutorial's names


def frame_biases(hhat_tm1: TensorVariable, p: dict, cfg: ModelConfig) -> RnadeBiases:
    """The RNADE biases of frame t given the previous RNN state.

    Parameters
    ----------
    hhat_tm1 : TensorVariable
        N x R states ``hhat_{t-1}``, one per frame to model.

    Returns
    -------
    RnadeBiases
        ``c`` (H or N x H) and ``b_*`` (D x K when not conditioned, else D x N x K).
    """
    D, K = cfg.D, cfg.K
    out = {}
    for comp in ("alpha", "mu", "sigma"):
        b = p[f"b_{comp}"]
        if comp in cfg.conditioned:
            r = pt.dot(hhat_tm1, p[f"W_{comp}"].reshape((cfg.R, D * K)))  # N x DK
            b = pt.shape_padaxis(b, 1) + r.reshape((hhat_tm1.shape[0], D, K)).transpose(1, 0, 2)  # D x N x K
        out[comp] = b
    c = input_weights(p, cfg.fold_c_into_W)[0]
    if cfg.condition_c:
        c = c + pt.dot(hhat_tm1, p["W_c"])  # N x H
    return RnadeBiases(c, out["alpha"], out["mu"], out["sigma"])


def rnn_step(
    x_t: TensorVariable,
    m_t: TensorVariable,
    hhat_tm1: TensorVariable,
    p: dict,
    cfg: ModelConfig,
    names: RnnNames = SUPPLEMENT,
):
    """``hhat_t`` for B sequences (x_t: B x D, m_t: B, hhat_tm1: B x R); masked frames keep ``hhat_tm1``.

    ``names`` says which entries of ``p`` are ``W2``, ``W3``, ``b_hhat`` (the tutorial's ``Wvu``, ``Wuu``,
    ``bu`` for the binary models: ``u_t = tanh(bu + v_t Wvu + u_tm1 Wuu)``).
    """
    pre = pt.dot(x_t, p[names.W_in]) + pt.dot(hhat_tm1, p[names.W_rec]) + p[names.b]
    m = pt.shape_padright(m_t)  # B x 1 of 0/1: exact, and its gradient keeps the model's dtype
    return m * activation(cfg.rnn_activation, pre) + (1 - m) * hhat_tm1


def rnn_states(
    X: TensorVariable,
    mask: TensorVariable,
    p: dict,
    cfg: ModelConfig,
    names: RnnNames = SUPPLEMENT,
    h0: TensorVariable | None = None,
) -> TensorVariable:
    """All RNN states by a scan over time: ``hhat`` (T x B x R), ``hhat[t]`` being the state after frame t.

    ``h0`` (R) is the initial state, ``p[names.h0]`` when omitted (the tutorial's fixed ``u0 = 0`` is not a
    parameter: pass it here).
    """
    keys = list(names[:3])

    def rnn_time_step(x_t, m_t, hhat_tm1, W_in, W_rec, b):
        return rnn_step(x_t, m_t, hhat_tm1, dict(zip(keys, (W_in, W_rec, b), strict=True)), cfg, names)

    h0 = p[names.h0] if h0 is None else h0
    h0 = pt.broadcast_to(h0, (X.shape[1], h0.shape[0]))  # B x R
    return pytensor.scan(
        rnn_time_step,
        sequences=[X, mask],
        outputs_info=[h0],
        non_sequences=[p[n] for n in keys],
        strict=True,
        return_updates=False,
        name="rnn_time",
    )


def rnn_explicit_backward(
    X: TensorVariable,
    mask: TensorVariable,
    hhat: TensorVariable,
    hhat_prev: TensorVariable,
    e: TensorVariable,
    p: dict,
    cfg: ModelConfig,
    names: RnnNames = SUPPLEMENT,
) -> dict[str, TensorVariable]:
    """Backpropagation through time by hand: the gradient of the recurrence :func:`rnn_states` runs.

    Parameters
    ----------
    X, mask : TensorVariable
        T x B x D frames (padded ones zeroed) and T x B mask.
    hhat, hhat_prev : TensorVariable
        T x B x R states after and before each frame.
    e : TensorVariable
        T x B x R gradient reaching ``hhat_prev[t]`` directly, through frame t's biases.
    p : dict
        The parameters, among them the recurrence's under ``names``.
    names : RnnNames
        The recurrence's parameter names, as for :func:`rnn_states` (the supplement's by default).

    Returns
    -------
    dict
        Gradients w.r.t. the recurrence's input weights, recurrent weights, bias and initial state, under
        ``names`` (``W2``, ``W3``, ``b_hhat``, ``h0`` by default).

    Notes
    -----
    With g the total gradient w.r.t. ``hhat[t]`` (0 after the last frame), going backwards in time:
    ``delta_t = m_t g f'(hhat[t])`` and the gradient w.r.t. ``hhat_prev[t]`` is
    ``e[t] + delta_t W3^T + (1 - m_t) g`` (a skipped frame passes g on unchanged).
    """

    def rnn_backward_step(hhat_t, m_t, e_t, g_t, W_rec):
        m = pt.shape_padright(m_t)
        delta_t = m * g_t * activation_grad(cfg.rnn_activation, hhat_t)  # B x R
        return e_t + pt.dot(delta_t, W_rec.T) + (1 - m) * g_t, delta_t

    (g_prev, delta_rev) = pytensor.scan(
        rnn_backward_step,
        sequences=[hhat, mask, e],
        outputs_info=[pt.zeros_like(hhat[0]), None],
        non_sequences=[p[names.W_rec]],
        go_backwards=True,
        strict=True,
        return_updates=False,
        name="rnn_time_backward",
    )
    delta = delta_rev[::-1]  # T x B x R, back in time order
    return {
        names.W_in: pt.tensordot(X, delta, axes=[[0, 1], [0, 1]]),
        names.W_rec: pt.tensordot(hhat_prev, delta, axes=[[0, 1], [0, 1]]),
        names.b: delta.sum(axis=(0, 1)),
        names.h0: g_prev[-1].sum(axis=0),
    }
