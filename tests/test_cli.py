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
        ("rnade_tables.py", ["--variant", "adam", "--quick"], "--variant needs --protocol"),
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
