"""The deep order-agnostic RNADE against an independent NumPy reference (tests/reference.py, written from the
paper): its exact log-likelihood under any ordering, the order-agnostic training estimate (its expectation
over masks is the mean over orderings), the masks' distribution, gradients against finite differences, a
density that integrates to one under each ordering, and training that improves and resumes exactly.
Float64, tiny sizes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.graph.replace import graph_replace
from reference import deep_rnade_conditional, deep_rnade_loglik

import rnnrnade_pt as rp
from rnnrnade_pt.config import DataConfig, RunConfig, TrainConfig
from rnnrnade_pt.errors import ConfigError
from rnnrnade_pt.kernels.deep_rnade import layer_names, masked_estimate, masked_logp, random_masks
from rnnrnade_pt.models.deep_rnade import build_deep_rnade
from rnnrnade_pt.orderings import ensemble_loglik, ordering_logliks
from rnnrnade_pt.params import infer_config
from rnnrnade_pt.runs import evaluate_run, load_run
from rnnrnade_pt.train import Trainer


def _model(D=3, H=5, K=2, layers=2, **options):
    options.setdefault("hidden_activation", "relu")  # Uria's code's default, the reference's
    cfg = rp.ModelConfig(model="deep-rnade", D=D, H=H, K=K, layers=layers, **options)
    return rp.DeepRnade(cfg, rp.init_params(cfg, 4, scale=0.6))


@pytest.mark.parametrize(
    "layers, mixture, activation",
    [(1, "gaussian", "relu"), (2, "laplace", "relu"), (3, "gaussian", "sigmoid")],
)
def test_loglik_under_any_ordering_matches_the_reference(layers, mixture, activation):
    model = _model(layers=layers, mixture=mixture, hidden_activation=activation)
    X = np.random.default_rng(1).standard_normal((7, 3))
    kw = dict(layers=layers, mixture=mixture, hidden_activation=activation)
    values = model.get_params()
    np.testing.assert_allclose(model.loglik(X).per_frame, deep_rnade_loglik(values, X, **kw), rtol=1e-12)
    orders = np.array([[2, 0, 1], [1, 2, 0], [0, 2, 1]])
    want = np.stack([deep_rnade_loglik(values, X, order=o, **kw) for o in orders])
    np.testing.assert_allclose(ordering_logliks(model, X, orders, batch_size=4), want, rtol=1e-12)
    assert np.max(np.abs(want[0] - want[1])) > 1e-3  # the orderings give different densities


def _estimate_fn(model):
    """The compiled order-agnostic estimate (N) of rows X under given masks m (N x D)."""
    cfg, p = model.cfg, model.shared
    X, m = pt.matrix("X", dtype="float64"), pt.matrix("m", dtype="float64")
    upper = [(p[w], p[b]) for w, b in layer_names(cfg.layers)]
    logp = masked_logp(X, m, p, upper, cfg.K, cfg.mixture, cfg.hidden_activation)
    return pytensor.function([X, m], [masked_estimate(X, m, logp), logp])


def test_masked_conditionals_match_the_reference_and_the_estimate_is_unbiased():
    model = _model(D=3, layers=2)
    values, D = model.get_params(), 3
    x = np.random.default_rng(2).standard_normal(D)
    fn = _estimate_fn(model)
    expectation = 0.0
    for d in range(D):  # d observed, uniform in 0..D-1, then a uniform subset of that size
        for observed in itertools.combinations(range(D), d):
            m = np.zeros((1, D))
            m[0, list(observed)] = 1.0
            estimate, logp = fn(x[None], m)
            for i in set(range(D)) - set(observed):
                assert logp[0, i] == pytest.approx(deep_rnade_conditional(values, x, observed, i, layers=2))
            expectation += estimate[0] / D / math.comb(D, d)
    orders = np.array(list(itertools.permutations(range(D))))
    mean_over_orderings = ordering_logliks(model, x[None], orders).mean()
    assert expectation == pytest.approx(mean_over_orderings, rel=1e-12)


def test_training_masks_are_uniform_ordering_prefixes():
    rng = pytensor.shared(np.random.default_rng(3))
    n, D = 60_000, 4
    _, m = random_masks(rng, n, D, "float64")
    masks = m.eval()
    counts = masks.sum(axis=1)
    assert set(np.unique(masks)) == {0.0, 1.0} and counts.max() <= D - 1
    np.testing.assert_allclose(np.bincount(counts.astype(int), minlength=D) / n, 1 / D, atol=0.01)
    two = masks[counts == 2]  # given d = 2, each of the 6 subsets equally likely
    _, freq = np.unique(two, axis=0, return_counts=True)
    assert len(freq) == 6
    np.testing.assert_allclose(freq / len(two), 1 / 6, atol=0.015)


def test_gradients_of_the_loglik_and_of_the_estimate_against_finite_differences():
    model = _model(D=3, layers=2, mixture="laplace")
    g = build_deep_rnade(model.cfg, model.shared)
    X = np.random.default_rng(4).standard_normal((5, 3))
    m = (np.random.default_rng(5).random((5, 3)) < 0.5) * 1.0
    m[:, 2] = 0.0  # at least one unobserved dimension per row
    params = list(model.shared.values())
    exact = g.loglik.sum()
    fixed = graph_replace(g.total, {g.observed: pt.constant(m)}, strict=False)
    fns = {
        name: pytensor.function([g.X], [value, *pytensor.grad(value, params)])
        for name, value in (("exact", exact), ("estimate", fixed))
    }
    values = model.get_params()
    direction = {n: np.random.default_rng(6).standard_normal(v.shape) for n, v in values.items()}
    eps = 1e-6
    for name, fn in fns.items():

        def shifted(s, fn=fn):
            model.set_params({n: v + s * direction[n] for n, v in values.items()})
            return float(fn(X)[0])

        try:
            fd = (shifted(eps) - shifted(-eps)) / (2 * eps)
        finally:
            model.set_params(values)
        grads = fn(X)[1:]
        analytic = sum(float(np.sum(gr * direction[n])) for gr, n in zip(grads, values, strict=True))
        assert analytic == pytest.approx(fd, rel=1e-6, abs=1e-8), name


def test_density_integrates_to_one_under_each_ordering():
    model = _model(D=2, H=4, K=3, layers=2, hidden_activation="sigmoid")  # bounded scales
    values = model.get_params()
    model.set_params({**values, "b_sigma": values["b_sigma"] - 1.5})  # no mass beyond the grid
    grid = np.linspace(-14.0, 14.0, 801)
    w = np.full(grid.shape, grid[1] - grid[0])
    w[0] = w[-1] = w[0] / 2
    g1, g2 = np.meshgrid(grid, grid, indexing="ij")
    pts = np.stack([g1.ravel(), g2.ravel()], axis=1)
    L = ordering_logliks(model, pts, np.array([[0, 1], [1, 0]]), batch_size=1 << 16)
    assert np.max(np.abs(L[0] - L[1])) > 1e-2
    for row in L:
        assert abs(np.sum(np.exp(row) * np.outer(w, w).ravel()) - 1.0) <= 1e-5


# -- training --------------------------------------------------------------------------------------------
def _splits():
    rng = np.random.default_rng(6)
    z = rng.standard_normal((300, 2))
    X = np.stack([z[:, 0], 0.8 * z[:, 0] + 0.6 * z[:, 1] ** 2 - 0.5, z[:, 1]], axis=1)  # dependent dimensions
    return {"train": [X[:200]], "valid": [X[200:250]], "test": [X[250:]]}


def _run_cfg(**train) -> RunConfig:
    tcfg = dict(epochs=4, batch_size=20, lr=0.01, optimizer="adam", seed=5, init="data")
    mcfg = rp.ModelConfig(model="deep-rnade", D=3, H=16, K=3, layers=2, hidden_activation="relu")
    return RunConfig(mcfg, TrainConfig(**{**tcfg, **train}), DataConfig("memory"))


@pytest.fixture(scope="module")
def deep_run(tmp_path_factory):
    run_dir = str(tmp_path_factory.mktemp("deep") / "straight")
    trainer = Trainer(_run_cfg(), run_dir, _splits())
    before = trainer.evaluate("valid")
    assert trainer.fit() == "epochs"
    return trainer, run_dir, before


def test_training_improves_the_validation_loglik(deep_run):
    trainer, _, before = deep_run
    assert trainer.evaluate("valid") > before + 0.5


def test_training_resumes_exactly_with_its_masks(deep_run, tmp_path):
    straight, _, _ = deep_run
    splits = _splits()
    first = Trainer(_run_cfg(), str(tmp_path / "resumed"), splits)
    with pytest.raises(KeyboardInterrupt):
        first.fit(interrupt_at_step=25)  # in epoch 3
    assert "rng/mask_rng" in np.load(tmp_path / "resumed" / "last.npz")
    second = Trainer(_run_cfg(), str(tmp_path / "resumed"), splits, resume=True)
    assert second.fit() == "epochs"
    a, b = straight.model.get_params(), second.model.get_params()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    other = Trainer(_run_cfg(seed=6), str(tmp_path / "other"), splits)
    other.fit()
    assert not np.array_equal(other.model.get_params()["W"], a["W"])


def test_evaluate_run_reports_ensembles_over_orderings(deep_run):
    _, run_dir, _ = deep_run
    run = load_run(run_dir)
    test = _splits()["test"]
    out = evaluate_run(run, test, orderings=(1, 4))
    ens = out["loglik_per_frame_ensemble"]
    np.testing.assert_allclose(ens[1], out["loglik_per_frame"], rtol=1e-12)
    np.testing.assert_allclose(ens[4], np.mean(ensemble_loglik(run.model, test[0], 4)), rtol=1e-12)


def test_config_and_parameter_files():
    with pytest.raises(ConfigError, match="layers"):
        rp.ModelConfig(model="deep-rnade", D=3, layers=0)
    with pytest.raises(ConfigError, match="not an option of model 'rnade'"):
        rp.ModelConfig(model="rnade", D=3, layers=3)
    with pytest.raises(ConfigError, match="orderless"):
        RunConfig(rp.ModelConfig(model="deep-rnade", D=3), TrainConfig(ordering="orderless"))
    model = _model(D=3, H=5, K=2, layers=3)
    inferred = infer_config(model.get_params())  # sizes and layers; the activation is not in the names
    assert inferred.replace(hidden_activation="relu") == model.cfg
