"""The Gaussian RNN baseline against an independent NumPy reference: density (both graphs), gradient by
finite differences, padding invariance, the closed-form prediction, sampling statistics and a tiny run."""

import numpy as np
import pytest
from scipy.stats import norm

from rnnrnade_pt.config import ModelConfig
from rnnrnade_pt.density_model import GaussianRnn
from rnnrnade_pt.errors import ConfigError
from rnnrnade_pt.models import gaussian_rnn, init_params, param_shapes
from rnnrnade_pt.params import weight_names

D, R = 3, 4
CFG = ModelConfig(model="gaussian-rnn", D=D, R=R)


def reference(p, X, mask, activation=lambda z: 1 / (1 + np.exp(-z))):
    """Frame log-likelihoods (T x B) and means (T x B x D) by loops over sequences and frames."""
    T, B, _ = X.shape
    ll, mus = np.zeros((T, B)), np.zeros((T, B, D))
    for b in range(B):
        h = p["h0"].copy()
        for t in range(T):
            if not mask[t, b]:
                continue
            mu = p["b_mu"] + h @ p["W_mu"]
            sigma = np.exp(p["b_sigma"] + h @ p["W_sigma"])
            ll[t, b] = norm.logpdf(X[t, b], mu, sigma).sum()
            mus[t, b] = mu
            h = activation(X[t, b] @ p["W2"] + h @ p["W3"] + p["b_hhat"])
    return ll, mus


@pytest.fixture(scope="module")
def values():
    v = init_params(CFG, seed=1, scale=0.5)
    v["h0"] = np.random.default_rng(2).standard_normal(R) * 0.5
    return v


@pytest.fixture(scope="module")
def model(values):
    return GaussianRnn(CFG, values)


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 3, D))
    mask = np.ones((6, 3))
    mask[4:, 1] = 0
    mask[2:, 2] = 0
    return X, mask


def test_parameters_follow_the_supplement_names():
    shapes = param_shapes(CFG)
    assert shapes == {
        "W2": (D, R),
        "W3": (R, R),
        "b_hhat": (R,),
        "h0": (R,),
        "b_mu": (D,),
        "b_sigma": (D,),
        "W_mu": (R, D),
        "W_sigma": (R, D),
    }
    assert weight_names(CFG) == ["W2", "W3", "W_mu", "W_sigma"]
    with pytest.raises(ConfigError, match="gaussian-rnn"):
        gaussian_rnn.build(ModelConfig(model="rnn-rnade", D=D))


@pytest.mark.parametrize("graph", ["fast", "scan"])
def test_loglik_matches_numpy(model, values, batch, graph):
    X, mask = batch
    ll = model.loglik(X, mask, graph=graph)
    ref, _ = reference(values, X, mask)
    np.testing.assert_allclose(ll.per_frame, ref, rtol=1e-12, atol=1e-12)
    assert ll.frames == int(mask.sum())


def test_tanh_recurrence_matches_numpy(values, batch):
    cfg = CFG.replace(rnn_activation="tanh")
    X, mask = batch
    ref, _ = reference(values, X, mask, activation=np.tanh)
    np.testing.assert_allclose(GaussianRnn(cfg, values).loglik(X, mask).per_frame, ref, rtol=1e-12)


def test_padding_is_ignored_whatever_it_holds(model, batch):
    X, mask = batch
    garbage = np.where(mask[..., None] > 0, X, 1e6)
    np.testing.assert_array_equal(model.loglik(garbage, mask).per_frame, model.loglik(X, mask).per_frame)
    short = model.loglik(X[:2, 2:3], np.ones((2, 1)))  # sequence 2 alone, unpadded
    np.testing.assert_allclose(short.total, model.loglik(X, mask).per_sequence[2], rtol=1e-13)


def test_gradient_matches_finite_differences(model, values, batch):
    X, mask = batch
    _, grads = model.gradients(X, mask)
    rng = np.random.default_rng(5)
    for name in values:
        for _ in range(2):
            idx = tuple(rng.integers(s) for s in values[name].shape)
            up, down = dict(values), dict(values)
            up[name], down[name] = values[name].copy(), values[name].copy()
            up[name][idx] += 1e-6
            down[name][idx] -= 1e-6
            fd = (reference(up, X, mask)[0].sum() - reference(down, X, mask)[0].sum()) / 2e-6
            np.testing.assert_allclose(grads[name][idx], fd, rtol=1e-5, atol=1e-7, err_msg=name)


def test_prediction_is_the_mean(model, values, batch):
    X, mask = batch
    _, mus = reference(values, X, mask)
    pred = model.predict(X, mask)
    np.testing.assert_allclose(pred, mus, rtol=1e-12, atol=1e-14)
    assert np.all(pred[mask == 0] == 0)


def test_generate_statistics_and_prime(values):
    # W3 = W_* = 0 except W_sigma: frame t's distribution depends on x_{t-1} through sigma only
    v = {k: np.zeros_like(a) for k, a in values.items()}
    v["b_mu"] = np.array([1.0, -2.0, 0.5])
    v["b_sigma"] = np.log([0.5, 1.0, 2.0])
    m = GaussianRnn(CFG, v)
    S = m.sample(n=4000, steps=2, seed=3)  # 2 x 4000 x D
    assert S.shape == (2, 4000, D)
    for t in range(2):  # mean within 4 standard errors, std within 5%
        np.testing.assert_array_less(np.abs(S[t].mean(0) - v["b_mu"]), 4 * np.exp(v["b_sigma"]) / 63)
        np.testing.assert_allclose(S[t].std(0), np.exp(v["b_sigma"]), rtol=0.05)
    np.testing.assert_array_equal(S, m.sample(n=4000, steps=2, seed=3))  # seeded
    # the prime sets the state: with W_sigma != 0 the first frame's spread follows the prime's last frame
    v2 = dict(v, W2=np.eye(D, R) * 50.0, W_sigma=np.ones((R, D)))
    m2 = GaussianRnn(CFG, v2)
    hi = m2.sample(n=2000, steps=1, prime=np.full((3, 1, D), 1.0), seed=0)[0]  # hhat ~ (1, 1, 1, 0.5)
    lo = m2.sample(n=2000, steps=1, prime=np.full((3, 1, D), -1.0), seed=0)[0]  # hhat ~ (0, 0, 0, 0.5)
    np.testing.assert_allclose(hi.std(0) / lo.std(0), np.exp(3.0), rtol=0.05)


def test_data_driven_init_is_the_static_gaussian():
    rng = np.random.default_rng(0)
    frames = rng.standard_normal((500, D)) * [1.0, 2.0, 0.0] + [3.0, -1.0, 7.0]
    v = gaussian_rnn.data_driven_init(init_params(CFG), frames, CFG, rng)
    np.testing.assert_allclose(v["b_mu"], frames.mean(0))
    np.testing.assert_allclose(v["b_sigma"], np.log(np.maximum(frames.std(0), gaussian_rnn.MIN_STD)))


def test_tiny_training_run_improves(tmp_path):
    from tiny import tiny

    from rnnrnade_pt.data.datasets import load_dataset
    from rnnrnade_pt.runs import train_and_evaluate

    cfg = tiny(
        **{
            "model.model": "gaussian-rnn",
            "model.D": 9,
            "train.epochs": 4,
            "train.lr": 0.03,
            "train.eval_sequences": 1,
        }
    )
    out = train_and_evaluate(cfg, str(tmp_path / "run"), samples=2, sample_steps=5)
    n_test = len(load_dataset(cfg.data)["test"])
    assert n_test > 1 and out["test"]["sequences"] == n_test  # eval_sequences subsets validation only
    curve = np.genfromtxt(tmp_path / "run" / "metrics.csv", delimiter=",", names=True)
    assert curve["valid_loglik"][-1] > curve["valid_loglik"][0]
    assert np.isfinite(out["test"]["loglik_per_frame"]) and out["test"]["sq_pred_error_per_frame"] > 0
    assert out["n_params"] == sum(int(np.prod(s)) for s in param_shapes(cfg.model).values())
    assert np.load(out["samples"])["X"].shape == (5, 2, 9)
    # resumed for 2 more epochs: wall_seconds counts the training time of the earlier session too
    ckpt = dict(np.load(tmp_path / "run" / "last.npz", allow_pickle=False))
    np.savez(tmp_path / "run" / "last.npz", **{**ckpt, "state/seconds": np.float64(1000.0)})
    more = train_and_evaluate(cfg.with_overrides([("train.epochs", 6)]), str(tmp_path / "run"), resume=True)
    assert more["epochs"] == 6 and more["seconds"] > 1000 and more["wall_seconds"] > more["seconds"]
