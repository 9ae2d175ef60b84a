"""Density baselines of the RNADE tables, fitted on the same splits as the RNADEs: a full-covariance Gaussian
(closed form) and a mixture of full-covariance Gaussians (scikit-learn's EM), its number of components
chosen on the validation split.

Both report the mean test log-likelihood per row. The mixture is fitted on the training split (its number
of components is chosen on validation); the Gaussian, which has nothing to choose, on the splits named by
``gaussian_splits``: the training split by default, or the whole training part of a fold (``("train",
"valid")``), which is what reproduces the RNADE paper's Gaussian row (red wine on Uria's folds: -13.18 exactly
this way, -13.21 on the training split alone; see ``experiments/NOTES.md``). With ``standardize`` the data
are first standardised with the statistics of the rows that model is fitted on (the same
:class:`~rnnrnade_pt.data.standardize.Standardizer` as the runs) and the log-likelihoods are of the
standardised data, the units of the RNADE paper's UCI table; without it they are in the data's own units
(the BSDS300 patches). For sequences, :func:`prediction_baselines` gives the one-step prediction error of two
predictors without a model.

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013 (the Gaussian and mixture baselines of Table 1).
.. [2] F. Pedregosa et al. "Scikit-learn: Machine learning in Python." JMLR 12, 2011
   (``sklearn.mixture.GaussianMixture``).
"""

from __future__ import annotations

import logging
import time
import warnings

import numpy as np

from .errors import ConfigError, DataError

__all__ = [
    "MOG_COMPONENTS",
    "REG_COVAR",
    "PREDICTION_BASELINES",
    "gaussian_fit",
    "gaussian_loglik",
    "mog_select",
    "baselines",
    "independent_mixtures",
    "prediction_baselines",
]

logger = logging.getLogger(__name__)

MOG_COMPONENTS = (1, 2, 5, 10, 20)  # the mixture's candidate numbers of components
REG_COVAR = 1e-6  # added to every covariance's diagonal (scikit-learn's default), for both baselines


def _rows(split, what: str) -> np.ndarray:
    X = np.concatenate(split) if isinstance(split, (list, tuple)) else np.asarray(split)
    if X.ndim != 2 or X.shape[0] == 0 or not np.all(np.isfinite(X)):
        raise DataError(f"baseline {what} data must be a finite N x D array of rows, got shape {X.shape}")
    return np.asarray(X, dtype=np.float64)


def gaussian_fit(X: np.ndarray, reg: float = REG_COVAR) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood mean (D) and covariance (D x D, ``+ reg I``) of the rows of ``X`` (N x D)."""
    mu = X.mean(axis=0)  # D
    Xc = X - mu
    return mu, Xc.T @ Xc / X.shape[0] + reg * np.eye(X.shape[1])


def gaussian_loglik(X: np.ndarray, mu: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """``log N(x_n; mu, cov)`` of every row of ``X`` (N x D), through the Cholesky factor: N."""
    try:
        L = np.linalg.cholesky(cov)  # D x D, lower
    except np.linalg.LinAlgError:
        raise DataError("baseline Gaussian: the training covariance is not positive definite") from None
    from scipy.linalg import solve_triangular

    Z = solve_triangular(L, (X - mu).T, lower=True)  # D x N
    D = X.shape[1]
    return -0.5 * np.sum(Z**2, axis=0) - np.sum(np.log(np.diag(L))) - 0.5 * D * np.log(2 * np.pi)


def mog_select(
    train, valid, test, components=MOG_COMPONENTS, seed: int = 0, reg: float = REG_COVAR, max_iter: int = 200
) -> dict:
    """Fit a full-covariance mixture for each number of components on ``train`` (``reg`` added to every
    covariance's diagonal), keep the one with the best mean validation log-likelihood, and return
    ``{"components", "valid", "test", "by_components"}``."""
    try:
        from sklearn.mixture import GaussianMixture
    except ImportError:
        raise ConfigError('the mixture baseline needs scikit-learn: pip install ".[baselines]"') from None
    best, scores = None, {}
    for k in components:
        if k > train.shape[0]:
            continue
        gm = GaussianMixture(k, covariance_type="full", reg_covar=reg, random_state=seed, max_iter=max_iter)
        gm.fit(train)
        scores[k] = float(gm.score(valid))
        if best is None or scores[k] > scores[best[0]]:
            best = (k, gm)
    if best is None:
        raise DataError(f"baseline mixture: {train.shape[0]} training rows are too few for {components}")
    return {
        "components": best[0],
        "valid": scores[best[0]],
        "test": float(best[1].score(test)),
        "by_components": scores,
    }


def independent_mixtures(
    train, valid, test, components=MOG_COMPONENTS, reg: float = REG_COVAR, seed: int = 0
) -> dict:
    """A density with no dependencies between columns: one 1-D Gaussian mixture per column (:func:`mog_select`
    on that column: its number of components chosen on validation, ``reg`` added to every variance), the
    columns' log-likelihoods summed. Returns ``{"valid", "test", "components"}`` (mean log-likelihood per
    row; the number chosen per column).

    On rounded data (values repeated across rows) its score grows without bound as ``reg`` falls, as
    components collapse onto repeated values: a measure of how much of a score comes from atoms, not from
    dependencies (``experiments/uci_atoms.py``).
    """
    out = {"valid": 0.0, "test": 0.0, "components": []}
    for d in range(train.shape[1]):
        with warnings.catch_warnings():  # fewer distinct values than components: expected on atoms
            warnings.filterwarnings("ignore", "Number of distinct clusters", Warning)
            res = mog_select(train[:, [d]], valid[:, [d]], test[:, [d]], components, seed, reg, max_iter=300)
        out["valid"] += res["valid"]
        out["test"] += res["test"]
        out["components"].append(res["components"])
    return out


def baselines(
    splits: dict,
    standardize: bool = True,
    components=MOG_COMPONENTS,
    seed: int = 0,
    gaussian_splits: tuple[str, ...] = ("train",),
) -> dict:
    """Test log-likelihood per row of the Gaussian and the mixture on ``splits`` (``train``, ``valid``,
    ``test``: lists of N_i x D arrays as :func:`~rnnrnade_pt.data.datasets.load_dataset` gives).

    Parameters
    ----------
    gaussian_splits : tuple of {"train", "valid"}
        The rows the Gaussian is fitted on (and, with ``standardize``, standardised with): ``("train",
        "valid")`` for the paper's Gaussian row (module docstring).

    Returns
    -------
    dict
        ``gaussian`` and ``mog`` (mean test log-likelihood per row), ``mog_components`` (the number chosen
        on the validation split), ``gaussian_seconds``, ``mog_seconds``, ``units``, ``gaussian_fit_on``.
    """
    if not gaussian_splits or set(gaussian_splits) - {"train", "valid"}:
        raise ConfigError(f"baseline gaussian_splits must name train and/or valid, got {gaussian_splits!r}")
    tr, va, te = (_rows(splits[k], k) for k in ("train", "valid", "test"))
    g_tr = np.concatenate([{"train": tr, "valid": va}[k] for k in gaussian_splits])
    g_te = te
    if standardize:
        from .data.standardize import Standardizer

        std = Standardizer.fit(tr)
        tr, va, te = std.transform(tr), std.transform(va), std.transform(te)
        g_std = Standardizer.fit(g_tr)
        g_tr, g_te = g_std.transform(g_tr), g_std.transform(g_te)
    t0 = time.perf_counter()
    mu, cov = gaussian_fit(g_tr)
    gauss = float(np.mean(gaussian_loglik(g_te, mu, cov)))
    t1 = time.perf_counter()
    mog = mog_select(tr, va, te, components, seed)
    t2 = time.perf_counter()
    logger.info("baselines: Gaussian %.3f, MoG (%d components) %.3f", gauss, mog["components"], mog["test"])
    return {
        "gaussian": gauss,
        "mog": mog["test"],
        "mog_components": mog["components"],
        "gaussian_seconds": round(t1 - t0, 3),
        "mog_seconds": round(t2 - t1, 3),
        "units": "standardised" if standardize else "data",
        "gaussian_fit_on": "+".join(gaussian_splits),
    }


PREDICTION_BASELINES = ("previous frame", "mean training frame")


def prediction_baselines(splits: dict) -> dict:
    """The one-step squared prediction error per frame of two predictors without a model, on the test
    split's frames that have a past (those the models are scored on): repeating the previous frame, and the
    mean frame of the training split. In the data's units; ``{name: value}`` (names in
    ``PREDICTION_BASELINES``; empty when no test sequence has two frames).

    >>> x = np.array([[0.0], [2.0], [4.0]])
    >>> prediction_baselines({"train": [x], "test": [x]})
    {'previous frame': 4.0, 'mean training frame': 2.0}
    """
    test = [np.asarray(x, dtype=np.float64) for x in splits["test"] if len(x) > 1]
    if not test:
        return {}
    mean = np.concatenate([np.asarray(x, dtype=np.float64) for x in splits["train"]]).mean(axis=0)
    n = sum(len(x) - 1 for x in test)
    previous = sum(float(np.sum((x[1:] - x[:-1]) ** 2)) for x in test) / n
    average = sum(float(np.sum((x[1:] - mean) ** 2)) for x in test) / n
    return {"previous frame": previous, "mean training frame": average}
