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
log-likelihood estimate is, on average, optimistic; the gap shrinks with more chains and temperatures.
Two settings change the estimator (:func:`~rnnrnade_pt.kernels.rbm.ais_log_z`): ``cfg.ais_base =
"mean-field"`` starts from the zero-weight RBM whose visible biases are the logits of the frame's mean-field
means (nearer a unimodal frame distribution, farther from a multimodal one), and ``cfg.ais_direction =
"reverse"`` anneals from each data frame back to the start (RAISE, Burda et al. 2015), whose estimate is on
average pessimistic: the forward and reverse estimates bracket the log-likelihood.

Evaluation uses common random numbers. The AIS generator is a shared variable *without* an update, so every
call of a compiled log-likelihood draws the same numbers (comparisons between epochs are not blurred by fresh
noise), and chain m of frame t of a sequence of length L uses the uniforms of group
``(t + AIS_GROUP_STRIDE L) mod AIS_GROUPS`` (:func:`ais_groups`, :func:`ais_log_z`), so a frame's estimate
depends on its own RBM, time step and sequence length only: ``loglik(X)`` is a deterministic function of the
parameters and each sequence, whatever batch or padding it comes in. Frames in different groups have
independent errors, so the error of a mean over frames shrinks with the number of groups it spans, not
with the chains alone (:func:`ais_standard_error`).
The CD chain's generator is advanced by every training step and listed in ``rngs`` so that checkpoints
carry it; a training run seeds it from ``train.seed`` (:class:`~rnnrnade_pt.train.Trainer`; ``CD_SEED``,
the tutorial's, is only the graph's default). Gibbs samples are constants for gradients (no gradient flows
through a random draw).

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
.. [5] Y. Burda, R. Grosse, R. Salakhutdinov. "Accurate and conservative estimates of MRF log-likelihood
   using reverse annealing." AISTATS 2015.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.gradient import disconnected_grad
from pytensor.tensor.variable import TensorVariable

from ..config import ModelConfig
from ..kernels.rbm import ais_log_z, build_rbm, gibbs_chain, mean_field, mean_field_logits
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
    new_rng,
    one_step_predictor,
    own_params,
    sample_over_time,
    sequence_inputs,
)

__all__ = [
    "RnnRbmGraph",
    "build_rnnrbm",
    "build_sampler",
    "build_predictor",
    "build",
    "param_shapes",
    "init_params",
    "data_driven_init",
    "CD_SEED",
    "AIS_SEED",
    "AIS_GROUPS",
    "AIS_GROUP_STRIDE",
    "ais_groups",
    "ais_standard_error",
    "ais_mean_standard_error",
]

CD_SEED = 0xBEEF  # the tutorial's numpy.random.seed(0xbeef)
AIS_SEED = 0xA15  # the fixed stream of the AIS estimate (common random numbers)
AIS_GROUPS = 1024  # the AIS noise groups (ais_groups)
AIS_GROUP_STRIDE = 97  # odd: sequences of different lengths go through the groups in different places


def ais_groups(mask):
    """Each frame's AIS noise group, ``(t + AIS_GROUP_STRIDE L) mod AIS_GROUPS`` for frame t of a sequence of
    length L (the mask's column sum): T x B integers, of a NumPy mask or a symbolic one (the same formula in
    the graph and in :func:`ais_standard_error`). The frames of a group share their chains' uniforms; frames
    of one sequence never do (up to AIS_GROUPS frames apart), nor, mostly, frames of sequences of different
    lengths."""
    if isinstance(mask, np.ndarray):
        t, lengths = np.arange(mask.shape[0])[:, None], np.rint(mask.sum(axis=0)).astype(np.int64)[None, :]
    else:
        t, lengths = pt.arange(mask.shape[0])[:, None], pt.round(mask.sum(axis=0)).astype("int64")[None, :]
    return (t + AIS_GROUP_STRIDE * lengths) % AIS_GROUPS


def ais_standard_error(log_w: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """What the standard error of a mean AIS log-likelihood needs from one batch: per chain and noise
    group, the sum over the batch's frames of its normalised importance weight ``w_mt / mean_m' w_m't``.

    Parameters
    ----------
    log_w : ndarray
        M x T x B, the chains' log importance weights (``RnnRbmGraph.ais_log_w``).
    mask : ndarray
        T x B.

    Returns
    -------
    sums : ndarray
        M x G (``AIS_GROUPS``; each frame in its :func:`ais_groups` group): added over batches, they
        give :func:`ais_mean_standard_error`.

    Notes
    -----
    By the delta method, ``log mean_m w_mt - log Z_t ~ mean_m (w_mt / Z_t) - 1``, so the error of the mean
    over N frames is ``(1 / NM) sum_g sum_m S_mg - 1`` with ``S_mg = sum_{t in g} w_mt / Z_t``. Chain m of
    every frame in group g draws the same uniforms (common random numbers), so the frames' errors within a
    group are correlated and must be added inside each chain first; different chains and groups are
    independent. ``Z_t`` is replaced by its estimate ``mean_m w_mt``.

    References
    ----------
    .. [1] R. Salakhutdinov, I. Murray. "On the quantitative analysis of deep belief networks." ICML 2008.
    """
    log_w = np.asarray(log_w, dtype=np.float64)
    w = np.exp(log_w - log_w.max(axis=0))  # M x T x B, scaled per frame
    ratio = (w / w.mean(axis=0) * mask).reshape(w.shape[0], -1)  # M x TB: w_mt / Z_t-hat
    groups = ais_groups(np.asarray(mask)).ravel()  # TB
    return np.stack([np.bincount(groups, r, minlength=AIS_GROUPS) for r in ratio])  # M x G


def ais_mean_standard_error(sums: np.ndarray, n_frames: int) -> float:
    """The standard error of the mean AIS log-likelihood per frame over ``n_frames`` frames, from the
    summed :func:`ais_standard_error` of their batches (M x G): ``sqrt(sum_g var_m(S_mg) / M) / N``."""
    sums = np.asarray(sums, dtype=np.float64)
    if sums.ndim != 2 or sums.shape[0] < 2 or n_frames < 1:
        raise ValueError(f"need M x G sums with M >= 2 chains and frames, got {sums.shape}, {n_frames}")
    return float(np.sqrt(np.sum(np.var(sums, axis=0, ddof=1)) / sums.shape[0]) / n_frames)


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
    rng_updates: dict  # {cd generator: its state after the chain}: the update of functions drawing from it
    monitor: TensorVariable  # T x B, the reconstruction cross-entropy (0 on padding)
    total: TensorVariable  # scalar: the summed monitor (what training reports); gradient: CD-k's
    n_frames: TensorVariable  # scalar, number of unmasked frames
    cost: TensorVariable  # scalar, -total / n_frames
    log_z: TensorVariable  # T x B, AIS estimate of log Z_t (0 on padding)
    ais_log_w: TensorVariable  # M x T x B, the AIS chains' log importance weights (0 on padding)
    frame_loglik: TensorVariable  # T x B, -F_t(v_t) - log Z_t, 0 on padding
    loglik: TensorVariable  # B, summed over each sequence
    ais_rng: object  # the AIS shared generator (no update: common random numbers)
    M: TensorVariable | None = None  # N x D x D orderings input (an RNADE's only)


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
    check_model(cfg, "rnn-rbm", "build_rnnrbm")
    check_graph(graph)  # no autoregressive frame model: "fused" builds the fast graph
    p = own_params(cfg, params, init_params)
    D, H, R = cfg.D, cfg.H, cfg.R
    X, mask, Xc = sequence_inputs(cfg, shape)  # T x B x D, T x B, T x B x D
    T, B = X.shape[0], X.shape[1]
    u, u_prev = u_states(Xc, mask, p, cfg)  # T x B x R each
    bv_t, bh_t = conditional_biases(u_prev.reshape((T * B, R)), p)  # TB x D, TB x H
    v = Xc.reshape((T * B, D))  # TB x D
    m = mask.reshape((T * B,))  # TB
    cd_rng = pytensor.shared(np.random.default_rng(CD_SEED), name="cd_rng")
    rbm = build_rbm(v, p["W"], bv_t, bh_t, cfg.cd_k, cd_rng, mask=m)
    ais_rng = pytensor.shared(np.random.default_rng(AIS_SEED), name="ais_rng")
    # the chains run on the real frames only (n of them): padding would cost up to 2.5x as much annealing
    real = pt.flatnonzero(m)  # n
    groups = ais_groups(mask).reshape((T * B,))[real]  # n, each frame's noise group
    bv_n, bh_n = bv_t[real], bh_t[real]  # n x D, n x H
    base_bv = mean_field_logits(p["W"], bv_n, bh_n, cfg.gibbs_k) if cfg.ais_base == "mean-field" else None
    ais = ais_log_z(
        p["W"],
        bv_n,
        bh_n,
        cfg.ais_chains,
        cfg.ais_betas,
        ais_rng,
        groups,
        AIS_GROUPS,
        base_bv,
        v[real] if cfg.ais_direction == "reverse" else None,
    )
    free = rbm.free_energy.reshape((T, B)) * mask  # T x B
    log_z = pt.zeros((T * B,), dtype=v.dtype)[real].set(ais.log_z).reshape((T, B))  # T x B, 0 on padding
    log_w = pt.zeros((cfg.ais_chains, T * B), dtype=v.dtype)[:, real].set(ais.log_w)  # M x TB
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
        rng_updates={cd_rng: rbm.next_rng},
        monitor=monitor,
        total=total,
        n_frames=n_frames,
        cost=-total / n_frames,
        log_z=log_z,
        ais_log_w=log_w.reshape((cfg.ais_chains, T, B)),
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
def build_sampler(cfg: ModelConfig, params: dict | None = None, rng=None, seed: int = 0) -> Sampler:
    """Generation as the tutorial's ``generate_function``: a scan over time whose step runs a
    ``cfg.gibbs_k``-step Gibbs chain (a scan) from ``v = 0`` in the RBM set by ``u_tm1``, then ``u_t`` from
    the sampled frame.

    The sequences continue ``prime_X`` (T0 x B x D with ``prime_mask``; T0 = 0 for none) from the RNN state
    after their last frame (``u_0 = 0`` without one). The generator is threaded through both scans'
    ``outputs_info``.
    """
    check_model(cfg, "rnn-rbm", "rnn_rbm.build_sampler")
    p = own_params(cfg, params, init_params)
    D, dtype = cfg.D, cfg.dtype
    n_steps = pt.lscalar("n_steps")
    prime_X, prime_mask, u_start = u_prime(cfg, p)  # T0 x B x D, T0 x B, B x R
    rng = new_rng(rng, seed, name="generate_rng")

    def rnnrbm_generate_frame(u_tm1, rng_tm1, q):
        # u_tm1: B x R; q: the parameters by name
        bv_t, bh_t = conditional_biases(u_tm1, q)  # B x D, B x H
        v0 = pt.zeros((u_tm1.shape[0], D), dtype=dtype)  # the tutorial's chain starts at 0
        v_t, rng_t = gibbs_chain(v0, q["W"], bv_t, bh_t, cfg.gibbs_k, rng_tm1, name="rbm_generate_gibbs")
        u_t = rnn_step(v_t, pt.ones((u_tm1.shape[0],), dtype=dtype), u_tm1, q, cfg, names=TUTORIAL)
        return u_t, rng_t, v_t

    u, next_rng, samples = sample_over_time(
        cfg, p, rnnrbm_generate_frame, u_start, rng, n_steps, name="rnnrbm_generate_time"
    )
    samples.name, u.name = "samples", "u"
    inputs = (n_steps, prime_X, prime_mask)
    n = prime_X.shape[1]
    return Sampler(cfg, samples, inputs, rng, {rng: next_rng}, n, n_steps, prime_X, prime_mask, u_start, u)


def build_predictor(cfg: ModelConfig, params: dict | None = None) -> Predictor:
    """The expected frame t given the true frames before it, for every frame of ``X`` (T x B x D).

    Frame t's conditional RBM (biases from ``u_{t-1}``) is summarised by its **mean-field fixed point** of
    the visible means (:func:`~rnnrnade_pt.kernels.rbm.mean_field`, ``cfg.gibbs_k`` iterations from
    ``sigm(bv_t)``): deterministic note probabilities, thresholded at 0.5 for the frame-level accuracy. 0 on
    padding.
    """
    check_model(cfg, "rnn-rbm", "rnn_rbm.build_predictor")
    p = own_params(cfg, params, init_params)
    D, R = cfg.D, cfg.R
    X, mask, Xc = sequence_inputs(cfg)  # T x B x D, T x B, T x B x D
    T, B = X.shape[0], X.shape[1]
    _, u_prev = u_states(Xc, mask, p, cfg)  # T x B x R
    bv_t, bh_t = conditional_biases(u_prev.reshape((T * B, R)), p)  # TB x D, TB x H
    m_v = mean_field(p["W"], bv_t, bh_t, cfg.gibbs_k).reshape((T, B, D))
    return one_step_predictor(cfg, X, mask, Xc, m_v, u_prev)


explicit_gradients = None
"""No hand-derived gradient is written for this model: training uses ``pytensor.grad``."""
