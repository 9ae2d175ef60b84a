"""Sampling and mean-field prediction of RNADE and RNN-RNADE (their modules' ``build_sampler`` and
``build_predictor``, compiled by ``DensityModel.sample`` and ``predict``).

* Distribution: exact mixtures (D = 1) by Kolmogorov-Smirnov, with a shifted mixture proving the test's
  power; D = 2 moments against quadrature of ``model.loglik``.
* Exactness: the draws are those of ``numpy.random.default_rng(seed)`` (per frame ``uniform`` then ``normal``,
  D x n each), so a NumPy re-implementation of ancestral sampling replays them to 1e-10, priming with padding
  included; the same for mean-field prediction.
* Seeds, priming, float32 and the one-line errors.

Float64 unless stated; every model is a module fixture so that each function compiles once.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
import pytest
import reference as ref
from scipy import stats
from scipy.special import expit, logsumexp

import rnnrnade_pt as rp
from rnnrnade_pt.backend import compile_function
from rnnrnade_pt.models.rnade import build_sampler as build_rnade_sampler
from rnnrnade_pt.models.rnn_rnade import build_predictor as build_rnnrnade_predictor
from rnnrnade_pt.models.rnn_rnade import build_sampler as build_rnnrnade_sampler

N_KS = 20000
VARIANTS = {
    "default": dict(),
    "fold_c-condition_c-tanh-mu_sigma": dict(
        fold_c_into_W=True, condition_c=True, rnn_activation="tanh", conditioned=("mu", "sigma")
    ),
}


# --------------------------------------------------------------------------------------------------------
# NumPy: mixtures, ancestral sampling replay, mean-field
# --------------------------------------------------------------------------------------------------------
def _params(cfg: rp.ModelConfig, seed: int, scale: float = 0.5) -> dict:
    return ref.random_params_for(cfg, np.random.default_rng(seed), scale)


def _act(cfg, x):
    return expit(x) if cfg.rnn_activation == "sigmoid" else np.tanh(x)


def _frame_biases(p, cfg, hhat):
    """``c`` (n x H) and ``b_*`` (n x D x K) of the frames modelled from states ``hhat`` (n x R)."""
    base, _ = ref._hidden_bias_and_columns(p, cfg.fold_c_into_W, None)
    c = np.broadcast_to(base, (hhat.shape[0], base.size)).copy()
    if cfg.condition_c:
        c = c + hhat @ p["W_c"]
    b = {}
    for comp in ("alpha", "mu", "sigma"):
        b[comp] = np.broadcast_to(p[f"b_{comp}"], (hhat.shape[0], cfg.D, cfg.K)).copy()
        if comp in cfg.conditioned:
            b[comp] = b[comp] + np.einsum("nr,rdk->ndk", hhat, p[f"W_{comp}"])
    return c, b


def _static_biases(p, cfg, n):
    base, _ = ref._hidden_bias_and_columns(p, cfg.fold_c_into_W, None)
    b = {comp: np.broadcast_to(p[f"b_{comp}"], (n, cfg.D, cfg.K)) for comp in ("alpha", "mu", "sigma")}
    return np.broadcast_to(base, (n, base.size)), b


def _dim_mixture(p, d, a, b):
    """alpha, mu, sigma (n x K) of dimension d given accumulators ``a`` (n x H)."""
    h = expit(p["rho"][d] * a)
    z_alpha = h @ p["V_alpha"][d] + b["alpha"][:, d]
    alpha = np.exp(z_alpha - logsumexp(z_alpha, axis=1, keepdims=True))
    return alpha, h @ p["V_mu"][d] + b["mu"][:, d], np.exp(h @ p["V_sigma"][d] + b["sigma"][:, d])


def np_rnade_sample(p, cfg, c, b, u, eps):
    """Ancestral sampling with given noise (u, eps: D x n): the inverse-CDF component choice."""
    _, cols = ref._hidden_bias_and_columns(p, cfg.fold_c_into_W, None)
    a, n = np.array(c, dtype=np.float64), u.shape[1]
    x = np.zeros((n, cfg.D))
    for d in range(cfg.D):
        alpha, mu, sigma = _dim_mixture(p, d, a, b)
        k = (np.cumsum(alpha, axis=1)[:, :-1] < u[d][:, None]).sum(axis=1)
        rows = np.arange(n)
        x[:, d] = mu[rows, k] + sigma[rows, k] * eps[d]
        a = a + x[:, d : d + 1] * cols[:, d]
    return x


def np_rnn_states(p, cfg, X, mask):
    """The state after each sequence's prime (T0 x B x D, mask T0 x B): B x R."""
    hhat = np.broadcast_to(p["h0"], (X.shape[1], cfg.R)).copy()
    for t in range(X.shape[0]):
        new = _act(cfg, np.nan_to_num(X[t]) @ p["W2"] + hhat @ p["W3"] + p["b_hhat"])
        hhat = np.where(mask[t][:, None] > 0, new, hhat)
    return hhat


def np_rnnrnade_sample(p, cfg, steps, n, seed, prime=None, prime_mask=None):
    """Replay of the compiled sampler: the same Generator stream, the same arithmetic."""
    gen = np.random.default_rng(seed)
    hhat = np.broadcast_to(p["h0"], (n, cfg.R)).copy()
    if prime is not None:
        hhat = np_rnn_states(p, cfg, prime, prime_mask)
    out = []
    for _ in range(steps):
        u = gen.uniform(0.0, 1.0, (cfg.D, n))
        eps = gen.normal(0.0, 1.0, (cfg.D, n))
        x = np_rnade_sample(p, cfg, *_frame_biases(p, cfg, hhat), u, eps)
        hhat = _act(cfg, x @ p["W2"] + hhat @ p["W3"] + p["b_hhat"])
        out.append(x)
    return np.stack(out)


def np_mean_field(p, cfg, c, b):
    """Ancestral mean-field: x_d := sum_k alpha_dk mu_dk feeds the following dimensions (n x D)."""
    _, cols = ref._hidden_bias_and_columns(p, cfg.fold_c_into_W, None)
    a = np.array(c, dtype=np.float64)
    m = np.zeros((a.shape[0], cfg.D))
    for d in range(cfg.D):
        alpha, mu, _ = _dim_mixture(p, d, a, b)
        m[:, d] = (alpha * mu).sum(axis=1)
        a = a + m[:, d : d + 1] * cols[:, d]
    return m


def np_predict(p, cfg, X, mask):
    """One-step-ahead mean-field prediction with explicit loops over sequences and frames."""
    T, B, D = X.shape
    out = np.zeros((T, B, D))
    for j in range(B):
        hhat = p["h0"].copy()
        for t in range(T):
            if mask[t, j] == 0:
                continue
            c, b = _frame_biases(p, cfg, hhat[None])
            out[t, j] = np_mean_field(p, cfg, c, b)[0]
            hhat = _act(cfg, X[t, j] @ p["W2"] + hhat @ p["W3"] + p["b_hhat"])
    return out


def mixture_cdf(alpha, mu, sigma):
    """CDF of the 1-D mixture (alpha, mu, sigma: K) as a function."""
    return lambda x: (alpha * stats.norm.cdf((np.asarray(x)[..., None] - mu) / sigma)).sum(axis=-1)


def d1_mixture(p, cfg, c, b):
    """alpha, mu, sigma (K) of a D = 1 model's only dimension, for one row's biases."""
    alpha, mu, sigma = _dim_mixture(p, 0, np.atleast_2d(c), {k: v[:1] for k, v in b.items()})
    return alpha[0], mu[0], sigma[0]


# --------------------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rnade_d1():
    cfg = rp.ModelConfig(model="rnade", D=1, H=5, K=3)
    p = _params(cfg, 11)
    return rp.Rnade(cfg, p), p


@pytest.fixture(scope="module")
def rnade_d2():
    cfg = rp.ModelConfig(model="rnade", D=2, H=5, K=3)
    p = _params(cfg, 12)
    return rp.Rnade(cfg, p), p


@pytest.fixture(scope="module")
def rnn_d1():
    cfg = rp.ModelConfig(model="rnn-rnade", D=1, H=5, K=3, R=4)
    p = _params(cfg, 13, scale=1.0)
    return rp.RnnRnade(cfg, p), p


@pytest.fixture(scope="module", params=list(VARIANTS))
def rnn_variant(request):
    cfg = rp.ModelConfig(model="rnn-rnade", D=3, H=4, K=3, R=3, **VARIANTS[request.param])
    p = _params(cfg, 14)
    return rp.RnnRnade(cfg, p), p


# --------------------------------------------------------------------------------------------------------
# distributions
# --------------------------------------------------------------------------------------------------------
def test_rnade_d1_is_its_mixture(rnade_d1):
    model, p = rnade_d1
    alpha, mu, sigma = d1_mixture(p, model.cfg, *_static_biases(p, model.cfg, 1))  # h_1 = sigm(rho_1 c)
    x = model.sample(N_KS, seed=3)
    assert x.shape == (N_KS, 1) and x.dtype == np.float64
    assert stats.kstest(x[:, 0], mixture_cdf(alpha, mu, sigma)).pvalue > 1e-3
    assert stats.kstest(x[:, 0], mixture_cdf(alpha, mu + 0.3, sigma)).pvalue < 1e-6  # the test has power
    assert stats.kstest(x[:, 0], mixture_cdf(alpha[::-1], mu, sigma)).pvalue < 1e-6  # weights matter too


def test_rnade_d2_moments_match_quadrature(rnade_d2):
    model, p = rnade_d2
    n = 40000
    x = model.sample(n, seed=4)
    lo, hi = x.min(axis=0) - 4 * x.std(axis=0), x.max(axis=0) + 4 * x.std(axis=0)
    g1, g2 = np.linspace(lo[0], hi[0], 501), np.linspace(lo[1], hi[1], 501)
    G1, G2 = np.meshgrid(g1, g2, indexing="ij")
    dens = np.exp(model.loglik(np.stack([G1.ravel(), G2.ravel()], axis=1)).per_frame).reshape(G1.shape)

    def E(f):
        return np.trapezoid(np.trapezoid(dens * f, g2, axis=1), g1)

    assert abs(E(1.0) - 1.0) < 1e-4  # the grid holds the density
    m1, m2 = E(G1), E(G2)
    c1, c2 = G1 - m1, G2 - m2
    v1, v2, cov = E(c1**2), E(c2**2), E(c1 * c2)
    moments = {
        "mean1": (x[:, 0].mean(), m1, np.sqrt(v1 / n)),
        "mean2": (x[:, 1].mean(), m2, np.sqrt(v2 / n)),
        "var1": (x[:, 0].var(), v1, np.sqrt((E(c1**4) - v1**2) / n)),
        "var2": (x[:, 1].var(), v2, np.sqrt((E(c2**4) - v2**2) / n)),
        "cov": (np.cov(x.T)[0, 1], cov, np.sqrt((E(c1**2 * c2**2) - cov**2) / n)),  # x_1 feeds a_2
    }
    assert abs(cov) > 10 * moments["cov"][2], "parameters with too weak a dependence to test"
    for name, (got, want, se) in moments.items():
        assert abs(got - want) < 4.5 * se, (name, got, want, se)
    # the first mean-field coordinate is the exact mean of x_1
    np.testing.assert_allclose(model.predict(np.zeros((2, 2)))[:, 0], m1, rtol=1e-6, atol=1e-8)


def test_rnnrnade_d1_first_frame_and_primed_frame(rnn_d1):
    model, p = rnn_d1
    cfg = model.cfg
    first = d1_mixture(p, cfg, *_frame_biases(p, cfg, p["h0"][None]))  # biases b + h0 W_*
    x = model.sample(N_KS, steps=2, seed=5)
    assert x.shape == (2, N_KS, 1)
    assert stats.kstest(x[0, :, 0], mixture_cdf(*first)).pvalue > 1e-3

    x1 = 1.5
    hhat_1 = expit(x1 * p["W2"][0] + p["h0"] @ p["W3"] + p["b_hhat"])  # the state after the prime
    second = d1_mixture(p, cfg, *_frame_biases(p, cfg, hhat_1[None]))
    y = model.sample(N_KS, steps=1, prime=[[[x1]]], seed=6)  # one prime, continued N_KS times
    assert y.shape == (1, N_KS, 1)
    assert stats.kstest(y[0, :, 0], mixture_cdf(*second)).pvalue > 1e-3
    assert stats.kstest(y[0, :, 0], mixture_cdf(*first)).pvalue < 1e-6  # the prime matters

    # the conditional mean of that frame is what the predictor gives, exactly sum_k alpha_k mu_k
    pred = model.predict(np.array([[[x1]], [[0.0]]]))  # T=2, B=1: frame 2 predicted from hhat_1
    np.testing.assert_allclose(pred[1, 0, 0], second[0] @ second[1], rtol=1e-12)
    np.testing.assert_allclose(pred[0, 0, 0], first[0] @ first[1], rtol=1e-12)
    assert abs(y.mean() - pred[1, 0, 0]) < 4.5 * y.std() / np.sqrt(N_KS)


def test_predictor_d1_is_the_exact_conditional_mean(rnn_d1):
    model, p = rnn_d1
    cfg = model.cfg
    rng = np.random.default_rng(7)
    X = rng.normal(size=(4, 3, 1))
    mask = np.ones((4, 3))
    pred = model.predict(X, mask)
    for j in range(3):
        hhat = p["h0"]
        for t in range(4):
            alpha, mu, _ = d1_mixture(p, cfg, *_frame_biases(p, cfg, hhat[None]))
            np.testing.assert_allclose(pred[t, j, 0], alpha @ mu, rtol=1e-10)
            hhat = expit(X[t, j] @ p["W2"] + hhat @ p["W3"] + p["b_hhat"])


# --------------------------------------------------------------------------------------------------------
# exactness: replay of the draws, mean-field against NumPy
# --------------------------------------------------------------------------------------------------------
def test_rnnrnade_sampler_replays_numpy(rnn_variant):
    model, p = rnn_variant
    cfg = model.cfg
    got = model.sample(3, steps=4, seed=8)
    np.testing.assert_allclose(got, np_rnnrnade_sample(p, cfg, 4, 3, seed=8), rtol=1e-10, atol=1e-12)

    prime = np.random.default_rng(9).normal(size=(3, 3, cfg.D))
    mask = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 0]], dtype=float)  # sequences of 3, 2 and 1 frames
    prime[mask == 0] = np.nan  # padding may hold anything
    got = model.sample(3, steps=4, prime=prime, prime_mask=mask, seed=8)
    want = np_rnnrnade_sample(p, cfg, 4, 3, seed=8, prime=prime, prime_mask=mask)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    # trailing padding is skipped: the 1-frame sequence continues as if primed by its frame alone
    alone = model.sample(3, steps=4, prime=prime[:1, 2:3], seed=8)
    np.testing.assert_allclose(alone[:, 2], got[:, 2], rtol=1e-12)


def test_rnade_sampler_replays_numpy(rnade_d2):
    model, p = rnade_d2
    gen = np.random.default_rng(10)
    u, eps = gen.uniform(0.0, 1.0, (2, 50)), gen.normal(0.0, 1.0, (2, 50))
    want = np_rnade_sample(p, model.cfg, *_static_biases(p, model.cfg, 50), u, eps)
    np.testing.assert_allclose(model.sample(50, seed=10), want, rtol=1e-10, atol=1e-12)


def test_unprimed_builder_draws_what_sample_draws(rnn_variant):
    model, _ = rnn_variant
    g = build_rnnrnade_sampler(model.cfg, model.shared, prime=False, seed=0)
    assert g.prime_X is None and [v.name for v in g.inputs] == ["n_steps", "n_sequences"]
    fn = compile_function(g.inputs, g.samples, "c", updates=g.updates)
    g.rng.set_value(np.random.default_rng(12))
    np.testing.assert_array_equal(fn(3, 2), model.sample(2, steps=3, seed=12))


def test_predictor_matches_numpy_mean_field(rnn_variant):
    model, p = rnn_variant
    rng = np.random.default_rng(15)
    X = rng.normal(size=(5, 3, model.cfg.D))
    mask = np.array([[1, 1, 1], [1, 1, 1], [1, 0, 1], [1, 0, 1], [1, 0, 0]], dtype=float)
    X[mask == 0] = np.nan
    pred = model.predict(X, mask)
    assert pred.shape == X.shape
    np.testing.assert_allclose(pred, np_predict(p, model.cfg, X, mask), rtol=1e-10, atol=1e-12)
    assert np.all(pred[mask == 0] == 0)
    np.testing.assert_allclose(model.predict(X[:, 0]), pred[:, 0], rtol=1e-12)  # one sequence, T x D


def test_predictor_graph_squared_error(rnn_variant):
    model, p = rnn_variant
    g = build_rnnrnade_predictor(model.cfg, model.shared)
    fn = compile_function([g.X, g.mask], [g.prediction, g.sq_error], "c")
    X = np.random.default_rng(16).normal(size=(3, 2, model.cfg.D))
    mask = np.array([[1, 1], [1, 0], [1, 0]], dtype=float)
    pred, err = fn(X, mask)
    want = np.where(mask > 0, ((X - pred) ** 2).sum(axis=-1), 0.0)
    np.testing.assert_allclose(err, want, rtol=1e-12)


def test_rnade_predictor_is_mean_field(rnade_d2):
    model, p = rnade_d2
    pred = model.predict(np.zeros((3, 2)))
    want = np_mean_field(p, model.cfg, *_static_biases(p, model.cfg, 1))
    np.testing.assert_allclose(pred, np.broadcast_to(want, (3, 2)), rtol=1e-10)


# --------------------------------------------------------------------------------------------------------
# seeds, priming, dtype
# --------------------------------------------------------------------------------------------------------
def test_seeds_and_priming(rnn_variant, rnade_d2):
    model, _ = rnn_variant
    a = model.sample(2, steps=3, seed=1)
    np.testing.assert_array_equal(a, model.sample(2, steps=3, seed=1))
    assert not np.allclose(a, model.sample(2, steps=3, seed=2))
    assert not np.allclose(model.sample(2, steps=3, seed=None), model.sample(2, steps=3, seed=None))
    prime = np.full((2, 2, model.cfg.D), 2.0)
    b = model.sample(2, steps=3, prime=prime, seed=1)
    np.testing.assert_array_equal(b, model.sample(2, steps=3, prime=prime, seed=1))
    assert not np.allclose(a, b)  # same noise, different start
    r, _ = rnade_d2
    np.testing.assert_array_equal(r.sample(5, seed=1), r.sample(5, seed=1))
    assert not np.allclose(r.sample(5, seed=1), r.sample(5, seed=2))


def test_float32():
    cfg64 = rp.ModelConfig(model="rnn-rnade", D=3, H=4, K=3, R=3)
    cfg32 = cfg64.replace(dtype="float32")
    p = _params(cfg64, 17)
    m32 = rp.RnnRnade(cfg32, p)
    x32 = m32.sample(50, steps=4, seed=3)
    assert x32.dtype == np.float32 and x32.shape == (4, 50, 3) and np.all(np.isfinite(x32))
    x64 = np_rnnrnade_sample(p, cfg64, 4, 50, seed=3)  # the same noise in float64
    assert np.mean(np.abs(x32 - x64) > 1e-3 * (1 + np.abs(x64))) < 0.02  # rare flips of component only
    X = np.random.default_rng(18).normal(size=(3, 2, 3))
    pred = m32.predict(X)
    assert pred.dtype == np.float32
    np.testing.assert_allclose(pred, np_predict(p, cfg64, X, np.ones((3, 2))), rtol=1e-4, atol=1e-5)
    r32 = rp.Rnade(rp.ModelConfig(model="rnade", D=2, H=3, K=2, dtype="float32"))
    y = r32.sample(10, seed=0)
    assert y.dtype == np.float32 and np.all(np.isfinite(y))


# --------------------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------------------
def _one_line(exc_type, fn, *args, **kwargs):
    with pytest.raises(exc_type) as e:
        fn(*args, **kwargs)
    assert "\n" not in str(e.value) and str(e.value)


def test_bad_arguments(rnn_d1, rnade_d1):
    rnn, _ = rnn_d1
    rnade, _ = rnade_d1
    for n in (0, -1, 1.5, True, "3", None):
        _one_line(rp.ConfigError, rnade.sample, n)
        _one_line(rp.ConfigError, rnn.sample, n, steps=2)
    for steps in (None, 0, 2.0):
        _one_line(rp.ConfigError, rnn.sample, 2, steps=steps)
    for seed in (-1, 1.5, "a"):
        _one_line(rp.ConfigError, rnade.sample, 2, seed=seed)
    _one_line(rp.ConfigError, rnade.sample, 2, steps=3)
    _one_line(rp.ConfigError, rnade.sample, 2, prime=np.zeros((1, 1, 1)))
    _one_line(rp.DataError, rnn.sample, 2, 3, prime=np.zeros((2, 2, 4)))  # wrong D
    _one_line(rp.DataError, rnn.sample, 3, 3, prime=np.zeros((2, 2, 1)))  # B fits neither n nor 1
    _one_line(rp.DataError, rnn.sample, 2, 3, prime=np.full((2, 2, 1), np.nan))
    _one_line(rp.DataError, rnn.sample, 2, 3, prime=np.zeros((2, 2, 1)), prime_mask=np.ones((3, 2)))
    _one_line(rp.DataError, rnn.sample, 2, 3, prime=np.zeros((2, 2, 1)), prime_mask=np.zeros((2, 2)))
    _one_line(rp.DataError, rnn.sample, 2, 3, prime_mask=np.ones((2, 2)))
    _one_line(rp.DataError, rnn.sample, 2, 3, prime=np.zeros((0, 2, 1)))
    _one_line(rp.DataError, rnn.predict, np.zeros((2, 2, 3)))
    _one_line(rp.DataError, rnade.predict, np.zeros((2, 1)), np.ones(2))
    _one_line(rp.DataError, rnade.predict, np.zeros((2, 2)))
    # builders
    cfg = rnn.cfg
    _one_line(rp.ConfigError, build_rnnrnade_sampler, cfg, rnn.shared, 3, 2)  # n_sequences with a prime
    _one_line(rp.ConfigError, build_rnnrnade_sampler, cfg, rnn.shared, 0, prime=True)
    _one_line(rp.ConfigError, build_rnnrnade_sampler, rnade.cfg, rnade.shared)
    _one_line(rp.ConfigError, build_rnade_sampler, cfg, rnn.shared)
    _one_line(rp.ConfigError, build_rnade_sampler, rnade.cfg, rnade.shared, pt.dscalar("n"))


# --------------------------------------------------------------------------------------------------------
# RNADE-Laplace: x_d = mu_dk + b_dk eps with eps ~ Laplace(0, 1); its mean-field is the same sum alpha mu
# --------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rnade_laplace_d2():
    cfg = rp.ModelConfig(model="rnade", D=2, H=5, K=3, mixture="laplace")
    p = _params(cfg, 15)
    return rp.Rnade(cfg, p), p


def test_rnade_laplace_samples_replay_numpy_and_fit_the_mixture(rnade_laplace_d2):
    model, p = rnade_laplace_d2
    cfg = model.cfg
    gen = np.random.default_rng(10)
    u, eps = gen.uniform(0.0, 1.0, (2, 50)), gen.laplace(0.0, 1.0, (2, 50))
    want = np_rnade_sample(p, cfg, *_static_biases(p, cfg, 50), u, eps)  # x = mu_k + b_k eps
    np.testing.assert_allclose(model.sample(50, seed=10), want, rtol=1e-10, atol=1e-12)

    c, b = _static_biases(p, cfg, 1)
    alpha, mu, scale = (v[0] for v in _dim_mixture(p, 0, c, b))  # x_1's mixture, h_1 = sigm(rho_1 c)

    def laplace_cdf(mu_):
        return lambda x: (alpha * stats.laplace.cdf((np.asarray(x)[..., None] - mu_) / scale)).sum(axis=-1)

    x = model.sample(N_KS, seed=3)[:, 0]
    assert stats.kstest(x, laplace_cdf(mu)).pvalue > 1e-3
    assert stats.kstest(x, laplace_cdf(mu + 0.3)).pvalue < 1e-6  # the test has power
    assert stats.kstest(x, mixture_cdf(alpha, mu, scale * np.sqrt(2))).pvalue < 1e-6  # not a Gaussian's
    # the mean of a Laplace component is mu: mean-field is unchanged, and the sample mean agrees
    pred = model.predict(np.zeros((2, 2)))
    np.testing.assert_allclose(pred, np_mean_field(p, cfg, *_static_biases(p, cfg, 2)), rtol=1e-12)
    np.testing.assert_allclose(pred[0, 0], alpha @ mu, rtol=1e-12)
    assert abs(x.mean() - alpha @ mu) < 4.5 * x.std() / np.sqrt(N_KS)
