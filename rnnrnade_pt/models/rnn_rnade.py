"""RNN-RNADE as a PyTensor graph: ``build_rnnrnade`` for padded batches of sequences ``X`` (T x B x D).

An RNN over frames, ``hhat_t = sigm(x_t W2 + hhat_{t-1} W3 + b_hhat)``, shifts the output biases of an
RNADE that models each frame: frame t uses ``b_* + hhat_{t-1} W_*``. The RNADE's accumulator restarts from
``c`` at every frame (Algorithm 2 of the supplement omits this reset; without it frames would leak into
each other through ``a``).

Two graphs of the same density:

* ``graph="scan"``: Algorithm 2, a scan over time whose step runs Algorithm 1 (a scan over dimensions).
* ``graph="fast"``: one scan over time for the RNN alone, then every frame of every sequence through the
  cumulative-sum RNADE at once.

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

import pytensor
import pytensor.tensor as pt
from pytensor.tensor.variable import TensorVariable

from ..config import ModelConfig
from ..errors import ConfigError
from ..params import shared_params
from ..rnade import RnadeTerms, input_weights, rnade_explicit_grads, rnade_logp_scan, rnade_terms_fast
from ..rnn import frame_biases, rnn_explicit_backward, rnn_states, rnn_step
from .inputs import sequence_inputs
from .rnade import check_graph, unfold_grads

__all__ = ["RnnRnadeGraph", "build_rnnrnade", "build", "explicit_gradients"]


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
    if cfg.model != "rnn-rnade":
        raise ConfigError("build_rnnrnade needs a config with model 'rnn-rnade'")
    check_graph(graph)
    p = params if params is not None else shared_params(cfg)
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
            logp_t = rnade_logp_scan(x_t, q, biases, W, cfg.mixture)  # B
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
        terms = rnade_terms_fast(Xc.reshape((T * B, D)), p, biases, W, cfg.mixture, fused=graph == "fused")
        frame_loglik = terms.logp.reshape((T, B)) * mask
    hhat.name = "hhat"
    frame_loglik.name = "frame_loglik"
    loglik = frame_loglik.sum(axis=0)
    loglik.name = "loglik"
    total = loglik.sum()
    total.name = "total"
    n_frames = mask.sum()
    cost = -total / n_frames
    cost.name = "cost"
    return RnnRnadeGraph(
        cfg, graph, X, mask, p, hhat, frame_loglik, loglik, total, n_frames, cost, terms, hhat_prev
    )


build = build_rnnrnade


def explicit_gradients(
    g: RnnRnadeGraph, *, sigma_scaled_mu: bool = False, logdensity_floor: float | None = None
) -> dict:
    """The supplement's formulas for d total / d parameter, through ``r_*`` and back through time.

    ``sigma_scaled_mu`` and ``logdensity_floor`` switch on the original code's hacks (off by default, which
    is the true gradient); see :func:`~rnnrnade_pt.rnade.rnade_explicit_grads`.
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
    out = unfold_grads(gr.W, gr.dc.sum(axis=0), cfg.fold_c_into_W)
    out.update(rho=gr.rho, V_alpha=gr.V_alpha, V_mu=gr.V_mu, V_sigma=gr.V_sigma)
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
