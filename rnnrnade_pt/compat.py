"""What differs between the PyTensor versions this package supports, in one place.

The package is developed with PyTensor 3.0.7, and its ``graphs/`` snapshots are made with it (the snapshot
test says so, and skips, under another version). It also runs on the 2.38 series, the one PyMC 5.28
requires, so that a trained density can be a PyMC prior (:mod:`rnnrnade_pt.pymc`); ``setup.py`` allows both.
Every difference the package meets is handled here, nowhere else:

- a random variable's next generator: PyTensor 3 returns it with ``return_next_rng=True`` (and warns
  without it); 2.38 has no such argument and the generator is the first output of the draw's node
  (:func:`draw`).

Everything else the package uses (``scan(..., return_updates=False)``, shared generators made with
``pytensor.shared(np.random.default_rng(seed))``, the C, Numba and JAX linkers) is the same in both.
"""

from __future__ import annotations

import inspect

from pytensor.tensor.random.op import RandomVariable

__all__ = ["draw"]

_RETURNS_NEXT_RNG = "return_next_rng" in inspect.signature(RandomVariable.__call__).parameters


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
