"""The RNADE frame model: the faithful scan over dimensions, the fast cumulative-sum form (plain or fused),
per-row orderings, and Algorithm 1 run generatively (ancestral sampling and mean-field).

Both forward forms compute, for a batch of N vectors ``x`` (N x D),

    a_1 = c,   h_d = sigm(rho_d a_d),   a_{d+1} = a_d + x_d W[:, d],
    z_alpha_d = h_d V_alpha_d + b_alpha_d,   mu_d = h_d V_mu_d + b_mu_d,
    z_sigma_d = h_d V_sigma_d + b_sigma_d,
    log p(x_d | x_<d) = log sum_k softmax(z_alpha_d)_k N(x_d; mu_dk, exp(z_sigma_dk)^2)

(RNADE-MoG), or with ``Laplace(x_d; mu_dk, b_dk)``, ``b_dk = exp(z_sigma_dk)``, in place of the Gaussian
(RNADE-Laplace, ``mixture="laplace"``: the sigma output layer gives ``log b``). With ``activation="relu"``
the hidden units are rectified, ``h_d = max(rho_d a_d, 0)``: the default (``RLU``) of Uria's code, where the
paper writes the sigmoid (:func:`hidden_units`).

The biases may be static (``c``: H, ``b_*``: D x K) or given per vector (``c``: N x H, ``b_*``: D x N x K),
which is how the RNN of RNN-RNADE enters.

* :func:`rnade_logp_scan` is Algorithm 1 of the supplement: a ``scan`` over d.
* :func:`rnade_terms_fast` computes every ``a_d`` of every row at once (``c`` plus the exclusive cumulative
  sum of ``x_d W[:, d]``, a light scan of rank-one updates) and the output layers as one batched matrix
  product (layout: d first, ``D x N x ...``); nothing of the mixture is inside a loop.
* :func:`~rnnrnade_pt.kernels.rnade_grads.rnade_explicit_grads` is the supplement's hand-derived backward
  pass over the fast terms.
* :func:`rnade_sample_scan` and :func:`rnade_mean_field_scan` run Algorithm 1 generatively.

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

from ..compat import draw
from ..ops import mixture_logpdf
from .fused_frame import fused_frame
from .fused_mixture import fused_mixture

__all__ = [
    "RnadeBiases",
    "RnadeTerms",
    "hidden_units",
    "input_weights",
    "static_biases",
    "rnade_logp_scan",
    "rnade_terms_fast",
    "ordered_accumulators",
    "rnade_noise",
    "mixture_draw",
    "rnade_sample_scan",
    "rnade_mean_field_scan",
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
    activation: str = "sigmoid"  # hidden units: "sigmoid" or "relu" (hidden_units)


def hidden_units(psi: TensorVariable, activation: str = "sigmoid") -> TensorVariable:
    """``h = sigm(psi)``, or with ``activation="relu"`` the rectifier ``max(psi, 0)``, written as a switch
    so that its gradient at ``psi = 0`` is 0, as in the fused Op and the explicit gradient."""
    if activation == "relu":
        return pt.switch(pt.gt(psi, 0), psi, pt.zeros_like(psi))
    return pt.sigmoid(psi)


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
    x: TensorVariable,
    p: dict,
    biases: RnadeBiases,
    W: TensorVariable,
    mixture: str = "gaussian",
    activation: str = "sigmoid",
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
    activation : {"sigmoid", "relu"}
        Hidden units (see :func:`hidden_units`).

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
        h_d = hidden_units(rho_d * a_d, activation)  # N x H
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


def _terms_fused(x, p, biases, W, V, mixture, activation) -> RnadeTerms:
    """The fast graph's terms with the fused Ops: the frame (:func:`fused_frame`) and the mixture
    (:func:`fused_mixture`, rows first, N x D); the per-component terms, which training does not use, are
    the graph's, given in the d-major layout of :class:`RnadeTerms` as transposed views."""
    z = fused_frame(x, W, biases.c, p["rho"], V, activation)  # N x D x 3K
    b_rows = [_rows_first(b) for b in biases[1:]]  # 1 x D x K or N x D x K
    logp_d = fused_mixture(x, z, *b_rows, mixture=mixture)  # N x D
    z_alpha, mu, z_sigma = _output_layers(z, p["V_alpha"].shape[-1], biases, _rows_first)
    mix = mixture_logpdf(x, z_alpha, mu, z_sigma, mixture)  # N x D x K, only where asked for
    d_major = [v.transpose(1, 0, 2) for v in (mix.log_alpha, mu, z_sigma, mix.log_phi)]
    return RnadeTerms(x.T, W, None, None, *d_major, logp_d.T, logp_d.sum(axis=1), mixture, None, activation)


def rnade_terms_fast(
    x: TensorVariable,
    p: dict,
    biases: RnadeBiases,
    W: TensorVariable,
    mixture: str = "gaussian",
    M: TensorVariable | None = None,
    fused: bool = False,
    activation: str = "sigmoid",
) -> RnadeTerms:
    """Every conditional of every row at once: the same density as :func:`rnade_logp_scan`.

    ``a_d = c + sum_{j<d} x_j W[:, j]`` comes from :func:`accumulators` (or, given the N x D x D precedence
    masks ``M`` of per-row orderings, from :func:`ordered_accumulators`); the three output layers are one
    batched matrix product per d over ``[V_alpha | V_mu | V_sigma]``. With ``fused`` the accumulators,
    hidden units and output layers are one Op (:mod:`rnnrnade_pt.kernels.fused_frame`), which never stores the
    D x N x H tensors: the terms then hold no ``a`` and ``h``, and no explicit gradient is built on them.
    """
    xT = x.T  # D x N
    x_before = None
    V = pt.concatenate([p["V_alpha"], p["V_mu"], p["V_sigma"]], axis=2)  # D x H x 3K
    if fused:
        if M is not None:
            raise ValueError("orderings of the dimensions are built on the fast graph, not the fused one")
        return _terms_fused(x, p, biases, W, V, mixture, activation)
    if M is None:
        a = accumulators(x, W, biases.c)  # D x N x H
    else:
        a, x_before = ordered_accumulators(x, W, biases.c, M)
    h = hidden_units(pt.shape_padright(p["rho"], 2) * a, activation)
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
        activation,
    )


# -- sampling: Algorithm 1 run generatively ----------------------------------------------------------
def rnade_noise(rng, D: int, n, dtype: str, mixture: str = "gaussian"):
    """One draw of ``u`` ~ U[0, 1) and ``eps`` ~ N(0, 1) (Laplace(0, 1) for ``mixture="laplace"``), each
    D x n; returns ``(next_rng, u, eps)``."""
    rng, u = draw(pt.random.uniform, 0.0, 1.0, rng=rng, size=(D, n))
    noise = pt.random.laplace if mixture == "laplace" else pt.random.normal
    rng, eps = draw(noise, 0.0, 1.0, rng=rng, size=(D, n))
    return rng, u.astype(dtype), eps.astype(dtype)


def _first_accumulator(c: TensorVariable, n) -> TensorVariable:
    """``a_1 = c`` for n rows: n x H (``c`` is H, or already n x H)."""
    return pt.broadcast_to(c, (n, c.shape[-1])) if c.ndim == 1 else c


def _mixture_params(a_d, rho_d, V_d, b_d, activation):
    """Mixture parameters of dimension d for n rows.

    ``a_d``: n x H; ``V_d``: H x (m K), the output layers side by side; ``b_d``: m biases, each K or n x K.
    Returns ``log alpha`` (n x K), ``mu`` (n x K) and, when m = 3, ``log sigma`` (n x K).
    """
    h_d = hidden_units(rho_d * a_d, activation)  # n x H
    z = pt.dot(h_d, V_d)  # n x mK
    K = b_d[0].shape[-1]
    parts = [z[:, i * K : (i + 1) * K] + b for i, b in enumerate(b_d)]  # each n x K
    z_alpha = parts[0]
    log_alpha = z_alpha - pt.logsumexp(z_alpha, axis=-1, keepdims=True)  # log-softmax (C backend fuses it)
    return (log_alpha, *parts[1:])


def mixture_draw(
    log_alpha: TensorVariable,
    mu: TensorVariable,
    z_sigma: TensorVariable,
    u: TensorVariable,
    eps: TensorVariable,
) -> TensorVariable:
    """One draw per row from the mixture ``sum_k alpha_k phi_k`` given its noise: the component
    ``k ~ Categorical(alpha)`` by the inverse CDF at ``u`` (n), then ``mu_k + exp(z_sigma_k) eps`` (``eps``:
    n, standard normal or Laplace). ``log_alpha``, ``mu``, ``z_sigma`` are n x K; returns n values."""
    K = mu.shape[-1]
    cdf = pt.cumsum(pt.exp(log_alpha), axis=-1)  # n x K
    k = pt.lt(cdf[:, :-1], pt.shape_padright(u)).sum(axis=-1)  # n, k ~ Categorical(alpha)
    chosen = pt.eq(pt.shape_padleft(pt.arange(K)), pt.shape_padright(k))  # n x K, one-hot of k
    x_k = mu + pt.exp(z_sigma) * pt.shape_padright(eps)  # n x K, a draw from every component
    return pt.switch(chosen, x_k, pt.zeros_like(x_k)).sum(axis=-1)  # n, no 0 * inf from the others


def rnade_sample_scan(
    u: TensorVariable,
    eps: TensorVariable,
    p: dict,
    biases: RnadeBiases,
    W: TensorVariable,
    activation: str = "sigmoid",
) -> TensorVariable:
    """Ancestral sampling of n vectors by a scan over the D dimensions, given the noise.

    Parameters
    ----------
    u, eps : TensorVariable
        D x n uniform [0, 1) and standard normal noise; ``u[d]`` picks the component of dimension d by its
        inverse CDF, ``eps[d]`` the point within it.
    p : dict
        Parameters ``rho``, ``V_alpha``, ``V_mu``, ``V_sigma`` (the biases come in ``biases``).
    biases : RnadeBiases
        Static (``c``: H, ``b_*``: D x K) or per row (``c``: n x H, ``b_*``: D x n x K), as for
        :func:`~rnnrnade_pt.kernels.rnade.rnade_logp_scan`.
    W : TensorVariable
        H x D effective input weights (see :func:`~rnnrnade_pt.kernels.rnade.input_weights`).
    activation : {"sigmoid", "relu"}
        Hidden units (see :func:`hidden_units`).

    Returns
    -------
    TensorVariable
        n x D samples, a deterministic function of ``u`` and ``eps``.
    """
    V = pt.concatenate([p["V_alpha"], p["V_mu"], p["V_sigma"]], axis=2)  # D x H x 3K
    a_1 = _first_accumulator(biases.c, u.shape[1])  # n x H

    def rnade_sample_dim_step(u_d, eps_d, W_d, rho_d, V_d, b_alpha_d, b_mu_d, b_sigma_d, a_d):
        # u_d, eps_d: n; W_d: H; V_d: H x 3K; b_*_d: K or n x K; a_d: n x H
        log_alpha, mu, z_sigma = _mixture_params(a_d, rho_d, V_d, (b_alpha_d, b_mu_d, b_sigma_d), activation)
        x_d = mixture_draw(log_alpha, mu, z_sigma, u_d, eps_d)  # n
        return a_d + pt.outer(x_d, W_d), x_d

    _, x = pytensor.scan(
        rnade_sample_dim_step,
        sequences=[u, eps, W.T, p["rho"], V, biases.b_alpha, biases.b_mu, biases.b_sigma],
        outputs_info=[a_1, None],
        strict=True,
        return_updates=False,
        name="rnade_sample_dims",
    )
    return x.T  # D x n -> n x D


def rnade_mean_field_scan(
    p: dict, biases: RnadeBiases, W: TensorVariable, n, activation: str = "sigmoid"
) -> TensorVariable:
    """Ancestral mean-field: each ``x_d`` replaced by ``E[x_d | a_d] = sum_k alpha_dk mu_dk``.

    Parameters
    ----------
    p, biases, W, activation
        As for :func:`rnade_sample_scan`.
    n : int or TensorVariable
        Number of rows (must match per-row biases).

    Returns
    -------
    TensorVariable
        n x D; row i's ``x_d`` is the mean of dimension d given the means of the dimensions before it.
    """
    V = pt.concatenate([p["V_alpha"], p["V_mu"]], axis=2)  # D x H x 2K
    a_1 = _first_accumulator(biases.c, n)  # n x H

    def rnade_mean_field_dim_step(W_d, rho_d, V_d, b_alpha_d, b_mu_d, a_d):
        # W_d: H; V_d: H x 2K; b_*_d: K or n x K; a_d: n x H
        log_alpha, mu = _mixture_params(a_d, rho_d, V_d, (b_alpha_d, b_mu_d), activation)
        m_d = (pt.exp(log_alpha) * mu).sum(axis=-1)  # n
        return a_d + pt.outer(m_d, W_d), m_d

    _, m = pytensor.scan(
        rnade_mean_field_dim_step,
        sequences=[W.T, p["rho"], V, biases.b_alpha, biases.b_mu],
        outputs_info=[a_1, None],
        strict=True,
        return_updates=False,
        name="rnade_mean_field_dims",
    )
    return m.T  # D x n -> n x D
