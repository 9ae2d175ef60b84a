"""Shared fixtures. PyTensor is configured before it is imported: the C backend for any implicit compile
(``.eval()``). OpenBLAS is linked by the package's own compilations (``rnnrnade_pt.backend``, inside
``pytensor.config.change_flags``); importing the package changes no flag.

Every compiled function is built once per session (session-scoped fixtures), so the suite compiles each
graph once; the tests' PyTensor compile cache (``~/.pytensor/tests``, see :func:`_test_flags`) is kept
between runs.
"""

import os


def _test_flags(flags: str) -> str:
    """``flags`` plus the suite's own: ``linker=cvm``; GCC without ``-O3`` (``cmodule__remove_gxx_opt``:
    a cold cache builds the suite's hundreds of small C modules a third faster, and tests time nothing);
    and therefore a compile directory of the tests' own, ``~/.pytensor/tests`` (PyTensor's cache key does
    not record the optimisation level, so a shared cache would serve unoptimised modules to user runs).
    A flag the caller set is kept (a ``base_compiledir`` given there should be the tests' alone)."""
    ours = {
        "linker": "cvm",
        "cmodule__remove_gxx_opt": "True",
        "base_compiledir": os.path.join(os.path.expanduser("~"), ".pytensor", "tests"),
    }
    given = {item.split("=", 1)[0].strip() for item in flags.split(",") if "=" in item}
    return ",".join(filter(None, [flags, *(f"{k}={v}" for k, v in ours.items() if k not in given)]))


os.environ["PYTENSOR_FLAGS"] = _test_flags(os.environ.get("PYTENSOR_FLAGS", ""))

import pathlib  # noqa: E402

import pytest  # noqa: E402

import rnnrnade_pt  # noqa: E402,F401  (imported once here: a broken package fails collection at once)

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
