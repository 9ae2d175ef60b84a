"""Generation from RNADE and RNN-RNADE, in the graph: ancestral sampling, priming, mean-field prediction.

Ancestral sampling runs Algorithm 1 generatively. For each of n rows, starting from ``a_1 = c``:

    h_d = sigm(rho_d a_d),   alpha_d, mu_d, sigma_d from h_d and the biases (as in the density),
    k ~ Categorical(alpha_d),   x_d = mu_dk + sigma_dk eps,   eps ~ N(0, 1),
    a_{d+1} = a_d + x_d W[:, d].

RNADE-Laplace (``mixture="laplace"``) draws ``eps ~ Laplace(0, 1)`` instead, with ``b_dk = exp(z_sigma_dk)``
in place of ``sigma_dk``. Its component mean is ``mu_dk`` too, so mean-field prediction is the same formula.

RNN-RNADE samples frame after frame, as the RNN-RBM tutorial's ``generate``: frame t's biases come from
``hhat_{t-1}`` (:func:`~rnnrnade_pt.rnn.frame_biases`), the frame is sampled by the scan over dimensions above
(nested in a scan over time), and ``hhat_t`` is updated from the sampled frame
(:func:`~rnnrnade_pt.rnn.rnn_step`). Training, evaluation and generation therefore share one recurrence. A
*prime* (T0 x B x D, with a mask) is first run through :func:`~rnnrnade_pt.rnn.rnn_states`; sampling continues
each sequence from its last state.

Randomness. The RNG is a shared ``numpy.random.Generator`` threaded through the time scan's ``outputs_info``
(PyTensor 3.x; the old updates-dictionary style is deprecated). Each frame draws its noise at once, ``u`` and
``eps`` (D x n, uniform and standard normal), and the scan over dimensions consumes one ``(u_d, eps_d)`` per
step: the component is ``k = #{j < K-1 : alpha_d1 + ... + alpha_dj < u_d}`` (inverse CDF, an exact draw from
Categorical(alpha_d)) and ``x_d = mu_dk + sigma_dk eps_d``. Drawing inside the dimension scan instead (two
Python-level random ops per dimension) samples the same distribution about five times slower on the C
backend. Given the seed, the draws are those of ``numpy.random.default_rng(seed)``: per frame
``uniform(0, 1, (D, n))`` then ``normal(0, 1, (D, n))`` (``laplace(0, 1, (D, n))`` for RNADE-Laplace).

Prediction (the one-step-ahead squared prediction error metric) replaces every draw by its conditional mean
(*ancestral mean-field*): ``x_d := E[x_d | a_d] = sum_k alpha_dk mu_dk``, and that mean, not the data, feeds
the accumulator of the following dimensions. For RNN-RNADE, frame t is predicted from the RNN state
``hhat_{t-1}`` of the true frames before it; all T*B frames go through one scan over dimensions.

Builders return NamedTuples of symbolic pieces and never compile; :func:`sample` and :func:`predict` compile
once per model (C backend unless the model's backend is Numba) and serve every size.

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
.. [2] Supplementary Material for the RNN-RNADE model, Algorithms 1 and 2.
.. [3] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. "Modeling temporal dependencies in high-dimensional
   sequences: application to polyphonic music generation and transcription." ICML 2012 (and the Theano
   tutorial ``code/rnnrbm.py``, ``generate``).
"""

from __future__ import annotations

import logging
import numbers
import weakref
from typing import NamedTuple

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytensor.tensor.random as ptr
from pytensor.graph.basic import Constant, Variable
from pytensor.tensor.variable import TensorVariable

from .compile import compile_function
from .config import ModelConfig
from .data.arrays import check_data, check_sequences
from .errors import ConfigError, DataError
from .models.inputs import sequence_inputs
from .params import shared_params
from .rnade import RnadeBiases, input_weights, static_biases
from .rnn import SUPPLEMENT, RnnNames, frame_biases, rnn_states, rnn_step

__all__ = [
    "RnadeSampler",
    "RnnRnadeSampler",
    "RnadePredictor",
    "RnnRnadePredictor",
    "Prime",
    "rnade_sample_scan",
    "rnade_mean_field_scan",
    "build_rnade_sampler",
    "build_rnnrnade_sampler",
    "build_rnade_predictor",
    "build_rnnrnade_predictor",
    "int_scalar",
    "root_inputs",
    "new_rng",
    "prime_inputs",
    "sample",
    "predict",
]

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------------------
# the scans over dimensions
# --------------------------------------------------------------------------------------------------------
def _first_accumulator(c: TensorVariable, n) -> TensorVariable:
    """``a_1 = c`` for n rows: n x H (``c`` is H, or already n x H)."""
    return pt.broadcast_to(c, (n, c.shape[-1])) if c.ndim == 1 else c


def _mixture_params(a_d, rho_d, V_d, b_d):
    """Mixture parameters of dimension d for n rows.

    ``a_d``: n x H; ``V_d``: H x (m K), the output layers side by side; ``b_d``: m biases, each K or n x K.
    Returns ``log alpha`` (n x K), ``mu`` (n x K) and, when m = 3, ``log sigma`` (n x K).
    """
    h_d = pt.sigmoid(rho_d * a_d)  # n x H
    z = pt.dot(h_d, V_d)  # n x mK
    K = b_d[0].shape[-1]
    parts = [z[:, i * K : (i + 1) * K] + b for i, b in enumerate(b_d)]  # each n x K
    z_alpha = parts[0]
    log_alpha = z_alpha - pt.logsumexp(z_alpha, axis=-1, keepdims=True)  # log-softmax (C backend fuses it)
    return (log_alpha, *parts[1:])


def rnade_sample_scan(
    u: TensorVariable, eps: TensorVariable, p: dict, biases: RnadeBiases, W: TensorVariable
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
        :func:`~rnnrnade_pt.rnade.rnade_logp_scan`.
    W : TensorVariable
        H x D effective input weights (see :func:`~rnnrnade_pt.rnade.input_weights`).

    Returns
    -------
    TensorVariable
        n x D samples, a deterministic function of ``u`` and ``eps``.
    """
    V = pt.concatenate([p["V_alpha"], p["V_mu"], p["V_sigma"]], axis=2)  # D x H x 3K
    a_1 = _first_accumulator(biases.c, u.shape[1])  # n x H

    def rnade_sample_dim_step(u_d, eps_d, W_d, rho_d, V_d, b_alpha_d, b_mu_d, b_sigma_d, a_d):
        # u_d, eps_d: n; W_d: H; V_d: H x 3K; b_*_d: K or n x K; a_d: n x H
        log_alpha, mu, z_sigma = _mixture_params(a_d, rho_d, V_d, (b_alpha_d, b_mu_d, b_sigma_d))
        K = mu.shape[-1]
        cdf = pt.cumsum(pt.exp(log_alpha), axis=-1)  # n x K
        k = pt.lt(cdf[:, :-1], pt.shape_padright(u_d)).sum(axis=-1)  # n, k ~ Categorical(alpha_d)
        chosen = pt.eq(pt.shape_padleft(pt.arange(K)), pt.shape_padright(k))  # n x K, one-hot of k
        x_k = mu + pt.exp(z_sigma) * pt.shape_padright(eps_d)  # n x K, a draw from every component
        x_d = pt.switch(chosen, x_k, pt.zeros_like(x_k)).sum(axis=-1)  # n, no 0 * inf from the others
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


def rnade_mean_field_scan(p: dict, biases: RnadeBiases, W: TensorVariable, n) -> TensorVariable:
    """Ancestral mean-field: each ``x_d`` replaced by ``E[x_d | a_d] = sum_k alpha_dk mu_dk``.

    Parameters
    ----------
    p, biases, W
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
        log_alpha, mu = _mixture_params(a_d, rho_d, V_d, (b_alpha_d, b_mu_d))
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


# --------------------------------------------------------------------------------------------------------
# builders
# --------------------------------------------------------------------------------------------------------
class RnadeSampler(NamedTuple):
    """Symbolic pieces of RNADE sampling."""

    config: ModelConfig
    n: TensorVariable  # int64 scalar: an input (symbolic) or a constant
    samples: TensorVariable  # n x D
    rng: object  # shared numpy Generator
    rng_final: object  # its state after the draws
    inputs: tuple  # the symbolic inputs to compile with
    updates: dict  # {rng: rng_final}


class RnnRnadeSampler(NamedTuple):
    """Symbolic pieces of RNN-RNADE sampling."""

    config: ModelConfig
    n_steps: TensorVariable  # int64 scalar: frames to sample
    n_sequences: TensorVariable  # int64 scalar: sequences (the prime's B when primed)
    prime_X: TensorVariable | None  # T0 x B x D prime (primed sampler only)
    prime_mask: TensorVariable | None  # T0 x B
    h_start: TensorVariable  # n x R, hhat before the first sampled frame
    samples: TensorVariable  # n_steps x n x D, the continuation only
    hhat: TensorVariable  # n_steps x n x R, the RNN state after each sampled frame
    rng: object
    rng_final: object
    inputs: tuple
    updates: dict


class RnadePredictor(NamedTuple):
    """Symbolic pieces of RNADE mean-field prediction."""

    config: ModelConfig
    X: TensorVariable  # N x D
    prediction: TensorVariable  # N x D, the same mean-field vector on every row
    sq_error: TensorVariable  # N, ||x_n - prediction_n||^2


class RnnRnadePredictor(NamedTuple):
    """Symbolic pieces of RNN-RNADE one-step-ahead mean-field prediction."""

    config: ModelConfig
    X: TensorVariable  # T x B x D
    mask: TensorVariable  # T x B
    hhat_prev: TensorVariable  # T x B x R, the state each frame is predicted from
    prediction: TensorVariable  # T x B x D, 0 on padding
    sq_error: TensorVariable  # T x B, ||x_t - prediction_t||^2, 0 on padding


def int_scalar(value, name: str) -> TensorVariable:
    """A symbolic int64 scalar input (``None``), a constant (an int >= 1), or ``value`` itself."""
    if value is None:
        return pt.lscalar(name)
    if isinstance(value, Variable):
        if value.ndim != 0 or not value.dtype.startswith(("int", "uint")):
            raise ConfigError(f"{name} must be an integer scalar, got a {value.type}")
        return value
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    return pt.constant(np.int64(value), name=name)


def root_inputs(*variables) -> tuple:
    """The root variables among ``variables`` (what a compiled function takes)."""
    return tuple(v for v in variables if v is not None and v.owner is None and not isinstance(v, Constant))


def _noise(rng, D: int, n, dtype: str, mixture: str = "gaussian"):
    """One draw of ``u`` ~ U[0, 1) and ``eps`` ~ N(0, 1) (Laplace(0, 1) for ``mixture="laplace"``), each
    D x n; returns ``(next_rng, u, eps)``."""
    rng, u = rng.uniform(size=(D, n))
    rng, eps = rng.laplace(size=(D, n)) if mixture == "laplace" else rng.normal(size=(D, n))
    return rng, u.astype(dtype), eps.astype(dtype)


def new_rng(rng, seed: int):
    """``rng`` itself, or a new shared generator ``sample_rng`` seeded with ``seed`` when it is ``None``."""
    return ptr.shared_rng(seed=seed, name="sample_rng") if rng is None else rng


class Prime(NamedTuple):
    """A sampler's prime as new inputs, and the RNN state sampling starts from."""

    prime_X: TensorVariable  # T0 x B x D input
    prime_mask: TensorVariable  # T0 x B input
    h_start: TensorVariable  # B x R, the state after each sequence's last unmasked frame (h0 if none)


def prime_inputs(cfg: ModelConfig, p: dict, names: RnnNames = SUPPLEMENT, h0=None) -> Prime:
    """New inputs ``prime_X`` (T0 x B x D) and ``prime_mask`` (T0 x B), and the state sampling continues from.

    The prime (padding zeroed) goes through :func:`~rnnrnade_pt.rnn.rnn_states` with ``names`` and ``h0``
    (R; ``p[names.h0]`` when omitted, e.g. the binary models' fixed ``u_0 = 0`` under
    :data:`~rnnrnade_pt.rnn.TUTORIAL`); ``h_start`` is the last state, ``h0`` for T0 = 0.
    """
    prime_X, prime_mask, Xc = sequence_inputs(cfg, prefix="prime_")  # T0 x B x D, T0 x B, T0 x B x D
    h0 = p[names.h0] if h0 is None else h0  # R
    hhat_prime = rnn_states(Xc, prime_mask, p, cfg, names=names, h0=h0)  # T0 x B x R
    first = pt.shape_padleft(pt.broadcast_to(h0, (prime_X.shape[1], cfg.R)))  # 1 x B x R
    h_start = pt.concatenate([first, hhat_prime], axis=0)[-1]  # B x R, h0 when T0 = 0
    return Prime(prime_X, prime_mask, h_start)


def build_rnade_sampler(
    cfg: ModelConfig, params: dict | None = None, n=None, rng=None, seed: int = 0
) -> RnadeSampler:
    """Ancestral sampling of an RNADE.

    Parameters
    ----------
    cfg : ModelConfig
        With ``model == "rnade"``.
    params : dict, optional
        Shared variables from :func:`~rnnrnade_pt.params.shared_params` (new ones when omitted).
    n : int or TensorVariable, optional
        Number of samples; a new int64 scalar input ``n`` when omitted (one compiled function, every n).
    rng : shared Generator, optional
        From ``pytensor.tensor.random.shared_rng``; a new one seeded with ``seed`` when omitted.

    Returns
    -------
    RnadeSampler
        ``samples`` (n x D); compile with ``inputs`` and ``updates`` so that each call draws afresh.
    """
    if cfg.recurrent:
        raise ConfigError("build_rnade_sampler needs a config with model 'rnade'")
    p = params if params is not None else shared_params(cfg)
    n = int_scalar(n, "n")
    rng = new_rng(rng, seed)
    rng_final, u, eps = _noise(rng, cfg.D, n, cfg.dtype, cfg.mixture)  # D x n each
    _, W = input_weights(p, cfg.fold_c_into_W)
    samples = rnade_sample_scan(u, eps, p, static_biases(p, cfg.fold_c_into_W), W)  # n x D
    samples.name = "samples"
    return RnadeSampler(cfg, n, samples, rng, rng_final, root_inputs(n), {rng: rng_final})


def build_rnnrnade_sampler(
    cfg: ModelConfig,
    params: dict | None = None,
    n_steps=None,
    n_sequences=None,
    prime: bool = True,
    rng=None,
    seed: int = 0,
) -> RnnRnadeSampler:
    """Ancestral sampling of an RNN-RNADE: a scan over time with a scan over dimensions inside.

    Parameters
    ----------
    cfg : ModelConfig
        With ``model == "rnn-rnade"``.
    params : dict, optional
        Shared variables (new ones when omitted).
    n_steps : int or TensorVariable, optional
        Frames to sample; a new int64 scalar input ``n_steps`` when omitted.
    n_sequences : int or TensorVariable, optional
        Sequences to sample without a prime; a new int64 scalar input ``n_sequences`` when omitted. With
        ``prime`` it must be omitted: the number of sequences is the prime's B.
    prime : bool
        Add the inputs ``prime_X`` (T0 x B x D) and ``prime_mask`` (T0 x B); sampling starts from each
        sequence's state after its last unmasked frame (``h0`` for T0 = 0 or an all-padding column).
        Without a prime every sequence starts from ``h0``.
    rng : shared Generator, optional
        A new one seeded with ``seed`` when omitted.

    Returns
    -------
    RnnRnadeSampler
        ``samples`` (n_steps x n x D), the sampled continuation without the prime.
    """
    if not cfg.recurrent:
        raise ConfigError("build_rnnrnade_sampler needs a config with model 'rnn-rnade'")
    p = params if params is not None else shared_params(cfg)
    D, R, dtype = cfg.D, cfg.R, cfg.dtype
    n_steps = int_scalar(n_steps, "n_steps")
    prime_X = prime_mask = None
    if prime:
        if n_sequences is not None:
            raise ConfigError("with prime=True the number of sequences is the prime's B; omit n_sequences")
        prime_X, prime_mask, h_start = prime_inputs(cfg, p)  # T0 x B x D, T0 x B, B x R
        n_sequences = prime_X.shape[1]
    else:
        n_sequences = int_scalar(n_sequences, "n_sequences")
        h_start = pt.broadcast_to(p["h0"], (n_sequences, R))  # n x R
    h_start.name = "h_start"
    rng = new_rng(rng, seed)
    names = list(p)

    def rnnrnade_sample_time_step(hhat_tm1, rng_tm1, *values):
        # hhat_tm1: n x R; values: the parameters, in the order of `names`
        q = dict(zip(names, values, strict=True))
        n = hhat_tm1.shape[0]
        rng_t, u, eps = _noise(rng_tm1, D, n, dtype, cfg.mixture)  # D x n each
        biases = frame_biases(hhat_tm1, q, cfg)  # b_* + hhat_{t-1} W_*; c restarts every frame
        x_t = rnade_sample_scan(u, eps, q, biases, input_weights(q, cfg.fold_c_into_W)[1])  # n x D
        hhat_t = rnn_step(x_t, pt.ones((n,), dtype=dtype), hhat_tm1, q, cfg)  # n x R
        return hhat_t, rng_t, x_t

    hhat, rng_final, samples = pytensor.scan(
        rnnrnade_sample_time_step,
        outputs_info=[h_start, rng, None],
        non_sequences=[p[name] for name in names],
        n_steps=n_steps,
        strict=True,
        return_updates=False,
        name="rnnrnade_sample_time",
    )
    samples.name = "samples"
    hhat.name = "hhat"
    inputs = root_inputs(n_steps, n_sequences, prime_X, prime_mask)
    return RnnRnadeSampler(
        config=cfg,
        n_steps=n_steps,
        n_sequences=n_sequences,
        prime_X=prime_X,
        prime_mask=prime_mask,
        h_start=h_start,
        samples=samples,
        hhat=hhat,
        rng=rng,
        rng_final=rng_final,
        inputs=inputs,
        updates={rng: rng_final},
    )


def build_rnade_predictor(cfg: ModelConfig, params: dict | None = None) -> RnadePredictor:
    """RNADE ancestral mean-field "prediction" of rows ``X`` (N x D).

    An RNADE conditions on nothing outside the vector, so every row gets the same vector: each dimension's
    mean given the means of the dimensions before it. ``sq_error`` is each row's squared distance to it.
    """
    if cfg.recurrent:
        raise ConfigError("build_rnade_predictor needs a config with model 'rnade'")
    p = params if params is not None else shared_params(cfg)
    X = pt.tensor("X", shape=(None, cfg.D), dtype=cfg.dtype)  # N x D
    _, W = input_weights(p, cfg.fold_c_into_W)
    mean = rnade_mean_field_scan(p, static_biases(p, cfg.fold_c_into_W), W, 1)  # 1 x D
    prediction = pt.broadcast_to(mean, X.shape)  # N x D
    prediction.name = "prediction"
    sq_error = pt.sqr(X - prediction).sum(axis=-1)  # N
    sq_error.name = "sq_error"
    return RnadePredictor(cfg, X, prediction, sq_error)


def build_rnnrnade_predictor(cfg: ModelConfig, params: dict | None = None) -> RnnRnadePredictor:
    """One-step-ahead prediction of every frame of ``X`` (T x B x D) by ancestral mean-field.

    Frame t is predicted from ``hhat_{t-1}``, the RNN state after the true frames before it (padding is
    skipped, as in the density). Every frame's prediction then comes from one scan over dimensions over all
    T*B frames at once (:func:`rnade_mean_field_scan`). Predictions and errors are 0 on padding.
    """
    if not cfg.recurrent:
        raise ConfigError("build_rnnrnade_predictor needs a config with model 'rnn-rnade'")
    p = params if params is not None else shared_params(cfg)
    D, R = cfg.D, cfg.R
    X, mask, Xc = sequence_inputs(cfg)  # T x B x D, T x B, T x B x D (padding zeroed)
    frame = pt.shape_padright(mask) > 0  # T x B x 1
    T, B = X.shape[0], X.shape[1]
    hhat = rnn_states(Xc, mask, p, cfg)  # T x B x R
    h0 = pt.broadcast_to(p["h0"], (B, R))
    hhat_prev = pt.concatenate([pt.shape_padleft(h0), hhat[:-1]], axis=0)  # T x B x R
    hhat_prev.name = "hhat_prev"
    biases = frame_biases(hhat_prev.reshape((T * B, R)), p, cfg)  # per frame: c, D x TB x K
    mean = rnade_mean_field_scan(p, biases, input_weights(p, cfg.fold_c_into_W)[1], T * B)  # TB x D
    prediction = pt.switch(frame, mean.reshape((T, B, D)), pt.zeros_like(X))  # T x B x D
    prediction.name = "prediction"
    sq_error = pt.sqr(Xc - prediction).sum(axis=-1)  # T x B
    sq_error.name = "sq_error"
    return RnnRnadePredictor(cfg, X, mask, hhat_prev, prediction, sq_error)


# --------------------------------------------------------------------------------------------------------
# compiled convenience layer
# --------------------------------------------------------------------------------------------------------
class _Compiled(NamedTuple):
    fn: object
    rng: object | None


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> {kind: _Compiled}


def _check_model(model) -> None:
    from .model import DensityModel

    if not isinstance(model, DensityModel):
        raise ConfigError(f"expected a DensityModel (Rnade, RnnRnade, ...), got {type(model).__name__}")


def _backend(model) -> str:
    """The model's backend, except JAX (no dynamic scan lengths, no shared-RNG update): C instead."""
    if model.backend == "jax":
        for var in model.shared.values():  # JAX updates leave jax Arrays behind; C wants ndarrays
            var.set_value(np.asarray(var.get_value()))
        logger.warning(
            "backend jax cannot compile sampling or prediction (dynamic scan lengths, a shared random "
            "generator); using backend c for them"
        )
        return "c"
    return model.backend


def _compiled(model, kind: str) -> _Compiled:
    cache = _COMPILED.setdefault(model, {})
    if kind not in cache:
        from .models import model_module

        cfg, shared = model.cfg, model.shared
        module = model_module(cfg)  # a model outside the RNADE family brings its builders (same fields)
        if kind == "sample":
            builder = build_rnnrnade_sampler if cfg.recurrent else build_rnade_sampler
            g = getattr(module, "build_sampler", builder)(cfg, shared)
            outputs, updates, rng = g.samples, g.updates, g.rng
            inputs = g.inputs
        else:
            builder = build_rnnrnade_predictor if cfg.recurrent else build_rnade_predictor
            g = getattr(module, "build_predictor", builder)(cfg, shared)
            outputs, updates, rng = g.prediction, None, None
            inputs = (g.X, g.mask) if cfg.recurrent else (g.X,)
        backend = _backend(model)
        logger.info("compiling %s for backend %s", kind, backend)
        fn = compile_function(inputs, outputs, backend, updates=updates, name=f"{cfg.model}_{kind}")
        cache[kind] = _Compiled(fn, rng)
    return cache[kind]


def _positive_int(value, name: str) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _seed(seed):
    if seed is None:
        return None
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer or None, got {seed!r}")
    return int(seed)


def _prime(prime, prime_mask, n: int, cfg: ModelConfig):
    """The checked prime as T0 x n x D and T0 x n (one sequence is repeated n times); empty without one."""
    if prime is None:
        if prime_mask is not None:
            raise DataError("prime_mask given without a prime")
        return np.zeros((0, n, cfg.D), cfg.dtype), np.zeros((0, n), cfg.dtype)
    X, mask = check_sequences(prime, prime_mask, cfg, source="prime")  # T0 x B x D, T0 x B
    B = X.shape[1]
    if B != n:
        if B != 1:
            raise DataError(f"prime holds {B} sequences but n={n}; give n={B}, or one sequence to repeat")
        X, mask = np.repeat(X, n, axis=1), np.repeat(mask, n, axis=1)
    return X.astype(cfg.dtype), mask.astype(cfg.dtype)


def sample(model, n: int, steps: int | None = None, prime=None, prime_mask=None, seed: int | None = 0):
    """Draw samples from a model (compiled once per model, every size).

    Parameters
    ----------
    model : DensityModel
        Any model (:class:`~rnnrnade_pt.model.Rnade`, :class:`~rnnrnade_pt.model.RnnRnade`, ...).
    n : int
        Vectors (RNADE) or sequences (RNN-RNADE).
    steps : int
        RNN-RNADE only: frames to sample per sequence.
    prime : array_like, optional
        RNN-RNADE only: T0 x B x D frames to continue (or T0 x D for one sequence), with B = n, or B = 1 to
        continue the same prime n times.
    prime_mask : array_like, optional
        T0 x B mask of the prime (1 frame, 0 padding); all ones when omitted.
    seed : int or None
        The same seed gives the same draws; ``None`` draws fresh entropy.

    Returns
    -------
    numpy.ndarray
        n x D (RNADE) or steps x n x D (RNN-RNADE, the continuation without the prime), in ``cfg.dtype``.

    Raises
    ------
    ConfigError
        Bad ``n``, ``steps`` or ``seed``, or an argument the model does not take.
    DataError
        A bad prime (wrong shape or D, NaN, bad mask, B that fits neither n nor 1).
    """
    _check_model(model)
    cfg = model.cfg
    n = _positive_int(n, "n")
    seed = _seed(seed)
    if cfg.recurrent:
        if steps is None:
            raise ConfigError("an RNN-RNADE samples sequences: give steps, the number of frames")
        steps = _positive_int(steps, "steps")
        X0, m0 = _prime(prime, prime_mask, n, cfg)
        args = [np.int64(steps), X0, m0]
    else:
        if steps is not None or prime is not None or prime_mask is not None:
            raise ConfigError("steps, prime and prime_mask are for an RNN-RNADE; an RNADE samples vectors")
        args = [np.int64(n)]
    c = _compiled(model, "sample")
    c.rng.set_value(np.random.default_rng(seed), borrow=True)
    return np.array(c.fn(*args), dtype=cfg.dtype)  # a copy, never the function's buffer


def predict(model, X, mask=None) -> np.ndarray:
    """Ancestral mean-field prediction (compiled once per model).

    Parameters
    ----------
    model : DensityModel
    X : array_like
        N x D (RNADE), or T x B x D (or T x D for one sequence) for RNN-RNADE.
    mask : array_like, optional
        RNN-RNADE: T x B, 1 frame, 0 padding; all ones when omitted.

    Returns
    -------
    numpy.ndarray
        The shape of ``X``: frame t's prediction from the true frames before it (0 on padding); for an
        RNADE every row is the model's mean-field vector.
    """
    _check_model(model)
    cfg = model.cfg
    X_arr = np.asarray(X)
    Xc, maskc = check_data(X, mask, cfg, source="predict")
    args = [Xc.astype(cfg.dtype)] + ([maskc.astype(cfg.dtype)] if cfg.recurrent else [])
    out = np.array(_compiled(model, "predict").fn(*args), dtype=cfg.dtype)
    return out.reshape(X_arr.shape) if cfg.recurrent and X_arr.ndim == 2 else out
