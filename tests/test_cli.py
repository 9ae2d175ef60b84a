"""The command line: round trips through files, and one-line errors (exit 2) for bad input."""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import reference as ref

import rnnrnade_pt as rp
from rnnrnade_pt.cli import main
from rnnrnade_pt.config import MODEL_OPTIONS, MODELS
from rnnrnade_pt.data.arrays import lengths_to_mask
from rnnrnade_pt.npz import atomic_write_npz

CFG = rp.ModelConfig(model="rnn-rnade", D=3, H=4, K=2, R=3)
RNADE_CFG = rp.ModelConfig(model="rnade", D=3, H=4, K=2)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    values = ref.random_params(rng, 3, 4, 2, 3)
    rp.save_params(d / "p.npz", values, CFG)
    X = rng.standard_normal((5, 3, 3))
    mask = lengths_to_mask([5, 2, 4], 5)
    X[mask == 0] = np.nan  # padding may hold anything
    atomic_write_npz(d / "x.npz", {"X": X, "mask": mask})
    rvalues = ref.random_params(rng, 3, 4, 2)
    rp.save_params(d / "pr.npz", rvalues, RNADE_CFG)
    atomic_write_npz(d / "xr.npz", {"X": rng.standard_normal((6, 3))})
    return dict(dir=d, values=values, X=X, mask=mask, rvalues=rvalues)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_loglik_rnnrnade_matches_reference(files, capsys):
    d = files["dir"]
    code, out, err = run(capsys, "loglik", "--params", d / "p.npz", "--data", d / "x.npz")
    assert code == 0, err
    res = json.loads(out)
    expected = ref.rnnrnade_frame_loglik(files["values"], files["X"], files["mask"])
    assert res["frames"] == 11 and res["dims"] == 3 and len(res["per_sequence"]) == 3
    np.testing.assert_allclose(res["per_sequence"], expected.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(res["total"], expected.sum(), rtol=1e-12)


def test_loglik_scan_graph_and_rnade(files, capsys):
    d = files["dir"]
    code, out, _ = run(capsys, "loglik", "--params", d / "p.npz", "--data", d / "x.npz", "--graph", "scan")
    fast = ref.rnnrnade_frame_loglik(files["values"], files["X"], files["mask"]).sum()
    assert code == 0 and abs(json.loads(out)["total"] - fast) <= 1e-10 * abs(fast)
    code, out, _ = run(capsys, "loglik", "--params", d / "pr.npz", "--data", d / "xr.npz")
    res = json.loads(out)
    X = np.load(d / "xr.npz")["X"]
    assert code == 0 and res["frames"] == 6 and len(res["per_sequence"]) == 6
    np.testing.assert_allclose(res["per_sequence"], ref.rnade_loglik(files["rvalues"], X), rtol=1e-12)


@pytest.mark.parametrize("method", ["symbolic", "explicit"])
def test_grad_writes_every_parameter(files, capsys, method):
    d = files["dir"]
    out_path = d / f"g_{method}.npz"
    code, out, err = run(
        capsys, "grad", "--params", d / "p.npz", "--data", d / "x.npz", "--method", method, "--out", out_path
    )
    assert code == 0, err
    with np.load(out_path, allow_pickle=False) as g:
        assert sorted(g.files) == sorted(rp.param_shapes(CFG))
        grads = {k: g[k] for k in g.files}
    for name, shape in rp.param_shapes(CFG).items():
        assert grads[name].shape == shape
    # central difference of the reference along one direction checks the file's content
    v = np.random.default_rng(1).standard_normal(grads["W3"].shape)
    eps = 1e-6
    plus = dict(files["values"], W3=files["values"]["W3"] + eps * v)
    minus = dict(files["values"], W3=files["values"]["W3"] - eps * v)
    fd = (
        ref.rnnrnade_frame_loglik(plus, files["X"], files["mask"]).sum()
        - ref.rnnrnade_frame_loglik(minus, files["X"], files["mask"]).sum()
    ) / (2 * eps)
    assert abs(fd - np.sum(grads["W3"] * v)) <= 1e-6 * max(1, abs(fd))
    assert json.loads(out)["out"] == str(out_path)


def test_init_writes_a_loadable_file(tmp_path, capsys):
    out = tmp_path / "init.npz"
    code, _, err = run(
        capsys,
        "init",
        "--model",
        "rnn-rnade",
        "--D",
        4,
        "--H",
        5,
        "--K",
        2,
        "--R",
        3,
        "--conditioned",
        "mu,sigma",
        "--rnn-activation",
        "tanh",
        "--out",
        out,
    )
    assert code == 0, err
    cfg, values = rp.load_params(out)
    assert cfg.conditioned == ("mu", "sigma") and cfg.rnn_activation == "tanh"
    assert "W_alpha" not in values and values["W_mu"].shape == (3, 4, 2)
    with np.load(out, allow_pickle=False) as npz:  # numpy alone reads it
        assert set(npz.files) == set(rp.param_shapes(cfg)) | {"config"}


@pytest.mark.parametrize("model", MODELS)
def test_every_model_initialises_scores_and_prints_from_the_command_line(model, tmp_path, capsys):
    given = {"H": 3, "K": 2, "R": 3}
    sizes = ["--D", 4] + [x for n, v in given.items() if n in MODEL_OPTIONS[model] for x in (f"--{n}", v)]
    for unread in (n for n in given if n not in MODEL_OPTIONS[model]):  # a size the model lacks: refused
        path = tmp_path / "p.npz"
        code, out, err = run(capsys, "init", "--model", model, *sizes, f"--{unread}", 3, "--out", path)
        assert code == 2 and len(err.strip().splitlines()) == 1 and f"{unread}=3 is not an option" in err, err
    code, out, err = run(capsys, "init", "--model", model, *sizes, "--out", tmp_path / "p.npz")
    assert code == 0, err
    cfg, values = rp.load_params(tmp_path / "p.npz")
    assert cfg.model == model and set(values) == set(rp.param_shapes(cfg))
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 2, 4) if cfg.recurrent else (5, 4))
    X = (X > 0).astype(float) if cfg.binary else X
    atomic_write_npz(tmp_path / "x.npz", {"X": X, "mask": np.ones((3, 2))} if cfg.recurrent else {"X": X})
    code, out, err = run(capsys, "loglik", "--params", tmp_path / "p.npz", "--data", tmp_path / "x.npz")
    assert code == 0, err
    res = json.loads(out)
    assert res["model"] == model and res["frames"] == (6 if cfg.recurrent else 5)
    assert np.isfinite(res["total"])
    code, out, err = run(capsys, "graph", "--model", model, "--target", "cost")
    assert code == 0 and out, err
    if not cfg.rnade_family:  # no hand-derived gradient to prove: one line, exit 2
        code, out, err = run(capsys, "graph", "--model", model, "--target", "explicit")
        assert code == 2 and len(err.strip().splitlines()) == 1 and "explicit" in err, err
        code, out, err = run(capsys, "demo", "--model", model, *sizes, "--out", tmp_path / "demo")
        assert code == 2 and len(err.strip().splitlines()) == 1 and model in err, err


def _bad_data(tmp_path, name, **arrays):
    path = tmp_path / name
    atomic_write_npz(path, arrays)
    return path


BAD = {
    "nan": (lambda: {"X": np.full((2, 1, 3), np.nan), "mask": np.ones((2, 1))}, "NaN"),
    "wrong_D": (lambda: {"X": np.zeros((2, 1, 4)), "mask": np.ones((2, 1))}, "D=4"),
    "mask_shape": (lambda: {"X": np.zeros((2, 2, 3)), "mask": np.ones((2, 3))}, "mask has shape"),
    "negative_mask": (lambda: {"X": np.zeros((2, 1, 3)), "mask": np.array([[1.0], [-1.0]])}, "negative"),
    "empty_sequence": (lambda: {"X": np.zeros((2, 2, 3)), "mask": np.array([[1.0, 0], [1, 0]])}, "empty"),
    "no_frames": (lambda: {"X": np.zeros((0, 1, 3)), "mask": np.ones((0, 1))}, "no frames"),
    "no_X": (lambda: {"Y": np.zeros((2, 1, 3))}, "no array 'X'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_data_is_one_line_exit_2(files, tmp_path, capsys, case):
    make, expected = BAD[case]
    path = _bad_data(tmp_path, f"{case}.npz", **make())
    code, out, err = run(capsys, "loglik", "--params", files["dir"] / "p.npz", "--data", path)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("rnnrnade: error:") and expected in err, err


def test_bad_files_are_one_line_exit_2(files, tmp_path, capsys):
    d = files["dir"]
    text = tmp_path / "text.npz"
    text.write_text("not a zip")
    truncated = tmp_path / "trunc.npz"
    truncated.write_bytes((d / "p.npz").read_bytes()[:200])
    values = dict(files["values"])
    del values["W3"]
    missing = tmp_path / "missing.npz"
    atomic_write_npz(missing, dict(values, config=np.array(CFG.to_json())))
    misshaped = tmp_path / "misshaped.npz"
    atomic_write_npz(misshaped, dict(files["values"], W3=np.zeros((2, 2)), config=np.array(CFG.to_json())))
    cases = [
        (tmp_path / "absent.npz", "does not exist"),
        (text, "not a readable .npz"),
        (truncated, "not a readable .npz"),
        (missing, "missing parameter(s) ['W3']"),
        (misshaped, "W3 has shape (2, 2)"),
        (d / "x.npz", "no 'config'"),
    ]
    for params, expected in cases:
        code, out, err = run(capsys, "loglik", "--params", params, "--data", d / "x.npz")
        assert code == 2 and err.count("\n") == 1 and expected in err, (params, err)


def test_bad_arguments_and_unwritable_output(files, tmp_path, capsys):
    d = files["dir"]
    code, _, err = run(capsys, "loglik", "--params", d / "p.npz")
    assert code == 2 and err.count("\n") == 1 and "--data" in err
    code, _, err = run(
        capsys,
        "grad",
        "--params",
        d / "p.npz",
        "--data",
        d / "x.npz",
        "--method",
        "explicit",
        "--graph",
        "scan",
        "--out",
        tmp_path / "g.npz",
    )
    assert code == 2 and "fast" in err and not (tmp_path / "g.npz").exists()
    code, _, err = run(capsys, "init", "--model", "rnade", "--D", 0, "--out", tmp_path / "i.npz")
    assert code == 2 and "positive integer" in err and err.count("\n") == 1


def test_grad_does_not_overwrite_on_failure(files, tmp_path, capsys):
    d = files["dir"]
    out = tmp_path / "keep.npz"
    out.write_bytes(b"precious")
    bad = _bad_data(tmp_path, "bad.npz", X=np.zeros((2, 1, 7)), mask=np.ones((2, 1)))
    code, _, _ = run(capsys, "grad", "--params", d / "p.npz", "--data", bad, "--out", out)
    assert code == 2 and out.read_bytes() == b"precious"


def test_module_entry_point_runs_in_a_fresh_process(files):
    d = files["dir"]
    proc = subprocess.run(
        [sys.executable, "-m", "rnnrnade_pt", "loglik", "--params", d / "pr.npz", "--data", d / "xr.npz"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "could not link to a BLAS" not in proc.stderr
    assert json.loads(proc.stdout)["dims"] == 3


def test_graph_command_prints_and_draws(tmp_path, capsys, files):
    assert main(["graph", "--model", "rnade", "--target", "grad", "--param", "rho"]) == 0
    out = capsys.readouterr().out
    assert "'dtotal/drho'" in out and "rnade_accumulators" in out and "shape=" in out
    assert (
        main(["graph", "--params", str(files["dir"] / "p.npz"), "--target", "explicit", "--param", "W3"]) == 0
    )
    assert "explicit/dW3" in capsys.readouterr().out
    assert main(["graph", "--target", "grad", "--param", "nope"]) == 2
    assert "unknown parameter 'nope'" in capsys.readouterr().err
    assert main(["graph", "--graph", "scan", "--target", "explicit"]) == 2
    capsys.readouterr()
    import shutil

    if importlib.util.find_spec("pydot") is None or shutil.which("dot") is None:
        pytest.skip("pydot or graphviz missing (scripts/setup_system.sh, pip install '.[graph]')")
    assert main(["graph", "--target", "cost", "--svg", str(tmp_path / "cost.svg")]) == 0
    assert json.loads(capsys.readouterr().out)["svg"].endswith("cost.svg")
    assert (tmp_path / "cost.svg").read_text().lstrip().startswith("<?xml")


def test_grad_check_reports_norms_and_finite_differences(files, capsys):
    d = files["dir"]
    args = ["grad", "--params", d / "p.npz", "--data", d / "x.npz", "--check"]
    code, out, err = run(capsys, *args, "--method", "explicit")
    assert code == 0, err
    res = json.loads(out)
    assert res["ok"] and res["max_rel_error"] < 1e-5
    assert set(res["grad_norms"]) >= set(rp.param_shapes(CFG)) and set(res["finite_differences"]) == set(
        rp.param_shapes(CFG)
    )
    code, _, err = run(capsys, *args, "--tol", "1e-30")  # nothing passes an impossible tolerance
    assert code == 1 and "gradient check failed" in err


@pytest.mark.parametrize(
    "script, args, message",
    [
        ("music.py", ["--datasets", "Nope", "--quick"], "no config"),
        ("rnade_tables.py", ["--datasets", "nope", "--quick"], "no config"),
        ("rnade_tables.py", ["--protocol", "/nonexistent/protocol.json", "--quick"], "does not exist"),
        ("rnade_tables.py", ["--configs", "--variant", "adam", "--quick"], "--variant needs --protocol"),
        ("rnade_tables.py", ["--configs", "--protocol", "--quick"], "are alternatives"),
        ("rnade_tables.py", ["--methods", "rnade", "--quick"], "unknown method"),
        ("sequences.py", ["--sweep", "/nonexistent/sweep.json"], "does not exist"),
    ],
)
def test_experiment_scripts_report_bad_input_in_one_line(script, args, message):
    import pathlib
    import subprocess
    import sys

    path = pathlib.Path(__file__).parents[1] / "experiments" / script
    done = subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert (
        done.stderr.count("\n") == 1
        and done.stderr.startswith(f"{script}: error: ")
        and message in done.stderr
    )


# -- every bad input, one table ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bad(tmp_path_factory, files):
    """Bad files of every kind beside good ones, a fake run directory (config + checkpoints, untrained) and
    ``keep.npz``, an output that no failing command may touch."""
    from tiny import tiny

    t = tmp_path_factory.mktemp("bad")
    d, X, mask = files["dir"], files["X"], files["mask"]
    good = {"X": np.nan_to_num(X), "mask": mask}

    def data(name, **changes):
        atomic_write_npz(t / f"{name}.npz", {**good, **changes})

    data("nan", X=np.full(X.shape, np.nan))
    data("inf", X=np.full(X.shape, np.inf))
    data("complex", X=X.astype(complex))
    data("strings", X=np.full(X.shape, "a"))
    np.savez(t / "object.npz", X=np.array([X, None], dtype=object), mask=mask)  # needs a pickle to read
    data("wrong_D", X=np.zeros((5, 3, 4)))
    data("mask_shape", mask=np.ones((5, 2)))
    data("mask_negative", mask=-mask)
    data("mask_nan", mask=np.where(mask > 0, np.nan, 0.0))
    data("empty_sequence", mask=np.where(np.arange(3) == 1, 0.0, mask))
    data("no_frames", X=np.zeros((0, 3, 3)), mask=np.ones((0, 3)))
    atomic_write_npz(t / "no_X.npz", {"Y": X})
    big = np.nan_to_num(X)
    big[1, 2, 1] = 1e200
    data("huge", X=big)
    atomic_write_npz(t / "huge_rnade.npz", {"X": np.array([[0.0, 0, 0], [0, 0, -1e200]])})
    (t / "trunc.npz").write_bytes((d / "x.npz").read_bytes()[:100])
    (t / "text.npz").write_text("not a zip")
    (t / "dir.npz").mkdir()
    np.save(t / "plain.npy", X)
    values, cfg_json = files["values"], np.array(CFG.to_json())

    def params(name, drop=(), **changes):
        v = {k: a for k, a in {**values, "config": cfg_json, **changes}.items() if k not in drop}
        atomic_write_npz(t / f"{name}.npz", v)

    params("p_missing", drop=("W3",))
    params("p_misshaped", W3=np.zeros((2, 2)))
    params("p_nan", W=np.full((4, 3), np.nan))
    params("p_inf", b_mu=np.full((3, 2), -np.inf))
    params("p_complex", W=values["W"].astype(complex))
    params("p_strings", W=np.full((4, 3), "w"))
    params("p_no_model", drop=("config",), extra=np.zeros(3))
    params("p_inconsistent", drop=("config",), W3=np.zeros((4, 4)))
    params("p_bad_json", config=np.array("{not json"))
    params("p_unknown_key", config=np.array(json.dumps({**CFG.to_dict(), "colour": 1})))
    params("p_config_numbers", config=np.arange(3.0))
    (t / "cfg_bad.json").write_text("{not json")
    (t / "cfg_lr.json").write_text(json.dumps({"train": {"lr": "fast"}}))
    (t / "cfg_key.json").write_text(json.dumps({"train": {"learning_rate": 0.1}}))
    run_cfg = tiny()  # D = 9
    run = t / "run"
    run.mkdir()
    (run / "config.json").write_text(run_cfg.to_json())
    rp.save_params(run / "best.npz", rp.init_params(run_cfg.model), run_cfg.model)
    atomic_write_npz(t / "nan9.npz", {"X": np.full((4, 2, 9), np.nan), "mask": np.ones((4, 2))})
    (run / "last.npz").write_bytes(b"PK\x03\x04 truncated")
    (t / "untrained").mkdir()
    (t / "untrained" / "config.json").write_text(run_cfg.to_json())
    (t / "keep.npz").write_bytes(b"precious")
    return t


# (arguments, words of the one-line error); {d}: the good files, {t}: the bad ones, {t}/keep.npz must survive
BAD_INPUTS = {
    "data NaN": ("loglik --params {d}/p.npz --data {t}/nan.npz", "NaN"),
    "data inf": ("loglik --params {d}/p.npz --data {t}/inf.npz", "infinite"),
    "data complex": ("loglik --params {d}/p.npz --data {t}/complex.npz", "complex"),
    "data strings": ("loglik --params {d}/p.npz --data {t}/strings.npz", "dtype"),
    "data object array": ("loglik --params {d}/p.npz --data {t}/object.npz", "allow_pickle"),
    "data wrong D": ("loglik --params {d}/p.npz --data {t}/wrong_D.npz", "D=4"),
    "mask shape": ("loglik --params {d}/p.npz --data {t}/mask_shape.npz", "mask has shape"),
    "mask negative": ("loglik --params {d}/p.npz --data {t}/mask_negative.npz", "negative"),
    "mask NaN": ("loglik --params {d}/p.npz --data {t}/mask_nan.npz", "mask"),
    "empty sequence": ("loglik --params {d}/p.npz --data {t}/empty_sequence.npz", "empty"),
    "no frames": ("loglik --params {d}/p.npz --data {t}/no_frames.npz", "no frames"),
    "no X": ("loglik --params {d}/p.npz --data {t}/no_X.npz", "no array 'X'"),
    "data truncated": ("loglik --params {d}/p.npz --data {t}/trunc.npz", "not a readable .npz"),
    "data not npz": ("loglik --params {d}/p.npz --data {t}/text.npz", "not a readable .npz"),
    "data directory": ("loglik --params {d}/p.npz --data {t}/dir.npz", "is a directory"),
    "data absent": ("loglik --params {d}/p.npz --data {t}/absent.npz", "does not exist"),
    "data .npy": ("loglik --params {d}/p.npz --data {t}/plain.npy", "not an .npz archive"),
    "data 1e200 loglik": ("loglik --params {d}/p.npz --data {t}/huge.npz", "-inf at sequence 2, frame 1"),
    "data 1e200 grad": ("grad --params {d}/p.npz --data {t}/huge.npz --out {t}/keep.npz", "dimension 1"),
    "data -1e200 RNADE loglik": ("loglik --params {d}/pr.npz --data {t}/huge_rnade.npz", "-inf at row 1"),
    "data -1e200 RNADE explicit grad": (
        "grad --params {d}/pr.npz --data {t}/huge_rnade.npz --method explicit --out {t}/keep.npz",
        "-1e+200 in dimension 2",
    ),
    "params missing one": ("loglik --params {t}/p_missing.npz --data {d}/x.npz", "missing parameter(s)"),
    "params misshaped": ("loglik --params {t}/p_misshaped.npz --data {d}/x.npz", "W3 has shape (2, 2)"),
    "params NaN": ("loglik --params {t}/p_nan.npz --data {d}/x.npz", "W holds NaN"),
    "params inf": ("loglik --params {t}/p_inf.npz --data {d}/x.npz", "b_mu holds NaN or infinite"),
    "params complex": ("loglik --params {t}/p_complex.npz --data {d}/x.npz", "complex"),
    "params strings": ("loglik --params {t}/p_strings.npz --data {d}/x.npz", "real numbers"),
    "params of no model": ("loglik --params {t}/p_no_model.npz --data {d}/x.npz", "unexpected parameter(s)"),
    "params names right, shapes not": ("loglik --params {t}/p_inconsistent.npz --data {d}/x.npz", "W3"),
    "params data file": ("loglik --params {d}/x.npz --data {d}/x.npz", "no 'config' entry"),
    "params config not JSON": ("loglik --params {t}/p_bad_json.npz --data {d}/x.npz", "bad config"),
    "params config unknown key": ("loglik --params {t}/p_unknown_key.npz --data {d}/x.npz", "colour"),
    "params config numbers": ("loglik --params {t}/p_config_numbers.npz --data {d}/x.npz", "JSON string"),
    "params truncated": ("loglik --params {t}/trunc.npz --data {d}/x.npz", "not a readable .npz"),
    "params directory": ("loglik --params {t}/dir.npz --data {d}/x.npz", "is a directory"),
    "grad explicit on scan": (
        "grad --params {d}/p.npz --data {d}/x.npz --method explicit --graph scan --out {t}/keep.npz",
        "fast",
    ),
    "grad without --out": ("grad --params {d}/p.npz --data {d}/x.npz", "--out"),
    "init D 0": ("init --model rnade --D 0 --out {t}/keep.npz", "positive integer"),
    "init conditioned bad": ("init --conditioned colour --out {t}/keep.npz", "conditioned entry"),
    "init config not JSON": ("init --config {t}/cfg_bad.json --out {t}/keep.npz", "not valid JSON"),
    "init config absent": ("init --config {t}/absent.json --out {t}/keep.npz", "cannot read config"),
    "train config bad value": ("train --config {t}/cfg_lr.json --out {t}/new", "lr must be"),
    "train config unknown key": ("train --config {t}/cfg_key.json --out {t}/new", "unknown config key"),
    "train unknown flag": ("train --nonsense 1 --out {t}/new", "unknown config key --nonsense"),
    "train epochs 0": ("train --epochs 0 --out {t}/new", "epochs must be positive"),
    "train data NaN": ("train --data {t}/nan.npz --out {t}/new", "NaN"),
    "train data absent": ("train --data {t}/absent.npz --out {t}/new", "does not exist"),
    "train into a run": ("train --out {t}/run", "already holds a run"),
    "resume not a run": ("train --resume {t}", "not a run directory"),
    "resume corrupt checkpoint": ("train --resume {t}/run", "not a readable .npz"),
    "resume with a change": ("train --resume {t}/run --lr 0.5 --K 3", "model.K, train.lr"),
    "resume into another --out": ("train --resume {t}/run --out {t}/new", "--out T/new (the run is T/run)"),
    "eval not a run": ("eval --run {t}", "not a run directory"),
    "eval absent checkpoint": ("eval --run {t}/untrained", "has no best.npz"),
    "eval corrupt checkpoint": ("eval --run {t}/run --checkpoint last", "not a readable .npz"),
    "eval data NaN": ("eval --run {t}/run --data {t}/nan9.npz", "NaN"),
    "sample n 0": ("sample --run {t}/run -n 0 --out {t}/keep.npz", "positive"),
    "sample steps 0": ("sample --run {t}/run --steps 0 --out {t}/keep.npz", "positive"),
    "sample prime wrong D": ("sample --run {t}/run -n 3 --prime {t}/wrong_D.npz --out {t}/keep.npz", "D=4"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_every_bad_input_is_one_line_exit_2_and_overwrites_nothing(files, bad, capsys, case):
    argv, expected = BAD_INPUTS[case]
    code, out, err = run(capsys, *argv.format(d=files["dir"], t=bad).split())
    expected = expected.replace("T/", f"{bad}/")
    assert (code, out) == (2, ""), err
    assert err.count("\n") == 1 and err.startswith("rnnrnade: error:") and expected in err, err
    assert (bad / "keep.npz").read_bytes() == b"precious"
    assert (bad / "run" / "last.npz").read_bytes() == b"PK\x03\x04 truncated"
    assert not (bad / "new").exists() or not os.listdir(bad / "new")
