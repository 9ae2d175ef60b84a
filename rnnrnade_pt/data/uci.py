"""The five UCI datasets of the RNADE paper's Table 1, with its preprocessing and its 10 folds.

Preprocessing (RNADE section 4.1 [1]_, after Tang et al. [2]_), decided on the whole set, so that every fold
has the same attributes:

1. The labels go: wine ``quality``, parkinsons ``name`` and ``status``, ionosphere ``class`` (g/b). Boston's
   ``MEDV`` (median home value) is an attribute like the others and stays.
2. Discrete-valued attributes go. An attribute is *discrete* when it takes fewer than
   :data:`DISCRETE_MAX_DISTINCT` (30) distinct values over the whole set; every attribute kept has at
   least 46 distinct values, every one removed at most 26, so the rule is not a close call on these sets.
3. Of every pair of attributes with ``|Pearson correlation| > 0.98`` (on the whole set), the later one (in
   the file's column order) goes: columns are visited in order and one is dropped when it is that
   correlated with an earlier column that was kept.

What that removes, and the resulting dimension ``D``:

==========  ======  ===================================================================================
set         D       attributes removed (besides the labels)
==========  ======  ===================================================================================
redwine     11      none (1599 rows)
whitewine   11      none (4898 rows)
parkinsons  15      discrete: ``MDVP:Jitter(Abs)`` (19 values); correlated: ``MDVP:RAP``, ``Jitter:DDP``
                    (with ``MDVP:Jitter(%)``), ``MDVP:Shimmer(dB)``, ``Shimmer:APQ3``, ``Shimmer:APQ5``,
                    ``Shimmer:DDA`` (with ``MDVP:Shimmer``) (195 rows)
ionosphere  32      discrete: ``a1`` (2 values), ``a2`` (constant 0) (351 rows)
boston      11      discrete: ``ZN`` (26 values), ``CHAS`` (2), ``RAD`` (9) (506 rows)
==========  ======  ===================================================================================

Folds: a permutation of the rows seeded with ``seed`` is cut into 10 near-equal folds
(:func:`numpy.array_split`). For test fold ``k`` the next fold, ``(k + 1) mod 10``, is the validation set
(early stopping and model selection: 1/9 of the remainder, as the original code validated on training
subfold 9 of 9) and the other 8 folds are the training set. The splits are in the data's own units; the
runs standardise each dimension with the training set's mean and std (``DataConfig.standardize``), and the
RNADE tables report log-likelihoods of the standardised data, as the paper does.

The files are the copies in the data root's ``uci/`` (checksums in :data:`~rnnrnade_pt.data.download.FILES`;
the wine CSVs are reformatted copies: comma-separated without the header, values unchanged).

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
.. [2] Y. Tang, R. Salakhutdinov, G. Hinton. "Deep mixtures of factor analysers." ICML 2012.
.. [3] P. Cortez et al. "Modeling wine preferences by data mining from physicochemical properties."
   Decision Support Systems 47(4), 2009 (wine quality); M. Little et al., IEEE Trans. Biomedical
   Engineering 56(4), 2009 (parkinsons); V. Sigillito et al., Johns Hopkins APL Technical Digest 10, 1989
   (ionosphere); D. Harrison, D. Rubinfeld, J. Environmental Economics and Management 5, 1978 (Boston).
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
    "DISCRETE_MAX_DISTINCT",
    "CORRELATION_MAX",
    "N_FOLDS",
    "UciData",
    "read_table",
    "preprocess",
    "load_uci",
    "fold_indices",
    "uci_splits",
]

logger = logging.getLogger(__name__)

DISCRETE_MAX_DISTINCT = 30  # an attribute with fewer distinct values than this is discrete
CORRELATION_MAX = 0.98  # of a pair more correlated than this (in absolute value), the later one goes
N_FOLDS = 10

_WINE = [
    "fixed acidity", "volatile acidity", "citric acid", "residual sugar", "chlorides", "free sulfur dioxide",
    "total sulfur dioxide", "density", "pH", "sulphates", "alcohol", "quality",
]  # fmt: skip
_BOSTON = "CRIM ZN INDUS CHAS NOX RM AGE DIS RAD TAX PTRATIO B LSTAT MEDV".split()


class _Spec(NamedTuple):
    file: str  # under the data root
    delimiter: str | None  # None: whitespace
    header: bool  # first line names the columns
    columns: list[str] | None  # names (when there is no header)
    labels: tuple[str, ...]  # columns that are labels, not attributes


UCI_SETS: dict[str, _Spec] = {
    "redwine": _Spec("uci/winequality-red.csv", ",", False, _WINE, ("quality",)),
    "whitewine": _Spec("uci/winequality-white.csv", ",", False, _WINE, ("quality",)),
    "parkinsons": _Spec("uci/parkinsons.data", ",", True, None, ("name", "status")),
    "ionosphere": _Spec(
        "uci/ionosphere.csv", ",", False, [f"a{i}" for i in range(1, 35)] + ["class"], ("class",)
    ),
    "boston": _Spec("uci/housing.data", None, False, _BOSTON, ()),
}


class UciData(NamedTuple):
    """A preprocessed UCI set.

    Attributes
    ----------
    X : ndarray
        N x D float64, in the data's own units.
    attributes : list of str
        The D attributes kept, in column order.
    removed : dict
        Attribute -> why it went (``"label"``, ``"discrete (19 values)"``, ``"|r| = 0.990 with MDVP:..."``).
    """

    X: np.ndarray
    attributes: list[str]
    removed: dict[str, str]


def read_table(path: str | os.PathLike, spec: _Spec) -> tuple[np.ndarray, list[str], dict[str, str]]:
    """The attribute columns of a UCI file as floats (``N x A``), their names, and the label columns dropped.

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


def preprocess(X: np.ndarray, names: list[str]) -> tuple[np.ndarray, list[str], dict[str, str]]:
    """Drop the discrete attributes, then the later of every pair with ``|r| > 0.98`` (see the module
    docstring). Returns the kept columns (``N x D``), their names, and attribute -> reason removed."""
    removed: dict[str, str] = {}
    cols = []
    for j, name in enumerate(names):
        n_values = np.unique(X[:, j]).size
        if n_values < DISCRETE_MAX_DISTINCT:
            removed[name] = f"discrete ({n_values} values)"
        else:
            cols.append(j)
    R = np.corrcoef(X[:, cols], rowvar=False)  # every column kept so far varies (>= 30 values)
    kept: list[int] = []  # indices into cols
    for i in range(len(cols)):
        partner = next((k for k in kept if abs(R[k, i]) > CORRELATION_MAX), None)
        if partner is None:
            kept.append(i)
        else:
            removed[names[cols[i]]] = f"|r| = {abs(R[partner, i]):.3f} with {names[cols[partner]]}"
    sel = [cols[i] for i in kept]
    return np.ascontiguousarray(X[:, sel]), [names[j] for j in sel], removed


def load_uci(name: str, root: str | os.PathLike | None = None, download: bool = False) -> UciData:
    """One UCI set of the RNADE paper, read from the data root and preprocessed (module docstring).

    Parameters
    ----------
    name : {"redwine", "whitewine", "parkinsons", "ionosphere", "boston"}
    root, download
        See :func:`rnnrnade_pt.data.download.fetch`.
    """
    spec = _spec(name)
    path = fetch(spec.file, root, download)
    X, names, removed = read_table(path, spec)
    X, kept, more = preprocess(X, names)
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
    (each split one array of rows, the data's own units; see the module docstring for which folds)."""
    if isinstance(fold, bool) or not isinstance(fold, int) or not 0 <= fold < N_FOLDS:
        raise ConfigError(f"config fold must be an integer in 0..{N_FOLDS - 1}, got {fold!r}")
    X = load_uci(name, root, download).X
    folds = fold_indices(X.shape[0], seed)
    valid = (fold + 1) % N_FOLDS
    train = np.concatenate([f for k, f in enumerate(folds) if k not in (fold, valid)])
    return {"train": [X[np.sort(train)]], "valid": [X[folds[valid]]], "test": [X[folds[fold]]]}
