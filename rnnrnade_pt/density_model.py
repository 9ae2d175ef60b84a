"""Thin classes over the model modules, as the RNN-RBM tutorial's ``RnnRbm``: they hold the parameters and
one cache of compiled functions, keyed by (function, graph, shape signature), on the chosen backend: the
log-likelihood and its gradients from the module's ``build``, sampling and prediction from its
``build_sampler`` and ``build_predictor``, and whatever else compiles on the model's parameters (e.g. the
orderings' log-likelihoods, :mod:`rnnrnade_pt.orderings`) through :meth:`DensityModel.function`.

Training lives above this module (:class:`~rnnrnade_pt.train.Trainer`, built by
:func:`rnnrnade_pt.runs.train_model`): a model does not train itself.

References
----------
.. [1] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. "Modeling temporal dependencies in high-dimensional
   sequences: application to polyphonic music generation and transcription." ICML 2012 (and the Theano
   tutorial ``code/rnnrbm.py``).
"""

from __future__ import annotations

import logging
import numbers
import os
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from pytensor.tensor.random.type import RandomGeneratorType

from .backend import check_backend, compile_function, needs_static_shapes, pad_to_buckets
from .config import ModelConfig
from .data.arrays import check_data, check_sequences
from .errors import ConfigError, DataError
from .models import build, explicit_gradients, init_params, model_module, symbolic_gradients
from .params import check_params, load_params, save_params, shared_params

__all__ = [
    "Loglik",
    "DensityModel",
    "Rnade",
    "DeepRnade",
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
    ais_log_w: np.ndarray | None = None  # RNN-RBM: M x T x B, the AIS chains' log importance weights


class DensityModel:
    """A model of the family with its parameters and compiled functions (use the subclass of its kind).

    Parameters
    ----------
    cfg : ModelConfig
    values : dict, optional
        Parameter values (float64 arrays); :func:`~rnnrnade_pt.models.init_params` when omitted.
    backend : {"c", "numba", "jax"}
    """

    def __init__(self, cfg: ModelConfig, values: dict | None = None, backend: str = "c", seed: int = 0):
        check_backend(backend)
        self.cfg = cfg
        self.backend = backend
        values = init_params(cfg, seed) if values is None else values
        self.shared = shared_params(cfg, values, static_shapes=needs_static_shapes(backend))
        self._functions: dict[tuple, object] = {}  # the one cache: (what, graph, shape, backend) -> function
        self._generators: dict[tuple, list] = {}  # the same keys -> the function's shared random generators

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
    def function(self, key: tuple, make: Callable[[], tuple], backend: str | None = None):
        """The compiled function cached under ``key``, compiled once from ``make()``.

        ``make`` returns ``(inputs, outputs, updates)`` of a graph built on :attr:`shared`; ``backend``
        defaults to the model's. Every function of a model compiles through here: one cache per model.
        """
        backend = backend or self.backend
        key = (*key, backend)
        if key not in self._functions:
            inputs, outputs, updates = make()
            name = "_".join(str(k) for k in key[:2] if k is not None)
            logger.info("compiling %s for backend %s", name, backend)
            self._functions[key] = compile_function(inputs, outputs, backend, updates=updates, name=name)
            self._generators[key] = [
                v for v in dict(updates or {}) if isinstance(v.type, RandomGeneratorType)
            ]
        return self._functions[key]

    def _seeded(self, key: tuple, make: Callable[[], tuple], seed: int, backend: str | None = None):
        """:meth:`function`, with the function's random generators (those its updates advance) reset from
        ``seed`` before the call it is fetched for: one seed, one set of draws."""
        fn = self.function(key, make, backend)
        for i, rng in enumerate(self._generators[(*key, backend or self.backend)]):
            rng.set_value(np.random.default_rng(seed if i == 0 else [seed, i]), borrow=True)
        return fn

    def _density_function(self, what: str, graph: str, shape: tuple):
        """The log-likelihood (``what="loglik"``) or its gradient (``"symbolic"``, ``"explicit"``)."""
        static = shape if needs_static_shapes(self.backend) else None

        def make():
            g = build(self.cfg, self.shared, graph=graph, shape=static)
            inputs = [g.X, g.mask] if self.cfg.recurrent else [g.X]
            if what == "loglik":  # and the RNN-RBM's AIS weights, for the estimate's standard error
                extra = [g.ais_log_w] if hasattr(g, "ais_log_w") else []
                return inputs, [g.frame_loglik if self.cfg.recurrent else g.loglik, *extra], None
            grads = explicit_gradients(g) if what == "explicit" else symbolic_gradients(g)
            return inputs, [g.total] + [grads[n] for n in self.shared], g.rng_updates

        return self.function((what, graph, static), make)

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
        fn = self._density_function("loglik", graph, inputs[0].shape)
        out = fn(*inputs)
        per_frame = np.asarray(out[0], dtype=np.float64)
        if self.cfg.recurrent:
            if np.ndim(X) == 2:  # one sequence given as T x D
                B = 1
            per_frame = per_frame[:T, :B]  # drop bucket padding (JAX)
            log_w = np.asarray(out[1], dtype=np.float64)[:, :T, :B] if len(out) > 1 else None
            frames = int(inputs[1][:T, :B].sum())
            ll = Loglik(float(per_frame.sum()), per_frame.sum(axis=0), per_frame, frames, log_w)
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
        out = self._density_function(method, graph, inputs[0].shape)(*inputs)
        grads = {n: np.asarray(g, dtype=np.float64) for n, g in zip(self.shared, out[1:], strict=True)}
        bad = [n for n, g in grads.items() if not np.all(np.isfinite(g))]
        if bad or not np.isfinite(out[0]):
            self.loglik(X, mask, graph=graph)  # names the frame whose log-likelihood is not finite
            raise DataError(f"the gradient of the log-likelihood is not finite for parameter(s) {bad}")
        return float(out[0]), grads

    def jax_logp(self, graph: str = "fast") -> tuple[Callable, dict]:
        """The log-likelihood as a pure JAX function of the parameters and the data, from the same graph
        through PyTensor's JAX backend (:func:`~rnnrnade_pt.backend.jax_function`): for NumPyro, BlackJAX or
        optax. ``jax.jit``, ``jax.grad`` (with respect to the parameters or the data) and ``jax.vmap`` apply.
        The graph is converted once per shape of the data (PyTensor's JAX scans need static lengths).

        Returns
        -------
        logp : callable
            ``logp(params, X)`` for an RNADE (N x D: the N row log-likelihoods), ``logp(params, X, mask)``
            for a sequence model (T x B x D and T x B, the mask all ones when omitted: the B sequence
            log-likelihoods); ``params`` maps the parameter names to arrays.
        params : dict
            The model's parameters as JAX arrays, in ``cfg.dtype``.

        Raises
        ------
        BackendError
            JAX is not installed (``pip install 'rnnrnade-pt[jax]'``).
        ConfigError
            On the first call, for a model whose log-likelihood is an estimate (the RNN-RBM's AIS).

        >>> import jax, numpy as np, rnnrnade_pt as rp
        >>> model = rp.Rnade(rp.ModelConfig(model="rnade", D=2, H=3, K=2), seed=1)
        >>> logp, params = model.jax_logp()
        >>> X = np.zeros((4, 2))
        >>> bool(np.allclose(jax.jit(logp)(params, X), model.loglik(X).per_sequence))
        True
        """
        import pytensor.tensor as pt
        from pytensor.graph.traversal import graph_inputs

        from .backend import jax_function, prepare_jax

        prepare_jax()
        import jax.numpy as jnp

        cfg = self.cfg
        names = list(self.shared)
        values = self.get_params()
        converted = {}  # data shape -> JAX function: PyTensor's JAX scans need static lengths

        def function_of_shape(shape):
            if shape not in converted:
                symbols = {n: pt.tensor(n, shape=values[n].shape, dtype=cfg.dtype) for n in names}
                g = build(cfg, symbols, graph=graph, shape=shape)
                if any(isinstance(v.type, RandomGeneratorType) for v in graph_inputs([g.loglik])):
                    raise ConfigError(
                        f"a {cfg.model}'s log-likelihood is a random estimate (AIS); jax_logp is for the "
                        "models with an exact one"
                    )
                data = [g.X, g.mask] if cfg.recurrent else [g.X]
                converted[shape] = jax_function([*symbols.values(), *data], [g.loglik])
            return converted[shape]

        def logp(params, X, mask=None):
            fn = function_of_shape(tuple(X.shape))  # shapes are concrete, also under jax.jit
            if cfg.recurrent and mask is None:
                mask = jnp.ones(X.shape[:2], dtype=X.dtype)
            (out,) = fn(*(params[n] for n in names), X, *([mask] if cfg.recurrent else []))
            return out

        return logp, {n: jnp.asarray(values[n].astype(cfg.dtype)) for n in names}

    # sampling and prediction, compiled from the model module's sampler and predictor ------------------
    def _sampling_backend(self) -> str:
        """The model's backend, except JAX (no dynamic scan lengths, no shared-RNG update): C instead."""
        if self.backend != "jax":
            return self.backend
        for var in self.shared.values():  # JAX updates leave jax Arrays behind; C wants ndarrays
            var.set_value(np.asarray(var.get_value()))
        logger.warning(
            "backend jax cannot compile sampling or prediction (dynamic scan lengths, a shared random "
            "generator); using backend c for them"
        )
        return "c"

    def sample(self, n: int = 1, steps: int | None = None, prime=None, prime_mask=None, seed: int | None = 0):
        """Ancestral samples from the model (compiled once per model, every size), as the tutorial's
        ``generate``.

        Parameters
        ----------
        n : int
            Vectors (RNADE) or sequences.
        steps : int
            Sequence models: frames to sample per sequence (required).
        prime : array_like, optional
            Sequence models: T0 x B x D frames to continue (or T0 x D for one sequence), with B = n, or
            B = 1 to continue the same prime n times.
        prime_mask : array_like, optional
            T0 x B mask of the prime (1 frame, 0 padding); all ones when omitted.
        seed : int or None
            The same seed gives the same draws; ``None`` draws fresh entropy.

        Returns
        -------
        numpy.ndarray
            n x D (RNADE) or steps x n x D (the continuation without the prime), in ``cfg.dtype``.

        Raises
        ------
        ConfigError
            Bad ``n``, ``steps`` or ``seed``, or an argument the model does not take.
        DataError
            A bad prime (wrong shape or D, NaN, bad mask, B that fits neither n nor 1).
        """
        cfg = self.cfg
        n = _positive_int(n, "n")
        seed = _seed(seed)
        if cfg.recurrent:
            if steps is None:
                raise ConfigError(f"a {cfg.model} samples sequences: give steps, the number of frames")
            X0, m0 = _prime(prime, prime_mask, n, cfg)
            args = [np.int64(_positive_int(steps, "steps")), X0, m0]
        else:
            if steps is not None or prime is not None or prime_mask is not None:
                raise ConfigError(
                    "steps, prime and prime_mask are for sequence models; an RNADE samples vectors"
                )
            args = [np.int64(n)]

        def make():
            g = model_module(cfg).build_sampler(cfg, self.shared)
            return g.inputs, g.samples, g.updates

        fn = self._seeded(("sample", None, None), make, seed, backend=self._sampling_backend())
        return np.array(fn(*args), dtype=cfg.dtype)  # a copy, never the function's buffer

    def predict(self, X, mask=None) -> np.ndarray:
        """One-step-ahead prediction of every frame from the true frames before it (compiled once per
        model), by the model module's predictor: e.g. RNN-RNADE's ancestral mean-field, the Gaussian RNN's
        mean, the binary models' note probabilities.

        Parameters
        ----------
        X : array_like
            N x D (RNADE), or T x B x D (or T x D for one sequence).
        mask : array_like, optional
            T x B, 1 frame, 0 padding; all ones when omitted.

        Returns
        -------
        numpy.ndarray
            The shape of ``X``, 0 on padding; for an RNADE every row is the model's mean-field vector.
        """
        cfg = self.cfg
        X_arr = np.asarray(X)
        Xc, maskc = check_data(X, mask, cfg, source="predict")
        args = [Xc.astype(cfg.dtype)] + ([maskc.astype(cfg.dtype)] if cfg.recurrent else [])

        def make():
            g = model_module(cfg).build_predictor(cfg, self.shared)
            return ((g.X, g.mask) if cfg.recurrent else (g.X,)), g.prediction, None

        fn = self.function(("predict", None, None), make, backend=self._sampling_backend())
        out = np.array(fn(*args), dtype=cfg.dtype)
        return out.reshape(X_arr.shape) if cfg.recurrent and X_arr.ndim == 2 else out


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
    """RNADE over vectors ``X`` (N x D).

    >>> import numpy as np, rnnrnade_pt as rp
    >>> model = rp.Rnade(rp.ModelConfig(model="rnade", D=3, H=4, K=2))
    >>> ll = model.loglik(np.random.default_rng(0).normal(size=(5, 3)))
    >>> ll.frames, ll.per_sequence.shape, bool(np.isfinite(ll.total))
    (5, (5,), True)

    References
    ----------
    .. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive
       density-estimator." NIPS 2013.
    """

    MODEL = "rnade"


class DeepRnade(_OneModel):
    """The deep order-agnostic RNADE over vectors ``X`` (N x D): its log-likelihood is exact under the
    natural ordering; :func:`~rnnrnade_pt.orderings.ensemble_loglik` averages it over orderings.

    >>> import numpy as np, rnnrnade_pt as rp
    >>> model = rp.DeepRnade(rp.ModelConfig(model="deep-rnade", D=3, H=4, K=2, layers=2))
    >>> ll = model.loglik(np.random.default_rng(0).normal(size=(5, 3)))
    >>> ll.frames, bool(np.isfinite(ll.total))
    (5, True)

    References
    ----------
    .. [1] B. Uria, I. Murray, H. Larochelle. "A deep and tractable density estimator." ICML 2014.
    """

    MODEL = "deep-rnade"


class RnnRnade(_OneModel):
    """RNN-RNADE over padded batches of sequences ``X`` (T x B x D) with ``mask`` (T x B).

    >>> import numpy as np, rnnrnade_pt as rp
    >>> model = rp.RnnRnade(rp.ModelConfig(model="rnn-rnade", D=3, H=4, K=2, R=3))
    >>> X, mask = np.random.default_rng(0).normal(size=(6, 2, 3)), np.ones((6, 2))
    >>> mask[4:, 1] = 0  # the second sequence has 4 frames
    >>> ll = model.loglik(X, mask)
    >>> ll.frames, ll.per_sequence.shape
    (10, (2,))

    References
    ----------
    .. [1] Supplementary Material for the RNN-RNADE model.
    """

    MODEL = "rnn-rnade"

    def predict_by_sampling(self, X, mask=None, n_samples: int = 16, seed: int | None = 0) -> np.ndarray:
        """One-step predictions (the shape of ``X``, 0 on padding) as the mean of ``n_samples`` draws of each
        frame given its past (:func:`~rnnrnade_pt.models.rnn_rnade.build_sample_mean_predictor`): an
        unbiased estimate of ``E[x_t | x_<t]``, against which :meth:`predict`'s mean-field is checked."""
        from .models.rnn_rnade import build_sample_mean_predictor

        cfg, n_samples, seed = self.cfg, _positive_int(n_samples, "n_samples"), _seed(seed)
        X_arr = np.asarray(X)
        Xc, maskc = check_data(X, mask, cfg, source="predict_by_sampling")

        def make():
            g, _, updates = build_sample_mean_predictor(cfg, self.shared, n_samples)
            return (g.X, g.mask), g.prediction, updates

        key = ("predict_by_sampling", n_samples, None)
        fn = self._seeded(key, make, seed, backend=self._sampling_backend())
        out = np.array(fn(Xc.astype(cfg.dtype), maskc.astype(cfg.dtype)), dtype=cfg.dtype)
        return out.reshape(X_arr.shape) if X_arr.ndim == 2 else out


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


CLASSES = {cls.MODEL: cls for cls in (Rnade, DeepRnade, RnnRnade, RnnNade, RnnRbm, GaussianRnn)}


def model_class(cfg: ModelConfig) -> type[DensityModel]:
    """The thin class of ``cfg.model``."""
    return CLASSES[cfg.model]


def load_model(path: str | os.PathLike, backend: str = "c") -> DensityModel:
    """The model stored in a parameter file, as an instance of its class (:func:`model_class`).

    >>> import os, tempfile, rnnrnade_pt as rp
    >>> model = rp.Rnade(rp.ModelConfig(model="rnade", D=3, H=4, K=2), seed=1)
    >>> path = os.path.join(tempfile.mkdtemp(), "p.npz")
    >>> rp.save_params(path, model.get_params(), model.cfg)
    >>> again = rp.load_model(path)
    >>> type(again).__name__, again.cfg == model.cfg
    ('Rnade', True)
    """
    cfg, values = load_params(path)
    return model_class(cfg)(cfg, values, backend)
