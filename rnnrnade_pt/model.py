"""Thin classes over the builders, as the RNN-RBM tutorial's ``RnnRbm``: they hold the parameters and
compile each function once per (function, graph, shape signature), on the chosen backend.

References
----------
.. [1] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. "Modeling temporal dependencies in high-dimensional
   sequences: application to polyphonic music generation and transcription." ICML 2012 (and the Theano
   tutorial ``code/rnnrbm.py``).
"""

from __future__ import annotations

import logging
import os
from typing import NamedTuple

import numpy as np

from .compile import (
    check_backend,
    compile_function,
    needs_static_shapes,
    pad_to_buckets,
)
from .config import ModelConfig
from .data.arrays import check_data
from .errors import ConfigError, DataError
from .models import build, explicit_gradients, symbolic_gradients
from .params import check_params, init_params, load_params, save_params, shared_params

__all__ = [
    "Loglik",
    "DensityModel",
    "Rnade",
    "RnnRnade",
    "RnnNade",
    "RnnRbm",
    "GaussianRnn",
    "model_class",
    "load_model",
]

logger = logging.getLogger(__name__)

METHODS = ("symbolic", "explicit")


class Loglik(NamedTuple):
    """Log-likelihoods in nats."""

    total: float  # summed over everything
    per_sequence: np.ndarray  # B (one per row for an RNADE)
    per_frame: np.ndarray  # T x B, 0 on padding (N for an RNADE)
    frames: int  # number of frames (rows) modelled


class DensityModel:
    """A model of the family with its parameters and compiled functions (use the subclass of its kind).

    Parameters
    ----------
    cfg : ModelConfig
    values : dict, optional
        Parameter values (float64 arrays); :func:`~rnnrnade_pt.params.init_params` when omitted.
    backend : {"c", "numba", "jax"}
    """

    def __init__(self, cfg: ModelConfig, values: dict | None = None, backend: str = "c", seed: int = 0):
        check_backend(backend)
        self.cfg = cfg
        self.backend = backend
        values = init_params(cfg, seed) if values is None else values
        self.shared = shared_params(cfg, values, static_shapes=needs_static_shapes(backend))
        self._functions: dict[tuple, object] = {}

    # parameters ---------------------------------------------------------------------------------------
    def get_params(self) -> dict[str, np.ndarray]:
        """Current parameter values as float64 arrays."""
        return {n: np.asarray(v.get_value(), dtype=np.float64) for n, v in self.shared.items()}

    def set_params(self, values: dict) -> None:
        """Replace every parameter (checked against the config)."""
        for n, v in check_params(values, self.cfg).items():
            self.shared[n].set_value(v.astype(self.cfg.dtype))

    def save(self, path: str | os.PathLike) -> None:
        """Write the parameters and config to ``path`` (``.npz``, atomically)."""
        save_params(path, self.get_params(), self.cfg)

    # compiled functions ---------------------------------------------------------------------------------
    def _function(self, what: str, graph: str, shape: tuple):
        key = (what, graph, shape if needs_static_shapes(self.backend) else None)
        if key not in self._functions:
            g = build(self.cfg, self.shared, graph=graph, shape=key[2])
            inputs = [g.X, g.mask] if self.cfg.recurrent else [g.X]
            if what == "loglik":
                outputs = [g.frame_loglik if self.cfg.recurrent else g.loglik]
            else:
                grads = explicit_gradients(g) if what == "explicit" else symbolic_gradients(g)
                outputs = [g.total] + [grads[n] for n in self.shared]
            logger.info("compiling %s (%s graph) for backend %s", what, graph, self.backend)
            self._functions[key] = compile_function(inputs, outputs, self.backend, name=f"{what}_{graph}")
        return self._functions[key]

    def _inputs(self, X, mask):
        """Checked inputs in the model's dtype; for JAX, sequences padded to bucket sizes (exact)."""
        X, mask = check_data(X, mask, self.cfg)
        dtype = self.cfg.dtype
        if mask is None:
            return [X.astype(dtype)]
        if needs_static_shapes(self.backend):
            X, mask = pad_to_buckets(X, mask)
        return [X.astype(dtype), mask.astype(dtype)]

    def loglik(self, X, mask=None, graph: str = "fast", finite: bool = True) -> Loglik:
        """Log-likelihood of ``X`` (N x D for an RNADE; T x B x D with a T x B ``mask`` for RNN-RNADE).

        Raises
        ------
        DataError
            With ``finite`` (the default), when a frame's log-likelihood is not finite (finite data far
            out of the model's range overflow), naming its sequence, frame and largest value.
        """
        T, B = np.shape(X)[:2]
        inputs = self._inputs(X, mask)
        fn = self._function("loglik", graph, inputs[0].shape)
        per_frame = np.asarray(fn(*inputs)[0], dtype=np.float64)
        if self.cfg.recurrent:
            if np.ndim(X) == 2:  # one sequence given as T x D
                B = 1
            per_frame = per_frame[:T, :B]  # drop bucket padding (JAX)
            ll = Loglik(float(per_frame.sum()), per_frame.sum(axis=0), per_frame, int(inputs[1].sum()))
        else:
            ll = Loglik(float(per_frame.sum()), per_frame, per_frame, per_frame.shape[0])
        if finite:
            _check_finite(ll.per_frame, np.asarray(X), "log-likelihood")
        return ll

    def gradients(self, X, mask=None, method: str = "symbolic", graph: str = "fast") -> tuple[float, dict]:
        """The total log-likelihood and its gradient w.r.t. every parameter.

        Parameters
        ----------
        method : {"symbolic", "explicit"}
            ``pytensor.grad``, or the supplement's formulas (fast graph only).
        """
        if method not in METHODS:
            raise ConfigError(f"gradient method must be one of {list(METHODS)}, got {method!r}")
        if method == "explicit" and graph != "fast":
            raise ConfigError("the explicit gradient is written for the fast graph; use graph 'fast'")
        inputs = self._inputs(X, mask)
        out = self._function(method, graph, inputs[0].shape)(*inputs)
        grads = {n: np.asarray(g, dtype=np.float64) for n, g in zip(self.shared, out[1:], strict=True)}
        bad = [n for n, g in grads.items() if not np.all(np.isfinite(g))]
        if bad or not np.isfinite(out[0]):
            self.loglik(X, mask, graph=graph)  # names the frame whose log-likelihood is not finite
            raise DataError(f"the gradient of the log-likelihood is not finite for parameter(s) {bad}")
        return float(out[0]), grads

    # training and generation, as the tutorial's RnnRbm.train / generate -----------------------------------
    def train(self, sequences, valid=None, run_dir: str | None = None, progress=None, **train_options) -> str:
        """Train these parameters in a run directory (see :class:`~rnnrnade_pt.train.Trainer`).

        Parameters
        ----------
        sequences, valid : list of ndarray
            Training and validation sequences (``T_i x D``; for an RNADE, blocks of rows). Without ``valid``,
            10% of the training sequences are held out (seeded).
        run_dir : str, optional
            Where ``config.json``, ``metrics.csv``, ``best.npz`` and ``last.npz`` go (a new
            ``runs/python-TIME`` when omitted).
        **train_options
            Fields of :class:`~rnnrnade_pt.config.TrainConfig` (``epochs``, ``lr``, ``optimizer``, ...).

        Returns
        -------
        str
            Why training stopped. The model then holds the best parameters (best validation score).
        """
        import time as _time

        from .config import DataConfig, RunConfig, TrainConfig
        from .train import Trainer

        seqs = [np.asarray(s, dtype=np.float64) for s in sequences]
        data = DataConfig(dataset="memory")
        if valid is None:
            from .data.batching import split_off

            seqs, valid = split_off(seqs, data.valid_fraction, train_options.get("seed", 0))
        tcfg = TrainConfig(**{"backend": self.backend, "init": "gaussian", **train_options})
        run_dir = run_dir or os.path.join("runs", f"python-{_time.strftime('%Y%m%d-%H%M%S')}")
        trainer = Trainer(RunConfig(self.cfg, tcfg, data), run_dir, {"train": seqs, "valid": list(valid)},
                          progress=progress, values=self.get_params())  # fmt: skip
        reason = trainer.fit()
        best = os.path.join(run_dir, "best.npz")
        self.set_params(load_params(best)[1] if os.path.exists(best) else trainer.model.get_params())
        return reason

    def generate(
        self, n: int = 1, steps: int = 100, prime=None, prime_mask=None, seed: int = 0
    ) -> np.ndarray:
        """Ancestral samples: ``steps x n x D`` sequences (continuing ``prime``), or ``n x D`` for an RNADE.

        See :func:`rnnrnade_pt.sample.sample`.
        """
        from .models import model_module
        from .sample import sample

        module = model_module(self.cfg)
        if hasattr(module, "generate"):
            return module.generate(self, n, steps=steps, prime=prime, prime_mask=prime_mask, seed=seed)
        if not self.cfg.recurrent:
            return sample(self, n, seed=seed)
        return sample(self, n, steps=steps, prime=prime, prime_mask=prime_mask, seed=seed)


def _check_finite(values: np.ndarray, X: np.ndarray, what: str) -> None:
    """A :class:`DataError` naming the first non-finite entry of ``values`` (per frame: T x B, or N rows;
    one sequence of T frames is T x 1) and the largest value of its frame of ``X``."""
    bad = np.argwhere(~np.isfinite(values))
    if not bad.size:
        return
    idx = tuple(int(i) for i in bad[0])
    if len(idx) == 2:  # frame t of sequence b
        frame = X[idx[0], idx[1]] if X.ndim == 3 else X[idx[0]]
        where = f"sequence {idx[1]}, frame {idx[0]}"
    else:
        frame, where = X[idx[0]], f"row {idx[0]}"
    d = int(np.argmax(np.abs(frame)))
    raise DataError(
        f"the {what} is {values[idx]} at {where} ({len(bad)} such in all) although the data are finite: "
        f"its largest value, {frame[d]:.6g} in dimension {d}, is far out of the model's range"
    )


class _OneModel(DensityModel):
    """A :class:`DensityModel` of one ``cfg.model`` (``MODEL``); ``cfg`` defaults to that model's."""

    MODEL = ""

    def __init__(self, cfg: ModelConfig | None = None, values=None, backend: str = "c", seed: int = 0):
        cfg = cfg or ModelConfig(model=self.MODEL)
        if cfg.model != self.MODEL:
            raise ConfigError(
                f"{type(self).__name__} needs a config with model {self.MODEL!r}, got {cfg.model!r}"
            )
        super().__init__(cfg, values, backend, seed)


class Rnade(_OneModel):
    """RNADE over vectors ``X`` (N x D)."""

    MODEL = "rnade"


class RnnRnade(_OneModel):
    """RNN-RNADE over padded batches of sequences ``X`` (T x B x D) with ``mask`` (T x B)."""

    MODEL = "rnn-rnade"


class RnnNade(_OneModel):
    """RNN-NADE over padded batches of binary sequences (piano rolls) ``X`` (T x B x D) with ``mask``."""

    MODEL = "rnn-nade"


class RnnRbm(_OneModel):
    """RNN-RBM over padded batches of binary sequences ``X`` (T x B x D) with ``mask``; its log-likelihood
    is an annealed-importance-sampling estimate."""

    MODEL = "rnn-rbm"


class GaussianRnn(_OneModel):
    """The Gaussian RNN baseline: a diagonal Gaussian per frame set by the RNN state."""

    MODEL = "gaussian-rnn"


CLASSES = {cls.MODEL: cls for cls in (Rnade, RnnRnade, RnnNade, RnnRbm, GaussianRnn)}


def model_class(cfg: ModelConfig) -> type[DensityModel]:
    """The thin class of ``cfg.model``."""
    return CLASSES[cfg.model]


def load_model(path: str | os.PathLike, backend: str = "c") -> DensityModel:
    """The model stored in a parameter file, as an instance of its class (:func:`model_class`)."""
    cfg, values = load_params(path)
    return model_class(cfg)(cfg, values, backend)
