"""The RNADE frame model: the faithful scan over dimensions, the fast cumulative-sum form, and the
supplement's explicit gradients.

Both forward forms compute, for a batch of N vectors ``x`` (N x D),

    a_1 = c,   h_d = sigm(rho_d a_d),   a_{d+1} = a_d + x_d W[:, d],
    z_alpha_d = h_d V_alpha_d + b_alpha_d,   mu_d = h_d V_mu_d + b_mu_d,
    z_sigma_d = h_d V_sigma_d + b_sigma_d,
    log p(x_d | x_<d) = log sum_k softmax(z_alpha_d)_k N(x_d; mu_dk, exp(z_sigma_dk)^2)

(RNADE-MoG), or with ``Laplace(x_d; mu_dk, b_dk)``, ``b_dk = exp(z_sigma_dk)``, in place of the Gaussian
(RNADE-Laplace, ``mixture="laplace"``: the sigma output layer gives ``log b``).

The biases may be static (``c``: H, ``b_*``: D x K) or given per vector (``c``: N x H, ``b_*``: D x N x K),
which is how the RNN of RNN-RNADE enters.

* :func:`rnade_logp_scan` is Algorithm 1 of the supplement: a ``scan`` over d.
* :func:`rnade_terms_fast` computes every ``a_d`` of every row at once (``c`` plus the exclusive cumulative
  sum of ``x_d W[:, d]``, a light scan of rank-one updates) and the output layers as one batched matrix
  product (layout: d first, ``D x N x ...``); nothing of the mixture is inside a loop.
* :func:`rnade_explicit_grads` is the supplement's hand-derived backward pass over the fast terms.

Orderings. The parameters are tied to the input dimensions (``W[:, j]`` is dimension j's input weight,
``V_*_d``, ``b_*_d``, ``rho_d`` dimension d's output layer), so an ordering o of the dimensions only changes
which inputs each accumulator sums: ``a_d = c + sum_{j before d in o} x_j W[:, j]`` and
``log p(x | o) = sum_d log p(x_d | x_{j before d})``. :func:`rnade_terms_fast` takes an optional
N x D x D 0/1 input ``M`` (``M[n, d, j] = 1`` when j precedes d in row n's ordering; the natural ordering is
the strict lower triangle) and computes ``a_{d,n} = c + sum_j M[n, d, j] x_{n,j} W[:, j]`` as one
batched matrix product (O(N D^2 H), cheap for D up to ~64). This is preferred over gathering by the
ordering: gathering would permute the *output* parameters per row (N x D x H x 3K copies of ``V``), while
the mask keeps the output layers, the mixture and the explicit gradient exactly as in the natural order,
and one compiled graph serves every ordering of every row. Without ``M`` the graph is the unchanged
cumulative form.

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
.. [2] Supplementary Material for the RNN-RNADE model, Algorithm 1 and "Gradients for the RNADE".
.. [3] B. Uria, I. Murray, H. Larochelle. "A deep and tractable density estimator." ICML 2014
   (order-agnostic training, ensembles over orderings).
"""

from __future__ import annotations

from typing import NamedTuple

import pytensor
import pytensor.tensor as pt
from pytensor.tensor.variable import TensorVariable

from .fused_frame import fused_frame
from .ops import mixture_logpdf

__all__ = [
    "RnadeBiases",
    "RnadeTerms",
    "input_weights",
    "static_biases",
    "rnade_logp_scan",
    "rnade_terms_fast",
    "ordered_accumulators",
    "rnade_explicit_grads",
]


class RnadeBiases(NamedTuple):
    """Biases fed to the RNADE: static or one per vector."""

    c: TensorVariable  # H  or  N x H
    b_alpha: TensorVariable  # D x K  or  D x N x K
    b_mu: TensorVariable  # D x K  or  D x N x K
    b_sigma: TensorVariable  # D x K  or  D x N x K


class RnadeTerms(NamedTuple):
    """Intermediates of the fast forward pass (d-major layout), reused by the explicit gradient."""

    x: TensorVariable  # D x N, the data transposed
    W: TensorVariable  # H x D, effective input weights (after unfolding c)
    a: TensorVariable | None  # D x N x H, accumulators a_d (None in the fused graph)
    h: TensorVariable | None  # D x N x H, h_d = sigm(rho_d a_d) (None in the fused graph)
    log_alpha: TensorVariable  # D x N x K
    mu: TensorVariable  # D x N x K
    z_sigma: TensorVariable  # D x N x K, log sigma
    log_phi: TensorVariable  # D x N x K, log phi(x_d; mu, sigma) of each component
    logp_d: TensorVariable  # D x N, log p(x_d | x_<d)
    logp: TensorVariable  # N, log p(x)
    mixture: str = "gaussian"  # component family: "gaussian" or "laplace"
    x_before: TensorVariable | None = None  # D x N x D, M[n, d, j] x_{n,j} (orderings only)


def input_weights(p: dict, fold_c_into_W: bool) -> tuple[TensorVariable, TensorVariable]:
    """The hidden bias ``c`` (H) and input weights ``W`` (H x D) of the supplement's parameterisation.

    With ``fold_c_into_W`` (the original code), ``W[:, 0]`` is the bias and ``x_d`` multiplies
    ``W[:, d + 1]``; the last input multiplies a column of zeros.
    """
    W = p["W"]
    if not fold_c_into_W:
        return p["c"], W
    return W[:, 0], pt.concatenate([W[:, 1:], pt.zeros_like(W[:, :1])], axis=1)


def static_biases(p: dict, fold_c_into_W: bool) -> RnadeBiases:
    """The time-invariant biases (plain RNADE)."""
    return RnadeBiases(input_weights(p, fold_c_into_W)[0], p["b_alpha"], p["b_mu"], p["b_sigma"])


def rnade_logp_scan(
    x: TensorVariable, p: dict, biases: RnadeBiases, W: TensorVariable, mixture: str = "gaussian"
) -> TensorVariable:
    """Algorithm 1: ``log p(x)`` for each row of ``x`` (N x D) by a scan over the D dimensions.

    Parameters
    ----------
    x : TensorVariable
        N x D data.
    p : dict
        Parameters ``rho``, ``V_alpha``, ``V_mu``, ``V_sigma`` (the biases come in ``biases``).
    biases : RnadeBiases
        Static or per-row biases.
    W : TensorVariable
        H x D effective input weights (see :func:`input_weights`).
    mixture : {"gaussian", "laplace"}
        Component family (see :func:`~rnnrnade_pt.ops.mixture_logpdf`).

    Returns
    -------
    TensorVariable
        N log-densities.
    """
    n = x.shape[0]
    c = biases.c
    a_1 = pt.broadcast_to(c, (n, c.shape[-1])) if c.ndim == 1 else c  # N x H

    def rnade_dim_step(x_d, W_d, rho_d, V_alpha_d, b_alpha_d, V_mu_d, b_mu_d, V_sigma_d, b_sigma_d, a_d):
        # x_d: N; W_d: H; a_d: N x H; V_*_d: H x K; b_*_d: K or N x K
        h_d = pt.sigmoid(rho_d * a_d)  # N x H
        z_alpha = pt.dot(h_d, V_alpha_d) + b_alpha_d  # N x K
        mu = pt.dot(h_d, V_mu_d) + b_mu_d
        z_sigma = pt.dot(h_d, V_sigma_d) + b_sigma_d
        logp_d = mixture_logpdf(x_d, z_alpha, mu, z_sigma, mixture).logp  # N
        return a_d + pt.outer(x_d, W_d), logp_d

    _, logp_d = pytensor.scan(
        rnade_dim_step,
        sequences=[x.T, W.T, p["rho"], p["V_alpha"], biases.b_alpha, p["V_mu"], biases.b_mu]
        + [p["V_sigma"], biases.b_sigma],
        outputs_info=[a_1, None],
        strict=True,
        return_updates=False,
        name="rnade_dims",
    )
    return logp_d.sum(axis=0)  # D x N -> N


def _per_row(b: TensorVariable, ndim: int) -> TensorVariable:
    """Give a static bias a broadcastable row axis (D x K -> D x 1 x K, H -> 1 x 1 x H)."""
    if b.ndim == ndim:
        return b
    return pt.shape_padaxis(b, -2) if ndim == 3 and b.ndim == 2 else pt.shape_padleft(b, ndim - b.ndim)


def accumulators(x: TensorVariable, W: TensorVariable, c: TensorVariable) -> TensorVariable:
    """Every ``a_d = c + sum_{j<d} x_j W[:, j]`` (D x N x H) by a scan over d of rank-one updates.

    The running sum stays in cache (one N x H slab), so this is one pass over the output; a cumulative sum
    along the leading axis of a D x N x H tensor is strided and several times slower, and a triangular
    matrix product costs O(D^2 N H).
    """
    n, H = x.shape[0], W.shape[0]
    a_0 = pt.broadcast_to(c, (n, H)) if c.ndim == 1 else c  # N x H
    # step d adds x_{d-1} W[:, d-1] (nothing at d = 0), so the scan's outputs are a_1 .. a_D themselves
    x_prev = pt.concatenate([pt.zeros_like(x[:, :1]), x[:, :-1]], axis=1).T  # D x N
    W_prev = pt.concatenate([pt.zeros_like(W[:, :1]), W[:, :-1]], axis=1).T  # D x H

    def accumulate_step(x_prev_d, W_prev_d, a_prev):
        return a_prev + pt.outer(x_prev_d, W_prev_d)

    return pytensor.scan(
        accumulate_step,
        sequences=[x_prev, W_prev],
        outputs_info=[a_0],
        strict=True,
        return_updates=False,
        name="rnade_accumulators",
    )


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


def ordered_accumulators(x: TensorVariable, W: TensorVariable, c: TensorVariable, M: TensorVariable):
    """Every ``a_{d,n} = c + sum_j M[n, d, j] x_{n,j} W[:, j]`` under per-row orderings.

    Returns ``(a, x_before)``: the accumulators (D x N x H) and the masked inputs
    ``x_before[d, n, j] = M[n, d, j] x_{n,j}`` (D x N x D), which the explicit gradient reuses.
    """
    x_before = M.transpose(1, 0, 2) * pt.shape_padleft(x)  # D x N x D
    a = pt.tensordot(x_before, W, axes=[[2], [1]]) + pt.shape_padleft(c)  # D x N x H (c: H or N x H)
    return a, x_before


def _rows_first(b: TensorVariable) -> TensorVariable:
    """A bias in the fused graph's rows-first layout: D x K -> 1 x D x K, D x N x K -> N x D x K."""
    return pt.shape_padleft(b) if b.ndim == 2 else b.transpose(1, 0, 2)


def _output_layers(z: TensorVariable, K, biases: RnadeBiases, layout) -> tuple:
    """``z_alpha``, ``mu``, ``z_sigma``: the three K-wide slices of the output layers ``z`` plus their
    biases, each put in ``z``'s layout by ``layout``."""
    slices = (slice(None, K), slice(K, 2 * K), slice(2 * K, None))
    return tuple(z[:, :, s] + layout(b) for s, b in zip(slices, biases[1:], strict=True))


def _terms_fused(x, p, biases, W, V, mixture) -> RnadeTerms:
    """The fast graph's terms with the fused frame Op, the mixture computed rows first (N x D x K); the
    terms are given in the d-major layout of :class:`RnadeTerms` as transposed views."""
    z = fused_frame(x, W, biases.c, p["rho"], V)  # N x D x 3K
    z_alpha, mu, z_sigma = _output_layers(z, p["V_alpha"].shape[-1], biases, _rows_first)
    mix = mixture_logpdf(x, z_alpha, mu, z_sigma, mixture)  # N x D (x K)
    d_major = [v.transpose(1, 0, 2) for v in (mix.log_alpha, mu, z_sigma, mix.log_phi)]
    return RnadeTerms(x.T, W, None, None, *d_major, mix.logp.T, mix.logp.sum(axis=1), mixture)


def rnade_terms_fast(
    x: TensorVariable,
    p: dict,
    biases: RnadeBiases,
    W: TensorVariable,
    mixture: str = "gaussian",
    M: TensorVariable | None = None,
    fused: bool = False,
) -> RnadeTerms:
    """Every conditional of every row at once: the same density as :func:`rnade_logp_scan`.

    ``a_d = c + sum_{j<d} x_j W[:, j]`` comes from :func:`accumulators` (or, given the N x D x D precedence
    masks ``M`` of per-row orderings, from :func:`ordered_accumulators`); the three output layers are one
    batched matrix product per d over ``[V_alpha | V_mu | V_sigma]``. With ``fused`` the accumulators,
    hidden units and output layers are one Op (:mod:`rnnrnade_pt.fused_frame`), which never stores the
    D x N x H tensors: the terms then hold no ``a`` and ``h``, and no explicit gradient is built on them.
    """
    xT = x.T  # D x N
    x_before = None
    V = pt.concatenate([p["V_alpha"], p["V_mu"], p["V_sigma"]], axis=2)  # D x H x 3K
    if fused:
        if M is not None:
            raise ValueError("orderings of the dimensions are built on the fast graph, not the fused one")
        return _terms_fused(x, p, biases, W, V, mixture)
    if M is None:
        a = accumulators(x, W, biases.c)  # D x N x H
    else:
        a, x_before = ordered_accumulators(x, W, biases.c, M)
    h = pt.sigmoid(pt.shape_padright(p["rho"], 2) * a)
    z = pt.matmul(h, V)  # D x N x 3K
    z_alpha, mu, z_sigma = _output_layers(z, p["V_alpha"].shape[-1], biases, lambda b: _per_row(b, 3))
    mix = mixture_logpdf(xT, z_alpha, mu, z_sigma, mixture)
    return RnadeTerms(
        xT,
        W,
        a,
        h,
        mix.log_alpha,
        mu,
        z_sigma,
        mix.log_phi,
        mix.logp,
        mix.logp.sum(axis=0),
        mixture,
        x_before,
    )


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
    * d / d psi_d = d/dh_d * h_d (1 - h_d) with psi_d = rho_d a_d;  d / d rho_d = sum(d/dpsi_d * a_d)
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
    from .ops import const

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
    dpsi = dh * h * (1 - h)
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
