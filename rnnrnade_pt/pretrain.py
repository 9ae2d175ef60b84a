"""Pretraining the frame model of an RNN-RNADE, RNN-NADE or RNN-RBM on shuffled frames, then training the
RNN from it.

The recipe of the original code and of the RNN-RBM tutorial: first fit the frame model (the RNADE, NADE or
RBM) alone to shuffled frames (no time), then train the whole model starting from it. With the RNN-to-bias
maps (the RNN-RNADE's ``W_alpha``, ``W_mu``, ``W_sigma``, and ``W_c`` when ``condition_c``; the others'
``Wuv`` and ``Wuh``) at zero, the model *is* its frame model, whatever its RNN holds:
``b_* + hhat_{t-1} W_* = b_*``. Training therefore starts from the pretrained frame model's log-likelihood,
and (with the best validation checkpoint kept across both phases) the run can only end at or above it.

What this module holds (the trainer calls it at three points):

* :func:`zero_bias_maps`: the initial parameters with every RNN-to-bias map at zero
  (``train.zero_bias_maps``).
* :func:`pretrain_graph` and :func:`frame_batches`: the pretraining step's graph, built on the model's own
  shared parameters (so pretraining moves the model's parameters), and its minibatches of frames.
* :func:`end_pretraining`: the run state of the training phase: the parameters go back to the best
  validation checkpoint of pretraining (``best.npz``), whose score the training phase must beat.

Or an RNN-RNADE's RNADE comes pretrained from elsewhere (``train.pretrained_rnade``: the per-frame RNADE run
of the same data and seed, so that one RNADE run serves its own table row and every RNN-RNADE row):
:func:`from_pretrained` puts its parameters in the initial ones, and :func:`score_start` scores that start
as epoch 0 and saves it as ``best.npz``, the score training must beat.

Pretraining is scored on the validation split every epoch (the whole model's log-likelihood, which is the
frame model's when the maps are zero) and stops early after ``train.pretrain_patience`` epochs without a
better score.

References
----------
.. [1] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. ICML 2012, and the Theano RNN-RBM tutorial
   ("pretraining ... W, bv, bh from an independent RBM on shuffled frames, with Wuh = Wuv = Wuu = Wvu = 0").
.. [2] S. Sigtia's RNN-RNADE code (``chimera0/NIPS-2014``): optional RNADE pretraining before the RNN.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from .config import PRETRAINED_MODELS, ModelConfig
from .errors import ConfigError, ParamsError
from .models import build, build_rnade, param_shapes
from .params import check_params, load_params

__all__ = [
    "PRETRAINED",
    "BIAS_MAPS",
    "zero_bias_maps",
    "frame_batches",
    "from_pretrained",
    "phase_config",
    "pretrain_graph",
]

logger = logging.getLogger(__name__)

PRETRAINED = PRETRAINED_MODELS  # the models with a frame model to pretrain (config.py checks it)
# RNN state -> frame t's biases: the RNN-RNADE's RNADE; the RNN-NADE's NADE and the RNN-RBM's RBM
BIAS_MAPS = ("W_alpha", "W_mu", "W_sigma", "W_c", "Wuv", "Wuh")


def zero_bias_maps(values: dict, cfg: ModelConfig) -> dict:
    """A copy of ``values`` with every RNN-to-bias map of ``cfg`` (those present) set to zero."""
    out = dict(values)
    for name in BIAS_MAPS:
        if name in out:
            out[name] = np.zeros_like(np.asarray(out[name]))
    logger.debug("RNN-to-bias maps start at zero: the RNN-RNADE starts as its per-frame RNADE")
    return out


def from_pretrained(values: dict, path: str, cfg: ModelConfig) -> dict:
    """A copy of an RNN-RNADE's ``values`` whose RNADE parameters are those of the per-frame RNADE saved at
    ``path`` (a parameter file or a run's ``best.npz``: ``train.pretrained_rnade``).

    Raises
    ------
    ConfigError
        ``cfg`` is not an RNN-RNADE's, or the file holds another model, mixture or size of RNADE.
    ParamsError
        The file is missing, unreadable or not a parameter file.
    """
    if cfg.model != "rnn-rnade":
        raise ConfigError(f"pretrained_rnade starts an RNN-RNADE's RNADE; model {cfg.model!r} has none")
    saved, rnade = load_params(path)
    rcfg = cfg.for_model("rnade")
    kind = (saved.model, saved.mixture, saved.hidden_activation)
    if kind != ("rnade", cfg.mixture, cfg.hidden_activation):
        raise ConfigError(
            f"pretrained_rnade {path} holds a {kind[0]} ({kind[1]}, {kind[2]} units), not a "
            f"{cfg.mixture} RNADE with {cfg.hidden_activation} units"
        )
    try:
        rnade = check_params(rnade, rcfg, source=f"pretrained_rnade {path}")
    except ParamsError as e:  # another size: a config mismatch, not a damaged file
        raise ConfigError(str(e)) from None
    logger.info("the RNADE starts from %s, the RNN-to-bias maps at zero", path)
    return zero_bias_maps({**values, **rnade}, cfg)


def phase_config(tcfg, phase: str):
    """The training config of a phase: for ``"pretrain"``, ``lr`` and ``batch_size`` replaced by
    ``pretrain_lr`` and ``pretrain_batch_size`` where those are set (non-zero), and ``max_seconds`` by
    ``pretrain_max_seconds`` where that is smaller."""
    if phase != "pretrain":
        return tcfg
    changes = {}
    limit = tcfg.pretrain_max_seconds
    if limit is not None and (tcfg.max_seconds is None or limit < tcfg.max_seconds):
        changes["max_seconds"] = limit
    if tcfg.pretrain_lr:
        changes["lr"] = tcfg.pretrain_lr
    if tcfg.pretrain_batch_size:
        changes["batch_size"] = tcfg.pretrain_batch_size
    return dataclasses.replace(tcfg, **changes) if changes else tcfg


def pretrain_graph(mcfg: ModelConfig, shared: dict, graph: str, shape=None):
    """The frame model's training graph, on the model's own shared parameters: for an RNN-RNADE its RNADE;
    for an RNN-NADE or RNN-RBM the model's own graph, which :func:`frame_batches` feeds one-frame sequences:
    with ``u_0 = 0`` the first frame's biases are ``bv`` and ``bh`` whatever the RNN holds, so that graph
    is the NADE or RBM alone, and the RNN's parameters get zero gradients (so zero Adam or momentum steps;
    but weight decay, where configured, shrinks the RNN's weights too)."""
    if mcfg.model != "rnn-rnade":
        return build(mcfg, shared, graph=graph, shape=shape)
    rcfg = mcfg.for_model("rnade")
    return build_rnade(rcfg, {n: shared[n] for n in param_shapes(rcfg)}, graph=graph, shape=shape)


def frame_batches(batches: list, cfg: ModelConfig) -> list:
    """Pretraining's minibatches of shuffled frames (``N x D``), as the frame model's graph takes them: as
    they are for an RNN-RNADE's RNADE, one-frame sequences ``(1 x N x D, mask 1 x N)`` for the others."""
    if cfg.model == "rnn-rnade":
        return batches
    return [(X[None], np.ones((1, X.shape[0]))) for (X,) in batches]
