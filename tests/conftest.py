"""Shared fixtures. PyTensor is configured before it is imported: the C backend for any implicit compile
(``.eval()``). OpenBLAS is linked by the package's own compilations (``rnnrnade_pt.backend``, inside
``pytensor.config.change_flags``); importing the package changes no flag.

Every compiled function is built once per session (session-scoped fixtures), so the suite compiles each
graph once; the tests' PyTensor compile cache (``~/.pytensor/tests``, see :func:`_test_flags`) is kept
between runs.
"""

import os


def _test_flags(flags: str) -> str:
    """``flags`` plus the suite's own: ``linker=cvm``; GCC without ``-O3`` (``cmodule__remove_gxx_opt``) and
    without debug information (``gcc__cxxflags=-g0``): a cold cache builds the suite's thousand small C
    modules about twice as fast, and tests time nothing; and therefore a compile directory of the tests'
    own, ``~/.pytensor/tests`` (PyTensor's cache key does not record the optimisation level, so a shared
    cache would serve unoptimised modules to user runs). A flag the caller set is kept.

    The pytest-xdist workers share the directory: the package's compilations build their modules outside
    PyTensor's compile lock (:mod:`rnnrnade_pt.parallel_compile`), so a worker waits for the other only
    while a module is added to the cache, and a module both need is built once (with a directory per
    worker, 822 of 1,014 modules were built twice).

    >>> _test_flags("").split(",")[0].endswith(os.path.join(".pytensor", "tests"))
    True
    >>> _test_flags("base_compiledir=/x")
    'base_compiledir=/x,linker=cvm,cmodule__remove_gxx_opt=True,gcc__cxxflags=-g0'
    """
    ours = {
        "linker": "cvm",
        "cmodule__remove_gxx_opt": "True",
        "gcc__cxxflags": "-g0",
        "base_compiledir": os.path.join(os.path.expanduser("~"), ".pytensor", "tests"),
    }
    items = [item for item in flags.split(",") if item.strip()]
    given = {item.split("=", 1)[0].strip(): item.split("=", 1)[1].strip() for item in items if "=" in item}
    base = given.get("base_compiledir", ours["base_compiledir"])
    items = [i for i in items if i.split("=", 1)[0].strip() != "base_compiledir"] + [
        f"base_compiledir={base}"
    ]
    items += [f"{k}={v}" for k, v in ours.items() if k not in given and k != "base_compiledir"]
    return ",".join(items)


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
