"""The five UCI datasets of the RNADE paper's Table 1, with its preprocessing and its 10 folds.

Which files (the evidence is in ``shared/data/README.md`` and ``experiments/NOTES.md``, section "The UCI
data"): red wine is B. Uria's own ``red_wine.hdf5`` from the RNADE code release, with its 10 fixed folds;
white wine, ionosphere and Boston housing are the UCI files; **Parkinsons is the 5875-row Parkinsons
Telemonitoring set** (Tsanas et al.), not the 195-row disease-detection set, which no preprocessing brings
to the paper's Gaussian row (it stays loadable as ``parkinsons_disease``, outside the table).

Preprocessing (RNADE section 4.1 [1]_, after Tang et al. [2]_), decided on the whole set, so that every fold
has the same attributes:

1. Labels and identifiers go: wine ``quality``, ionosphere ``class`` (g/b), Telemonitoring ``subject#``
   (and the disease set's ``name``, ``status``). Boston's ``MEDV`` is an attribute like the others.
2. Discrete-valued attributes go. An attribute is *discrete* when it takes fewer than
   :data:`DISCRETE_MAX_DISTINCT` (30) distinct values over the whole set, or when every value is a whole
   number (counts, codes, indices). Every attribute kept has at least 46 distinct non-integer values.
3. Of attributes correlated beyond ``|r| > 0.98`` (Pearson, whole set): while some attribute has such a
   partner among those left, the first one in the file's column order goes. (The rule of later code that
   loads these sets, e.g. the ``clean_data`` of Wenliang et al. [4]_; on Parkinsons it keeps one of each
   correlated group, 15 attributes.)

What that removes, and the resulting dimension ``D``; the last column is the test log-likelihood of a
full-covariance Gaussian fitted on each fold's whole training part (training and validation), mean over the
10 folds, of the standardised data, against the paper's (:func:`~rnnrnade_pt.baselines.baselines` with
``gaussian_splits=("train", "valid")``):

==========  ==  ======================================================================  ================
set         D   attributes removed (besides labels and identifiers)                      Gaussian (paper)
==========  ==  ======================================================================  ================
redwine     11  none (1599 rows; Uria's folds)                                          -13.18 (-13.18)
whitewine   11  none (4898 rows)                                                        -13.20 (-13.20)
parkinsons  15  discrete: ``age`` (23 values), ``sex`` (2); correlated: ``Jitter(%)``,  -10.84 (-10.85)
                ``Jitter:RAP``, ``Shimmer``, ``Shimmer:APQ3`` (5875 rows)
ionosphere  32  discrete: ``a1`` (2 values), ``a2`` (constant 0) (351 rows)             -41.12 (-41.24)
boston      10  discrete: ``ZN`` (26 values), ``CHAS`` (2), ``RAD`` (9), ``TAX``        -11.41 (-11.37)
                (integer-valued, 66 values) (506 rows)
==========  ==  ======================================================================  ================

Folds. Red wine: the file's folds; fold ``k`` (0-based) is the file's ``folds/k+1``: training on its
``training/1`` to ``training/8``, validation on ``training/9``, test on ``tests/1``, as Uria's scripts did.
The other sets: a permutation of the rows seeded with ``seed`` is cut into 10 near-equal folds
(:func:`numpy.array_split`); for test fold ``k`` the next fold, ``(k + 1) mod 10``, is the validation set (1/9
of the remainder, as the original code validated on training part 9 of 9) and the other 8 folds are the
training set. The splits are in the data's own units; the runs standardise each dimension with the training
set's mean and std (``DataConfig.standardize``), and the RNADE tables report log-likelihoods of the
standardised data, as the paper does.

The files are the copies in the data root's ``uci/`` (checksums and download addresses in
:data:`~rnnrnade_pt.data.download.FILES`; the wine CSVs are reformatted copies: comma-separated without the
header, values unchanged). Reading ``red_wine.hdf5`` needs h5py (``pip install ".[uci]"``).

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
.. [2] Y. Tang, R. Salakhutdinov, G. Hinton. "Deep mixtures of factor analysers." ICML 2012.
.. [3] P. Cortez et al. "Modeling wine preferences by data mining from physicochemical properties."
   Decision Support Systems 47(4), 2009 (wine quality); A. Tsanas, M. Little, P. McSharry, L. Ramig.
   "Accurate telemonitoring of Parkinson's disease progression by non-invasive speech tests." IEEE Trans.
   Biomedical Engineering 57(4), 2010 (Parkinsons Telemonitoring); M. Little et al., IEEE Trans. Biomedical
   Engineering 56(4), 2009 (the disease-detection set); V. Sigillito et al., Johns Hopkins APL Technical
   Digest 10, 1989 (ionosphere); D. Harrison, D. Rubinfeld, J. Environmental Economics and Management 5,
   1978 (Boston).
.. [4] L. Wenliang, D. Sutherland, H. Strathmann, A. Gretton. "Learning deep kernels for exponential family
   densities." ICML 2019 (code: kevin-w-li/deep-kexpfam, ``Datasets.py``).
"""

from __future__ import annotations

import logging
import os
from typing import NamedTuple

import numpy as np

from ..errors import ConfigError, DataError
from .download import fetch

__all__ = [
    "UCI_SETS",
    "TABLE_SETS",
    "DISCRETE_MAX_DISTINCT",
    "CORRELATION_MAX",
    "N_FOLDS",
    "UciData",
    "read_table",
    "read_hdf5_folds",
    "preprocess",
    "load_uci",
    "fold_indices",
    "uci_splits",
]

logger = logging.getLogger(__name__)

DISCRETE_MAX_DISTINCT = 30  # an attribute with fewer distinct values than this is discrete
CORRELATION_MAX = 0.98  # of attributes more correlated than this (in absolute value), one goes
N_FOLDS = 10
URIA_TRAIN_PARTS = tuple(range(1, 9))  # red_wine.hdf5: training/1..8 train, training/9 validates
URIA_VALID_PART = 9

_WINE = [
    "fixed acidity",
    "volatile acidity",
    "citric acid",
    "residual sugar",
    "chlorides",
    "free sulfur dioxide",
    "total sulfur dioxide",
    "density",
    "pH",
    "sulphates",
    "alcohol",
    "quality",
]
_BOSTON = "CRIM ZN INDUS CHAS NOX RM AGE DIS RAD TAX PTRATIO B LSTAT MEDV".split()


class _Spec(NamedTuple):
    file: str  # under the data root
    delimiter: str | None  # None: whitespace; "hdf5": Uria's HDF5 layout (all/data, folds/k/...)
    header: bool  # first line names the columns
    columns: list[str] | None  # names (when there is no header)
    labels: tuple[str, ...]  # columns that are labels or identifiers, not attributes


UCI_SETS: dict[str, _Spec] = {
    "redwine": _Spec("uci/nade/red_wine.hdf5", "hdf5", False, _WINE[:-1], ()),
    "whitewine": _Spec("uci/winequality-white.csv", ",", False, _WINE, ("quality",)),
    "parkinsons": _Spec("uci/parkinsons_updrs.data", ",", True, None, ("subject#",)),
    "ionosphere": _Spec(
        "uci/ionosphere.csv", ",", False, [f"a{i}" for i in range(1, 35)] + ["class"], ("class",)
    ),
    "boston": _Spec("uci/housing.data", None, False, _BOSTON, ()),
    # not in the paper's table: the CSV red wine (the same rows as the HDF5 file, seeded folds), and the
    # 195-row disease-detection Parkinsons set used here before (its Gaussian cannot reach the paper's)
    "redwine_csv": _Spec("uci/winequality-red.csv", ",", False, _WINE, ("quality",)),
    "parkinsons_disease": _Spec("uci/parkinsons.data", ",", True, None, ("name", "status")),
}
TABLE_SETS = ("redwine", "whitewine", "parkinsons", "ionosphere", "boston")  # the paper's Table 1


class UciData(NamedTuple):
    """A preprocessed UCI set.

    Attributes
    ----------
    X : ndarray
        N x D float64, in the data's own units.
    attributes : list of str
        The D attributes kept, in column order.
    removed : dict
        Attribute -> why it went (``"label"``, ``"discrete (19 values)"``, ``"|r| = 0.992 with ..."``).
    """

    X: np.ndarray
    attributes: list[str]
    removed: dict[str, str]


def read_table(path: str | os.PathLike, spec: _Spec) -> tuple[np.ndarray, list[str], dict[str, str]]:
    """The attribute columns of a UCI text file as floats (``N x A``), their names, and the label columns
    dropped.

    Raises
    ------
    DataError
        An empty file, a row with another number of fields, or a non-numeric attribute value (one line,
        naming the file, the line and the column).
    """
    try:
        with open(path, encoding="utf-8") as fh:
            lines = [(i + 1, ln.strip()) for i, ln in enumerate(fh) if ln.strip()]
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"cannot read UCI file {path}: {e}") from None
    names = spec.columns
    if spec.header:
        if not lines:
            raise DataError(f"UCI file {path} is empty")
        names = [n.strip().strip('"') for n in lines[0][1].split(spec.delimiter)]
        lines = lines[1:]
    if not lines:
        raise DataError(f"UCI file {path} holds no data row")
    missing = [n for n in spec.labels if n not in names]
    if missing:
        raise DataError(f"UCI file {path} lacks the column(s) {missing}")
    keep = [j for j, n in enumerate(names) if n not in spec.labels]
    rows = []
    for lineno, line in lines:
        fields = line.split(spec.delimiter)
        if len(fields) != len(names):
            raise DataError(f"UCI file {path} line {lineno} has {len(fields)} fields, expected {len(names)}")
        try:
            rows.append([float(fields[j]) for j in keep])
        except ValueError:
            bad = next(j for j in keep if not _is_float(fields[j]))
            raise DataError(
                f"UCI file {path} line {lineno}, column {names[bad]!r}: {fields[bad]!r} is not a number"
            ) from None
    X = np.asarray(rows, dtype=np.float64)  # N x A
    if not np.all(np.isfinite(X)):
        raise DataError(f"UCI file {path} holds NaN or infinite values")
    return X, [names[j] for j in keep], {n: "label" for n in spec.labels}


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_hdf5_folds(path: str | os.PathLike, fold: int | None = None) -> dict[str, np.ndarray]:
    """Arrays of Uria's HDF5 layout (``red_wine.hdf5``): ``{"all": N x A}``, and with ``fold`` (0-based) also
    that fold's ``train`` (``folds/fold+1/training/1..8``), ``valid`` (``training/9``) and ``test``
    (``tests/1``), float64 in the data's units.

    Raises
    ------
    ConfigError
        h5py is not installed.
    DataError
        The file is unreadable or lacks a group, or an array is not a finite 2-D array of ``A`` columns.
    """
    try:
        import h5py
    except ImportError:
        raise ConfigError(f'reading {path} needs h5py: pip install ".[uci]"') from None
    keys = {"all": ["all/data"]}
    if fold is not None:
        base = f"folds/{fold + 1}"
        keys["train"] = [f"{base}/training/{i}/data" for i in URIA_TRAIN_PARTS]
        keys["valid"] = [f"{base}/training/{URIA_VALID_PART}/data"]
        keys["test"] = [f"{base}/tests/1/data"]
    out = {}
    try:
        with h5py.File(path, "r") as fh:
            for split, paths in keys.items():
                for key in paths:
                    if key not in fh:
                        raise DataError(f"HDF5 file {path} lacks {key}")
                parts = [np.asarray(fh[key][()], dtype=np.float64) for key in paths]
                out[split] = np.concatenate(parts) if len(parts) > 1 else parts[0]
    except OSError as e:
        raise DataError(f"cannot read HDF5 file {path}: {e}") from None
    A = out["all"].shape[-1] if out["all"].ndim == 2 else None
    for split, X in out.items():
        if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] != A or not np.all(np.isfinite(X)):
            raise DataError(f"HDF5 file {path}: {split} is not a finite N x {A} array (shape {X.shape})")
    return out


def _discrete(x: np.ndarray) -> int | None:
    """The number of distinct values of a column that is discrete (see the module docstring), else None."""
    n_values = np.unique(x).size
    return n_values if n_values < DISCRETE_MAX_DISTINCT or np.all(x == np.round(x)) else None


def preprocess(X: np.ndarray, names: list[str]) -> tuple[np.ndarray, list[str], dict[str, str]]:
    """Drop the discrete attributes, then, while some attribute has a partner with ``|r| > 0.98``, the first
    such one (see the module docstring). Returns the kept columns (``N x D``), their names, and attribute ->
    reason removed."""
    removed: dict[str, str] = {}
    cols = []
    for j, name in enumerate(names):
        n_values = _discrete(X[:, j])
        if n_values is None:
            cols.append(j)
        elif n_values < DISCRETE_MAX_DISTINCT:
            removed[name] = f"discrete ({n_values} value{'s' * (n_values > 1)})"
        else:
            removed[name] = f"discrete (integer-valued, {n_values} values)"
    if not cols:
        raise DataError(f"every attribute of {names} is discrete: nothing is left to model")
    R = np.abs(np.corrcoef(X[:, cols], rowvar=False)).reshape(len(cols), len(cols))  # every column varies
    np.fill_diagonal(R, 0.0)
    kept = list(range(len(cols)))  # indices into cols
    while True:
        i = next((i for i in kept if max(R[i, k] for k in kept) > CORRELATION_MAX), None)
        if i is None:
            break
        kept.remove(i)
        partner = max(kept, key=lambda k: R[i, k])
        removed[names[cols[i]]] = f"|r| = {R[i, partner]:.3f} with {names[cols[partner]]}"
    sel = [cols[i] for i in kept]
    return np.ascontiguousarray(X[:, sel]), [names[j] for j in sel], removed


def _read(name: str, root, download: bool, fold: int | None = None):
    spec = _spec(name)
    path = fetch(spec.file, root, download)
    if spec.delimiter == "hdf5":
        arrays = read_hdf5_folds(path, fold)
        if arrays["all"].shape[1] != len(spec.columns):
            raise DataError(
                f"HDF5 file {path} has {arrays['all'].shape[1]} columns, expected {len(spec.columns)}"
            )
        return arrays, list(spec.columns), {"quality": "label (not in the file)"}
    X, names, removed = read_table(path, spec)
    return {"all": X}, names, removed


def load_uci(name: str, root: str | os.PathLike | None = None, download: bool = False) -> UciData:
    """One UCI set of the RNADE paper, read from the data root and preprocessed (module docstring).

    Parameters
    ----------
    name : {"redwine", "whitewine", "parkinsons", "ionosphere", "boston", "redwine_csv", "parkinsons_disease"}
        The paper's five sets, or two sets outside its table (module docstring).
    root, download
        See :func:`rnnrnade_pt.data.download.fetch`.
    """
    arrays, names, removed = _read(name, root, download)
    X, kept, more = preprocess(arrays["all"], names)
    removed.update(more)
    logger.info("UCI %s: %d rows, D=%d; removed %s", name, X.shape[0], X.shape[1], removed)
    return UciData(X, kept, removed)


def _spec(name) -> _Spec:
    if name not in UCI_SETS:
        raise ConfigError(f"unknown UCI set {name!r}; known: {', '.join(UCI_SETS)}")
    return UCI_SETS[name]


def fold_indices(n: int, seed: int = 0, n_folds: int = N_FOLDS) -> list[np.ndarray]:
    """The rows of each of ``n_folds`` folds: a permutation of ``range(n)`` seeded with ``seed``, cut into
    near-equal consecutive parts; each fold's rows are sorted."""
    if n < n_folds:
        raise DataError(f"{n} rows cannot make {n_folds} folds")
    perm = np.random.default_rng([seed, 7007]).permutation(n)
    return [np.sort(f) for f in np.array_split(perm, n_folds)]


def uci_splits(
    name: str, fold: int, root: str | os.PathLike | None = None, download: bool = False, seed: int = 0
) -> dict[str, list[np.ndarray]]:
    """Fold ``fold`` of a UCI set: ``{"train": [N_tr x D], "valid": [N_va x D], "test": [N_te x D]}``
    (each split one array of rows, the data's own units; see the module docstring for which folds). Red
    wine has fixed folds (Uria's file) and ignores ``seed``."""
    if isinstance(fold, bool) or not isinstance(fold, int) or not 0 <= fold < N_FOLDS:
        raise ConfigError(f"config fold must be an integer in 0..{N_FOLDS - 1}, got {fold!r}")
    data = load_uci(name, root, download)
    if _spec(name).delimiter == "hdf5":
        arrays, names, _ = _read(name, root, download, fold)
        sel = [names.index(a) for a in data.attributes]
        return {k: [np.ascontiguousarray(arrays[k][:, sel])] for k in ("train", "valid", "test")}
    X = data.X
    folds = fold_indices(X.shape[0], seed)
    valid = (fold + 1) % N_FOLDS
    train = np.concatenate([f for k, f in enumerate(folds) if k not in (fold, valid)])
    return {"train": [X[np.sort(train)]], "valid": [X[folds[valid]]], "test": [X[folds[fold]]]}
