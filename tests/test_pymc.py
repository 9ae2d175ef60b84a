"""``rnnrnade_pt.pymc``: trained densities as PyMC distributions (runs where the ``pymc`` extra is
installed, with PyTensor 2.38; CI runs it in that environment)."""

import numpy as np
import pytest

import rnnrnade_pt as rp
from rnnrnade_pt.data.arrays import lengths_to_mask

pm = pytest.importorskip("pymc")
from rnnrnade_pt.pymc import Density  # noqa: E402

RNADE = rp.ModelConfig(model="rnade", D=3, H=4, K=2)
DEEP = rp.ModelConfig(model="deep-rnade", D=3, H=4, K=2, layers=2, hidden_activation="relu")
RNN_RNADE = rp.ModelConfig(model="rnn-rnade", D=2, H=3, K=2, R=3, conditioned=("mu", "sigma"))


@pytest.fixture(scope="module")
def rnade():
    return rp.Rnade(RNADE, rp.init_params(RNADE, seed=1, scale=0.5))


@pytest.fixture(scope="module")
def deep():
    return rp.DeepRnade(DEEP, rp.init_params(DEEP, seed=3, scale=0.5))


@pytest.fixture(scope="module")
def rnn_rnade():
    return rp.RnnRnade(RNN_RNADE, rp.init_params(RNN_RNADE, seed=2, scale=0.5))


@pytest.mark.parametrize("which", ["rnade", "deep"])
def test_vector_logp_is_the_models_loglik_for_every_batch_shape(which, request):
    model = request.getfixturevalue(which)
    rng = np.random.default_rng(0)
    for shape in [(3,), (5, 3), (2, 4, 3)]:
        X = rng.standard_normal(shape)
        with pm.Model() as m:
            Density("x", model, shape=shape)
        terms = m.logp(sum=False)[0].eval({m.rvs_to_values[m["x"]]: X})
        assert terms.shape == shape[:-1]
        want = model.loglik(X.reshape(-1, 3)).per_sequence.reshape(shape[:-1])
        np.testing.assert_allclose(terms, want, rtol=1e-12)


def test_sequence_logp_counts_the_masked_frames_only(rnn_rnade):
    lengths = np.array([4, 2, 1])
    mask = lengths_to_mask(lengths, 4).T  # B x T
    X = np.random.default_rng(1).standard_normal((3, 4, 2)) * mask[..., None]
    with pm.Model() as m:
        Density("s", rnn_rnade, mask=mask, shape=(3, 4, 2))
    terms = m.logp(sum=False)[0].eval({m.rvs_to_values[m["s"]]: X})
    want = rnn_rnade.loglik(X.transpose(1, 0, 2), mask.T).per_sequence
    np.testing.assert_allclose(terms, want, rtol=1e-12)
    with pm.Model() as one:  # one sequence, every frame counted
        Density("s", rnn_rnade, steps=4)
    got = one.compile_logp()({"s": X[0]})
    np.testing.assert_allclose(got, rnn_rnade.loglik(X[0]).total, rtol=1e-12)


@pytest.mark.parametrize("which", ["rnade", "rnn-rnade"])
def test_gradient_with_respect_to_the_value_against_finite_differences(which, rnade, rnn_rnade):
    model, shape = (rnade, (2, 3)) if which == "rnade" else (rnn_rnade, (3, 2))
    with pm.Model() as m:
        Density("x", model, shape=shape, **({} if which == "rnade" else {"steps": 3}))
    logp, dlogp = m.compile_logp(), m.compile_dlogp()
    X = np.random.default_rng(2).standard_normal(shape)
    grad = dlogp({"x": X}).reshape(shape)
    eps = 1e-6
    for idx in np.ndindex(shape):
        up, down = X.copy(), X.copy()
        up[idx] += eps
        down[idx] -= eps
        fd = (logp({"x": up}) - logp({"x": down})) / (2 * eps)
        np.testing.assert_allclose(grad[idx], fd, rtol=1e-5, atol=1e-8)


def test_a_posterior_with_an_rnade_prior_samples_with_nuts(rnade):
    """Denoising in miniature: an RNADE prior, Gaussian noise; NUTS runs, and the prior predictive draws
    come from the package's sampler."""
    y = np.array([0.3, -0.2, 0.1])
    with pm.Model():
        x = Density("x", rnade, shape=(3,))
        pm.Normal("y", mu=x, sigma=0.5, observed=y)
        idata = pm.sample(
            50, tune=50, chains=1, random_seed=3, progressbar=False, compute_convergence_checks=False
        )
        prior = pm.sample_prior_predictive(20, random_seed=4)
    post = idata.posterior["x"].values
    assert post.shape == (1, 50, 3) and np.all(np.isfinite(post))
    draws = prior.prior["x"].values
    assert draws.shape == (1, 20, 3) and np.all(np.isfinite(draws)) and np.unique(draws[0, :, 0]).size == 20


def test_sequence_prior_predictive_draws_have_the_masks_padding(rnn_rnade):
    mask = lengths_to_mask(np.array([3, 2]), 3).T  # 2 x 3
    with pm.Model():
        Density("s", rnn_rnade, mask=mask, shape=(2, 3, 2))
        draws = pm.sample_prior_predictive(4, random_seed=5).prior["s"].values  # 1 x 4 x 2 x 3 x 2
    assert draws.shape == (1, 4, 2, 3, 2)
    assert np.all(draws[:, :, 1, 2] == 0) and np.all(draws[:, :, 0] != 0)


def test_bad_arguments_are_one_line_errors(rnade, rnn_rnade):
    nade = rp.RnnNade(rp.ModelConfig(model="rnn-nade", D=3, H=2, R=2))
    cases = [
        (lambda: Density.dist(nade, steps=2), "not a density of real values"),
        (lambda: Density.dist(rnn_rnade), "needs steps"),
        (lambda: Density.dist(rnade, steps=3), "for sequence models"),
        (lambda: Density.dist("model.npz"), "trained model of the package"),
    ]
    for make, message in cases:
        with pytest.raises(rp.ConfigError, match=message) as e:
            make()
        assert "\n" not in str(e.value)
