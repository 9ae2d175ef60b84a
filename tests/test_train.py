"""Training: optimisers against NumPy, seeded determinism, exact resume (mid-epoch too), NaN rollback,
atomic checkpoints under SIGKILL, early stopping, and the train/eval/plot commands."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from tiny import tiny

import rnnrnade_pt as rp
import rnnrnade_pt.data.batching
from rnnrnade_pt.checkpoint import load_checkpoint
from rnnrnade_pt.cli import main
from rnnrnade_pt.config import RunConfig, TrainConfig
from rnnrnade_pt.data.datasets import load_dataset
from rnnrnade_pt.metrics import metrics_fields, read_metrics, train_column, trim_metrics
from rnnrnade_pt.optim import clip_gradients, learning_rate, optimizer_updates
from rnnrnade_pt.step import build_train_step
from rnnrnade_pt.train import Trainer, TrainingStopped

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def splits():
    return load_dataset(tiny().data)


def _params(trainer):
    return trainer.model.get_params()


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


# -- optimisers ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adam"])
def test_optimizers_match_numpy(name):
    tcfg = TrainConfig(optimizer=name, lr=0.1, momentum=0.8)
    w0 = np.array([1.0, -2.0, 0.5])
    w = pytensor.shared(w0.copy(), name="w")
    lr = pt.dscalar("lr")
    cost = pt.sum(w**4)  # gradient 4 w^3
    new, state = optimizer_updates({"w": w}, {"w": pytensor.grad(cost, w)}, tcfg, lr)
    f = rp.backend.compile_function([lr], [], updates=list(new.items()))
    x, m, v, vel = w0.copy(), np.zeros(3), np.zeros(3), np.zeros(3)
    for t in range(1, 4):
        f(0.1)
        g = 4 * x**3
        if name == "sgd":
            x = x - 0.1 * g
        elif name in ("momentum", "nesterov"):
            vel = 0.8 * vel - 0.1 * g
            x = x + vel if name == "momentum" else x + 0.8 * vel - 0.1 * g
        else:
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g**2
            x = x - 0.1 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        np.testing.assert_allclose(w.get_value(), x, rtol=1e-12)
    assert all(k.startswith("opt/") for k in state)


def test_clipping_and_schedules():
    g = {"a": pt.constant(np.array([3.0, 4.0])), "b": pt.constant(np.array([0.0, 12.0]))}
    glob = {k: v.eval() for k, v in clip_gradients(g, 6.5, per_param=False).items()}
    np.testing.assert_allclose(np.sqrt(sum(np.sum(v**2) for v in glob.values())), 6.5)
    per = {k: v.eval() for k, v in clip_gradients(g, 5.0, per_param=True).items()}
    np.testing.assert_allclose(per["a"], [3, 4])
    np.testing.assert_allclose(per["b"], [0, 5])
    t = TrainConfig(lr=1.0, schedule="linear")
    assert learning_rate(t, 0, 100, 10) == 1.0 and learning_rate(t, 50, 100, 10) == 0.5
    t = TrainConfig(lr=1.0, schedule="inverse", decay=0.5)
    assert learning_rate(t, 20, 100, 10) == pytest.approx(1 / (1 + 0.5 * 2))


def test_weight_decay_moves_exactly_the_weights_it_names():
    """One SGD step with decay minus one without is ``-2 lr wd W`` on the decayed weights, 0 elsewhere."""
    cfg = rp.ModelConfig(model="rnade", D=3, H=4, K=2)
    X = np.random.default_rng(0).normal(size=(5, 3))
    values = rp.init_params(cfg, np.random.default_rng(1))
    after = {}
    for wd, on in ((0.0, "weights"), (0.3, "weights"), (0.3, "W")):
        g = rp.models.build(cfg, rp.params.shared_params(cfg, values), graph="fast")
        tcfg = TrainConfig(optimizer="sgd", weight_decay=wd, weight_decay_on=on)
        build_train_step(g, tcfg).fn(X, np.float64(0.5))
        after[wd, on] = {n: v.get_value() for n, v in g.params.items()}
    for on, decayed in (("weights", rp.params.weight_names(cfg)), ("W", ["W"])):
        assert on == "W" or {"W", "V_mu", "V_sigma", "V_alpha"} <= set(decayed)
        for n, v in after[0.3, on].items():
            expected = -2 * 0.5 * 0.3 * values[n] if n in decayed else 0.0
            np.testing.assert_allclose(
                v - after[0.0, "weights"][n], expected, atol=1e-12, err_msg=f"{on} {n}"
            )


@pytest.mark.parametrize("model", ["rnade", "rnn-rnade"])
def test_sigma_scaled_mean_gradient_is_the_original_codes_heuristic(model):
    """``gradient="sigma-scaled-mu"``: with every sigma equal to s, one SGD step moves the means' parameters
    by s times the true step and the mixing weights' and sigmas' parameters exactly as the true step; with
    s = 1 every parameter moves as under ``pytensor.grad``."""
    cfg = rp.ModelConfig.from_options(model, D=3, H=4, K=2, R=3)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 2, 3) if cfg.recurrent else (5, 3))
    values = rp.init_params(cfg, np.random.default_rng(1), scale=0.5)
    for n in ("V_sigma", "W_sigma"):  # sigma = exp(b_sigma) on every row
        if n in values:
            values[n] = np.zeros_like(values[n])

    def moved(gradient, s):
        start = {**values, "b_sigma": np.full_like(values["b_sigma"], np.log(s))}
        g = rp.models.build(cfg, rp.params.shared_params(cfg, start), graph="fast")
        inputs = (X, np.ones(X.shape[:2])) if cfg.recurrent else (X,)
        build_train_step(g, TrainConfig(optimizer="sgd", gradient=gradient)).fn(*inputs, np.float64(0.5))
        return {n: v.get_value() - start[n] for n, v in g.params.items()}

    for s in (1.0, 2.5):
        true, scaled = moved("symbolic", s), moved("sigma-scaled-mu", s)
        assert np.abs(true["b_mu"]).max() > 1e-3
        for n in true:
            expected = s * true[n] if n in ("b_mu", "V_mu", "W_mu") else true[n]
            if s == 1.0 or n in ("b_mu", "V_mu", "W_mu", "b_alpha", "V_alpha", "b_sigma", "V_sigma"):
                np.testing.assert_allclose(scaled[n], expected, rtol=1e-10, atol=1e-13, err_msg=f"{s} {n}")
            elif n in ("W", "c", "rho"):  # they see the scaled mean gradient through h
                assert not np.allclose(scaled[n], true[n], rtol=1e-6), n


# -- runs -------------------------------------------------------------------------------------------------
def test_training_is_seeded_and_improves(splits, tmp_path):
    a = Trainer(tiny(), str(tmp_path / "a"), splits)
    assert a.fit() == "epochs"
    b = Trainer(tiny(), str(tmp_path / "b"), splits)
    b.fit()
    assert _same(_params(a), _params(b))
    c = Trainer(tiny(**{"train.seed": 4}), str(tmp_path / "c"), splits)
    c.fit()
    assert not _same(_params(a), _params(c))
    with open(tmp_path / "a" / "metrics.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert float(rows[-1]["valid_loglik"]) > float(rows[0]["valid_loglik"])
    assert set(rows[0]) == {
        "phase",
        "epoch",
        "step",
        "train_loglik",
        "valid_loglik",
        "grad_norm",
        "lr",
        "seconds",
    }
    # a checkpoint is a parameter file (state under "x/y" keys) and carries the run config
    cfg, values = rp.load_params(tmp_path / "a" / "best.npz")
    assert cfg == tiny().model
    ck = load_checkpoint(tmp_path / "a" / "last.npz")
    assert int(ck["state/epoch"]) == 3 and "opt/m/W" in ck and "state/rng" in ck
    assert RunConfig.from_json(str(ck["run/config"])) == tiny()


@pytest.mark.parametrize("changes", [{}, {"train.pretrain_epochs": 1, "train.optimizer": "nesterov"}])
def test_resume_mid_epoch_equals_uninterrupted(splits, tmp_path, changes):
    cfg = tiny(**changes)
    straight = Trainer(cfg, str(tmp_path / "straight"), splits)
    straight.fit()
    run = str(tmp_path / "resumed")
    first = Trainer(cfg, run, splits)
    with pytest.raises(KeyboardInterrupt):
        first.fit(interrupt_at_step=4)  # mid-way through epoch 2 of training
    ck = load_checkpoint(os.path.join(run, "last.npz"))
    assert ck["state/phase"] == np.array("train") or str(ck["state/phase"]) == '"train"'
    assert int(ck["state/batch"]) > 0
    with open(os.path.join(run, "metrics.csv"), "a") as fh:  # a row written after the checkpoint: dropped
        fh.write("train,9,99,0,0,0,0,0\n")
    second = Trainer(cfg, run, splits, resume=True)
    assert second.fit() == "epochs"
    assert _same(_params(straight), _params(second))
    with open(os.path.join(run, "metrics.csv")) as fh:
        assert len(list(csv.DictReader(fh))) == 3 + changes.get("train.pretrain_epochs", 0)


def test_nan_step_is_rejected_and_run_stops_with_a_usable_checkpoint(splits, tmp_path, monkeypatch, caplog):
    import rnnrnade_pt.train as train_mod

    real = train_mod._batches

    def poisoned(*a, **k):
        out = real(*a, **k)
        return [(np.full_like(b[0], np.nan), b[1]) if i >= 1 else b for i, b in enumerate(out)]

    monkeypatch.setattr(train_mod, "_batches", poisoned)
    cfg = tiny(**{"train.max_nan_failures": 3})
    tr = Trainer(cfg, str(tmp_path / "nan"), splits)
    before = {}

    real_step = tr._step_fn

    def spy(phase, shape=None):
        step = real_step(phase, shape)
        fn = step.fn

        def wrapped(*args):
            if not before:
                before.update(_params(tr))
            return fn(*args)

        step.fn = wrapped
        return step

    tr._step_fn = spy
    with pytest.raises(TrainingStopped, match="3 non-finite steps"):
        tr.fit()
    assert tr.state.nan_failures == 3 and tr.state.lr_scale == 0.125
    assert "step rejected" in caplog.text
    _, values = rp.load_params(tmp_path / "nan" / "last.npz")
    after_first = _params(tr)
    assert all(np.all(np.isfinite(v)) for v in values.values())
    assert _same(values, after_first)  # the poisoned steps changed nothing after the one good step
    assert not _same(before, after_first)


def test_early_stopping(splits, tmp_path, monkeypatch):
    tr = Trainer(tiny(**{"train.epochs": 10, "train.patience": 2}), str(tmp_path / "es"), splits)
    scores = iter([1.0, 2.0, 1.5, 1.7, 9.0])
    monkeypatch.setattr(tr, "evaluate", lambda split: next(scores))
    assert tr.fit() == "early_stopping"
    assert tr.state.epoch == 4 and tr.state.best_epoch == 2


def test_sigkill_during_checkpoint_writes_leaves_a_loadable_file(tmp_path):
    path = tmp_path / "last.npz"
    script = (
        "import sys, numpy as np\n"
        "from rnnrnade_pt.npz import atomic_write_npz\n"
        "i = 0\n"
        "while True:\n"
        "    i += 1\n"
        "    atomic_write_npz(sys.argv[1], {'W': np.full((400, 400), float(i)), 'i': np.array(i)})\n"
    )
    rng = np.random.default_rng(0)
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", script, str(path)])
        deadline = time.time() + 60
        while not path.exists() and time.time() < deadline:  # the first write (after the imports)
            time.sleep(0.05)
        time.sleep(0.2 + rng.uniform(0, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with np.load(path) as npz:  # always a complete archive, never a half-written one
            assert np.all(npz["W"] == npz["i"])
    leftovers = [p for p in os.listdir(tmp_path) if p != "last.npz"]
    assert all(p.startswith(".tmp-") for p in leftovers)  # at most a killed writer's temporary file


# -- command line ----------------------------------------------------------------------------------------
def _write_config(tmp_path, **changes):
    path = tmp_path / "cfg.json"
    path.write_text(tiny(**changes).to_json())
    return path


def test_train_eval_plot_commands(tmp_path, capsys):
    cfgp = _write_config(tmp_path)
    out = tmp_path / "run"
    assert main(["train", "--config", str(cfgp), "--out", str(out), "--epochs", "2", "--lr", "0.02"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["epochs"] == 2 and np.isfinite(summary["test"]["loglik_per_frame"])
    assert summary["test"]["sq_pred_error_per_frame"] > 0
    for f in ("config.json", "metrics.csv", "best.npz", "last.npz", "curve.png", "results.json"):
        assert (out / f).exists(), f
    from PIL import Image

    with Image.open(out / "samples.gif") as gif:  # beside samples.png: every sampled frame, 4 sequences
        assert gif.n_frames == 50 and gif.size == (4 * 3 * 8 + 3, 3 * 8)
    assert summary["samples_gif"] == str(out / "samples.gif")
    assert json.loads((out / "config.json").read_text())["train"]["lr"] == 0.02
    # resume to 3 epochs in total
    assert main(["train", "--resume", str(out), "--epochs", "3"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["epochs"] == 3
    assert main(["eval", "--run", str(out)]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["sequences"] == 3 and res["frames"] == 60
    assert main(["loglik", "--params", str(out / "best.npz"), "--data", str(out / "samples.npz")]) == 0
    capsys.readouterr()
    os.remove(out / "curve.png")
    assert main(["plot", "--run", str(out)]) == 0 and (out / "curve.png").exists()


def test_eval_command_reestimates_an_rnn_rbm_with_other_ais_settings(tmp_path, capsys):
    """``eval --ais-betas N --sequences K``: the run's parameters, AIS with N temperatures, on the first K
    sequences: what a model built with those settings estimates; bad values and other models: one line."""
    from rnnrnade_pt.runs import evaluate_run, load_run, with_ais

    rng = np.random.default_rng(5)
    for model in ("rnn-rbm", "rnn-nade"):
        mcfg = rp.ModelConfig.from_options(model, D=4, H=3, R=2, ais_chains=3, ais_betas=5)
        run = tmp_path / model
        run.mkdir()
        (run / "config.json").write_text(RunConfig(mcfg).to_json())
        params = {n: 2.0 * rng.standard_normal(v.shape) for n, v in rp.init_params(mcfg).items()}
        rp.save_params(run / "best.npz", params, mcfg)
    X = (rng.random((6, 3, 4)) < 0.4).astype(float)  # T x B x D, three sequences of 6 frames
    np.savez(tmp_path / "data.npz", X=X)
    base = ["eval", "--run", str(tmp_path / "rnn-rbm"), "--data", str(tmp_path / "data.npz")]
    assert main([*base, "--ais-betas", "40", "--sequences", "2"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["ais_betas"] == 40 and res["sequences"] == 2 and res["frames"] == 12
    run = load_run(str(tmp_path / "rnn-rbm"))
    direct = evaluate_run(with_ais(run, ais_betas=40), [X[:, 0], X[:, 1]])
    assert res["loglik_per_frame"] == direct["loglik_per_frame"]
    assert main([*base, "--sequences", "2"]) == 0  # the run's own 5 temperatures: another estimate
    assert json.loads(capsys.readouterr().out)["loglik_per_frame"] != res["loglik_per_frame"]
    # reverse annealing from the data and the mean-field start: what models built with them estimate
    extra = ["--ais-direction", "reverse", "--ais-base", "mean-field"]
    assert main([*base, "--ais-betas", "40", "--sequences", "2", *extra]) == 0
    rev = json.loads(capsys.readouterr().out)
    assert rev["ais_direction"] == "reverse" and rev["ais_base"] == "mean-field"
    want = evaluate_run(
        with_ais(run, ais_betas=40, ais_direction="reverse", ais_base="mean-field"), [X[:, 0], X[:, 1]]
    )
    assert rev["loglik_per_frame"] == want["loglik_per_frame"] != res["loglik_per_frame"]
    bads = (
        (["--ais-betas", "0"], "ais_betas"),
        (["--sequences", "0"], "--sequences"),
        (["--ais-direction", "back"], "--ais-direction"),
    )
    for bad, message in bads:
        assert main([*base, *bad]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err
    nade = ["eval", "--run", str(tmp_path / "rnn-nade"), "--data", str(tmp_path / "data.npz")]
    assert main([*nade, "--ais-chains", "8"]) == 2
    assert "apply to an rnn-rbm run" in capsys.readouterr().err


def test_train_command_rejects_bad_input_without_touching_the_run(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"train": {"lr": "fast"}}))
    assert main(["train", "--config", str(bad), "--out", str(tmp_path / "x")]) == 2
    assert "lr must be" in capsys.readouterr().err
    bad.write_text(json.dumps({"train": {"learning_rate": 0.1}}))
    assert main(["train", "--config", str(bad), "--out", str(tmp_path / "x")]) == 2
    assert "unknown config key" in capsys.readouterr().err
    assert main(["train", "--config", str(_write_config(tmp_path)), "--nonsense", "1"]) == 2
    assert "unknown config key --nonsense" in capsys.readouterr().err
    assert main(["eval", "--run", str(tmp_path)]) == 2
    assert "not a run directory" in capsys.readouterr().err
    # a corrupt checkpoint: one line, exit 2, and the file is left as it was
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(tiny().to_json())
    (run / "last.npz").write_bytes(b"PK\x03\x04 truncated")
    assert main(["train", "--resume", str(run)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a readable .npz" in err
    assert (run / "last.npz").read_bytes() == b"PK\x03\x04 truncated"
    # a checkpoint whose shapes do not match the config
    rp.save_params(
        run / "best.npz", rp.init_params(tiny(**{"model.H": 5}).model), tiny(**{"model.H": 5}).model
    )
    assert main(["eval", "--run", str(run)]) == 2
    assert "differs from" in capsys.readouterr().err
    assert main(["train", "--resume", str(run), "--lr", "0.5"]) == 2
    assert "differ from" in (err := capsys.readouterr().err) and "train.lr" in err and "only --epochs" in err


def test_every_experiment_config_parses():
    """Every JSON file under experiments/configs, however deep, is read and validated as what it is: a run
    config (every field checked), a sweep file (its grid expanded, every point's config checked) or the
    RNADE protocol file (its settings applied to every dataset config, its chosen points checked)."""
    from rnnrnade_pt.rnade_protocol import load_chosen, load_protocol
    from rnnrnade_pt.sweep import load_sweep

    root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "experiments", "configs")
    paths = sorted(os.path.join(d, f) for d, _, files in os.walk(root) for f in files if f.endswith(".json"))
    kinds = {"run": 0, "sweep": 0, "protocol": 0}
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            spec = json.load(fh)
        if "grid" in spec and "base" in spec:  # a sweep file
            assert load_sweep(path, "runs"), path
            kinds["sweep"] += 1
        elif "grid" in spec and "fixed" in spec:  # the RNADE protocol
            config_dir = os.path.dirname(path)
            load_protocol(path, config_dir=config_dir)
            for variant in spec.get("variants", {}):
                load_protocol(path, variant, config_dir=config_dir)
            assert load_chosen(path, config_dir=config_dir), path
            kinds["protocol"] += 1
        else:
            with open(path, encoding="utf-8") as fh:
                RunConfig.from_json(fh.read())
            kinds["run"] += 1
    assert len(paths) == sum(kinds.values()) >= 33 and kinds["protocol"] == 1 and kinds["sweep"] >= 2
    assert os.path.join(root, "balls.json") in paths and any("music" in p for p in paths)


@pytest.mark.parametrize("dataset", ["mocap", "vowels"])
def test_real_datasets_train_and_evaluate_in_their_units(dataset, shared_data, tmp_path, capsys):
    needed = {"mocap": "sequences/mit_mocap/mit_mocap.mat", "vowels": "sequences/JapaneseVowels_TRAIN.ts"}[
        dataset
    ]
    if not (shared_data / needed).exists():
        pytest.skip(f"{shared_data / needed} absent: set RNNRNADE_DATA to the shared data directory")
    cfgp = tmp_path / "c.json"  # no D: the data decide it
    cfgp.write_text(
        json.dumps(
            {
                "model": {"model": "rnn-rnade", "H": 4, "K": 2, "R": 3},
                "train": {"epochs": 1, "batch_size": 32, "window": 20},
                "data": {"dataset": dataset, "root": str(shared_data), "standardize": True},
            }
        )
    )
    assert main(["train", "--config", str(cfgp), "--out", str(tmp_path / "run")]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert np.isfinite(summary["test"]["loglik_per_frame"]) and summary["test"]["sequences"] > 0
    ck = load_checkpoint(tmp_path / "run" / "best.npz")
    assert ck["data/standardize_mean"].shape == ({"mocap": 49, "vowels": 12}[dataset],)
    # the loglik in the data's units = model units - sum log std per frame
    from rnnrnade_pt.runs import evaluate_run, load_run

    run = load_run(str(tmp_path / "run"))
    splits = load_dataset(run.cfg.data)
    res = evaluate_run(run, splits["test"])
    plain = run._replace(standardizer=None)
    z = [run.standardizer.transform(s) for s in splits["test"]]
    assert res["loglik_per_frame"] == pytest.approx(
        evaluate_run(plain, z)["loglik_per_frame"] - np.sum(np.log(run.standardizer.std)), rel=1e-12
    )


def test_train_from_npz_files_then_sample_with_a_prime(splits, tmp_path, capsys):
    from rnnrnade_pt.data.batching import pad_sequences
    from rnnrnade_pt.npz import atomic_write_npz

    for name in ("train", "valid"):
        X, mask = pad_sequences(splits[name])
        atomic_write_npz(tmp_path / f"{name}.npz", {"X": X, "mask": mask})
    out = tmp_path / "run"
    argv = ["train", "--data", str(tmp_path / "train.npz"), "--valid", str(tmp_path / "valid.npz")]
    argv += ["--out", str(out), "--H", "4", "--K", "2", "--R", "3", "--batch_size", "4", "--window", "10"]
    argv += ["--max-seconds", "0.001"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["stopped"] == "max_seconds" and summary["epochs"] == 0  # budget hit during the first epoch
    assert (out / "best.npz").exists() and np.isfinite(summary["best_valid_loglik_per_frame"])  # usable
    assert json.loads((out / "config.json").read_text())["model"]["D"] == 9  # D taken from the data
    assert main(["train", "--resume", str(out), "--epochs", "1"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["epochs"] == 1
    # the original command repeated with --resume is accepted; a change is refused, named
    assert main(argv + ["--resume", str(out), "--epochs", "1"]) == 0
    capsys.readouterr()
    assert main(argv + ["--resume", str(out), "--K", "3", "--valid", str(tmp_path / "train.npz")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "these differ from" in err and "model.K, data.valid" in err
    prime = tmp_path / "prime.npz"
    atomic_write_npz(prime, {"X": splits["valid"][0][None].transpose(1, 0, 2)[:5]})  # 5 x 1 x 9
    args = ["sample", "--run", str(out), "-n", "1", "--steps", "7", "--prime", str(prime), "--out"]
    assert main(args + [str(tmp_path / "s.npz")]) == 0
    assert main(args + [str(tmp_path / "s2.npz")]) == 0
    capsys.readouterr()
    with np.load(tmp_path / "s.npz") as a, np.load(tmp_path / "s2.npz") as b:
        assert a["X"].shape == (7, 1, 9) and np.array_equal(a["X"], b["X"])  # seeded
    assert (tmp_path / "s.png").exists()
    assert main(["sample", "--run", str(out), "-n", "0", "--out", str(tmp_path / "s3.npz")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def _start_training(cfgp, out, *extra):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen(
        [sys.executable, "-m", "rnnrnade_pt", "train", "--config", str(cfgp), "--out", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_for(proc, condition, timeout=300):
    deadline = time.time() + timeout
    while not condition() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()[1]


def test_ctrl_c_saves_and_the_run_resumes(tmp_path):
    cfgp = _write_config(tmp_path, **{"train.epochs": 200, "data.n_train": 40})
    out = tmp_path / "run"
    proc = _start_training(cfgp, out)
    _wait_for(proc, lambda: (out / "metrics.csv").exists())
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted by SIGINT in train epoch" in err and "Traceback" not in err
    assert f"saved {out}/last.npz; continue with: rnnrnade train --resume {out}" in err
    ck = load_checkpoint(out / "last.npz")
    assert int(ck["state/epoch"]) >= 1
    assert main(["train", "--resume", str(out), "--epochs", str(int(ck["state/epoch"]) + 1)]) == 0


def test_sigterm_before_the_first_step_leaves_a_run_to_resume(tmp_path, capsys):
    """SIGTERM as soon as the run is announced (loading, compiling): exit 143, a step-0 last.npz to resume."""
    cfgp = _write_config(tmp_path, **{"train.epochs": 2})
    out = tmp_path / "run"
    proc = _start_training(cfgp, out)
    _wait_for(proc, lambda: (out / "config.json").exists())
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "interrupted by SIGTERM" in err and f"--resume {out}" in err and "Traceback" not in err
    assert int(load_checkpoint(out / "last.npz")["state/step"]) == 0
    assert main(["train", "--resume", str(out)]) == 0  # (resumed equals uninterrupted: the soak below)


def test_a_second_process_is_refused_and_a_dead_ones_lock_does_not_block(tmp_path, capsys):
    cfgp = _write_config(tmp_path, **{"train.epochs": 500})
    out = tmp_path / "run"
    proc = _start_training(cfgp, out)
    _wait_for(proc, lambda: (out / "last.npz").exists())
    before = (out / "last.npz").stat().st_mtime_ns
    assert main(["train", "--resume", str(out), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"process {proc.pid} is training in it" in err
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (out / "train.lock").read_text().strip() == str(proc.pid)  # the dead process's lock file
    assert main(["train", "--resume", str(out), "--epochs", "1"]) == 0
    assert (out / "last.npz").stat().st_mtime_ns >= before


def test_checkpoints_every_checkpoint_seconds_mid_epoch(splits, tmp_path, monkeypatch):
    saves = []
    real = Trainer.save_checkpoint
    monkeypatch.setattr(Trainer, "save_checkpoint", lambda self, name: saves.append(name) or real(self, name))
    Trainer(tiny(**{"train.epochs": 1}), str(tmp_path / "a"), splits).fit()
    assert saves.count("last.npz") == 2  # the start and the epoch's end (default: every 300 s)
    saves.clear()
    tr = Trainer(tiny(**{"train.epochs": 1, "train.checkpoint_seconds": 0}), str(tmp_path / "b"), splits)
    tr.fit()
    assert saves.count("last.npz") == 2 + tr.state.step  # and after every step


def test_soak_sigkill_and_sigterm_at_random_moments_resume_bit_for_bit(tmp_path):
    """The quick version of experiments/soak.py: three kills of real processes (SIGKILL and SIGTERM, random
    moments), each followed by a resume; the end equals the uninterrupted run's, bit for bit."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("soak", os.path.join(ROOT, "experiments", "soak.py"))
    soak = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(soak)
    res = soak.soak(str(tmp_path), kills=3, checkpoint_seconds=0.2, seed=2, epochs=60)
    assert res["kills"] == 3 and res["sigkill"] >= 1 and res["sigterm"] >= 1, res
    assert res["sigterm_exit_143_and_saved"], res
    assert res["resumed_equals_uninterrupted"] and res["metrics_equal"], res
    assert res["sigkill_seconds_lost_max"] < 0.2 + 2.0, res  # a checkpoint interval plus a step at most


def test_per_parameter_gradient_norms_are_logged_when_asked(splits, tmp_path, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="rnnrnade_pt.train")
    tr = Trainer(tiny(**{"train.epochs": 2, "train.log_grad_norms": True}), str(tmp_path), splits)
    tr.fit()
    with open(tmp_path / "grad_norms.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    names = list(rp.param_shapes(tiny().model))
    assert list(rows[0])[2:] == names and all(float(rows[0][n]) > 0 for n in names)
    assert "gradient norms: W " in caplog.text


def test_train_model_and_sample_like_the_tutorial(splits, tmp_path, capsys):
    model = rp.RnnRnade(tiny().model, rp.init_params(tiny().model, seed=1, scale=0.1))
    X, mask = rp.data.batching.pad_sequences(splits["valid"])
    before = model.loglik(X, mask).total
    reason = rp.train_model(
        model,
        splits["train"],
        splits["valid"],
        run_dir=str(tmp_path / "run"),
        epochs=3,
        lr=0.02,
        batch_size=4,
        window=10,
    )
    assert reason == "epochs" and model.loglik(X, mask).total > before
    _, best = rp.load_params(tmp_path / "run" / "best.npz")
    assert _same(model.get_params(), best)
    S = model.sample(2, steps=6, seed=3)
    assert S.shape == (6, 2, 9) and np.array_equal(S, model.sample(2, steps=6, seed=3))
    rnade = rp.Rnade(rp.ModelConfig(model="rnade", D=9, H=4, K=2))
    reason = rp.train_model(rnade, splits["train"], run_dir=str(tmp_path / "rnade"), epochs=1, batch_size=64)
    assert reason == "epochs"
    assert rnade.sample(5).shape == (5, 9)
    # a run trained on in-memory data cannot reload its data: one line, exit 2
    assert main(["eval", "--run", str(tmp_path / "run")]) == 2
    assert "handed over in Python" in capsys.readouterr().err


def test_metrics_name_the_training_monitor_and_old_files_still_read(tmp_path):
    assert train_column("rnn-rnade") == "train_loglik" and train_column("rnn-rbm") == "train_recon_loglik"
    assert metrics_fields("gaussian-rnn")[3] == "train_loglik"
    # an RNN-RBM run written before the column had its name: read, and rewritten on resume, renamed
    (tmp_path / "config.json").write_text(RunConfig(rp.ModelConfig(model="rnn-rbm", D=4)).to_json())
    header = "phase,epoch,step,train_loglik,valid_loglik,grad_norm,lr,seconds\n"
    (tmp_path / "metrics.csv").write_text(header + "train,1,3,-2.5,-3.0,0.1,0.01,1.0\n")
    rows = read_metrics(str(tmp_path))
    assert rows[0]["train_recon_loglik"] == "-2.5" and "train_loglik" not in rows[0]
    assert read_metrics(str(tmp_path), model="rnn-rnade")[0]["train_loglik"] == "-2.5"
    trim_metrics(str(tmp_path), lambda r: True, "rnn-rbm")
    with open(tmp_path / "metrics.csv") as fh:
        assert fh.readline().split(",")[3] == "train_recon_loglik" and "-2.5" in fh.readline()


def test_a_full_disk_names_the_file_and_the_resume_command(tmp_path, monkeypatch, capsys):
    """An OS error while writing a run (here a full disk at the third checkpoint) ends in one line that names
    the file and how to resume; the checkpoint written before is intact, and the run resumes from it."""
    import errno

    from rnnrnade_pt import checkpoint
    from rnnrnade_pt.cli import main

    real, calls = checkpoint.atomic_write_npz, []

    def full_disk(path, arrays, **kw):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, arrays, **kw)

    monkeypatch.setattr(checkpoint, "atomic_write_npz", full_disk)
    cfg, run = tmp_path / "c.json", tmp_path / "run"
    cfg.write_text(tiny(**{"train.epochs": 2, "train.checkpoint_seconds": 0}).to_json())
    assert main(["train", "--config", str(cfg), "--out", str(run)]) == 2
    stderr = capsys.readouterr().err
    err = [line for line in stderr.splitlines() if line.startswith("rnnrnade: error:")]
    assert len(err) == 1 and "No space left on device" in err[0] and "Traceback" not in stderr, stderr
    assert str(run) in err[0] and f"rnnrnade train --resume {run}" in err[0] and ".npz" in err[0]
    before = checkpoint.load_checkpoint(run / "last.npz")  # the earlier checkpoint survives, readable
    monkeypatch.setattr(checkpoint, "atomic_write_npz", real)
    assert main(["train", "--resume", str(run)]) == 0
    after = checkpoint.load_checkpoint(run / "last.npz")
    assert int(after["state/step"]) > int(before["state/step"])


def test_atomic_write_names_the_destination_and_leaves_it(tmp_path, monkeypatch):
    import errno

    from rnnrnade_pt import npz

    path = tmp_path / "x.txt"
    npz.atomic_write_text(path, "old")

    def no_space(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(npz.os, "replace", no_space)
    with pytest.raises(OSError) as e:
        npz.atomic_write_text(path, "new")
    assert e.value.filename == str(path) and e.value.errno == errno.ENOSPC
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["x.txt"]


def test_a_run_stopped_between_its_epochs_last_step_and_the_epochs_end_logs_the_same_rate(splits, tmp_path):
    """With a decaying schedule, a run killed after the last step of an epoch (its checkpoint written) but
    before the epoch's end resumes into the same metrics.csv as the uninterrupted run: the epoch's row gives
    the rate of its last step, not of the next one."""
    cfg = tiny(**{"train.schedule": "linear", "train.epochs": 2, "train.checkpoint_seconds": 0})
    straight = tmp_path / "straight"
    Trainer(cfg, str(straight), splits).fit()
    run = tmp_path / "run"
    tr = Trainer(cfg, str(run), splits)

    def killed(phase, lr):  # the process dies before the first epoch's end is written
        raise KeyboardInterrupt

    tr._end_epoch = killed
    with pytest.raises(KeyboardInterrupt):
        tr.fit()
    Trainer(cfg, str(run), splits, resume=True).fit()

    def rows(path):
        with open(path / "metrics.csv") as fh:
            return [{k: v for k, v in r.items() if k != "seconds"} for r in csv.DictReader(fh)]

    assert rows(run) == rows(straight)
