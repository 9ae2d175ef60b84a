"""Segments from MATLAB files: :func:`read_mat_splits` reads cell arrays of ``T x D`` segments, one per
split (the MIT mocap data of :mod:`~rnnrnade_pt.data.mocap`, the piano rolls of
:mod:`~rnnrnade_pt.data.music`).
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import DataError

__all__ = ["read_mat_splits"]


def _mat_cells(cell, key: str, path: str, D: int) -> list[np.ndarray]:
    """The segments of a MATLAB cell array (any orientation), each ``T x D`` float64 C-contiguous."""
    if not isinstance(cell, np.ndarray) or cell.dtype != object:
        raise DataError(f"{path}: '{key}' must be a cell array of T x {D} segments, got {type(cell)}")
    out = []
    for i, seg in enumerate(cell.ravel(order="F")):
        seg = np.asarray(seg)
        if seg.ndim != 2 or seg.shape[1] != D or seg.shape[0] == 0:
            raise DataError(f"{path}: '{key}' segment {i} has shape {seg.shape}, expected T x {D}")
        if not np.issubdtype(seg.dtype, np.number):
            raise DataError(f"{path}: '{key}' segment {i} holds {seg.dtype}, expected numbers")
        seg = np.ascontiguousarray(seg, dtype=np.float64)  # loadmat gives Fortran-ordered arrays
        if not np.all(np.isfinite(seg)):
            raise DataError(f"{path}: '{key}' segment {i} holds NaN or infinite values")
        out.append(seg)
    if not out:
        raise DataError(f"{path}: '{key}' holds no segment")
    return out


def read_mat_splits(path, keys: dict[str, str], D: int) -> dict[str, list[np.ndarray]]:
    """The segments of the MATLAB cell arrays named ``keys[split]`` in the file at ``path``, per split.

    Parameters
    ----------
    path : str or PathLike
        A ``.mat`` file (the versions :func:`scipy.io.loadmat` reads).
    keys : dict[str, str]
        Split name -> the variable holding that split: a cell array (any orientation) of ``T x D`` segments.
    D : int
        The number of columns every segment must have.

    Returns
    -------
    dict[str, list[ndarray]]
        Split name -> its segments in the cell array's (column-major) order, each ``T x D`` float64
        C-contiguous.

    Raises
    ------
    DataError
        An unreadable file, a missing variable, a variable that is not a cell array, an empty cell array, or
        a segment that is not ``T x D`` of finite numbers. One line, naming the file and variable.
    """
    import scipy.io

    try:
        mat = scipy.io.loadmat(path)
    except (ValueError, OSError, TypeError, NotImplementedError) as e:
        raise DataError(f"cannot read MATLAB file {path}: {e}") from None
    splits = {}
    for split, key in keys.items():
        if key not in mat:
            found = sorted(k for k in mat if not k.startswith("__"))
            raise DataError(f"{path} has no variable '{key}' (it holds {found})")
        splits[split] = _mat_cells(mat[key], key, os.fspath(path), D=D)
    return splits
