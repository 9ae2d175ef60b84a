"""experiments/sequences.py: its configs and sweep file, the table from summaries, and a quick run end to end
(the Gaussian RNN on generated balls, then a two-point sweep through the same entry)."""

import importlib.util
import json
import math
import os

import numpy as np
import pytest

from rnnrnade_pt.baselines import prediction_baselines
from rnnrnade_pt.config import RunConfig
from rnnrnade_pt.errors import ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location("sequences_experiment", os.path.join(ROOT, "experiments",
                                              "sequences.py"))  # fmt: skip
seq = importlib.util.module_from_spec(spec)
spec.loader.exec_module(seq)


def test_every_model_and_dataset_has_a_config():
    jobs = seq.make_jobs("runs", seeds=(0, 1, 2))
    assert len(jobs) == len(seq.MODELS) * len(seq.DATASETS) * 3
    D = {"balls": 225, "mocap": 49, "vowels": 12}
    for job in jobs:
        row, dataset, seed = seq.job_key(job.name)
        cfg = job.cfg
        assert (cfg.data.dataset, cfg.model.D, cfg.train.seed) == (dataset, D[dataset], seed)
        assert job.run_dir == os.path.join("runs", job.name)
        expected = {"rnade": "rnade", "gaussian-rnn": "gaussian-rnn"}.get(row, "rnn-rnade")
        assert cfg.model.model == expected
        if expected == "rnn-rnade":
            assert cfg.model.conditioned == (("mu", "sigma") if row.endswith("mu-sigma") else
                                             ("alpha", "mu", "sigma"))  # fmt: skip
    balls = next(j.cfg.data for j in jobs if j.cfg.data.dataset == "balls")
    with open(os.path.join(ROOT, "experiments", "configs", "balls.json"), encoding="utf-8") as fh:
        main_job = RunConfig.from_json(fh.read()).data  # the table's balls: the main job's 500 sequences
    keys = ("n_train", "length", "n_balls", "res", "jitter", "seed")
    table_balls = [getattr(balls, k) for k in keys]
    assert table_balls == [getattr(main_job, k) for k in keys] == [500, 100, 3, 15, 0.01, 0]
    quick = seq.make_jobs("tmp", ["rnn-rnade"], ["mocap"], [0], quick=True, time_budget=5)[0].cfg
    assert (quick.model.H, quick.train.epochs, quick.train.max_seconds, quick.data.max_sequences) == (
        4,
        1,
        5,
        4,
    )


def test_rnn_rnade_rows_start_from_the_rnade_run_of_their_seed():
    jobs = seq.make_jobs("runs", ["rnn-rnade", "gaussian-rnn"], ["balls", "vowels"], [0, 1])
    # the RNADE row's runs the balls RNN-RNADE starts from are added, and run in a first wave
    first, then = seq.in_waves(jobs)
    assert [j.name for j in first] == [f"rnade_{d}_seed{k}" for d in ("balls", "vowels") for k in (0, 1)]
    assert len(then) == 2 * 2 * 2 and not set(first) & set(then)
    for j in then:
        row, dataset, seed = seq.job_key(j.name)
        start = j.cfg.train.pretrained_rnade
        if row == "rnn-rnade":
            assert start == os.path.join("runs", f"rnade_{dataset}_seed{seed}", "best.npz")
            assert j.cfg.train.pretrain_epochs == 0 and j.cfg.train.zero_bias_maps
        else:
            assert start is None
    rnade = {j.name: j.cfg for j in first}["rnade_balls_seed1"]
    rnn = next(j.cfg for j in then if j.name == "rnn-rnade_balls_seed1")
    assert (rnade.model.H, rnade.model.K, rnade.model.dtype) == (rnn.model.H, rnn.model.K, rnn.model.dtype)
    assert rnade.data == rnn.data and rnade.train.seed == 1
    assert seq.in_waves(seq.make_jobs("runs", ["gaussian-rnn"], ["balls"], [0])) == [
        seq.make_jobs("runs", ["gaussian-rnn"], ["balls"], [0])
    ]


def test_the_mocap_sweep_expands_over_its_grid_and_the_seeds():
    path = os.path.join(seq.CONFIG_DIR, "sweep_mocap.json")
    with open(path) as fh:
        grid = json.load(fh)["grid"]
    jobs = seq.make_sweep_jobs(path, "sw", seeds=[0, 1], quick=True)
    assert len(jobs) == math.prod(len(v) for v in grid.values()) * 2
    row, dataset, seed = seq.job_key(jobs[-1].name)
    assert (dataset, seed) == ("mocap", 1) and row.startswith("sweep_mocap-H=100-R=100-K=10")
    assert {j.cfg.model.K for j in jobs} == set(grid["model.K"])  # the grid wins over the quick sizes
    assert {j.cfg.train.epochs for j in jobs} == {1} and len({j.name for j in jobs}) == len(jobs)
    # grid points differ in size from the RNADE row's runs: each pretrains its own, with the row's settings
    rnade = seq.make_jobs("runs", ["rnade"], ["mocap"], [0])[0].cfg.train
    t = seq.make_sweep_jobs(path, "sw", seeds=[0])[0].cfg.train
    assert t.pretrained_rnade is None
    assert (t.pretrain_epochs, t.pretrain_lr, t.pretrain_batch_size, t.pretrain_patience) == (
        rnade.epochs, rnade.lr, rnade.batch_size, rnade.patience)  # fmt: skip


def test_table_is_mean_and_standard_error_over_seeds():
    def run(name, ll, err, wall=10.0):
        return {"name": name, "n_params": 1234, "wall_seconds": wall,
                "test": {"loglik_per_frame": ll, "sq_pred_error_per_frame": err}}  # fmt: skip

    summaries = [
        run("rnn-rnade_mocap_seed0", -10.0, 2.0),
        run("rnn-rnade_mocap_seed1", -12.0, 4.0),
        run("gaussian-rnn_mocap_seed0", -20.0, 5.0, 70.0),
        {"name": "gaussian-rnn_mocap_seed1", "error": "DataError: boom"},
        run("rnn-rnade_vowels_seed0", 3.0, 0.5),
    ]
    table = seq.sequences_table(summaries)
    lines = table.splitlines()
    assert lines[0].startswith("| model | mocap: log-lik / frame | mocap: sq. error / frame | vowels:")
    assert lines[2].startswith(
        "| RNN-RNADE, all three | -11.00 ± 1.00 | 3.00 ± 1.00 | 3.00 | 0.50 | 1,234 / 1,234 | 2 / 1 |"
    )
    assert (
        "| Gaussian RNN | -20.00 (1 failed) | 5.00 (1 failed) | — | — | 1,234 / — | 1 / 0 | 1 min 10 s |"
        in table
    )
    assert "gaussian-rnn_mocap_seed1: DataError: boom" in table
    with_baselines = seq.sequences_table(summaries, baselines={"mocap": {"previous frame": 1.5}})
    assert "| previous frame (prediction baseline) | — | 1.50 | — | — | 0 | — | — |" in with_baselines


def test_settings_note_gives_each_rows_schedule_per_dataset_where_they_differ(tmp_path):
    jobs = seq.make_jobs(str(tmp_path), ["rnade", "gaussian-rnn"], ["balls", "mocap"], [0])
    summaries = [{"name": j.name, "n_params": 1, "test": {"loglik_per_frame": 0.0}} for j in jobs]
    cfgs = {seq.job_key(j.name)[:2]: j.cfg.train for j in jobs}
    note = seq.sequences_table(summaries, jobs).split("Settings: ")[1]
    rnade = note.split("RNADE per frame (no RNN): ")[1].split(";")[0]
    balls, mocap = cfgs["rnade", "balls"], cfgs["rnade", "mocap"]
    assert (balls.lr, balls.schedule) != (mocap.lr, mocap.schedule)  # else the note has one text for both
    assert f"lr {balls.lr:g} decaying linearly to 0 over {balls.epochs} epochs" in rnade.split(" | ")[0]
    assert rnade.split(" | ")[0].endswith("(balls)") and rnade.split(" | ")[1].endswith("(mocap)")
    epochs = sorted({balls.epochs, cfgs["gaussian-rnn", "balls"].epochs})
    assert f"balls: up to {epochs[0]} or {epochs[1]} epochs" in note


def test_prediction_baselines_on_frames_with_a_past():
    train = [np.array([[0.0, 0.0], [2.0, 4.0]])]  # mean frame (1, 2)
    test = [np.array([[1.0, 1.0], [1.0, 3.0], [4.0, 3.0]]), np.array([[9.0, 9.0]])]  # one frame: no past
    out = prediction_baselines({"train": train, "test": test})
    assert out["previous frame"] == pytest.approx((4.0 + 9.0) / 2)
    assert out["mean training frame"] == pytest.approx((1.0 + 10.0) / 2)
    assert prediction_baselines({"train": train, "test": [test[1]]}) == {}


def test_quick_run_and_sweep_end_to_end(tmp_path):
    pytest.importorskip("matplotlib")
    out, figures = tmp_path / "table.md", tmp_path / "figures"
    runs = str(tmp_path / "runs")
    argv = ["--quick", "--models", "gaussian-rnn", "--datasets", "balls", "--run-root", runs,
            "--out", str(out), "--render", str(figures)]  # fmt: skip
    assert seq.main(argv) == 0
    table = out.read_text()
    assert table.splitlines()[2].startswith("| Gaussian RNN | -") and "| 2 |" in table  # two seeds
    results = json.loads((tmp_path / "runs" / "gaussian-rnn_balls_seed1" / "results.json").read_text())
    assert np.isfinite(results["test"]["loglik_per_frame"]) and results["test"]["sq_pred_error_per_frame"] > 0
    assert (figures / "gaussian-rnn_balls.png").stat().st_size > 1000
    assert seq.main(argv) == 0 and out.read_text() == table  # finished runs are reused, not retrained
    # released and tabled from the releases: --from-release re-scores them into the same table
    models, again = tmp_path / "models", tmp_path / "again.md"
    assert seq.main([*argv[:-2], "--release-root", str(models)]) == 0 and out.read_text() == table
    assert seq.main(["--quick", "--from-release", "--release-root", str(models), "--out", str(again)]) == 0
    assert again.read_text() == table
    # --table-only trains nothing: the runs with results are released and tabled
    os.remove(tmp_path / "runs" / "gaussian-rnn_balls_seed1" / "results.json")
    assert seq.main([*argv[:-2], "--table-only"]) == 0
    partial = out.read_text()
    assert "| 1 |" in partial  # one run released into this call's (quick: new) release root
    assert not (tmp_path / "runs" / "gaussian-rnn_balls_seed1" / "results.json").exists()
    with pytest.raises(ConfigError, match="has results for these configs; train them first"):
        seq.main(["--quick", "--table-only", "--datasets", "balls", "--run-root", str(tmp_path / "none")])

    sweep = tmp_path / "sweep.json"
    base = os.path.join(seq.CONFIG_DIR, "gaussian-rnn_balls.json")
    sweep.write_text(json.dumps({"name": "tiny", "base": base, "grid": {"train.lr": [0.01, 0.001]}}))
    argv = ["--quick", "--sweep", str(sweep), "--seeds", "0", "--run-root", str(tmp_path / "sweep"),
            "--out", str(out)]  # fmt: skip
    assert seq.main(argv) == 0
    rows = [line.split(" | ")[0] for line in out.read_text().splitlines()[2:4]]
    assert rows == ["| tiny-lr=0.01", "| tiny-lr=0.001"]
    assert (
        RunConfig.from_json(
            (tmp_path / "sweep" / "tiny-lr=0.001_balls_seed0" / "config.json").read_text()
        ).train.lr
        == 0.001
    )


def test_mocap_samples_continue_a_test_prime_as_stick_figures(shared_data, tmp_path):
    """``--render`` on mocap: a sequence model continues the first frames of test sequences, drawn as stick
    figures, a PNG strip and a GIF whose first frames are the prime's."""
    pytest.importorskip("matplotlib")
    if not (shared_data / "sequences" / "mit_mocap" / "motion.mat").exists():
        pytest.skip("sequences/mit_mocap is not in the shared data")
    from PIL import Image

    figures = tmp_path / "figures"
    argv = ["--quick", "--models", "gaussian-rnn", "--datasets", "mocap", "--seeds", "0", "--run-root",
            str(tmp_path / "runs"), "--data-root", str(shared_data), "--out", str(tmp_path / "t.md"),
            "--render", str(figures)]  # fmt: skip
    assert seq.main(argv) == 0
    assert (figures / "gaussian-rnn_mocap.png").stat().st_size > 1000
    with Image.open(figures / "gaussian-rnn_mocap.gif") as gif:
        assert gif.n_frames == 30 + 60  # the prime, then the model's own frames
