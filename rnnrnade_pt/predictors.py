"""A Monte Carlo one-step predictor of RNN-RNADE: the average of S draws of each frame given its past.

The evaluation's predictor (:func:`rnnrnade_pt.sample.predict`, *ancestral mean-field*) feeds each
dimension's mixture mean ``sum_k alpha_dk mu_dk`` to the following dimensions. That is the exact conditional
mean of the first dimension only: for d > 1, ``E[x_d | past] = E[ E[x_d | x_<d, past] ]`` averages over the
earlier dimensions' *distribution*, and the mixture mean at the mean of ``x_<d`` is not that average when
``x_<d`` is multimodal (a pixel is either background or ball). On bouncing balls the per-pixel conditionals
are exactly such two-component mixtures.

The average of S ancestral draws of frame t, each from ``p(x_t | x_<t)`` (the RNN state of the true past,
:func:`~rnnrnade_pt.sample.rnade_sample_scan` with frame t's biases), is an unbiased estimate of
``E[x_t | x_<t]``; its expected squared error is that of the exact conditional mean plus ``tr Cov / S``.

References
----------
.. [1] Supplementary Material for the RNN-RNADE model, Algorithms 1 and 2.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
import pytensor.tensor.random as ptr

from .compile import compile_function
from .config import ModelConfig
from .data.arrays import check_data
from .errors import ConfigError
from .models.inputs import sequence_inputs
from .rnade import input_weights
from .rnn import frame_biases, rnn_states
from .sample import _noise, rnade_sample_scan

__all__ = ["build_sample_mean_predictor", "sample_mean_predict"]


def build_sample_mean_predictor(cfg: ModelConfig, params: dict, n_samples: int, seed: int = 0):
    """Symbolic ``(X, mask, prediction, rng, rng_final)``: ``prediction`` (T x B x D, 0 on padding) is the
    mean of ``n_samples`` draws of every frame from ``p(x_t | x_<t)``."""
    if not cfg.recurrent or not cfg.rnade_family:
        raise ConfigError("the sample-mean predictor is RNN-RNADE's")
    p = params
    D, R, S = cfg.D, cfg.R, int(n_samples)
    X, mask, Xc = sequence_inputs(cfg)  # T x B x D, T x B, T x B x D
    T, B = X.shape[0], X.shape[1]
    hhat = rnn_states(Xc, mask, p, cfg)  # T x B x R
    h0 = pt.broadcast_to(p["h0"], (B, R))
    hhat_prev = pt.concatenate([pt.shape_padleft(h0), hhat[:-1]], axis=0).reshape((T * B, R))  # TB x R
    rows = pt.tile(hhat_prev, (S, 1))  # S TB x R, draw s of every frame in block s
    rng = ptr.shared_rng(seed=seed, name="predict_rng")
    rng_final, u, eps = _noise(rng, D, rows.shape[0], cfg.dtype, cfg.mixture)  # D x S TB each
    biases = frame_biases(rows, p, cfg)
    draws = rnade_sample_scan(u, eps, p, biases, input_weights(p, cfg.fold_c_into_W)[1])  # S TB x D
    mean = draws.reshape((S, T, B, D)).mean(axis=0)  # T x B x D
    prediction = pt.switch(pt.shape_padright(mask) > 0, mean, pt.zeros_like(X))
    return X, mask, prediction, rng, rng_final


_CACHE: dict = {}


def sample_mean_predict(model, X, mask=None, n_samples: int = 16, seed: int = 0) -> np.ndarray:
    """One-step predictions (T x B x D) of an RNN-RNADE as the mean of ``n_samples`` draws per frame
    (compiled once per model and ``n_samples``, on the model's backend; C for JAX)."""
    cfg = model.cfg
    key = (id(model), int(n_samples))
    if key not in _CACHE:
        Xs, ms, pred, rng, rng_final = build_sample_mean_predictor(cfg, model.shared, n_samples, seed)
        backend = "c" if model.backend == "jax" else model.backend
        fn = compile_function([Xs, ms], pred, backend, updates={rng: rng_final}, name="sample_mean_predict")
        _CACHE[key] = (model, fn, rng)
    _, fn, rng = _CACHE[key]
    rng.set_value(np.random.default_rng(seed), borrow=True)
    Xc, maskc = check_data(X, mask, cfg, source="predict")
    return np.array(fn(Xc.astype(cfg.dtype), maskc.astype(cfg.dtype)), dtype=cfg.dtype)
