"""Pretraining (rnnrnade_pt.pretrain): zero RNN-to-bias maps make the RNN-RNADE its per-frame RNADE;
pretraining moves only the RNADE's parameters, is scored on the validation split, stops early, and the
training phase starts from its best checkpoint; or an RNADE run's checkpoint is the RNN-RNADE's start."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
from tiny import tiny

import rnnrnade_pt as rp
from rnnrnade_pt.checkpoint import load_checkpoint
from rnnrnade_pt.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from rnnrnade_pt.data.batching import pad_sequences
from rnnrnade_pt.data.datasets import load_dataset
from rnnrnade_pt.errors import ConfigError, ParamsError
from rnnrnade_pt.metrics import read_metrics
from rnnrnade_pt.models import param_shapes
from rnnrnade_pt.pretrain import BIAS_MAPS, phase_config, zero_bias_maps
from rnnrnade_pt.train import Trainer

RNADE_NAMES = set(param_shapes(ModelConfig(model="rnade", D=9, H=4, K=2)))


@pytest.fixture(scope="module")
def splits():
    return load_dataset(tiny().data)


def _rnade_of(values: dict, cfg) -> rp.Rnade:
    rcfg = cfg.for_model("rnade")
    return rp.Rnade(rcfg, {n: values[n] for n in param_shapes(rcfg)})


@pytest.mark.parametrize("condition_c", [False, True])
def test_zero_bias_maps_make_the_rnn_rnade_its_per_frame_rnade(splits, condition_c):
    cfg = tiny(**{"model.condition_c": condition_c}).model
    values = rp.init_params(cfg, 5)
    values["W3"] = values["W3"] + 1.0  # an RNN far from zero changes nothing once the maps are zero
    zeroed = zero_bias_maps(values, cfg)
    assert [n for n in BIAS_MAPS if n in zeroed and np.any(zeroed[n])] == []
    assert all(np.array_equal(zeroed[n], values[n]) for n in values if n not in BIAS_MAPS)
    X, mask = pad_sequences(splits["test"])
    frames = np.concatenate(splits["test"])
    rnn = rp.RnnRnade(cfg, zeroed).loglik(X, mask)
    assert rnn.total == pytest.approx(_rnade_of(zeroed, cfg).loglik(frames).total, rel=1e-12)
    # and not with the maps as initialised: the check can fail
    assert rp.RnnRnade(cfg, values).loglik(X, mask).total != pytest.approx(rnn.total, rel=1e-6)


def test_phase_config():
    t = tiny(**{"train.pretrain_lr": 0.05, "train.pretrain_batch_size": 7}).train
    p = phase_config(t, "pretrain")
    assert (p.lr, p.batch_size, p.window) == (0.05, 7, t.window)
    assert phase_config(t, "train") is t
    plain = tiny().train
    assert phase_config(plain, "pretrain") is plain


def test_pretraining_starts_training_from_the_pretrained_rnade(splits, tmp_path):
    cfg = tiny(
        **{
            "train.pretrain_epochs": 3,
            "train.pretrain_batch_size": 20,
            "train.pretrain_lr": 0.02,
            "train.zero_bias_maps": True,
            "train.epochs": 2,
        }
    )
    tr = Trainer(cfg, str(tmp_path / "run"), splits)
    start = tr.model.get_params()
    assert all(not np.any(start[n]) for n in ("W_alpha", "W_mu", "W_sigma"))
    assert tr.fit() == "epochs"
    with open(tmp_path / "run" / "metrics.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["phase"] for r in rows] == ["pretrain"] * 3 + ["train"] * 2
    pre = rows[:3]
    assert all(np.isfinite(float(r["valid_loglik"])) for r in pre)  # pretraining is scored
    best_pre = max(float(r["valid_loglik"]) for r in pre)
    # the run's best is at least pretraining's best: training starts from it and must beat it
    assert tr.state.best_valid >= best_pre
    best = load_checkpoint(tmp_path / "run" / "best.npz")
    X, mask = pad_sequences(splits["valid"])
    model = rp.RnnRnade(cfg.model, {n: best[n] for n in start})
    assert model.loglik(X, mask).total / mask.sum() == pytest.approx(tr.state.best_valid, rel=1e-10)


def test_pretraining_moves_only_the_rnade_and_gives_its_loglik(splits, tmp_path):
    cfg = tiny(**{"train.pretrain_epochs": 2, "train.zero_bias_maps": True, "train.epochs": 1})
    tr = Trainer(cfg, str(tmp_path / "run"), splits)
    os.makedirs(tr.run_dir)
    start = tr.model.get_params()
    tr._run_phase("pretrain", 2)
    after = tr.model.get_params()
    moved = {n for n in start if not np.array_equal(start[n], after[n])}
    assert moved and moved <= RNADE_NAMES  # the RNN and the maps are untouched
    # the pretrained RNN-RNADE (maps still zero) is exactly the pretrained RNADE: the same valid score
    rnade = _rnade_of(after, cfg.model)
    frames = np.concatenate(splits["valid"])
    assert tr.evaluate("valid") == pytest.approx(rnade.loglik(frames).total / len(frames), rel=1e-12)


def test_pretraining_stops_early_and_restores_its_best(splits, tmp_path, monkeypatch):
    cfg = tiny(
        **{
            "train.pretrain_epochs": 6,
            "train.pretrain_patience": 1,
            "train.pretrain_lr": 0.5,  # too large: the valid score soon stops improving
            "train.zero_bias_maps": True,
            "train.epochs": 1,
        }
    )
    tr = Trainer(cfg, str(tmp_path / "run"), splits)
    os.makedirs(tr.run_dir)
    seen = []
    real = tr._end_epoch

    def spy(phase, lr):
        out = real(phase, lr)
        if phase == "pretrain":
            seen.append((tr.state.best_valid, dict(tr.model.get_params())))
        return out

    monkeypatch.setattr(tr, "_end_epoch", spy)
    assert tr._run_phase("pretrain", 6) == "early_stopping"
    assert len(seen) < 6
    best_valid = tr.state.best_valid
    state = tr._end_pretraining()  # the trainer's phase change
    assert state.phase == "train" and state.best_valid == best_valid and state.epoch == 0
    best = load_checkpoint(os.path.join(tr.run_dir, "best.npz"))
    now = tr.model.get_params()
    assert all(np.array_equal(now[n], best[n]) for n in now)
    assert tr.evaluate("valid") == pytest.approx(best_valid, rel=1e-12)


def test_pretraining_time_budget_moves_on_to_training(splits, tmp_path):
    cfg = tiny(
        **{
            "train.pretrain_epochs": 50,
            "train.pretrain_max_seconds": 1e-9,  # spent after the first step
            "train.zero_bias_maps": True,
            "train.epochs": 2,
        }
    )
    tr = Trainer(cfg, str(tmp_path / "run"), splits)
    assert tr.fit() == "epochs"
    with open(tmp_path / "run" / "metrics.csv") as fh:
        assert [r["phase"] for r in csv.DictReader(fh)] == ["train", "train"]
    assert tr.state.phase == "train" and np.isfinite(tr.state.best_valid)
    # the whole run's budget still ends the run inside pretraining
    cfg = cfg.with_overrides([("train.max_seconds", 1e-9)])
    tr = Trainer(cfg, str(tmp_path / "run2"), splits)
    assert tr.fit() == "max_seconds" and tr.state.phase == "pretrain"
    # ... inside its first epoch, and still leaves a scored best.npz (the model as pretraining left it)
    assert np.isfinite(tr.state.best_valid) and os.path.exists(tmp_path / "run2" / "best.npz")
    best = load_checkpoint(os.path.join(tr.run_dir, "best.npz"))
    assert all(np.array_equal(v, best[n]) for n, v in tr.model.get_params().items())


def test_an_rnade_run_pretrains_the_rnn_rnade(splits, tmp_path):
    """``train.pretrained_rnade``: the per-frame RNADE run's best checkpoint is the RNN-RNADE's start,
    scored as epoch 0; the run ends at or above the RNADE's validation score."""
    rnade_cfg = tiny(**{"model.model": "rnade", "train.batch_size": 20, "train.epochs": 2})
    rnade = Trainer(rnade_cfg, str(tmp_path / "rnade"), splits)
    rnade.fit()
    path = str(tmp_path / "rnade" / "best.npz")
    cfg = tiny(**{"train.pretrained_rnade": path, "train.epochs": 2, "train.lr": 0.2})
    tr = Trainer(cfg, str(tmp_path / "run"), splits)
    start, saved = tr.model.get_params(), load_checkpoint(path)
    assert all(np.array_equal(start[n], saved[n]) for n in RNADE_NAMES)
    assert all(not np.any(start[n]) for n in ("W_alpha", "W_mu", "W_sigma"))
    tr.fit()
    assert tr.state.best_valid >= rnade.state.best_valid - 1e-9 * abs(rnade.state.best_valid)
    if tr.state.best_epoch == 0:  # training did not beat the start: best.npz is the pretrained RNADE
        best = load_checkpoint(tmp_path / "run" / "best.npz")
        assert all(np.array_equal(best[n], saved[n]) for n in RNADE_NAMES)


def test_pretrained_rnade_must_match(splits, tmp_path):
    rnade_cfg = tiny(**{"model.model": "rnade", "model.H": 5, "train.epochs": 1})
    Trainer(rnade_cfg, str(tmp_path / "rnade"), splits).fit()
    path = str(tmp_path / "rnade" / "best.npz")
    with pytest.raises(ConfigError, match="W has shape"):
        Trainer(tiny(**{"train.pretrained_rnade": path}), str(tmp_path / "a"), splits)
    with pytest.raises(ConfigError, match="laplace RNADE"):
        Trainer(
            tiny(**{"train.pretrained_rnade": path, "model.H": 5, "model.mixture": "laplace"}),
            str(tmp_path / "b"),
            splits,
        )
    with pytest.raises(ConfigError, match=r"sigmoid units\), not a gaussian RNADE with relu units"):
        Trainer(
            tiny(**{"train.pretrained_rnade": path, "model.H": 5, "model.hidden_activation": "relu"}),
            str(tmp_path / "b2"),
            splits,
        )
    with pytest.raises(ParamsError, match="missing.npz"):
        Trainer(
            tiny(**{"train.pretrained_rnade": str(tmp_path / "missing.npz")}), str(tmp_path / "c"), splits
        )
    with pytest.raises(ConfigError, match="pretrain_epochs must be 0"):
        tiny(**{"train.pretrained_rnade": path, "train.pretrain_epochs": 2})


@pytest.mark.parametrize("model", ["rnn-nade", "rnn-rbm"])
def test_rnn_nade_and_rnn_rbm_pretrain_their_frame_model(tmp_path, model):
    """One-frame sequences with ``u_0 = 0``: pretraining moves exactly the NADE's or RBM's parameters; the
    run is scored through it, then trains the whole model from its best checkpoint."""
    rng = np.random.default_rng(0)
    seqs = [(rng.random((int(n), 6)) < 0.3).astype(float) for n in rng.integers(5, 12, 14)]
    splits = {"train": seqs[:10], "valid": seqs[10:]}
    mcfg = ModelConfig.from_options(model, D=6, H=4, R=3, cd_k=2, gibbs_k=2, ais_chains=10, ais_betas=10)
    tcfg = TrainConfig(
        epochs=1,
        pretrain_epochs=2,
        pretrain_batch_size=8,
        pretrain_lr=0.05,
        batch_size=4,
        window=5,
        zero_bias_maps=True,
        init="gaussian",
        seed=1,
    )
    cfg = RunConfig(mcfg, tcfg, DataConfig(dataset="memory"))
    tr = Trainer(cfg, str(tmp_path / "run"), splits)
    os.makedirs(tr.run_dir)
    start = tr.model.get_params()
    assert not np.any(start["Wuv"]) and not np.any(start["Wuh"]) and np.any(start["Wvu"])
    tr._run_phase("pretrain", 2)
    after = tr.model.get_params()
    moved = {n for n in start if not np.array_equal(start[n], after[n])}
    assert moved == {"W", "V", "bv", "bh"} & set(start)  # the frame model, every parameter of it
    tr = Trainer(cfg, str(tmp_path / "run2"), splits)
    assert tr.fit() == "epochs"
    rows = read_metrics(str(tmp_path / "run2"))
    assert [r["phase"] for r in rows] == ["pretrain", "pretrain", "train"]
    assert tr.state.best_valid >= max(float(r["valid_loglik"]) for r in rows[:2])
