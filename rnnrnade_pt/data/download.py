"""Where the real datasets live, and a checksum-verified download of each file this package reads.

Datasets are never shipped with the package. They live under a *data root*: the directory passed
explicitly (the CLI flag ``--data-dir``) or else the environment variable ``RNNRNADE_DATA``. Each file
is named by its path relative to that root (``sequences/JapaneseVowels_TRAIN.ts``) and listed in
:data:`FILES` with its SHA-256 and the upstream URL it was copied from, byte for byte.

:func:`fetch` returns the local path of a file after checking its SHA-256 (once per process and file).
A missing file is an error unless ``download=True`` (CLI: ``--download``): then Pooch [4]_ fetches it into a
temporary file beside its destination, checks the SHA-256, and moves it into place, so that an interrupted
or corrupt download never leaves a file under the final name. The checksum is enforced for every file the
package downloads; the files it cannot download (``downloadable=False``: the music pickles, whose original
address is offline, so that the checksums are those of this project's reconstructions) are the user's own,
validated by their readers' structure checks, and a differing checksum is only logged.

References
----------
.. [1] M. Kudo, J. Toyama and M. Shimbo, "Multidimensional curve classification using passing-through
   regions", Pattern Recognition Letters 20(11-13), pp. 1103-1111, 1999 (Japanese Vowels).
.. [2] E. Hsu, K. Pulli and J. Popović, "Style translation for human motion", ACM Transactions on
   Graphics 24(3) (SIGGRAPH 2005), pp. 1082-1089 (the MIT motion-capture data).
.. [3] G. W. Taylor, G. E. Hinton and S. T. Roweis, "Modeling human motion using binary latent
   variables", Advances in Neural Information Processing Systems 19 (NIPS 2006), MIT Press, 2007
   (the 49-dimensional preprocessing of the MIT data).
.. [4] L. Uieda et al., "Pooch: A friend to fetch your data files", Journal of Open Source Software 5(45),
   1943, 2020.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import pathlib
from dataclasses import dataclass

from ..errors import DataError

__all__ = ["DATA_ENV", "RemoteFile", "FILES", "data_root", "fetch", "sha256_file", "recording_files"]

logger = logging.getLogger(__name__)

DATA_ENV = "RNNRNADE_DATA"

_SKTIME = "https://raw.githubusercontent.com/sktime/sktime/v1.2.0/sktime/datasets/data/JapaneseVowels"
# commits named in shared/data/README.md
_TSBN = (
    "https://raw.githubusercontent.com/zhegan27/TSBN_code_NIPS2015/5e3cb6d0ad5fe45e0d1078bc687d4be83fc21a12"
)
_CRBM = "https://raw.githubusercontent.com/taneishi/CRBM/bb5c2d51dc5334bdbcf305f62f76edd04d378a8a"
_BL = "http://www-etud.iro.umontreal.ca/~boulanni"  # the RNN-RBM paper's page, icml2012 (no longer online)
_UCI = "https://archive.ics.uci.edu/ml/machine-learning-databases"  # the copies here differ: see FILES


@dataclass(frozen=True)
class RemoteFile:
    """One dataset file: where it goes under the data root, its SHA-256, and where it comes from.

    Attributes
    ----------
    path : str
        Path relative to the data root, with ``/`` separators.
    sha256 : str
        Lower-case hex SHA-256 of the file's bytes.
    url : str
        The original download address (byte-identical copy).
    source : str
        One line of provenance.
    downloadable : bool
        The package downloads this file (and enforces its checksum); False: the user brings it, and a
        different checksum is logged, not an error.
    """

    path: str
    sha256: str
    url: str
    source: str
    downloadable: bool = True


def _registry(*files: RemoteFile) -> dict[str, RemoteFile]:
    return {f.path: f for f in files}


FILES: dict[str, RemoteFile] = _registry(
    RemoteFile(
        "sequences/JapaneseVowels_TRAIN.ts",
        "68a430eabd919cc77f40b1f5f3bc0dcafacc1486bca9260785aeb7d262cc78cd",
        f"{_SKTIME}/JapaneseVowels_TRAIN.ts",
        "UCI Japanese Vowels (Kudo et al. 1999, CC BY 4.0), train split, as shipped by sktime 1.2.0 (BSD-3)",
    ),
    RemoteFile(
        "sequences/JapaneseVowels_TEST.ts",
        "b3d41d6a0ca3bcad3afb9ca7d4365382aa51341e2e58bae2a574babdda5b9462",
        f"{_SKTIME}/JapaneseVowels_TEST.ts",
        "UCI Japanese Vowels (Kudo et al. 1999, CC BY 4.0), test split, as shipped by sktime 1.2.0 (BSD-3)",
    ),
    RemoteFile(
        "sequences/mit_mocap/mit_mocap.mat",
        "d91828a48afe679eee20215b7657a0f54258654d3a2c9d6e943fec41dc7a0ddf",
        f"{_TSBN}/mocap/mit_data/mit_mocap.mat",
        "MIT motion capture (Hsu et al. 2005) after Taylor et al.'s 49-dim z-scored preprocessing, from TSBN",
    ),
    RemoteFile(
        "sequences/mit_mocap/motion.mat",
        "378bf28e6f3ac4f9b7271bd793b4fd03f0cc406f92e6525c0026a931df38a6e9",
        f"{_CRBM}/data/motion.mat",
        "MIT motion capture (Hsu et al. 2005), raw 108-dim frames as redistributed by G. Taylor for the CRBM",
    ),
    RemoteFile(
        "uci/winequality-red.csv",
        "c9614512e980f1cbd221c796daa97f00c4898c3cd1716863abac60f6cd1a522e",
        f"{_UCI}/wine-quality/winequality-red.csv",
        "UCI wine quality, red (Cortez et al. 2009, CC BY 4.0); sha256 of jbrownlee/Datasets' copy, "
        "reformatted (comma-separated, no header; values unchanged), not of the UCI file",
    ),
    RemoteFile(
        "uci/winequality-white.csv",
        "659d419fff887f225bf977d20520bb64a64cae203e460087f809721d4430ba27",
        f"{_UCI}/wine-quality/winequality-white.csv",
        "UCI wine quality, white (Cortez et al. 2009, CC BY 4.0); sha256 of jbrownlee/Datasets' copy, "
        "reformatted (comma-separated, no header; values unchanged), not of the UCI file",
    ),
    RemoteFile(
        "uci/parkinsons.data",
        "a148d3c47503f4f5b3842d3f995548da333eb2b4401f6bb8a65832d008aca5d5",
        f"{_UCI}/parkinsons/parkinsons.data",
        "UCI parkinsons (Little et al. 2009, CC BY 4.0); sha256 of the copy in ArtyomIT/Parkinsons-detection",
    ),
    RemoteFile(
        "uci/ionosphere.csv",
        "fd6dd7864b55d56dac0a1e6e24af9ccc35bf2555ac79af8ab9f3d1daa065ab83",
        f"{_UCI}/ionosphere/ionosphere.data",
        "UCI ionosphere (Sigillito et al. 1989, CC BY 4.0); sha256 of jbrownlee/Datasets' ionosphere.csv "
        "(the values of UCI's ionosphere.data)",
    ),
    RemoteFile(
        "uci/housing.data",
        "e3e36f7b9e5435f9eb8320e106aebad00031fefa3064527da0c71dec59e49b76",
        f"{_UCI}/housing/housing.data",
        "Boston housing (Harrison & Rubinfeld 1978, StatLib) in the UCI layout; sha256 of "
        "jbrownlee/Datasets' copy",
    ),
    RemoteFile(
        "uci/parkinsons_updrs.data",
        "f2c7d5025dec4e92e7feae367a5f7ccf58789a10ac6b54bdf15976c599f9dd39",
        "https://raw.githubusercontent.com/behnazrzf/Parkinson-s_Telemonitoring/"
        "f603774b38bfc967f20b4752bec4b6f872917d98/data/parkinsons_updrs.data",
        "UCI Parkinsons Telemonitoring (Tsanas et al. 2010, CC BY 4.0), the RNADE paper's Parkinsons set; "
        "copy in behnazrzf/Parkinson-s_Telemonitoring",
    ),
    RemoteFile(
        "uci/nade/red_wine.hdf5",
        "2c68a6970e234f1c76c21b140042fcdba21b4b34a841babaeb42cde2beed9d42",
        "https://raw.githubusercontent.com/MarcCote/NADE/"
        "a00c11bd23343012453711eb9d4b53614124122f/deepnade/red_wine.hdf5",
        "UCI wine quality, red (Cortez et al. 2009, CC BY 4.0) with B. Uria's 10 fixed folds, from the "
        "RNADE code release (MarcCote/NADE deepnade/red_wine.hdf5)",
    ),
    RemoteFile(
        "polyphonic/JSB_Chorales.mat",
        "ac0e608527cc411c7e21ef7d38be47f0de7fb6b13b3ae168b8eccf1c2a9b18d4",
        f"{_TSBN}/polyphonic_music/data/JSB_Chorales.mat",
        "Boulanger-Lewandowski et al. (2012) piano rolls: the original pickle as .mat, by Z. Gan (TSBN)",
    ),
    RemoteFile(
        "polyphonic/MuseData.mat",
        "e8d9eb422ec3833c25f43a9f854d4ee0b9118a20b45f2c183395cdc30ffa14ff",
        f"{_TSBN}/polyphonic_music/data/MuseData.mat",
        "Boulanger-Lewandowski et al. (2012) piano rolls: the original pickle as .mat, by Z. Gan (TSBN)",
    ),
    RemoteFile(
        "polyphonic/Nottingham.mat",
        "d154f7ca2e90799dc1dc011d8fc048f2fc6ef3f7c69d974b9cf27a471634fbea",
        f"{_TSBN}/polyphonic_music/data/Nottingham.mat",
        "Boulanger-Lewandowski et al. (2012) piano rolls: the original pickle as .mat, by Z. Gan (TSBN)",
    ),
    RemoteFile(
        "polyphonic/Piano_midi.mat",
        "990a8a71d5764a7eaa3e78d9e5023d1470380fe2db3a1448265a97a24c8b1c34",
        f"{_TSBN}/polyphonic_music/data/Piano_midi.mat",
        "Boulanger-Lewandowski et al. (2012) piano rolls: the original pickle as .mat, by Z. Gan (TSBN)",
    ),
    RemoteFile(
        "polyphonic/reconstructed/JSB Chorales.pickle",
        "6044d47e3eff9f82c59eda06f87e604b9cf7eca6a9900d33d4af20e7074de067",
        f"{_BL}/JSB%20Chorales.pickle",
        "RECONSTRUCTED from the TSBN .mat in the original pickle layout, not the original bytes (the URL's "
        "file, now offline, has another checksum): download the .mat instead",
        downloadable=False,
    ),
    RemoteFile(
        "polyphonic/reconstructed/MuseData.pickle",
        "cf0d99bcc381f12ca5fb09e25bc11db9d6361dad6808cbe1ebfdf8298cf016e1",
        f"{_BL}/MuseData.pickle",
        "RECONSTRUCTED from the TSBN .mat in the original pickle layout, not the original bytes (the URL's "
        "file, now offline, has another checksum): download the .mat instead",
        downloadable=False,
    ),
    RemoteFile(
        "polyphonic/reconstructed/Nottingham.pickle",
        "a67890a3e1e5176ba7026585bc5cf681110d32740b7405157d65ba929a54f867",
        f"{_BL}/Nottingham.pickle",
        "RECONSTRUCTED from the TSBN .mat in the original pickle layout, not the original bytes (the URL's "
        "file, now offline, has another checksum): download the .mat instead",
        downloadable=False,
    ),
    RemoteFile(
        "polyphonic/reconstructed/Piano-midi.de.pickle",
        "cd7f8fda6191132fe89c5d87b4e30be0615767b5b3939b6b5592cc88dc483cc8",
        f"{_BL}/Piano-midi.de.pickle",
        "RECONSTRUCTED from the TSBN .mat in the original pickle layout, not the original bytes (the URL's "
        "file, now offline, has another checksum): download the .mat instead",
        downloadable=False,
    ),
)

# (resolved path, size, mtime_ns, sha256) of every file verified in this process
_VERIFIED: set[tuple[str, int, int, str]] = set()


def data_root(root: str | os.PathLike | None = None) -> pathlib.Path:
    """The data root: ``root`` if given, else ``$RNNRNADE_DATA``.

    Parameters
    ----------
    root : str or PathLike, optional
        An explicit directory; takes precedence over the environment.

    Returns
    -------
    pathlib.Path
        The directory (``~`` expanded). It need not exist yet: :func:`fetch` creates it to download.

    Raises
    ------
    DataError
        If neither ``root`` nor a non-empty ``$RNNRNADE_DATA`` is given.
    """
    if root is None or os.fspath(root) == "":
        root = os.environ.get(DATA_ENV) or None
    if root is None:
        raise DataError(
            f"no data directory: pass --data.root DIR (experiment scripts: --data-root DIR) or set {DATA_ENV}"
        )
    return pathlib.Path(os.fspath(root)).expanduser()


def sha256_file(path: str | os.PathLike) -> str:
    """The lower-case hex SHA-256 of a file's bytes (Pooch's ``file_hash``)."""
    import pooch

    return pooch.file_hash(os.fspath(path), alg="sha256")


def _verify(path: pathlib.Path, entry: RemoteFile) -> None:
    """Check ``path`` against ``entry.sha256`` unless this unchanged file was already checked; a
    difference is an error for a file the package downloads, a log line for the user's own."""
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns, entry.sha256)
        if key in _VERIFIED:
            return
        actual = sha256_file(path)
    except OSError as e:
        raise DataError(f"cannot read data file {path}: {e.strerror or e}") from None
    if actual != entry.sha256 and entry.downloadable:
        raise DataError(
            f"data file {path} has sha256 {actual}, expected {entry.sha256}: it is corrupt or another "
            f"version; delete it and fetch it again from {entry.url}"
        )
    if actual != entry.sha256:
        logger.info(
            "data file %s has sha256 %s, not that of this project's copy (%s): reading it as the user's "
            "own file, checked by its structure",
            path,
            actual,
            entry.sha256,
        )
    _VERIFIED.add(key)
    logger.debug("verified %s (sha256 %s)", path, actual)


def _download(entry: RemoteFile, path: pathlib.Path) -> None:
    """Download ``entry.url`` to ``path`` with Pooch: a temporary file beside it, checked, then moved."""
    import pooch
    import requests

    if not entry.downloadable:
        raise DataError(f"{path} is missing and cannot be downloaded: {entry.source}")
    logger.info("downloading %s to %s", entry.url, path)
    try:
        pooch.retrieve(
            entry.url,
            known_hash=f"sha256:{entry.sha256}",
            fname=path.name,
            path=path.parent,
            progressbar=False,
        )
    except ValueError as e:  # Pooch: the checksum differs (the download is deleted)
        msg = str(e).replace("\n", " ").strip()
        raise DataError(f"download of {entry.url} failed its check, {path} was not written: {msg}") from None
    except (OSError, requests.RequestException) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise DataError(f"downloading {entry.url} failed: {reason}") from None
    _VERIFIED.add((str(path.resolve()), path.stat().st_size, path.stat().st_mtime_ns, entry.sha256))
    logger.info("downloaded %s (sha256 verified)", path)


_RECORDING: contextvars.ContextVar[dict | None] = contextvars.ContextVar("recording_files", default=None)


@contextlib.contextmanager
def recording_files():
    """Within the ``with`` block, every file :func:`fetch` returns is noted in the yielded dict, as its name
    (relative to the data root) -> the SHA-256 of its bytes: what a released model's manifest records of
    the data it was scored on.

    >>> with recording_files() as files:
    ...     pass
    >>> files
    {}
    """
    files: dict[str, str] = {}
    token = _RECORDING.set(files)
    try:
        yield files
    finally:
        _RECORDING.reset(token)


def _note(name: str, path: pathlib.Path) -> pathlib.Path:
    files = _RECORDING.get()
    if files is not None and name not in files:
        files[name] = sha256_file(path)
    return path


def fetch(name: str, root: str | os.PathLike | None = None, download: bool = False) -> pathlib.Path:
    """The verified local path of the dataset file ``name`` (a key of :data:`FILES`).

    Parameters
    ----------
    name : str
        The file's path relative to the data root, e.g. ``"sequences/JapaneseVowels_TRAIN.ts"``.
    root : str or PathLike, optional
        The data root (see :func:`data_root`).
    download : bool
        Download the file from its URL if it is absent (CLI: ``--download``). Never overwrites a file.

    Returns
    -------
    pathlib.Path
        ``root / name``, whose SHA-256 matches the registry (or, for a file the package does not download,
        whose difference was logged).

    Raises
    ------
    DataError
        Unknown ``name``; no data root; the file is absent and ``download`` is False or the file cannot be
        downloaded; the download fails; a file the package downloads has the wrong SHA-256.
    """
    entry = FILES.get(name)
    if entry is None:
        raise DataError(f"unknown dataset file {name!r}; known: {', '.join(sorted(FILES))}")
    path = data_root(root) / entry.path
    if path.is_file():
        _verify(path, entry)
        return _note(name, path)
    if path.exists():
        raise DataError(f"data file {path} exists but is not a regular file")
    if not download:
        raise DataError(
            f"data file {path} is missing: download it from {entry.url} (download=True, CLI flag "
            f"--download), or point --data-dir / {DATA_ENV} at a directory that holds {entry.path}"
        )
    _download(entry, path)
    return _note(name, path)
