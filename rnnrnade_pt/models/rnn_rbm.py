"""RNN-RBM as PyTensor graphs: a faithful port of the Theano tutorial's ``rnnrbm.py``, with AIS for its
log-likelihood.

Each frame ``v_t`` (D binary units) is modelled by an RBM whose biases an RNN over the previous frames sets::

    bv_t = bv + u_tm1 Wuv,   bh_t = bh + u_tm1 Wuh,   u_t = tanh(bu + v_t Wvu + u_tm1 Wuu),   u_0 = 0
    F_t(v) = -v . bv_t - sum_j softplus(v W_j + bh_t,j)          (free energy, W: D x H)
    p(v_t | v_<t) = exp(-F_t(v_t)) / Z_t

The RNN part is :mod:`rnnrnade_pt.models.binary_rnn` (shared with RNN-NADE). As in the tutorial, the
deterministic RNN runs first (one scan over time) and all T x B conditional RBMs are then handled at once.

Training is contrastive divergence (CD-k, ``cfg.cd_k``; the tutorial's CD-15): a k-step Gibbs chain starts at
every data frame, and ``train_cost = mean_t [F_t(v_t) - F_t(v_t^(k))]`` is differentiated with the chain's
end ``v_t^(k)`` held constant (``consider_constant``), which gives the CD-k estimate of the log-likelihood
gradient for every parameter, the RNN's included (through ``bv_t`` and ``bh_t``). Training monitors the
tutorial's reconstruction cross-entropy ``sum_i v_i log m_i + (1 - v_i) log(1 - m_i)`` with ``m`` the
visible means of one more Gibbs step from the chain's end (the tutorial's "pseudo log-likelihood"; it is not
the likelihood), in log space (softplus), so it cannot reach the tutorial's ``-inf``. ``total`` has the
summed monitor's value and the gradient of ``-n_frames * train_cost`` (the two are decoupled with
``disconnected_grad``), so that ``pytensor.grad(total)`` (:func:`~rnnrnade_pt.models.symbolic_gradients`,
``DensityModel.gradients``) is the CD-k estimate of the gradient of the summed log-likelihood, the direction
training follows.

The log-likelihood ``frame_loglik = -F_t(v_t) - log Z_t`` is an estimate: ``log Z_t`` of each frame's RBM
comes from annealed importance sampling (Neal 2001; Salakhutdinov & Murray 2008) with ``cfg.ais_chains``
chains and ``cfg.ais_betas`` temperatures ``0 = beta_0 < ... < beta_K = 1`` (evenly spaced), run as one scan
over temperatures over all frames and chains at once. The intermediate distributions are

    p_beta(v, h) ∝ exp(v . bv_t + beta (v W h + h . bh_t)),

so the chains start from the **zero-weight RBM with the frame's own visible biases** (beta = 0: v ~
Bernoulli(sigm(bv_t)) independently, h uniform), whose partition function is exact,
``log Z_0 = sum_i softplus(bv_t,i) + H log 2``. Each step adds
``sum_j softplus(beta_k a_j) - softplus(beta_{k-1} a_j)`` (``a = v W + bh_t``) to the chains' log-weights
and moves them by one Gibbs sweep that leaves ``p_beta_k`` invariant; then
``log Z_t ~ log Z_0 + logsumexp(log w) - log M``. Its expectation is below ``log Z_t`` (Jensen), so the
log-likelihood estimate is, on average, slightly optimistic; the gap shrinks with more chains and
temperatures.

Evaluation uses common random numbers. The AIS generator is a shared variable *without* an update, so every
call of a compiled log-likelihood draws the same numbers (comparisons between epochs are not blurred by fresh
noise), and all frames share them (chain m of every frame uses the same uniforms, see :func:`ais_log_z`), so
a frame's estimate depends on its own RBM only: ``loglik(X)`` is a deterministic function of the parameters
and each sequence, whatever batch or padding it comes in. The CD chain's generator is advanced by every
training step and listed in ``rngs`` so that checkpoints carry it; a training run seeds it from
``train.seed`` (:class:`~rnnrnade_pt.train.Trainer`; ``CD_SEED``, the tutorial's, is only the graph's
default). Gibbs samples are constants for
gradients (no gradient flows through a random draw).

Padded frames (``mask == 0``) are zeroed before use and weighted by 0 in ``train_cost``, the monitor and the
log-likelihood; the RNN state passes over them unchanged.

References
----------
.. [1] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. "Modeling temporal dependencies in high-dimensional
   sequences: application to polyphonic music generation and transcription." ICML 2012, and the Theano
   tutorial ``code/rnnrbm.py`` (``build_rbm``, ``build_rnnrbm``, ``recurrence``).
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
from pytensor.tensor.variable import TensorVariable

from ..config import ModelConfig
from ..errors import ConfigError
from ..params import shared_params
from ..rnn import TUTORIAL, rnn_step
from .binary_rnn import conditional_biases, init_rnn_params, rnn_param_shapes, u_states
from .inputs import sequence_inputs
from .rnade import check_graph

__all__ = [
    "RbmChain",
    "AisEstimate",
    "RnnRbmGraph",
    "RnnRbmSampler",
    "RnnRbmPredictor",
    "free_energy",
    "gibbs_step",
    "gibbs_chain",
    "build_rbm",
    "ais_log_z",
    "mean_field",
    "build_rnnrbm",
    "build_sampler",
    "build_predictor",
    "build",
    "param_shapes",
    "init_params",
    "generate",
    "predict",
    "CD_SEED",
    "AIS_SEED",
]

CD_SEED = 0xBEEF  # the tutorial's numpy.random.seed(0xbeef)
AIS_SEED = 0xA15  # the fixed stream of the AIS estimate (common random numbers)


# --------------------------------------------------------------------------------------------------------
# the RBM
# --------------------------------------------------------------------------------------------------------
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


def _bernoulli(rng, p: TensorVariable):
    """One draw of independent Bernoulli(p) units, in p's dtype; returns ``(next_rng, sample)``.

    The sample is a constant for gradients (no gradient flows through a random draw).
    """
    next_rng, x = pt.random.binomial(1, p, rng=rng).owner.outputs
    return next_rng, disconnected_grad(x.astype(p.dtype))


def _shared_bernoulli(rng, a: TensorVariable, shape):
    """Bernoulli(sigm(a)) units (a: M x N x n) from ``shape = (M, 1, n)`` uniforms shared by the N rows: each
    row is a deterministic function of the same random numbers and its own ``a``. ``u < sigm(a)`` is tested
    as ``logit(u) < a``: no sigmoid over M x N x n, the logits only over the M x n uniforms. Returns
    ``(next_rng, sample)``."""
    next_rng, u = pt.random.uniform(0.0, 1.0, size=shape, rng=rng).owner.outputs
    u = u.astype(a.dtype)
    return next_rng, pt.lt(pt.log(u) - pt.log1p(-u), a).astype(a.dtype)


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

    log_z: TensorVariable  # N, the estimate of each RBM's log Z
    log_z0: TensorVariable  # N, the exact log Z of the starting (zero-weight) RBMs
    log_w: TensorVariable  # M x N, each chain's log importance weight
    next_rng: TensorVariable


def ais_log_z(W, bv, bh, n_chains: int, n_betas: int, rng) -> AisEstimate:
    """``log Z`` of N RBMs sharing ``W`` (with their own biases) by AIS from the zero-weight RBMs.

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

    Returns
    -------
    AisEstimate
        ``log_z = log_z0 + logsumexp_m(log_w) - log M`` (N), with ``log_z0 = sum softplus(bv) + H log 2``.

    Notes
    -----
    The chains run at ``p_beta(v, h) ∝ exp(v . bv + beta (v W h + h . bh))``: at beta = 0 the visible units
    are independent Bernoulli(sigm(bv)) (drawn exactly) and the hidden ones uniform. The weight update of
    step k uses the state reached at ``beta_{k-1}``; the state then moves by one Gibbs sweep at ``beta_k``.

    Every unit is drawn as ``u < sigm(a)`` from uniforms ``u`` of shape M x 1 x D (visible) or M x 1 x H
    (hidden) that the N RBMs share: chain m of every RBM uses the same random numbers. Each RBM's estimate
    is then a deterministic function of its own parameters and the stream, whatever the other rows are (a
    sequence's estimated log-likelihood does not depend on the batch it is evaluated in, nor on its
    padding), and each is still an unbiased estimate of its Z. The price: the errors of different RBMs are
    correlated, so the error of an average over frames shrinks less than 1/sqrt(N); the chain count sets
    it.
    """
    for name, value in (("n_chains", n_chains), ("n_betas", n_betas)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"AIS {name} must be a positive integer, got {value!r}")
    dtype = bv.dtype
    D, H = W.shape[0], W.shape[1]
    betas = np.linspace(0.0, 1.0, n_betas + 1).astype(dtype)
    log_z0 = pt.softplus(bv).sum(axis=-1) + H.astype(dtype) * np.asarray(math.log(2.0), dtype)  # N
    rng, v0 = _shared_bernoulli(rng, pt.shape_padleft(bv), (n_chains, 1, D))  # M x N x D, from beta = 0
    log_w0 = pt.zeros((n_chains, bv.shape[0]), dtype=dtype)  # M x N

    def ais_temperature_step(beta_k, beta_km1, v_km1, log_w_km1, rng_km1, W, bv, bh):
        a_h = pt.dot(v_km1, W) + bh  # M x N x H
        log_w_k = log_w_km1 + (pt.softplus(beta_k * a_h) - pt.softplus(beta_km1 * a_h)).sum(axis=-1)
        rng_k, h = _shared_bernoulli(rng_km1, beta_k * a_h, (n_chains, 1, H))  # M x N x H
        rng_k, v_k = _shared_bernoulli(rng_k, beta_k * pt.dot(h, W.T) + bv, (n_chains, 1, D))  # M x N x D
        return v_k, log_w_k, rng_k

    _, log_w, next_rng = pytensor.scan(
        ais_temperature_step,
        sequences=[pt.constant(betas[1:], name="beta"), pt.constant(betas[:-1], name="beta_prev")],
        outputs_info=[v0, log_w0, rng],
        non_sequences=[W, bv, bh],
        strict=True,
        return_updates=False,
        name="ais_temperatures",
    )
    log_w = log_w[-1]  # M x N
    log_z = log_z0 + pt.logsumexp(log_w, axis=0) - np.asarray(math.log(n_chains), dtype)  # N
    return AisEstimate(log_z, log_z0, log_w, next_rng)


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


# --------------------------------------------------------------------------------------------------------
# parameters
# --------------------------------------------------------------------------------------------------------
def param_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """The tutorial's parameters, in its order: ``W`` D x H, ``bv`` D, ``bh`` H, then the RNN's ``Wuh``
    R x H, ``Wuv`` R x D, ``Wvu`` D x R, ``Wuu`` R x R, ``bu`` R."""
    return {"W": (cfg.D, cfg.H), "bv": (cfg.D,), "bh": (cfg.H,), **rnn_param_shapes(cfg)}


def init_params(cfg: ModelConfig, rng: np.random.Generator, scale: float) -> dict[str, np.ndarray]:
    """The tutorial's initialisation: ``W ~ N(0, scale^2)`` (``scale = 0.01``: its ``shared_normal(..,
    0.01)``), ``bv = bh = 0``; the RNN part by :func:`~rnnrnade_pt.models.binary_rnn.init_rnn_params`
    (std ``0.01 scale``, i.e. 0.0001; ``bu = 0``)."""
    values = {"W": scale * rng.standard_normal((cfg.D, cfg.H)), "bv": np.zeros(cfg.D), "bh": np.zeros(cfg.H)}
    values.update(init_rnn_params(cfg, rng, scale))
    return values


# --------------------------------------------------------------------------------------------------------
# the RNN-RBM
# --------------------------------------------------------------------------------------------------------
class RnnRbmGraph(NamedTuple):
    """Symbolic pieces of an RNN-RBM (the registry's contract, plus the intermediates)."""

    config: ModelConfig
    graph: str
    X: TensorVariable  # T x B x D input
    mask: TensorVariable  # T x B input, 1 for a frame, 0 for padding
    params: dict  # name -> shared variable
    u: TensorVariable  # T x B x R, RNN state after each frame
    bv_t: TensorVariable  # T x B x D, the conditional RBMs' visible biases
    bh_t: TensorVariable  # T x B x H, their hidden biases
    free_energy: TensorVariable  # T x B, F_t(v_t) (0 on padding)
    v_sample: TensorVariable  # T x B x D, the CD chain's end
    train_cost: TensorVariable  # scalar, mean over frames of F_t(v_t) - F_t(v_sample_t)
    consider_constant: list  # [v_sample]
    rngs: dict  # {"cd": the CD chain's shared generator}
    monitor: TensorVariable  # T x B, the reconstruction cross-entropy (0 on padding)
    total: TensorVariable  # scalar: the summed monitor (what training reports); gradient: CD-k's
    n_frames: TensorVariable  # scalar, number of unmasked frames
    cost: TensorVariable  # scalar, -total / n_frames
    log_z: TensorVariable  # T x B, AIS estimate of log Z_t
    ais_log_w: TensorVariable  # M x T x B, the AIS chains' log importance weights
    frame_loglik: TensorVariable  # T x B, -F_t(v_t) - log Z_t, 0 on padding
    loglik: TensorVariable  # B, summed over each sequence
    ais_rng: object  # the AIS shared generator (no update: common random numbers)


def _check(cfg: ModelConfig, graph: str) -> None:
    if cfg.model != "rnn-rbm":
        raise ConfigError(f"build_rnnrbm needs a config with model 'rnn-rbm', got {cfg.model!r}")
    check_graph(graph)  # no autoregressive frame model: "fused" builds the fast graph


def build_rnnrbm(
    cfg: ModelConfig, params: dict | None = None, graph: str = "fast", shape=None
) -> RnnRbmGraph:
    """The tutorial's ``build_rnnrbm``: the RNN over the data, then all conditional RBMs at once.

    Parameters
    ----------
    cfg : ModelConfig
        With ``model == "rnn-rbm"`` (``D``, ``H``, ``R``, ``cd_k``, ``ais_chains``, ``ais_betas``).
    params : dict, optional
        Shared variables from :func:`~rnnrnade_pt.params.shared_params` (new ones when omitted).
    graph : {"fast", "scan"}
        Accepted for the registry's interface; both give the tutorial's graph (already one scan over time
        followed by every frame's RBM at once).
    shape : tuple, optional
        Static ``(T, B, D)`` of ``X``.

    Returns
    -------
    RnnRbmGraph
        Compile ``train_cost``'s gradient with ``consider_constant``; ``frame_loglik`` is the AIS estimate.
    """
    _check(cfg, graph)
    p = params if params is not None else shared_params(cfg)
    D, H, R = cfg.D, cfg.H, cfg.R
    X, mask, Xc = sequence_inputs(cfg, shape)  # T x B x D, T x B, T x B x D
    T, B = X.shape[0], X.shape[1]
    u, u_prev = u_states(Xc, mask, p, cfg)  # T x B x R each
    bv_t, bh_t = conditional_biases(u_prev.reshape((T * B, R)), p)  # TB x D, TB x H
    v = Xc.reshape((T * B, D))  # TB x D
    m = mask.reshape((T * B,))  # TB
    cd_rng = pytensor.shared(np.random.default_rng(CD_SEED), name="cd_rng")
    rbm = build_rbm(v, p["W"], bv_t, bh_t, cfg.cd_k, cd_rng, mask=m)
    cd_rng.default_update = rbm.next_rng
    ais_rng = pytensor.shared(np.random.default_rng(AIS_SEED), name="ais_rng")
    ais = ais_log_z(p["W"], bv_t, bh_t, cfg.ais_chains, cfg.ais_betas, ais_rng)
    free = rbm.free_energy.reshape((T, B)) * mask  # T x B
    log_z = ais.log_z.reshape((T, B))  # T x B
    frame_loglik = (-free - log_z) * mask  # T x B
    v_sample = rbm.v_sample.reshape((T, B, D))
    monitor = rbm.monitor_rows.reshape((T, B))
    n_frames = mask.sum()
    cd_loglik = -rbm.cost * n_frames  # the summed CD surrogate: its gradient is CD-k's for sum_t log p
    # the monitor's value with CD's gradient
    total = disconnected_grad(monitor.sum()) + (cd_loglik - disconnected_grad(cd_loglik))
    for var, name in ((frame_loglik, "frame_loglik"), (log_z, "log_z"), (total, "total"), (free, "F")):
        var.name = name
    return RnnRbmGraph(
        config=cfg,
        graph=graph,
        X=X,
        mask=mask,
        params=p,
        u=u,
        bv_t=bv_t.reshape((T, B, D)),
        bh_t=bh_t.reshape((T, B, H)),
        free_energy=free,
        v_sample=v_sample,
        train_cost=rbm.cost,
        consider_constant=[rbm.v_sample],
        rngs={"cd": cd_rng},
        monitor=monitor,
        total=total,
        n_frames=n_frames,
        cost=-total / n_frames,
        log_z=log_z,
        ais_log_w=ais.log_w.reshape((cfg.ais_chains, T, B)),
        frame_loglik=frame_loglik,
        loglik=frame_loglik.sum(axis=0),
        ais_rng=ais_rng,
    )


def build(cfg: ModelConfig, params: dict | None = None, graph: str = "fast", shape=None) -> RnnRbmGraph:
    """The registry's builder: :func:`build_rnnrbm`."""
    return build_rnnrbm(cfg, params, graph=graph, shape=shape)


# --------------------------------------------------------------------------------------------------------
# generation and prediction
# --------------------------------------------------------------------------------------------------------
class RnnRbmSampler(NamedTuple):
    """Symbolic pieces of RNN-RBM generation (the fields :func:`rnnrnade_pt.sample.sample` compiles)."""

    config: ModelConfig
    n_steps: TensorVariable  # int64 scalar input: frames to generate
    prime_X: TensorVariable  # T0 x B x D prime (T0 = 0: none)
    prime_mask: TensorVariable  # T0 x B
    samples: TensorVariable  # n_steps x B x D, the continuation only
    rng: object  # shared Generator
    inputs: tuple  # (n_steps, prime_X, prime_mask)
    updates: dict  # {rng: its state after the draws}


class RnnRbmPredictor(NamedTuple):
    """Symbolic pieces of one-step-ahead prediction (the fields :func:`rnnrnade_pt.sample.predict` uses)."""

    config: ModelConfig
    X: TensorVariable  # T x B x D
    mask: TensorVariable  # T x B
    prediction: TensorVariable  # T x B x D, the mean-field visible means, 0 on padding


def build_sampler(cfg: ModelConfig, params: dict | None = None, seed: int = 0) -> RnnRbmSampler:
    """Generation as the tutorial's ``generate_function``: a scan over time whose step runs a
    ``cfg.gibbs_k``-step Gibbs chain (a scan) from ``v = 0`` in the RBM set by ``u_tm1``, then ``u_t`` from
    the sampled frame.

    The sequences continue ``prime_X`` (T0 x B x D with ``prime_mask``; T0 = 0 for none) from the RNN state
    after their last frame (``u_0 = 0`` without one). The generator is threaded through both scans'
    ``outputs_info``.
    """
    from ..sample import prime_inputs

    _check(cfg, "fast")
    p = params if params is not None else shared_params(cfg)
    D, R, dtype = cfg.D, cfg.R, cfg.dtype
    n_steps = pt.lscalar("n_steps")
    u0 = pt.zeros((R,), dtype=dtype)  # R, the fixed u_0
    prime_X, prime_mask, u_start = prime_inputs(cfg, p, names=TUTORIAL, h0=u0)  # T0 x B x D, T0 x B, B x R
    rng = pytensor.shared(np.random.default_rng(seed), name="generate_rng")
    names = list(p)

    def rnnrbm_generate_time_step(u_tm1, rng_tm1, *values):
        # u_tm1: B x R; values: the parameters, in the order of `names`
        q = dict(zip(names, values, strict=True))
        bv_t, bh_t = conditional_biases(u_tm1, q)  # B x D, B x H
        v0 = pt.zeros((u_tm1.shape[0], D), dtype=dtype)  # the tutorial's chain starts at 0
        v_t, rng_t = gibbs_chain(v0, q["W"], bv_t, bh_t, cfg.gibbs_k, rng_tm1, name="rbm_generate_gibbs")
        u_t = rnn_step(v_t, pt.ones((u_tm1.shape[0],), dtype=dtype), u_tm1, q, cfg, names=TUTORIAL)
        return u_t, rng_t, v_t

    _, next_rng, samples = pytensor.scan(
        rnnrbm_generate_time_step,
        outputs_info=[u_start, rng, None],
        non_sequences=[p[n] for n in names],
        n_steps=n_steps,
        strict=True,
        return_updates=False,
        name="rnnrbm_generate_time",
    )
    samples.name = "samples"
    inputs = (n_steps, prime_X, prime_mask)
    return RnnRbmSampler(cfg, n_steps, prime_X, prime_mask, samples, rng, inputs, {rng: next_rng})


def build_predictor(cfg: ModelConfig, params: dict | None = None) -> RnnRbmPredictor:
    """The expected frame t given the true frames before it, for every frame of ``X`` (T x B x D).

    Frame t's conditional RBM (biases from ``u_{t-1}``) is summarised by its **mean-field fixed point** of
    the visible means (:func:`mean_field`, ``cfg.gibbs_k`` iterations from ``sigm(bv_t)``): deterministic note
    probabilities, thresholded at 0.5 for the frame-level accuracy. 0 on padding.
    """
    _check(cfg, "fast")
    p = params if params is not None else shared_params(cfg)
    D, R = cfg.D, cfg.R
    X, mask, Xc = sequence_inputs(cfg)  # T x B x D, T x B, T x B x D
    frame = pt.shape_padright(mask) > 0  # T x B x 1
    T, B = X.shape[0], X.shape[1]
    _, u_prev = u_states(Xc, mask, p, cfg)  # T x B x R
    bv_t, bh_t = conditional_biases(u_prev.reshape((T * B, R)), p)  # TB x D, TB x H
    m_v = mean_field(p["W"], bv_t, bh_t, cfg.gibbs_k).reshape((T, B, D))
    prediction = pt.switch(frame, m_v, pt.zeros_like(X))
    prediction.name = "prediction"
    return RnnRbmPredictor(cfg, X, mask, prediction)


def generate(model, n: int = 1, steps: int = 100, prime=None, prime_mask=None, seed: int | None = 0):
    """``steps x n x D`` binary frames sampled by :func:`build_sampler` (continuing ``prime``, T0 x B x D
    with B = n or 1), compiled once per model; see :func:`rnnrnade_pt.sample.sample`."""
    from ..sample import sample

    return sample(model, n, steps=steps, prime=prime, prime_mask=prime_mask, seed=seed)


def predict(model, X, mask=None) -> np.ndarray:
    """The mean-field note probabilities of every frame of ``X`` given the frames before it
    (:func:`build_predictor`; 0 on padding), compiled once per model; see
    :func:`rnnrnade_pt.sample.predict`."""
    from ..sample import predict as compiled_predict

    return compiled_predict(model, X, mask)
