"""``experiments/main_job.py``: the main job trained (quick), released, tabled beside the predictors without a
model, and re-scored from its release into the same block; a corrupted release is one line."""

import importlib.util
import os
import pathlib

import pytest

from rnnrnade_pt.cli import run_reporting_errors
from rnnrnade_pt.release import MODEL_FILE, read_manifest

ROOT = pathlib.Path(__file__).parents[1]


@pytest.fixture(scope="module")
def main_job():
    spec = importlib.util.spec_from_file_location("main_job", ROOT / "experiments" / "main_job.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_main_job_is_released_and_rescored(main_job, tmp_path, capsys):
    models, first, again = tmp_path / "models", tmp_path / "first.md", tmp_path / "again.md"
    argv = ["--quick", "--models", str(models), "--run-root", str(tmp_path / "runs")]
    assert main_job.main([*argv, "--out", str(first)]) == 0
    text = first.read_text()
    release = models / "main" / main_job.CELL
    manifest = read_manifest(str(release))
    assert manifest["table"] == "main" and manifest["split"] == "test" and manifest["epochs"] == 1
    row = next(r for r in text.splitlines() if r.startswith("| RNN-RNADE (the main job) |"))
    assert f"| {manifest['evaluation']['loglik_per_frame']:.2f} |" in row
    assert "| previous frame (no model) | — |" in text and "`python experiments/main_job.py`" in text
    balls = manifest["evaluation"]["balls_per_frame"]  # the samples judged by their balls, beside the data
    assert abs(sum(balls["samples"].values()) - 1) < 1e-12 and abs(sum(balls["test"].values()) - 1) < 1e-12
    assert "Balls per frame" in text and "the test frames" in text
    assert main_job.main(["--quick", "--models", str(models), "--from-release", "--out", str(again)]) == 0
    assert again.read_text() == text
    with open(release / MODEL_FILE, "ab") as fh:  # a release that no longer matches its manifest
        fh.write(b"\0")
    capsys.readouterr()
    code = run_reporting_errors(
        "main_job.py", main_job.main, ["--quick", "--models", str(models), "--from-release"]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and "does not match its manifest" in err and len(err.splitlines()) == 1
    assert os.path.exists(release / "manifest.json")  # nothing is removed
