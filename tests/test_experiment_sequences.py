"""experiments/sequences.py through its ``main``: a quick run end to end (the Gaussian RNN on generated balls,
then a two-point sweep through the same entry) and mocap samples drawn. The library it calls:
tests/test_sequence_runs.py and tests/test_sequence_report.py."""

import importlib.util
import json
import os

import numpy as np
import pytest

from rnnrnade_pt.config import RunConfig
from rnnrnade_pt.errors import ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location(
    "sequences_experiment", os.path.join(ROOT, "experiments", "sequences.py")
)
seq = importlib.util.module_from_spec(spec)
spec.loader.exec_module(seq)


def test_quick_run_and_sweep_end_to_end(tmp_path):
    pytest.importorskip("matplotlib")
    out, figures = tmp_path / "table.md", tmp_path / "figures"
    runs = str(tmp_path / "runs")
    argv = [
        "--quick",
        "--models",
        "gaussian-rnn",
        "--datasets",
        "balls",
        "--run-root",
        runs,
        "--out",
        str(out),
        "--render",
        str(figures),
    ]
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
    argv = [
        "--quick",
        "--sweep",
        str(sweep),
        "--seeds",
        "0",
        "--run-root",
        str(tmp_path / "sweep"),
        "--out",
        str(out),
    ]
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
    argv = [
        "--quick",
        "--models",
        "gaussian-rnn",
        "--datasets",
        "mocap",
        "--seeds",
        "0",
        "--run-root",
        str(tmp_path / "runs"),
        "--data-root",
        str(shared_data),
        "--out",
        str(tmp_path / "t.md"),
        "--render",
        str(figures),
    ]
    assert seq.main(argv) == 0
    assert (figures / "gaussian-rnn_mocap.png").stat().st_size > 1000
    with Image.open(figures / "gaussian-rnn_mocap.gif") as gif:
        assert gif.n_frames == 30 + 60  # the prime, then the model's own frames
