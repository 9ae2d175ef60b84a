"""The runs of the RNADE paper's tables: its datasets, methods and folds, each run's configuration and name
(a :class:`~rnnrnade_pt.sweep.Job` per method, dataset, fold and grid point), and a grid of runs searched by
successive halving.

The dataset configs (``experiments/configs/rnade/<dataset>.json``) are the experiment's, not the package's:
the functions that read them take their directory (``config_dir``). :mod:`rnnrnade_pt.rnade_protocol`
reads the protocol file and chooses grid points, :mod:`rnnrnade_pt.rnade_records` makes the table's
records of the runs and :mod:`rnnrnade_pt.rnade_report` the table; ``experiments/rnade_tables.py`` is the
command line.

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
.. [2] B. Uria, I. Murray, H. Larochelle. "A deep and tractable density estimator." ICML 2014 (order-agnostic
   training, ensembles over orderings).
"""

from __future__ import annotations

import argparse
import json
import os

from .config import RunConfig
from .errors import ConfigError
from .sweep import Job, expand_grid

__all__ = [
    "UCI",
    "BSDS",
    "DATASETS",
    "TITLES",
    "N_FOLDS",
    "METHODS",
    "ORDERLESS",
    "ORDER_AGNOSTIC",
    "ENSEMBLES",
    "QUICK",
    "QUICK_FOLDS",
    "QUICK_COMPONENTS",
    "fold_list",
    "load_grid",
    "make_jobs",
    "job_key",
    "point_label",
    "job_variant",
    "search_by_halving",
]

UCI = ("redwine", "whitewine", "parkinsons", "ionosphere", "boston")  # the paper's column order
BSDS = "bsds300"
DATASETS = (*UCI, BSDS)
TITLES = {
    "redwine": "Red wine",
    "whitewine": "White wine",
    "parkinsons": "Parkinsons",
    "ionosphere": "Ionosphere",
    "boston": "Boston housing",
    "bsds300": "BSDS300",
}
N_FOLDS = 10
METHODS = {
    "rnade-mog": [],
    "rnade-laplace": [("model.mixture", "laplace")],
    "rnade-mog-orderless": [("train.ordering", "orderless")],
    "deep-rnade-1": [("model.model", "deep-rnade"), ("model.layers", 1), ("model.hidden_activation", "relu")],
    "deep-rnade-2": [("model.model", "deep-rnade"), ("model.layers", 2), ("model.hidden_activation", "relu")],
}
ORDERLESS = "rnade-mog-orderless"
ORDER_AGNOSTIC = (
    ORDERLESS,
    "deep-rnade-1",
    "deep-rnade-2",
)  # the methods reported as ensembles over orderings
ENSEMBLES = (1, 2, 4, 8, 16)
QUICK = [
    ("model.H", 4),
    ("model.K", 2),
    ("train.epochs", 2),
    ("train.patience", 0),
    ("data.n_train", 4),
    ("data.n_valid", 4),
    ("data.n_test", 4),
]
QUICK_FOLDS = (0, 1)
QUICK_COMPONENTS = (1, 2)  # the quick run's mixture baseline


def fold_list(text: str) -> list[int]:
    """The argument type of a command line's folds: ``"0,3"`` -> ``[0, 3]``.

    Parameters
    ----------
    text : str
        Comma-separated fold numbers, each in ``0 .. N_FOLDS - 1``.

    Returns
    -------
    list of int

    Raises
    ------
    argparse.ArgumentTypeError
        Not integers, or a fold out of range (argparse's one-line usage error).
    """
    try:
        folds = [int(f) for f in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"folds must be comma-separated integers, got {text!r}") from None
    if any(not 0 <= f < N_FOLDS for f in folds):
        raise argparse.ArgumentTypeError(f"folds must be in 0..{N_FOLDS - 1}, got {text!r}")
    return folds


def load_grid(path: str | os.PathLike) -> dict:
    """The ``grid`` of a sweep file (``configs/rnade/sweep.json``).

    Returns
    -------
    dict
        Override key -> list of values, as :func:`~rnnrnade_pt.sweep.expand_grid` takes.
    """
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)["grid"]


def make_jobs(
    run_root,
    datasets=DATASETS,
    methods=tuple(METHODS),
    folds=None,
    quick=False,
    time_budget=None,
    data_root=None,
    grid=None,
    fixed=(),
    *,
    config_dir: str | os.PathLike,
) -> list:
    """The runs of every method x dataset x fold (BSDS300: one split) x grid point.

    Parameters
    ----------
    run_root : str
        Where the run directories go (``<run_root>/<job name>``).
    datasets, methods : sequence of str
        Of :data:`DATASETS` and :data:`METHODS`.
    folds : sequence of int, optional
        Default: every fold (quick: :data:`QUICK_FOLDS`).
    quick : bool
        Tiny models and few data (:data:`QUICK`).
    time_budget : float, optional
        Seconds of training a run (``train.max_seconds``).
    data_root : str, optional
        The data directory (``data.root``).
    grid : dict, optional
        Override key -> values; None: the configs as they are.
    fixed : sequence of (str, value)
        Overrides applied to every config first (the protocol's; the method's and the quick run's come
        after).
    config_dir : str or os.PathLike
        The directory of the dataset configs ``<dataset>.json``.

    Returns
    -------
    list of Job
        Each named ``<method>_<dataset>_fold<k>`` (plus the grid point's label).

    Raises
    ------
    ConfigError
        An unknown dataset or method, or an override the config rejects.
    """
    folds = list(QUICK_FOLDS if quick else range(N_FOLDS)) if folds is None else list(folds)
    jobs = []
    for dataset in datasets:
        path = os.path.join(config_dir, f"{dataset}.json")
        if dataset not in DATASETS or not os.path.exists(path):
            raise ConfigError(f"no config {path} (datasets: {list(DATASETS)})")
        with open(path, encoding="utf-8") as fh:
            base = RunConfig.from_json(fh.read())
        for method in methods:
            if method not in METHODS:
                raise ConfigError(f"unknown method {method!r}; known: {list(METHODS)}")
            for fold in [0] if dataset == BSDS else folds:
                over = list(fixed) + list(METHODS[method]) + (list(QUICK) if quick else [])
                over += [("data.fold", fold)] if dataset != BSDS else []
                over += [("train.max_seconds", float(time_budget))] if time_budget is not None else []
                over += [("data.root", os.fspath(data_root))] if data_root is not None else []
                cfg = base.with_overrides(over)
                name = f"{method}_{dataset}_fold{fold}" if dataset != BSDS else f"{method}_{dataset}"
                points = expand_grid(cfg, grid, name) if grid else [(name, cfg)]
                jobs += [Job(n, c, os.path.join(run_root, n)) for n, c in points]
    return jobs


def job_key(job) -> tuple[str, str, int]:
    """A job's ``(method, dataset, fold)``."""
    method = next(m for m, over in METHODS.items() if job.name.startswith(f"{m}_"))
    return method, job.cfg.data.name or job.cfg.data.dataset, job.cfg.data.fold


def point_label(job) -> str:
    """The grid point's part of a job's name: ``-K=5-lr=0.05`` (empty without a grid; a chosen variant's
    ``" (variant)"`` suffix is not part of it)."""
    method, dataset, fold = job_key(job)
    name = job.name.split(" (")[0]
    return name[len(f"{method}_{dataset}" + ("" if dataset == BSDS else f"_fold{fold}")) :]


def job_variant(job) -> str | None:
    """The protocol variant a job runs under: its run directory's parent is ``variant-<name>``, or None."""
    parent = os.path.basename(os.path.dirname(os.path.normpath(job.run_dir)))
    return parent[len("variant-") :] if parent.startswith("variant-") else None


def search_by_halving(
    jobs, run_root: str, rungs: int, eta: int, **run
) -> tuple[list, list[dict], list[dict]]:
    """Successive halving of the jobs' grid per method, dataset and fold (:mod:`rnnrnade_pt.halving`).

    Parameters
    ----------
    jobs : list of Job
        Every grid point of every method, dataset and fold (:func:`make_jobs`).
    run_root : str
        The rungs' history goes to ``<run_root>/halving.json``.
    rungs, eta : int
        Rungs, and the best ``1/eta`` kept per rung.
    **run
        The options of :func:`~rnnrnade_pt.sweep.run_jobs` (engine, workers, address, force, progress).

    Returns
    -------
    jobs, summaries : list
        The last rung's jobs and their summaries.
    search : list of dict
        One record per earlier rung and group with the time its runs took (``search_seconds``, for the
        table's wall time).
    """
    from .halving import successive_halving

    groups: dict[str, list] = {}
    for job in jobs:
        groups.setdefault("/".join(map(str, job_key(job))), []).append(job)
    final, history = successive_halving(groups, eta=eta, rungs=rungs, **run)
    os.makedirs(run_root, exist_ok=True)
    with open(os.path.join(run_root, "halving.json"), "w", encoding="utf-8") as fh:
        json.dump({"eta": eta, "rungs": rungs, "history": history}, fh, indent=2)
    pairs = [pair for g in groups for pair in final[g]]
    search = []
    for entry in history[:-1]:  # the last rung's runs are the table's own records
        for g, seconds in entry.get("run_seconds", {}).items():
            method, dataset, fold = g.split("/")
            search.append(
                {
                    "name": f"{g} rung {entry['rung']}",
                    "method": method,
                    "dataset": dataset,
                    "fold": int(fold),
                    "search_seconds": seconds,
                }
            )
    return [j for j, _ in pairs], [s for _, s in pairs], search
