"""The sequences table's runs (:mod:`rnnrnade_pt.sequence_runs`): every row and dataset has a config, the
RNN-RNADE rows start from the RNADE run of their seed (run in a first wave), and a sweep file expands over
its grid and the seeds."""

import json
import math
import os
import pathlib

import pytest

from rnnrnade_pt import sequence_runs as seq
from rnnrnade_pt.config import RunConfig
from rnnrnade_pt.errors import ConfigError

ROOT = pathlib.Path(__file__).parents[1]
CONFIG_DIR = ROOT / "experiments" / "configs" / "sequences"


def test_every_model_and_dataset_has_a_config():
    jobs = seq.make_jobs("runs", seeds=(0, 1, 2), config_dir=CONFIG_DIR)
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
            conditioned = ("mu", "sigma") if row.endswith("mu-sigma") else ("alpha", "mu", "sigma")
            assert cfg.model.conditioned == conditioned
    balls = next(j.cfg.data for j in jobs if j.cfg.data.dataset == "balls")
    with open(ROOT / "experiments" / "configs" / "balls.json", encoding="utf-8") as fh:
        main_job = RunConfig.from_json(fh.read()).data  # the table's balls: the main job's 500 sequences
    keys = ("n_train", "length", "n_balls", "res", "jitter", "seed")
    table_balls = [getattr(balls, k) for k in keys]
    assert table_balls == [getattr(main_job, k) for k in keys] == [500, 100, 3, 15, 0.01, 0]
    quick = seq.make_jobs(
        "tmp", ["rnn-rnade"], ["mocap"], [0], quick=True, time_budget=5, config_dir=CONFIG_DIR
    )[0].cfg
    assert (quick.model.H, quick.train.epochs, quick.train.max_seconds, quick.data.max_sequences) == (
        4,
        1,
        5,
        4,
    )


def test_a_missing_config_is_named():
    with pytest.raises(ConfigError, match=r"no config .*rnade_nope\.json \(models: \['rnade', "):
        seq.make_jobs("runs", ["rnade"], ["nope"], config_dir=CONFIG_DIR)


def test_rnn_rnade_rows_start_from_the_rnade_run_of_their_seed():
    jobs = seq.make_jobs(
        "runs", ["rnn-rnade", "gaussian-rnn"], ["balls", "vowels"], [0, 1], config_dir=CONFIG_DIR
    )
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
    assert seq.in_waves(seq.make_jobs("runs", ["gaussian-rnn"], ["balls"], [0], config_dir=CONFIG_DIR)) == [
        seq.make_jobs("runs", ["gaussian-rnn"], ["balls"], [0], config_dir=CONFIG_DIR)
    ]


def test_the_mocap_sweep_expands_over_its_grid_and_the_seeds():
    path = os.path.join(CONFIG_DIR, "sweep_mocap.json")
    with open(path) as fh:
        grid = json.load(fh)["grid"]
    jobs = seq.make_sweep_jobs(path, "sw", seeds=[0, 1], quick=True, config_dir=CONFIG_DIR)
    assert len(jobs) == math.prod(len(v) for v in grid.values()) * 2
    row, dataset, seed = seq.job_key(jobs[-1].name)
    assert (dataset, seed) == ("mocap", 1) and row.startswith("sweep_mocap-H=100-R=100-K=10")
    assert {j.cfg.model.K for j in jobs} == set(grid["model.K"])  # the grid wins over the quick sizes
    assert {j.cfg.train.epochs for j in jobs} == {1} and len({j.name for j in jobs}) == len(jobs)
    # grid points differ in size from the RNADE row's runs: each pretrains its own, with the row's settings
    rnade = seq.make_jobs("runs", ["rnade"], ["mocap"], [0], config_dir=CONFIG_DIR)[0].cfg.train
    t = seq.make_sweep_jobs(path, "sw", seeds=[0], config_dir=CONFIG_DIR)[0].cfg.train
    assert t.pretrained_rnade is None
    assert (t.pretrain_epochs, t.pretrain_lr, t.pretrain_batch_size, t.pretrain_patience) == (
        rnade.epochs,
        rnade.lr,
        rnade.batch_size,
        rnade.patience,
    )
