"""Real-valued multivariate sequence datasets for RNN-RNADE, and the tools to train on them.

Loaders (every one returns a :class:`SequenceData`; a sequence is a ``T_i x D`` float64 array):

* :func:`load_japanese_vowels` -- UCI Japanese Vowels [1]_: 12 LPC cepstrum coefficients per frame of
  /ae/ uttered by 9 male speakers; "train" has 270 utterances (4274 frames), "test" 370 (5687 frames),
  7 to 29 frames each, labels are the speakers 1-9. Read from sktime's ``.ts`` files (:func:`read_ts`).
* :func:`load_mocap` -- the MIT motion-capture data [2]_ after Taylor et al.'s preprocessing [3]_ (49 of
  the joint-angle and body-motion columns kept, each z-scored), as distributed with TSBN: "train" is 35
  segments of 100 x 49 (the first 3500 frames), "test" 3 segments of 100 x 49 and one of 26 x 49 (the last
  326 frames). The segments cross the boundaries of the original recordings.

Files are found under the data root and checksum-verified by :mod:`rnnrnade_pt.data.download`.

Training helpers: :func:`split_off` (a seeded validation hold-out of whole sequences), :class:`Standardizer`
(per-dimension z-scoring, storable in checkpoints), :func:`windows` (cut sequences into consecutive chunks,
as the RNN-RBM tutorial's 100-step chunks), :func:`minibatches`, and :func:`pad_sequences` / :func:`unpad`
between a list of sequences and the padded ``X`` (T x B x D) + ``mask`` (T x B) format of
:mod:`rnnrnade_pt.data.arrays`.

References
----------
.. [1] M. Kudo, J. Toyama and M. Shimbo, "Multidimensional curve classification using passing-through
   regions", Pattern Recognition Letters 20(11-13), pp. 1103-1111, 1999.
.. [2] E. Hsu, K. Pulli and J. Popović, "Style translation for human motion", ACM Transactions on
   Graphics 24(3) (SIGGRAPH 2005), pp. 1082-1089.
.. [3] G. W. Taylor, G. E. Hinton and S. T. Roweis, "Modeling human motion using binary latent
   variables", Advances in Neural Information Processing Systems 19 (NIPS 2006), MIT Press, 2007.
"""

from __future__ import annotations

import logging
import numbers
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from ..errors import DataError
from .arrays import check_sequences, lengths_to_mask
from .download import fetch

__all__ = [
    "SequenceData",
    "read_ts",
    "load_japanese_vowels",
    "load_mocap",
    "split_off",
    "pad_sequences",
    "unpad",
    "Standardizer",
    "windows",
    "minibatches",
    "read_mat_splits",
    "eval_batches",
]

logger = logging.getLogger(__name__)

JV_FILES = {"train": "sequences/JapaneseVowels_TRAIN.ts", "test": "sequences/JapaneseVowels_TEST.ts"}
MOCAP_FILE = "sequences/mit_mocap/mit_mocap.mat"
MOCAP_KEYS = {"train": "train_data", "test": "test_data"}
MOCAP_D = 49
MIN_STD = 1e-8  # floor of a Standardizer's std (constant dimensions)


class SequenceData(NamedTuple):
    """A dataset of variable-length sequences.

    Attributes
    ----------
    splits : dict[str, list[ndarray]]
        Split name ("train", "test") -> sequences, each ``T_i x D`` float64 (C-contiguous).
    labels : dict[str, ndarray] or None
        Split name -> one label per sequence, or None for unlabelled data.
    description : str
        One line: what the data are and where they come from.
    """

    splits: dict[str, list[np.ndarray]]
    labels: dict[str, np.ndarray] | None
    description: str


# -------------------------------------------------------------------------------------------- checks


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise DataError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise DataError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_seqs(seqs, source: str = "sequences") -> list[np.ndarray]:
    """Validate a non-empty list of ``T_i x D`` sequences (one D, T_i >= 1, finite), as float64."""
    if isinstance(seqs, np.ndarray) or not isinstance(seqs, Sequence):
        raise DataError(f"{source} must be a list of T_i x D arrays, got {type(seqs).__name__}")
    if len(seqs) == 0:
        raise DataError(f"{source}: the list holds no sequence")
    out = []
    D = None
    for i, s in enumerate(seqs):
        a = np.asarray(s)
        if a.dtype == object or not np.issubdtype(a.dtype, np.number) or np.iscomplexobj(a):
            raise DataError(f"{source}: sequence {i} must hold real numbers, got dtype {a.dtype}")
        if a.ndim != 2:
            raise DataError(f"{source}: sequence {i} must be T x D, got shape {a.shape}")
        if a.shape[0] == 0:
            raise DataError(f"{source}: sequence {i} is empty (shape {a.shape})")
        if D is None:
            D = a.shape[1]
        elif a.shape[1] != D:
            raise DataError(f"{source}: sequence {i} has D={a.shape[1]}, sequence 0 has D={D}")
        a = a.astype(np.float64, copy=False)
        if not np.all(np.isfinite(a)):
            raise DataError(f"{source}: sequence {i} holds NaN or infinite values")
        out.append(a)
    if D == 0:
        raise DataError(f"{source}: the sequences have no dimensions (D=0)")
    return out


def _rng(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise DataError(f"rng must be a numpy.random.Generator or an integer seed, got {type(rng).__name__}")


# ------------------------------------------------------------------------------------------- loaders


def _parse_channel(text: str, where: str) -> list[float]:
    values = []
    for v in text.split(","):
        try:
            values.append(float(v))
        except ValueError:
            raise DataError(f"{where}: {v.strip()[:40]!r} is not a number") from None
    return values


def read_ts(path: str | os.PathLike) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Read a multivariate sktime/aeon ``.ts`` file of equal- or unequal-length series.

    Lines starting with ``#`` are comments; the header is ``@`` lines up to ``@data``; then each line is
    one case: channels separated by ``:``, values within a channel by ``,``, the class label last (when the
    header says ``@classLabel true``). Channels are dimensions, values are time steps. Missing values
    (``?``) and time stamps are not supported.

    Parameters
    ----------
    path : str or PathLike
        The ``.ts`` file.

    Returns
    -------
    seqs : list of ndarray
        One ``T_i x D`` float64 array per case, in file order.
    labels : ndarray or None
        One label per case (int64 if every label is an integer, else str), or None without labels.

    Raises
    ------
    DataError
        Unreadable file, malformed header, a non-numeric or non-finite value, channels of unequal length
        within a case, a case with another number of channels than ``@dimensions`` or than the first case,
        or no case at all. The message names the file and line.
    """
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.readlines()
    except FileNotFoundError:
        raise DataError(f".ts file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"cannot read .ts file {path}: {getattr(e, 'strerror', None) or e}") from None

    header: dict[str, str] = {}
    seqs: list[np.ndarray] = []
    labels: list[str] = []
    in_data = False
    has_label = False
    D = None
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        where = f"{path}:{lineno}"
        if not line or line.startswith("#"):
            continue
        if not in_data:
            if not line.startswith("@"):
                raise DataError(f"{where}: expected a '@' header line or '@data' before the data")
            key, _, value = line[1:].partition(" ")
            key, value = key.lower(), value.strip()
            if key == "data":
                in_data = True
                has_label = header.get("classlabel", "false").split(" ")[0].lower() == "true"
                if header.get("timestamps", "false").lower() == "true":
                    raise DataError(f"{where}: time-stamped .ts data are not supported")
                if "dimensions" in header:
                    try:
                        D = int(header["dimensions"])
                    except ValueError:
                        raise DataError(
                            f"{path}: @dimensions {header['dimensions']!r} is not an integer"
                        ) from None
            else:
                header[key] = value
            continue
        fields = line.split(":")
        if has_label:
            if len(fields) < 2:
                raise DataError(f"{where}: a case needs at least one channel and a class label")
            labels.append(fields[-1].strip())
            fields = fields[:-1]
        if D is None:
            D = len(fields)
        if len(fields) != D:
            raise DataError(f"{where}: the case has {len(fields)} channels, expected {D}")
        channels = [_parse_channel(f, f"{where}, channel {d}") for d, f in enumerate(fields)]
        T = len(channels[0])
        if any(len(c) != T for c in channels):
            lengths = sorted({len(c) for c in channels})
            raise DataError(f"{where}: the channels of one case have different lengths {lengths}")
        x = np.array(channels, dtype=np.float64).T.copy()  # D x T -> T x D
        if not np.all(np.isfinite(x)):
            raise DataError(f"{where}: the case holds NaN or infinite values")
        seqs.append(x)
    if not in_data:
        raise DataError(f"{path}: no '@data' line (is it a .ts file?)")
    if not seqs:
        raise DataError(f"{path}: no case after '@data'")
    if not has_label:
        return seqs, None
    try:
        return seqs, np.array([int(v) for v in labels], dtype=np.int64)
    except ValueError:
        return seqs, np.array(labels)


def load_japanese_vowels(root: str | os.PathLike | None = None, download: bool = False) -> SequenceData:
    """The UCI Japanese Vowels speaker data [1]_, from sktime's ``.ts`` files.

    Parameters
    ----------
    root : str or PathLike, optional
        The data root (default ``$RNNRNADE_DATA``), holding ``sequences/JapaneseVowels_{TRAIN,TEST}.ts``.
    download : bool
        Download absent files (see :func:`rnnrnade_pt.data.download.fetch`).

    Returns
    -------
    SequenceData
        ``splits["train"]``: 270 sequences, ``splits["test"]``: 370, each ``T_i x 12`` (7 <= T_i <= 29);
        ``labels``: the speaker (1-9) of each sequence, int64.
    """
    splits, labels = {}, {}
    for split, name in JV_FILES.items():
        path = fetch(name, root, download)
        seqs, lab = read_ts(path)
        if lab is None or seqs[0].shape[1] != 12:
            raise DataError(f"{path}: expected labelled cases of 12 channels (Japanese Vowels)")
        splits[split], labels[split] = seqs, lab
        logger.info(
            "Japanese Vowels %s: %d sequences, %d frames", split, len(seqs), sum(len(s) for s in seqs)
        )
    description = (
        "UCI Japanese Vowels (Kudo, Toyama, Shimbo 1999): 12 LPC cepstrum coefficients per frame of /ae/ "
        "by 9 male speakers; labels are speakers 1-9"
    )
    return SequenceData(splits, labels, description)


def _mat_cells(cell, key: str, path: str, D: int = MOCAP_D) -> list[np.ndarray]:
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


def read_mat_splits(path, keys: dict[str, str], D: int = MOCAP_D) -> dict[str, list[np.ndarray]]:
    """``{split: [T x D segments]}`` from the MATLAB cell arrays ``keys[split]`` of the file at ``path``
    (each checked by :func:`_mat_cells`); an unreadable file or a missing variable is a one-line DataError."""
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


def load_mocap(root: str | os.PathLike | None = None, download: bool = False) -> SequenceData:
    """The MIT motion-capture data [2]_ in Taylor et al.'s 49-dimensional z-scored form [3]_ (TSBN's file).

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
    splits = read_mat_splits(path, MOCAP_KEYS)
    for split in splits:
        logger.info(
            "MIT mocap %s: %d segments, %d frames", split, len(splits[split]), sum(map(len, splits[split]))
        )
    description = (
        "MIT motion capture (Hsu, Pulli, Popovic 2005), Taylor, Hinton, Roweis (2007) 49-dim z-scored "
        "preprocessing, TSBN segments: train 35 x 100 frames, test 100+100+100+26"
    )
    return SequenceData(splits, None, description)


# ---------------------------------------------------------------------------------- training helpers


def split_off(seqs, fraction: float, seed) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Hold out a seeded random ``fraction`` of whole sequences (e.g. for validation).

    ``round(fraction * N)`` sequences are held out, but always at least one, and at least one is kept.

    Parameters
    ----------
    seqs : list of ndarray
        The sequences (N >= 2).
    fraction : float
        In (0, 1).
    seed : int or numpy.random.Generator
        The same seed gives the same split.

    Returns
    -------
    kept, held_out : list of ndarray
        The same array objects as ``seqs``, each list in the original order.
    """
    if isinstance(seqs, np.ndarray) or not isinstance(seqs, Sequence):
        raise DataError(f"split_off needs a list of sequences, got {type(seqs).__name__}")
    n = len(seqs)
    if n < 2:
        raise DataError(f"split_off needs at least 2 sequences to keep one and hold one out, got {n}")
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) or not 0 < fraction < 1:
        raise DataError(f"fraction must be a number in (0, 1), got {fraction!r}")
    n_held = min(max(int(np.floor(fraction * n + 0.5)), 1), n - 1)
    held = np.zeros(n, dtype=bool)
    held[_rng(seed).permutation(n)[:n_held]] = True
    kept_list = [s for s, h in zip(seqs, held, strict=True) if not h]
    held_list = [s for s, h in zip(seqs, held, strict=True) if h]
    return kept_list, held_list


def pad_sequences(seqs, T: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Stack sequences into a zero-padded batch (trailing padding).

    Parameters
    ----------
    seqs : list of ndarray
        B sequences, each ``T_i x D``.
    T : int, optional
        The padded length; defaults to ``max T_i``.

    Returns
    -------
    X : ndarray
        ``T x B x D`` float64, zero after the end of each sequence.
    mask : ndarray
        ``T x B`` float64, 1 for a frame and 0 for padding.
    """
    seqs = _check_seqs(seqs, "pad_sequences")
    lengths = np.array([len(s) for s in seqs])
    T = int(lengths.max()) if T is None else _check_int("T", T, 1)
    if lengths.max() > T:
        i = int(np.argmax(lengths))
        raise DataError(f"pad_sequences: sequence {i} has {lengths[i]} frames, more than T={T}")
    X = np.zeros((T, len(seqs), seqs[0].shape[1]))  # T x B x D
    for b, s in enumerate(seqs):
        X[: len(s), b] = s
    return X, lengths_to_mask(lengths, T)  # T x B x D, T x B


def unpad(X, mask=None) -> list[np.ndarray]:
    """The sequences of a padded batch: the inverse of :func:`pad_sequences`.

    Parameters
    ----------
    X : ndarray
        ``T x B x D`` (validated by :func:`rnnrnade_pt.data.arrays.check_sequences`).
    mask : ndarray, optional
        ``T x B`` of 0/1; all ones if None.

    Returns
    -------
    list of ndarray
        B arrays, the frames of each column whose mask is 1 (``T_b x D``, copies).
    """
    X, mask = check_sequences(X, mask, source="unpad")  # T x B x D, T x B
    return [np.ascontiguousarray(X[mask[:, b] > 0, b]) for b in range(X.shape[1])]


class Standardizer:
    """Per-dimension standardization ``(x - mean) / std`` with statistics over all frames.

    Parameters
    ----------
    mean, std : array_like
        Length-D vectors; ``std`` must be positive. Usually built by :meth:`fit` or :meth:`from_arrays`.
    """

    def __init__(self, mean, std):
        mean = np.array(mean, dtype=np.float64)
        std = np.array(std, dtype=np.float64)
        if mean.ndim != 1 or std.shape != mean.shape or mean.size == 0:
            raise DataError(
                f"Standardizer: mean and std must be vectors of one length, got {mean.shape}, {std.shape}"
            )
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std))):
            raise DataError("Standardizer: mean and std must be finite")
        if np.any(std <= 0):
            raise DataError(f"Standardizer: std must be positive (dimension {int(np.argmax(std <= 0))})")
        self.mean = mean  # D
        self.std = std  # D

    @property
    def D(self) -> int:
        """The number of dimensions."""
        return self.mean.size

    def __repr__(self) -> str:
        return f"Standardizer(D={self.D})"

    @property
    def log_jacobian(self) -> float:
        """``log |dz/dx| = -sum_d log std_d`` per frame: added to a model's log-likelihood of standardised
        frames, it gives the log-likelihood of the original frames."""
        return -float(np.sum(np.log(self.std)))

    @classmethod
    def fit(cls, seqs, min_std: float = MIN_STD) -> Standardizer:
        """The mean and (population) std of every dimension over all frames of ``seqs``.

        Parameters
        ----------
        seqs : list of ndarray, or ndarray
            Sequences ``T_i x D``, or one ``N x D`` array of frames (never a padded batch: padding would
            bias the statistics).
        min_std : float
            Floor of the std; a dimension below it (constant) is logged as a warning.
        """
        if isinstance(seqs, np.ndarray):
            if seqs.ndim != 2:
                raise DataError(
                    f"Standardizer.fit takes a list of T_i x D sequences or N x D frames, got {seqs.shape}"
                )
            seqs = [seqs]
        frames = np.concatenate(_check_seqs(seqs, "Standardizer.fit"), axis=0)  # N x D
        mean = frames.mean(axis=0)
        std = frames.std(axis=0)
        low = std < min_std
        if low.any():
            logger.warning(
                "Standardizer.fit: %d constant dimension(s) %s (std < %g); their std is set to %g",
                int(low.sum()),
                np.flatnonzero(low).tolist(),
                min_std,
                min_std,
            )
            std = np.maximum(std, min_std)
        return cls(mean, std)

    def _apply(self, x, fn, what: str):
        if isinstance(x, (list, tuple)):
            return [self._apply(s, fn, what) for s in x]
        a = np.asarray(x, dtype=np.float64)
        if a.ndim == 0 or a.shape[-1] != self.D:
            raise DataError(f"Standardizer.{what}: the last axis must have D={self.D}, got shape {a.shape}")
        return fn(a)

    def transform(self, x):
        """``(x - mean) / std`` of a list of ``T_i x D`` arrays (returns a list) or of any ``... x D`` array.

        Padding in a padded batch is transformed too (it stays padding under its mask).
        """
        return self._apply(x, lambda a: (a - self.mean) / self.std, "transform")

    def inverse(self, x):
        """``x * std + mean``: the inverse of :meth:`transform`, on the same inputs."""
        return self._apply(x, lambda a: a * self.std + self.mean, "inverse")

    def to_arrays(self) -> dict[str, np.ndarray]:
        """``{"standardize_mean": mean, "standardize_std": std}`` (copies), for a checkpoint."""
        return {"standardize_mean": self.mean.copy(), "standardize_std": self.std.copy()}

    @classmethod
    def from_arrays(cls, d: Mapping[str, np.ndarray]) -> Standardizer:
        """Rebuild from :meth:`to_arrays` output (other keys are ignored, so a whole checkpoint will do)."""
        missing = [k for k in ("standardize_mean", "standardize_std") if k not in d]
        if missing:
            raise DataError(f"Standardizer.from_arrays: missing {', '.join(missing)}")
        return cls(d["standardize_mean"], d["standardize_std"])


def windows(seqs, length: int | None, rng) -> list[np.ndarray]:
    """Cut every sequence into consecutive non-overlapping windows of ``length`` frames, then shuffle.

    A sequence of ``T`` frames gives ``ceil(T / length)`` windows; the last holds the remaining
    ``T mod length`` frames when that is not 0. Every frame is in exactly one window.

    Parameters
    ----------
    seqs : list of ndarray
        Sequences ``T_i x D``.
    length : int or None
        Window length; None or 0 keeps whole sequences (still shuffled).
    rng : numpy.random.Generator or int
        The shuffling randomness.

    Returns
    -------
    list of ndarray
        The windows (copies), in random order.
    """
    seqs = _check_seqs(seqs, "windows")
    if length is None or (
        not isinstance(length, bool) and isinstance(length, numbers.Integral) and length == 0
    ):
        pieces = [s.copy() for s in seqs]
    else:
        length = _check_int("length", length, 1)
        pieces = [s[t : t + length].copy() for s in seqs for t in range(0, len(s), length)]
    order = _rng(rng).permutation(len(pieces))
    return [pieces[i] for i in order]


def minibatches(seqs, batch_size: int, rng) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Shuffle the sequences and pad each consecutive group of ``batch_size`` (the last may be smaller).

    Parameters
    ----------
    seqs : list of ndarray
        Sequences ``T_i x D``.
    batch_size : int
        Sequences per batch (>= 1).
    rng : numpy.random.Generator or int
        The shuffling randomness (drawn when this function is called).

    Yields
    ------
    X : ndarray
        ``T x B x D``, T the longest sequence of the batch.
    mask : ndarray
        ``T x B``.
    """
    seqs = _check_seqs(seqs, "minibatches")
    batch_size = _check_int("batch_size", batch_size, 1)
    order = _rng(rng).permutation(len(seqs))

    def batches():
        for start in range(0, len(order), batch_size):
            yield pad_sequences([seqs[i] for i in order[start : start + batch_size]])  # T x B x D, T x B

    return batches()


def eval_batches(
    seqs, batch_size: int = 64, max_frames: int = 8192
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Padded batches of consecutive sequences for evaluation, in order: at most ``batch_size`` sequences
    and at most ``max_frames`` padded frames (B x the longest T) a batch, so that a graph's T B x D x H
    intermediates fit in memory whatever the lengths (a single longer sequence is a batch of its own).

    Yields
    ------
    (X, mask)
        T x B x D and T x B, as :func:`pad_sequences`.
    """
    batch: list = []
    longest = 0
    for s in seqs:
        T = len(s)
        if batch and (len(batch) == batch_size or (len(batch) + 1) * max(longest, T) > max_frames):
            yield pad_sequences(batch)
            batch, longest = [], 0
        batch.append(s)
        longest = max(longest, T)
    if batch:
        yield pad_sequences(batch)
