"""Every model of the family through the same checks (one parametrised test module, as zuko's): the shapes
of its log-likelihood, padding that changes nothing, its gradient against finite differences, a save/load
round trip, sampling (shapes, values, seeds) and one-step prediction. Float64, tiny sizes.

The models' own test files check each one against an independent reference; this file checks that they all
keep the one contract the trainer, the runs and the command line rely on
(:mod:`rnnrnade_pt.models`)."""

from __future__ import annotations

import numpy as np
import pytest

import rnnrnade_pt as rp
from rnnrnade_pt.data.arrays import lengths_to_mask
from rnnrnade_pt.density_model import load_model, model_class
from rnnrnade_pt.models import MODULES

FAMILY = {
    "rnade": dict(model="rnade", D=3, H=4, K=2),
    "rnade-laplace": dict(model="rnade", D=3, H=4, K=2, mixture="laplace"),
    "rnade-relu": dict(model="rnade", D=3, H=4, K=2, hidden_activation="relu"),
    "deep-rnade": dict(model="deep-rnade", D=3, H=4, K=2, layers=2, hidden_activation="relu"),
    "deep-rnade-laplace-1": dict(model="deep-rnade", D=3, H=4, K=2, layers=1, mixture="laplace"),
    "rnn-rnade": dict(model="rnn-rnade", D=3, H=4, K=2, R=3),
    "rnn-rnade-laplace-mu_sigma": dict(
        model="rnn-rnade", D=3, H=4, K=2, R=3, mixture="laplace", conditioned=("mu", "sigma")
    ),
    "gaussian-rnn": dict(model="gaussian-rnn", D=3, R=3),
    "rnn-nade": dict(model="rnn-nade", D=4, H=3, R=3),
    "rnn-rbm": dict(model="rnn-rbm", D=4, H=3, R=3, cd_k=2, gibbs_k=3, ais_chains=20, ais_betas=50),
}
T, B = 5, 3
LENGTHS = np.array([5, 3, 1])
EXACT = {"rnade", "rnn-rnade", "gaussian-rnn", "rnn-nade"}  # the gradient is the log-likelihood's: finite
# differences (the RNN-RBM's is CD's, the deep RNADE's that of its order-agnostic estimate: own tests)


def test_every_registered_model_is_in_the_family():
    assert {v["model"] for v in FAMILY.values()} == set(MODULES)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_fulfils_the_contract(name):
    from rnnrnade_pt.models import DensityGraph, ModelModule, Predictor, Sampler

    module = MODULES[name]
    assert isinstance(module, ModelModule), f"{name}: a member of the contract is missing"
    cfg = rp.ModelConfig(**next(v for v in FAMILY.values() if v["model"] == name))
    shapes = module.param_shapes(cfg)
    values = module.init_params(cfg, np.random.default_rng(0), 0.01)
    assert list(values) == list(shapes) and all(values[n].shape == s for n, s in shapes.items())
    frames = np.random.default_rng(1).random((50, cfg.D))
    started = module.data_driven_init(values, frames, cfg, np.random.default_rng(2))
    assert list(started) == list(shapes) and all(started[n].shape == s for n, s in shapes.items())
    for graph in ("scan", "fast"):  # every field the trainer reads, the optional ones declared
        g = module.build(cfg, graph=graph)
        assert isinstance(g, DensityGraph), f"{name} ({graph}): a field of DensityGraph is missing"
        assert hasattr(g, "mask") == cfg.recurrent
        assert list(g.params) == list(shapes) and g.config is cfg
        assert (g.train_cost is None) == (name != "rnn-rbm") and (g.M is None)
    assert isinstance(module.build_sampler(cfg, g.params), Sampler)
    assert isinstance(module.build_predictor(cfg, g.params), Predictor)
    assert module.explicit_gradients is None or callable(module.explicit_gradients)


class Case:
    def __init__(self, name: str):
        self.name = name
        self.cfg = rp.ModelConfig(**FAMILY[name])
        rng = np.random.default_rng(7)
        values = rp.init_params(self.cfg, 3, scale=0.5)  # large enough that every parameter matters
        self.model = model_class(self.cfg)(self.cfg, values)
        D = self.cfg.D
        if self.cfg.recurrent:
            self.mask = lengths_to_mask(LENGTHS, T)
            X = (rng.random((T, B, D)) < 0.4) * 1.0 if self.cfg.binary else rng.standard_normal((T, B, D))
            self.X = X
        else:
            self.mask = None
            self.X = rng.standard_normal((6, D))

    def loglik(self, X=None, mask=None):
        X = self.X if X is None else X
        return (
            self.model.loglik(X, self.mask if mask is None else mask)
            if self.cfg.recurrent
            else (self.model.loglik(X))
        )


@pytest.fixture(scope="module", params=list(FAMILY))
def case(request) -> Case:
    return Case(request.param)


def test_loglik_shapes_and_padding(case):
    ll = case.loglik()
    assert np.isfinite(ll.total)
    if not case.cfg.recurrent:
        assert ll.per_frame.shape == (6,) and ll.frames == 6
        assert ll.total == pytest.approx(ll.per_frame.sum())
        return
    assert ll.per_frame.shape == (T, B) and ll.per_sequence.shape == (B,)
    assert ll.frames == int(LENGTHS.sum())
    assert np.all(ll.per_frame[case.mask == 0] == 0)
    assert np.all(ll.per_frame[case.mask == 1] != 0)
    assert ll.total == pytest.approx(ll.per_sequence.sum(), rel=1e-12)
    garbage = case.X.copy()
    garbage[case.mask == 0] = 1.0 if case.cfg.binary else 1e3  # padding must change nothing
    np.testing.assert_allclose(case.loglik(garbage).per_frame, ll.per_frame, rtol=1e-12, atol=1e-12)
    if case.cfg.model not in EXACT:
        return  # an AIS estimate's random numbers depend on the batch's layout
    # a sequence's log-likelihood does not depend on the sequences beside it
    alone = case.model.loglik(case.X[: LENGTHS[1], 1:2], case.mask[: LENGTHS[1], 1:2])
    assert alone.total == pytest.approx(ll.per_sequence[1], rel=1e-10)


def test_gradient_shapes_and_finite_differences(case):
    total, grads = case.model.gradients(case.X, case.mask)
    shapes = rp.param_shapes(case.cfg)
    assert list(grads) == list(shapes)
    for name, g in grads.items():
        assert g.shape == shapes[name] and np.all(np.isfinite(g)), name
    if case.cfg.model not in EXACT:
        pytest.skip(f"{case.cfg.model}: the gradient is of the training objective, not of the log-likelihood")
    assert total == pytest.approx(case.loglik().total, rel=1e-12)
    rng = np.random.default_rng(11)
    values = case.model.get_params()
    direction = {n: rng.standard_normal(v.shape) for n, v in values.items()}
    eps = 1e-5

    def shifted(s):
        case.model.set_params({n: v + s * direction[n] for n, v in values.items()})
        return case.loglik().total

    try:
        fd = (shifted(eps) - shifted(-eps)) / (2 * eps)
    finally:
        case.model.set_params(values)
    analytic = sum(float(np.sum(grads[n] * direction[n])) for n in grads)
    assert analytic == pytest.approx(fd, rel=1e-6, abs=1e-8)


def test_save_load_round_trip(case, tmp_path):
    path = tmp_path / f"{case.name}.npz"
    case.model.save(path)
    loaded = load_model(path)
    assert type(loaded) is type(case.model) and loaded.cfg == case.cfg
    for name, v in case.model.get_params().items():
        np.testing.assert_array_equal(loaded.get_params()[name], v)
    args = (case.X, case.mask) if case.cfg.recurrent else (case.X,)
    assert loaded.loglik(*args).total == pytest.approx(case.loglik().total, rel=1e-12)


def test_sampling_shapes_values_and_seeds(case):
    if case.cfg.recurrent:
        S = case.model.sample(n=2, steps=4, seed=5)
        assert S.shape == (4, 2, case.cfg.D)
        prime = case.model.sample(n=2, steps=3, prime=case.X[:2, :1], seed=5)
        assert prime.shape == (3, 2, case.cfg.D)
    else:
        S = case.model.sample(n=4, seed=5)
        assert S.shape == (4, case.cfg.D)
    assert np.all(np.isfinite(S))
    if case.cfg.binary:
        assert set(np.unique(S)) <= {0.0, 1.0}
    again = case.model.sample(n=2, steps=4, seed=5) if case.cfg.recurrent else case.model.sample(n=4, seed=5)
    np.testing.assert_array_equal(again, S)
    other = case.model.sample(n=2, steps=4, seed=6) if case.cfg.recurrent else case.model.sample(n=4, seed=6)
    assert not np.array_equal(other, S)


def test_prediction_shapes(case):
    P = case.model.predict(case.X, case.mask) if case.cfg.recurrent else case.model.predict(case.X)
    assert P.shape == case.X.shape and np.all(np.isfinite(P))
    if case.cfg.recurrent:
        assert np.all(P[case.mask == 0] == 0)
        if case.cfg.binary:
            assert np.all((P >= 0) & (P <= 1))
        # frame t's prediction uses the frames before it only
        later = case.X.copy()
        later[-1] = 1.0 - later[-1] if case.cfg.binary else later[-1] + 1.0
        np.testing.assert_allclose(case.model.predict(later, case.mask), P, rtol=1e-12, atol=1e-12)
