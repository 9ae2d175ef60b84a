"""RNN-NADE: both graphs against a plain NumPy loop, exact normalisation by enumerating all 2^D frames,
gradients against finite differences, padding, sampling (exactly the NumPy sampler's draws, and the exact
distribution), mean-field prediction, files and a short training run.

Float64, D=5, H=4, R=3. Compiled once per module: the density (both graphs, with gradients), the sampler,
the predictor and the trainer's step.
"""

import csv
import itertools
from typing import NamedTuple

import numpy as np
import pytest
from pytensor.graph.replace import graph_replace

import rnnrnade_pt as rp
from rnnrnade_pt.backend import compile_function
from rnnrnade_pt.config import DataConfig, RunConfig, TrainConfig
from rnnrnade_pt.data.arrays import lengths_to_mask
from rnnrnade_pt.data.batching import pad_sequences
from rnnrnade_pt.density_model import RnnNade, load_model
from rnnrnade_pt.errors import DataError
from rnnrnade_pt.models import rnn_nade, symbolic_gradients
from rnnrnade_pt.models.binary_rnn import RNN_PARAMS
from rnnrnade_pt.params import weight_names
from rnnrnade_pt.train import Trainer

CFG = rp.ModelConfig(model="rnn-nade", D=5, H=4, R=3)
T, B = 6, 3
LENGTHS = [6, 4, 1]
ALL_FRAMES = np.array(list(itertools.product([0.0, 1.0], repeat=CFG.D)))  # 2^D x D


# -- NumPy reference ------------------------------------------------------------------------------------
def _sigm(z):
    return 1.0 / (1.0 + np.exp(-z))


def _biases(p, u):
    return p["bv"] + u @ p["Wuv"], p["bh"] + u @ p["Wuh"]


def _step(p, v, u):
    return np.tanh(p["bu"] + v @ p["Wvu"] + u @ p["Wuu"])


def ref_nade_probs(p, bv, bh, v=None, w=None):
    """p(v_d = 1 | v_<d) of one frame, pitch by pitch: given ``v``, by mean-field (``v`` None, ``w`` None),
    or sampling with uniforms ``w``. Returns ``(v, probs)``."""
    D = p["W"].shape[1]
    a = bh.copy()
    probs, vals = np.zeros(D), np.zeros(D)
    for d in range(D):
        probs[d] = _sigm(bv[d] + _sigm(a) @ p["V"][d])
        if v is not None:
            vals[d] = v[d]
        elif w is not None:
            vals[d] = float(w[d] < probs[d])
        else:
            vals[d] = probs[d]
        a = a + vals[d] * p["W"][:, d]
    return vals, probs


def ref_frame_loglik(p, X, mask):
    """T x B log p(v_t | v_<t) by loops over sequences, frames and pitches (0 on padding)."""
    out = np.zeros(mask.shape)
    for b in range(X.shape[1]):
        u = np.zeros(p["bu"].shape)
        for t in range(X.shape[0]):
            if mask[t, b] == 0:
                continue
            v = X[t, b]
            _, probs = ref_nade_probs(p, *_biases(p, u), v=v)
            out[t, b] = np.sum(v * np.log(probs) + (1 - v) * np.log1p(-probs))
            u = _step(p, v, u)
    return out


def ref_predict(p, X, mask):
    out = np.zeros(X.shape)
    for b in range(X.shape[1]):
        u = np.zeros(p["bu"].shape)
        for t in range(X.shape[0]):
            if mask[t, b] == 0:
                continue
            out[t, b] = ref_nade_probs(p, *_biases(p, u))[1]
            u = _step(p, X[t, b], u)
    return out


def ref_sample(p, n, steps, seed, u=None):
    """The sampler's draws: frame t uses the t-th ``uniform(0, 1, (D, n))`` of ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    u = np.zeros((n, p["bu"].shape[0])) if u is None else u.copy()
    out = np.zeros((steps, n, p["W"].shape[1]))
    for t in range(steps):
        w = rng.uniform(0.0, 1.0, (p["W"].shape[1], n))
        for i in range(n):
            out[t, i] = ref_nade_probs(p, *_biases(p, u[i]), w=w[:, i])[0]
            u[i] = _step(p, out[t, i], u[i])
    return out


def ref_state(p, X):
    """u after the frames of one sequence X (T x D)."""
    u = np.zeros(p["bu"].shape)
    for v in X:
        u = _step(p, v, u)
    return u


# -- fixtures ---------------------------------------------------------------------------------------------
def _values(seed=0):
    """Parameters large enough that every term matters (the tutorial's init is nearly uniform)."""
    rng = np.random.default_rng(seed)
    return {n: rng.normal(0.0, 0.8, s) for n, s in rp.param_shapes(CFG).items()}


def _data(rng, garbage=True):
    X = (rng.random((T, B, CFG.D)) < 0.4).astype(float)
    mask = lengths_to_mask(LENGTHS, T)
    if garbage:
        X[mask == 0] = np.nan
    return X, mask


class Compiled(NamedTuple):
    values: dict
    shared: dict
    fn: object  # (X, mask) -> [scan loglik, fast loglik, *scan grads, *fast grads]
    names: list


@pytest.fixture(scope="module")
def compiled() -> Compiled:
    values = _values()
    shared = rp.shared_params(CFG, values)
    gs, gf = rp.build(CFG, shared, "scan"), rp.build(CFG, shared, "fast")
    names = list(shared)
    gr_s, gr_f = symbolic_gradients(gs), symbolic_gradients(gf)
    scan_outs = graph_replace([gs.frame_loglik] + [gr_s[n] for n in names], {gs.X: gf.X, gs.mask: gf.mask})
    outs = scan_outs[:1] + [gf.frame_loglik] + scan_outs[1:] + [gr_f[n] for n in names]
    fn = compile_function([gf.X, gf.mask], outs, backend="c", name="check_rnn_nade")
    return Compiled(values, shared, fn, names)


def _run(c, X, mask):
    out = [np.asarray(o) for o in c.fn(X, mask)]
    n = len(c.names)
    return (
        out[0],
        out[1],
        dict(zip(c.names, out[2 : 2 + n], strict=True)),
        dict(zip(c.names, out[2 + n :], strict=True)),
    )


@pytest.fixture(scope="module")
def model() -> RnnNade:
    return RnnNade(CFG, _values(1))


# -- parameters and the registry ----------------------------------------------------------------------------
def test_parameters_and_tutorial_init():
    shapes = rp.param_shapes(CFG)
    assert list(shapes) == ["W", "V", "bv", "bh", *RNN_PARAMS]
    assert shapes["W"] == (4, 5) and shapes["V"] == (5, 4) and shapes["Wuv"] == (3, 5)
    assert set(weight_names(CFG)) == {"W", "V", "Wuh", "Wuv", "Wvu", "Wuu"}
    big = rp.ModelConfig(model="rnn-nade", D=88, H=150, R=100)
    v = rp.init_params(big, 0, 0.01)
    assert np.std(v["W"]) == pytest.approx(0.01, rel=0.05) and np.std(v["V"]) == pytest.approx(0.01, rel=0.05)
    assert np.std(v["Wuu"]) == pytest.approx(1e-4, rel=0.05) and np.std(v["Wvu"]) == pytest.approx(
        1e-4, rel=0.05
    )
    assert not v["bv"].any() and not v["bh"].any() and not v["bu"].any()
    assert CFG.rnn_activation == "tanh"
    with pytest.raises(rp.ConfigError, match="rnn-nade"):
        rnn_nade.build_rnnnade(rp.ModelConfig(model="rnn-rnade", D=5, H=4, K=2, R=3))


# -- the density ------------------------------------------------------------------------------------------
def test_both_graphs_equal_the_numpy_reference(compiled):
    X, mask = _data(np.random.default_rng(2))
    ll_scan, ll_fast, _, _ = _run(compiled, X, mask)
    expected = ref_frame_loglik(compiled.values, np.nan_to_num(X), mask)
    np.testing.assert_allclose(ll_fast, expected, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(ll_scan, expected, rtol=1e-11, atol=1e-12)
    assert np.all(ll_fast[mask == 0] == 0) and np.all(ll_fast[mask > 0] < 0)


@pytest.mark.parametrize("context", [None, [1, 0, 1, 1, 0]])
def test_every_conditional_frame_distribution_sums_to_one(compiled, context):
    # all 2^D frames as B sequences, alone (u_0 = 0) or after a context frame: sum_v p(v | past) = 1
    n = len(ALL_FRAMES)
    if context is None:
        X, mask = ALL_FRAMES[None], np.ones((1, n))
    else:
        X = np.stack([np.broadcast_to(np.array(context, float), ALL_FRAMES.shape), ALL_FRAMES])
        mask = np.ones((2, n))
    for ll in _run(compiled, X, mask)[:2]:
        np.testing.assert_allclose(np.exp(ll[-1]).sum(), 1.0, rtol=1e-12)


def test_scan_and_fast_gradients_agree_and_equal_finite_differences(compiled):
    X, mask = _data(np.random.default_rng(3))
    _, _, g_scan, g_fast = _run(compiled, X, mask)
    base = {n: v.copy() for n, v in compiled.values.items()}
    eps = 1e-6
    try:
        for name in compiled.names:
            np.testing.assert_allclose(g_scan[name], g_fast[name], rtol=1e-10, atol=1e-12, err_msg=name)
            fd = np.zeros_like(base[name])
            for idx in np.ndindex(fd.shape):
                for sign in (1, -1):
                    v = base[name].copy()
                    v[idx] += sign * eps
                    compiled.shared[name].set_value(v)
                    fd[idx] += sign * _run(compiled, X, mask)[1].sum() / (2 * eps)
                compiled.shared[name].set_value(base[name])
            np.testing.assert_allclose(g_fast[name], fd, rtol=1e-5, atol=1e-7, err_msg=name)
            assert np.abs(g_fast[name]).max() > 1e-3, f"{name}: a vanishing gradient tests nothing"
    finally:
        for name, v in base.items():
            compiled.shared[name].set_value(v)


def test_padding_and_its_content_change_nothing(compiled):
    rng = np.random.default_rng(4)
    X, mask = _data(rng, garbage=False)
    ll, _, _, g = _run(compiled, X, mask)
    Xg = X.copy()
    garbage = (rng.random((int((mask == 0).sum()), CFG.D)) < 0.5).astype(float)  # binary-looking garbage
    garbage[:, 0] = np.nan
    Xg[mask == 0] = garbage
    ll2, _, _, g2 = _run(compiled, Xg, mask)
    np.testing.assert_array_equal(ll, ll2)
    for n in g:
        np.testing.assert_array_equal(g[n], g2[n])
    # a padded frame inside a sequence is skipped: the state passes over it
    hole = mask.copy()
    hole[2, 0] = 0
    expected = ref_frame_loglik(compiled.values, X[[0, 1, 3, 4, 5], :1], np.ones((5, 1)))
    got = _run(compiled, X, hole)[1][:, 0]
    np.testing.assert_allclose(got[[0, 1, 3, 4, 5]], expected[:, 0], rtol=1e-11)
    assert got[2] == 0


def test_model_loglik_and_non_binary_data(model):
    X, mask = _data(np.random.default_rng(5))
    ll = model.loglik(X, mask)
    np.testing.assert_allclose(ll.per_frame, ref_frame_loglik(model.get_params(), np.nan_to_num(X), mask))
    assert ll.frames == sum(LENGTHS)
    bad = np.nan_to_num(X)
    bad[1, 0, 2] = 0.5
    with pytest.raises(DataError, match="binary"):
        model.loglik(bad, mask)


# -- generation and prediction ------------------------------------------------------------------------------
def test_generate_is_the_numpy_sampler_with_the_same_draws(model):
    p = model.get_params()
    a = model.sample(4, steps=5, seed=7)
    assert a.shape == (5, 4, CFG.D) and set(np.unique(a)) <= {0.0, 1.0}
    np.testing.assert_array_equal(a, ref_sample(p, 4, 5, seed=7))
    np.testing.assert_array_equal(a, model.sample(4, steps=5, seed=7))
    assert not np.array_equal(a, model.sample(4, steps=5, seed=8))
    # a prime: sampling continues from the state after it (one prime repeated for every sequence)
    prime = np.array([[1, 0, 0, 1, 1], [0, 1, 1, 0, 0]], float)  # T0 x D
    b = model.sample(3, steps=2, prime=prime, seed=1)
    np.testing.assert_array_equal(b, ref_sample(p, 3, 2, seed=1, u=np.tile(ref_state(p, prime), (3, 1))))
    with pytest.raises(DataError, match="binary"):
        model.sample(1, steps=1, prime=prime * 0.5)


def test_samples_follow_the_exact_frame_distribution(model):
    # one frame from u_0 = 0: empirical frequencies of the 2^D frames vs exact probabilities (enumeration)
    n = 20000
    frames = model.sample(n, steps=1, seed=3)[0]  # n x D
    p = model.get_params()
    probs = np.exp(ref_frame_loglik(p, ALL_FRAMES[None], np.ones((1, len(ALL_FRAMES))))[0])
    codes = frames @ (2 ** np.arange(CFG.D)[::-1])
    counts = np.bincount(codes.astype(int), minlength=len(ALL_FRAMES))
    chi2 = np.sum((counts - n * probs) ** 2 / (n * probs))
    assert chi2 < 70, chi2  # 31 degrees of freedom: P(chi2 > 70) ~ 1e-4
    marginal = ALL_FRAMES.T @ probs  # D exact p(v_d = 1)
    np.testing.assert_allclose(frames.mean(axis=0), marginal, atol=4 * np.sqrt(0.25 / n))


def test_predict_is_the_mean_field_of_the_true_past(model):
    X, mask = _data(np.random.default_rng(6))
    got = model.predict(X, mask)
    expected = ref_predict(model.get_params(), np.nan_to_num(X), mask)
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-14)
    assert np.all(got[mask == 0] == 0)
    # the lowest pitch's prediction is exact: p(v_1 = 1) of the first frame, from the enumerated density
    probs = np.exp(ref_frame_loglik(model.get_params(), ALL_FRAMES[None], np.ones((1, len(ALL_FRAMES))))[0])
    assert got[0, 0, 0] == pytest.approx(ALL_FRAMES[:, 0] @ probs, rel=1e-10)


# -- files and training -------------------------------------------------------------------------------------
def test_save_load_round_trip(model, tmp_path):
    path = tmp_path / "nade.npz"
    model.save(path)
    loaded = load_model(path)
    assert isinstance(loaded, RnnNade) and loaded.cfg == CFG
    for n, v in model.get_params().items():
        np.testing.assert_array_equal(loaded.get_params()[n], v)


def test_two_epoch_training_run(tmp_path):
    rng = np.random.default_rng(8)
    on = np.array([0.9, 0.1, 0.7, 0.1, 0.5])  # a structured piano roll: the model can learn the rates
    seqs = [(rng.random((int(rng.integers(5, 12)), CFG.D)) < on).astype(float) for _ in range(12)]
    run = RunConfig(CFG, TrainConfig(epochs=2, batch_size=4, window=6, lr=0.05, seed=2), DataConfig("memory"))
    trainer = Trainer(run, str(tmp_path / "run"), {"train": seqs[:9], "valid": seqs[9:]})
    before = trainer.model.loglik(*pad_sequences(seqs[9:])).total
    assert trainer.fit() == "epochs"
    with open(tmp_path / "run" / "metrics.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert all(np.isfinite(float(r["valid_loglik"])) for r in rows)
    after = load_model(tmp_path / "run" / "best.npz").loglik(*pad_sequences(seqs[9:])).total
    assert after > before
