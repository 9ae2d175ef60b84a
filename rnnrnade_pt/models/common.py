"""What every model module shares: its inputs, the builder's tail, the shared variables of its parameters,
and the symbolic pieces of samplers and predictors.

A padded frame (``mask == 0``) may hold anything (NaN included); every sequence model reads ``Xc``, ``X``
with its padding zeroed, and weights padded frames by 0, so padding contributes nothing to a
log-likelihood, a gradient or a prediction, and the RNN state passes over it unchanged.

Samplers thread a shared ``numpy.random.Generator`` through the time scan's ``outputs_info`` (PyTensor 3.x;
the old updates-dictionary style is deprecated) and return it advanced: compile a :class:`Sampler` with its
``inputs`` and ``updates`` and every call draws afresh.

References
----------
.. [1] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. "Modeling temporal dependencies in high-dimensional
   sequences: application to polyphonic music generation and transcription." ICML 2012 (and the Theano
   tutorial ``code/rnnrbm.py``: one recurrence shared by training and generation).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.graph.basic import Constant, Variable
from pytensor.tensor.variable import TensorVariable

from ..config import GRAPHS, ModelConfig  # the graph names: defined once, in config.py
from ..errors import ConfigError
from ..kernels.rnn import SUPPLEMENT, RnnNames, rnn_states

__all__ = [
    "GRAPHS",
    "SequenceInputs",
    "Totals",
    "Sampler",
    "Predictor",
    "Prime",
    "check_graph",
    "check_model",
    "sequence_inputs",
    "shared_variables",
    "own_params",
    "sequence_totals",
    "states_before",
    "int_scalar",
    "root_inputs",
    "new_rng",
    "prime_inputs",
    "sample_over_time",
    "one_step_predictor",
]


def check_graph(graph: str) -> None:
    """Raise :class:`ConfigError` unless ``graph`` is one of :data:`GRAPHS`."""
    if graph not in GRAPHS:
        raise ConfigError(f"graph must be one of {list(GRAPHS)}, got {graph!r}")


def check_model(cfg: ModelConfig, model: str, what: str) -> None:
    """Raise :class:`ConfigError` unless ``cfg`` is a config of ``model`` (``what`` names the caller)."""
    if cfg.model != model:
        raise ConfigError(f"{what} needs a config with model {model!r}, got {cfg.model!r}")


# -- inputs and parameters ----------------------------------------------------------------------------------
class SequenceInputs(NamedTuple):
    """A padded batch of sequences as new symbolic inputs."""

    X: TensorVariable  # T x B x D input
    mask: TensorVariable  # T x B input, 1 for a frame, 0 for padding
    Xc: TensorVariable  # T x B x D, X with its padding zeroed


def sequence_inputs(cfg: ModelConfig, shape=None, prefix: str = "") -> SequenceInputs:
    """New inputs ``X`` (T x B x D) and ``mask`` (T x B) of ``cfg.dtype``, and ``Xc``, the padding zeroed.

    Parameters
    ----------
    cfg : ModelConfig
        Gives ``D`` and ``dtype``.
    shape : tuple, optional
        Static ``(T, B, D)`` of ``X`` (the JAX backend needs it); ``(None, None, D)`` when omitted.
    prefix : str
        Prepended to the inputs' names (``"prime_"``: ``prime_X`` and ``prime_mask``, a sampler's prime).
    """
    X = pt.tensor(f"{prefix}X", shape=shape or (None, None, cfg.D), dtype=cfg.dtype)  # T x B x D
    mask = pt.tensor(f"{prefix}mask", shape=shape[:2] if shape else (None, None), dtype=cfg.dtype)  # T x B
    Xc = pt.switch(pt.shape_padright(mask) > 0, X, pt.zeros_like(X))  # padding zeroed, whatever it holds
    return SequenceInputs(X, mask, Xc)


def shared_variables(cfg: ModelConfig, values: Mapping[str, np.ndarray], static_shapes: bool = False) -> dict:
    """PyTensor shared variables named after the parameters, in ``cfg.dtype`` (values are not checked: see
    :func:`rnnrnade_pt.params.shared_params`).

    ``static_shapes`` gives every variable its static shape (the JAX backend needs it for scan gradients).
    """
    out = {}
    for name, v in values.items():
        v = np.asarray(v)
        shape = v.shape if static_shapes else None
        out[name] = pytensor.shared(v.astype(cfg.dtype), name=name, shape=shape, borrow=False)
    return out


def own_params(cfg: ModelConfig, params: dict | None, init_params: Callable) -> dict:
    """``params``, or when it is ``None`` new shared variables from the module's ``init_params`` (seed 0,
    scale 0.01), so that a builder called without parameters makes its own."""
    if params is not None:
        return params
    return shared_variables(cfg, init_params(cfg, np.random.default_rng(0), 0.01))


# -- the builder's tail -------------------------------------------------------------------------------------
class Totals(NamedTuple):
    """A sequence model's per-frame log-likelihood and what is summed from it, named."""

    frame_loglik: TensorVariable  # T x B, 0 on padding
    loglik: TensorVariable  # B, log p(sequence)
    total: TensorVariable  # scalar, summed over sequences
    n_frames: TensorVariable  # scalar, number of unmasked frames
    cost: TensorVariable  # scalar, -total / n_frames


def sequence_totals(frame_loglik: TensorVariable, mask: TensorVariable) -> Totals:
    """Name ``frame_loglik`` (T x B, already 0 on padding) and sum it per sequence and overall."""
    frame_loglik.name = "frame_loglik"
    loglik = frame_loglik.sum(axis=0)  # B
    loglik.name = "loglik"
    total = loglik.sum()
    total.name = "total"
    n_frames = mask.sum()
    cost = -total / n_frames
    cost.name = "cost"
    return Totals(frame_loglik, loglik, total, n_frames, cost)


def states_before(hhat: TensorVariable, h0: TensorVariable) -> TensorVariable:
    """T x B x R states before each frame: ``h0`` (R), then ``hhat[:-1]``."""
    B, R = hhat.shape[1], hhat.shape[2]
    first = pt.shape_padleft(pt.broadcast_to(h0, (B, R)))  # 1 x B x R
    return pt.concatenate([first, hhat[:-1]], axis=0)


# -- samplers and predictors --------------------------------------------------------------------------------
class Sampler(NamedTuple):
    """Symbolic pieces of ancestral sampling, the same for every model.

    RNADE samples ``n`` vectors (``samples``: n x D); a sequence model samples ``n_steps`` frames continuing
    each sequence of a prime (``samples``: n_steps x B x D, the continuation only; ``n`` is the prime's B,
    or an input of its own for an unprimed RNN-RNADE sampler).
    """

    config: ModelConfig
    samples: TensorVariable  # n x D, or n_steps x B x D
    inputs: tuple  # the symbolic inputs to compile with, in order
    rng: object  # the shared numpy Generator
    updates: dict  # {rng: its state after the draws}
    n: TensorVariable  # int64 scalar: vectors, or sequences
    n_steps: TensorVariable | None = None  # int64 scalar: frames to sample (sequence models)
    prime_X: TensorVariable | None = None  # T0 x B x D prime input
    prime_mask: TensorVariable | None = None  # T0 x B
    start: TensorVariable | None = None  # B x R, the RNN state sampling starts from
    states: TensorVariable | None = None  # n_steps x B x R, the RNN state after each sampled frame
    probs: TensorVariable | None = None  # n_steps x B x D, the sampled units' probabilities (binary NADE)


class Predictor(NamedTuple):
    """Symbolic pieces of one-step-ahead prediction: every frame from the true frames before it."""

    config: ModelConfig
    X: TensorVariable  # T x B x D input (N x D for RNADE)
    mask: TensorVariable | None  # T x B input (None for RNADE)
    prediction: TensorVariable  # T x B x D, 0 on padding (N x D)
    sq_error: TensorVariable  # T x B, ||x_t - prediction_t||^2, 0 on padding (N)
    states_prev: TensorVariable | None = None  # T x B x R, the RNN state each frame is predicted from


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


def new_rng(rng, seed: int, name: str = "sample_rng"):
    """``rng`` itself, or a new shared generator ``name`` seeded with ``seed`` when it is ``None``."""
    return pytensor.shared(np.random.default_rng(seed), name=name) if rng is None else rng


class Prime(NamedTuple):
    """A sampler's prime as new inputs, and the RNN state sampling starts from."""

    prime_X: TensorVariable  # T0 x B x D input
    prime_mask: TensorVariable  # T0 x B input
    start: TensorVariable  # B x R, the state after each sequence's last unmasked frame (h0 if none)


def prime_inputs(cfg: ModelConfig, p: dict, names: RnnNames = SUPPLEMENT, h0=None) -> Prime:
    """New inputs ``prime_X`` (T0 x B x D) and ``prime_mask`` (T0 x B), and the state sampling continues from.

    The prime (padding zeroed) goes through :func:`~rnnrnade_pt.kernels.rnn.rnn_states` with ``names`` and
    ``h0`` (R; ``p[names.h0]`` when omitted, e.g. the binary models' fixed ``u_0 = 0`` under
    :data:`~rnnrnade_pt.kernels.rnn.TUTORIAL`); ``start`` is the last state, ``h0`` for T0 = 0.
    """
    prime_X, prime_mask, Xc = sequence_inputs(cfg, prefix="prime_")  # T0 x B x D, T0 x B, T0 x B x D
    h0 = p[names.h0] if h0 is None else h0  # R
    hhat_prime = rnn_states(Xc, prime_mask, p, cfg, names=names, h0=h0)  # T0 x B x R
    first = pt.shape_padleft(pt.broadcast_to(h0, (prime_X.shape[1], cfg.R)))  # 1 x B x R
    start = pt.concatenate([first, hhat_prime], axis=0)[-1]  # B x R, h0 when T0 = 0
    return Prime(prime_X, prime_mask, start)


def sample_over_time(
    cfg: ModelConfig,
    p: dict,
    frame_step: Callable,
    start: TensorVariable,
    rng,
    n_steps: TensorVariable,
    name: str,
    n_outputs: int = 1,
):
    """The time scan every sequence sampler runs: frame after frame from the state ``start`` (B x R).

    ``frame_step(state_tm1, rng_tm1, q)`` (``q``: the parameters by name, as the scan's inner variables)
    returns ``(state_t, rng_t, x_t, *extra)``: the frame sampled given ``state_tm1`` and the state it leads
    to, the recurrence of the density. Returns the scan's outputs: ``states`` (n_steps x B x R), the
    generator's final state, the samples (n_steps x B x D) and the ``n_outputs - 1`` extras.
    """
    names = list(p)

    def sample_time_step(state_tm1, rng_tm1, *values):
        return frame_step(state_tm1, rng_tm1, dict(zip(names, values, strict=True)))

    return pytensor.scan(
        sample_time_step,
        outputs_info=[start, rng] + [None] * n_outputs,
        non_sequences=[p[n] for n in names],
        n_steps=n_steps,
        strict=True,
        return_updates=False,
        name=name,
    )


def one_step_predictor(
    cfg: ModelConfig, X, mask, Xc, mean: TensorVariable, states_prev: TensorVariable | None
) -> Predictor:
    """A :class:`Predictor` from each frame's predicted ``mean`` (T x B x D): 0 on padding, and the squared
    error of every frame (T x B, 0 on padding)."""
    prediction = pt.switch(pt.shape_padright(mask) > 0, mean, pt.zeros_like(X))  # T x B x D
    prediction.name = "prediction"
    sq_error = pt.sqr(Xc - prediction).sum(axis=-1)  # T x B
    sq_error.name = "sq_error"
    if states_prev is not None:
        states_prev.name = states_prev.name or "states_prev"
    return Predictor(cfg, X, mask, prediction, sq_error, states_prev)
