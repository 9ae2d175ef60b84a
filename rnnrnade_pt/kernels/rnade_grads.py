"""The supplement's hand-derived gradient of RNADE, over the fast graph's terms
(:func:`~rnnrnade_pt.kernels.rnade.rnade_terms_fast`), as a graph of its own (no ``pytensor.grad``).

References
----------
.. [1] Supplementary Material for the RNN-RNADE model, "Gradients for the RNADE".
.. [2] B. Uria, ``MoGNADE.sym_gradients_new`` (``MarcCote/NADE``, ``deepnade/buml/NADE``).
"""

from __future__ import annotations

from typing import NamedTuple

import pytensor
import pytensor.tensor as pt
from pytensor.tensor.variable import TensorVariable

from ..ops import const
from .rnade import RnadeTerms

__all__ = ["RnadeGrads", "rnade_explicit_grads", "input_weight_grads", "frame_param_grads"]


def input_weight_grads(xT: TensorVariable, da: TensorVariable) -> TensorVariable:
    """``d/dW[:, j] = sum_n x_jn sum_{d>j} da_dn`` (H x D), by a backward scan over d."""
    n, H = da.shape[1], da.shape[2]
    if xT.type.shape[0] == 1:
        return pt.zeros((H, 1), dtype=da.dtype)

    def input_weight_grad_step(x_j, da_next, g_next):
        g_j = g_next + da_next  # N x H: sum_{d > j} da_d
        return g_j, pt.dot(x_j, g_j)

    _, dW_rev = pytensor.scan(
        input_weight_grad_step,
        sequences=[xT[:-1], da[1:]],
        outputs_info=[pt.zeros((n, H), dtype=da.dtype), None],
        go_backwards=True,
        strict=True,
        return_updates=False,
        name="rnade_input_weight_grads",
    )
    return pt.concatenate([dW_rev[::-1], pt.zeros((1, H), dtype=da.dtype)], axis=0).T


class RnadeGrads(NamedTuple):
    """Gradients of ``sum_n weight_n log p(x_n)`` from :func:`rnade_explicit_grads`."""

    rho: TensorVariable  # D
    V_alpha: TensorVariable  # D x H x K
    V_mu: TensorVariable
    V_sigma: TensorVariable
    W: TensorVariable  # H x D, w.r.t. the effective input weights
    dc: TensorVariable  # N x H, w.r.t. each row's hidden bias
    dz_alpha: TensorVariable  # D x N x K, w.r.t. each row's output biases
    dz_mu: TensorVariable
    dz_sigma: TensorVariable


def rnade_explicit_grads(
    p: dict,
    terms: RnadeTerms,
    weight: TensorVariable | None = None,
    *,
    sigma_scaled_mu: bool = False,
    logdensity_floor: float | None = None,
) -> RnadeGrads:
    """The supplement's gradient formulas, as a graph of their own (no ``pytensor.grad``).

    With responsibilities ``pi_k = alpha_k phi_k / sum_j alpha_j phi_j`` and ``u = (x - mu) / sigma``:

    * d log p / d z_alpha = pi - alpha
    * d log p / d z_mu    = pi u / sigma      (= pi (x - mu) / sigma^2)
    * d log p / d z_sigma = pi (u^2 - 1)

    For Laplace components (``terms.mixture == "laplace"``, ``z_sigma = log b``) only these two change:

    * d log p / d z_mu    = pi sign(x - mu) / b
    * d log p / d z_sigma = pi (|x - mu| / b - 1)

    and the rest:

    * d / d V_*_d = h_d^T dz_*_d,   d / d b_*_d = sum over rows of dz_*_d
    * d / d h_d = dz_alpha V_alpha_d^T + dz_mu V_mu_d^T + dz_sigma V_sigma_d^T
    * d / d psi_d = d/dh_d * h_d (1 - h_d) with psi_d = rho_d a_d (rectifier: d/dh_d [h_d > 0]);
      d / d rho_d = sum(d/dpsi_d * a_d)
    * d / d a_d = rho_d d/dpsi_d;  d / d c = sum_d d/da_d;  d / d W[:, j] = sum_rows x_j sum_{d > j} d/da_d
      (under orderings, ``sum_rows sum_d d/da_d M[n, d, j] x_j``)

    Parameters
    ----------
    p : dict
        Parameters ``rho``, ``V_alpha``, ``V_mu``, ``V_sigma``.
    terms : RnadeTerms
        The fast forward pass.
    weight : TensorVariable, optional
        N weights of the rows' log-densities (the mask of padded frames).
    sigma_scaled_mu : bool
        The original code's "# Heuristic" (Uria's ``sym_gradients_new``): use ``pi u = sigma d/dz_mu`` in
        place of ``d/dz_mu``, for ``V_mu``, ``b_mu`` and everything downstream of ``h`` (``rho``, ``W``,
        ``c`` and, in RNN-RNADE, ``W_mu`` and the RNN). Not a gradient of the log-likelihood. Off by default.
    logdensity_floor : float, optional
        The original code's clamp ``wPhi = maximum(log alpha + log phi, -100)``: the responsibilities are
        ``exp(wPhi - logsumexp(wPhi))`` with the weighted log-densities floored at this value (the
        log-likelihood itself is not changed): components below the floor count as if at the floor, so
        for an outlier that every component explains badly they share the responsibility instead of
        following their true weights. ``None`` (default): no floor, the true gradient.

    References
    ----------
    .. [1] Supplementary Material for the RNN-RNADE model, "Gradients for the RNADE".
    .. [2] B. Uria, ``MoGNADE.sym_gradients_new`` (``MarcCote/NADE``, ``deepnade/buml/NADE``): the
       ``wPhi >= -100`` clamp and the ``dp_dz_mu * Sigma`` heuristic.
    """
    xT, h, a = terms.x, terms.h, terms.a
    if a is None:
        raise ValueError("the explicit gradient needs the fast graph's a and h; build with graph='fast'")
    if logdensity_floor is None:
        pi = pt.exp(terms.log_alpha + terms.log_phi - pt.shape_padright(terms.logp_d))  # D x N x K
    else:
        w_phi = pt.maximum(terms.log_alpha + terms.log_phi, const(logdensity_floor, terms.log_phi))
        pi = pt.exp(w_phi - pt.logsumexp(w_phi, axis=-1, keepdims=True))
    dz_alpha = pi - pt.exp(terms.log_alpha)
    if terms.mixture == "laplace":
        diff = pt.shape_padright(xT) - terms.mu  # D x N x K
        inv_b = pt.exp(-terms.z_sigma)  # 1 / b
        dz_mu = pi * pt.sign(diff) if sigma_scaled_mu else pi * pt.sign(diff) * inv_b
        dz_sigma = pi * (pt.abs(diff) * inv_b - 1)
    else:
        u = (pt.shape_padright(xT) - terms.mu) * pt.exp(-terms.z_sigma)
        dz_mu = pi * u if sigma_scaled_mu else pi * u * pt.exp(-terms.z_sigma)
        dz_sigma = pi * (u * u - 1)
    if weight is not None:
        w = pt.shape_padright(pt.shape_padleft(weight))  # 1 x N x 1
        dz_alpha, dz_mu, dz_sigma = dz_alpha * w, dz_mu * w, dz_sigma * w
    hT = h.transpose(0, 2, 1)  # D x H x N
    dh = (
        pt.matmul(dz_alpha, p["V_alpha"].transpose(0, 2, 1))
        + pt.matmul(dz_mu, p["V_mu"].transpose(0, 2, 1))
        + pt.matmul(dz_sigma, p["V_sigma"].transpose(0, 2, 1))
    )  # D x N x H
    dpsi = dh * pt.gt(h, 0) if terms.activation == "relu" else dh * h * (1 - h)  # act'(psi)
    rho = p["rho"]
    da = dpsi * pt.shape_padright(rho, 2)  # D x N x H
    if terms.x_before is None:
        dW = input_weight_grads(xT, da)  # H x D
    else:  # orderings: a_d = c + x_before[d] W^T
        dW = pt.tensordot(da, terms.x_before, axes=[[0, 1], [0, 1]])  # H x D
    return RnadeGrads(
        rho=(dpsi * a).sum(axis=(1, 2)),
        V_alpha=pt.matmul(hT, dz_alpha),
        V_mu=pt.matmul(hT, dz_mu),
        V_sigma=pt.matmul(hT, dz_sigma),
        W=dW,
        dc=da.sum(axis=0),
        dz_alpha=dz_alpha,
        dz_mu=dz_mu,
        dz_sigma=dz_sigma,
    )


def frame_param_grads(gr: RnadeGrads, fold_c_into_W: bool) -> dict:
    """The gradients of the stored ``W`` (and ``c``), ``rho`` and ``V_*`` from :func:`rnade_explicit_grads`:
    those w.r.t. the effective ``c`` (summed over rows) and ``W`` are mapped back to the stored parameters
    (with ``fold_c_into_W``, ``W[:, 0]`` is the bias). The output biases' gradients are the callers' (summed
    ``dz_*``, or through the RNN's bias maps)."""
    dc = gr.dc.sum(axis=0)  # H
    if fold_c_into_W:
        out = {"W": pt.concatenate([pt.shape_padright(dc), gr.W[:, :-1]], axis=1)}
    else:
        out = {"W": gr.W, "c": dc}
    out.update(rho=gr.rho, V_alpha=gr.V_alpha, V_mu=gr.V_mu, V_sigma=gr.V_sigma)
    return out
