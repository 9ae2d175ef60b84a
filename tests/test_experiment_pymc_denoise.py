"""The PyMC application (experiments/pymc_denoise.py): its quick mode end to end (runs where the ``pymc``
extra is installed: scripts/test_pymc.sh)."""

import importlib.util
import os

import pytest

pytest.importorskip("pymc")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_quick_mode_denoises_and_writes_its_block(tmp_path, shared_data, monkeypatch):
    if not (shared_data / "bsds300" / "iids_train.txt").is_file():
        pytest.skip(f"{shared_data}/bsds300 is absent")
    monkeypatch.setenv("RNNRNADE_DATA", str(shared_data))
    spec = importlib.util.spec_from_file_location(
        "pymc_denoise", os.path.join(ROOT, "experiments", "pymc_denoise.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "block.md"
    assert module.main(["--quick", "--out", str(out)]) == 0
    text = out.read_text()
    for row in (
        "noisy input",
        "Gaussian prior (Wiener filter)",
        "RNADE prior, MAP",
        "RNADE prior, posterior mean",
    ):
        assert f"| {row}" in text
    assert (tmp_path / "pymc_denoise.png").stat().st_size > 1000  # the figure beside the block
