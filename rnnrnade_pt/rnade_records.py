"""The records of the RNADE paper's tables: one per run (and per ensemble size of an order-agnostic run) and
per baseline, dataset and fold, in the table's units.

A record is a dict: ``name``, ``method`` (a row of :data:`~rnnrnade_pt.rnade_report.ROWS`: ``gaussian``,
``mog``, ``rnade-mog``, ``rnade-laplace``, ``rnade-mog-orderless/<n>``), ``dataset`` (of
:data:`~rnnrnade_pt.rnade_runs.DATASETS`), ``fold``, ``loglik`` (mean test log-likelihood in the table's
units), ``valid`` (best validation score, for choosing among a cell's points per fold) and
``wall_seconds``; or ``error`` (a failed cell) in place of the values. :func:`run_records` adds ``point``
and ``variant`` (the grid point's label and the protocol variant), and
:func:`~rnnrnade_pt.rnade_runs.search_by_halving` makes one per search rung with only ``search_seconds``.
A record built elsewhere goes into :func:`~rnnrnade_pt.rnade_report.rnade_table` the same way.

Units: the UCI columns are log-likelihoods of the standardised data (each dimension scaled by the training
fold's mean and std), as in the paper; the runs report them in the data's units, and the records subtract
each run's log-Jacobian ``-sum_d log std_d`` (:func:`log_jacobian`). BSDS300 is in the data's units (nats
per 63-dim patch of pixels scaled to [0, 1]), as in the paper.

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
.. [2] B. Uria, I. Murray, H. Larochelle. "A deep and tractable density estimator." ICML 2014 (order-agnostic
   training, ensembles over orderings).
"""

from __future__ import annotations

import inspect
import json
import logging
import os

from .errors import RnnRnadeError
from .npz import atomic_write_text
from .rnade_runs import (
    BSDS,
    ENSEMBLES,
    ORDER_AGNOSTIC,
    QUICK_COMPONENTS,
    job_key,
    job_variant,
    make_jobs,
    point_label,
)

__all__ = ["log_jacobian", "ensembles", "baseline_records", "run_records"]

logger = logging.getLogger(__name__)


def log_jacobian(job) -> float:
    """What a run's log-likelihoods shift by into the table's units: the log-Jacobian ``-sum_d log std_d``
    of its standardisation (from its ``best.npz``); 0 for BSDS300 and an unstandardised run."""
    from .checkpoint import checkpoint_standardizer, load_checkpoint

    if job_key(job)[1] == BSDS or not job.cfg.data.standardize:
        return 0.0
    return checkpoint_standardizer(load_checkpoint(os.path.join(job.run_dir, "best.npz"))).log_jacobian


def ensembles(job, summary: dict) -> dict:
    """Test log-likelihood (data units) of an order-agnostic run as ensembles of 1, 2, 4, 8, 16 orderings.

    Parameters
    ----------
    job : Job
        The run.
    summary : dict
        Its summary (:func:`~rnnrnade_pt.sweep.run_jobs`): a ``reused`` run's cached values are kept.

    Returns
    -------
    dict
        ``{n: value}``, cached in ``<run>/ensembles.json`` (recomputed when the run was retrained); ``{}``
        when :func:`~rnnrnade_pt.runs.evaluate_run` has no ``orderings`` option.
    """
    from .data.datasets import load_dataset
    from .runs import evaluate_run, load_run

    if "orderings" not in inspect.signature(evaluate_run).parameters:
        logger.warning("evaluate_run has no orderings option: no ensembles for %s", job.name)
        return {}
    path = os.path.join(job.run_dir, "ensembles.json")
    if summary.get("reused") and os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            return {int(k): v for k, v in json.load(fh).items()}
    run, test = load_run(job.run_dir), load_dataset(job.cfg.data)["test"]
    out = {n: evaluate_run(run, test, orderings=n)["loglik_per_frame"] for n in ENSEMBLES}
    atomic_write_text(path, json.dumps(out, indent=2))
    return out


def baseline_records(
    datasets, folds, run_root, data_root=None, quick=False, *, config_dir: str | os.PathLike
) -> list[dict]:
    """The Gaussian and MoG records of every dataset and fold, cached in ``<run_root>/baselines/``.

    The Gaussian is fitted on the fold's whole training part (train and validation), which reproduces the
    paper's Gaussian row; the mixture on train, its components chosen on validation.

    Parameters
    ----------
    datasets, folds
        The cells (BSDS300: one split).
    run_root : str
        The cache's parent.
    data_root : str, optional
        The data directory.
    quick : bool
        The quick run's data and components (:data:`~rnnrnade_pt.rnade_runs.QUICK_COMPONENTS`).
    config_dir : str or os.PathLike
        The directory of the dataset configs (their data settings).

    Returns
    -------
    list of dict
        Two records per dataset and fold. A failure (this package's error: bad data) is a record with
        ``error``, never cached; any other exception is a bug and propagates.
    """
    from .baselines import MOG_COMPONENTS, baselines
    from .data.datasets import load_dataset

    out = []
    for dataset in datasets:
        for fold in [0] if dataset == BSDS else folds:
            job = make_jobs(
                run_root, [dataset], ["rnade-mog"], [fold], quick, None, data_root, config_dir=config_dir
            )[0]
            path = os.path.join(run_root, "baselines", f"{dataset}_fold{fold}.json")
            key = json.loads(job.cfg.to_json())["data"]
            res = None
            if os.path.exists(path):
                with open(path, encoding="utf-8") as fh:
                    res = json.load(fh)
                fresh = res.get("data") == key and res.get("gaussian_fit_on") == "train+valid"
                res = res if fresh and "error" not in res else None  # an old cached failure or protocol
            if res is None:
                try:
                    res = baselines(
                        load_dataset(job.cfg.data),
                        standardize=dataset != BSDS,
                        components=QUICK_COMPONENTS if quick else MOG_COMPONENTS,
                        seed=0,
                        gaussian_splits=("train", "valid"),  # the whole training part, as the paper
                    )
                    res["data"] = key
                    atomic_write_text(path, json.dumps(res, indent=2))
                except RnnRnadeError as e:  # a cell of the table, not cached: tried again next time
                    logger.error("baselines of %s fold %d failed: %s", dataset, fold, e)
                    res = {"error": str(e).splitlines()[0]}
            for m in ("gaussian", "mog"):
                rec = {"name": f"{m}_{dataset}_fold{fold}", "method": m, "dataset": dataset, "fold": fold}
                if "error" in res:
                    out.append({**rec, "error": res["error"]})
                else:
                    out.append({**rec, "loglik": res[m], "valid": 0.0, "wall_seconds": res[f"{m}_seconds"]})
    return out


def run_records(jobs, summaries) -> list[dict]:
    """One record per run, and per ensemble size of the order-agnostic runs.

    Parameters
    ----------
    jobs : list of Job
    summaries : list of dict
        The jobs' summaries (:func:`~rnnrnade_pt.sweep.run_jobs`), in the same order.

    Returns
    -------
    list of dict
        ``name``, ``method``, ``dataset``, ``fold``, ``point`` (the grid point's label), ``variant`` (the
        protocol variant), ``loglik`` (test, in the table's units), ``valid`` (best validation, data units:
        for choosing among grid points), ``wall_seconds``; or ``error``.
    """
    out = []
    for job, s in zip(jobs, summaries, strict=True):
        method, dataset, fold = job_key(job)
        rec = {
            "name": job.name,
            "method": method,
            "dataset": dataset,
            "fold": fold,
            "point": point_label(job),
            "variant": job_variant(job),
        }
        if "error" in s or "test" not in s:
            out.append({**rec, "error": s.get("error", "no best checkpoint")})
            continue
        shift = log_jacobian(job)
        rec.update(valid=s["best_valid_loglik_per_frame"], wall_seconds=s.get("wall_seconds", 0.0))
        if method not in ORDER_AGNOSTIC:
            out.append({**rec, "loglik": s["test"]["loglik_per_frame"] - shift})
            continue
        try:
            ens = ensembles(job, s)
        except RnnRnadeError as e:  # anything else is a bug
            logger.error("ensembles of %s failed: %s", job.name, e)
            ens = {}
        for n in ENSEMBLES:
            r = {**rec, "method": f"{method}/{n}", "wall_seconds": rec["wall_seconds"] if n == 1 else 0.0}
            out.append({**r, "loglik": ens[n] - shift} if n in ens else {**r, "error": "not evaluated"})
    return out
