"""Shared fixtures. PyTensor is configured before it is imported: the C backend for any implicit compile
(``.eval()``). OpenBLAS is linked by the package's own compilations (``rnnrnade_pt.backend``, inside
``pytensor.config.change_flags``); importing the package changes no flag.

Every compiled function is built once per session (session-scoped fixtures), so the suite compiles each
graph once; the tests' PyTensor compile cache (``~/.pytensor/tests``, a subfolder per pytest-xdist worker,
see :func:`_test_flags`) is kept between runs.
"""

import os


def _test_flags(flags: str, worker: str | None = None) -> str:
    """``flags`` plus the suite's own: ``linker=cvm``; GCC without ``-O3`` (``cmodule__remove_gxx_opt``:
    a cold cache builds the suite's hundreds of small C modules a third faster, and tests time nothing);
    and therefore a compile directory of the tests' own, ``~/.pytensor/tests`` (PyTensor's cache key does
    not record the optimisation level, so a shared cache would serve unoptimised modules to user runs).
    A flag the caller set is kept (a ``base_compiledir`` given there should be the tests' alone).

    Under pytest-xdist each worker compiles into a subfolder of its own (``.../gw0``): PyTensor holds one
    file lock per compile directory while g++ runs, so workers sharing one wait for each other's
    compilations (two cold compilations of training functions side by side: 65.8 s sharing a directory,
    46.2 s in two, though each then builds the modules both need; four compile-heavy test files on two
    workers from a cold cache: 283 s sharing, 238 s apart).

    >>> _test_flags("", "gw1").split(",")[0].endswith(os.path.join(".pytensor", "tests", "gw1"))
    True
    >>> _test_flags("base_compiledir=/x/gw1", "gw1")
    'base_compiledir=/x/gw1,linker=cvm,cmodule__remove_gxx_opt=True'
    """
    ours = {
        "linker": "cvm",
        "cmodule__remove_gxx_opt": "True",
        "base_compiledir": os.path.join(os.path.expanduser("~"), ".pytensor", "tests"),
    }
    items = [item for item in flags.split(",") if item.strip()]
    given = {item.split("=", 1)[0].strip(): item.split("=", 1)[1].strip() for item in items if "=" in item}
    base = given.get("base_compiledir", ours["base_compiledir"])
    if worker and os.path.basename(base) != worker:
        base = os.path.join(base, worker)
    items = [i for i in items if i.split("=", 1)[0].strip() != "base_compiledir"] + [
        f"base_compiledir={base}"
    ]
    items += [f"{k}={v}" for k, v in ours.items() if k not in given and k != "base_compiledir"]
    return ",".join(items)


os.environ["PYTENSOR_FLAGS"] = _test_flags(
    os.environ.get("PYTENSOR_FLAGS", ""), os.environ.get("PYTEST_XDIST_WORKER")
)

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
