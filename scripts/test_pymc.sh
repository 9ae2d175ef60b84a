#!/usr/bin/env bash
# The PyMC part of the tests, in an environment of its own: PyMC 5.28 requires PyTensor 2.38, the main
# environment has PyTensor 3.0. Makes (or reuses) the virtual environment $RNNRNADE_PYMC_VENV (default
# .venv-pymc), installs the package with its pymc extra there, and runs the PyMC distributions' tests and
# the whole-family contract test under PyTensor 2.38, with the version differences (compile cache:
# ~/.pytensor/tests-pymc).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${RNNRNADE_PYMC_VENV:-.venv-pymc}"
[ -x "$venv/bin/python" ] || python -m venv "$venv"
"$venv/bin/python" -m pip install -q -e ".[pymc,plot]" "pytest>=8" "pytest-xdist>=3" "hypothesis>=6.100"
"$venv/bin/python" -c "import pymc, pytensor; print(f'test_pymc: PyMC {pymc.__version__}, PyTensor {pytensor.__version__}')"
export PYTENSOR_FLAGS="base_compiledir=$HOME/.pytensor/tests-pymc${PYTENSOR_FLAGS:+,$PYTENSOR_FLAGS}"
"$venv/bin/python" -m pytest -q -n 2 --dist loadfile -p no:cacheprovider tests/test_pymc.py tests/test_compat.py tests/test_experiment_pymc_denoise.py \
    rnnrnade_pt/pymc.py tests/test_family.py
