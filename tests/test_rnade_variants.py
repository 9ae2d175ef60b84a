"""Every variant of the RNADE family (RNADE and RNN-RNADE: Gaussian or Laplace mixtures, sigmoid or rectified
hidden units, the RNN's activation, what it conditions, ``c`` folded into ``W``) through the same checks: the
faithful scan graph, the fast graph, the NumPy reference, ``pytensor.grad`` on both graphs, the explicit
(supplement) gradient and central finite differences, with variable-length batches whose padding holds
garbage. Float64 throughout.

One function per variant is compiled (session fixture) returning everything at once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest
import reference as ref
from pytensor.compile.mode import Mode
from pytensor.graph.replace import graph_replace

import rnnrnade_pt as rp
from rnnrnade_pt.backend import compile_function
from rnnrnade_pt.data.arrays import lengths_to_mask

VARIANTS = {
    "rnade": dict(model="rnade"),
    "rnade-fold_c": dict(model="rnade", fold_c_into_W=True),
    "rnnrnade": dict(model="rnn-rnade"),
    "rnnrnade-tanh-mu_sigma": dict(model="rnn-rnade", rnn_activation="tanh", conditioned=("mu", "sigma")),
    "rnnrnade-condition_c": dict(model="rnn-rnade", condition_c=True, conditioned=("alpha",)),
    "rnnrnade-fold_c-c_only": dict(model="rnn-rnade", fold_c_into_W=True, condition_c=True, conditioned=()),
    "rnade-laplace": dict(model="rnade", mixture="laplace"),
    "rnnrnade-laplace": dict(model="rnn-rnade", mixture="laplace"),
    "rnade-relu": dict(model="rnade", hidden_activation="relu"),
    "rnnrnade-relu-fold_c": dict(model="rnn-rnade", hidden_activation="relu", fold_c_into_W=True),
}
SIZES = dict(D=3, H=4, K=2, R=3)
T, B = 6, 4
LENGTHS = np.array([6, 4, 1, 5])


class Compiled(NamedTuple):
    cfg: rp.ModelConfig
    values: dict
    shared: dict
    fn: object  # (X, mask) -> [scan loglik, fast loglik, *scan grads, *fast grads, *explicit grads]
    names: list


def _make_data(cfg, rng, garbage=True):
    if not cfg.recurrent:
        return rng.standard_normal((7, cfg.D)), None
    X = rng.standard_normal((T, B, cfg.D))
    mask = lengths_to_mask(LENGTHS, T)
    if garbage:
        X[mask == 0] = np.nan
        X[T - 1, 2, 0] = np.inf
    return X, mask


@pytest.fixture(scope="session", params=list(VARIANTS))
def compiled(request) -> Compiled:
    cfg = rp.ModelConfig.from_options(**{**SIZES, **VARIANTS[request.param]})
    rng = np.random.default_rng(1234)
    values = ref.random_params_for(cfg, rng)
    assert set(values) == set(rp.param_shapes(cfg)), "reference and package disagree on parameter names"
    shared = rp.shared_params(cfg, values)
    gs, gf = rp.build(cfg, shared, "scan"), rp.build(cfg, shared, "fast")
    names = list(shared)
    sym_s, sym_f, expl = rp.symbolic_gradients(gs), rp.symbolic_gradients(gf), rp.explicit_gradients(gf)
    inputs_s, inputs_f = _inputs(gs), _inputs(gf)
    scan_outs = [_loglik(gs)] + [sym_s[n] for n in names]
    scan_outs = graph_replace(scan_outs, dict(zip(inputs_s, inputs_f, strict=True)))  # one set of inputs
    outs = scan_outs[:1] + [_loglik(gf)] + scan_outs[1:] + [d[n] for d in (sym_f, expl) for n in names]
    fn = compile_function(inputs_f, outs, backend="c", name=f"check_{request.param}")
    return Compiled(cfg, values, shared, fn, names)


def _inputs(g):
    return [g.X, g.mask] if g.config.recurrent else [g.X]


def _loglik(g):
    return g.frame_loglik if g.config.recurrent else g.loglik


def _run(c: Compiled, X, mask):
    out = [np.asarray(o) for o in (c.fn(X) if mask is None else c.fn(X, mask))]
    n = len(c.names)
    return {
        "ll_scan": out[0],
        "ll_fast": out[1],
        "g_scan": dict(zip(c.names, out[2 : 2 + n], strict=True)),
        "g_fast": dict(zip(c.names, out[2 + n : 2 + 2 * n], strict=True)),
        "g_expl": dict(zip(c.names, out[2 + 2 * n :], strict=True)),
    }


def _reference(c: Compiled, X, mask):
    cfg = c.cfg
    if not cfg.recurrent:
        return ref.rnade_loglik(
            c.values,
            X,
            fold_c_into_W=cfg.fold_c_into_W,
            mixture=cfg.mixture,
            hidden_activation=cfg.hidden_activation,
        )
    return ref.rnnrnade_frame_loglik(
        c.values,
        X,
        mask,
        conditioned=cfg.conditioned,
        condition_c=cfg.condition_c,
        fold_c_into_W=cfg.fold_c_into_W,
        rnn_activation=cfg.rnn_activation,
        mixture=cfg.mixture,
        hidden_activation=cfg.hidden_activation,
    )


def rel_err(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def test_loglik_matches_numpy_reference(compiled):
    X, mask = _make_data(compiled.cfg, np.random.default_rng(0))
    out = _run(compiled, X, mask)
    expected = _reference(compiled, X, mask)
    assert np.all(np.isfinite(out["ll_fast"]))
    np.testing.assert_allclose(out["ll_fast"], expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out["ll_scan"], expected, rtol=1e-12, atol=1e-12)
    if mask is not None:
        assert np.all(out["ll_fast"][mask == 0] == 0)


def test_scan_and_fast_graphs_agree_on_loglik_and_every_gradient(compiled):
    X, mask = _make_data(compiled.cfg, np.random.default_rng(1))
    out = _run(compiled, X, mask)
    assert rel_err(out["ll_scan"], out["ll_fast"]) <= 1e-10
    for n in compiled.names:
        g = out["g_fast"][n]
        assert np.all(np.isfinite(g)), n
        assert np.max(np.abs(g)) > 0, f"gradient of {n} is identically zero"
        assert rel_err(out["g_scan"][n], g) <= 1e-10, n


def test_explicit_gradient_equals_pytensor_grad(compiled):
    X, mask = _make_data(compiled.cfg, np.random.default_rng(2))
    out = _run(compiled, X, mask)
    for n in compiled.names:
        assert rel_err(out["g_expl"][n], out["g_fast"][n]) <= 1e-10, n


def test_explicit_gradient_equals_central_finite_differences(compiled):
    X, mask = _make_data(compiled.cfg, np.random.default_rng(3))
    rng = np.random.default_rng(4)
    g = _run(compiled, X, mask)["g_expl"]

    def total():
        return _run(compiled, X, mask)["ll_fast"].sum()

    eps = 1e-5
    try:
        for n in compiled.names:
            base = compiled.values[n]
            for _ in range(2):
                v = rng.standard_normal(base.shape)
                compiled.shared[n].set_value(base + eps * v)
                up = total()
                compiled.shared[n].set_value(base - eps * v)
                down = total()
                fd = (up - down) / (2 * eps)
                assert abs(fd - np.sum(g[n] * v)) <= 1e-6 * max(1.0, abs(fd)), n
            compiled.shared[n].set_value(base)
    finally:
        for n in compiled.names:
            compiled.shared[n].set_value(compiled.values[n])


def test_padding_contributes_nothing(compiled):
    """A padded batch equals the sum of its sequences evaluated alone, whatever the padding holds."""
    if not compiled.cfg.recurrent:
        pytest.skip("RNADE batches have no padding")
    X, mask = _make_data(compiled.cfg, np.random.default_rng(5))
    batch = _run(compiled, X, mask)
    X2 = X.copy()
    X2[mask == 0] = 1e6  # different garbage, same result
    np.testing.assert_array_equal(_run(compiled, X2, mask)["ll_fast"], batch["ll_fast"])
    sums = {n: 0.0 for n in compiled.names}
    for b, length in enumerate(LENGTHS):
        alone = _run(compiled, X[:length, b : b + 1], np.ones((length, 1)))
        np.testing.assert_allclose(alone["ll_fast"][:, 0], batch["ll_fast"][:length, b], rtol=1e-12)
        for n in compiled.names:
            sums[n] = sums[n] + alone["g_fast"][n]
    for n in compiled.names:
        assert rel_err(batch["g_fast"][n], sums[n]) <= 1e-10, n
        assert rel_err(batch["g_expl"][n], sums[n]) <= 1e-10, n


def test_mask_hole_skips_the_frame(compiled):
    """A 0 inside a sequence skips that frame: the RNN state passes over it unchanged."""
    if not compiled.cfg.recurrent:
        pytest.skip("RNADE batches have no mask")
    rng = np.random.default_rng(6)
    X = rng.standard_normal((5, 1, compiled.cfg.D))
    mask = np.array([[1.0], [1.0], [0.0], [1.0], [1.0]])
    holed = _run(compiled, X, mask)["ll_fast"][:, 0]
    kept = [0, 1, 3, 4]
    alone = _run(compiled, X[kept], np.ones((4, 1)))["ll_fast"][:, 0]
    np.testing.assert_allclose(holed[kept], alone, rtol=1e-12)
    assert holed[2] == 0


def test_c_backend_mode_is_not_numba():
    from pytensor.link.vm import VMLinker

    mode = rp.backend.backend_mode("c")
    assert isinstance(mode, Mode) and isinstance(mode.linker, VMLinker) and mode.linker.c_thunks
    assert mode.linker.use_cloop and not mode.linker.allow_gc  # cvm_nogc: C loop, buffers kept
