"""The standard-BSDS300 table script (experiments/bsds300.py): its quick mode end to end (train, release,
table) and the re-score of that release, through its ``main``."""

import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def bsds300():
    spec = importlib.util.spec_from_file_location(
        "bsds300_experiment", os.path.join(ROOT, "experiments", "bsds300.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_mode_trains_releases_and_rescores_to_the_same_block(bsds300, tmp_path, shared_data):
    if not (shared_data / "bsds300" / "iids_train.txt").is_file():
        pytest.skip(f"{shared_data}/bsds300 is absent")
    common = ["--quick", "--data-root", str(shared_data), "--models", str(tmp_path / "models")]
    trained, rescored = tmp_path / "trained.md", tmp_path / "rescored.md"
    assert bsds300.main([*common, "--run-root", str(tmp_path / "runs"), "--out", str(trained)]) == 0
    assert (tmp_path / "models" / "bsds300" / "rnade" / "model.npz").is_file()
    assert bsds300.main([*common, "--from-release", "--out", str(rescored)]) == 0
    text = trained.read_text()
    assert text == rescored.read_text()  # one block, whichever path made it
    row = next(line for line in text.splitlines() if line.startswith("| RNADE, 1 hidden layer"))
    assert "152.10" in row and "±" in row
    assert "| MAF MoG | — | 156.36 |" in text and "| Gaussian, full covariance |" in text
