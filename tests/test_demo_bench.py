"""The main job (``rnnrnade demo``) and the benchmark's quick mode run end to end."""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np

import rnnrnade_pt as rp
from rnnrnade_pt.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_demo_writes_files_and_both_graphs_and_gradients_agree(tmp_path, capsys):
    code = main(["demo", "--D", "4", "--H", "5", "--K", "2", "--R", "3", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    agree = [r for r in records if r["step"] == "agree"]
    assert len(agree) == 2 and all(r["max_rel_diff"] <= 1e-10 for r in agree)
    lls = [r for r in records if r["step"] == "loglik"]
    assert {r["graph"] for r in lls} == {"fast", "scan"} and all(np.isfinite(r["total"]) for r in lls)
    cfg, values = rp.load_params(tmp_path / "params.npz")
    with np.load(tmp_path / "data.npz") as data:
        X, mask = data["X"], data["mask"]
    assert X.shape == (100, 16, 4) and mask.shape == (100, 16) and 0 <= X.min() and X.max() <= 1
    assert rp.RnnRnade(cfg, values).loglik(X, mask).total == lls[0]["total"]
    with np.load(tmp_path / "grad_explicit.npz") as g:
        assert sorted(g.files) == sorted(values)


def test_demo_rejects_a_non_square_D(tmp_path, capsys):
    assert main(["demo", "--D", "5", "--out", str(tmp_path)]) == 2
    assert "square" in capsys.readouterr().err


def test_bench_quick_mode_prints_json_records(tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text("# page\n<!-- BEGIN bench -->\nstale rows\n<!-- END bench -->\ntail\n")
    proc = subprocess.run(
        [
            sys.executable,
            os.path.join(ROOT, "experiments", "bench.py"),
            "--quick",
            "--json",
            "--dtypes",
            "float64",
            "--results",
            str(results),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr
    # the speed block of the results page, generated from the same run: one row per graph trained
    page = results.read_text()
    assert "stale rows" not in page and page.endswith("<!-- END bench -->\ntail\n")
    assert "| rnn-rnade | float64 | c fused |" in page and "Measured " in page
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    whats = {(r["backend"], r["graph"], r["what"]) for r in records}
    for graph in ("fused", "fast", "scan"):
        assert {("c", graph, "loglik"), ("c", graph, "train")} <= whats
    for r in records:
        if "frames_per_s" in r:
            assert r["frames_per_s"] > 0 and r["backend"] in ("c", "torch") and r["dtype"] == "float64"
    ratios = {(r["graph"], r["what"]): r["ratio"] for r in records if "ratio" in r}
    assert ratios[("fused/scan", "train_speedup")] > 0
    if importlib.util.find_spec("torch") is not None:  # the yardstick, measured in the same run
        assert ("torch", "eager", "train") in whats and ratios[("fused", "train_vs_torch_eager")] > 0


def test_bench_times_a_released_rnn_rbm_test_time_annealing(shared_data):
    """``bench.py --ais``: per-frame seconds of both directions, their share of the matrix-product peak
    and the four music test sets' estimated time, from the released JSB Chorales RNN-RBM."""
    release = os.path.join(ROOT, "experiments", "models", "music", "rnn-rbm_JSB_Chorales")
    bench = os.path.join(ROOT, "experiments", "bench.py")
    argv = [sys.executable, bench, "--ais", release, "--ais-betas", "2", "--dtypes", "float32", "--json"]
    env = {**os.environ, "RNNRNADE_DATA": str(shared_data)}
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0, proc.stderr
    records = {(r["graph"], r["what"]): r for r in map(json.loads, proc.stdout.splitlines())}
    for direction in ("forward", "reverse"):
        per_frame = records[(direction, "ais_s_per_frame")]
        assert per_frame["frames"] == 4725 and 0 < per_frame["seconds"] < 1  # JSB's test frames
        assert 0 < records[(direction, "ais_matmul_fraction")]["ratio"] < 10
    four = records[("both", "ais_four_sets_2_cores")]
    assert four["frames"] > 100_000 and four["seconds"] > 0


def test_bench_refuses_a_directory_that_is_not_a_release_in_one_line(tmp_path):
    bench = os.path.join(ROOT, "experiments", "bench.py")
    proc = subprocess.run([sys.executable, bench, "--ais", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 2 and "not a released model" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
