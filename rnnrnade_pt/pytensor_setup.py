"""Point PyTensor's C backend at OpenBLAS before PyTensor is first imported.

PyTensor 3.x probes for a BLAS at import and, on Debian with only ``libopenblas-dev`` installed, finds none
(it looks for ``libcblas``/``libgfortran`` too) and warns "could not link to a BLAS installation". The C
backend then falls back to slower NumPy C-API kernels. This module sets ``blas__ldflags`` to the OpenBLAS
that the dynamic loader knows, unless the user already chose one in ``PYTENSOR_FLAGS`` or a pytensorrc file.
It must be imported before :mod:`pytensor`; :mod:`rnnrnade_pt` does so first. (Numba's ``fastmath`` is
set per compilation by :func:`rnnrnade_pt.compile.compile_function`, off unless asked for.)

See ``scripts/setup_system.sh`` for installing OpenBLAS.
"""

from __future__ import annotations

import ctypes.util
import logging
import os
import sys

__all__ = ["BLAS_LDFLAGS", "configure_blas"]

logger = logging.getLogger(__name__)


def _openblas_ldflags() -> str:
    lib = ctypes.util.find_library("openblas")  # e.g. 'libopenblas.so.0'
    return f"-l:{lib}" if lib else ""


def _user_chose_blas() -> bool:
    if "blas__ldflags" in os.environ.get("PYTENSOR_FLAGS", ""):
        return True
    rc = os.environ.get("PYTENSORRC", os.path.expanduser("~/.pytensorrc"))
    for path in rc.split(os.pathsep):
        try:
            with open(path, encoding="utf-8") as fh:
                if "ldflags" in fh.read():
                    return True
        except OSError:
            continue
    return False


def configure_blas() -> str:
    """Set ``blas__ldflags`` for OpenBLAS when it is installed and the user has not chosen a BLAS.

    Returns
    -------
    str
        The flags set, or ``""`` when nothing was changed.
    """
    if _user_chose_blas():
        return ""
    flags = _openblas_ldflags()
    if not flags:
        logger.info("OpenBLAS not found; run scripts/setup_system.sh for a BLAS-linked C backend")
        return ""
    if "pytensor" in sys.modules:  # imported before us: set it at run time, before the first compile
        import pytensor

        pytensor.config.blas__ldflags = flags
    else:
        prior = os.environ.get("PYTENSOR_FLAGS", "")
        os.environ["PYTENSOR_FLAGS"] = ",".join(filter(None, [prior, f"blas__ldflags={flags}"]))
    return flags


BLAS_LDFLAGS = configure_blas()
