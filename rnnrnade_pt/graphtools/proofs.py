"""Formula-by-formula proofs that what :func:`pytensor.grad` builds equals the supplement's gradients.

Each formula of the supplement (and the backpropagation through time it leaves implicit) is stated on the
smallest piece of the model it concerns, built from this package's own functions (``ops.mixture_logpdf``,
``rnade.accumulators``, ``rnn.frame_biases``, ``rnn.rnn_states``), at small fixed sizes. For each one,
three graphs of the same quantity are compared:

* ``autodiff``: :func:`pytensor.grad` of the piece's log-density;
* ``formula``: the supplement's expression written out as a graph. Where the formula is a chain rule
  through a layer (``dV = h (x) dz``, ``db = dz``, ...) it reuses ``pytensor.grad``'s own node for the
  upstream gradient ``dz``, as the supplement does;
* ``explicit``: where the package's explicit gradient computes the quantity in a function of its own
  (``rnade_grads.rnade_explicit_grads``' ``dz``, ``rnade_grads.input_weight_grads``,
  ``rnn.rnn_explicit_backward``), that code.

The methods, strongest first:

1. **structural**: ``equal_computations`` after ``rewrite_graph(..., include=("canonicalize", "stabilize",
   "specialize"))`` (or before any rewrite), up to the order of the terms of a sum (:class:`Addends`);
2. **SymPy**: both graphs translated to SymPy (:mod:`.sympy_bridge`) and ``simplify(a - b) == 0`` for
   every entry, with every input a free real symbol. Gradients through a linear map (the accumulator, the
   RNN's backward pass) are taken of ``sum(G * output)`` with a free symbolic ``G``: backpropagation is
   linear in the incoming gradient, so equality for a symbolic ``G`` is equality for every upstream
   gradient;
3. **numerical**: the compiled graphs (backend ``c``, float64) on random inputs; always run, and the only
   evidence where the first two cannot decide.

:func:`prove_case` runs the methods on one :class:`Case`; the cases themselves, and :func:`prove_formulas`
which runs them all, are in :mod:`.proof_cases`; :mod:`.report` turns the results into
``graphs/gradients.md``.

References
----------
.. [1] Supplementary Material for the RNN-RNADE model, "Gradients for the RNADE" and section 2.
.. [2] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
.. [3] P. J. Werbos. "Backpropagation through time: what it does and how to do it." Proc. IEEE 78(10), 1990.
"""

from __future__ import annotations

import functools
import itertools
import logging
import operator
from typing import NamedTuple

import numpy as np

from ..compat import require_proof_support

__all__ = [
    "STRUCTURAL",
    "SYMPY",
    "NUMERICAL",
    "NOT_PROVED",
    "REWRITES",
    "Addends",
    "Row",
    "Case",
    "FormulaProof",
    "structurally_equal",
    "sympy_equal",
    "prove_case",
]

logger = logging.getLogger(__name__)

STRUCTURAL = "structural"
SYMPY = "SymPy"
NUMERICAL = "numerical only"
NOT_PROVED = "NOT EQUAL"

REWRITES = ("canonicalize", "stabilize", "specialize")

NUMERIC_TOL = 1e-10
"""Largest relative difference accepted as numerical agreement (float64 round-off is ~1e-16)."""


class Addends(tuple):
    """The terms of a sum, which the structural check may add in any order."""

    def total(self):
        return functools.reduce(operator.add, self)


class Row(NamedTuple):
    """One formula: three graphs of the same gradient."""

    key: str
    gradient: str  # what is differentiated, e.g. "∂log p/∂z^α_d"
    supplement: str  # the supplement's expression
    autodiff: object  # pytensor.grad's graph
    formula: object  # the expression written out (a Variable or Addends)
    explicit: object | None = None  # the package's explicit-gradient code, where it is a function of its own
    explicit_source: str = ""


class Case(NamedTuple):
    """A piece of the model and the formulas stated on it."""

    name: str
    model: str  # "RNADE" or "RNN-RNADE"
    description: str
    inputs: list  # free inputs, static shapes, float64
    fixed: dict  # input -> value held fixed in every method (a mask)
    rows: list
    structural: bool = True  # False where a scan's gradient makes rewriting pointless


class FormulaProof(NamedTuple):
    """The outcome for one formula."""

    key: str
    model: str
    case: str
    gradient: str
    supplement: str
    method: str  # STRUCTURAL, SYMPY, NUMERICAL or NOT_PROVED: how autodiff = formula was established
    explicit_method: str  # the same for the package's explicit code ("" when not a function of its own)
    explicit_source: str
    max_abs: float  # largest |autodiff - formula| and |autodiff - explicit| on random inputs
    max_rel: float
    detail: str  # why a method failed, when one did

    @property
    def proved(self) -> bool:
        ok = self.method in (STRUCTURAL, SYMPY) or (self.method == NUMERICAL and self.max_rel <= NUMERIC_TOL)
        return ok and self.explicit_method != NOT_PROVED


# -- the methods ---------------------------------------------------------------------------------------------


def _value(f):
    return f.total() if isinstance(f, Addends) else f


def structurally_equal(a, b) -> bool:
    """Whether two graphs are the same computation, before or after the canonical rewrites.

    ``b`` may be :class:`Addends`: then every order of its terms is tried. The rewrites work on clones
    (``rewrite_graph`` rewrites in place by default, which would change the graphs being compared).
    """
    from pytensor.graph.basic import equal_computations
    from pytensor.graph.rewriting.utils import rewrite_graph

    require_proof_support("the structural check of the gradient proofs")

    candidates = (
        [b] if not isinstance(b, Addends) else [Addends(p).total() for p in itertools.permutations(b)]
    )
    ra = None
    for cand in candidates:
        if equal_computations([a], [cand]):
            return True
        if ra is None:
            ra = rewrite_graph([a], include=REWRITES, clone=True)
        if equal_computations(ra, rewrite_graph([cand], include=REWRITES, clone=True)):
            return True
    return False


def _symbol_values(case: Case) -> dict:
    from .sympy_algebra import symbols_for

    values = {v: symbols_for(v) for v in case.inputs if v not in case.fixed}
    values.update({v: np.asarray(x, dtype=np.float64) for v, x in case.fixed.items()})
    return values


def sympy_equal(case: Case, pairs: list[tuple]) -> list[tuple[bool | None, str]]:
    """SymPy proofs for ``(a, b)`` pairs of one case: ``(True, "")``, ``(False, where)`` or ``(None, why)``
    when the graph holds an operation the translation does not cover."""
    from .sympy_algebra import arrays_equal
    from .sympy_bridge import UnsupportedOpError, to_sympy

    values = _symbol_values(case)
    try:
        translated = to_sympy([x for pair in pairs for x in pair], values)
    except UnsupportedOpError as e:
        return [(None, str(e))] * len(pairs)
    out = []
    for i in range(len(pairs)):
        ok, detail = arrays_equal(translated[2 * i], translated[2 * i + 1])
        out.append((ok, detail))
    return out


def _numeric_diffs(case: Case, draws: int, seed: int) -> list[tuple[float, float]]:
    """Largest absolute and relative difference autodiff vs formula/explicit per row, on random inputs."""
    from ..backend import compile_function

    outputs = []
    for r in case.rows:
        outputs += [r.autodiff, _value(r.formula)] + ([r.explicit] if r.explicit is not None else [])
    fn = compile_function(case.inputs, outputs, backend="c", name=f"proof_{case.name}")
    rng = np.random.default_rng(seed)
    worst = [(0.0, 0.0)] * len(case.rows)
    for _ in range(draws):
        feed = [
            np.asarray(case.fixed[v], dtype=v.dtype) if v in case.fixed else rng.standard_normal(v.type.shape)
            for v in case.inputs
        ]
        vals = [np.asarray(o) for o in fn(*feed)]
        i = 0
        for k, r in enumerate(case.rows):
            auto = vals[i]
            others = vals[i + 1 : i + 2 + (r.explicit is not None)]
            i += 2 + (r.explicit is not None)
            scale = max(float(np.max(np.abs(auto))) if auto.size else 0.0, 1e-300)
            d = max(float(np.max(np.abs(auto - o))) if auto.size else 0.0 for o in others)
            worst[k] = (max(worst[k][0], d), max(worst[k][1], d / scale))
    return worst


def prove_case(case: Case, sympy: bool = True, draws: int = 2, seed: int = 0) -> list[FormulaProof]:
    """Run the methods on every formula of a case (structural first, SymPy where that fails, numerics always).

    Parameters
    ----------
    sympy : bool
        Try SymPy where the structural check fails (needs SymPy installed).
    draws : int
        Random input draws of the numerical comparison.
    """
    methods = {}
    details: dict[str, list[str]] = {r.key: [] for r in case.rows}
    todo, todo_explicit = [], []
    for r in case.rows:
        if case.structural and structurally_equal(r.autodiff, r.formula):
            methods[(r.key, "formula")] = STRUCTURAL
        else:
            todo.append(r)
        if r.explicit is not None:
            if case.structural and structurally_equal(r.autodiff, r.explicit):
                methods[(r.key, "explicit")] = STRUCTURAL
            else:
                todo_explicit.append(r)
    if sympy and (todo or todo_explicit):
        pairs = [(r.autodiff, _value(r.formula)) for r in todo] + [
            (r.autodiff, r.explicit) for r in todo_explicit
        ]
        results = sympy_equal(case, pairs)
        tags = [(r.key, "formula") for r in todo] + [(r.key, "explicit") for r in todo_explicit]
        for tag, (ok, detail) in zip(tags, results, strict=True):
            if ok:
                methods[tag] = SYMPY
            elif ok is False:
                methods[tag] = NOT_PROVED
                details[tag[0]].append(f"{tag[1]}: SymPy: {detail}")
            else:
                details[tag[0]].append(f"{tag[1]}: {detail}")
    numeric = _numeric_diffs(case, draws, seed)
    out = []
    for r, (max_abs, max_rel) in zip(case.rows, numeric, strict=True):
        method = methods.get((r.key, "formula"), NUMERICAL)
        explicit = methods.get((r.key, "explicit"), NUMERICAL) if r.explicit is not None else ""
        if max_rel > NUMERIC_TOL:
            details[r.key].append(f"numerical difference {max_rel:.1e} (relative)")
            method = NOT_PROVED if method == NUMERICAL else method
        out.append(
            FormulaProof(
                r.key,
                case.model,
                case.name,
                r.gradient,
                r.supplement,
                method,
                explicit,
                r.explicit_source,
                max_abs,
                max_rel,
                "; ".join(details[r.key]),
            )
        )
    return out


# -- the cases ------------------------------------------------------------------------------------------
