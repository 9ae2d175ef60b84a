"""The RNN part shared by the binary models (RNN-NADE, RNN-RBM): its parameters and the biases it sets.

As in the RNN-RBM, the state of an RNN over the previous frames sets the visible and hidden biases of the
frame model (an RBM or a NADE) of frame t::

    bv_t = bv + u_tm1 Wuv,   bh_t = bh + u_tm1 Wuh,   u_t = tanh(bu + v_t Wvu + u_tm1 Wuu),   u_0 = 0

``u_0`` is fixed at 0 (the tutorial's), not a parameter. The recurrence itself is
:func:`rnnrnade_pt.kernels.rnn.rnn_step` / :func:`~rnnrnade_pt.kernels.rnn.rnn_states` under the tutorial's
names (:data:`~rnnrnade_pt.kernels.rnn.TUTORIAL`); a padded frame (mask 0) leaves ``u`` unchanged.

======  =====  =========================================
name    shape  role
======  =====  =========================================
``Wuh``  R x H  RNN-to-hidden-bias map
``Wuv``  R x D  RNN-to-visible-bias map
``Wvu``  D x R  RNN input weights
``Wuu``  R x R  RNN recurrent weights
``bu``   R      RNN bias
======  =====  =========================================

References
----------
.. [1] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. "Modeling temporal dependencies in high-dimensional
   sequences: application to polyphonic music generation and transcription." ICML 2012, section 3
   (the RNN-RBM) and the RNN-NADE variant.
.. [2] The Theano deep-learning tutorial "Modeling and generating sequences of polyphonic music with the
   RNN-RBM" (``rnnrbm.py``): the names, ``u0 = 0`` and the initialisation.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor.variable import TensorVariable

from ..config import ModelConfig
from ..kernels.rnn import TUTORIAL, rnn_states
from .common import Prime, prime_inputs

__all__ = [
    "RNN_PARAMS",
    "RNN_SCALE_RATIO",
    "rnn_param_shapes",
    "init_rnn_params",
    "conditional_biases",
    "u_states",
    "u_prime",
    "data_driven_init",
]

RNN_PARAMS = ("Wuh", "Wuv", "Wvu", "Wuu", "bu")

RNN_SCALE_RATIO = 0.01  # RNN weights' std / frame-model weights' std: the tutorial's 0.0001 / 0.01


def rnn_param_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Shapes of the RNN part: ``Wuh`` R x H, ``Wuv`` R x D, ``Wvu`` D x R, ``Wuu`` R x R, ``bu`` R."""
    D, H, R = cfg.D, cfg.H, cfg.R
    return {"Wuh": (R, H), "Wuv": (R, D), "Wvu": (D, R), "Wuu": (R, R), "bu": (R,)}


def init_rnn_params(cfg: ModelConfig, rng: np.random.Generator, scale: float) -> dict[str, np.ndarray]:
    """The tutorial's initialisation of the RNN part.

    The four weight matrices ~ N(0, (``RNN_SCALE_RATIO * scale``)^2), i.e. standard deviation 0.0001 with
    the default ``scale = 0.01`` (the frame model's weight std), as the tutorial's
    ``shared_normal(..., 0.0001)``; ``bu = 0``.
    """
    std = RNN_SCALE_RATIO * scale
    out = {}
    for name, shape in rnn_param_shapes(cfg).items():
        out[name] = np.zeros(shape) if name == "bu" else std * rng.standard_normal(shape)
    return out


def conditional_biases(u_tm1: TensorVariable, p: dict) -> tuple[TensorVariable, TensorVariable]:
    """The frame model's biases given the previous RNN state.

    Parameters
    ----------
    u_tm1 : TensorVariable
        N x R states ``u_{t-1}``, one per frame to model.
    p : dict
        Holds ``bv`` (D), ``bh`` (H), ``Wuv`` and ``Wuh``.

    Returns
    -------
    bv_t, bh_t : TensorVariable
        N x D ``bv + u_tm1 Wuv`` and N x H ``bh + u_tm1 Wuh``.
    """
    bv_t = p["bv"] + pt.dot(u_tm1, p["Wuv"])  # N x D
    bh_t = p["bh"] + pt.dot(u_tm1, p["Wuh"])  # N x H
    return bv_t, bh_t


def u_states(
    V: TensorVariable, mask: TensorVariable, p: dict, cfg: ModelConfig
) -> tuple[TensorVariable, TensorVariable]:
    """All RNN states by one scan over time, from ``u_0 = 0``.

    Parameters
    ----------
    V : TensorVariable
        T x B x D frames (padded ones zeroed).
    mask : TensorVariable
        T x B, 1 for a frame, 0 for padding (the state passes over padding unchanged).

    Returns
    -------
    u, u_prev : TensorVariable
        T x B x R states after each frame, and before each frame (``u_prev[0] = u_0 = 0``).
    """
    u0 = pt.zeros((cfg.R,), dtype=V.dtype)  # R, fixed
    u = rnn_states(V, mask, p, cfg, names=TUTORIAL, h0=u0)  # T x B x R
    u_prev = pt.concatenate([pt.zeros_like(u[:1]), u[:-1]], axis=0)  # T x B x R
    u.name = "u"
    u_prev.name = "u_prev"
    return u, u_prev


def u_prime(cfg: ModelConfig, p: dict) -> Prime:
    """A sampler's prime inputs and the state ``u`` sampling continues from (``u_0 = 0`` without a prime),
    by :func:`~rnnrnade_pt.models.common.prime_inputs` under the tutorial's names."""
    u0 = pt.zeros((cfg.R,), dtype=cfg.dtype)  # R, the fixed u_0
    prime = prime_inputs(cfg, p, names=TUTORIAL, h0=u0)  # T0 x B x D, T0 x B, B x R
    prime.start.name = "u_start"
    return prime


def data_driven_init(values: dict, frames: np.ndarray, cfg: ModelConfig, rng: np.random.Generator) -> dict:
    """The binary models start as the tutorial's, from small random weights and zero biases: nothing is read
    from the data (``values`` is returned as it is)."""
    return values
