"""What differs between the PyTensor versions this package supports, in one place.

The package is developed with PyTensor 3.0.7, and its ``graphs/`` snapshots are made with it (the snapshot
test says so, and skips, under another version). It also runs on the 2.38 series, the one PyMC 5.28
requires, so that a trained density can be a PyMC prior (:mod:`rnnrnade_pt.pymc`); ``setup.py`` allows both.
Every difference the package meets is handled here, nowhere else:

- a random variable's next generator: PyTensor 3 returns it with ``return_next_rng=True`` (and warns
  without it); 2.38 has no such argument and the generator is the first output of the draw's node
  (:func:`draw`);
- an Op's gradient: PyTensor 3 calls ``pullback``, 2.38 ``L_op`` (:class:`PullbackOp` gives the package's
  Ops the second where it is needed);
- ``pt.isfinite`` is new in PyTensor 3 (:func:`isfinite`);
- ``debugprint``'s ``print_inner_graphs`` is new in PyTensor 3 (:data:`DPRINT_INNER_GRAPHS`; 2.38 prints
  a scan's inner graph always);
- the gradient proofs of :mod:`rnnrnade_pt.graphtools` (structural equality after PyTensor's canonical
  rewrites, and the SymPy translation, which steps a ``Scan`` by its internals) follow PyTensor 3's rewrites
  and ``Scan``: under 2.38 they refuse in one line (:func:`require_proof_support`), as the snapshots of
  ``graphs/`` say under which version they were made.

Everything else the package's models, training and sampling use (``scan(..., return_updates=False)``, shared
generators made with ``pytensor.shared(np.random.default_rng(seed))``, the C, Numba and JAX linkers) is the
same in both; ``tests/test_compat.py`` and ``scripts/test_pymc.sh`` check this under 2.38.
"""

from __future__ import annotations

import inspect

import pytensor.tensor as pt
from pytensor.graph.op import Op
from pytensor.printing import debugprint
from pytensor.tensor.random.op import RandomVariable

__all__ = [
    "draw",
    "PullbackOp",
    "isfinite",
    "DPRINT_INNER_GRAPHS",
    "PROOFS_SUPPORTED",
    "require_proof_support",
]

_RETURNS_NEXT_RNG = "return_next_rng" in inspect.signature(RandomVariable.__call__).parameters
_HAS_PULLBACK = hasattr(Op, "pullback")
PROOFS_SUPPORTED = _HAS_PULLBACK  # PyTensor 3: the rewrites and Scan the gradient proofs follow
DPRINT_INNER_GRAPHS = (
    {"print_inner_graphs": True} if "print_inner_graphs" in inspect.signature(debugprint).parameters else {}
)
"""The keyword that makes ``debugprint`` print scans' inner graphs, where it exists."""


class PullbackOp:
    """Mixin (before the Op class) for an Op that implements ``pullback``: under PyTensor 2.38, whose
    ``pytensor.grad`` calls ``L_op``, ``L_op`` calls it."""

    if not _HAS_PULLBACK:

        def L_op(self, inputs, outputs, output_grads):
            return self.pullback(inputs, outputs, output_grads)


def isfinite(x):
    """Elementwise: neither NaN nor infinite (``pt.isfinite`` where PyTensor has it)."""
    if hasattr(pt, "isfinite"):
        return pt.isfinite(x)
    return ~(pt.isnan(x) | pt.isinf(x))


def draw(dist, *params, rng, size):
    """One draw of the random variable ``dist`` (``pt.random.uniform``, ``normal``, ...) from ``rng``.

    Returns
    -------
    next_rng, value : TensorVariable
        The generator after the draw, and the draw.

    >>> import numpy as np, pytensor, pytensor.tensor as pt
    >>> rng = pytensor.shared(np.random.default_rng(0))
    >>> next_rng, u = draw(pt.random.uniform, 0.0, 1.0, rng=rng, size=(2,))
    >>> u.eval().shape
    (2,)
    """
    if _RETURNS_NEXT_RNG:
        return dist(*params, size=size, rng=rng, return_next_rng=True)
    value = dist(*params, size=size, rng=rng)
    return value.owner.outputs[0], value


def require_proof_support(what: str) -> None:
    """Raise :class:`~rnnrnade_pt.errors.ConfigError` where the gradient proofs' machinery does not hold (a
    PyTensor before 3.0, whose canonical rewrites and ``Scan`` internals differ)."""
    if not PROOFS_SUPPORTED:
        import pytensor

        from .errors import ConfigError

        raise ConfigError(
            f"{what} follows PyTensor 3.0's rewrites and Scan; this is PyTensor {pytensor.__version__} "
            "(the models, training and sampling run on it; the gradient proofs do not)"
        )
