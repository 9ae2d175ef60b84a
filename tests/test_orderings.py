"""Orderings of an RNADE's dimensions (``rnnrnade_pt.orderings``, ``build_rnade(orderings=True)``).

* The precedence-mask graph with the strict lower-triangular ``M`` is the standard fast graph (1e-12); under
  random per-row orderings it matches the NumPy loop reference, and its explicit gradient ``pytensor.grad``.
* Ensembles: of 1 ordering, the RNADE itself; of several, the NumPy logmeanexp of the reference's
  per-ordering log-densities.
* Order-agnostic training runs, is seeded, resumes bit for bit, and leaves a density that integrates to 1
  under each ordering of D = 2; ``evaluate_run`` reports the ensembles.

Float64; each compiled function is built once (module fixtures).
"""

from __future__ import annotations

import numpy as np
import pytest
import reference as ref
from pytensor.graph.replace import graph_replace
from scipy.special import logsumexp

import rnnrnade_pt as rp
from rnnrnade_pt.backend import compile_function
from rnnrnade_pt.config import DataConfig, RunConfig, TrainConfig
from rnnrnade_pt.errors import ConfigError, DataError
from rnnrnade_pt.models.rnade import build_rnade
from rnnrnade_pt.orderings import (
    ensemble_loglik,
    ensemble_orderings,
    ordering_logliks,
    precedence_masks,
    random_orderings,
)
from rnnrnade_pt.runs import evaluate_run, load_run
from rnnrnade_pt.train import Trainer

CFG = rp.ModelConfig(model="rnade", D=3, H=4, K=2)


def rel_err(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# -- the precedence-mask graph ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def masked():
    """(X, M) -> [standard fast loglik, M-graph loglik, *pytensor.grad of M-graph, *explicit of M-graph]."""
    values = ref.random_params_for(CFG, np.random.default_rng(21))
    shared = rp.shared_params(CFG, values)
    g_std = build_rnade(CFG, shared)
    g = build_rnade(CFG, shared, orderings=True)
    names = list(shared)
    sym, expl = rp.symbolic_gradients(g), rp.explicit_gradients(g)
    std_ll = graph_replace(g_std.loglik, {g_std.X: g.X})
    outs = [std_ll, g.loglik] + [sym[n] for n in names] + [expl[n] for n in names]
    fn = compile_function([g.X, g.M], outs, backend="c", name="check_orderings")
    return values, names, fn


def test_lower_triangular_mask_is_the_standard_graph(masked):
    values, names, fn = masked
    X = np.random.default_rng(0).standard_normal((5, CFG.D))
    M = precedence_masks(np.tile(np.arange(CFG.D), (5, 1)))
    np.testing.assert_array_equal(M[0], np.tril(np.ones((CFG.D, CFG.D)), -1))
    std, ll = fn(X, M)[:2]
    np.testing.assert_allclose(ll, std, rtol=1e-12, atol=1e-12)


def test_per_row_orderings_match_the_reference_and_the_explicit_gradient(masked):
    values, names, fn = masked
    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, CFG.D))
    o = random_orderings(rng, 6, CFG.D)
    assert len({tuple(r) for r in o}) > 1
    out = fn(X, precedence_masks(o))
    want = ref.rnade_loglik(values, X, order=o)
    np.testing.assert_allclose(out[1], want, rtol=1e-12, atol=1e-12)
    assert rel_err(out[1], out[0]) > 1e-3  # the orderings matter
    n = len(names)
    for name, g_sym, g_expl in zip(names, out[2 : 2 + n], out[2 + n :], strict=True):
        assert np.max(np.abs(g_sym)) > 0, name
        assert rel_err(g_expl, g_sym) <= 1e-10, name


def test_precedence_masks_reject_non_permutations():
    with pytest.raises(DataError, match="permutation"):
        precedence_masks(np.array([[0, 0, 1]]))
    with pytest.raises(ConfigError, match="orderings"):
        build_rnade(CFG, graph="scan", orderings=True)


# -- ensembles ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rnade3():
    values = ref.random_params_for(CFG, np.random.default_rng(22))
    return rp.Rnade(CFG, values), values


def test_ensemble_of_one_is_the_rnade(rnade3):
    model, _ = rnade3
    X = np.random.default_rng(2).standard_normal((7, CFG.D))
    np.testing.assert_allclose(ensemble_loglik(model, X, 1, seed=3), model.loglik(X).per_frame, rtol=1e-12)


def test_ensemble_is_the_logmeanexp_over_its_orderings(rnade3):
    model, values = rnade3
    X = np.random.default_rng(4).standard_normal((7, CFG.D))
    orders = ensemble_orderings(CFG.D, 4, seed=5)
    np.testing.assert_array_equal(orders[0], np.arange(CFG.D))
    np.testing.assert_array_equal(ensemble_orderings(CFG.D, 2, seed=5), orders[:2])  # nested
    per = np.stack([ref.rnade_loglik(values, X, order=o) for o in orders])
    np.testing.assert_allclose(ordering_logliks(model, X, orders, batch_size=3), per, rtol=1e-12)
    want = logsumexp(per, axis=0) - np.log(4)
    np.testing.assert_allclose(ensemble_loglik(model, X, 4, seed=5, batch_size=3), want, rtol=1e-12)
    with pytest.raises(ConfigError, match="n_orderings"):
        ensemble_loglik(model, X, 0)


# -- order-agnostic training --------------------------------------------------------------------------------
def _splits():
    rng = np.random.default_rng(6)
    z = rng.standard_normal((112, 2))
    X = np.stack([z[:, 0], 0.8 * z[:, 0] + 0.6 * z[:, 1] ** 2 - 0.5], axis=1)  # dependent dimensions
    return {"train": [X[:64]], "valid": [X[64:88]], "test": [X[88:]]}


def _run_cfg(**train) -> RunConfig:
    tcfg = dict(epochs=2, batch_size=16, lr=0.02, seed=5, ordering="orderless", init="data")
    return RunConfig(
        rp.ModelConfig(model="rnade", D=2, H=5, K=3), TrainConfig(**{**tcfg, **train}), DataConfig("memory")
    )


@pytest.fixture(scope="module")
def orderless_run(tmp_path_factory):
    run_dir = str(tmp_path_factory.mktemp("orderless") / "straight")
    trainer = Trainer(_run_cfg(), run_dir, _splits())
    assert trainer.fit() == "epochs"
    return trainer, run_dir


def test_orderless_orderings_are_per_example_and_seeded(orderless_run):
    trainer, _ = orderless_run
    M = trainer._ordering_masks("train", 1, 2, 16)
    np.testing.assert_array_equal(M, trainer._ordering_masks("train", 1, 2, 16))
    assert 0 < M[:, 0, 1].sum() < 16  # both orderings of D = 2 occur in one batch
    assert not np.array_equal(M, trainer._ordering_masks("train", 1, 3, 16))


def test_orderless_training_resumes_exactly(orderless_run, tmp_path):
    straight, _ = orderless_run
    splits = _splits()
    first = Trainer(_run_cfg(), str(tmp_path / "resumed"), splits)
    with pytest.raises(KeyboardInterrupt):
        first.fit(interrupt_at_step=5)  # mid-way through epoch 2
    second = Trainer(_run_cfg(), str(tmp_path / "resumed"), splits, resume=True)
    assert second.fit() == "epochs"
    a, b = straight.model.get_params(), second.model.get_params()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    fixed = Trainer(_run_cfg(ordering="fixed"), str(tmp_path / "fixed"), splits)
    fixed.fit()
    assert not np.array_equal(fixed.model.get_params()["W"], a["W"])  # the orderings were used


def test_orderless_model_is_a_density_under_each_ordering(orderless_run):
    trainer, _ = orderless_run
    grid = np.linspace(-16.0, 16.0, 1201)
    w = np.full(grid.shape, grid[1] - grid[0])
    w[0] = w[-1] = w[0] / 2
    g1, g2 = np.meshgrid(grid, grid, indexing="ij")
    pts = np.stack([g1.ravel(), g2.ravel()], axis=1)
    L = ordering_logliks(trainer.model, pts, np.array([[0, 1], [1, 0]]), batch_size=1 << 16)
    assert np.max(np.abs(L[0] - L[1])) > 1e-2  # two different densities
    for row in L:
        assert abs(np.sum(np.exp(row) * np.outer(w, w).ravel()) - 1.0) <= 1e-6


def test_evaluate_run_reports_ensembles(orderless_run):
    _, run_dir = orderless_run
    run = load_run(run_dir)
    test = _splits()["test"]
    out = evaluate_run(run, test, orderings=(1, 2))
    ens = out["loglik_per_frame_ensemble"]
    assert set(ens) == {1, 2}
    np.testing.assert_allclose(ens[1], out["loglik_per_frame"], rtol=1e-12)
    np.testing.assert_allclose(ens[2], np.mean(ensemble_loglik(run.model, test[0], 2)), rtol=1e-12)
    as_density = evaluate_run(run, test, orderings=2)  # one size: the ensemble is the density evaluated
    assert as_density["loglik_per_frame"] == ens[2] and as_density["loglik_per_frame_ensemble"] == {2: ens[2]}


def test_orderless_needs_a_plain_rnade():
    """Rules across sections fail when the config is read, before a trainer or a run directory exists."""
    with pytest.raises(ConfigError, match="orderless"):
        RunConfig(rp.ModelConfig(model="rnn-rnade", D=2, H=3, K=2, R=2), TrainConfig(ordering="orderless"))
    with pytest.raises(ConfigError, match="fast graph"):
        _run_cfg(graph="scan")
