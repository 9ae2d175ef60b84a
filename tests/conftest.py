"""Shared fixtures. PyTensor is configured before it is imported: the C backend for any implicit compile
(``.eval()``), and OpenBLAS through :mod:`rnnrnade_pt`.

Every compiled function is built once per session (session-scoped fixtures), so the suite compiles each
graph once; the PyTensor compile cache (``~/.pytensor``) is kept between runs.
"""

import os

if "linker" not in os.environ.get("PYTENSOR_FLAGS", ""):
    os.environ["PYTENSOR_FLAGS"] = ",".join(
        filter(None, [os.environ.get("PYTENSOR_FLAGS", ""), "linker=cvm"])
    )

import pathlib  # noqa: E402

import pytest  # noqa: E402

import rnnrnade_pt  # noqa: E402,F401  (sets the BLAS flags before pytensor is imported)

SHARED_DATA = pathlib.Path(
    os.environ.get("RNNRNADE_DATA", pathlib.Path(__file__).parents[2] / "shared" / "data")
)


SLOW = os.environ.get("RNNRNADE_SLOW_TESTS") == "1"


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` (minutes of Numba JIT compilation) run only with RNNRNADE_SLOW_TESTS=1."""
    if SLOW:
        return
    skip = pytest.mark.skip(reason="slow (Numba JIT for minutes); run with RNNRNADE_SLOW_TESTS=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_data() -> pathlib.Path:
    """``../shared/data`` (or ``$RNNRNADE_DATA``). Tests skip when a file is absent, except in CI, where the
    data sit beside the clone and a missing directory is a failure rather than silently skipped tests."""
    if os.environ.get("CI") and not SHARED_DATA.is_dir():
        pytest.fail(f"{SHARED_DATA} is missing in CI; the shared datasets must sit beside the clone")
    return SHARED_DATA
