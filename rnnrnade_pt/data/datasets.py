"""A run's data by name: every dataset as lists of sequences (each T_i x D) per split.

=========  =================================================================================
dataset    splits
=========  =================================================================================
balls      generated bouncing balls (train / valid / test of fixed seeds; no download)
mocap      MIT motion capture, Taylor's 49-d preprocessing (train / test; valid held out of train)
vowels     Japanese Vowels LPC cepstra, 12-d (train / test; valid held out of train)
music      polyphonic piano rolls, 88-d 0/1 (``name``: JSB_Chorales, Nottingham, MuseData, Piano_midi)
uci        a UCI set of the RNADE paper (``name``), fold ``fold`` of 10 (train / valid / test; one array each)
bsds300    BSDS300 8x8 patches, 63-d (``n_train`` / ``n_valid`` / ``n_test`` patches per image; one array
           each)
npz        ``.npz`` files in the generic format (``X`` T x B x D and ``mask``), paths in the config
=========  =================================================================================
"""

from __future__ import annotations

import logging

import numpy as np

from ..config import DataConfig
from ..errors import DataError
from ..npz import read_npz
from .arrays import load_data

__all__ = ["load_dataset"]

logger = logging.getLogger(__name__)


def _npz_sequences(path: str, D: int | None) -> list[np.ndarray]:
    from ..config import ModelConfig

    cfg = ModelConfig(model="rnn-rnade", D=D) if D else None
    if cfg is None:  # D unknown yet: validate against the file's own D
        X = read_npz(path, "data", DataError).get("X")
        if X is None or X.ndim < 1 or X.shape[-1] < 1:
            raise DataError(f"data file {path} has no array 'X' of frames")
        cfg = ModelConfig(model="rnn-rnade", D=int(X.shape[-1]))
    X, mask = load_data(path, cfg)
    from .batching import unpad

    return unpad(X, mask)


def load_dataset(dcfg: DataConfig, D: int | None = None) -> dict[str, list[np.ndarray]]:
    """``{"train": [...], "valid": [...], "test": [...] }`` (``test`` may be empty) for ``dcfg``: the first
    ``max_sequences`` of each split when set, with the configured jitter added."""
    splits = _load_splits(dcfg, D)
    if dcfg.max_sequences:
        splits = {k: v[: dcfg.max_sequences] for k, v in splits.items()}
    if dcfg.jitter > 0:
        for i, name in enumerate(("train", "valid", "test")):
            rng = np.random.default_rng([dcfg.seed, 1000 + i])
            splits[name] = [s + dcfg.jitter * rng.standard_normal(s.shape) for s in splits[name]]
    return splits


def _load_splits(dcfg: DataConfig, D: int | None) -> dict[str, list[np.ndarray]]:
    if dcfg.dataset == "memory":
        raise DataError(
            "this run was trained on sequences handed over in Python; pass the data (--data FILE.npz)"
        )
    if dcfg.dataset == "balls":
        from .balls import bouncing_balls_splits

        arrays = bouncing_balls_splits(
            dcfg.n_train,
            dcfg.n_valid,
            dcfg.n_test,
            T=dcfg.length,
            n_balls=dcfg.n_balls,
            res=dcfg.res,
            seed=dcfg.seed,
        )
        return {k: list(np.ascontiguousarray(v.transpose(1, 0, 2))) for k, v in arrays.items()}
    if dcfg.dataset == "npz":
        splits = {"train": _npz_sequences(dcfg.train, D)}
        D = D or splits["train"][0].shape[1]
        splits["valid"] = _npz_sequences(dcfg.valid, D) if dcfg.valid else None
        splits["test"] = _npz_sequences(dcfg.test, D) if dcfg.test else []
    elif dcfg.dataset == "music":
        from .music import MUSIC, load_music

        if dcfg.name not in MUSIC:
            raise DataError(f"dataset 'music' needs name one of {list(MUSIC)}, got {dcfg.name!r}")
        splits = dict(load_music(dcfg.name, dcfg.root, dcfg.download).splits)
    elif dcfg.dataset == "uci":
        from .uci import uci_splits

        splits = uci_splits(dcfg.name, dcfg.fold, dcfg.root, dcfg.download, dcfg.seed)
    elif dcfg.dataset == "bsds300":
        from .bsds import bsds_splits, standard_bsds300

        if dcfg.name not in (None, "standard"):
            raise DataError(f"dataset 'bsds300' takes name 'standard' or none, got {dcfg.name!r}")
        if dcfg.name == "standard":  # the field's splits: 1,000,000 / 50,000 / 250,000 patches
            splits = standard_bsds300(dcfg.root, dcfg.seed)
        else:
            splits = bsds_splits(
                dcfg.root, dcfg.n_train, dcfg.n_valid, dcfg.n_test, dcfg.valid_fraction, dcfg.seed
            )
    else:
        from .mocap import load_mocap
        from .vowels import load_japanese_vowels

        loaded = (load_mocap if dcfg.dataset == "mocap" else load_japanese_vowels)(dcfg.root, dcfg.download)
        splits = {
            "train": loaded.splits["train"],
            "valid": loaded.splits.get("valid"),
            "test": loaded.splits.get("test", []),
        }
    if splits["valid"] is None:
        from .batching import split_off

        splits["train"], splits["valid"] = split_off(splits["train"], dcfg.valid_fraction, dcfg.seed)
        logger.info("held out %d of the training sequences for validation", len(splits["valid"]))
    return splits
