"""The sequences table (:mod:`rnnrnade_pt.sequence_report`): mean and standard error over seeds, failed runs
counted, the prediction baselines' rows and the note on each row's settings."""

import pathlib

import numpy as np
import pytest

from rnnrnade_pt import sequence_report, sequence_runs
from rnnrnade_pt.baselines import prediction_baselines

ROOT = pathlib.Path(__file__).parents[1]
CONFIG_DIR = ROOT / "experiments" / "configs" / "sequences"


def test_table_is_mean_and_standard_error_over_seeds():
    def run(name, ll, err, wall=10.0):
        return {
            "name": name,
            "n_params": 1234,
            "wall_seconds": wall,
            "test": {"loglik_per_frame": ll, "sq_pred_error_per_frame": err},
        }

    summaries = [
        run("rnn-rnade_mocap_seed0", -10.0, 2.0),
        run("rnn-rnade_mocap_seed1", -12.0, 4.0),
        run("gaussian-rnn_mocap_seed0", -20.0, 5.0, 70.0),
        {"name": "gaussian-rnn_mocap_seed1", "error": "DataError: boom"},
        run("rnn-rnade_vowels_seed0", 3.0, 0.5),
    ]
    table = sequence_report.sequences_table(summaries)
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
    with_baselines = sequence_report.sequences_table(summaries, baselines={"mocap": {"previous frame": 1.5}})
    assert "| previous frame (prediction baseline) | — | 1.50 | — | — | 0 | — | — |" in with_baselines


def test_settings_note_gives_each_rows_schedule_per_dataset_where_they_differ(tmp_path):
    jobs = sequence_runs.make_jobs(
        str(tmp_path), ["rnade", "gaussian-rnn"], ["balls", "mocap"], [0], config_dir=CONFIG_DIR
    )
    summaries = [{"name": j.name, "n_params": 1, "test": {"loglik_per_frame": 0.0}} for j in jobs]
    cfgs = {sequence_runs.job_key(j.name)[:2]: j.cfg.train for j in jobs}
    note = sequence_report.sequences_table(summaries, jobs).split("Settings: ")[1]
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


def test_no_release_is_one_line():
    assert sequence_report.table_from_releases([]) == "No released model yet.\n"


def test_the_main_job_and_the_sequences_score_the_same_number():
    evaluation = {"loglik_per_frame": -2.5, "frames": 40, "sq_pred_error_per_frame": 1.0}
    assert sequence_report.score(None, evaluation) == {
        "value": -2.5,
        "what": "test log-likelihood per frame (nats, the data's units)",
        "counted": 40,
    }
