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
    Logit,
    SoftplusDiffSum,
    logit,
    softplus_diff_sum,
    softplus_diff_sum_numpy,
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
    assert SoftplusDiffSum in ops and Logit in ops
