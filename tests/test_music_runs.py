"""The music table's runs (:mod:`rnnrnade_pt.music_runs`): each (model, dataset)'s job from its config, at
the tutorial's sizes or the quick ones, and the same amount of pretraining on every set; the RNN-RBM's
test-time estimates are a task a Dask worker finds by reference."""

import os
import pathlib
import pickle

import pytest

from rnnrnade_pt import music_report, music_runs

ROOT = pathlib.Path(__file__).parents[1]
CONFIG_DIR = ROOT / "experiments" / "configs" / "music"
PUBLISHED = music_report.published(ROOT / "experiments" / "published.json")


def test_configs_are_the_tutorials_sizes(tmp_path):
    jobs = music_runs.make_jobs(tmp_path, config_dir=CONFIG_DIR)
    assert [j.name for j in jobs] == [f"{m}_{d}" for m in music_runs.MODELS for d in music_runs.DATASETS]
    for j in jobs:
        model, dataset = j.name.split("_", 1)
        c = j.cfg
        assert (c.model.model, c.data.dataset, c.data.name) == (model, "music", dataset)
        assert (c.model.D, c.model.H, c.model.R, c.train.window) == (88, 150, 100, 100)
        assert c.data.max_sequences == 0 and c.train.max_seconds is None
        assert j.run_dir == os.path.join(tmp_path, j.name)
    quick = music_runs.make_jobs(
        tmp_path, ["rnn-rbm"], ["MuseData"], quick=True, time_budget=30, data_root="/d", config_dir=CONFIG_DIR
    )
    (j,) = quick
    assert j.cfg.train.max_seconds == 30.0 and j.cfg.data.root == "/d" and j.cfg.data.max_sequences > 0
    assert j.cfg.model.H < 150 and j.cfg.model.ais_chains < jobs[0].cfg.model.ais_chains


def test_pretraining_is_the_same_number_of_updates_on_every_set(tmp_path, shared_data):
    """The NADE or RBM pretrains for about as many updates on every set as JSB's 100 epochs (139 batches of
    100 frames each): a fixed epoch count would make pretraining on MuseData (18x JSB's frames) alone
    outlast a run's 2-hour budget."""
    from rnnrnade_pt.data.datasets import load_dataset

    reference = 139 * 100  # JSB: 13,807 frames in batches of 100, 100 epochs
    nade_jobs = music_runs.make_jobs(
        tmp_path, ["rnn-nade"], music_runs.DATASETS, data_root=str(shared_data), config_dir=CONFIG_DIR
    )
    for j in nade_jobs:
        path = os.path.join(str(shared_data), "polyphonic", f"{j.cfg.data.name}.mat")
        if not os.path.exists(path):
            pytest.skip(f"{path} is missing")
        frames = sum(len(s) for s in load_dataset(j.cfg.data, 88)["train"])
        steps = -(-frames // j.cfg.train.pretrain_batch_size)
        if j.cfg.data.name == "JSB_Chorales":
            assert j.cfg.train.pretrain_epochs == 100
        updates = steps * j.cfg.train.pretrain_epochs
        assert abs(updates - reference) <= steps / 2 + 1, (j.name, updates)
    rbm_jobs = music_runs.make_jobs(tmp_path, ["rnn-rbm"], config_dir=CONFIG_DIR)
    rbm = {j.cfg.data.name: j.cfg.train.pretrain_epochs for j in rbm_jobs}
    nade_jobs = music_runs.make_jobs(tmp_path, ["rnn-nade"], config_dir=CONFIG_DIR)
    nade = {j.cfg.data.name: j.cfg.train.pretrain_epochs for j in nade_jobs}
    assert rbm == nade
    jobs = music_runs.make_jobs(tmp_path, config_dir=CONFIG_DIR)
    text = music_report.music_table([], jobs, published=PUBLISHED)
    assert "up to 18 (Piano-midi.de) / 8 (Nottingham) / 6 (MuseData) / 100 (JSB Chorales) epochs" in text


def test_a_missing_config_is_named(tmp_path):
    from rnnrnade_pt.errors import ConfigError

    with pytest.raises(
        ConfigError, match=r"no config .*rnn-rbm_Nope\.json \(models: \['rnn-rbm', 'rnn-nade'\]"
    ):
        music_runs.make_jobs(tmp_path, ["rnn-rbm"], ["Nope"], config_dir=CONFIG_DIR)


def test_the_test_time_estimate_is_a_task_pickled_by_reference():
    """A Dask worker imports :func:`~rnnrnade_pt.music_runs.test_bracket` from the package: the task carries
    its name, not its code."""
    assert pickle.loads(pickle.dumps(music_runs.test_bracket)) is music_runs.test_bracket
    assert b"rnnrnade_pt.music_runs" in pickle.dumps(music_runs.test_bracket)
