"""Translate a PyTensor graph into SymPy expressions, so that two graphs can be proven equal algebraically.

:func:`to_sympy` evaluates a graph with every floating-point input replaced by an array of real SymPy symbols
(:func:`~.sympy_algebra.symbols_for`) and every integer input (shapes, a mask) by concrete numbers. Each float
value of the graph becomes a NumPy ``object`` array of SymPy expressions, each integer value an ordinary
integer array, so shapes, indices and loop lengths stay concrete while the arithmetic stays symbolic. The
translation covers the operations that occur in this package's graphs and in what :func:`pytensor.grad`
builds from them:

* ``Elemwise`` of ``add``, ``sub``, ``mul``, ``true_div``, ``neg``, ``exp``, ``log``, ``pow``, ``sqr``,
  ``sqrt``, ``sigmoid``, ``softplus``, ``tanh``, comparisons, ``switch``, ``maximum``, ``minimum``,
  ``second`` (fill), ``cast`` and ``Composite`` (their scalar graph, recursively);
* reductions (``Sum``, ``Prod``, ``Max``, ``Min``), ``Dot``, ``Matmul``;
* structural operations: ``DimShuffle``, ``Reshape``, ``Join``, ``Split``, ``Alloc``, ``AllocEmpty``,
  ``MakeVector``, ``Shape``, ``Shape_i``, ``SpecifyShape``, ``(Inc)Subtensor`` and its advanced forms;
* ``Scan`` (sequences, sit-sot, mit-sot, mit-mot and nit-sot outputs, non-sequences), stepped in Python over
  the concrete number of steps, so that a gradient through a scan is translated too.

``logsumexp`` is ``log(sum(exp(.)))`` in the uncompiled graph, so a log-softmax over K components expands to
K explicit terms. Float constants become exact SymPy numbers where they are integers, dyadic fractions or
one of the Gaussian normalisers (``log(2 pi)``, ``0.5 log(2 pi)``, ``sqrt(2 pi)``); anything else stays a
``Float`` and makes the proof approximate (:func:`to_sympy` logs a warning).

An operation outside this list raises :class:`UnsupportedOpError`, naming it. The symbols, the exact
constants and the proof of equality are in :mod:`.sympy_algebra`.

References
----------
.. [1] PyTensor documentation, "Scan" (inner-graph layout: sequences, mit-mot, mit-sot, sit-sot, nit-sot).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np

from ..compat import require_proof_support
from .sympy_algebra import as_sympy, inexact_constants, require_sympy

__all__ = ["UnsupportedOpError", "to_sympy"]

logger = logging.getLogger(__name__)


class UnsupportedOpError(NotImplementedError):
    """The graph holds an operation the SymPy translation does not know."""


# -- elementwise arithmetic --------------------------------------------------------------------------------


def _truth(c):
    """True/False when a condition is decided, None when it stays symbolic."""
    sp = require_sympy()
    if isinstance(c, (bool, np.bool_)):
        return bool(c)
    if isinstance(c, (int, np.integer)):
        return c != 0
    if c is sp.true or c == sp.true:
        return True
    if c is sp.false or c == sp.false:
        return False
    if isinstance(c, sp.Number):
        return c != 0
    return None


def _switch(c, a, b):
    sp = require_sympy()
    t = _truth(c)
    if t is True:
        return a
    if t is False:
        return b
    return sp.Piecewise((a, c), (b, True))


def _scalar_fn(sop):
    """The SymPy function of a PyTensor scalar op."""
    sp = require_sympy()
    name = type(sop).__name__
    unary = {
        "Neg": lambda a: -a,
        "Exp": sp.exp,
        "Exp2": lambda a: 2**a,
        "Log": sp.log,
        "Log2": lambda a: sp.log(a, 2),
        "Log10": lambda a: sp.log(a, 10),
        "Log1p": lambda a: sp.log(1 + a),
        "Expm1": lambda a: sp.exp(a) - 1,
        "Sqr": lambda a: a**2,
        "Sqrt": sp.sqrt,
        "Reciprocal": lambda a: 1 / a,
        "Sigmoid": lambda a: 1 / (1 + sp.exp(-a)),
        "Softplus": lambda a: sp.log(1 + sp.exp(a)),
        "Tanh": sp.tanh,
        "Abs": sp.Abs,
        "Sign": sp.sign,
        "Identity": lambda a: a,
        "Cast": lambda a: a,
        "Invert": lambda a: not _truth(a),
        "IsNan": lambda a: a is sp.nan,
        "IsInf": lambda a: a in (sp.oo, -sp.oo),
    }
    binary = {
        "Sub": lambda a, b: a - b,
        "TrueDiv": lambda a, b: a / b,
        "IntDiv": lambda a, b: a // b,
        "Mod": lambda a, b: a % b,
        "Pow": lambda a, b: a**b,
        "Second": lambda a, b: b,
        "GT": lambda a, b: sp.sympify(a) > b,
        "GE": lambda a, b: sp.sympify(a) >= b,
        "LT": lambda a, b: sp.sympify(a) < b,
        "LE": lambda a, b: sp.sympify(a) <= b,
        "EQ": lambda a, b: sp.Eq(a, b),
        "NEQ": lambda a, b: sp.Ne(a, b),
        "Maximum": sp.Max,
        "Minimum": sp.Min,
    }
    if name in unary:
        return unary[name]
    if name in binary:
        return binary[name]
    if name == "Add":
        return lambda *xs: sp.Add(*xs)
    if name == "Mul":
        return lambda *xs: sp.Mul(*xs)
    if name in ("AND", "OR"):
        return (
            (lambda *xs: all(_truth(x) for x in xs))
            if name == "AND"
            else (lambda *xs: any(_truth(x) for x in xs))
        )
    if name == "Switch":
        return _switch
    if name == "Composite":
        return _composite_fn(sop)
    raise UnsupportedOpError(f"SymPy translation: scalar op {name} ({sop}) is not supported")


def _composite_fn(sop):
    def run(*args):
        values = {
            v: np.asarray(as_sympy(a), dtype=object) for v, a in zip(sop.fgraph.inputs, args, strict=True)
        }
        outs = _evaluate(sop.fgraph.outputs, values)
        return outs[0][()]

    return run


def _as_value(var, value) -> np.ndarray:
    """Coerce a result to the representation of ``var``'s dtype (object array of SymPy, or integers)."""
    arr = value if isinstance(value, np.ndarray) else np.asarray(value, dtype=object)
    dtype = str(var.type.dtype) if hasattr(var.type, "dtype") else "object"
    if dtype.startswith(("float", "complex")):
        out = np.empty(arr.shape, dtype=object)
        for idx in np.ndindex(*arr.shape):
            out[idx] = as_sympy(arr[idx])
        return out
    if dtype.startswith(("int", "uint", "bool")):
        try:
            out = np.empty(arr.shape, dtype=dtype)
            for idx in np.ndindex(*arr.shape):
                e = arr[idx]
                t = _truth(e) if dtype == "bool" else None
                out[idx] = t if t is not None else int(e)
            return out
        except (TypeError, ValueError):
            return arr.astype(object)  # symbolic comparison: keep it
    return arr


def _elemwise(fn, inputs: Sequence[np.ndarray]) -> np.ndarray:
    arrays = np.broadcast_arrays(*[np.asarray(x, dtype=object) for x in inputs])
    out = np.empty(arrays[0].shape, dtype=object)
    for idx in np.ndindex(*out.shape):
        out[idx] = fn(*(as_sympy(a[idx]) if a.dtype == object else a[idx] for a in arrays))
    return out


def _reduce(sop, x: np.ndarray, axis) -> np.ndarray:
    sp = require_sympy()
    name = type(sop).__name__
    axes = tuple(range(x.ndim)) if axis is None else tuple(a % x.ndim for a in axis)
    x = np.asarray(x, dtype=object)
    if name == "Add":
        return np.asarray(np.sum(x, axis=axes), dtype=object)
    if name == "Mul":
        return np.asarray(np.prod(x, axis=axes), dtype=object)
    funcs = {"Maximum": sp.Max, "Minimum": sp.Min}
    if name not in funcs:
        raise UnsupportedOpError(f"SymPy translation: reduction with {name} is not supported")
    ufunc = np.frompyfunc(funcs[name], 2, 1)
    for a in sorted(axes, reverse=True):
        x = ufunc.reduce(x, axis=a)
    return np.asarray(x, dtype=object)


# -- scan -------------------------------------------------------------------------------------------------


def _put(buf: np.ndarray, index: int, value) -> None:
    value = np.asarray(value, dtype=object)
    if value.ndim == 0:
        buf[index] = value[()]
    else:
        buf[index][...] = value


def _scan(node, inputs: list) -> list[np.ndarray]:
    """Step a ``Scan`` in Python, mirroring ``Scan.perform`` without its in-place buffer reuse."""
    op = node.op
    info = op.info
    if info.as_while:
        raise UnsupportedOpError("SymPy translation: while-scans are not supported")
    n_steps = int(inputs[0])
    n_tap = op.n_tap_outs
    seqs = inputs[1 : op.seqs_arg_offset]
    bufs = [np.array(inputs[op.seqs_arg_offset + k], dtype=object, copy=True) for k in range(n_tap)]
    untraced = list(
        inputs[op.untraced_sit_sot_arg_offset : op.untraced_sit_sot_arg_offset + info.n_untraced_sit_sot]
    )
    nit_sizes = [int(s) for s in inputs[op.nit_sot_arg_offset : op.nit_sot_arg_offset + info.n_nit_sot]]
    non_seqs = inputs[op.nit_sot_arg_offset + info.n_nit_sot :]
    store = [b.shape[0] for b in bufs] + nit_sizes
    bufs += [None] * info.n_nit_sot
    pos = [(-op.mintaps[k]) % store[k] if store[k] else 0 for k in range(n_tap + info.n_nit_sot)]
    taps = list(info.mit_mot_in_slices) + list(info.mit_sot_in_slices) + list(info.sit_sot_in_slices)
    inner_in, inner_out = op.inner_inputs, op.inner_outputs
    for i in range(n_steps):
        values = [s[i] for s in seqs]
        for k, ts in enumerate(taps):
            values += [bufs[k][(pos[k] + t) % store[k]] for t in ts]
        values += untraced
        values += list(non_seqs)
        feed = {v: _as_value(v, np.asarray(x, dtype=object)) for v, x in zip(inner_in, values, strict=True)}
        outs = _evaluate(inner_out, feed)
        o = 0
        for grp, out_slices in enumerate(info.mit_mot_out_slices):
            for s in out_slices:
                _put(bufs[grp], s + pos[grp], outs[o])
                o += 1
        for k in range(info.n_mit_mot, n_tap):
            _put(bufs[k], pos[k], outs[o])
            o += 1
        for k in range(n_tap, n_tap + info.n_nit_sot):
            if i == 0:
                bufs[k] = np.empty((store[k], *np.shape(outs[o])), dtype=object)
            _put(bufs[k], pos[k], outs[o])
            o += 1
        untraced = outs[o : o + info.n_untraced_sit_sot]
        pos = [(p + 1) % s if s else 0 for p, s in zip(pos, store, strict=True)]
    for k in range(info.n_mit_mot, n_tap + info.n_nit_sot):
        if bufs[k] is None:
            bufs[k] = np.empty((0,), dtype=object)
            continue
        if store[k] < n_steps - op.mintaps[k] and pos[k] < store[k]:
            bufs[k] = np.concatenate([bufs[k][pos[k] :], bufs[k][: pos[k]]], axis=0)
    return bufs + list(untraced)


# -- graph evaluation -------------------------------------------------------------------------------------


def _apply(node, inputs: list) -> list:
    """Outputs of one node on translated inputs."""
    from pytensor.scalar.basic import ScalarOp
    from pytensor.scan.op import Scan
    from pytensor.tensor.basic import Alloc, AllocEmpty, Join, MakeVector
    from pytensor.tensor.blockwise import Blockwise
    from pytensor.tensor.elemwise import CAReduce, Elemwise
    from pytensor.tensor.math import Dot

    op = node.op
    name = type(op).__name__
    if isinstance(op, Elemwise):
        if len(node.outputs) != 1:
            raise UnsupportedOpError(f"SymPy translation: multi-output Elemwise {op} is not supported")
        return [_elemwise(_scalar_fn(op.scalar_op), inputs)]
    if isinstance(op, ScalarOp):
        return [_elemwise(_scalar_fn(op), inputs)]
    if isinstance(op, CAReduce):
        return [_reduce(op.scalar_op, inputs[0], op.axis)]
    if isinstance(op, Dot):
        return [np.asarray(np.dot(np.asarray(inputs[0], dtype=object), np.asarray(inputs[1], dtype=object)))]
    if isinstance(op, Blockwise) and isinstance(op.core_op, Dot):
        return [
            np.asarray(np.matmul(np.asarray(inputs[0], dtype=object), np.asarray(inputs[1], dtype=object)))
        ]
    if isinstance(op, Scan):
        return _scan(node, inputs)
    if isinstance(op, Join):
        axis = int(inputs[0])
        return [np.concatenate([np.asarray(x, dtype=object) for x in inputs[1:]], axis=axis)]
    if isinstance(op, Alloc):
        shape = tuple(int(s) for s in inputs[1:])
        return [np.array(np.broadcast_to(np.asarray(inputs[0], dtype=object), shape), dtype=object)]
    if isinstance(op, AllocEmpty):
        shape = tuple(int(s) for s in inputs)
        return [np.zeros(shape, dtype=object)]  # undefined in PyTensor; scan overwrites every read entry
    if isinstance(op, MakeVector):
        return [np.array([np.asarray(x)[()] for x in inputs], dtype=object)]
    if name in (
        "ScalarFromTensor",
        "TensorFromScalar",
        "SpecifyShape",
        "ViewOp",
        "DeepCopyOp",
        "OutputGuard",
    ):
        return [inputs[0]]
    if name in ("CheckAndRaise", "Assert"):
        return [inputs[0]]
    if name in _PERFORMED:
        storage = [[None] for _ in node.outputs]
        op.perform(node, [np.asarray(x) for x in inputs], storage)
        return [s[0] for s in storage]
    raise UnsupportedOpError(f"SymPy translation: operation {name} ({op}) is not supported")


# structural operations whose NumPy ``perform`` works unchanged on object arrays
_PERFORMED = {
    "DimShuffle",
    "Reshape",
    "Shape",
    "Shape_i",
    "Split",
    "Subtensor",
    "IncSubtensor",
    "AdvancedSubtensor1",
    "AdvancedIncSubtensor1",
    "AdvancedSubtensor",
    "AdvancedIncSubtensor",
    "ExtractDiag",
    "ARange",
}


def _constant_value(var) -> np.ndarray:
    return _as_value(
        var, np.asarray(var.data, dtype=object) if str(var.dtype).startswith("float") else var.data
    )


def _evaluate(outputs: Sequence, values: Mapping) -> list[np.ndarray]:
    from pytensor.graph.basic import Constant
    from pytensor.graph.traversal import io_toposort

    memo = dict(values)

    def get(v):
        if v in memo:
            return memo[v]
        if isinstance(v, Constant):
            memo[v] = _constant_value(v)
            return memo[v]
        raise ValueError(f"SymPy translation: free input {v} ({v.type}) was given no value")

    for node in io_toposort(list(values), list(outputs)):
        results = _apply(node, [get(v) for v in node.inputs])
        for var, res in zip(node.outputs, results, strict=True):
            memo[var] = _as_value(var, res)
    return [get(v) for v in outputs]


def to_sympy(outputs: Sequence, values: Mapping) -> list[np.ndarray]:
    """Evaluate ``outputs`` of a PyTensor graph with SymPy arithmetic.

    Parameters
    ----------
    outputs : sequence of Variable
        Uncompiled graph outputs.
    values : mapping
        Every free input of the graph to an array: SymPy symbols (:func:`.sympy_algebra.symbols_for`) or
        numbers.

    Returns
    -------
    list of ndarray
        One object array of SymPy expressions (or an integer array) per output, of the output's shape.

    Raises
    ------
    UnsupportedOpError
        When the graph holds an operation the translation does not cover.
    """
    require_proof_support("the SymPy translation of a graph")
    require_sympy()
    feed = {v: _as_value(v, np.asarray(x, dtype=object)) for v, x in values.items()}
    start = len(inexact_constants)
    out = _evaluate(outputs, feed)
    if len(inexact_constants) > start:
        logger.warning(
            "SymPy translation kept inexact float constants %s", sorted(set(inexact_constants[start:]))
        )
    return out
