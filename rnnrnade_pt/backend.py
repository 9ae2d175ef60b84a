"""Backends: compile a graph with PyTensor's C, Numba or JAX backend, and the PyTensor settings the
package's compilations need; the only module that knows backends.

============  =====================================================================================
backend       what it is
============  =====================================================================================
``c``         PyTensor's ``cvm_nogc`` linker with ``fast_run`` and OpenBLAS linked (see
              :func:`package_flags`); its missing C modules are built several at a time
              (:class:`~rnnrnade_pt.parallel_compile.ParallelCVMLinker`). In PyTensor 3.x the *default*
              mode is Numba, so every function of this package names its mode explicitly.
``numba``     PyTensor's Numba mode. Fast to run, but a scan gradient is JIT-compiled anew in every
              process (a minute or more); a warning says so before it starts.
``jax``       PyTensor's JAX mode. A scan gradient compiles only when every shape is static, so the
              graph is built with static shapes for the data at hand (one compiled function per shape).
              PyTensor 3.0.7's JAX reductions return their accumulator's dtype (a float32 sum comes out
              float64), which ``lax.scan`` rejects in float32 gradients; this package's compilations
              convert reductions with a cast to the node's own dtype (:func:`jax_reductions_in_node_dtype`),
              and leave PyTensor's dispatch as it was afterwards.
============  =====================================================================================

The fused frame Op (:mod:`rnnrnade_pt.kernels.fused_frame`) compiles its own C code (OpenMP, vector
``exp``) on the C backend, runs as :mod:`jax.numpy` on JAX and as NumPy on Numba.

Settings. Importing the package changes nothing global: the settings below hold inside
:func:`compile_function` only (``pytensor.config.change_flags``), so another PyTensor user in the process
(a PyMC model, say) compiles as it would without us.

* ``blas__ldflags``: PyTensor 3.x probes for a BLAS and, on Debian with only ``libopenblas-dev`` installed,
  finds none (it looks for ``libcblas``/``libgfortran`` too): the C backend then falls back to slower NumPy
  C-API kernels (2.4x slower on RNN-RNADE). The package's compilations link the OpenBLAS that the dynamic
  loader knows, unless the user chose a BLAS (``blas__ldflags`` in ``PYTENSOR_FLAGS`` or a pytensorrc file).
  See ``scripts/setup_system.sh`` for installing OpenBLAS.
* ``numba__fastmath``: off unless asked for (``TrainConfig.fastmath``), so that Numba agrees with C to
  rounding.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import functools
import importlib.util
import logging
import os
import warnings
from collections.abc import Iterator, Sequence

import pytensor
from pytensor.compile.mode import Mode, get_mode

from .config import BACKENDS  # defined once, in the lowest layer that needs the names
from .errors import BackendError
from .kernels import ais_math, fused_frame, fused_mixture
from .parallel_compile import ParallelCVMLinker

__all__ = [
    "BACKENDS",
    "package_flags",
    "backend_mode",
    "check_backend",
    "compile_function",
    "needs_static_shapes",
    "jax_reductions_in_node_dtype",
    "jax_function",
    "prepare_jax",
    "training_threads",
    "bucket",
    "pad_to_buckets",
]

logger = logging.getLogger(__name__)

_REQUIRES = {"numba": "numba", "jax": "jax"}


def _user_chose_blas() -> bool:
    """True when ``PYTENSOR_FLAGS`` or a pytensorrc file sets the BLAS link flags."""
    if "blas__ldflags" in os.environ.get("PYTENSOR_FLAGS", ""):
        return True
    rc = os.environ.get("PYTENSORRC", os.path.expanduser("~/.pytensorrc"))
    for path in rc.split(os.pathsep):
        try:
            with open(path, encoding="utf-8") as fh:
                if "ldflags" in fh.read():
                    return True
        except OSError:
            continue
    return False


@functools.cache
def _openblas() -> str | None:
    """The OpenBLAS library the dynamic loader knows (e.g. ``libopenblas.so.0``), or None."""
    return ctypes.util.find_library("openblas")


@functools.cache
def package_flags() -> dict:
    """The PyTensor settings the package's compilations run under (found once, on first use).

    Returns
    -------
    dict
        ``blas__ldflags`` for the OpenBLAS the dynamic loader knows (``-l:libopenblas.so.0``), unless the
        user chose a BLAS or none is installed; empty otherwise.
    """
    if _user_chose_blas():
        return {}
    lib = _openblas()
    if not lib:
        logger.info("OpenBLAS not found; run scripts/setup_system.sh for a BLAS-linked C backend")
        return {}
    return {"blas__ldflags": f"-l:{lib}"}


@contextlib.contextmanager
def package_settings(**extra) -> Iterator[None]:
    """PyTensor's config as the package's compilations need it (:func:`package_flags` plus ``extra``),
    restored on exit. PyTensor's warning that it found no BLAS of its own is silenced when the package
    brings one."""
    flags = {**package_flags(), **extra}
    with warnings.catch_warnings():
        if "blas__ldflags" in flags:  # reading the old value runs PyTensor's own probe, which warns
            warnings.filterwarnings("ignore", message=".*BLAS.*")
        with pytensor.config.change_flags(**flags):
            yield


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


def training_threads() -> contextlib.AbstractContextManager:
    """The thread settings training runs under: BLAS on one thread, restored afterwards.

    The fused frame Op runs on OpenMP threads; OpenBLAS's own threads, waiting between the step's matrix
    products, spin in ``sched_yield`` beside them: measured on the main job (2 cores), 38% of the wall time
    was system time and the step 15% slower than with one BLAS thread (``experiments/NOTES.md``). The limit
    (threadpoolctl) holds inside this context only.
    """
    from threadpoolctl import threadpool_limits

    lib = _openblas()  # the OpenBLAS PyTensor's C modules link, loaded now so that
    if lib:  # the limit reaches it (a module compiled later would load it after threadpoolctl has looked)
        ctypes.CDLL(lib)
    return threadpool_limits(limits=1, user_api="blas")


@contextlib.contextmanager
def jax_reductions_in_node_dtype() -> Iterator[None]:
    """While compiling, convert PyTensor's reductions to JAX with a cast to the node's output dtype.

    PyTensor 3.0.7's ``jax_funcify`` of ``CAReduce`` returns ``.astype(acc_dtype)``: the gradient sums of a
    float32 graph (``Sum{acc=float64}``) come out float64, and a scan that carries such a sum fails ("carry
    input and carry output must have equal types"). The conversion is swapped in for this compilation and
    restored afterwards, so other PyTensor users in the process see PyTensor's own.
    """
    from pytensor.link.jax.dispatch import jax_funcify
    from pytensor.tensor.elemwise import CAReduce

    original = jax_funcify.dispatch(CAReduce)

    def careduce_in_node_dtype(op, node=None, **kwargs):
        reduce = original(op, node=node, **kwargs)
        if node is None:
            return reduce
        dtype = node.outputs[0].dtype

        def careduce(x):
            return reduce(x).astype(dtype)

        return careduce

    jax_funcify.register(CAReduce, careduce_in_node_dtype)
    try:
        yield
    finally:
        jax_funcify.register(CAReduce, original)


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


def prepare_jax() -> None:
    """Load PyTensor's JAX backend, which sets JAX's float64 mode from ``floatX`` (on, by default) as it
    loads: call it before making JAX arrays or tracing, or they are float32.

    Raises
    ------
    BackendError
        When JAX is not installed.
    """
    check_backend("jax")
    import pytensor.link.jax.dispatch  # noqa: F401


def jax_function(inputs: Sequence, outputs: Sequence):
    """A pure JAX function of ``inputs`` that returns ``outputs`` (a list), not compiled: the graph rewritten
    by PyTensor's JAX mode and converted by ``jax_funcify`` (as PyMC's ``get_jaxified_graph``), so that
    ``jax.jit``, ``jax.grad`` and ``jax.vmap`` apply to it and it takes JAX arrays of any shape.

    Raises
    ------
    BackendError
        When JAX is not installed.
    """
    from pytensor.graph.fg import FunctionGraph
    from pytensor.link.jax.dispatch import jax_funcify

    check_backend("jax")
    for kernel in (ais_math, fused_frame, fused_mixture):
        kernel.register_backends("jax")
    import jax

    fgraph = FunctionGraph(list(inputs), list(outputs), clone=True)
    # constants become JAX arrays as the graph converts: concrete ones, also when converted inside a trace
    with package_settings(), jax_reductions_in_node_dtype(), jax.ensure_compile_time_eval():
        get_mode("JAX").optimizer.rewrite(fgraph)
        return jax_funcify(fgraph)


def backend_mode(backend: str, optimizer: str = "fast_run") -> Mode:
    """The PyTensor compilation mode of ``backend``."""
    check_backend(backend)
    if backend == "c":  # cvm_nogc (buffers kept between calls), its missing C modules built in parallel
        return Mode(linker=ParallelCVMLinker(allow_gc=False, use_cloop=True), optimizer=optimizer)
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
    fastmath: bool = False,
) -> pytensor.compile.function.types.Function:
    """``pytensor.function`` with the mode of ``backend``.

    ``fastmath`` (Numba only) lets LLVM reassociate and vectorise floating-point arithmetic: faster, but
    results then agree with the C backend to about 1e-7 rather than to rounding, so it is off by default.
    The settings (this and :func:`package_flags`) apply to this compilation only
    (:func:`package_settings`).

    Raises
    ------
    BackendError
        When the backend is missing or cannot compile the graph; the message names backend ``c``.
    """
    mode = backend_mode(backend, optimizer)
    for kernel in (ais_math, fused_frame, fused_mixture):  # the package's own Ops
        kernel.register_backends(backend)
    if backend == "numba":
        logger.warning(
            "backend numba: the first call JIT-compiles the graph, a minute or more for scan gradients"
        )
    extra = {"numba__fastmath": bool(fastmath)} if backend == "numba" else {}
    scope = jax_reductions_in_node_dtype() if backend == "jax" else contextlib.nullcontext()
    try:
        with package_settings(**extra), scope:
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
