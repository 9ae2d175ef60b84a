"""The UCI Japanese Vowels speaker data [1]_, and the reader of the sktime/aeon ``.ts`` files it comes in.

:func:`load_japanese_vowels`: 12 LPC cepstrum coefficients per frame of /ae/ uttered by 9 male speakers;
"train" has 270 utterances (4274 frames), "test" 370 (5687 frames), 7 to 29 frames each, labels are the
speakers 1-9. Read from sktime's ``.ts`` files (:func:`read_ts`), found under the data root and
checksum-verified by :mod:`rnnrnade_pt.data.download`.

References
----------
.. [1] M. Kudo, J. Toyama and M. Shimbo, "Multidimensional curve classification using passing-through
   regions", Pattern Recognition Letters 20(11-13), pp. 1103-1111, 1999.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from ..errors import DataError
from .download import fetch
from .sequences import SequenceData

__all__ = ["JV_FILES", "read_ts", "load_japanese_vowels"]

logger = logging.getLogger(__name__)

JV_FILES = {"train": "sequences/JapaneseVowels_TRAIN.ts", "test": "sequences/JapaneseVowels_TEST.ts"}


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
