"""The autoregressive hidden and output layers of RNADE and NADE as one fused C Op, with its gradient Op.

For N rows ``x`` (N x D) the Op computes, for every dimension d,

    a_d = c + sum_{j<d} x_j W[:, j],    h_d = sigm(rho_d a_d),    z_d = h_d V_d        (N x D x P)

(or ``h_d = max(rho_d a_d, 0)``, the rectifier of Uria's code, with ``activation="relu"``)

(RNADE: ``V_d = [V_alpha_d | V_mu_d | V_sigma_d]``, P = 3K; NADE: ``rho = 1`` and ``V_d = V[d]``, P = 1);
the output biases and the mixture are added by the graph around it. This is the part of the fast graph
that touches D x N x H numbers: written as PyTensor elementwise and batched-dot nodes it allocates and
sweeps several D x N x H arrays a step, at one number at a time (see experiments/NOTES.md, "bench.py").
Here each thread walks blocks of rows and keeps a block's accumulators, hidden units and output layer in
cache, the sigmoids vectorised (SIMD ``exp``), the threads an OpenMP team; nothing of size D x N x H is
ever stored. :class:`FusedFrameGrad` recomputes ``a`` and ``h`` block by block and returns the gradients
of ``W``, ``c``, ``rho`` and ``V`` (the supplement's formulas: ``d/dh_d = dz_d V_d^T``,
``d/dpsi_d = d/dh_d h_d (1 - h_d)`` (rectifier: ``d/dh_d [h_d > 0]``), ``d/drho_d = sum d/dpsi_d a_d``,
``d/da_d = rho_d d/dpsi_d``, ``d/dc = sum_d d/da_d``, ``d/dW[:, j] = sum_rows x_j sum_{d>j} d/da_d``,
``d/dV_d = h_d^T dz_d``).

Both Ops run on every backend: C code for the C backend (compiled for this Op only with ``-fopenmp`` and
the floating-point flags that let GCC vectorise ``exp`` through glibc's libmvec and reassociate sums, but
not ``-ffast-math``, whose ``crtfastmath.o`` would flush denormals to zero in the whole process; its sums
are ordered per thread and then by thread, so a result does not change from call to call),
:mod:`jax.numpy` for JAX (registered by :func:`register_backends` when the JAX backend is used; the gradient
through ``jax.vjp``), and NumPy (``perform``) elsewhere. Tests check all of them against the
graph of :func:`rnnrnade_pt.kernels.rnade.rnade_terms_fast` and finite differences.

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013 (the shared accumulator ``a_d``, section 2).
.. [2] Supplementary Material for the RNN-RNADE model, "Gradients for the RNADE".
.. [3] H. Larochelle, I. Murray. "The neural autoregressive distribution estimator." AISTATS 2011.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import grad_undefined
from pytensor.graph.basic import Apply
from pytensor.link.c.op import COp

from ..compat import PullbackOp
from ..config import HIDDEN_ACTIVATIONS

__all__ = ["FusedFrame", "FusedFrameGrad", "VectorMathCOp", "fused_frame", "register_backends"]


_VECTOR_MATH = r"""
#include <cmath>
/* glibc's vector exp and log (libmvec, since 2.22), declared here: math.h declares them only under
   -ffast-math, which would also link crtfastmath.o and flush denormals to zero in the whole process. */
extern "C" {
#pragma omp declare simd notinbranch
double exp(double) noexcept;
#pragma omp declare simd notinbranch
double log(double) noexcept;
#pragma omp declare simd notinbranch
float expf(float) noexcept;
#pragma omp declare simd notinbranch
float logf(float) noexcept;
}
static inline float exp_(float v) { return expf(v); }
static inline double exp_(double v) { return exp(v); }
static inline float log_(float v) { return logf(v); }
static inline double log_(double v) { return log(v); }
"""
"""The prelude of every C Op of the package: the vector ``exp`` and ``log`` its loops call as ``exp_``,
``log_``."""


class VectorMathCOp(PullbackOp, COp):
    """The package's C Ops (here and in :mod:`rnnrnade_pt.kernels.ais_math`): their C++ source
    (``support``, after the shared prelude of vector ``exp_`` and ``log_``), compiled with OpenMP and the
    floating-point flags that let GCC vectorise ``exp`` and ``log`` through glibc's libmvec. Not
    ``-ffast-math``: with GCC < 13 it links crtfastmath.o into the module, which turns on flush-to-zero for
    every thread of the process when the module loads."""

    __props__ = ()
    support = ""

    def c_support_code(self, **kwargs):
        return _VECTOR_MATH + self.support

    def c_compile_args(self, **kwargs):
        return [
            "-O3",
            "-fopenmp",
            "-fno-math-errno",
            "-fno-trapping-math",
            "-fno-signed-zeros",
            "-fassociative-math",
        ]

    def c_libraries(self, **kwargs):
        return ["gomp", "m", "mvec"]


_SUPPORT = (Path(__file__).with_name("fused_frame.cpp")).read_text(encoding="utf-8").split("\n", 2)[2]
"""The kernels' C++ source (``fused_frame.cpp`` beside this module, without its two comment lines)."""

# C code shared by both Ops: check the inputs' shapes, take C-contiguous views of them.
_PROLOGUE = """
long N = PyArray_DIMS({x})[0], D = PyArray_DIMS({x})[1];
long H = PyArray_DIMS({W})[0], P = PyArray_DIMS({V})[2];
if (PyArray_DIMS({W})[1] != D || PyArray_DIMS({c})[0] != N || PyArray_DIMS({c})[1] != H
    || PyArray_DIMS({rho})[0] != D || PyArray_DIMS({V})[0] != D || PyArray_DIMS({V})[1] != H) {{
    PyErr_Format(PyExc_ValueError,
        "fused RNADE/NADE frame: shapes do not agree (x %ld x %ld, W %ld x %ld, c %ld x %ld, rho %ld, "
        "V %ld x %ld x %ld)", N, D, (long)PyArray_DIMS({W})[0], (long)PyArray_DIMS({W})[1],
        (long)PyArray_DIMS({c})[0], (long)PyArray_DIMS({c})[1], (long)PyArray_DIMS({rho})[0],
        (long)PyArray_DIMS({V})[0], (long)PyArray_DIMS({V})[1], (long)PyArray_DIMS({V})[2]);
    {fail}
}}
PyArrayObject* xc = PyArray_GETCONTIGUOUS({x});
PyArrayObject* Wc = PyArray_GETCONTIGUOUS({W});
PyArrayObject* cc = PyArray_GETCONTIGUOUS({c});
PyArrayObject* rc = PyArray_GETCONTIGUOUS({rho});
PyArrayObject* Vc = PyArray_GETCONTIGUOUS({V});
if (!xc || !Wc || !cc || !rc || !Vc) {{
    Py_XDECREF(xc); Py_XDECREF(Wc); Py_XDECREF(cc); Py_XDECREF(rc); Py_XDECREF(Vc);
    {fail}
}}
"""

_EPILOGUE = """
Py_XDECREF(xc); Py_XDECREF(Wc); Py_XDECREF(cc); Py_XDECREF(rc); Py_XDECREF(Vc);
"""


def alloc_output(out: str, ndim: int, dims: str, typenum: str, fail: str) -> str:
    """C code that reuses ``out`` when it already has the right shape (buffers kept between calls)."""
    checks = " || ".join(f"PyArray_DIMS({out})[{i}] != {out}_dims[{i}]" for i in range(ndim))
    return f"""
{{
npy_intp {out}_dims[{ndim}] = {{{dims}}};
if (!{out} || !PyArray_IS_C_CONTIGUOUS({out}) || {checks}) {{
    Py_XDECREF({out});
    {out} = (PyArrayObject*)PyArray_EMPTY({ndim}, {out}_dims, {typenum}, 0);
    if (!{out}) {{ {fail} }}
}}
}}
"""


def checked_inputs(op: str, values: dict, ndims: tuple) -> list:
    """``values`` (name -> array or variable, the first one ``x``) as tensor variables, checked to have the
    ``ndims`` and one float dtype: a TypeError naming ``op`` and the input otherwise."""
    ins = [pt.as_tensor_variable(v) for v in values.values()]
    dtype = ins[0].dtype
    for name, v, nd in zip(values, ins, ndims, strict=True):
        if v.ndim != nd:
            raise TypeError(f"{op}: {name} must have {nd} dimensions, got {v.ndim}")
        if v.dtype != dtype:
            raise TypeError(f"{op}: {name} is {v.dtype}, x is {dtype}; cast them to one dtype")
    if dtype not in ("float32", "float64"):
        raise TypeError(f"{op}: dtype {dtype} is not float32 or float64")
    return ins


class _FusedBase(VectorMathCOp):
    __props__ = ("activation",)
    support = _SUPPORT

    def __init__(self, activation: str = "sigmoid"):
        if activation not in HIDDEN_ACTIVATIONS:
            raise ValueError(f"fused frame: activation must be in {HIDDEN_ACTIVATIONS}, got {activation!r}")
        self.activation = activation

    @property
    def relu(self) -> str:
        """The C++ literal of the kernels' runtime flag ``relu``."""
        return "true" if self.activation == "relu" else "false"

    @staticmethod
    def _inputs(x, W, c, rho, V):
        return checked_inputs("fused frame", dict(x=x, W=W, c=c, rho=rho, V=V), (2, 2, 2, 1, 3))


class FusedFrame(_FusedBase):
    """``z_d = sigm(rho_d a_d) V_d`` for every d and row, ``a_d = c + sum_{j<d} x_j W[:, j]``.

    Inputs ``x`` (N x D), ``W`` (H x D), ``c`` (N x H), ``rho`` (D), ``V`` (D x H x P); output ``z``
    (N x D x P, rows first like ``x``, so that the mixture terms around it are read in memory order).
    Its gradient is :class:`FusedFrameGrad` (not w.r.t. ``x``, the data).
    """

    def make_node(self, x, W, c, rho, V):
        ins = self._inputs(x, W, c, rho, V)
        return Apply(self, ins, [pt.tensor(dtype=ins[0].dtype, shape=(None, None, None))])

    def perform(self, node, inputs, outputs):
        outputs[0][0] = frame_outputs_numpy(*inputs, activation=self.activation)

    def pullback(self, inputs, outputs, output_grads):
        gW, gc, grho, gV = FusedFrameGrad(self.activation)(*inputs, output_grads[0])
        gx = grad_undefined(self, 0, inputs[0], "the fused frame has no gradient w.r.t. the data x")
        return [gx, gW, gc, grho, gV]

    def c_code_cache_version(self):
        return (14,)

    def c_code(self, node, name, inp, out, sub):
        x, W, c, rho, V = inp
        (z,) = out
        _, ctype, typenum = node.outputs[0].type.dtype_specs()
        fail, relu = sub["fail"], self.relu
        code = _PROLOGUE.format(x=x, W=W, c=c, rho=rho, V=V, fail=fail)
        code += alloc_output(z, 3, "N, D, P", typenum, _EPILOGUE + fail)
        code += f"""
{{
std::vector<{ctype}> WT(D * H), VT(D * P * H);
rnnrnade_ff::transpose_W(({ctype}*)PyArray_DATA(Wc), WT.data(), H, D);
rnnrnade_ff::transpose_V(({ctype}*)PyArray_DATA(Vc), VT.data(), D, H, P);
Py_BEGIN_ALLOW_THREADS
rnnrnade_ff::forward(({ctype}*)PyArray_DATA(xc), WT.data(), ({ctype}*)PyArray_DATA(cc),
    ({ctype}*)PyArray_DATA(rc), VT.data(), ({ctype}*)PyArray_DATA({z}), N, D, H, P, {relu});
Py_END_ALLOW_THREADS
}}
"""
        return "{\n" + code + _EPILOGUE + "}\n"  # a block of its own: ``fail`` jumps out of it


class FusedFrameGrad(_FusedBase):
    """The gradients of ``sum(gz * FusedFrame(x, W, c, rho, V))`` w.r.t. ``W``, ``c``, ``rho``, ``V``."""

    def make_node(self, x, W, c, rho, V, gz):
        ins = self._inputs(x, W, c, rho, V)
        gz = pt.as_tensor_variable(gz)
        if gz.ndim != 3 or gz.dtype != ins[0].dtype:
            raise TypeError(f"fused frame gradient: gz must be a 3-d {ins[0].dtype} tensor")
        outs = [v.type() for v in ins[1:]]
        return Apply(self, [*ins, gz], outs)

    def perform(self, node, inputs, outputs):
        for o, v in zip(outputs, frame_grads_numpy(*inputs, activation=self.activation), strict=True):
            o[0] = v

    def c_code_cache_version(self):
        return (14,)

    def c_code(self, node, name, inp, out, sub):
        x, W, c, rho, V, gz = inp
        dW, dc, drho, dV = out
        _, ctype, typenum = node.outputs[0].type.dtype_specs()
        fail, relu = sub["fail"], self.relu
        code = _PROLOGUE.format(x=x, W=W, c=c, rho=rho, V=V, fail=fail)
        code += "PyArrayObject* gzc = PyArray_GETCONTIGUOUS(" + gz + ");\n"
        epi = _EPILOGUE + "Py_XDECREF(gzc);\n"
        code += f"""
if (!gzc) {{ {epi} {fail} }}
if (PyArray_NDIM(gzc) != 3 || PyArray_DIMS(gzc)[0] != N || PyArray_DIMS(gzc)[1] != D
    || PyArray_DIMS(gzc)[2] != P) {{
    PyErr_SetString(PyExc_ValueError, "fused frame gradient: gz must be N x D x P");
    {epi} {fail}
}}
"""
        for o, nd, dims in ((dW, 2, "H, D"), (dc, 2, "N, H"), (drho, 1, "D"), (dV, 3, "D, H, P")):
            code += alloc_output(o, nd, dims, typenum, epi + fail)
        code += f"""
{{
std::vector<{ctype}> WT(D * H), dWT(D * H);
rnnrnade_ff::transpose_W(({ctype}*)PyArray_DATA(Wc), WT.data(), H, D);
Py_BEGIN_ALLOW_THREADS
rnnrnade_ff::backward(({ctype}*)PyArray_DATA(xc), WT.data(), ({ctype}*)PyArray_DATA(cc),
    ({ctype}*)PyArray_DATA(rc), ({ctype}*)PyArray_DATA(Vc), ({ctype}*)PyArray_DATA(gzc), dWT.data(),
    ({ctype}*)PyArray_DATA({dc}), ({ctype}*)PyArray_DATA({drho}), ({ctype}*)PyArray_DATA({dV}), N, D, H, P,
    {relu});
Py_END_ALLOW_THREADS
rnnrnade_ff::transpose_W(dWT.data(), ({ctype}*)PyArray_DATA({dW}), D, H);  /* D x H -> H x D */
}}
"""
        return "{\n" + code + epi + "}\n"


def fused_frame(x, W, c, rho, V, activation: str = "sigmoid"):
    """``z`` (N x D x P): the hidden and output layers of every dimension of every row (see the module);
    ``activation`` "relu" for ``h_d = max(rho_d a_d, 0)``."""
    c = pt.as_tensor_variable(c)
    if c.ndim == 1:
        c = pt.broadcast_to(c, (x.shape[0], c.shape[0]))
    return FusedFrame(activation)(x, W, c, rho, V)


# -- NumPy: the Ops' perform, and the reference the tests compare the C code with ----------------------
def _hidden_numpy(x, W, c, rho, activation):
    contrib = x.T[:, :, None] * W.T[:, None, :]  # D x N x H
    a = np.empty_like(contrib)
    a[0] = c
    for d in range(1, x.shape[1]):
        a[d] = a[d - 1] + contrib[d - 1]
    psi = rho[:, None, None] * a
    return a, np.maximum(psi, 0) if activation == "relu" else 1.0 / (1.0 + np.exp(-psi))


def frame_outputs_numpy(x, W, c, rho, V, activation: str = "sigmoid"):
    """``z`` by NumPy (N x D x P)."""
    _, h = _hidden_numpy(x, W, c, rho, activation)
    return np.matmul(h, V).transpose(1, 0, 2).astype(x.dtype)


def frame_grads_numpy(x, W, c, rho, V, gz, activation: str = "sigmoid"):
    """``(dW, dc, drho, dV)`` by NumPy."""
    a, h = _hidden_numpy(x, W, c, rho, activation)
    gz = gz.transpose(1, 0, 2)  # D x N x P
    dh = np.matmul(gz, V.transpose(0, 2, 1))  # D x N x H
    dpsi = dh * (h > 0) if activation == "relu" else dh * h * (1 - h)
    da = dpsi * rho[:, None, None]
    G = np.cumsum(da[::-1], axis=0)[::-1]  # G[d] = sum_{d' >= d} da
    dW = np.zeros_like(W)
    dW[:, :-1] = np.einsum("nj,jnh->hj", x[:, :-1], G[1:])
    dt = x.dtype
    return (
        dW.astype(dt),
        G[0].astype(dt),
        (dpsi * a).sum(axis=(1, 2)).astype(dt),
        np.matmul(h.transpose(0, 2, 1), gz).astype(dt),
    )


# -- other backends ---------------------------------------------------------------------------------------
_REGISTERED: set[str] = set()


def register_backends(backend: str) -> None:
    """Teach PyTensor's JAX backend the two Ops (once; called by :func:`rnnrnade_pt.backend.backend_mode`).

    The C backend compiles their C code; Numba runs their NumPy ``perform``.
    """
    if backend != "jax" or "jax" in _REGISTERED:
        return
    import jax
    from pytensor.link.jax.dispatch import jax_funcify

    def frame_of(activation):
        act = jax.nn.relu if activation == "relu" else jax.nn.sigmoid

        def frame(x, W, c, rho, V):
            def accumulate(a_d, xw):  # a_{d+1} = a_d + x_d W[:, d], one N x H slab at a time (the fast graph)
                x_d, W_d, rho_d, V_d = xw
                z_d = act(rho_d * a_d) @ V_d  # N x P
                return a_d + x_d[:, None] * W_d[None, :], z_d

            _, z = jax.lax.scan(accumulate, c, (x.T, W.T, rho, V))  # D x N x P
            return z.transpose(1, 0, 2)

        return frame

    @jax_funcify.register(FusedFrame)
    def _jax_frame(op, **kwargs):
        return frame_of(op.activation)

    @jax_funcify.register(FusedFrameGrad)
    def _jax_frame_grad(op, **kwargs):
        frame = frame_of(op.activation)

        def frame_grad(x, W, c, rho, V, gz):
            _, vjp = jax.vjp(lambda *args: frame(x, *args), W, c, rho, V)
            return vjp(gz)

        return frame_grad

    _REGISTERED.add("jax")
