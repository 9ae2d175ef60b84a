"""BSDS300 8x8 image patches, as in the RNADE paper's natural-image experiment, extracted from the images.

Each patch is made as follows (RNADE section 4.2 [1]_; the paper's exact numbers of patches are not
available here, so ours are parameters):

1. the image is converted to grayscale by Pillow's ``convert("L")``, the ITU-R 601-2 luma transform
   ``L = R * 299/1000 + G * 587/1000 + B * 114/1000`` (integers 0..255);
2. an 8x8 window at a uniformly random position is cut out and flattened row by row (64 values);
3. dequantised: ``x = (L + u) / 256`` with ``u ~ Uniform[0, 1)`` per pixel, so ``x`` lies in ``[0, 1)``;
4. the patch's mean is subtracted and its last (bottom-right) pixel dropped: 63 dimensions, each in
   ``(-1, 1)`` (the dropped pixel is minus the sum of the others, so nothing is lost).

Splits: the 200 images of ``iids_train.txt`` give the training set and, held out by a seeded permutation, a
``valid_fraction`` share of them (by default 20 images) the validation set; the 100 of ``iids_test.txt`` the
test set. ``n_train``, ``n_valid``, ``n_test`` patches are drawn from each image of its split, with the
seeded generator ``default_rng([seed, split])``.

**The standard data** (:func:`standard_bsds300`, ``DataConfig(dataset="bsds300", name="standard")``): the
split sizes that the density-estimation literature reports on (Uria et al. 2013/2014; the MAF paper's
``BSDS300.hdf5``, which is not available here): 1,000,000 training and 50,000 validation patches from the 200
training images (5,000 and 250 per image, the validation patches drawn with their own random stream, so
they may overlap training patches' windows, as patches from the same images must) and 250,000 test patches
from the 100 test images (2,500 per image), by the recipe above. What is known of the original: the 63
dimensions, the grey levels, the dequantisation and scaling by 256, the mean removed and the last pixel
dropped, the split sizes, and that validation comes from the training images. What is assumed: equal
numbers of patches per image, uniform window positions, Pillow's luma transform for grey, and the seeds. Its
full-covariance Gaussian is the check against the published 96.67 nats (MAF paper, Table 2).

Patches are cached as ``.npz`` in a cache directory (``$RNNRNADE_CACHE``, else ``~/.cache/rnnrnade_pt``),
under a name made from a digest of the parameters and the image files' names and sizes; the file also
stores those parameters and is used only when they match, so a second load takes milliseconds.

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
.. [2] D. Martin, C. Fowlkes, D. Tal, J. Malik. "A database of human segmented natural images and its
   application to evaluating segmentation algorithms and measuring ecological statistics." ICCV 2001.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pathlib

import numpy as np

from ..errors import ConfigError, DataError
from .download import data_root

__all__ = [
    "PATCH",
    "BSDS_DIR",
    "CACHE_ENV",
    "STANDARD",
    "cache_dir",
    "grayscale",
    "extract_patches",
    "bsds_splits",
    "standard_bsds300",
    "splits_sha256",
]

logger = logging.getLogger(__name__)

PATCH = 8  # patches are PATCH x PATCH pixels; PATCH**2 - 1 dimensions
BSDS_DIR = "bsds300"
CACHE_ENV = "RNNRNADE_CACHE"
_VERSION = 1  # of the patch recipe: part of the cache key
SPLITS = ("train", "valid", "test")
STANDARD = {"train": 1_000_000, "valid": 50_000, "test": 250_000}  # the field's BSDS300 split sizes


def cache_dir(path: str | os.PathLike | None = None) -> pathlib.Path:
    """``path``, else ``$RNNRNADE_CACHE``, else ``~/.cache/rnnrnade_pt``."""
    path = path or os.environ.get(CACHE_ENV) or os.path.join("~", ".cache", "rnnrnade_pt")
    return pathlib.Path(os.fspath(path)).expanduser()


def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise ConfigError('BSDS300 patches need Pillow: pip install pillow (or ".[images]")') from None
    return Image


def grayscale(path: str | os.PathLike) -> np.ndarray:
    """The image at ``path`` as ITU-R 601-2 luma (Pillow's ``convert("L")``), H x W uint8."""
    Image = _pil()
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("L"), dtype=np.uint8)
    except (OSError, ValueError, SyntaxError) as e:  # PIL.UnidentifiedImageError is an OSError
        raise DataError(f"cannot read image {path}: {str(e).splitlines()[0] if str(e) else e}") from None


def extract_patches(gray: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` dequantised, mean-subtracted 8x8 patches of a grayscale image, last pixel dropped: n x 63."""
    H, W = gray.shape
    if H < PATCH or W < PATCH:
        raise DataError(f"an image of {H}x{W} pixels is smaller than a {PATCH}x{PATCH} patch")
    r = rng.integers(0, H - PATCH + 1, size=n)  # n
    c = rng.integers(0, W - PATCH + 1, size=n)
    off = np.arange(PATCH)
    P = gray[r[:, None, None] + off[None, :, None], c[:, None, None] + off[None, None, :]]  # n x 8 x 8
    x = (P.reshape(n, PATCH * PATCH) + rng.random((n, PATCH * PATCH))) / 256.0  # n x 64, in [0, 1)
    x -= x.mean(axis=1, keepdims=True)
    return np.ascontiguousarray(x[:, :-1])  # n x 63


def _image_ids(root: pathlib.Path, split: str) -> list[pathlib.Path]:
    ids_path = root / BSDS_DIR / f"iids_{split}.txt"
    try:
        ids = [ln.strip() for ln in ids_path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"cannot read the BSDS300 image list {ids_path}: {e}") from None
    bad = [i for i in ids if not i.isdigit()]
    if not ids or bad:
        raise DataError(f"{ids_path} must list numeric image ids, one a line (bad: {bad[:3]})")
    paths = [root / BSDS_DIR / "images" / split / f"{i}.jpg" for i in ids]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise DataError(f"{len(missing)} BSDS300 image(s) of {ids_path} are missing, e.g. {missing[0]}")
    return paths


def bsds_splits(
    root: str | os.PathLike | None = None,
    n_train: int = 1000,
    n_valid: int = 1000,
    n_test: int = 1000,
    valid_fraction: float = 0.1,
    seed: int = 0,
    cache: str | os.PathLike | None = None,
) -> dict[str, list[np.ndarray]]:
    """BSDS300 patches: ``{"train": [N_tr x 63], "valid": [N_va x 63], "test": [N_te x 63]}``.

    Parameters
    ----------
    root : str or PathLike, optional
        The data root (default ``$RNNRNADE_DATA``), holding ``bsds300/iids_{train,test}.txt`` and
        ``bsds300/images/{train,test}/<id>.jpg``.
    n_train, n_valid, n_test : int
        Patches per image of the training, validation and test images.
    valid_fraction : float
        Share of the training images held out for validation (at least one).
    seed : int
        Seeds the hold-out, the patch positions and the dequantisation noise.
    cache : str or PathLike, optional
        The cache directory (see :func:`cache_dir`).
    """
    for name, v in (("n_train", n_train), ("n_valid", n_valid), ("n_test", n_test)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ConfigError(f"BSDS300 {name} (patches per image) must be a positive integer, got {v!r}")
    root = data_root(root)
    files = {"train": _image_ids(root, "train"), "test": _image_ids(root, "test")}
    images = {s: [[p.name, p.stat().st_size] for p in f] for s, f in files.items()}
    params = {
        "version": _VERSION,
        "n": [n_train, n_valid, n_test],
        "valid_fraction": valid_fraction,
        "seed": seed,
        "images": images,
    }
    key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:20]
    path = cache_dir(cache) / f"bsds300-{key}.npz"
    cached = _read_cache(path, params)
    if cached is not None:
        return cached
    perm = np.random.default_rng([seed, 300]).permutation(len(files["train"]))
    n_hold = max(1, int(round(valid_fraction * len(perm))))
    images = {
        "train": [files["train"][i] for i in np.sort(perm[n_hold:])],
        "valid": [files["train"][i] for i in np.sort(perm[:n_hold])],
        "test": files["test"],
    }
    counts = {"train": n_train, "valid": n_valid, "test": n_test}
    out = {}
    for s, split in enumerate(SPLITS):
        rng = np.random.default_rng([seed, s])
        out[split] = np.concatenate(
            [extract_patches(grayscale(p), counts[split], rng) for p in images[split]]
        )
    _write_cache(path, params, out)
    logger.info("BSDS300 patches: %s; cached in %s", {k: v.shape[0] for k, v in out.items()}, path)
    return {k: [v] for k, v in out.items()}


def standard_bsds300(
    root: str | os.PathLike | None = None, seed: int = 0, cache: str | os.PathLike | None = None
) -> dict[str, list[np.ndarray]]:
    """The standard BSDS300 patches (see the module docstring): 1,000,000 training and 50,000 validation
    patches from the 200 training images, 250,000 test patches from the 100 test images, each ``N x 63``.

    Built once (about a minute) and cached like :func:`bsds_splits`' patches; the cache file also stores the
    :func:`splits_sha256` of the result, checked when it is read.

    Parameters
    ----------
    root : str or PathLike, optional
        The data root (default ``$RNNRNADE_DATA``).
    seed : int
        Seeds the patch positions and the dequantisation noise (``default_rng([seed, 63, split])``).
    cache : str or PathLike, optional
        The cache directory (see :func:`cache_dir`).
    """
    root = data_root(root)
    train, test = _image_ids(root, "train"), _image_ids(root, "test")
    images = {"train": train, "valid": train, "test": test}
    listed = {s: [[p.name, p.stat().st_size] for p in f] for s, f in images.items()}
    params = {"version": _VERSION, "standard": STANDARD, "seed": seed, "images": listed}
    key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:20]
    path = cache_dir(cache) / f"bsds300-standard-{key}.npz"
    cached = _read_cache(path, params)
    if cached is not None:
        return cached
    out = {}
    for s, split in enumerate(SPLITS):
        per_image, rest = divmod(STANDARD[split], len(images[split]))
        if rest:
            raise DataError(
                f"{STANDARD[split]} {split} patches do not divide among {len(images[split])} images"
            )
        rng = np.random.default_rng([seed, 63, s])
        out[split] = np.concatenate([extract_patches(grayscale(p), per_image, rng) for p in images[split]])
    params["sha256"] = splits_sha256({k: [v] for k, v in out.items()})
    _write_cache(path, params, out)
    logger.info("standard BSDS300 patches %s (sha256 %s); cached in %s", STANDARD, params["sha256"], path)
    return {k: [v] for k, v in out.items()}


def splits_sha256(splits: dict[str, list[np.ndarray]]) -> str:
    """A digest of a dataset's splits: each split's name, shape and float64 values, in train, valid, test
    order."""
    h = hashlib.sha256()
    for split in SPLITS:
        for a in splits[split]:
            a = np.ascontiguousarray(a, dtype=np.float64)
            h.update(f"{split}{a.shape}".encode())
            h.update(a.tobytes())
    return h.hexdigest()


def _read_cache(path: pathlib.Path, params: dict) -> dict | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            stored = json.loads(str(npz["params"]))
            digest = stored.pop("sha256", None)
            if stored != json.loads(json.dumps(params)):
                logger.warning("%s was made with other parameters; rebuilding it", path)
                return None
            out = {k: [np.array(npz[k])] for k in SPLITS}
        if digest is not None and splits_sha256(out) != digest:
            logger.warning("%s does not match its own checksum; rebuilding it", path)
            return None
    except (OSError, KeyError, ValueError) as e:
        logger.warning("unreadable patch cache %s (%s); rebuilding it", path, e)
        return None
    logger.info("BSDS300 patches from the cache %s", path)
    return out


def _write_cache(path: pathlib.Path, params: dict, arrays: dict) -> None:
    from ..npz import atomic_write_npz

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_npz(str(path), {**arrays, "params": np.array(json.dumps(params, sort_keys=True))})
    except OSError as e:  # a read-only cache costs time, not correctness
        logger.warning("cannot write the patch cache %s: %s", path, e)
