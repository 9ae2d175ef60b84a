"""The MIT motion-capture data [2]_ in Taylor et al.'s 49-d preprocessing [1]_, and the way back from it to
joint angles and joint positions (for pictures).

:func:`load_mocap` reads the data as distributed with TSBN (49 of the joint-angle and body-motion columns
kept, each z-scored): "train" is 35 segments of 100 x 49 (the first 3500 frames), "test" 3 segments of
100 x 49 and one of 26 x 49 (the last 326 frames). The segments cross the boundaries of the original
recordings. The file is found under the data root and checksum-verified by :mod:`rnnrnade_pt.data.download`.

The 49 dimensions of :func:`load_mocap` are, exactly (checked to 1e-14 against
``motion.mat``), 49 of the 108 raw columns of the MIT data as distributed with Taylor's CRBM code, each
z-scored over all 3826 frames (MATLAB ``std``, ddof 1). A raw frame holds, for each of the 18 joints of
``skel`` (``motion.mat``), an exponential-map orientation (3 columns, ``skel.tree(j).or``) and an offset
(3 columns, ``skel.tree(j).offset``): the root's offset is its position, the others' the constant bone
vectors. The 59 dropped columns are constant in the data (the bone vectors, and the unused components of
the 1-DOF knees and toes); :func:`postprocess` restores them from ``motion.mat`` and undoes the z-scoring,
which makes it the exact inverse of the preprocessing.

:func:`joint_positions` is forward kinematics as in Taylor's ``expmap2xyz`` for the MIT skeleton, with
row vectors: ``rot_j = E(or_j)^T rot_parent`` and ``xyz_j = xyz_parent + offset_j rot_parent``, ``E`` the
Rodrigues matrix of the exponential map. The transpose is the convention under which the knees bend
backwards and the feet point forwards on the real data (the other one bends them the wrong way).

What is approximate: the root. Its exponential map does not bring the body upright in the frame of its
positions (z, the pelvis height of about 870 mm, is up; the body's up axis comes out oblique under either
convention), so by default the figure is drawn in the pelvis frame: root orientation and position are not
applied (``root=False``), skeleton z up, x forward, y to the left. The joint angles, hence the pose, are
exact; the root's sway and its (small: about 2 cm) travel are not shown.

References
----------
.. [1] G. W. Taylor, G. E. Hinton and S. T. Roweis, "Modeling human motion using binary latent
   variables", NIPS 19, 2007 (the preprocessing, ``expmap2xyz``).
.. [2] E. Hsu, K. Pulli and J. Popović, "Style translation for human motion", SIGGRAPH 2005 (the data).
"""

from __future__ import annotations

import logging
import os
from typing import NamedTuple

import numpy as np

from ..errors import DataError
from .download import fetch
from .matlab import read_mat_splits
from .sequences import SequenceData

__all__ = [
    "MOCAP_FILE",
    "MOCAP_D",
    "MOTION_FILE",
    "KEPT",
    "load_mocap",
    "MocapSkeleton",
    "load_skeleton",
    "postprocess",
    "joint_positions",
]

logger = logging.getLogger(__name__)

MOCAP_FILE = "sequences/mit_mocap/mit_mocap.mat"
MOCAP_KEYS = {"train": "train_data", "test": "test_data"}
MOCAP_D = 49
MOTION_FILE = "sequences/mit_mocap/motion.mat"
N_RAW = 108
# the raw columns Taylor's preprocessing keeps (0-based): the root's 6, then the joint angles
KEPT = np.r_[
    0:9, 13, 18:21, 25, 30:33, 37, 42:45, 49, 54:57, 60:63, 66:69, 72:75, 78:81, 84:87, 90:93, 96:99, 102:105
]


def load_mocap(root: str | os.PathLike | None = None, download: bool = False) -> SequenceData:
    """The MIT motion-capture data [2]_ in Taylor et al.'s 49-dimensional z-scored form [1]_ (TSBN's file).

    ``mit_mocap.mat`` holds two 1 x N MATLAB cells, ``train_data`` (35 cells of 100 x 49) and ``test_data``
    (100, 100, 100 and 26 x 49): 3826 frames, z-scored over all of them (MATLAB ``std``, ddof 1).

    Parameters
    ----------
    root : str or PathLike, optional
        The data root (default ``$RNNRNADE_DATA``); the file is ``sequences/mit_mocap/mit_mocap.mat``.
    download : bool
        Download an absent file (see :func:`rnnrnade_pt.data.download.fetch`).

    Returns
    -------
    SequenceData
        ``splits["train"]``: 35 sequences of 100 x 49; ``splits["test"]``: lengths 100, 100, 100, 26;
        ``labels`` None.
    """
    path = fetch(MOCAP_FILE, root, download)
    splits = read_mat_splits(path, MOCAP_KEYS, D=MOCAP_D)
    for split in splits:
        logger.info(
            "MIT mocap %s: %d segments, %d frames", split, len(splits[split]), sum(map(len, splits[split]))
        )
    description = (
        "MIT motion capture (Hsu, Pulli, Popovic 2005), Taylor, Hinton, Roweis (2007) 49-dim z-scored "
        "preprocessing, TSBN segments: train 35 x 100 frames, test 100+100+100+26"
    )
    return SequenceData(splits, None, description)


class MocapSkeleton(NamedTuple):
    """What the postprocessing needs from ``motion.mat``."""

    parents: tuple  # 18 parent indices (-1 for the root), 0-based
    orientation: np.ndarray  # 18 x 3 raw columns of each joint's exponential map
    offset: np.ndarray  # 18 x 3 raw columns of each joint's offset (the root's: its position)
    constants: np.ndarray  # 108, every raw column's value in the first frame (the dropped ones are constant)
    mean: np.ndarray  # 49, the z-scoring's mean of the kept columns
    std: np.ndarray  # 49, its standard deviation (ddof 1)


def load_skeleton(root=None, download: bool = False) -> MocapSkeleton:
    """Read ``sequences/mit_mocap/motion.mat`` (``skel`` and ``Motion``) under the data root.

    Raises
    ------
    DataError
        An unreadable file, or one whose skeleton or frames are not the MIT layout (18 joints, 108
        columns, the dropped columns constant).
    """
    import scipy.io

    path = fetch(MOTION_FILE, root, download)
    try:
        mat = scipy.io.loadmat(path)
        tree = mat["skel"][0, 0]["tree"][0]
        motion = np.concatenate([np.asarray(m, dtype=np.float64) for m in mat["Motion"].ravel()])
    except (ValueError, OSError, KeyError, IndexError, TypeError) as e:
        raise DataError(f"cannot read the MIT skeleton and frames from {path}: {e}") from None
    if len(tree) != 18 or motion.ndim != 2 or motion.shape[1] != N_RAW:
        raise DataError(
            f"{path}: expected 18 joints and frames of {N_RAW} columns, got {len(tree)} and {motion.shape}"
        )
    parents = tuple(int(t["parent"].ravel()[0]) - 1 if t["parent"].size else -1 for t in tree)
    orientation = np.array([t["or"].ravel() - 1 for t in tree], dtype=np.int64)  # 18 x 3
    offset = np.array([t["offset"].ravel() - 1 for t in tree], dtype=np.int64)  # 18 x 3
    dropped = np.setdiff1d(np.arange(N_RAW), KEPT)
    if np.ptp(motion[:, dropped], axis=0).max() > 1e-9:
        raise DataError(f"{path}: columns that Taylor's preprocessing drops are not constant")
    kept = motion[:, KEPT]
    return MocapSkeleton(parents, orientation, offset, motion[0].copy(), kept.mean(0), kept.std(0, ddof=1))


def postprocess(frames: np.ndarray, skel: MocapSkeleton) -> np.ndarray:
    """Raw 108-column frames (T x 108) from 49-d frames (T x 49) of :func:`load_mocap`'s scale."""
    frames = np.asarray(frames, dtype=np.float64)
    if frames.ndim != 2 or frames.shape[1] != MOCAP_D:
        raise DataError(f"mocap frames must be T x {MOCAP_D}, got shape {frames.shape}")
    raw = np.repeat(skel.constants[None, :], frames.shape[0], axis=0)  # T x 108
    raw[:, KEPT] = frames * skel.std + skel.mean
    return raw


def _expmap_matrices(r: np.ndarray) -> np.ndarray:
    """The Rodrigues matrices ``I + sin(theta) [k]_x + (1 - cos(theta)) [k]_x^2`` of ``r = theta k``.

    ``r``: N x 3; returns N x 3 x 3.
    """
    theta = np.linalg.norm(r, axis=-1)[:, None, None]  # N x 1 x 1
    k = r / (theta[:, 0] + np.finfo(float).eps)  # N x 3
    kx = np.zeros((r.shape[0], 3, 3))
    kx[:, 0, 1], kx[:, 0, 2], kx[:, 1, 2] = -k[:, 2], k[:, 1], -k[:, 0]
    kx = kx - kx.transpose(0, 2, 1)
    return np.eye(3) + np.sin(theta) * kx + (1 - np.cos(theta)) * kx @ kx


def joint_positions(raw: np.ndarray, skel: MocapSkeleton, root: bool = False) -> np.ndarray:
    """Positions of the 18 joints (T x 18 x 3, millimetres) from raw frames (T x 108), by forward kinematics.

    ``root=False`` (default) draws the body in the pelvis frame (see the module notes); ``True`` applies
    the root's orientation and position as stored.
    """
    raw = np.asarray(raw, dtype=np.float64)
    T = raw.shape[0]
    xyz = np.zeros((T, len(skel.parents), 3))
    rot = np.zeros((T, len(skel.parents), 3, 3))
    for j, parent in enumerate(skel.parents):  # parents come before their children
        E_t = _expmap_matrices(raw[:, skel.orientation[j]]).transpose(0, 2, 1)  # T x 3 x 3
        offset = raw[:, skel.offset[j]]  # T x 3
        if parent < 0:
            rot[:, j] = E_t if root else np.eye(3)
            xyz[:, j] = offset if root else 0.0
        else:
            rot[:, j] = E_t @ rot[:, parent]
            xyz[:, j] = xyz[:, parent] + np.einsum("ti,tij->tj", offset, rot[:, parent])
    return xyz
