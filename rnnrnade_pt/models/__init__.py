"""The models: one module each, and every module the whole contract (:class:`ModelModule`).

A model module declares its parameters (``param_shapes``), starts them (``init_params``, random, and
``data_driven_init``, from training frames), builds its density graph (``build``, faithful and fast graphs,
a NamedTuple of symbolic pieces that never compiles), its sampler (``build_sampler``) and its one-step
predictor (``build_predictor``), and, where the model has them, the supplement's hand-derived gradients
(``explicit_gradients``; ``None`` otherwise). The trainer, the model class, the runs, the command line and the
contract test (``tests/test_family.py``) rely on nothing else; adding a model is one module and one line of
:data:`MODULES`.

What a density graph holds is :class:`DensityGraph`: the fields the trainer and
:class:`~rnnrnade_pt.density_model.DensityModel` read, the optional ones declared there too (each graph's
NamedTuple gives them, ``None`` or empty where its model has no use for them), so that nothing reads a graph
by ``getattr``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np

from ..config import ModelConfig
from ..errors import ConfigError
from . import deep_rnade, gaussian_rnn, rnade, rnn_nade, rnn_rbm, rnn_rnade
from .common import Predictor, Sampler, SequenceInputs, sequence_inputs
from .deep_rnade import DeepRnadeGraph, build_deep_rnade
from .gaussian_rnn import GaussianRnnGraph, build_gaussian_rnn
from .rnade import RnadeGraph, build_rnade
from .rnn_nade import RnnNadeGraph, build_rnnnade
from .rnn_rbm import RnnRbmGraph, build_rnnrbm
from .rnn_rnade import RnnRnadeGraph, build_rnnrnade

__all__ = [
    "DensityGraph",
    "ModelModule",
    "MODULES",
    "RnadeGraph",
    "build_rnade",
    "DeepRnadeGraph",
    "build_deep_rnade",
    "RnnRnadeGraph",
    "build_rnnrnade",
    "RnnNadeGraph",
    "build_rnnnade",
    "RnnRbmGraph",
    "build_rnnrbm",
    "GaussianRnnGraph",
    "build_gaussian_rnn",
    "SequenceInputs",
    "sequence_inputs",
    "Sampler",
    "Predictor",
    "model_module",
    "param_shapes",
    "init_params",
    "build",
    "explicit_gradients",
    "symbolic_gradients",
]


@runtime_checkable
class DensityGraph(Protocol):
    """The fields of every model's density graph (a NamedTuple of symbolic pieces; ``tests/test_family.py``
    checks each model's against this). Sequence models add ``mask`` (T x B, 0 on padding) and
    ``frame_loglik`` (T x B); an RNADE's ``loglik`` is per row."""

    config: ModelConfig
    graph: str  # "scan", "fast" or "fused"
    X: object  # N x D, or T x B x D
    params: dict  # name -> shared variable
    loglik: object  # N, or B: log-likelihood of each row or sequence
    total: object  # scalar: summed log-likelihood (the RNN-RBM: the quantity its training monitors)
    n_frames: object  # scalar: rows or unmasked frames
    cost: object  # scalar: mean negative log-likelihood per frame
    # optional (None or empty where the model has no use for them)
    train_cost: object | None  # the scalar whose gradient trains the model (the RNN-RBM's CD surrogate)
    consider_constant: tuple | list  # variables the training gradient treats as constants (a Gibbs chain)
    rngs: dict | None  # name -> shared random generator whose state the checkpoints carry
    rng_updates: dict | None  # generator -> its next state (every function drawing from one lists these)
    M: object | None  # N x D x D: an RNADE's per-example orderings input


@runtime_checkable
class ModelModule(Protocol):
    """The contract every module of :data:`MODULES` fulfils (checked by ``tests/test_family.py``)."""

    def param_shapes(self, cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
        """Names and shapes of the parameters, in a fixed order."""

    def init_params(self, cfg: ModelConfig, rng: np.random.Generator, scale: float) -> dict[str, np.ndarray]:
        """Random initial parameters (float64 arrays), drawn from ``rng``."""

    def data_driven_init(
        self, values: dict, frames: np.ndarray, cfg: ModelConfig, rng: np.random.Generator
    ) -> dict:
        """Initial parameters adjusted to training frames (N x D)."""

    def build(self, cfg: ModelConfig, params: dict | None = None, graph: str = "fast", shape=None):
        """The density graph, a NamedTuple of symbolic pieces (see the module docstring)."""

    def build_sampler(self, cfg: ModelConfig, params: dict | None = None, **kwargs) -> Sampler:
        """Ancestral sampling, :class:`~rnnrnade_pt.models.common.Sampler`."""

    def build_predictor(self, cfg: ModelConfig, params: dict | None = None) -> Predictor:
        """One-step-ahead prediction, :class:`~rnnrnade_pt.models.common.Predictor`."""

    explicit_gradients: Callable | None  # the supplement's hand-derived gradient, or None


MODULES = {
    "rnade": rnade,
    "deep-rnade": deep_rnade,
    "rnn-rnade": rnn_rnade,
    "rnn-nade": rnn_nade,
    "rnn-rbm": rnn_rbm,
    "gaussian-rnn": gaussian_rnn,
}


def model_module(cfg: ModelConfig) -> ModelModule:
    """The module of :mod:`rnnrnade_pt.models` that implements ``cfg.model``."""
    return MODULES[cfg.model]


def param_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Names and shapes of the parameters of ``cfg``, in a fixed order (the model module's table)."""
    return model_module(cfg).param_shapes(cfg)


def init_params(
    cfg: ModelConfig, seed: int | np.random.Generator = 0, scale: float = 0.01
) -> dict[str, np.ndarray]:
    """Small random parameters as the model's original code initialised them (see its ``init_params``)."""
    return model_module(cfg).init_params(cfg, np.random.default_rng(seed), scale)


def build(cfg: ModelConfig, params=None, graph: str = "fast", shape=None):
    """The builder of ``cfg.model`` (:func:`build_rnade`, :func:`build_rnnrnade`, ...)."""
    return model_module(cfg).build(cfg, params=params, graph=graph, shape=shape)


def symbolic_gradients(g) -> dict:
    """``pytensor.grad`` of the total log-likelihood w.r.t. every parameter, by name."""
    import pytensor

    names = list(g.params)
    return dict(zip(names, pytensor.grad(g.total, [g.params[n] for n in names]), strict=True))


def explicit_gradients(g, *, sigma_scaled_mu: bool = False, logdensity_floor: float | None = None) -> dict:
    """The supplement's hand-derived gradient of the total log-likelihood, by name (fast graph only).

    The keyword options reproduce the original code's hacks and are off by default (the true gradient):
    ``sigma_scaled_mu`` multiplies the mean's gradient by sigma, ``logdensity_floor`` (e.g. ``-100.0``)
    floors the weighted log-densities behind the responsibilities; see
    :func:`~rnnrnade_pt.kernels.rnade_grads.rnade_explicit_grads`.
    """
    explicit = model_module(g.config).explicit_gradients
    if explicit is None:
        raise ConfigError(f"no explicit (hand-derived) gradient is written for model {g.config.model!r}")
    return explicit(g, sigma_scaled_mu=sigma_scaled_mu, logdensity_floor=logdensity_floor)
