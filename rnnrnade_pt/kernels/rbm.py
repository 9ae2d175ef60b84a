"""The RBM of one frame: free energy, Gibbs chains, the tutorial's ``build_rbm`` (CD-k), annealed importance
sampling of its partition function, and the mean-field fixed point of its visible means.

Every function takes the RBM's weights ``W`` (D x H) and biases ``bv``, ``bh`` (static, or one row per
visible vector: the RNN-RBM's conditional RBMs) and owns no parameters. Random draws come from a shared
generator passed in (``rng``) and are constants for gradients.

References
----------
.. [1] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. "Modeling temporal dependencies in high-dimensional
   sequences: application to polyphonic music generation and transcription." ICML 2012, and the Theano
   tutorial ``code/rnnrbm.py`` (``build_rbm``).
.. [2] R. Salakhutdinov, I. Murray. "On the quantitative analysis of deep belief networks." ICML 2008
   (AIS for RBMs).
.. [3] R. M. Neal. "Annealed importance sampling." Statistics and Computing 11, 2001.
.. [4] G. E. Hinton. "Training products of experts by minimizing contrastive divergence." Neural
   Computation 14, 2002.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.gradient import disconnected_grad
from pytensor.tensor.random.basic import UniformRV
from pytensor.tensor.variable import TensorVariable

from ..compat import draw
from ..errors import ConfigError
from .ais_math import group_threshold, logit, softplus_diff_sum, zero_skip_dot

__all__ = [
    "RbmChain",
    "AisEstimate",
    "free_energy",
    "gibbs_step",
    "gibbs_chain",
    "build_rbm",
    "ais_log_z",
    "mean_field",
    "mean_field_logits",
]


def free_energy(
    v: TensorVariable, W: TensorVariable, bv: TensorVariable, bh: TensorVariable
) -> TensorVariable:
    """``F(v) = -v . bv - sum_j softplus(v W_j + bh_j)`` per row.

    Parameters
    ----------
    v : TensorVariable
        ... x D visible vectors.
    W : TensorVariable
        D x H weights.
    bv, bh : TensorVariable
        D and H biases, or one row per visible vector (... x D, ... x H).

    Returns
    -------
    TensorVariable
        ``...``, one free energy per row.
    """
    return -(v * bv).sum(axis=-1) - pt.softplus(pt.dot(v, W) + bh).sum(axis=-1)


class _UniformRV(UniformRV):
    """PyTensor's uniform whose one-number bounds reach NumPy as numbers: the bounds arrive broadcast to the
    draw's number of dimensions (``[[[0.]]]``), which sends ``Generator.uniform`` down its per-element
    broadcasting path, about 8x slower than ``Generator.random`` (10 x 1024 x 150 numbers: 42 ms against
    5.4 ms, 2026-12-07). ``uniform(0, 1)`` is ``0 + 1 * random()``, so the numbers are the same, bit for
    bit; other backends dispatch on :class:`UniformRV` and see no difference."""

    def rng_fn(self, rng, low, high, size):
        if np.size(low) == 1 and np.size(high) == 1:
            low, high = float(np.ravel(low)[0]), float(np.ravel(high)[0])
            return rng.random(size) if (low, high) == (0.0, 1.0) else rng.uniform(low, high, size)
        return rng.uniform(low, high, size)


_uniform = _UniformRV()


def _bernoulli(rng, p: TensorVariable):
    """One draw of independent Bernoulli(p) units, in p's dtype; returns ``(next_rng, sample)``.

    Drawn as ``u < p`` from uniforms of p's shape (NumPy's ``uniform(0, 1, size)``, which the tests
    replay): an elementwise compare that PyTensor fuses with the sigmoid computing p, where NumPy's
    ``binomial(1, p)`` took 2.4x as long over a CD-15 chain (1600 x 88 visible, 150 hidden units; 0.71 s
    against 0.30 s, 2026-12-04). The sample is a constant for gradients (no gradient flows through a draw).
    """
    next_rng, u = draw(_uniform, 0.0, 1.0, rng=rng, size=p.shape)
    return next_rng, disconnected_grad(pt.lt(u.astype(p.dtype), p).astype(p.dtype))


def _shared_bernoulli(rng, shape, groups=None, x=None, scale=None, bias=None):
    """Bernoulli(sigm(a)) units, ``a = scale * x + bias`` (either term may be omitted; ``x`` M x N x n,
    ``bias`` N x n), from ``shape = (M, G, n)`` uniforms that the N rows share: row i uses group
    ``groups[i]``'s (``groups``: N integers in ``[0, G)``; omitted: G = 1, every row the same), so each row
    is a deterministic function of its group's random numbers and its own ``a``. ``u < sigm(a)`` is tested
    as ``logit(u) < a``: no sigmoid over M x N x n, the logits only over the M x G x n uniforms, and ``a``
    formed inside the comparison (:func:`~rnnrnade_pt.kernels.ais_math.group_threshold`). Returns
    ``(next_rng, sample)``."""
    next_rng, u = draw(_uniform, 0.0, 1.0, rng=rng, size=shape)
    dtype = (x if x is not None else bias).dtype
    noise = logit(u.astype(dtype))  # M x G x n, one vectorised C loop (kernels.ais_math)
    N = x.shape[1] if x is not None else bias.shape[0]
    groups = pt.zeros((N,), dtype="int64") if groups is None else groups  # N
    return next_rng, group_threshold(noise, groups, x, scale, bias)  # noise[:, groups] < a, no gather


def gibbs_step(v, W, bv, bh, rng):
    """One Gibbs sweep ``v -> h -> v'`` of an RBM (the tutorial's ``gibbs_step``).

    ``mean_h = sigm(v W + bh)``, ``h ~ Bernoulli(mean_h)``, ``mean_v = sigm(h W^T + bv)``,
    ``v' ~ Bernoulli(mean_v)``.

    Returns
    -------
    next_rng, a_v, v_next
        The generator after the two draws, the visible pre-activations ``a_v`` (... x D; ``mean_v =
        sigm(a_v)``, kept in log space by the callers) and the new visible sample.
    """
    rng, h = _bernoulli(rng, pt.sigmoid(pt.dot(v, W) + bh))  # ... x H
    a_v = pt.dot(h, W.T) + bv  # ... x D
    rng, v_next = _bernoulli(rng, pt.sigmoid(a_v))
    return rng, a_v, v_next


def gibbs_chain(v0, W, bv, bh, k: int, rng, name: str = "rbm_gibbs"):
    """A k-step Gibbs chain started at ``v0`` (a scan; the tutorial's ``chain``).

    Parameters
    ----------
    v0 : TensorVariable
        N x D starting points (the data for CD-k, zeros for generation).
    W, bv, bh : TensorVariable
        D x H weights; D or N x D and H or N x H biases.
    k : int
        Gibbs steps (>= 1).
    rng : shared Generator or generator variable
        Threaded through the scan's ``outputs_info``.

    Returns
    -------
    v_k, next_rng : TensorVariable
        The chain's end (N x D) and the generator after its draws.
    """

    def rbm_gibbs_step(v_tm1, rng_tm1, W, bv, bh):
        rng_t, _, v_t = gibbs_step(v_tm1, W, bv, bh, rng_tm1)
        return v_t, rng_t

    v, next_rng = pytensor.scan(
        rbm_gibbs_step,
        outputs_info=[v0, rng],
        non_sequences=[W, bv, bh],
        n_steps=k,
        strict=True,
        return_updates=False,
        name=name,
    )
    return v[-1], next_rng  # a generator output of a scan is its final state


class RbmChain(NamedTuple):
    """What the tutorial's ``build_rbm`` returns, with the generator's next state for its ``updates``."""

    v_sample: TensorVariable  # N x D, the chain's end (hold it constant in the gradient)
    cost: TensorVariable  # scalar, mean over (unmasked) rows of F(v) - F(v_sample)
    monitor: TensorVariable  # scalar, mean reconstruction cross-entropy from one more Gibbs step
    monitor_rows: TensorVariable  # N, that cross-entropy per row (0 where masked)
    free_energy: TensorVariable  # N, F(v)
    next_rng: TensorVariable  # the generator after the chain and the monitor's step


def build_rbm(v, W, bv, bh, k: int, rng, mask=None) -> RbmChain:
    """The tutorial's ``build_rbm(v, W, bv, bh, k)``: a k-step Gibbs chain from ``v``, the CD-k cost and
    the monitor.

    Parameters
    ----------
    v : TensorVariable
        N x D binary rows (the training frames).
    W, bv, bh : TensorVariable
        D x H weights; D or N x D and H or N x H biases (one row of biases per frame for the RNN-RBM).
    k : int
        Gibbs steps of contrastive divergence.
    rng : shared Generator or generator variable
        The chain draws from it, then the monitor's extra Gibbs step.
    mask : TensorVariable, optional
        N weights of 0/1; masked rows contribute nothing. All ones when omitted.

    Returns
    -------
    RbmChain
        ``cost = sum_n m_n (F(v_n) - F(v_sample_n)) / sum_n m_n``: its gradient with ``v_sample`` constant
        is the CD-k estimate of minus the mean log-likelihood gradient.
    """
    m = pt.ones((v.shape[0],), dtype=v.dtype) if mask is None else mask  # N
    n = m.sum()
    v_sample, rng = gibbs_chain(v, W, bv, bh, k, rng)  # N x D
    rng, a_v, _ = gibbs_step(v_sample, W, bv, bh, rng)  # a_v: N x D pre-activation of mean_v
    # v log sigm(a) + (1 - v) log(1 - sigm(a)), in log space: exact 0 * finite where v is 0 or 1
    monitor_rows = -(v * pt.softplus(-a_v) + (1 - v) * pt.softplus(a_v)).sum(axis=-1) * m  # N
    F_v = free_energy(v, W, bv, bh)  # N
    cost = ((F_v - free_energy(v_sample, W, bv, bh)) * m).sum() / n
    return RbmChain(v_sample, cost, monitor_rows.sum() / n, monitor_rows, F_v, rng)


class AisEstimate(NamedTuple):
    """Annealed importance sampling of RBM partition functions."""

    log_z: TensorVariable  # N, the estimate of each RBM's log Z (reverse: the log Z it implies for its row)
    log_z0: TensorVariable  # N, the exact log Z of the starting (zero-weight) RBMs
    log_w: TensorVariable  # M x N, each chain's log importance weight
    next_rng: TensorVariable


def ais_log_z(
    W,
    bv,
    bh,
    n_chains: int,
    n_betas: int,
    rng,
    groups=None,
    n_groups: int = 1,
    base_bv=None,
    reverse_from=None,
) -> AisEstimate:
    """``log Z`` of N RBMs sharing ``W`` (with their own biases) by AIS from zero-weight RBMs, or by reverse
    annealing (RAISE) from data.

    Parameters
    ----------
    W : TensorVariable
        D x H weights.
    bv, bh : TensorVariable
        N x D and N x H biases, one RBM per row.
    n_chains : int
        M chains per RBM.
    n_betas : int
        K temperatures ``beta_k = k / K`` after ``beta_0 = 0``: K weight updates and Gibbs sweeps.
    rng : shared Generator or generator variable
        Threaded through the scan over temperatures.
    groups : TensorVariable, optional
        N integers in ``[0, n_groups)``: the RBMs of one group share their chains' random numbers, those of
        different groups draw their own (omitted: one group, all RBMs share them).
    n_groups : int
        The number of groups G (static: the random draws' shape does not depend on N).
    base_bv : TensorVariable, optional
        N x D visible biases ``b0`` of the starting RBMs (zero weights, hidden units uniform). Omitted: each
        RBM's own ``bv``. The nearer ``sigm(b0)`` lies to the RBM's visible marginals, the shorter the path
        (e.g. the mean-field fixed point, :func:`mean_field_logits`; but a unimodal start can miss modes).
    reverse_from : TensorVariable, optional
        N x D visible vectors, one per RBM: anneal in reverse from each (RAISE), which estimates the
        vector's probability ``p(v_n)`` rather than ``Z``; ``log_z`` is then the ``log Z`` that estimate
        implies, ``-F(v_n) - log p_hat(v_n)``.

    Returns
    -------
    AisEstimate
        ``log_z = log_z0 + logsumexp_m(log_w) - log M`` forward, ``log_z0 - (logsumexp_m(log_w) - log M)``
        in reverse (N), with ``log_z0 = sum softplus(b0) + H log 2``.

    Notes
    -----
    The chains run at ``p_k(v, h) ∝ exp(v . ((1 - beta_k) b0 + beta_k bv) + beta_k (v W h + h . bh))``,
    whose visible marginal ``f_k(v)`` is known up to ``Z_k``: at beta = 0 the visible units are independent
    Bernoulli(sigm(b0)) and the hidden ones uniform; at beta = 1 it is the RBM. With ``b0 = bv`` (the
    default) the visible bias stays ``bv`` all along: Salakhutdinov & Murray's path from the zero-weight RBM
    with the model's own visible biases.

    Forward (AIS, Neal 2001): ``v_0 ~ p_0``; step k adds ``log f_k(v_{k-1}) - log f_{k-1}(v_{k-1})`` to the
    log-weight, then moves the state by one Gibbs sweep ``v -> h -> v'`` at ``beta_k``; ``E[w] = Z / Z_0``.
    Its log is below ``log Z`` on average (Jensen): the log-likelihood is overestimated.

    Reverse (RAISE, Burda et al. 2015): the state starts at the data vector ``v_K = v_n``; step k (from K
    down to 1) first moves it by one sweep at ``beta_k`` (the sweep is reversible, so it is its own reverse
    kernel), then adds ``log f_{k-1}(v_{k-1}) - log f_k(v_{k-1})``. Then ``f(v_n) w / Z_0`` is an unbiased
    estimate of ``p_fwd(v_n)``, the probability of ``v_n`` under the forward chain's own generative
    process, which approaches ``p(v_n)`` as the annealing improves: its log is a stochastic lower bound, so
    the log-likelihood is underestimated (conservative), and the forward and reverse estimates bracket the
    truth when the annealing is imperfect.

    Every unit is drawn as ``u < sigm(a)`` from uniforms ``u`` of shape M x G x D (visible) or M x G x H
    (hidden) that the RBMs of a group share: chain m of every RBM in group g uses the same random numbers.
    Each RBM's estimate is then a deterministic function of its own parameters, its group and the stream,
    whatever the other rows are (a sequence's estimated log-likelihood does not depend on the batch it is
    evaluated in, nor on its padding, when the group is a function of the frame's time step and sequence),
    and each is still an unbiased estimate of its Z (forward) or ``p_fwd(v_n)`` (reverse). The price: the
    errors of RBMs in one group are correlated, so the error of an average over frames shrinks like
    1/sqrt(chains x groups), not 1/sqrt(chains x frames).

    References
    ----------
    .. [1] Y. Burda, R. Grosse, R. Salakhutdinov. "Accurate and conservative estimates of MRF
       log-likelihood using reverse annealing." AISTATS 2015.
    """
    for name, value in (("n_chains", n_chains), ("n_betas", n_betas)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"AIS {name} must be a positive integer, got {value!r}")
    if not isinstance(n_groups, int) or isinstance(n_groups, bool) or n_groups < 1:
        raise ConfigError(f"AIS n_groups must be a positive integer, got {n_groups!r}")
    if groups is None and n_groups != 1:
        raise ConfigError(f"AIS with n_groups={n_groups} needs each RBM's group (groups)")
    dtype = bv.dtype
    D, H = W.shape[0], W.shape[1]
    betas = np.linspace(0.0, 1.0, n_betas + 1).astype(dtype)
    b0 = bv if base_bv is None else base_bv  # N x D
    log_z0 = pt.softplus(b0).sum(axis=-1) + H.astype(dtype) * np.asarray(math.log(2.0), dtype)  # N
    log_w0 = pt.zeros((n_chains, bv.shape[0]), dtype=dtype)  # M x N
    reverse = reverse_from is not None
    extra = ([] if base_bv is None else [base_bv]) + ([] if groups is None else [groups])

    def log_f_ratio(v, beta_k, beta_km1, W, bv, bh, b0):
        """``log f_k(v) - log f_{k-1}(v)`` (M x N) of the visible marginals."""
        a_h = zero_skip_dot(v, W) + bh  # M x N x H (v binary, mostly zeros)
        ratio = softplus_diff_sum(a_h, beta_k, beta_km1)  # the hidden units' part, one fused Op
        return ratio if b0 is None else ratio + (beta_k - beta_km1) * (v * (bv - b0)).sum(axis=-1)

    def sweep(v, beta_k, rng, W, bv, bh, b0, g):
        """One Gibbs sweep ``v -> h -> v'`` at ``beta_k`` (M x N x D); returns ``(next_rng, v')``."""
        bv_k = bv if b0 is None else b0 + beta_k * (bv - b0)  # N x D, the visible bias at beta_k
        a_h = zero_skip_dot(v, W) + bh  # M x N x H (log_f_ratio's too: one node)
        rng, h = _shared_bernoulli(rng, (n_chains, n_groups, H), g, a_h, beta_k)  # beta_k a_h
        # h has about as many ones as zeros: there the dense product (BLAS) is the faster
        return _shared_bernoulli(rng, (n_chains, n_groups, D), g, pt.dot(h, W.T), beta_k, bv_k)

    def ais_temperature_step(beta_k, beta_km1, v_km1, log_w_km1, rng_km1, W, bv, bh, *rest):
        b0 = rest[0] if base_bv is not None else None  # N x D
        g = rest[-1] if groups is not None else None  # N, each RBM's noise group
        log_w_k = log_w_km1 + log_f_ratio(v_km1, beta_k, beta_km1, W, bv, bh, b0)
        rng_k, v_k = sweep(v_km1, beta_k, rng_km1, W, bv, bh, b0, g)
        return v_k, log_w_k, rng_k

    def raise_temperature_step(beta_k, beta_km1, v_k, log_w_k, rng_k, W, bv, bh, *rest):
        b0 = rest[0] if base_bv is not None else None  # N x D
        g = rest[-1] if groups is not None else None  # N, each RBM's noise group
        rng_km1, v_km1 = sweep(v_k, beta_k, rng_k, W, bv, bh, b0, g)
        return v_km1, log_w_k - log_f_ratio(v_km1, beta_k, beta_km1, W, bv, bh, b0), rng_km1

    if reverse:
        v_start = pt.broadcast_to(reverse_from.astype(dtype), (n_chains, *reverse_from.shape))  # M x N x D
        beta, beta_prev = betas[:0:-1], betas[-2::-1]  # K .. 1, K-1 .. 0
    else:
        rng, v_start = _shared_bernoulli(rng, (n_chains, n_groups, D), groups, bias=b0)  # M x N x D
        beta, beta_prev = betas[1:], betas[:-1]
    _, log_w, next_rng = pytensor.scan(
        raise_temperature_step if reverse else ais_temperature_step,
        sequences=[pt.constant(beta, name="beta"), pt.constant(beta_prev, name="beta_prev")],
        outputs_info=[v_start, log_w0, rng],
        non_sequences=[W, bv, bh, *extra],
        strict=True,
        return_updates=False,
        name="raise_temperatures" if reverse else "ais_temperatures",
    )
    log_w = log_w[-1]  # M x N
    log_mean_w = pt.logsumexp(log_w, axis=0) - np.asarray(math.log(n_chains), dtype)  # N
    log_z = log_z0 - log_mean_w if reverse else log_z0 + log_mean_w  # N
    return AisEstimate(log_z, log_z0, log_w, next_rng)


def mean_field_logits(W, bv, bh, n_steps: int) -> TensorVariable:
    """The visible pre-activations ``bv + sigm(m_v W + bh) W^T`` at the mean-field means ``m_v`` after
    ``n_steps`` iterations (:func:`mean_field`): the logits of one more iteration, N x D, finite where the
    means saturate (the starting biases of :func:`ais_log_z`'s mean-field path)."""
    m_v = mean_field(W, bv, bh, n_steps)  # N x D
    return bv + pt.dot(pt.sigmoid(pt.dot(m_v, W) + bh), W.T)


def mean_field(W, bv, bh, n_steps: int) -> TensorVariable:
    """The RBM's mean-field fixed point of the visible means, by ``n_steps`` iterations (a scan).

    ``m_v <- sigm(bv + sigm(m_v W + bh) W^T)`` from ``m_v = sigm(bv)`` (the zero-weight RBM's means).
    ``bv`` (N x D) and ``bh`` (N x H) give one RBM per row; returns N x D.
    """

    def rbm_mean_field_step(m_v, W, bv, bh):
        return pt.sigmoid(pt.dot(pt.sigmoid(pt.dot(m_v, W) + bh), W.T) + bv)

    m = pytensor.scan(
        rbm_mean_field_step,
        outputs_info=[pt.sigmoid(bv)],
        non_sequences=[W, bv, bh],
        n_steps=n_steps,
        strict=True,
        return_updates=False,
        name="rbm_mean_field",
    )
    return m[-1]
