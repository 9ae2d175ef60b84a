"""The AIS Ops (``rnnrnade_pt.kernels.ais_math``): their C code against NumPy's own ``logaddexp`` and
``log1p`` on values from 0 to the ends of the floating-point range, their gradients against finite
differences, the same numbers at every call, float32, and the other backends."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.gradient import verify_grad

from rnnrnade_pt.backend import backend_mode, compile_function
from rnnrnade_pt.kernels.ais_math import (
    GroupThreshold,
    Logit,
    SoftplusDiffSum,
    ZeroSkipDot,
    group_threshold,
    group_threshold_numpy,
    logit,
    softplus_diff_sum,
    softplus_diff_sum_numpy,
    zero_skip_dot,
)


def _compiled(dtype="float64", backend="c"):
    a, u = pt.matrix("a", dtype=dtype), pt.tensor3("u", dtype=dtype)
    bh, bl = pt.scalar("bh", dtype=dtype), pt.scalar("bl", dtype=dtype)
    outputs = [softplus_diff_sum(a, bh, bl), logit(u)]
    return compile_function([a, bh, bl, u], outputs, backend, name="ais_math")


@pytest.fixture(scope="module")
def c64():
    return _compiled()


def _a(rng, R, H):
    a = 10 * rng.standard_normal((R, H))
    a.flat[::7] = 0.0
    a.flat[1::11] *= 80  # |beta a| well past where exp(-|x|) underflows to 0
    return a


def _u(rng, shape):
    u = rng.uniform(0, 1, shape)
    u.flat[0], u.flat[-1] = 1e-300, 1 - 2.0**-53  # the ends of a double's (0, 1)
    return u


@pytest.mark.parametrize("R, H", [(1, 1), (3, 7), (37, 150), (64, 33)])
@pytest.mark.parametrize("betas", [(0.25, 0.125), (1.0, 0.999), (0.001, 0.0)])
def test_c_code_matches_numpy(c64, R, H, betas):
    rng = np.random.default_rng(R * 1000 + H)
    a, u = _a(rng, R, H), _u(rng, (2, R, H))
    got, lg = c64(a, *betas, u)
    assert got.shape == (R,) and lg.shape == u.shape
    want = softplus_diff_sum_numpy(a, *betas)
    # log(1 + e) for log1p(e): within 3e-16 of the exact softplus per unit (1e-16 scaled by |beta a| for
    # the max(x, 0) part), whatever the size of the terms
    tol = 4e-16 * H + 2e-16 * np.abs(a).sum(axis=-1) * betas[0]
    assert np.all(np.abs(got - want) <= tol)
    exact = np.log(u) - np.log1p(-u)
    assert np.all(np.abs(lg - exact) <= 4e-16 * np.maximum(1.0, np.abs(exact)))


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    mode = backend_mode("c")
    verify_grad(
        lambda a, bh, bl: softplus_diff_sum(a, bh, bl),
        [rng.standard_normal((5, 6)), 0.7, 0.3],
        rng=rng,
        mode=mode,
        abs_tol=1e-6,
        rel_tol=1e-6,
    )
    verify_grad(logit, [rng.uniform(0.05, 0.95, (4, 3))], rng=rng, mode=mode, abs_tol=1e-6, rel_tol=1e-6)


def test_any_number_of_leading_axes(c64):
    rng = np.random.default_rng(4)
    a = pt.tensor3("a")
    f = compile_function([a], softplus_diff_sum(a, 0.6, 0.2), "c", name="ais_math_3d")
    x = rng.standard_normal((3, 4, 5))
    np.testing.assert_allclose(f(x), softplus_diff_sum_numpy(x, 0.6, 0.2), rtol=1e-13, atol=1e-15)


def test_the_same_numbers_at_every_call(c64):
    rng = np.random.default_rng(5)
    a, u = _a(rng, 2003, 150), _u(rng, (10, 300, 88))
    first = [np.array(o) for o in c64(a, 0.5, 0.4, u)]
    for _ in range(3):
        assert all(np.array_equal(x, np.asarray(y)) for x, y in zip(first, c64(a, 0.5, 0.4, u), strict=True))


def test_float32():
    rng = np.random.default_rng(6)
    a, u = rng.standard_normal((20, 30)), rng.uniform(0.01, 0.99, (2, 3, 4))
    s, lg = _compiled("float32")(a.astype("float32"), np.float32(0.9), np.float32(0.8), u.astype("float32"))
    assert s.dtype == lg.dtype == np.float32
    np.testing.assert_allclose(s, softplus_diff_sum_numpy(a, 0.9, 0.8), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(lg, np.log(u) - np.log1p(-u), rtol=1e-5, atol=1e-6)


def test_bad_inputs_are_one_line_errors():
    with pytest.raises(TypeError, match="2-d float32 or float64"):
        SoftplusDiffSum()(pt.lmatrix(), 1.0, 0.5)
    with pytest.raises(TypeError, match="2-d float32 or float64"):
        SoftplusDiffSum()(pt.vector(), 1.0, 0.5)
    with pytest.raises(TypeError, match="scalars"):
        softplus_diff_sum(pt.matrix(), pt.vector(), 0.5)
    with pytest.raises(TypeError, match="float32 or float64"):
        logit(pt.lvector())


@pytest.mark.parametrize("backend", ["jax", pytest.param("numba", marks=pytest.mark.slow)])
def test_other_backends_run_the_ops(backend):
    pytest.importorskip(backend)
    rng = np.random.default_rng(7)
    a, u = rng.standard_normal((6, 5)), rng.uniform(0.01, 0.99, (2, 3, 4))
    s, lg = _compiled("float64", backend)(a, 0.9, 0.8, u)
    np.testing.assert_allclose(s, softplus_diff_sum_numpy(a, 0.9, 0.8), rtol=1e-13)
    np.testing.assert_allclose(lg, np.log(u) - np.log1p(-u), rtol=1e-13, atol=1e-15)


def test_loading_the_ops_leaves_the_process_floating_point_mode_alone(c64):
    c64(np.ones((1, 1)), 1.0, 0.5, np.full((1, 1, 1), 0.5))
    assert np.array([1e-310]) * np.float64(1.0) != 0.0


def test_the_annealing_uses_them():
    """The AIS graph's temperature step holds the Ops, not the elementwise softplus and logits."""
    from pytensor.scan.op import Scan

    from rnnrnade_pt.kernels.rbm import ais_log_z

    rng = pytensor.shared(np.random.default_rng(0))
    W, bv, bh = pt.matrix("W"), pt.matrix("bv"), pt.matrix("bh")
    f = compile_function([W, bv, bh], ais_log_z(W, bv, bh, 2, 3, rng).log_z, "c", name="ais")
    (scan,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    ops = {type(n.op) for n in scan.op.fgraph.toposort()}
    assert SoftplusDiffSum in ops and Logit in ops and GroupThreshold in ops and ZeroSkipDot in ops
    assert not any("AdvancedSubtensor" in op.__name__ for op in ops)  # no gather of the noise


def _group_threshold_fn(dtype="float64", backend="c", form="x"):
    """A compiled ``group_threshold`` of one of its three forms: ``x`` (``s * x``), ``x+b`` or ``b``."""
    noise, x, g = pt.tensor3("noise", dtype=dtype), pt.tensor3("x", dtype=dtype), pt.lvector("g")
    s, b = pt.scalar("s", dtype=dtype), pt.matrix("b", dtype=dtype)
    args = {"x": (x, s, None), "x+b": (x, s, b), "b": (None, None, b)}[form]
    ins = [noise, g] + [a for a in args if a is not None]
    return compile_function(ins, group_threshold(noise, g, *args), backend, name="group_threshold")


def _threshold_case(rng, dtype, M, G, N, n):
    noise = rng.logistic(size=(M, G, n)).astype(dtype)
    g = rng.integers(0, G, N)
    x, s, b = rng.logistic(size=(M, N, n)).astype(dtype), dtype_scalar(dtype, 0.7), rng.logistic(size=(N, n))
    return noise, g, x, s, b.astype(dtype)


def dtype_scalar(dtype, value):
    return np.asarray(value, dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("form", ["x", "x+b", "b"])
@pytest.mark.parametrize("M, G, N, n", [(1, 1, 1, 1), (3, 5, 17, 7), (10, 1024, 300, 88)])
def test_group_threshold_is_the_gather_and_compare(dtype, form, M, G, N, n):
    """Bit for bit ``noise[:, groups] < a`` with ``a`` as PyTensor's elementwise graph computes it, ties
    included (``<``, not ``<=``)."""
    rng = np.random.default_rng(M * G + N * n)
    noise, g, x, s, b = _threshold_case(rng, dtype, M, G, N, n)
    if form != "b":  # exact ties in the first half of the rows: no draw there
        x[:, : N // 2] = noise[:, g[: N // 2]] / s
        a = {"x": s * x, "x+b": s * x + b}[form]
    else:
        b[: N // 2] = noise[0, g[: N // 2]]
        a = np.broadcast_to(b, (M, N, n))
    args = {"x": (x, s), "x+b": (x, s, b), "b": (b,)}[form]
    got = _group_threshold_fn(dtype, form=form)(noise, g, *args)
    assert got.dtype == dtype and got.shape == (M, N, n)
    assert np.array_equal(got, (noise[:, g] < a).astype(dtype))
    kw = {"x": dict(x=x, scale=s), "x+b": dict(x=x, scale=s, bias=b), "b": dict(bias=b)}[form]
    assert np.array_equal(got, group_threshold_numpy(noise, g, **kw))
    # and against PyTensor's own elementwise graph of the same expression
    tx, ts, tb = pt.tensor3(dtype=dtype), pt.scalar(dtype=dtype), pt.matrix(dtype=dtype)
    ta = {"x": ts * tx, "x+b": ts * tx + tb, "b": pt.shape_padleft(tb)}[form]
    ins = {"x": [tx, ts], "x+b": [tx, ts, tb], "b": [tb]}[form]
    want = compile_function(ins, ta, "c", name="elementwise_a")(*args)
    assert np.array_equal(got, (noise[:, g] < want).astype(dtype))


def test_group_threshold_bad_inputs_are_one_line_errors():
    f = _group_threshold_fn()
    one = np.float64(1.0)
    with pytest.raises(ValueError, match=r"outside \[0, 4\)"):
        f(np.zeros((2, 4, 3)), np.array([0, 4]), np.zeros((2, 2, 3)), one)
    with pytest.raises(ValueError, match="do not agree"):
        f(np.zeros((2, 4, 3)), np.array([0, 1]), np.zeros((2, 2, 5)), one)
    with pytest.raises(ValueError, match="do not agree"):
        _group_threshold_fn(form="b")(np.zeros((2, 4, 3)), np.array([0, 1]), np.zeros((3, 3)))
    with pytest.raises(TypeError, match="vector of integers"):
        group_threshold(pt.tensor3(), pt.vector(), pt.tensor3())
    with pytest.raises(TypeError, match="in float32"):
        group_threshold(pt.tensor3(dtype="float32"), pt.lvector(), pt.tensor3())
    with pytest.raises(ValueError, match="x, a bias or both"):
        GroupThreshold(False, False)


def test_group_threshold_has_no_gradient():
    """A draw is a constant: a cost through it is disconnected from the probabilities."""
    x = pt.tensor3("x")
    cost = group_threshold(pt.tensor3("noise"), pt.lvector("g"), x, 0.5).sum()
    with pytest.raises(pytensor.gradient.DisconnectedInputError):
        pytensor.grad(cost, x)


@pytest.mark.parametrize("backend", ["jax", pytest.param("numba", marks=pytest.mark.slow)])
@pytest.mark.parametrize("form", ["x", "x+b", "b"])
def test_other_backends_run_group_threshold(backend, form):
    pytest.importorskip(backend)
    noise, g, x, s, b = _threshold_case(np.random.default_rng(8), "float64", 2, 4, 5, 3)
    args = {"x": (x, s), "x+b": (x, s, b), "b": (b,)}[form]
    kw = {"x": dict(x=x, scale=s), "x+b": dict(x=x, scale=s, bias=b), "b": dict(bias=b)}[form]
    got = _group_threshold_fn("float64", backend, form)(noise, g, *args)
    assert np.array_equal(got, group_threshold_numpy(noise, g, **kw))


def _zero_skip_fn(dtype="float64", backend="c", ndim=2):
    v, W = pt.tensor("v", dtype=dtype, shape=(None,) * ndim), pt.matrix("W", dtype=dtype)
    return compile_function([v, W], zero_skip_dot(v, W), backend, name="zero_skip_dot")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("R, K, H, density", [(1, 1, 1, 1.0), (7, 88, 150, 0.05), (300, 150, 88, 0.5)])
def test_zero_skip_dot_is_the_product_summed_in_order(dtype, R, K, H, density):
    """Each output is sum_k v_k W_k over the nonzero v_k in the order of k, bit for bit (the dense product
    on a 0/1 matrix accumulates the same terms; BLAS may group them otherwise, so against it: to rounding)."""
    rng = np.random.default_rng(R + K + H)
    v = (rng.random((R, K)) < density).astype(dtype)
    v[0, :2] = [2.5, -1.0][: min(2, K)]  # any nonzero value counts, not only ones
    W = rng.standard_normal((K, H)).astype(dtype)
    got = _zero_skip_fn(dtype)(v, W)
    want = np.zeros((R, H), dtype)
    for k in range(K):
        want = want + v[:, k : k + 1] * W[k]  # zero rows add exact zeros
    assert got.dtype == dtype and np.array_equal(got, want)
    np.testing.assert_allclose(got, v @ W, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-5)


def test_zero_skip_dot_any_leading_axes_gradient_and_errors():
    rng = np.random.default_rng(9)
    v, W = (rng.random((2, 3, 4)) < 0.3).astype(float), rng.standard_normal((4, 5))
    np.testing.assert_allclose(_zero_skip_fn(ndim=3)(v, W), v @ W, rtol=1e-13)
    mode = backend_mode("c")
    verify_grad(
        zero_skip_dot, [rng.standard_normal((3, 4)), W], rng=rng, mode=mode, abs_tol=1e-6, rel_tol=1e-6
    )
    with pytest.raises(ValueError, match="do not agree"):
        _zero_skip_fn()(np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(TypeError, match="one float dtype"):
        ZeroSkipDot()(pt.matrix(dtype="float32"), pt.matrix())


@pytest.mark.parametrize("backend", ["jax", pytest.param("numba", marks=pytest.mark.slow)])
def test_other_backends_run_zero_skip_dot(backend):
    pytest.importorskip(backend)
    rng = np.random.default_rng(10)
    v, W = (rng.random((4, 6)) < 0.3).astype(float), rng.standard_normal((6, 3))
    np.testing.assert_allclose(_zero_skip_fn("float64", backend)(v, W), v @ W, rtol=1e-13)
