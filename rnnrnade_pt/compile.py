"""Backends: compile a graph with PyTensor's C, Numba or JAX backend, once per shape signature.

============  =====================================================================================
backend       what it is
============  =====================================================================================
``c``         ``Mode(linker="cvm", optimizer="fast_run")`` with OpenBLAS linked (see
              :mod:`rnnrnade_pt.pytensor_setup`). In PyTensor 3.x the *default* mode is Numba, so every
              function of this package names its mode explicitly.
``numba``     PyTensor's Numba mode. Fast to run, but a scan gradient is JIT-compiled anew in every
              process (a minute or more); a warning says so before it starts.
``jax``       PyTensor's JAX mode. A scan gradient compiles only when every shape is static, so the
              graph is built with static shapes for the data at hand (one compiled function per shape).
============  =====================================================================================
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence

import pytensor
from pytensor.compile.mode import Mode, get_mode

from .errors import BackendError

__all__ = [
    "BACKENDS",
    "backend_mode",
    "check_backend",
    "compile_function",
    "needs_static_shapes",
    "check_gradients_supported",
    "bucket",
    "pad_to_buckets",
]

logger = logging.getLogger(__name__)

BACKENDS = ("c", "numba", "jax")
_REQUIRES = {"numba": "numba", "jax": "jax"}


def check_backend(backend: str) -> None:
    """Raise :class:`BackendError` when ``backend`` is unknown or its package is not installed."""
    if backend not in BACKENDS:
        raise BackendError(f"unknown backend {backend!r}; choose one of {list(BACKENDS)}")
    module = _REQUIRES.get(backend)
    if module and importlib.util.find_spec(module) is None:
        extra = " (pip install 'rnnrnade-pt[jax]')" if backend == "jax" else ""
        raise BackendError(
            f"backend {backend!r} needs the {module} package{extra}; backend 'c' needs nothing"
        )


def check_gradients_supported(backend: str, dtype: str) -> None:
    """Raise :class:`BackendError` where a backend cannot compile scan gradients in ``dtype``.

    PyTensor 3.0.7's JAX scan turns a float32 gradient sum into float64, which ``jax.lax.scan`` rejects
    ("carry input and carry output must have equal types"); the log-likelihood itself compiles.
    """
    if backend == "jax" and dtype == "float32":
        raise BackendError(
            "backend 'jax' cannot compile float32 gradients (PyTensor 3.0.7's JAX scan turns a float32 "
            "gradient sum into float64); use dtype float64 on jax, or backend 'c' or 'numba'"
        )


def needs_static_shapes(backend: str) -> bool:
    """True where scan gradients compile only with static shapes (JAX)."""
    return backend == "jax"


def bucket(n: int) -> int:
    """The static length that ``n`` is padded to for JAX: the next power of two up to 64, then the next
    multiple of 64 (so a few compiled functions serve every length, with at most 2x padding)."""
    if n <= 64:
        return max(1, 1 << (int(n) - 1).bit_length())
    return -(-int(n) // 64) * 64


def pad_to_buckets(X, mask):
    """Pad ``X`` (T x B x D) and ``mask`` (T x B) with masked frames and masked sequences to bucket sizes.

    Padding is exact: a frame with mask 0 contributes nothing to the log-likelihood or its gradient.
    """
    import numpy as np

    T, B = mask.shape
    Tb, Bb = bucket(T), bucket(B)
    if (Tb, Bb) == (T, B):
        return X, mask
    Xp = np.zeros((Tb, Bb) + X.shape[2:], dtype=X.dtype)
    mp = np.zeros((Tb, Bb), dtype=mask.dtype)
    Xp[:T, :B], mp[:T, :B] = X, mask
    return Xp, mp


def backend_mode(backend: str, optimizer: str = "fast_run") -> Mode:
    """The PyTensor compilation mode of ``backend``."""
    check_backend(backend)
    if backend == "c":
        return Mode(linker="cvm", optimizer=optimizer)
    mode = get_mode(backend.upper())
    return mode if optimizer == "fast_run" else mode.clone(optimizer=optimizer)


def compile_function(
    inputs: Sequence,
    outputs,
    backend: str = "c",
    updates=None,
    name: str | None = None,
    optimizer: str = "fast_run",
    trust_input: bool = False,
) -> pytensor.compile.function.types.Function:
    """``pytensor.function`` with the mode of ``backend``.

    Raises
    ------
    BackendError
        When the backend is missing or cannot compile the graph; the message names backend ``c``.
    """
    mode = backend_mode(backend, optimizer)
    if backend == "numba":
        logger.warning(
            "backend numba: the first call JIT-compiles the graph, a minute or more for scan gradients"
        )
    try:
        return pytensor.function(
            list(inputs), outputs, updates=updates, mode=mode, name=name, trust_input=trust_input
        )
    except (NotImplementedError, TypeError, IndexError) as e:
        if backend == "c":
            raise
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise BackendError(
            f"backend {backend!r} cannot compile {name or 'this function'} ({first}); use backend 'c'"
        ) from e
