"""The fused frame Op (``rnnrnade_pt.kernels.fused_frame``): its C code against NumPy and against the fast
graph it replaces, its gradient against finite differences, on every backend; float64 to 1e-12, float32 to its
own looser tolerance. Shapes are chosen so that row blocks are partly filled (N not a multiple of the
block)."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.gradient import verify_grad

import rnnrnade_pt as rp
from rnnrnade_pt.backend import backend_mode, compile_function
from rnnrnade_pt.density_model import model_class
from rnnrnade_pt.kernels.fused_frame import FusedFrame, frame_grads_numpy, frame_outputs_numpy, fused_frame


def _args(rng, N, D, H, P, dtype="float64"):
    values = [
        rng.standard_normal((N, D)),
        0.5 * rng.standard_normal((H, D)),
        0.5 * rng.standard_normal((N, H)),
        1 + 0.3 * rng.standard_normal(D),
        0.5 * rng.standard_normal((D, H, P)),
    ]
    return [v.astype(dtype) for v in values]


def _symbols(dtype):
    return [
        pt.matrix("x", dtype=dtype),
        pt.matrix("W", dtype=dtype),
        pt.matrix("c", dtype=dtype),
        pt.vector("rho", dtype=dtype),
        pt.tensor3("V", dtype=dtype),
    ]


def _compiled(dtype, backend="c", activation="sigmoid"):
    x, W, c, rho, V = _symbols(dtype)
    gz = pt.tensor3("gz", dtype=dtype)
    z = fused_frame(x, W, c, rho, V, activation)
    grads = pytensor.grad((z * gz).sum(), [W, c, rho, V])
    return compile_function([x, W, c, rho, V, gz], [z, *grads], backend, name="fused_check")


def rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.fixture(scope="module")
def c64():
    return _compiled("float64")


@pytest.fixture(scope="module")
def c64_relu():
    return _compiled("float64", activation="relu")


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@pytest.mark.parametrize("N, D, H, P", [(37, 5, 7, 6), (1, 1, 3, 1), (16, 4, 16, 9), (9, 3, 5, 30)])
def test_c_code_matches_numpy(c64, c64_relu, activation, N, D, H, P):
    rng = np.random.default_rng(N * 100 + P)
    args = _args(rng, N, D, H, P)
    gz = rng.standard_normal((N, D, P))
    z, *grads = (c64_relu if activation == "relu" else c64)(*args, gz)
    assert z.shape == (N, D, P)
    assert rel(z, frame_outputs_numpy(*args, activation=activation)) <= 1e-12
    want_grads = frame_grads_numpy(*args, gz, activation=activation)
    for name, got, want in zip(("W", "c", "rho", "V"), grads, want_grads, strict=True):
        assert got.shape == want.shape, name
        assert rel(got, want) <= 1e-12, name


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_gradient_matches_finite_differences(activation):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((11, 4))

    def z_of(W, c, rho, V):
        return fused_frame(pt.as_tensor(x), W, c, rho, V, activation)

    args = _args(rng, 11, 4, 5, 3)[1:]  # W, c, rho, V; x is data
    verify_grad(z_of, args, rng=rng, mode=backend_mode("c"), abs_tol=1e-5, rel_tol=1e-5)


def test_the_same_numbers_at_every_call(c64):
    """The threads' partial sums are added in a fixed order: repeated calls agree bit for bit."""
    rng = np.random.default_rng(4)
    args = _args(rng, 203, 6, 9, 4)
    gz = rng.standard_normal((203, 6, 4))
    first = [np.array(o) for o in c64(*args, gz)]
    for _ in range(3):
        assert all(np.array_equal(a, np.asarray(b)) for a, b in zip(first, c64(*args, gz), strict=True))


def test_float32_within_float32_tolerance():
    rng = np.random.default_rng(5)
    args = _args(rng, 50, 6, 8, 6)
    gz = rng.standard_normal((50, 6, 6))
    out = _compiled("float32")(*[a.astype("float32") for a in args], gz.astype("float32"))
    want = [frame_outputs_numpy(*args), *frame_grads_numpy(*args, gz)]
    assert all(o.dtype == np.float32 for o in out)
    assert all(rel(o, w) <= 2e-5 for o, w in zip(out, want, strict=True))


def test_bad_shapes_are_one_line_errors(c64):
    rng = np.random.default_rng(6)
    x, W, c, rho, V = _args(rng, 5, 3, 4, 2)
    with pytest.raises(ValueError, match="shapes do not agree"):
        c64(x, W[:, :2], c, rho, V, np.zeros((5, 3, 2)))
    with pytest.raises(ValueError, match="gz must be N x D x P"):
        c64(x, W, c, rho, V, np.zeros((3, 5, 2)))
    with pytest.raises(TypeError, match="cast them to one dtype"):
        FusedFrame()(*_symbols("float64")[:4], pt.tensor3(dtype="float32"))


@pytest.mark.parametrize("model", ["rnade", "rnn-rnade", "rnn-nade", "rnade relu", "rnn-rnade relu"])
def test_fused_graph_equals_fast_graph(model):
    """The whole model: log-likelihood and every pytensor.grad gradient of the fused graph equal the fast
    graph's (padding with garbage in it)."""
    model, _, activation = model.partition(" ")
    sizes = dict(D=5, H=6, K=3, R=4) if model != "rnn-nade" else dict(D=6, H=5, R=4)
    cfg = rp.ModelConfig.from_options(
        model, **sizes, **({"hidden_activation": activation} if activation else {})
    )
    values = rp.init_params(cfg, seed=7, scale=0.4)
    rng = np.random.default_rng(8)
    m = model_class(cfg)(cfg, values, "c")
    if model == "rnade":
        X, mask = rng.standard_normal((23, 5)), None
    else:
        X = (
            rng.standard_normal((7, 3, cfg.D))
            if model == "rnn-rnade"
            else (rng.random((7, 3, 6)) < 0.4) * 1.0
        )
        mask = np.ones((7, 3))
        mask[5:, 1] = 0
        X[mask == 0] = np.nan
    ll_fast, ll_fused = m.loglik(X, mask, graph="fast"), m.loglik(X, mask, graph="fused")
    assert rel(ll_fused.per_frame, ll_fast.per_frame) <= 1e-12
    (_, g_fast), (_, g_fused) = m.gradients(X, mask, graph="fast"), m.gradients(X, mask, graph="fused")
    for name in g_fast:
        assert np.all(np.isfinite(g_fused[name])), name
        assert rel(g_fused[name], g_fast[name]) <= 1e-10, name


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@pytest.mark.parametrize("backend", ["jax", pytest.param("numba", marks=pytest.mark.slow)])
def test_other_backends_run_the_op(backend, activation):
    pytest.importorskip(backend)
    rng = np.random.default_rng(9)
    args = _args(rng, 13, 4, 5, 3)
    gz = rng.standard_normal((13, 4, 3))
    out = _compiled("float64", backend, activation)(*args, gz)
    want = [frame_outputs_numpy(*args, activation), *frame_grads_numpy(*args, gz, activation)]
    assert all(rel(o, w) <= 1e-12 for o, w in zip(out, want, strict=True))


def test_loading_the_op_leaves_the_process_floating_point_mode_alone(c64):
    """The Op's module is not linked with crtfastmath.o (-ffast-math), which would flush denormals to zero
    in the whole process as soon as it loads."""
    rng = np.random.default_rng(10)
    c64(*_args(rng, 3, 2, 2, 1), np.ones((3, 2, 1)))
    assert np.array([1e-310]) * np.float64(1.0) != 0.0
