"""The same graphs on the C, Numba and JAX backends agree with C to 1e-10 (float64): log-likelihood, both
gradients, whole training runs; sampling draws the same numbers on Numba as on C.

JAX gets static shapes from the package (sequences padded to length buckets, exactly); Numba compiles every
graph for a minute or so per process, so only its fast-graph log-likelihood and gradient run by default
(``RNNRNADE_SLOW_TESTS=1`` runs the rest).
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest
import reference as ref
from tiny import tiny

import rnnrnade_pt as rp
import rnnrnade_pt.data.batching
from rnnrnade_pt.backend import bucket, pad_to_buckets
from rnnrnade_pt.cli import main
from rnnrnade_pt.data.arrays import lengths_to_mask
from rnnrnade_pt.data.datasets import load_dataset
from rnnrnade_pt.train import Trainer

CFG = rp.ModelConfig(model="rnn-rnade", D=3, H=4, K=2, R=3)


def _need(backend):
    module = {"jax": "jax", "numba": "numba"}[backend]
    if importlib.util.find_spec(module) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is not installed; the dev extra installs it")
        pytest.skip(f"{module} not installed (pip install -e '.[dev]')")


@pytest.fixture(scope="module")
def setup():
    values = ref.random_params_for(CFG, np.random.default_rng(11))
    X = np.random.default_rng(12).standard_normal((6, 4, 3))
    mask = lengths_to_mask([6, 3, 5, 1], 6)
    X[mask == 0] = np.nan
    return values, X, mask, rp.RnnRnade(CFG, values, "c")


def rel(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


CASES = [
    pytest.param("jax", "fused", id="jax-fused"),
    pytest.param("jax", "fast", id="jax-fast"),
    pytest.param("jax", "scan", id="jax-scan"),
    pytest.param("numba", "fast", id="numba-fast", marks=pytest.mark.slow),
    pytest.param("numba", "scan", id="numba-scan", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("backend, graph", CASES)
def test_loglik_and_gradients_agree_with_c(setup, backend, graph):
    _need(backend)
    values, X, mask, c_model = setup
    model = rp.RnnRnade(CFG, values, backend)
    ll, ll_c = model.loglik(X, mask, graph=graph), c_model.loglik(X, mask, graph=graph)
    assert ll.per_frame.shape == (6, 4) and ll.frames == ll_c.frames
    assert rel(ll.per_frame, ll_c.per_frame) <= 1e-10
    methods = ["symbolic"] + (["explicit"] if graph == "fast" and backend == "jax" else [])
    for method in methods:
        total, g = model.gradients(X, mask, method=method, graph=graph)
        total_c, g_c = c_model.gradients(X, mask, method=method, graph=graph)
        assert abs(total - total_c) <= 1e-10 * abs(total_c)
        for name in g_c:
            assert rel(g[name], g_c[name]) <= 1e-10, (method, name)


def test_numba_loglik_agrees_with_c(setup):
    """Numba in the default run: the fast graph's log-likelihood (its gradient, minutes of JIT compilation
    of the scans' gradients, is the slow case above)."""
    _need("numba")
    values, X, mask, c_model = setup
    ll = rp.RnnRnade(CFG, values, "numba").loglik(X, mask, graph="fast")
    assert rel(ll.per_frame, c_model.loglik(X, mask, graph="fast").per_frame) <= 1e-10


@pytest.mark.slow
def test_numba_explicit_gradient_agrees_with_c(setup):
    _need("numba")
    values, X, mask, c_model = setup
    _, g = rp.RnnRnade(CFG, values, "numba").gradients(X, mask, method="explicit")
    _, g_c = c_model.gradients(X, mask, method="explicit")
    assert all(rel(g[n], g_c[n]) <= 1e-10 for n in g_c)


def tiny_with_pretraining():
    return tiny(**{"train.epochs": 2, "train.pretrain_epochs": 1})


@pytest.fixture(scope="module")
def c_run(tmp_path_factory):
    cfg = tiny_with_pretraining()
    splits = load_dataset(cfg.data)
    tr = Trainer(cfg, str(tmp_path_factory.mktemp("c_run")), splits)
    tr.fit()
    return splits, tr.model.get_params()


@pytest.mark.parametrize("backend", ["jax", pytest.param("numba", marks=pytest.mark.slow)])
def test_training_runs_agree_with_c(c_run, backend, tmp_path):
    """Pretraining plus two epochs of Adam, shape buckets included: the same parameters as on C."""
    _need(backend)
    splits, params_c = c_run
    tr = Trainer(tiny_with_pretraining().override("backend", backend), str(tmp_path), splits)
    tr.fit()
    params = tr.model.get_params()
    for name in params_c:
        assert rel(params[name], params_c[name]) <= 1e-10, name


@pytest.mark.slow
def test_numba_draws_the_same_samples_as_c(setup):
    _need("numba")
    values, _, _, c_model = setup
    a = rp.RnnRnade(CFG, values, "numba").sample(3, steps=5, seed=4)
    np.testing.assert_allclose(a, c_model.sample(3, steps=5, seed=4), rtol=1e-10)


def test_jax_sampling_says_which_backend_runs_it(setup, caplog, tmp_path, capsys):
    _need("jax")
    values, _, _, c_model = setup
    a = rp.RnnRnade(CFG, values, "jax").sample(2, steps=3, seed=1)
    np.testing.assert_array_equal(a, c_model.sample(2, steps=3, seed=1))
    assert "backend jax cannot compile sampling" in caplog.text and "using backend c" in caplog.text
    run = tmp_path / "run"
    run.mkdir()
    assert main(["sample", "--run", str(run), "--backend", "jax", "--out", str(tmp_path / "s.npz")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "use --backend c" in err


def test_buckets_are_exact_and_few():
    assert [bucket(n) for n in (1, 3, 8, 9, 64, 65, 100, 129)] == [1, 4, 8, 16, 64, 128, 128, 192]
    X = np.ones((5, 3, 2))
    Xp, mp = pad_to_buckets(X, np.ones((5, 3)))
    assert Xp.shape == (8, 4, 2) and mp.sum() == 15 and np.all(Xp[5:] == 0) and np.all(mp[:, 3] == 0)


def test_rnade_on_jax_agrees_with_c():
    _need("jax")
    cfg = rp.ModelConfig(model="rnade", D=3, H=4, K=2)
    values = ref.random_params_for(cfg, np.random.default_rng(5))
    X = np.random.default_rng(6).standard_normal((7, 3))
    jax_model, c_model = rp.Rnade(cfg, values, "jax"), rp.Rnade(cfg, values, "c")
    assert rel(jax_model.loglik(X).per_sequence, c_model.loglik(X).per_sequence) <= 1e-10
    for method in ("symbolic", "explicit"):
        _, g = jax_model.gradients(X, method=method)
        _, g_c = c_model.gradients(X, method=method)
        assert all(rel(g[n], g_c[n]) <= 1e-10 for n in g_c), method


def test_float32_training_on_jax_agrees_with_c_float32(tmp_path):
    """Float32 gradients compile on JAX (the package casts PyTensor's float64-accumulating reductions back
    to float32 inside lax.scan) and a float32 training run ends where the C backend's does, to float32
    precision."""
    _need("jax")
    cfg = tiny_with_pretraining().with_overrides(
        [("model.dtype", "float32"), ("epochs", 2), ("pretrain_epochs", 1)]
    )
    splits = load_dataset(cfg.data)
    runs = {}
    for backend in ("c", "jax"):
        tr = Trainer(cfg.override("backend", backend), str(tmp_path / backend), splits)
        tr.fit()
        assert all(np.asarray(v.get_value()).dtype == np.float32 for v in tr.model.shared.values())
        runs[backend] = tr.model.get_params()
    for name, value in runs["c"].items():
        assert rel(runs["jax"][name], value) <= 1e-3, name
    X, mask = rp.data.batching.pad_sequences(splits["valid"])
    for graph in ("fused", "fast"):  # (the scan graph on JAX: test_loglik_and_gradients_agree_with_c)
        m32 = rp.RnnRnade(cfg.model, runs["c"], "jax")
        m64 = rp.RnnRnade(cfg.model.replace(dtype="float64"), runs["c"], "c")
        _, g32 = m32.gradients(X, mask, graph=graph)
        _, g64 = m64.gradients(X, mask, graph=graph)
        assert all(rel(g32[n], g64[n]) <= 1e-4 for n in g64), graph


def test_backend_settings_hold_for_the_package_compilation_only(monkeypatch):
    """Numba's fastmath and the JAX reductions' dtype fix are in force while this package compiles, and
    PyTensor's own settings and dispatch are back afterwards."""
    import pytensor
    import pytensor.tensor as pt

    import rnnrnade_pt.backend as comp

    seen = []
    real_function = pytensor.function

    def spy(*args, **kwargs):
        seen.append(bool(pytensor.config.numba__fastmath))
        return real_function(*args, **kwargs)

    monkeypatch.setattr(pytensor, "function", spy)
    before = bool(pytensor.config.numba__fastmath)
    x = pt.vector("x")
    for fastmath in (True, False):
        if importlib.util.find_spec("numba") is not None:
            comp.compile_function([x], x.sum(), "numba", fastmath=fastmath)
    assert seen in ([], [True, False]) and bool(pytensor.config.numba__fastmath) == before
    _need("jax")
    from pytensor.link.jax.dispatch import jax_funcify
    from pytensor.tensor.elemwise import CAReduce

    original = jax_funcify.dispatch(CAReduce)
    x32 = pt.vector("x32", dtype="float32")
    f = comp.compile_function([x32], x32.sum(), "jax")  # Sum{acc=float64} of float32
    assert np.asarray(f(np.ones(3, dtype="float32"))).dtype == np.float32
    assert jax_funcify.dispatch(CAReduce) is original


def test_training_threads_limit_blas_inside_only():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from rnnrnade_pt.backend import training_threads

    with training_threads():
        inside = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    outside = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    assert inside and all(n == 1 for n in inside)
    assert len(outside) == len(inside)
