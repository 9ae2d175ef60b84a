"""The elementwise parts of an RBM's annealed importance sampling as C Ops with vectorised ``exp`` and
``log``: the weight increment ``sum_j softplus(beta_hi a_j) - softplus(beta_lo a_j)`` per row
(:class:`SoftplusDiffSum`), the logistic noise ``logit(u)`` its Bernoulli draws compare with
(:class:`Logit`), the draws themselves (:class:`GroupThreshold`) and the product of a mostly-zero binary
state with the weights (:class:`ZeroSkipDot`).

Annealed importance sampling (:func:`rnnrnade_pt.kernels.rbm.ais_log_z`) adds, at every temperature and for
every chain of every frame, the change of the visible marginal's log ``log f_k(v) - log f_{k-1}(v)``, whose
hidden part is this sum over the H hidden pre-activations ``a = v W + bh``. Written as PyTensor elementwise
nodes it evaluates four scalar transcendentals per unit, one number at a time: 45% of a temperature step at
10 chains x 1765 frames x 150 hidden units (0.09 s of 0.2 s, 2026-12-04), more than both matrix products.
Here each row's sum is one SIMD loop, ``softplus(x) = max(x, 0) + log(1 + exp(-|x|))`` with glibc's vector
``exp`` and ``log`` (libmvec), the rows shared by an OpenMP team. ``log(1 + e)`` stands for ``log1p(e)``
(``e`` in (0, 1]): its absolute error stays below 3e-16 per unit, which is what a sum of softplus values
needs (the relative error of a tiny term does not matter next to its neighbours').

Every Bernoulli draw of the annealing tests ``logit(u) < a`` on uniforms ``u`` shared by a noise group, so
the logits of 10 chains x 1024 groups x (88 + 150) units are computed at every temperature: 0.038 s of the
0.12 s left of a step once the sum above was fused, as ``log(u) - log1p(-u)`` one number at a time. The
:class:`Logit` Op computes ``log(u / (1 - u))`` in one SIMD loop: ``1 - u`` and the quotient each round by
at most half an ulp, so the logit is within 3e-16 (relative, of ``u / (1 - u)``) of the exact one, and a
draw changes only where ``a`` lies that close to it.

Each draw's comparison needs its frame's group's noise: written as ``noise[:, groups] < a`` it gathers an
M x N x n copy of the noise (and PyTensor transposes around the gather, so the reshapes before the next
matrix product copy again), then compares in another pass; with ``a = beta (v W + bh)`` formed in a pass of
its own. :class:`GroupThreshold` reads the group's noise row in place and forms ``a`` inside the comparison
(bit for bit the elementwise graph's ``a``: the same operations in the same order).

A trained RBM's pre-activations reach hundreds, where ``exp(-|x|)`` underflows and glibc's vector ``exp``
takes its slow path: the softplus sum caps ``|x|`` where ``1 + exp(-|x|)`` is already 1 (the same result,
5x faster at ``|x|`` ~ 500). And the visible states of a music frame's chains are mostly zeros: their
product with ``W`` adds the few rows they select (:class:`ZeroSkipDot`), in the order the dense product
adds them.

The Ops run on every backend: their C code on the C backend (the flags of
:mod:`rnnrnade_pt.kernels.fused_frame`: libmvec without ``-ffast-math``), :mod:`jax.numpy` on JAX
(:func:`register_backends`), NumPy (``perform``) elsewhere. The sum's gradient is a PyTensor expression
(``beta sigm(beta a)``); the logit's is ``1 / (u (1 - u))``; the draws have none. Tests compare every
backend with the elementwise graph.

References
----------
.. [1] R. Salakhutdinov, I. Murray. "On the quantitative analysis of deep belief networks." ICML 2008
   (the AIS weights of an RBM, section 4.1).
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType
from pytensor.graph.basic import Apply

from .fused_frame import VectorMathCOp

__all__ = [
    "SoftplusDiffSum",
    "Logit",
    "GroupThreshold",
    "ZeroSkipDot",
    "softplus_diff_sum",
    "logit",
    "group_threshold",
    "zero_skip_dot",
    "register_backends",
]

_SUPPORT = r"""
namespace rnnrnade_sp {  /* exp_ and log_: VectorMathCOp's prelude */

/* sum_j softplus(bh a_j) - softplus(bl a_j) of one row; by value, so that GCC vectorises the loop.
   |x| is capped at C before exp(-|x|): past 20 (float) or 40 (double) 1 + exp(-|x|) rounds to exactly 1,
   so the result is the same, and the vector exp never meets the underflowing arguments that send it to
   its slow path (5x slower at |x| ~ 500, the pre-activations of a trained RBM). C comes in at run time
   (noipa: no constant propagation into the function): with C a constant, GCC moves the cap's select
   after the exp, log(1 + exp(-C)) being 0, and calls exp on the uncapped |x| again. */
template <typename T>
static __attribute__((noipa)) T row(const T* a, long H, T bh, T bl, T C) {
    T s = 0;
#pragma omp simd reduction(+ : s)
    for (long j = 0; j < H; ++j) {
        const T x = bh * a[j], y = bl * a[j];
        const T ax = x > 0 ? x : -x, ay = y > 0 ? y : -y;
        const T sx = (x > 0 ? x : T(0)) + log_(T(1) + exp_(-(ax < C ? ax : C)));
        const T sy = (y > 0 ? y : T(0)) + log_(T(1) + exp_(-(ay < C ? ay : C)));
        s += sx - sy;
    }
    return s;
}

/* Less work than this (numbers touched) runs on the calling thread: a team's start and barrier cost more than
   it does (tens of microseconds; milliseconds when another process holds the other cores). */
static const long RNNRNADE_MIN_PARALLEL_WORK = 1L << 16;

template <typename T>
static void rows(const T* a, T* out, long R, long H, T bh, T bl) {
#pragma omp parallel for schedule(static) if (R * H >= RNNRNADE_MIN_PARALLEL_WORK)
    for (long r = 0; r < R; ++r) out[r] = row(a + r * H, H, bh, bl, sizeof(T) == 4 ? T(20) : T(40));
}

/* out_i = log(u_i / (1 - u_i)) of n numbers; by value, so that GCC vectorises the loop. */
template <typename T>
static __attribute__((noinline)) void logit_span(const T* u, T* out, long n) {
#pragma omp simd
    for (long i = 0; i < n; ++i) out[i] = log_(u[i] / (T(1) - u[i]));
}

template <typename T>
static void logits(const T* u, T* out, long n) {
    const long span = 4096;
#pragma omp parallel for schedule(static) if (n >= RNNRNADE_MIN_PARALLEL_WORK)
    for (long b = 0; b < (n + span - 1) / span; ++b)
        logit_span(u + b * span, out + b * span, (n - b * span < span) ? n - b * span : span);
}

/* out[m, i, j] = noise[m, g[i], j] < a (1 or 0), a = s x[m, i, j] + b[i, j] (X and B), s x[m, i, j] (X) or
   b[i, j] (B): noise M x G x n, g N, x and out M x N x n, b N x n. */
template <typename T, bool X, bool B>
static void group_thresholds(const T* noise, const long* g, const T* x, T s, const T* b, T* out, long M,
                             long G, long N, long n) {
#pragma omp parallel for collapse(2) schedule(static) if (M * N * n >= RNNRNADE_MIN_PARALLEL_WORK)
    for (long m = 0; m < M; ++m)
        for (long i = 0; i < N; ++i) {
            const T* z = noise + (m * G + g[i]) * n;
            const T* xr = X ? x + (m * N + i) * n : nullptr;
            const T* br = B ? b + i * n : nullptr;
            T* o = out + (m * N + i) * n;
#pragma omp simd
            for (long j = 0; j < n; ++j) {
                const T a = X ? (B ? s * xr[j] + br[j] : s * xr[j]) : br[j];
                o[j] = z[j] < a ? T(1) : T(0);
            }
        }
}

/* out = v W (v R x K, W K x H), the rows of W with a zero in v skipped: each output row is the sum, in the
   order k = 0, 1, ..., of v[r, k] W[k, :] over the nonzero v[r, k], one SIMD loop over H per term. */
template <typename T>
static __attribute__((noinline)) void axpy_row(T* o, const T* w, T a, long H) {
#pragma omp simd
    for (long j = 0; j < H; ++j) o[j] += a * w[j];
}

template <typename T>
static void zero_skip_dot(const T* v, const T* W, T* out, long R, long K, long H) {
#pragma omp parallel for schedule(static) if (R * H >= RNNRNADE_MIN_PARALLEL_WORK)
    for (long r = 0; r < R; ++r) {
        T* o = out + r * H;
        for (long j = 0; j < H; ++j) o[j] = T(0);
        const T* vr = v + r * K;
        for (long k = 0; k < K; ++k)
            if (vr[k] != T(0)) axpy_row(o, W + k * H, vr[k], H);
    }
}
}  // namespace rnnrnade_sp
"""


class _AisMathOp(VectorMathCOp):
    support = _SUPPORT

    def c_code_cache_version(self):
        return (8,)


class SoftplusDiffSum(_AisMathOp):
    """``out_r = sum_j softplus(beta_hi a_rj) - softplus(beta_lo a_rj)``: ``a`` R x H, two scalars;
    ``out`` R."""

    def make_node(self, a, beta_hi, beta_lo):
        a = pt.as_tensor_variable(a)
        if a.ndim != 2 or a.dtype not in ("float32", "float64"):
            raise TypeError(f"softplus_diff_sum: a must be a 2-d float32 or float64 tensor, got {a.type}")
        betas = [pt.as_tensor_variable(b).astype(a.dtype) for b in (beta_hi, beta_lo)]
        if any(b.ndim != 0 for b in betas):
            raise TypeError("softplus_diff_sum: the temperatures must be scalars")
        return Apply(self, [a, *betas], [pt.tensor(dtype=a.dtype, shape=(a.type.shape[0],))])

    def perform(self, node, inputs, outputs):
        outputs[0][0] = softplus_diff_sum_numpy(*inputs)

    def pullback(self, inputs, outputs, output_grads):
        a, bh, bl = inputs
        g = output_grads[0][:, None]  # R x 1
        sh, sl = pt.sigmoid(bh * a), pt.sigmoid(bl * a)  # R x H
        return [g * (bh * sh - bl * sl), (g * a * sh).sum(), -(g * a * sl).sum()]

    def c_code(self, node, name, inp, out, sub):
        a, bh, bl = inp
        (z,) = out
        _, ctype, typenum = node.outputs[0].type.dtype_specs()
        fail = sub["fail"]
        return f"""
{{
PyArrayObject* ac = PyArray_GETCONTIGUOUS({a});
if (!ac) {{ {fail} }}
npy_intp R = PyArray_DIMS(ac)[0];
long H = PyArray_DIMS(ac)[1];
if (!{z} || !PyArray_IS_C_CONTIGUOUS({z}) || PyArray_DIMS({z})[0] != R) {{
    Py_XDECREF({z});
    {z} = (PyArrayObject*)PyArray_EMPTY(1, &R, {typenum}, 0);
    if (!{z}) {{ Py_XDECREF(ac); {fail} }}
}}
{ctype} bh_ = (({ctype}*)PyArray_DATA({bh}))[0], bl_ = (({ctype}*)PyArray_DATA({bl}))[0];
Py_BEGIN_ALLOW_THREADS
rnnrnade_sp::rows(({ctype}*)PyArray_DATA(ac), ({ctype}*)PyArray_DATA({z}), (long)R, H, bh_, bl_);
Py_END_ALLOW_THREADS
Py_XDECREF(ac);
}}
"""


class Logit(_AisMathOp):
    """``log(u / (1 - u))`` elementwise (any shape; ``u`` in (0, 1))."""

    def make_node(self, u):
        u = pt.as_tensor_variable(u)
        if u.dtype not in ("float32", "float64"):
            raise TypeError(f"logit: u must be float32 or float64, got {u.type}")
        return Apply(self, [u], [u.type()])

    def perform(self, node, inputs, outputs):
        (u,) = inputs
        outputs[0][0] = np.log(u / (1 - u)).astype(u.dtype)

    def pullback(self, inputs, outputs, output_grads):
        (u,) = inputs
        return [output_grads[0] / (u * (1 - u))]

    def c_code(self, node, name, inp, out, sub):
        (u,) = inp
        (z,) = out
        _, ctype, typenum = node.outputs[0].type.dtype_specs()
        fail = sub["fail"]
        nd = node.inputs[0].ndim
        same = " || ".join(f"PyArray_DIMS({z})[{i}] != PyArray_DIMS(uc)[{i}]" for i in range(nd)) or "0"
        return f"""
{{
PyArrayObject* uc = PyArray_GETCONTIGUOUS({u});
if (!uc) {{ {fail} }}
if (!{z} || !PyArray_IS_C_CONTIGUOUS({z}) || {same}) {{
    Py_XDECREF({z});
    {z} = (PyArrayObject*)PyArray_EMPTY({nd}, PyArray_DIMS(uc), {typenum}, 0);
    if (!{z}) {{ Py_XDECREF(uc); {fail} }}
}}
long n = (long)PyArray_SIZE(uc);
Py_BEGIN_ALLOW_THREADS
rnnrnade_sp::logits(({ctype}*)PyArray_DATA(uc), ({ctype}*)PyArray_DATA({z}), n);
Py_END_ALLOW_THREADS
Py_XDECREF(uc);
}}
"""


class GroupThreshold(_AisMathOp):
    """``out[m, i, j] = noise[m, groups[i], j] < a[m, i, j]`` as 1 or 0: the Bernoulli draws of N rows from
    the logistic noise of their groups (``noise`` M x G x n, ``groups`` N integers in ``[0, G)``), without the
    M x N x n gather of the noise that ``noise[:, groups] < a`` materialises. The pre-activation ``a`` is
    formed on the fly, ``s * x + b`` (``with_x`` and ``with_bias``), ``s * x`` or ``b``, from ``x``
    (M x N x n), a scalar ``s`` and ``b`` (N x n, shared by the M chains), so that the annealing's
    ``beta (v W + bh)`` and ``beta h W^T + bv`` take no pass of their own over M x N x n numbers. A draw is
    a constant for gradients: the Op has none."""

    __props__ = ("with_x", "with_bias")

    def __init__(self, with_x: bool = True, with_bias: bool = False):
        if not (with_x or with_bias):
            raise ValueError("group_threshold needs x, a bias or both")
        self.with_x, self.with_bias = bool(with_x), bool(with_bias)

    def make_node(self, noise, groups, *args):
        noise, groups = pt.as_tensor_variable(noise), pt.as_tensor_variable(groups)
        if noise.ndim != 3 or noise.dtype not in ("float32", "float64"):
            raise TypeError(
                f"group_threshold: noise must be a 3-d float32 or float64 tensor, got {noise.type}"
            )
        if groups.ndim != 1 or not groups.dtype.startswith(("int", "uint")):
            raise TypeError(f"group_threshold: groups must be a vector of integers, got {groups.type}")
        args = [pt.as_tensor_variable(a) for a in args]
        ndims = ([3, 0] if self.with_x else []) + ([2] if self.with_bias else [])
        if [a.ndim for a in args] != ndims or any(a.dtype != noise.dtype for a in args):
            raise TypeError(
                f"group_threshold: expected tensors of {ndims} dimensions in {noise.dtype} (x, scale, bias), "
                f"got {[str(a.type) for a in args]}"
            )
        shape = (noise.type.shape[0], groups.type.shape[0], noise.type.shape[2])
        out = pt.tensor(dtype=noise.dtype, shape=shape)
        return Apply(self, [noise, groups.astype("int64"), *args], [out])

    def perform(self, node, inputs, outputs):
        noise, groups, *args = inputs
        x, s = (args[0], args[1]) if self.with_x else (None, None)
        b = args[-1] if self.with_bias else None
        outputs[0][0] = group_threshold_numpy(noise, groups, x, s, b)

    def connection_pattern(self, node):
        return [[False] for _ in node.inputs]

    def pullback(self, inputs, outputs, output_grads):
        return [DisconnectedType()() for _ in inputs]

    def c_code(self, node, name, inp, out, sub):
        noise, groups, *args = inp
        x, s = (args[0], args[1]) if self.with_x else ("NULL", None)
        b = args[-1] if self.with_bias else "NULL"
        (z,) = out
        _, ctype, typenum = node.outputs[0].type.dtype_specs()
        fail = sub["fail"]
        scale = f"(({ctype}*)PyArray_DATA({s}))[0]" if self.with_x else "0"
        X, B = ("true" if self.with_x else "false"), ("true" if self.with_bias else "false")
        # the row count N: x's second dimension, or b's first
        N = "(long)PyArray_DIMS(xc)[1]" if self.with_x else "(long)PyArray_DIMS(bc)[0]"
        n = "(long)PyArray_DIMS(nc)[2]"
        return f"""
{{
PyArrayObject* nc = PyArray_GETCONTIGUOUS({noise});
PyArrayObject* gc = PyArray_GETCONTIGUOUS({groups});
PyArrayObject* xc = {"PyArray_GETCONTIGUOUS(" + x + ")" if self.with_x else "NULL"};
PyArrayObject* bc = {"PyArray_GETCONTIGUOUS(" + b + ")" if self.with_bias else "NULL"};
if (!nc || !gc || ({X} && !xc) || ({B} && !bc)) {{
    Py_XDECREF(nc); Py_XDECREF(gc); Py_XDECREF(xc); Py_XDECREF(bc); {fail}
}}
long M = (long)PyArray_DIMS(nc)[0], G = (long)PyArray_DIMS(nc)[1], n = {n}, N = {N};
const npy_int64* g = (const npy_int64*)PyArray_DATA(gc);
int bad = PyArray_DIMS(gc)[0] != N;
if ({X}) bad = bad || PyArray_DIMS(xc)[0] != M || PyArray_DIMS(xc)[2] != n;
if ({B}) bad = bad || PyArray_DIMS(bc)[0] != N || PyArray_DIMS(bc)[1] != n;
for (long i = 0; !bad && i < N; ++i) bad = g[i] < 0 || g[i] >= G;
if (bad) {{
    PyErr_Format(PyExc_ValueError, "group_threshold: noise %ld x %ld x %ld, %ld groups, x and bias do not "
        "agree (or a group lies outside [0, %ld))", M, G, n, (long)PyArray_DIMS(gc)[0], G);
    Py_XDECREF(nc); Py_XDECREF(gc); Py_XDECREF(xc); Py_XDECREF(bc); {fail}
}}
npy_intp dims[3] = {{M, N, n}};
if (!{z} || !PyArray_IS_C_CONTIGUOUS({z}) || PyArray_DIMS({z})[0] != M || PyArray_DIMS({z})[1] != N
    || PyArray_DIMS({z})[2] != n) {{
    Py_XDECREF({z});
    {z} = (PyArrayObject*)PyArray_EMPTY(3, dims, {typenum}, 0);
    if (!{z}) {{ Py_XDECREF(nc); Py_XDECREF(gc); Py_XDECREF(xc); Py_XDECREF(bc); {fail} }}
}}
{{
const {ctype}* xd = {X} ? (const {ctype}*)PyArray_DATA(xc) : NULL;
const {ctype}* bd = {B} ? (const {ctype}*)PyArray_DATA(bc) : NULL;
{ctype} s_ = {scale};
Py_BEGIN_ALLOW_THREADS
rnnrnade_sp::group_thresholds<{ctype}, {X}, {B}>(({ctype}*)PyArray_DATA(nc), (const long*)g, xd, s_, bd,
                                                ({ctype}*)PyArray_DATA({z}), M, G, N, n);
Py_END_ALLOW_THREADS
}}
Py_XDECREF(nc); Py_XDECREF(gc); Py_XDECREF(xc); Py_XDECREF(bc);
}}
"""


class ZeroSkipDot(_AisMathOp):
    """``v W`` (``v`` R x K, ``W`` K x H) summing only the rows of ``W`` whose entry of ``v`` is nonzero:
    for the annealing's visible states, mostly zeros (a music frame holds a few notes of 88), a fraction of
    the multiply-adds of a dense product (the AIS step 1.16x faster than with BLAS's product on a trained
    JSB Chorales RNN-RBM, one thread, 2026-12-07; not for the hidden states, about half ones, where BLAS
    is the faster). Each output is the sum over ``k = 0, 1, ...`` in order of ``v_k W_k``, which is what
    the dense product accumulates too when ``v`` is 0 or 1 (a zero term adds exactly nothing). A nonzero
    ``v`` may take any value; ``0 * inf`` in ``W`` counts as nothing."""

    def make_node(self, v, W):
        v, W = pt.as_tensor_variable(v), pt.as_tensor_variable(W)
        if v.ndim != 2 or W.ndim != 2 or v.dtype not in ("float32", "float64") or W.dtype != v.dtype:
            raise TypeError(
                f"zero_skip_dot: v and W must be matrices of one float dtype, got {v.type}, {W.type}"
            )
        return Apply(self, [v, W], [pt.tensor(dtype=v.dtype, shape=(v.type.shape[0], W.type.shape[1]))])

    def perform(self, node, inputs, outputs):
        v, W = inputs
        if v.shape[1] != W.shape[0]:
            raise ValueError(f"zero_skip_dot: v {v.shape} and W {W.shape} do not agree")
        outputs[0][0] = np.dot(v, W).astype(v.dtype)

    def pullback(self, inputs, outputs, output_grads):
        v, W = inputs
        (g,) = output_grads
        return [pt.dot(g, W.T), pt.dot(v.T, g)]

    def c_code(self, node, name, inp, out, sub):
        v, W = inp
        (z,) = out
        _, ctype, typenum = node.outputs[0].type.dtype_specs()
        fail = sub["fail"]
        return f"""
{{
PyArrayObject* vc = PyArray_GETCONTIGUOUS({v});
PyArrayObject* wc = PyArray_GETCONTIGUOUS({W});
if (!vc || !wc) {{ Py_XDECREF(vc); Py_XDECREF(wc); {fail} }}
long R = (long)PyArray_DIMS(vc)[0], K = (long)PyArray_DIMS(vc)[1], H = (long)PyArray_DIMS(wc)[1];
if (PyArray_DIMS(wc)[0] != K) {{
    PyErr_Format(PyExc_ValueError, "zero_skip_dot: v %ld x %ld and W %ld x %ld do not agree", R, K,
                 (long)PyArray_DIMS(wc)[0], H);
    Py_DECREF(vc); Py_DECREF(wc); {fail}
}}
npy_intp dims[2] = {{R, H}};
if (!{z} || !PyArray_IS_C_CONTIGUOUS({z}) || PyArray_DIMS({z})[0] != R || PyArray_DIMS({z})[1] != H) {{
    Py_XDECREF({z});
    {z} = (PyArrayObject*)PyArray_EMPTY(2, dims, {typenum}, 0);
    if (!{z}) {{ Py_DECREF(vc); Py_DECREF(wc); {fail} }}
}}
Py_BEGIN_ALLOW_THREADS
rnnrnade_sp::zero_skip_dot(({ctype}*)PyArray_DATA(vc), ({ctype}*)PyArray_DATA(wc),
                           ({ctype}*)PyArray_DATA({z}), R, K, H);
Py_END_ALLOW_THREADS
Py_DECREF(vc); Py_DECREF(wc);
}}
"""


def logit(u):
    """``log(u / (1 - u))`` elementwise, vectorised: the logistic noise of a Bernoulli draw
    ``logit(u) < a``."""
    return Logit()(u)


def softplus_diff_sum(a, beta_hi, beta_lo):
    """``sum_j softplus(beta_hi a_j) - softplus(beta_lo a_j)`` over the last axis of ``a`` (any ndim >= 1)."""
    a = pt.as_tensor_variable(a)
    rows = SoftplusDiffSum()(a.reshape((-1, a.shape[-1])), beta_hi, beta_lo)
    return rows.reshape(a.shape[:-1], ndim=a.ndim - 1)


def group_threshold(noise, groups, x=None, scale=None, bias=None):
    """``noise[:, groups] < a`` as 1 or 0, with ``a = scale * x + bias`` (either term may be omitted;
    ``noise`` M x G x n, ``groups`` N, ``x`` M x N x n, ``bias`` N x n), in one pass: the Bernoulli draws of
    rows that share their group's noise.

    >>> import numpy as np
    >>> noise = np.array([[[0.0, 1.0], [2.0, -1.0]]])  # 1 chain, 2 groups, 2 units
    >>> group_threshold(noise, np.array([1, 0, 1]), bias=np.zeros((3, 2))).eval()
    array([[[0., 1.],
            [0., 0.],
            [0., 1.]]])
    """
    with_x, with_bias = x is not None, bias is not None
    if with_x and scale is None:
        scale = 1.0
    noise = pt.as_tensor_variable(noise)
    args = ([x, pt.as_tensor_variable(scale).astype(noise.dtype)] if with_x else []) + (
        [bias] if with_bias else []
    )
    return GroupThreshold(with_x, with_bias)(noise, groups, *args)


def group_threshold_numpy(noise, groups, x=None, scale=None, bias=None):
    """The Op by NumPy (M x N x n)."""
    dtype = noise.dtype
    if x is not None:
        a = np.asarray(scale, dtype) * x if scale is not None else x
        a = a + bias if bias is not None else a
    else:
        a = np.broadcast_to(bias, (noise.shape[0], *bias.shape))
    return (noise[:, groups] < a).astype(dtype)


def zero_skip_dot(v, W):
    """``v W`` over the last axis of ``v`` (any ndim >= 2), skipping the zero entries of ``v``
    (:class:`ZeroSkipDot`).

    >>> import numpy as np
    >>> zero_skip_dot(np.array([[1.0, 0.0, 1.0]]), np.arange(6.0).reshape(3, 2)).eval()
    array([[4., 6.]])
    """
    v = pt.as_tensor_variable(v)
    rows = ZeroSkipDot()(v.reshape((-1, v.shape[-1])), W)
    return rows.reshape((*v.shape[:-1], rows.shape[-1]), ndim=v.ndim)


def softplus_diff_sum_numpy(a, beta_hi, beta_lo):
    """The Op by NumPy (R)."""
    return (np.logaddexp(0, beta_hi * a) - np.logaddexp(0, beta_lo * a)).sum(axis=-1).astype(a.dtype)


_REGISTERED: set[str] = set()


def register_backends(backend: str) -> None:
    """Teach PyTensor's JAX backend the Ops (once); the C backend compiles their C code, Numba their
    ``perform``."""
    if backend != "jax" or "jax" in _REGISTERED:
        return
    import jax
    from pytensor.link.jax.dispatch import jax_funcify

    @jax_funcify.register(SoftplusDiffSum)
    def _jax_softplus_diff_sum(op, **kwargs):
        def softplus_diff(a, beta_hi, beta_lo):
            return (jax.nn.softplus(beta_hi * a) - jax.nn.softplus(beta_lo * a)).sum(axis=-1)

        return softplus_diff

    @jax_funcify.register(GroupThreshold)
    def _jax_group_threshold(op, **kwargs):
        def threshold(noise, groups, *args):
            if op.with_x:
                a = args[1] * args[0]
                a = a + args[2] if op.with_bias else a
            else:
                a = args[0][None]
            return (noise[:, groups] < a).astype(noise.dtype)

        return threshold

    @jax_funcify.register(ZeroSkipDot)
    def _jax_zero_skip_dot(op, **kwargs):
        return lambda v, W: v @ W

    @jax_funcify.register(Logit)
    def _jax_logit(op, **kwargs):
        return lambda u: jax.numpy.log(u / (1 - u))

    _REGISTERED.add("jax")
