"""RNN-RBM: AIS against exact enumeration, the free energy, the CD-k chain and gradient against NumPy, the
conditional biases against a NumPy loop, padding invariance, generation, prediction, and a Trainer run that
resumes identically. Float64, D=6, H=4, R=3 (2^4 hidden states to enumerate)."""

from __future__ import annotations

import csv
import itertools
import json
import os

import numpy as np
import pytensor
import pytest

from rnnrnade_pt.backend import compile_function
from rnnrnade_pt.checkpoint import load_checkpoint
from rnnrnade_pt.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from rnnrnade_pt.density_model import RnnRbm
from rnnrnade_pt.models import rnn_rbm
from rnnrnade_pt.models.rnn_rbm import CD_SEED, build_rnnrbm
from rnnrnade_pt.train import Trainer

D, H, R = 6, 4, 3
CD_K = 3
CHAINS, BETAS = 200, 200
CFG = ModelConfig(model="rnn-rbm", D=D, H=H, R=R, cd_k=CD_K, gibbs_k=5, ais_chains=CHAINS, ais_betas=BETAS)
NAMES = list(rnn_rbm.param_shapes(CFG))


# -- NumPy references --------------------------------------------------------------------------------------
def softplus(x):
    return np.logaddexp(0.0, x)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_free_energy(v, W, bv, bh):
    return -(v * bv).sum(-1) - softplus(v @ W + bh).sum(-1)


HIDDEN = np.array(list(itertools.product([0.0, 1.0], repeat=H)))  # 2^H x H


def np_log_z(W, bv, bh):
    """Exact log Z of RBMs (rows of bv: N x D, bh: N x H) by enumerating the 2^H hidden states:
    log Z = logsumexp_h [h . bh + sum_i softplus(bv_i + W_i . h)] (independent of the free-energy form)."""
    terms = HIDDEN @ bh.T + softplus(bv[None, :, :] + (HIDDEN @ W.T)[:, None, :]).sum(-1)  # 2^H x N
    m = terms.max(0)
    return m + np.log(np.exp(terms - m).sum(0))


def np_conditional_biases(X, mask, p):
    """bv_t, bh_t (T x B x ...) and u after each frame, by a Python loop over time."""
    T, B, _ = X.shape
    u = np.zeros((B, R))
    bv_t, bh_t, us = np.zeros((T, B, D)), np.zeros((T, B, H)), np.zeros((T, B, R))
    for t in range(T):
        bv_t[t] = p["bv"] + u @ p["Wuv"]
        bh_t[t] = p["bh"] + u @ p["Wuh"]
        new = np.tanh(p["bu"] + X[t] @ p["Wvu"] + u @ p["Wuu"])
        u = np.where(mask[t][:, None] > 0, new, u)
        us[t] = u
    return bv_t, bh_t, us


def np_frame_loglik(X, mask, p):
    """Exact log p(v_t | v_<t) = -F_t(v_t) - log Z_t, 0 on padding."""
    bv_t, bh_t, _ = np_conditional_biases(X, mask, p)
    F = np_free_energy(X, p["W"], bv_t, bh_t)
    log_z = np_log_z(p["W"], bv_t.reshape(-1, D), bh_t.reshape(-1, H)).reshape(mask.shape)
    return (-F - log_z) * mask


def ais_standard_error(log_w):
    """Delta-method standard error of the AIS log Z from the M chains' log-weights (M x ...):
    std(w) / (sqrt(M) mean(w)), the spread of log(mean w) over repeated runs; the tests allow 4 of them."""
    w = np.exp(log_w - log_w.max(0))
    return w.std(0) / (np.sqrt(log_w.shape[0]) * w.mean(0))


def np_train_cost(p, X, mask, v_sample):
    """mean over frames of F_t(v_t) - F_t(v_sample_t), v_sample held fixed."""
    bv_t, bh_t, _ = np_conditional_biases(X, mask, p)
    diff = np_free_energy(X, p["W"], bv_t, bh_t) - np_free_energy(v_sample, p["W"], bv_t, bh_t)
    return (diff * mask).sum() / mask.sum()


def np_cd_chain(v, W, bv, bh, k, rng):
    """The tutorial's chain and monitor with NumPy's draws (``u < p``, u uniform), in the graph's order (h,
    then v)."""

    def bernoulli(p):
        return (rng.uniform(0.0, 1.0, p.shape) < p).astype(float)

    for _ in range(k):
        h = bernoulli(sigmoid(v @ W + bh))
        v = bernoulli(sigmoid(h @ W.T + bv))
    h = bernoulli(sigmoid(v @ W + bh))
    mean_v = sigmoid(h @ W.T + bv)
    return v, mean_v


# -- fixtures ----------------------------------------------------------------------------------------------
def random_params(seed, w_scale=1.0, rnn_scale=0.7):
    rng = np.random.default_rng(seed)
    p = {n: rnn_scale * rng.standard_normal(s) for n, s in rnn_rbm.param_shapes(CFG).items()}
    p["W"] = w_scale * rng.standard_normal((D, H))
    p["bv"] = rng.standard_normal(D) - 1.0
    p["bh"] = 0.5 * rng.standard_normal(H)
    return p


def binary_batch(seed, lengths, fill=0.0):
    rng = np.random.default_rng(seed)
    T = max(lengths)
    X = (rng.random((T, len(lengths), D)) < 0.35).astype(float)
    mask = np.zeros((T, len(lengths)))
    for b, n in enumerate(lengths):
        mask[:n, b] = 1.0
        X[n:, b] = fill
    return X, mask


@pytest.fixture(scope="module")
def model_fn():
    """The RNN-RBM graph compiled once (large random parameters unless others are given): every piece,
    the AIS estimate and train_cost's CD gradient."""
    p = random_params(11)
    shared = {n: pytensor.shared(p[n], name=n) for n in NAMES}
    g = build_rnnrbm(CFG, shared)
    grads = pytensor.grad(g.train_cost, [shared[n] for n in NAMES], consider_constant=g.consider_constant)
    grads += pytensor.grad(g.total, [shared[n] for n in NAMES])  # what DensityModel.gradients returns
    keys = [
        "loglik",
        "log_z",
        "ais_log_w",
        "F",
        "bv_t",
        "bh_t",
        "u",
        "v_sample",
        "train_cost",
        "total",
        "cost",
    ]
    outs = [g.frame_loglik, g.log_z, g.ais_log_w, g.free_energy, g.bv_t, g.bh_t, g.u, g.v_sample]
    outs += [g.train_cost, g.total, g.cost]
    fn = compile_function([g.X, g.mask], outs + grads, updates=g.rng_updates, name="rnnrbm_test")

    def call(X, mask, reset=True, values=None):
        for n in NAMES:
            shared[n].set_value((p if values is None else values)[n])
        if reset:
            g.rngs["cd"].set_value(np.random.default_rng(CD_SEED), borrow=True)
        out = fn(X, mask)
        res = dict(zip(keys, out[: len(keys)], strict=True))
        res["grads"] = dict(zip(NAMES, out[len(keys) : len(keys) + len(NAMES)], strict=True))
        res["total_grads"] = dict(zip(NAMES, out[len(keys) + len(NAMES) :], strict=True))
        return res

    return p, g, call


# -- the RBM ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("w_scale", [0.5, 1.5, 3.0])
def test_ais_log_z_matches_exact_enumeration(model_fn, w_scale):
    """Frame RBMs with weights of growing size (random RNN weights too: every frame's biases differ)."""
    _, _, call = model_fn
    values = random_params(int(10 * w_scale), w_scale=w_scale, rnn_scale=1.0)
    X, mask = binary_batch(5, [3])
    out = call(X, mask, values=values)
    exact = np_log_z(values["W"], out["bv_t"].reshape(-1, D), out["bh_t"].reshape(-1, H))
    se = ais_standard_error(out["ais_log_w"]).ravel()
    assert np.all(se < 0.05), se  # the estimate is precise enough for the bound below to mean something
    assert np.all(np.abs(out["log_z"].ravel() - exact) < 4 * se + 1e-3), (out["log_z"].ravel() - exact, se)


def estimator_fn(**ais):
    """``(log Z, log-weights, exact log Z, log-likelihood)`` of a batch under a model built with other AIS
    settings (``ModelConfig`` fields), compiled on its own."""
    cfg = CFG.replace(**ais)
    shared = {n: pytensor.shared(np.zeros(s), name=n) for n, s in rnn_rbm.param_shapes(cfg).items()}
    g = build_rnnrbm(cfg, shared)
    fn = compile_function([g.X, g.mask], [g.log_z, g.ais_log_w, g.bv_t, g.bh_t, g.loglik], name="ais_test")

    def call(X, mask, values):
        for n, v in values.items():
            shared[n].set_value(v)
        log_z, log_w, bv_t, bh_t, loglik = fn(X, mask)
        exact = np_log_z(values["W"], bv_t.reshape(-1, D), bh_t.reshape(-1, H)).reshape(mask.shape)
        return log_z, log_w, exact, loglik

    call.ais_rng = g.ais_rng
    return call


@pytest.mark.parametrize(
    ("base", "direction"), [("mean-field", "forward"), ("biases", "reverse"), ("mean-field", "reverse")]
)
def test_every_ais_start_and_direction_matches_exact_enumeration(base, direction):
    """The mean-field start and reverse annealing (RAISE) estimate every frame's log Z (reverse: the log Z
    implied by its estimate of the frame's probability) within 4 standard errors of enumeration."""
    call = estimator_fn(ais_base=base, ais_direction=direction)
    values = random_params(15, w_scale=1.5, rnn_scale=1.0)
    X, mask = binary_batch(5, [3, 2])
    log_z, log_w, exact, _ = call(X, mask, values)
    on = mask.ravel() > 0
    se = ais_standard_error(log_w).reshape(-1)[on]
    err = (log_z - exact).ravel()[on]
    assert np.all(se < 0.05), se
    assert np.all(np.abs(err) < 4 * se + 1e-3), (err, se)


VISIBLE = np.array(list(itertools.product([0.0, 1.0], repeat=D)))  # 2^D x D


def np_sample_sequences(p, T, B, rng):
    """B sequences of T frames drawn exactly from the RNN-RBM (each frame from its conditional RBM's
    2^D visible probabilities, by enumeration)."""
    X, mask = np.zeros((T, B, D)), np.ones((T, B))
    for t in range(T):
        bv_t, bh_t, _ = np_conditional_biases(X[: t + 1], mask[: t + 1], p)
        for b in range(B):
            log_p = -np_free_energy(VISIBLE, p["W"], bv_t[t, b], bh_t[t, b])
            prob = np.exp(log_p - log_p.max())
            X[t, b] = VISIBLE[rng.choice(len(VISIBLE), p=prob / prob.sum())]
    return X, mask


def test_forward_and_reverse_annealing_bracket_the_loglik_of_the_models_own_frames():
    """With too few temperatures for large weights, on frames drawn from the model, AIS overestimates the
    mean log-likelihood and RAISE underestimates it (in expectation it is the log-likelihood of the
    annealing's own generative model, below the model's by a KL divergence): the two bracket the exact
    value. (On frames the model does not fit, RAISE can overestimate too.)"""
    values = random_params(23, w_scale=4.0, rnn_scale=1.0)
    X, mask = np_sample_sequences(values, 8, 4, np.random.default_rng(0))
    n = mask.sum()
    exact = np_frame_loglik(X, mask, values).sum() / n
    upper = estimator_fn(ais_betas=3, ais_chains=20)(X, mask, values)[3].sum() / n
    lower = estimator_fn(ais_betas=3, ais_chains=20, ais_direction="reverse")(X, mask, values)[3].sum() / n
    assert lower + 0.05 < exact < upper - 0.05, (lower, exact, upper)


def test_standard_error_of_the_mean_loglik_is_calibrated_against_enumeration():
    """The mean AIS log-likelihood over every frame of a batch lies within 4 of its standard errors
    (``rnn_rbm.ais_mean_standard_error``, what ``evaluate_run`` reports) of exact enumeration, and that
    standard error is the spread of the mean over independent AIS streams (the frames of a noise group share
    each stream's uniforms, so their errors are correlated: the per-frame errors' root-sum-square would
    understate it, and the chains' spread alone, as if every frame shared them, would overstate it).
    50 chains: the draws of all 1,024 noise groups at every temperature are most of the work here."""
    call = estimator_fn(ais_chains=50)
    values = random_params(21, w_scale=3.0, rnn_scale=1.0)  # large weights: AIS errors worth measuring
    X, mask = binary_batch(2, [6, 4, 5])
    n = mask.sum()
    means, ses = [], []
    for seed in range(16):
        call.ais_rng.set_value(np.random.default_rng(seed), borrow=True)
        _, log_w, exact, loglik = call(X, mask, values)
        sums = rnn_rbm.ais_standard_error(log_w, mask)  # M x G
        assert sums.shape == (50, rnn_rbm.AIS_GROUPS)
        assert np.count_nonzero(sums.any(axis=0)) == len(np.unique(rnn_rbm.ais_groups(mask)[mask > 0]))
        means.append(loglik.sum() / n)
        ses.append(rnn_rbm.ais_mean_standard_error(sums, n))
    exact = np_frame_loglik(X, mask, values).sum() / n
    means, ses = np.array(means), np.array(ses)
    assert np.all(np.abs(means - exact) < 4 * ses), (means - exact, ses)
    spread = means.std(ddof=1)
    assert 0.5 < spread / ses.mean() < 2.0, (spread, ses.mean())
    assert spread > 1e-4  # the check can fail: the streams do differ
    with pytest.raises(ValueError, match="M >= 2"):
        rnn_rbm.ais_mean_standard_error(sums[:1], n)


def test_frames_share_the_ais_noise_of_their_group_only(model_fn):
    """Sequences whose every frame has the same RBM (zero RNN-to-bias maps): two of one length have equal
    estimates at each time step (one group, shared uniforms); across the time steps of a sequence, and
    between sequences of different lengths, they differ (own groups)."""
    _, _, call = model_fn
    values = random_params(5, w_scale=2.0)
    values["Wuv"], values["Wuh"] = np.zeros_like(values["Wuv"]), np.zeros_like(values["Wuh"])
    X, mask = binary_batch(7, [4, 4, 3])
    groups = rnn_rbm.ais_groups(mask)
    assert groups[0, 0] == groups[0, 1] == (rnn_rbm.AIS_GROUP_STRIDE * 4) % rnn_rbm.AIS_GROUPS
    assert len(np.unique(groups[mask > 0])) == 4 + 3
    out = call(X, mask, values=values)
    log_z = out["log_z"]  # T x B, every frame the same RBM
    np.testing.assert_array_equal(log_z[:, 0], log_z[:, 1])
    assert len(np.unique(log_z[:, 0])) == 4 and not np.any(np.isin(log_z[:3, 2], log_z[:, 0]))
    X, mask = X[:, :2], mask[:, :2]
    out = call(X, mask, values=values)
    # the standard error counts the 4 time steps' errors as independent, each step's 2 frames as one
    sums = rnn_rbm.ais_standard_error(out["ais_log_w"], mask)
    per_step = [rnn_rbm.ais_mean_standard_error(sums[:, [g]], 2) for g in rnn_rbm.ais_groups(mask)[:, 0]]
    se = rnn_rbm.ais_mean_standard_error(sums, 8)
    np.testing.assert_allclose(se, np.sqrt(np.sum(np.square(per_step))) / 4, rtol=1e-12)
    assert se < 0.75 * np.mean(per_step)


def test_free_energy_conditional_biases_and_exact_frame_loglik(model_fn):
    p, _, call = model_fn
    X, mask = binary_batch(0, [5, 3])
    out = call(X, mask)
    bv_t, bh_t, u = np_conditional_biases(X, mask, p)
    np.testing.assert_allclose(out["bv_t"], bv_t, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out["bh_t"], bh_t, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out["u"], u, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out["F"], np_free_energy(X, p["W"], bv_t, bh_t) * mask, rtol=1e-10)
    # AIS frame log-likelihood vs exact enumeration: each frame within 4 of its chains' standard errors
    exact = np_frame_loglik(X, mask, p)
    assert np.all(out["loglik"][mask == 0] == 0)
    se = ais_standard_error(out["ais_log_w"])  # T x B
    assert np.all(se[mask > 0] < 0.05), se
    assert np.all(np.abs(out["loglik"] - exact) < 4 * se + 1e-3), (out["loglik"] - exact, se)
    # common random numbers: the AIS generator is not advanced, the estimate is a function of the data
    np.testing.assert_array_equal(call(X, mask)["loglik"], out["loglik"])


def test_cd_chain_monitor_and_gradient_against_numpy(model_fn):
    p, _, call = model_fn
    X, mask = binary_batch(1, [4, 4])
    out = call(X, mask)
    bv_t, bh_t, _ = np_conditional_biases(X, mask, p)
    v = X.reshape(-1, D)
    v_k, mean_v = np_cd_chain(
        v, p["W"], bv_t.reshape(-1, D), bh_t.reshape(-1, H), CD_K, np.random.default_rng(CD_SEED)
    )
    np.testing.assert_array_equal(out["v_sample"].reshape(-1, D), v_k)  # the same chain, draw for draw
    monitor = (v * np.log(mean_v) + (1 - v) * np.log1p(-mean_v)).sum()
    np.testing.assert_allclose(out["total"], monitor, rtol=1e-10)
    np.testing.assert_allclose(out["cost"], -monitor / mask.sum(), rtol=1e-10)
    vs = out["v_sample"]
    np.testing.assert_allclose(out["train_cost"], np_train_cost(p, X, mask, vs), rtol=1e-10)
    # the analytic CD-k formula for the RBM's own parameters ...
    n, b_h, v_s = mask.sum(), bh_t.reshape(-1, H), out["v_sample"].reshape(-1, D)
    ph, phs = sigmoid(v @ p["W"] + b_h), sigmoid(v_s @ p["W"] + b_h)  # TB x H
    np.testing.assert_allclose(out["grads"]["W"], -(v.T @ ph - v_s.T @ phs) / n, rtol=1e-9)
    np.testing.assert_allclose(out["grads"]["bv"], -(v - v_s).sum(0) / n, atol=1e-12)
    np.testing.assert_allclose(out["grads"]["bh"], -(ph - phs).sum(0) / n, rtol=1e-9, atol=1e-12)
    # ... and central differences of the NumPy cost with the chain's end fixed, for every parameter
    eps = 1e-6
    for name in NAMES:
        fd = np.zeros_like(p[name])
        for idx in np.ndindex(p[name].shape):
            plus, minus = {**p, name: p[name].copy()}, {**p, name: p[name].copy()}
            plus[name][idx] += eps
            minus[name][idx] -= eps
            fd[idx] = (np_train_cost(plus, X, mask, vs) - np_train_cost(minus, X, mask, vs)) / (2 * eps)
        np.testing.assert_allclose(out["grads"][name], fd, rtol=1e-5, atol=1e-8, err_msg=name)
    # total: the monitor's value, the CD-k gradient of the summed log-likelihood (-n_frames train_cost's)
    for name in NAMES:
        np.testing.assert_allclose(
            out["total_grads"][name], -n * out["grads"][name], rtol=1e-12, err_msg=name
        )
    # the graph's rng_updates advance the chain's generator: a second call draws a new chain
    assert not np.array_equal(call(X, mask, reset=False)["v_sample"], vs)


def test_padding_changes_nothing(model_fn):
    _, _, call = model_fn
    X, mask = binary_batch(2, [5, 3])
    Xg = X.copy()
    Xg[3:, 1] = np.nan  # whatever the padding holds
    a, b = call(X, mask), call(Xg, mask)
    for key in ("loglik", "F", "v_sample", "train_cost", "total"):
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    for name in NAMES:
        np.testing.assert_array_equal(a["grads"][name], b["grads"][name], err_msg=name)
    assert np.all(a["loglik"][3:, 1] == 0) and np.all(a["F"][3:, 1] == 0)
    alone = call(X[:, :1], mask[:, :1])  # the first sequence alone: the same biases, F and AIS estimate
    for key in ("F", "bv_t", "bh_t", "u", "loglik"):
        np.testing.assert_allclose(alone[key][:, 0], a[key][:, 0], rtol=1e-12, atol=1e-14, err_msg=key)


# -- generation and prediction --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def model():
    return RnnRbm(CFG, random_params(3, w_scale=2.0))


def test_generate_is_binary_seeded_and_continues_a_prime(model):
    a = model.sample(3, steps=7, seed=4)
    assert a.shape == (7, 3, D) and set(np.unique(a)) <= {0.0, 1.0}
    np.testing.assert_array_equal(model.sample(3, steps=7, seed=4), a)
    assert not np.array_equal(model.sample(3, steps=7, seed=5), a)
    X, mask = binary_batch(3, [4])
    primed = model.sample(2, steps=5, prime=X, prime_mask=mask, seed=4)  # one prime, repeated twice
    assert primed.shape == (5, 2, D) and set(np.unique(primed)) <= {0.0, 1.0}
    assert not np.array_equal(primed, model.sample(2, steps=5, seed=4))  # the prime sets the biases


def test_predict_is_the_mean_field_fixed_point(model):
    p = model.get_params()
    X, mask = binary_batch(4, [5, 2])
    pred = model.predict(X, mask)
    bv_t, bh_t, _ = np_conditional_biases(X, mask, p)
    m = sigmoid(bv_t)
    for _ in range(CFG.gibbs_k):
        m = sigmoid(sigmoid(m @ p["W"] + bh_t) @ p["W"].T + bv_t)
    np.testing.assert_allclose(pred, m * mask[..., None], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(model.predict(X[:, 0]), pred[:, 0], rtol=1e-12)  # T x D


# -- training ---------------------------------------------------------------------------------------------
def _rows(path):
    with open(path) as fh:
        return [{k: v for k, v in r.items() if k != "seconds"} for r in csv.DictReader(fh)]


def test_two_epochs_train_and_resume_identically(tmp_path):
    rng = np.random.default_rng(0)
    seqs = [(rng.random((int(n), D)) < 0.3).astype(float) for n in rng.integers(6, 12, size=8)]
    splits = {"train": seqs[:6], "valid": seqs[6:]}
    small = CFG.replace(ais_chains=20, ais_betas=20)
    train = TrainConfig(epochs=2, batch_size=2, window=5, lr=0.05, optimizer="sgd", init="gaussian", seed=1)
    run_cfg = RunConfig(small, train, DataConfig(dataset="memory"))
    straight = Trainer(run_cfg, str(tmp_path / "straight"), splits)
    assert straight.fit() == "epochs"
    ck = load_checkpoint(tmp_path / "straight" / "last.npz")
    assert "rng/cd" in ck
    assert json.loads(str(ck["rng/cd"])) != np.random.default_rng(CD_SEED).bit_generator.state  # advanced
    rows = _rows(tmp_path / "straight" / "metrics.csv")
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert all(np.isfinite(float(r["valid_loglik"])) and float(r["valid_loglik"]) < 0 for r in rows)
    # no tractable training log-likelihood: the column says what training monitors
    assert "train_recon_loglik" in rows[0] and "train_loglik" not in rows[0]
    assert all(float(r["train_recon_loglik"]) < 0 for r in rows)
    run = str(tmp_path / "resumed")
    with pytest.raises(KeyboardInterrupt):
        Trainer(run_cfg, run, splits).fit(interrupt_at_step=int(ck["state/step"]) - 2)  # mid epoch 2
    resumed = Trainer(run_cfg, run, splits, resume=True)
    assert resumed.fit() == "epochs"
    a, b = straight.model.get_params(), resumed.model.get_params()
    assert all(np.array_equal(a[n], b[n]) for n in NAMES)
    assert str(load_checkpoint(os.path.join(run, "last.npz"))["rng/cd"]) == str(ck["rng/cd"])
    assert _rows(os.path.join(run, "metrics.csv")) == rows  # AIS on the same numbers: the same scores


def test_cd_chains_follow_the_run_seed_and_every_shape_has_its_own_checkpointed_stream(tmp_path):
    """The CD generator is seeded from train.seed (not the tutorial's fixed CD_SEED); under JAX each static
    shape's graph has its own generator, checkpointed under ``rng/cd@<shape>``."""
    rng = np.random.default_rng(0)
    seqs = [(rng.random((8, D)) < 0.3).astype(float) for _ in range(4)]
    splits = {"train": seqs[:3], "valid": seqs[3:]}
    small = CFG.replace(ais_chains=4, ais_betas=4)
    states = {}
    for seed in (1, 2):
        train = TrainConfig(epochs=1, batch_size=2, window=5, init="gaussian", seed=seed)
        run_cfg = RunConfig(small, train, DataConfig(dataset="memory"))
        tr = Trainer(run_cfg, str(tmp_path / f"s{seed}"), splits)
        tr._step_fn("train")
        states[seed] = tr.rngs["rng/cd"].get_value().bit_generator.state
        assert states[seed] == np.random.default_rng([seed, 11, 1]).bit_generator.state
        var = pytensor.shared(np.random.default_rng(CD_SEED))
        assert tr._seed_generator(var, "cd", "train", (5, 2, D)) == f"rng/cd@5x2x{D}"
        expected = np.random.default_rng([seed, 11, 1, 5, 2, D]).bit_generator.state
        assert var.get_value().bit_generator.state == expected
        saved = np.random.default_rng(99)
        tr._ckpt = {f"rng/cd@5x2x{D}": np.array(json.dumps(saved.bit_generator.state))}
        tr._seed_generator(var, "cd", "train", (5, 2, D))  # resume: the checkpointed state
        assert var.get_value().bit_generator.state == saved.bit_generator.state
    assert states[1] != states[2] != np.random.default_rng(CD_SEED).bit_generator.state
