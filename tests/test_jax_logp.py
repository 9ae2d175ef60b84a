"""``DensityModel.jax_logp``: the package's graph as a pure JAX function, checked against the C backend."""

import numpy as np
import pytest

import rnnrnade_pt as rp
from rnnrnade_pt.data.arrays import lengths_to_mask
from rnnrnade_pt.density_model import model_class

jax = pytest.importorskip("jax")

EXACT = {
    "rnade": dict(model="rnade", D=3, H=4, K=2),
    "deep-rnade": dict(model="deep-rnade", D=3, H=4, K=2, layers=2, hidden_activation="relu"),
    "rnn-rnade": dict(model="rnn-rnade", D=3, H=4, K=2, R=3, mixture="laplace", conditioned=("mu", "sigma")),
    "gaussian-rnn": dict(model="gaussian-rnn", D=3, R=3),
    "rnn-nade": dict(model="rnn-nade", D=4, H=3, R=3),
}


def _data(cfg, rng):
    if not cfg.recurrent:
        return rng.standard_normal((6, cfg.D)), None
    X = rng.standard_normal((5, 3, cfg.D))
    X = (X > 0).astype(float) if cfg.binary else X
    mask = lengths_to_mask(np.array([5, 3, 1]), 5)
    return X * mask[..., None], mask


@pytest.fixture(scope="module", params=list(EXACT))
def case(request):
    cfg = rp.ModelConfig(**EXACT[request.param])
    model = model_class(cfg)(cfg, rp.init_params(cfg, seed=3, scale=0.5))
    logp, params = model.jax_logp()
    X, mask = _data(cfg, np.random.default_rng(4))
    extra = [mask] if cfg.recurrent else []
    return model, logp, params, X, extra


def test_jitted_logp_equals_the_c_backend(case):
    model, logp, params, X, extra = case
    got = np.asarray(jax.jit(logp)(params, X, *extra))
    want = model.loglik(X, *extra).per_sequence
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert got.dtype == np.float64
    if model.cfg.recurrent:  # the mask defaults to all ones
        np.testing.assert_allclose(logp(params, X), model.loglik(X, np.ones(X.shape[:2])).per_sequence)


def test_jax_grad_of_the_parameters_equals_the_packages_gradient(case):
    model, logp, params, X, extra = case
    grads = jax.grad(lambda p: logp(p, X, *extra).sum())(params)
    if model.cfg.model == "deep-rnade":  # its gradients() are of the training estimate: the loglik's here
        import pytensor

        g = rp.models.build(model.cfg, model.shared)
        fn = pytensor.function([g.X], pytensor.grad(g.loglik.sum(), list(g.params.values())))
        want = dict(zip(g.params, fn(X), strict=True))
    else:
        _, want = model.gradients(X, *extra)
    assert set(grads) == set(want)
    for name, g in want.items():
        np.testing.assert_allclose(np.asarray(grads[name]), g, rtol=1e-9, atol=1e-12, err_msg=name)


def test_jax_grad_of_the_data_against_finite_differences(case):
    model, logp, params, X, extra = case
    if model.cfg.binary:
        pytest.skip("binary frames: no gradient with respect to the data")
    gx = np.asarray(jax.grad(lambda x: logp(params, x, *extra).sum())(X))
    rng, eps = np.random.default_rng(5), 1e-6
    for _ in range(4):
        idx = tuple(rng.integers(0, s) for s in X.shape)
        if extra and extra[0][idx[:2]] == 0:
            assert gx[idx] == 0  # padding does not count
            continue
        up, down = X.copy(), X.copy()
        up[idx] += eps
        down[idx] -= eps
        fd = (model.loglik(up, *extra).total - model.loglik(down, *extra).total) / (2 * eps)
        np.testing.assert_allclose(gx[idx], fd, rtol=1e-5, atol=1e-7)


def test_an_estimated_loglik_has_no_jax_function():
    cfg = rp.ModelConfig(model="rnn-rbm", D=4, H=3, R=3, ais_chains=2, ais_betas=3)
    logp, params = rp.RnnRbm(cfg).jax_logp()
    with pytest.raises(rp.ConfigError, match="random estimate"):
        logp(params, np.zeros((2, 1, 4)))
