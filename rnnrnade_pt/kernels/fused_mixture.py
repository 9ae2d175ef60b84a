"""RNADE's mixture log-density and its gradient as one C Op each, vectorised over (row, dimension) pairs.

For N rows ``x`` (N x D), the output layers ``z = [z_alpha | z_mu | z_sigma]`` (N x D x 3K, from
:func:`~rnnrnade_pt.kernels.fused_frame.fused_frame`) and the biases ``b_alpha``, ``b_mu``, ``b_sigma``
(N x D x K per row, as RNN-RNADE's ``b + hhat_{t-1} W_*``, or 1 x D x K shared by the rows),
:class:`FusedMixture` gives ``log p(x_d | x_<d)`` (N x D):

    log p = logsumexp_k (log softmax(z_alpha + b_alpha)_k + log phi_k(x_d; z_mu + b_mu, z_sigma + b_sigma))

with Gaussian or Laplace components written as :mod:`rnnrnade_pt.ops` writes them. In the graph this is a
chain of elementwise loops and two log-sum-exp reductions over N x D x K that PyTensor runs one number at a
time with scalar ``exp`` and ``log`` (30% and 8% of a training step, experiments/NOTES.md, "bench.py"); here
each thread takes blocks of 16 (float32) or 8 (float64) pairs, the components first and the pairs last, so
that every ``exp`` and ``log`` is a SIMD call of glibc's vector math. :class:`FusedMixtureGrad` recomputes the
block's terms and writes ``d/dz`` (N x D x 3K) from the responsibilities ``r_k = alpha_k phi_k / p``:

    d/dz_alpha_k = r_k - alpha_k,   Gaussian: d/dz_mu_k = r_k u_k / sigma_k,   d/dz_sigma_k = r_k (u_k^2 - 1)

(``u_k = (x - mu_k) / sigma_k``; Laplace: ``r_k sign(x - mu_k) / b_k`` and ``r_k (|x - mu_k| / b_k - 1)``),
the supplement's formulas for the output layers; the biases' gradients are its slices, summed over the rows
where a bias is shared. No gradient w.r.t. ``x`` (the data: the fused frame has none either). The C code is
compiled like the fused frame's (:class:`~rnnrnade_pt.kernels.fused_frame.VectorMathCOp`: OpenMP, libmvec,
no ``-ffast-math``); each pair is computed by one thread, so results do not change from call to call. JAX
runs :mod:`jax.numpy` (gradient by ``jax.vjp``), other backends NumPy (``perform``).

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013 (the mixture outputs, section 2).
.. [2] Supplementary Material for the RNN-RNADE model, "Gradients for the RNADE".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import grad_undefined
from pytensor.graph.basic import Apply

from ..config import MIXTURES
from ..ops import LOG_2, LOG_2PI
from .fused_frame import VectorMathCOp, alloc_output, checked_inputs

__all__ = ["FusedMixture", "FusedMixtureGrad", "fused_mixture", "register_backends"]

_SUPPORT = (Path(__file__).with_name("fused_mixture.cpp")).read_text(encoding="utf-8").split("\n", 2)[2]
"""The kernels' C++ source (``fused_mixture.cpp`` beside this module, without its two comment lines)."""

# C code shared by both Ops: check the shapes, take C-contiguous views, describe the biases.
_PROLOGUE = """
long N = PyArray_DIMS({x})[0], D = PyArray_DIMS({x})[1], K = PyArray_DIMS({z})[2] / 3;
int bad = PyArray_DIMS({z})[0] != N || PyArray_DIMS({z})[1] != D || PyArray_DIMS({z})[2] != 3 * K;
PyArrayObject* bs_[3] = {{{ba}, {bm}, {bs}}};
for (int j = 0; j < 3; ++j)
    bad = bad || (PyArray_DIMS(bs_[j])[0] != N && PyArray_DIMS(bs_[j])[0] != 1)
        || PyArray_DIMS(bs_[j])[1] != D || PyArray_DIMS(bs_[j])[2] != K;
if (bad) {{
    PyErr_Format(PyExc_ValueError,
        "fused mixture: shapes do not agree (x %ld x %ld, z %ld x %ld x %ld, biases must be N or 1 x D x K)",
        N, D, (long)PyArray_DIMS({z})[0], (long)PyArray_DIMS({z})[1], (long)PyArray_DIMS({z})[2]);
    {fail}
}}
PyArrayObject* xc = PyArray_GETCONTIGUOUS({x});
PyArrayObject* zc = PyArray_GETCONTIGUOUS({z});
PyArrayObject* bc[3] = {{PyArray_GETCONTIGUOUS({ba}), PyArray_GETCONTIGUOUS({bm}),
                        PyArray_GETCONTIGUOUS({bs})}};
if (!xc || !zc || !bc[0] || !bc[1] || !bc[2]) {{
    Py_XDECREF(xc); Py_XDECREF(zc); Py_XDECREF(bc[0]); Py_XDECREF(bc[1]); Py_XDECREF(bc[2]);
    {fail}
}}
rnnrnade_fm::Bias bias[3];
for (int j = 0; j < 3; ++j) bias[j] = {{PyArray_DATA(bc[j]), PyArray_DIMS(bc[j])[0] == N && N != 1}};
"""

_EPILOGUE = """
Py_XDECREF(xc); Py_XDECREF(zc); Py_XDECREF(bc[0]); Py_XDECREF(bc[1]); Py_XDECREF(bc[2]);
"""


class _MixtureBase(VectorMathCOp):
    __props__ = ("mixture",)
    support = _SUPPORT

    def __init__(self, mixture: str = "gaussian"):
        if mixture not in MIXTURES:
            raise ValueError(f"fused mixture: mixture must be in {MIXTURES}, got {mixture!r}")
        self.mixture = mixture

    @property
    def laplace(self) -> str:
        """The C++ literal of the kernels' runtime flag ``laplace``."""
        return "true" if self.mixture == "laplace" else "false"

    @staticmethod
    def _inputs(x, z, b_alpha, b_mu, b_sigma):
        values = dict(x=x, z=z, b_alpha=b_alpha, b_mu=b_mu, b_sigma=b_sigma)
        return checked_inputs("fused mixture", values, (2, 3, 3, 3, 3))

    def _c_args(self, node, inp, sub):
        x, z, ba, bm, bs = inp[:5]
        _, ctype, typenum = node.outputs[0].type.dtype_specs()
        code = _PROLOGUE.format(x=x, z=z, ba=ba, bm=bm, bs=bs, fail=sub["fail"])
        args = f"({ctype}*)PyArray_DATA(xc), ({ctype}*)PyArray_DATA(zc), bias[0], bias[1], bias[2]"
        return code, ctype, typenum, args


class FusedMixture(_MixtureBase):
    """``log p(x_d | x_<d)`` (N x D) of RNADE's mixture outputs (see the module).

    Inputs ``x`` (N x D), ``z`` (N x D x 3K), ``b_alpha``, ``b_mu``, ``b_sigma`` (N x D x K or 1 x D x K).
    Its gradient is :class:`FusedMixtureGrad` (not w.r.t. ``x``, the data).
    """

    def make_node(self, x, z, b_alpha, b_mu, b_sigma):
        ins = self._inputs(x, z, b_alpha, b_mu, b_sigma)
        return Apply(self, ins, [pt.tensor(dtype=ins[0].dtype, shape=(None, None))])

    def perform(self, node, inputs, outputs):
        outputs[0][0] = mixture_logp_numpy(*inputs, mixture=self.mixture)

    def pullback(self, inputs, outputs, output_grads):
        dz, *dbs = FusedMixtureGrad(self.mixture)(*inputs, output_grads[0])
        gx = grad_undefined(self, 0, inputs[0], "the fused mixture has no gradient w.r.t. the data x")
        return [gx, dz, *dbs]

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]

    def c_code_cache_version(self):
        return (4,)

    def c_code(self, node, name, inp, out, sub):
        (logp,) = out
        code, ctype, typenum, args = self._c_args(node, inp, sub)
        code += alloc_output(logp, 2, "N, D", typenum, _EPILOGUE + sub["fail"])
        code += f"""
Py_BEGIN_ALLOW_THREADS
rnnrnade_fm::forward({args}, ({ctype}*)PyArray_DATA({logp}), N, D, K, {self.laplace});
Py_END_ALLOW_THREADS
"""
        return "{\n" + code + _EPILOGUE + "}\n"  # a block of its own: ``fail`` jumps out of it


class FusedMixtureGrad(_MixtureBase):
    """The gradients of ``sum(g * FusedMixture(x, z, b_alpha, b_mu, b_sigma))`` w.r.t. ``z`` (N x D x 3K) and
    the three biases (each of its bias's shape: summed over the rows where the bias is shared)."""

    def make_node(self, x, z, b_alpha, b_mu, b_sigma, g):
        ins = self._inputs(x, z, b_alpha, b_mu, b_sigma)
        g = pt.as_tensor_variable(g)
        if g.ndim != 2 or g.dtype != ins[0].dtype:
            raise TypeError(f"fused mixture gradient: g must be a 2-d {ins[0].dtype} tensor")
        return Apply(self, [*ins, g], [v.type() for v in ins[1:]])

    def perform(self, node, inputs, outputs):
        for o, v in zip(outputs, mixture_grads_numpy(*inputs, mixture=self.mixture), strict=True):
            o[0] = v

    def infer_shape(self, fgraph, node, shapes):
        return shapes[1:5]

    def c_code_cache_version(self):
        return (4,)

    def c_code(self, node, name, inp, out, sub):
        g = inp[5]
        dz = out[0]
        code, ctype, typenum, args = self._c_args(node, inp, sub)
        code += "PyArrayObject* gc = PyArray_GETCONTIGUOUS(" + g + ");\n"
        epi = _EPILOGUE + "Py_XDECREF(gc);\n"
        code += f"""
if (!gc) {{ {epi} {sub["fail"]} }}
if (PyArray_NDIM(gc) != 2 || PyArray_DIMS(gc)[0] != N || PyArray_DIMS(gc)[1] != D) {{
    PyErr_SetString(PyExc_ValueError, "fused mixture gradient: g must be N x D");
    {epi} {sub["fail"]}
}}
"""
        code += alloc_output(dz, 3, "N, D, 3 * K", typenum, epi + sub["fail"])
        for j, db in enumerate(out[1:]):
            code += alloc_output(db, 3, f"PyArray_DIMS(bc[{j}])[0], D, K", typenum, epi + sub["fail"])
        dbs = ", ".join(f"({ctype}*)PyArray_DATA({db})" for db in out[1:])
        code += f"""
{{
{ctype}* const db[3] = {{{dbs}}};
Py_BEGIN_ALLOW_THREADS
rnnrnade_fm::backward({args}, ({ctype}*)PyArray_DATA(gc), ({ctype}*)PyArray_DATA({dz}), db, N, D, K,
    {self.laplace});
Py_END_ALLOW_THREADS
}}
"""
        return "{\n" + code + epi + "}\n"


def fused_mixture(x, z, b_alpha, b_mu, b_sigma, mixture: str = "gaussian"):
    """``log p(x_d | x_<d)`` (N x D) from the output layers ``z`` (N x D x 3K) and the biases (D x K,
    1 x D x K or N x D x K); see the module.

    >>> import numpy as np
    >>> x, z, b = np.array([[0.0], [1.0]]), np.zeros((2, 1, 3)), np.zeros((1, 1))  # K = 1: N(0, 1)
    >>> fused_mixture(x, z, b, b, b).eval().round(4).tolist()
    [[-0.9189], [-1.4189]]
    """
    biases = [pt.as_tensor_variable(b) for b in (b_alpha, b_mu, b_sigma)]
    biases = [pt.shape_padleft(b) if b.ndim == 2 else b for b in biases]
    return FusedMixture(mixture)(x, z, *biases)


# -- NumPy: the Ops' perform, and the reference the tests compare the C code with ----------------------
def _terms_numpy(x, z, b_alpha, b_mu, b_sigma, mixture):
    K = z.shape[2] // 3
    za, mu, zs = z[..., :K] + b_alpha, z[..., K : 2 * K] + b_mu, z[..., 2 * K :] + b_sigma
    m = za.max(axis=-1, keepdims=True)
    log_alpha = za - (m + np.log(np.exp(za - m).sum(axis=-1, keepdims=True)))
    inv, e = np.exp(-zs), x[..., None] - mu
    if mixture == "laplace":
        log_phi = -np.log(2.0) - zs - np.abs(e) * inv
    else:
        log_phi = -0.5 * np.log(2 * np.pi) - zs - 0.5 * (e * inv) ** 2
    t = log_alpha + log_phi
    mt = t.max(axis=-1, keepdims=True)
    logp = mt + np.log(np.exp(t - mt).sum(axis=-1, keepdims=True))
    return log_alpha, t, logp, e, inv


def mixture_logp_numpy(x, z, b_alpha, b_mu, b_sigma, mixture: str = "gaussian"):
    """``log p(x_d | x_<d)`` by NumPy (N x D)."""
    return _terms_numpy(x, z, b_alpha, b_mu, b_sigma, mixture)[2][..., 0].astype(x.dtype)


def mixture_grads_numpy(x, z, b_alpha, b_mu, b_sigma, g, mixture: str = "gaussian"):
    """``d sum(g * logp) / dz`` (N x D x 3K) and the biases' gradients by NumPy."""
    log_alpha, t, logp, e, inv = _terms_numpy(x, z, b_alpha, b_mu, b_sigma, mixture)
    r = g[..., None] * np.exp(t - logp)
    d_alpha = r - g[..., None] * np.exp(log_alpha)
    if mixture == "laplace":
        d_mu, d_sigma = r * np.sign(e) * inv, r * (np.abs(e) * inv - 1)
    else:
        d_mu, d_sigma = r * e * inv * inv, r * ((e * inv) ** 2 - 1)
    parts = (d_alpha, d_mu, d_sigma)
    dbs = [
        d if b.shape[0] == d.shape[0] else d.sum(axis=0, keepdims=True)
        for d, b in zip(parts, (b_alpha, b_mu, b_sigma), strict=True)
    ]
    return [np.concatenate(parts, axis=-1).astype(x.dtype), *(d.astype(x.dtype) for d in dbs)]


# -- other backends ---------------------------------------------------------------------------------------
_REGISTERED: set[str] = set()


def register_backends(backend: str) -> None:
    """Teach PyTensor's JAX backend the two Ops (once; called where the package compiles a function).

    The C backend compiles their C code; Numba runs their NumPy ``perform``.
    """
    if backend != "jax" or "jax" in _REGISTERED:
        return
    import jax
    import jax.numpy as jnp
    from pytensor.link.jax.dispatch import jax_funcify

    def logp_of(mixture):
        def logp(x, z, b_alpha, b_mu, b_sigma):
            K = z.shape[2] // 3
            za, mu, zs = z[..., :K] + b_alpha, z[..., K : 2 * K] + b_mu, z[..., 2 * K :] + b_sigma
            log_alpha = jax.nn.log_softmax(za, axis=-1)
            e, inv = x[..., None] - mu, jnp.exp(-zs)
            if mixture == "laplace":
                log_phi = -LOG_2 - zs - jnp.abs(e) * inv
            else:
                log_phi = -0.5 * LOG_2PI - zs - 0.5 * (e * inv) ** 2
            return jax.nn.logsumexp(log_alpha + log_phi, axis=-1).astype(x.dtype)

        return logp

    @jax_funcify.register(FusedMixture)
    def _jax_mixture(op, **kwargs):
        return logp_of(op.mixture)

    @jax_funcify.register(FusedMixtureGrad)
    def _jax_mixture_grad(op, **kwargs):
        logp = logp_of(op.mixture)

        def mixture_grad(x, z, b_alpha, b_mu, b_sigma, g):
            _, vjp = jax.vjp(lambda *args: logp(x, *args), z, b_alpha, b_mu, b_sigma)
            return vjp(g)

        return mixture_grad

    _REGISTERED.add("jax")
