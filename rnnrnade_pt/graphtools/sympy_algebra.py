"""The SymPy side of the gradient proofs: SymPy itself, real symbols for a graph's inputs, exact constants,
and the proof that two arrays of expressions are equal.

:func:`symbols_for` gives an input's array of real symbols; :func:`sympy_constant` turns a float constant of
a graph into an exact SymPy number where one is known (integers, dyadic fractions, the Gaussian normalisers
``log(2 pi)``, ``0.5 log(2 pi)``, ``sqrt(2 pi)``), else into a ``Float`` (recorded in
:data:`inexact_constants`: it makes a proof approximate). :func:`arrays_equal` proves two arrays equal entry
by entry (:func:`is_identically_zero` of each difference), after a quick numerical search for a disproof.
:mod:`.sympy_bridge` translates PyTensor graphs into such arrays.

References
----------
.. [1] A. Meurer et al. "SymPy: symbolic computing in Python." PeerJ Computer Science 3:e103, 2017.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..errors import ConfigError

__all__ = [
    "SYMPY_HINT",
    "require_sympy",
    "sympy_constant",
    "inexact_constants",
    "as_sympy",
    "symbols_for",
    "is_identically_zero",
    "arrays_equal",
]

SYMPY_HINT = "pip install 'rnnrnade-pt[graph]' (or the dev extra)"


def require_sympy():
    """The :mod:`sympy` module, or :class:`~rnnrnade_pt.errors.ConfigError` naming the extra to install."""
    try:
        import sympy
    except ImportError:
        raise ConfigError(f"the algebraic gradient proofs need SymPy: {SYMPY_HINT}") from None
    return sympy


# -- constants and symbols -------------------------------------------------------------------------------


def _known_constants(sp) -> dict[float, object]:
    two_pi = 2 * sp.pi
    log_2pi = float(np.log(2.0 * np.pi))
    sqrt_2pi = float(np.sqrt(2.0 * np.pi))
    table = {
        float(np.pi): sp.pi,
        float(2.0 * np.pi): two_pi,
        log_2pi: sp.log(two_pi),
        0.5 * log_2pi: sp.log(two_pi) / 2,
        float(0.5 * np.log(2.0 * np.pi)): sp.log(two_pi) / 2,
        sqrt_2pi: sp.sqrt(two_pi),
        1.0 / sqrt_2pi: 1 / sp.sqrt(two_pi),
    }
    table.update({-k: -v for k, v in list(table.items())})
    return table


inexact_constants: list[float] = []
"""Every float constant that :func:`sympy_constant` could not make exact, in order (a proof with one is
approximate)."""


def sympy_constant(value):
    """An exact SymPy number for a float constant of a graph where one is known, else a ``Float``.

    Integers and dyadic fractions with denominators up to 2**20 (0.5, 0.25, ...) are exact in binary, so they
    become ``Integer``/``Rational``; the Gaussian normalisers ``log(2 pi)``, ``log(2 pi)/2``, ``sqrt(2 pi)``
    (and their negatives and reciprocal) are matched bit for bit.
    """
    sp = require_sympy()
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, (bool, np.bool_)):
        return sp.Integer(int(value))
    if isinstance(value, (int, np.integer)):
        return sp.Integer(int(value))
    v = float(value)
    if not math.isfinite(v):
        return sp.oo if v > 0 else (-sp.oo if v < 0 else sp.nan)
    if v == int(v):
        return sp.Integer(int(v))
    frac = Fraction(v)
    if frac.denominator <= 2**20:
        return sp.Rational(frac.numerator, frac.denominator)
    known = _known_constants(sp).get(v)
    if known is not None:
        return known
    inexact_constants.append(v)
    return sp.Float(v, 17)


def as_sympy(e):
    """A SymPy number or expression for one array element."""
    sp = require_sympy()
    if isinstance(e, sp.Basic):
        return e
    if isinstance(e, (bool, np.bool_, int, np.integer, float, np.floating)):
        return sympy_constant(e)
    return sp.sympify(e)


def symbols_for(var, name: str | None = None) -> np.ndarray:
    """An object array of real SymPy symbols with ``var``'s static shape, named ``name[i,j]``.

    Raises
    ------
    ValueError
        When ``var`` has a dimension of unknown length.
    """
    sp = require_sympy()
    shape = var.type.shape
    if any(s is None for s in shape):
        raise ValueError(f"symbols_for needs a static shape; {var} has shape {shape}")
    base = name or var.name or "v"
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        label = base if not idx else f"{base}[{','.join(map(str, idx))}]"
        out[idx] = sp.Symbol(label, real=True)
    return out


# -- equality ---------------------------------------------------------------------------------------------


def _differs_somewhere(a, b, points: int = 3, digits: int = 40) -> str:
    """Evaluate ``a`` and ``b`` at random rational points with ``digits`` digits; the first point where they
    differ by far more than the precision (a disproof), or ``""``."""
    sp = require_sympy()
    free = sorted((a - b).free_symbols, key=lambda s: s.name)
    rng = np.random.default_rng(0)
    for _ in range(points):
        subs = {s: sp.Rational(int(rng.integers(-12, 13)), 8) for s in free}
        try:
            va, vb = sp.N(a.subs(subs), digits), sp.N(b.subs(subs), digits)
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if not (va.is_number and vb.is_number and va.is_finite and vb.is_finite):
            continue
        if abs(va - vb) > sp.Float(10.0 ** (-digits // 2), digits) * max(1, abs(va), abs(vb)):
            return f"{float(va):.6g} vs {float(vb):.6g} at " + ", ".join(
                f"{k}={v}" for k, v in list(subs.items())[:6]
            )
    return ""


def is_identically_zero(expr) -> bool:
    """Whether a SymPy expression is identically 0: cheap canonical forms first, then ``simplify``."""
    sp = require_sympy()
    expr = sp.sympify(expr)
    if expr == 0:
        return True
    if sp.expand(expr) == 0:
        return True
    return sp.simplify(expr) == 0


def arrays_equal(a: np.ndarray, b: np.ndarray) -> tuple[bool, str]:
    """Elementwise SymPy proof that two translated arrays are equal: ``simplify(a - b) == 0`` everywhere.

    A difference is first evaluated at random rational points (40 digits): a clear non-zero value disproves
    equality at once, without ``simplify`` (which can take very long on an expression that is not 0).

    Returns
    -------
    ok : bool
    detail : str
        Empty when equal, else the first index where the two differ, and how.
    """
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    if a.shape != b.shape:
        return False, f"shapes differ: {a.shape} vs {b.shape}"
    for idx in np.ndindex(*a.shape):
        x, y = as_sympy(a[idx]), as_sympy(b[idx])
        if x == y:
            continue
        where = _differs_somewhere(x, y)
        if where:
            return False, f"at {idx}: {where}"
        if not is_identically_zero(x - y):
            return False, f"at {idx}: a - b does not simplify to 0: {str(x - y)[:200]}"
    return True, ""
