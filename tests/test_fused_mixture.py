"""The fused mixture Op (``rnnrnade_pt.kernels.fused_mixture``): its C code against NumPy and against the
graph it replaces (``ops.mixture_logpdf`` and ``pytensor.grad`` of it), its gradient against finite
differences, on every backend; Gaussian and Laplace components, biases per row and shared. The number of
(row, dimension) pairs is chosen so that the last SIMD block is partly filled."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.gradient import verify_grad

import rnnrnade_pt as rp
from rnnrnade_pt.backend import backend_mode, compile_function
from rnnrnade_pt.density_model import model_class
from rnnrnade_pt.kernels.fused_mixture import (
    FusedMixture,
    fused_mixture,
    mixture_grads_numpy,
    mixture_logp_numpy,
)
from rnnrnade_pt.ops import mixture_logpdf


def _values(rng, N, D, K, per_row, dtype="float64"):
    bias_shape = (N, D, K) if per_row else (1, D, K)
    values = [rng.standard_normal((N, D)), rng.standard_normal((N, D, 3 * K))]
    values += [0.5 * rng.standard_normal(bias_shape) for _ in range(3)]
    return [v.astype(dtype) for v in values]


def _symbols(dtype, per_row):
    bias = (
        (lambda n: pt.tensor3(n, dtype=dtype))
        if per_row
        else (lambda n: pt.tensor(n, dtype=dtype, shape=(1, None, None)))
    )
    return [
        pt.matrix("x", dtype=dtype),
        pt.tensor3("z", dtype=dtype),
        bias("b_alpha"),
        bias("b_mu"),
        bias("b_sigma"),
    ]


def _compiled(dtype, mixture, per_row, backend="c"):
    """The Op and its pytensor.grad gradients w.r.t. z and the biases; on C also the same from the graph (its
    slices of z have symbolic bounds, which JAX does not take)."""
    x, z, *biases = _symbols(dtype, per_row)
    g = pt.matrix("g", dtype=dtype)
    logps = [fused_mixture(x, z, *biases, mixture=mixture)]
    if backend == "c":
        K = z.shape[2] // 3
        za, mu, zs = z[..., :K] + biases[0], z[..., K : 2 * K] + biases[1], z[..., 2 * K :] + biases[2]
        logps.append(mixture_logpdf(x, za, mu, zs, mixture).logp)
    outs = []
    for logp in logps:
        outs += [logp, *pytensor.grad((logp * g).sum(), [z, *biases])]
    return compile_function([x, z, *biases, g], outs, backend, name="mixture_check")


def rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.fixture(scope="module")
def compiled():
    cache = {}

    def get(dtype, mixture, per_row, backend="c"):
        key = (dtype, mixture, per_row, backend)
        if key not in cache:
            cache[key] = _compiled(*key)
        return cache[key]

    return get


@pytest.mark.parametrize("mixture", ["gaussian", "laplace"])
@pytest.mark.parametrize("per_row", [True, False])
@pytest.mark.parametrize("N, D, K", [(37, 5, 3), (1, 1, 1), (16, 4, 10)])
def test_c_code_matches_numpy_and_the_graph(compiled, mixture, per_row, N, D, K):
    rng = np.random.default_rng(N * 10 + K)
    values = _values(rng, N, D, K, per_row)
    g = rng.standard_normal((N, D))
    out = compiled("float64", mixture, per_row)(*values, g)
    fused, graph = out[:5], out[5:]
    assert fused[0].shape == (N, D)
    assert rel(fused[0], mixture_logp_numpy(*values, mixture=mixture)) <= 1e-13
    for got, want in zip(fused[1:], mixture_grads_numpy(*values, g, mixture=mixture), strict=True):
        assert rel(got, want) <= 1e-13
    for name, got, want in zip(("logp", "z", "b_alpha", "b_mu", "b_sigma"), fused, graph, strict=True):
        assert got.shape == want.shape, name
        assert rel(got, want) <= 1e-13, name


@pytest.mark.parametrize("mixture", ["gaussian", "laplace"])
def test_gradient_matches_finite_differences(mixture):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((11, 4))

    def logp_of(z, b_alpha, b_mu, b_sigma):
        return fused_mixture(pt.as_tensor(x), z, b_alpha, b_mu, b_sigma, mixture=mixture)

    values = _values(rng, 11, 4, 3, per_row=True)[1:]  # z and the biases; x is data
    verify_grad(logp_of, values, rng=rng, mode=backend_mode("c"), abs_tol=1e-6, rel_tol=1e-6)


def test_the_same_numbers_at_every_call(compiled):
    rng = np.random.default_rng(4)
    values, g = _values(rng, 203, 7, 5, per_row=True), rng.standard_normal((203, 7))
    fn = compiled("float64", "gaussian", True)
    first = [np.array(o) for o in fn(*values, g)]
    for _ in range(3):
        assert all(np.array_equal(a, np.asarray(b)) for a, b in zip(first, fn(*values, g), strict=True))


@pytest.mark.parametrize("mixture", ["gaussian", "laplace"])
def test_float32_within_float32_tolerance(compiled, mixture):
    rng = np.random.default_rng(5)
    values, g = _values(rng, 50, 6, 4, per_row=False), rng.standard_normal((50, 6))
    out = compiled("float32", mixture, False)(*[v.astype("float32") for v in values], g.astype("float32"))
    assert all(o.dtype == np.float32 for o in out)
    want = [mixture_logp_numpy(*values, mixture=mixture), *mixture_grads_numpy(*values, g, mixture=mixture)]
    assert all(rel(o, w) <= 2e-6 for o, w in zip(out[:5], want, strict=True))


def test_bad_shapes_are_one_line_errors(compiled):
    rng = np.random.default_rng(6)
    x, z, *biases = _values(rng, 5, 3, 2, per_row=True)
    fn = compiled("float64", "gaussian", True)
    with pytest.raises(ValueError, match="shapes do not agree"):
        fn(x, z[:, :, :5], *biases, np.zeros((5, 3)))
    with pytest.raises(ValueError, match="shapes do not agree"):
        fn(x, z, biases[0][:, :2], *biases[1:], np.zeros((5, 3)))
    with pytest.raises(TypeError, match="cast them to one dtype"):
        FusedMixture()(*_symbols("float64", True)[:4], pt.tensor3(dtype="float32"))
    with pytest.raises(ValueError, match="mixture must be in"):
        FusedMixture("student")


@pytest.mark.parametrize("model", ["rnade laplace", "rnn-rnade laplace", "rnn-rnade conditioned-mu"])
def test_fused_graph_equals_fast_graph(model):
    """Whole models beside tests/test_fused_frame.py's: Laplace components, and RNN-RNADE with some biases
    shared by the rows (not conditioned) and others per row."""
    model, _, variant = model.partition(" ")
    options = {"mixture": "laplace"} if variant == "laplace" else {"conditioned": ["mu"]}
    cfg = rp.ModelConfig.from_options(model, D=5, H=6, K=3, R=4, **options)
    m = model_class(cfg)(cfg, rp.init_params(cfg, seed=7, scale=0.4), "c")
    rng = np.random.default_rng(8)
    if model == "rnade":
        X, mask = rng.standard_normal((23, 5)), None
    else:
        X, mask = rng.standard_normal((7, 3, 5)), np.ones((7, 3))
        mask[5:, 1] = 0
        X[mask == 0] = np.nan
    assert rel(m.loglik(X, mask, graph="fused").per_frame, m.loglik(X, mask, graph="fast").per_frame) <= 1e-12
    (_, g_fast), (_, g_fused) = m.gradients(X, mask, graph="fast"), m.gradients(X, mask, graph="fused")
    for name in g_fast:
        assert rel(g_fused[name], g_fast[name]) <= 1e-10, name


@pytest.mark.parametrize("backend", ["jax", pytest.param("numba", marks=pytest.mark.slow)])
def test_other_backends_run_the_op(compiled, backend):
    pytest.importorskip(backend)
    rng = np.random.default_rng(9)
    values, g = _values(rng, 13, 4, 3, per_row=False), rng.standard_normal((13, 4))
    out = compiled("float64", "gaussian", False, backend)(*values, g)
    want = compiled("float64", "gaussian", False)(*values, g)[:5]
    assert all(rel(o, w) <= 1e-12 for o, w in zip(out, want, strict=True))
