"""The RNADE paper's tables: test log-likelihood on five UCI sets (10 folds) and on BSDS300 patches (issue 7).

    python experiments/rnade_tables.py                       # the protocol's chosen points, every method,
                                                             # dataset and fold; README block and figures
    python experiments/rnade_tables.py --engine dask --workers 2
    python experiments/rnade_tables.py --quick               # 2 folds, tiny models, few patches (CI)
    python experiments/rnade_tables.py --protocol --halving 3 --engine dask --workers 2   # the paper's grid
    python experiments/rnade_tables.py --protocol --select-folds 0 --halving 3   # grid on fold 0, then 1-9
    python experiments/rnade_tables.py --protocol --select-folds 0 --halving 3 --record-chosen  # kept in the
                                                             # protocol file's 'chosen' for --chosen
    python experiments/rnade_tables.py --protocol --variant original-code-stopping --chosen  # base points
    python experiments/rnade_tables.py --configs [--time-budget 300] [--sweep]  # configs/rnade/<set>.json

By default each method and dataset trains the points that the protocol file's ``chosen`` holds
(``configs/rnade/protocol.json``: a search's choice, recorded by ``--record-chosen``), each under the
protocol variant it names, on every fold; where a cell holds several points, per fold the one with the best
validation score counts. Each run is ``experiments/configs/rnade/<dataset>.json`` with the protocol's
settings, a method's overrides (RNADE-MoG as is, RNADE-Laplace ``model.mixture=laplace``, order-agnostic
RNADE-MoG ``train.ordering=orderless``) and ``data.fold=k``, trained and evaluated by
:func:`rnnrnade_pt.sweep.run_jobs` in ``runs/rnade[/variant-<name>]/<job>`` (a finished run of the same
config is reused). The order-agnostic runs are then evaluated as ensembles of 1, 2, 4, 8 and 16 orderings
(cached in ``<run>/ensembles.json``), and the Gaussian and mixture-of-Gaussians baselines
(:mod:`rnnrnade_pt.baselines`) are fitted on the same folds (cached in ``<run root>/baselines``). With a grid
(``--protocol`` without ``--chosen``, or ``--sweep``) every grid point is a run and, per method, dataset and
fold, the one with the best validation log-likelihood gives the test value.

Units: the UCI columns are log-likelihoods of the standardised data (each dimension scaled by the training
fold's mean and std), as in the paper; the runs report them in the data's units, and the table subtracts
each run's log-Jacobian ``-sum_d log std_d``. BSDS300 is in the data's units (nats per 63-dim patch of
pixels scaled to [0, 1]), as in the paper.

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
.. [2] B. Uria, I. Murray, H. Larochelle. "A deep and tractable density estimator." ICML 2014 (order-agnostic
   training, ensembles over orderings).
"""

from __future__ import annotations

import argparse
import inspect
import json
import logging
import math
import os
import sys
import tempfile
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG_DIR = os.path.join(HERE, "configs", "rnade")
README = os.path.join(HERE, "README.md")
BLOCK = "rnade"
logger = logging.getLogger("rnade_tables")

UCI = ("redwine", "whitewine", "parkinsons", "ionosphere", "boston")  # the paper's column order
BSDS = "bsds300"
DATASETS = (*UCI, BSDS)
TITLES = {"redwine": "Red wine", "whitewine": "White wine", "parkinsons": "Parkinsons",
          "ionosphere": "Ionosphere", "boston": "Boston housing", "bsds300": "BSDS300"}  # fmt: skip
N_FOLDS = 10
METHODS = {
    "rnade-mog": [],
    "rnade-laplace": [("model.mixture", "laplace")],
    "rnade-mog-orderless": [("train.ordering", "orderless")],
}
ORDERLESS = "rnade-mog-orderless"
ENSEMBLES = (1, 2, 4, 8, 16)
ROWS = [("gaussian", "Gaussian"), ("mog", "MoG (components chosen on validation)"),
        ("rnade-mog", "RNADE-MoG"), ("rnade-laplace", "RNADE-Laplace")] + [
        (f"{ORDERLESS}/{n}", f"RNADE-MoG order-agnostic, ensemble of {n} ordering{'s' * (n > 1)}")
        for n in ENSEMBLES]  # fmt: skip
# as commonly quoted (the papers are not available here): NIPS 2013 Table 1 and the ICML 2014 ensembles
PUBLISHED = [
    ("Gaussian (published)", {"redwine": -13.18, "whitewine": -13.20, "parkinsons": -10.85,
                              "ionosphere": -41.24, "boston": -11.37}),
    ("RNADE-MoG (published)", {"redwine": -9.36, "whitewine": -10.23, "parkinsons": -0.90,
                               "ionosphere": -2.50, "boston": -0.64}),
    ("RNADE-Laplace (published)", {"redwine": -9.46, "whitewine": -10.38, "parkinsons": -2.63,
                                   "ionosphere": -5.87, "boston": -4.04}),
    ("EoRNADE, best ensemble (published)", {"redwine": -8.76, "whitewine": -9.67, "parkinsons": -0.90,
                                            "bsds300": 157.0}),
]  # fmt: skip
GAPS = [("gaussian", 0), ("rnade-mog", 1), ("rnade-laplace", 2), (f"{ORDERLESS}/16", 3)]  # row, PUBLISHED
QUICK = [("model.H", 4), ("model.K", 2), ("train.epochs", 2), ("train.patience", 0), ("data.n_train", 4),
         ("data.n_valid", 4), ("data.n_test", 4)]  # fmt: skip
QUICK_FOLDS = (0, 1)
QUICK_COMPONENTS = (1, 2)  # the quick run's mixture baseline


def load_grid(path: str = os.path.join(CONFIG_DIR, "sweep.json")) -> dict:
    """The ``grid`` of the sweep file: override key -> list of values, as
    :func:`~rnnrnade_pt.sweep.expand_grid` takes."""
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)["grid"]


PROTOCOL = os.path.join(CONFIG_DIR, "protocol.json")
PROTOCOL_KEYS = {"name", "description", "fixed", "grid", "variants", "chosen", "provenance"}
PROVENANCE = ("paper:", "original code:", "guess:")
SEARCHED = "searched:"  # the provenance of a chosen point: this project's own search, where and how
CHOSEN_BY = (SEARCHED, "guess:")  # ... or a point no search chose (said why)


def load_protocol(path: str = PROTOCOL, variant: str | None = None):
    """The paper's protocol (``configs/rnade/protocol.json``): ``(fixed, grid)``, the overrides every dataset
    config gets (a list of ``(key, value)``) and the grid searched per fold (key -> values), with the
    ``variant``'s replacements. Every key must say where its value comes from (``provenance``: ``paper``,
    ``original code`` or ``guess``) and be a valid override of every dataset config.

    Raises
    ------
    ConfigError
        The file is missing or not JSON, an unknown key or variant, a key without provenance, or an
        override the configs reject (one line).
    """
    from rnnrnade_pt.config import RunConfig
    from rnnrnade_pt.errors import ConfigError
    from rnnrnade_pt.npz import read_json

    spec = read_json(path, "protocol file")
    if not isinstance(spec, dict) or set(spec) - PROTOCOL_KEYS:
        raise ConfigError(f"protocol file {path}: keys must be among {sorted(PROTOCOL_KEYS)}")
    fixed, grid = dict(spec.get("fixed", {})), dict(spec.get("grid", {}))
    variants, prov = spec.get("variants", {}), spec.get("provenance", {})
    if variant is not None:
        if variant not in variants:
            raise ConfigError(f"protocol file {path}: unknown variant {variant!r}; known: {sorted(variants)}")
        fixed.update(variants[variant].get("fixed", {}))
        grid.update(variants[variant].get("grid", {}))
    # the base keys, and each variant as a whole, say where they come from
    for key in [*spec.get("fixed", {}), *spec.get("grid", {}), *(f"variants.{v}" for v in variants)]:
        if not str(prov.get(key, "")).startswith(PROVENANCE):
            raise ConfigError(f"protocol file {path}: the provenance of {key} must start with {PROVENANCE}")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"protocol file {path}: grid {key} must be a non-empty list")
    for dataset in DATASETS:
        with open(os.path.join(CONFIG_DIR, f"{dataset}.json"), encoding="utf-8") as fh:
            base = RunConfig.from_json(fh.read())
        base.with_overrides(list(fixed.items()) + [(k, v[0]) for k, v in grid.items()])  # raises if invalid
    return list(fixed.items()), grid


def load_chosen(path: str = PROTOCOL, spec: dict | None = None) -> dict:
    """The grid points a search has chosen (the protocol file's ``chosen``: dataset -> method -> a point
    ``{grid key: value}``, or a list of candidate points), as ``{(method, dataset): [(variant, {key:
    [value]}), ...]}``: each point a one-point grid in the grid's key order, so that its runs are named, and
    cached, as the search's own. A point may name the protocol ``variant`` it was searched and is trained
    under (``"variant": NAME``; at most one point per variant and cell); where a cell has several, every fold
    trains each and the one with the best validation score counts, as a grid point would. Each point says
    where it comes from (provenance ``chosen.<dataset>.<method>[.<variant>]``, starting ``searched:``: which
    folds, which search, its validation score; or ``guess:``, a point no search chose).
    ``spec``: the file's contents as they are about to be written (checked against the file's grid).

    Raises
    ------
    ConfigError
        A point for an unknown dataset, method or variant, a key that is not the grid's, two points of one
        variant, or no provenance (one line).
    """
    from rnnrnade_pt.errors import ConfigError
    from rnnrnade_pt.npz import read_json

    spec = read_json(path, "protocol file") if spec is None else spec
    _, grid = load_protocol(path)
    prov, variants = spec.get("provenance", {}), spec.get("variants", {})
    out = {}
    for dataset, by_method in spec.get("chosen", {}).items():
        if dataset == "description":
            continue
        if dataset not in DATASETS or not isinstance(by_method, dict):
            raise ConfigError(f"protocol file {path}: chosen: unknown dataset {dataset!r}")
        for method, points in by_method.items():
            for point in points if isinstance(points, list) else [points]:
                variant = point.get("variant") if isinstance(point, dict) else None
                where = f"chosen.{dataset}.{method}" + (f".{variant}" if variant else "")
                keys = set(point) - {"variant"} if isinstance(point, dict) else None
                if method not in METHODS or keys != set(grid):
                    raise ConfigError(
                        f"protocol file {path}: {where} must be a known method's value of every grid key"
                    )
                if variant is not None and variant not in variants:
                    raise ConfigError(f"protocol file {path}: {where}: unknown variant {variant!r}")
                if not str(prov.get(where, "")).startswith(CHOSEN_BY):
                    raise ConfigError(
                        f"protocol file {path}: the provenance of {where} must start with one of {CHOSEN_BY}"
                    )
                cell = out.setdefault((method, dataset), [])
                if any(v == variant for v, _ in cell):
                    raise ConfigError(f"protocol file {path}: {where}: two points of one variant")
                cell.append((variant, {k: [point[k]] for k in grid}))
    return out


def make_jobs(run_root, datasets=DATASETS, methods=tuple(METHODS), folds=None, quick=False, time_budget=None,
              data_root=None, grid=None, fixed=()) -> list:  # fmt: skip
    """The :class:`~rnnrnade_pt.sweep.Job` list: every method x dataset x fold (BSDS300: one split) x grid
    point (``grid``: override key -> values; None: the configs as they are). ``fixed``: overrides applied to
    every config first (the protocol's; the method's and the quick run's come after). Each job's name is
    ``<method>_<dataset>_fold<k>`` (plus the grid point's label)."""
    from rnnrnade_pt.config import RunConfig
    from rnnrnade_pt.errors import ConfigError
    from rnnrnade_pt.sweep import Job, expand_grid

    folds = list(QUICK_FOLDS if quick else range(N_FOLDS)) if folds is None else list(folds)
    jobs = []
    for dataset in datasets:
        path = os.path.join(CONFIG_DIR, f"{dataset}.json")
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


def _job_key(job) -> tuple[str, str, int]:
    method = next(m for m, over in METHODS.items() if job.name.startswith(f"{m}_"))
    return method, job.cfg.data.name or job.cfg.data.dataset, job.cfg.data.fold


def _point_label(job) -> str:
    """The grid point's part of a job's name: ``-K=5-lr=0.05`` (empty without a grid; a chosen variant's
    ``" (variant)"`` suffix is not part of it)."""
    method, dataset, fold = _job_key(job)
    name = job.name.split(" (")[0]
    return name[len(f"{method}_{dataset}" + ("" if dataset == BSDS else f"_fold{fold}")) :]


def _variant(job) -> str | None:
    """The protocol variant a job runs under: its run directory's parent is ``variant-<name>``, or None."""
    parent = os.path.basename(os.path.dirname(os.path.normpath(job.run_dir)))
    return parent[len("variant-") :] if parent.startswith("variant-") else None


def _log_jacobian(run_dir: str) -> float:
    from rnnrnade_pt.checkpoint import checkpoint_standardizer, load_checkpoint

    return checkpoint_standardizer(load_checkpoint(os.path.join(run_dir, "best.npz"))).log_jacobian


def ensembles(job, summary: dict) -> dict:
    """Test log-likelihood (data units) of an order-agnostic run as ensembles of 1, 2, 4, 8, 16 orderings,
    ``{n: value}``, cached in ``<run>/ensembles.json`` (recomputed when the run was retrained); ``{}`` when
    :func:`~rnnrnade_pt.runs.evaluate_run` has no ``orderings`` option."""
    from rnnrnade_pt.data.datasets import load_dataset
    from rnnrnade_pt.npz import atomic_write_text
    from rnnrnade_pt.runs import evaluate_run, load_run

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


def baseline_records(datasets, folds, run_root, data_root=None, quick=False) -> list[dict]:
    """The Gaussian and MoG records of every dataset and fold, cached in ``<run_root>/baselines/``. The
    Gaussian is fitted on the fold's whole training part (train and validation), which reproduces the
    paper's Gaussian row; the mixture on train, its components chosen on validation. A failure (this
    package's error: bad data) is a record with ``error``, never cached; any other exception is a bug and
    propagates."""
    from rnnrnade_pt.baselines import MOG_COMPONENTS, baselines
    from rnnrnade_pt.data.datasets import load_dataset
    from rnnrnade_pt.errors import RnnRnadeError
    from rnnrnade_pt.npz import atomic_write_text

    out = []
    for dataset in datasets:
        for fold in [0] if dataset == BSDS else folds:
            job = make_jobs(run_root, [dataset], ["rnade-mog"], [fold], quick, None, data_root)[0]
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
    """One record per run (and per ensemble size of the order-agnostic runs): ``name``, ``method``,
    ``dataset``, ``fold``, ``loglik`` (test, in the table's units), ``valid`` (best validation, data units:
    for choosing among grid points), ``wall_seconds``; or ``error``."""
    from rnnrnade_pt.errors import RnnRnadeError

    out = []
    for job, s in zip(jobs, summaries, strict=True):
        method, dataset, fold = _job_key(job)
        rec = {"name": job.name, "method": method, "dataset": dataset, "fold": fold,
               "point": _point_label(job), "variant": _variant(job)}  # fmt: skip
        if "error" in s or "test" not in s:
            out.append({**rec, "error": s.get("error", "no best checkpoint")})
            continue
        shift = _log_jacobian(job.run_dir) if dataset != BSDS and job.cfg.data.standardize else 0.0
        rec.update(valid=s["best_valid_loglik_per_frame"], wall_seconds=s.get("wall_seconds", 0.0))
        if method != ORDERLESS:
            out.append({**rec, "loglik": s["test"]["loglik_per_frame"] - shift})
            continue
        try:
            ens = ensembles(job, s)
        except RnnRnadeError as e:  # anything else is a bug
            logger.error("ensembles of %s failed: %s", job.name, e)
            ens = {}
        for n in ENSEMBLES:
            r = {**rec, "method": f"{ORDERLESS}/{n}", "wall_seconds": rec["wall_seconds"] if n == 1 else 0.0}
            out.append({**r, "loglik": ens[n] - shift} if n in ens else {**r, "error": "not evaluated"})
    return out


def best_per_fold(records) -> dict:
    """``(method, dataset, fold) -> record``: of each method, dataset and fold's records (grid points,
    chosen candidates), the one with the best validation score; failures and search rungs skipped."""
    best: dict = {}
    for r in records:
        if "error" in r or "loglik" not in r:  # a failure, or a search rung's time
            continue
        key = (r["method"], r["dataset"], r["fold"])
        if key not in best or r["valid"] > best[key]["valid"]:
            best[key] = r
    return best


def rnade_table(records, n_folds: int = N_FOLDS, note: str = "") -> str:
    """The markdown table of the records (see :func:`run_records`, :func:`baseline_records`): one row per
    method, one column per dataset (mean ± standard error over folds of the grid point with the best
    validation score per fold; the number of folds when fewer than ``n_folds`` gave a value), the methods'
    total wall time, then the published rows."""
    from rnnrnade_pt.tables import fmt_duration, fmt_mean_stderr, markdown_table

    best = best_per_fold(records)
    datasets = [d for d in DATASETS if any(r["dataset"] == d for r in records)]
    failed = sorted(r["name"] for r in records if "error" in r)
    rows, means = [], {}
    for method, title in ROWS:
        mine = [r for r in records if r["method"] == method]
        if not mine:
            continue
        cells = []
        for d in datasets:
            vals = [r["loglik"] for (m, dd, _), r in sorted(best.items()) if m == method and dd == d]
            expected = 1 if d == BSDS else n_folds
            cell = fmt_mean_stderr(vals) if vals else None
            if vals:
                means[method, d] = sum(vals) / len(vals)  # for the gap rows
            if vals and len(vals) < expected:
                cell += f" ({len(vals)}/{expected} folds)"
            cells.append(cell)
        seconds = sum(r.get("wall_seconds", 0.0) + r.get("search_seconds", 0.0) for r in mine)
        rows.append([title, *cells, fmt_duration(seconds)])
    for title, values in PUBLISHED:
        rows.append([title, *[f"{values[d]:.2f}" if d in values else None for d in datasets], None])
    for method, index in GAPS:  # ours minus published, where both exist
        published = PUBLISHED[index][1]
        cells = [
            f"{means[method, d] - published[d]:+.2f}" if (method, d) in means and d in published else None
            for d in datasets
        ]
        if any(cells):
            rows.append([f"gap: {dict(ROWS)[method]} minus {PUBLISHED[index][0]}", *cells, None])
    header = ["method", *[TITLES[d] for d in datasets], "wall time"]
    text = markdown_table(header, rows)
    text += (
        "\nMean test log-likelihood per datapoint (nats), mean ± standard error over the folds. UCI columns: "
        "of the standardised data (each dimension scaled by the mean and std of the rows the model is fitted "
        "on: the training split for the RNADEs and the mixture, the whole training part, training and "
        "validation, for the Gaussian), the paper's units; BSDS300: nats per 63-dimensional patch (pixels "
        "dequantised and scaled to [0, 1], patch mean "
        "removed, last pixel dropped; one train/valid/test split). Per method and fold the grid point with "
        "the best validation log-likelihood counts. Wall time: all that method's runs together (training, "
        "compiling, evaluating; the ensembles' evaluation is not included). The published rows are as "
        "commonly quoted (NIPS 2013 Table 1; the ICML 2014 paper's best ensembles over orderings); the "
        "papers are not available here. Gap rows: our mean minus the published value (positive: ours is "
        "higher); the ensemble's is of 16 orderings against the published best ensemble. Data and folds: "
        "rnnrnade_pt/data/uci.py (red wine on Uria's own "
        "folds; Parkinsons is the Telemonitoring set; the Gaussian row pins the preprocessing).\n"
    )
    if failed:
        text += f"\nFailed or unevaluated: {', '.join(failed[:20])}{' ...' if len(failed) > 20 else ''}.\n"
    return text + (f"\n{note}\n" if note else "")


def validation_curves(jobs, summaries, out_dir: str) -> list[str]:
    """``<out_dir>/rnade_<dataset>.png``: for every dataset, the validation log-likelihood per epoch (the
    table's units) of each method's run that the table counts on the lowest fold trained, with the published
    RNADE-MoG test value dashed, so that a reader sees whether the runs converged. Returns the paths."""
    from rnnrnade_pt.metrics import read_metrics
    from rnnrnade_pt.plots import curves

    best: dict = {}  # dataset -> method -> (fold, valid, job)
    for job, s in zip(jobs, summaries, strict=True):
        method, dataset, fold = _job_key(job)
        valid = s.get("best_valid_loglik_per_frame")
        if "error" in s or valid is None or not os.path.exists(os.path.join(job.run_dir, "metrics.csv")):
            continue
        old = best.setdefault(dataset, {}).get(method)
        if old is None or (fold, -valid) < (old[0], -old[1]):
            best[dataset][method] = (fold, valid, job)
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for dataset, by_method in best.items():
        series = {}
        for method, (fold, _, job) in sorted(by_method.items()):
            rows = [r for r in read_metrics(job.run_dir) if r["phase"] == "train"]
            shift = _log_jacobian(job.run_dir) if dataset != BSDS and job.cfg.data.standardize else 0.0
            label = dict(ROWS).get(method, method) + ("" if dataset == BSDS else f", fold {fold}")
            series[label] = (
                [int(r["epoch"]) for r in rows],
                [float(r["valid_loglik"]) - shift for r in rows],
            )
        mog, best_ensemble = PUBLISHED[1][1], PUBLISHED[3][1]
        if dataset in mog:
            lines = {"published RNADE-MoG (test, mean of 10 folds)": mog[dataset]}
        else:
            lines = (
                {"published best ensemble (test)": best_ensemble[dataset]} if dataset in best_ensemble else {}
            )
        out = os.path.join(out_dir, f"rnade_{dataset}.png")
        paths.append(
            curves(series, out, f"{TITLES[dataset]}: validation log-likelihood", "nats per datapoint", lines)
        )
    return paths


def search_by_halving(jobs, run_root: str, args) -> tuple[list, list[dict], list[dict]]:
    """Successive halving of the jobs' grid per method, dataset and fold (:mod:`rnnrnade_pt.halving`): the
    last rung's jobs and summaries, and one record per earlier rung and group with the time its runs took
    (``search_seconds``, for the table's wall time); the rungs' history goes to ``<run_root>/halving.json``.
    """
    from rnnrnade_pt.halving import successive_halving

    groups: dict[str, list] = {}
    for job in jobs:
        groups.setdefault("/".join(map(str, _job_key(job))), []).append(job)
    final, history = successive_halving(groups, eta=args.eta, rungs=args.halving, engine=args.engine,
                                        workers=args.workers, address=args.address, force=args.force,
                                        progress=True)  # fmt: skip
    os.makedirs(run_root, exist_ok=True)
    with open(os.path.join(run_root, "halving.json"), "w", encoding="utf-8") as fh:
        json.dump({"eta": args.eta, "rungs": args.halving, "history": history}, fh, indent=2)
    pairs = [pair for g in groups for pair in final[g]]
    search = []
    for entry in history[:-1]:  # the last rung's runs are the table's own records
        for g, seconds in entry.get("run_seconds", {}).items():
            method, dataset, fold = g.split("/")
            search.append({"name": f"{g} rung {entry['rung']}", "method": method, "dataset": dataset,
                           "fold": int(fold), "search_seconds": seconds})  # fmt: skip
    return [j for j, _ in pairs], [s for _, s in pairs], search


def chosen_points(jobs, summaries) -> dict:
    """Per (method, dataset): the grid point with the best mean validation score over the folds searched,
    as ``(label, config, score)`` (``label``: the job name's grid suffix, ``-K=5-lr=0.05``; ``score``: that
    mean; a failed run scores minus infinity)."""
    points: dict = {}  # (method, dataset) -> label -> (config, validation scores)
    for job, s in zip(jobs, summaries, strict=True):
        method, dataset, fold = _job_key(job)
        label = _point_label(job)
        value = s.get("best_valid_loglik_per_frame")
        value = value if "error" not in s and value is not None and math.isfinite(value) else -math.inf
        points.setdefault((method, dataset), {}).setdefault(label, (job.cfg, []))[1].append(value)
    chosen = {}
    for key, by_label in points.items():
        mean = {lab: sum(scores) / len(scores) for lab, (_, scores) in by_label.items()}
        label = max(mean, key=mean.get)
        chosen[key] = (label, by_label[label][0], mean[label])
    return chosen


def _protocol_json(obj, depth: int = 0) -> str:
    """The protocol file's layout: one key per line, lists of values and the innermost settings (a
    variant's, a chosen point's) on one line each."""

    def leaf(v) -> bool:
        return not isinstance(v, dict | list) or (
            isinstance(v, list) and not any(isinstance(x, dict | list) for x in v)
        )

    if leaf(obj):
        return json.dumps(obj, ensure_ascii=False)
    if isinstance(obj, dict) and depth >= 3 and all(leaf(v) for v in obj.values()):
        return "{" + ", ".join(f"{json.dumps(k)}: {_protocol_json(v)}" for k, v in obj.items()) + "}"
    pad, end = "  " * (depth + 1), "\n" + "  " * depth
    if isinstance(obj, list):
        return "[\n" + ",\n".join(pad + _protocol_json(v, depth + 1) for v in obj) + end + "]"
    lines = [f"{pad}{json.dumps(k)}: {_protocol_json(v, depth + 1)}" for k, v in obj.items()]
    return "{\n" + ",\n".join(lines) + end + "}"


def record_chosen(path: str, chosen: dict, grid: dict, how: str, variant: str | None = None) -> None:
    """Write each (method, dataset)'s chosen point (:func:`chosen_points`) into the protocol file's
    ``chosen``, with its provenance ``searched: <how>; mean validation <score>`` and the date, so that
    ``--chosen`` trains it later without searching again. A search under a protocol ``variant`` records its
    point with that variant, beside the cell's points of other variants (replacing its own earlier one); the
    rest of the file is kept as it was. The file is checked (:func:`load_chosen`) before it replaces the old
    one."""
    import datetime

    from rnnrnade_pt.npz import atomic_write_text, read_json

    spec = read_json(path, "protocol file")
    spec.setdefault("chosen", {})
    spec.setdefault("provenance", {})
    today = datetime.date.today().isoformat()
    for (method, dataset), (_, cfg, score) in sorted(chosen.items()):
        point = {"variant": variant} if variant else {}
        point.update({k: getattr(getattr(cfg, k.split(".")[0]), k.split(".")[1]) for k in grid})
        old = spec["chosen"].setdefault(dataset, {}).get(method, [])
        cell = [p for p in (old if isinstance(old, list) else [old]) if p.get("variant") != variant]
        cell = sorted([*cell, point], key=lambda p: p.get("variant", ""))  # the base point first
        spec["chosen"][dataset][method] = cell if len(cell) > 1 else point
        where = f"chosen.{dataset}.{method}" + (f".{variant}" if variant else "")
        spec["provenance"][where] = (
            f"{SEARCHED} {how}; mean validation {score:.4f} (rnade_tables.py --record-chosen, {today})"
        )
    load_chosen(path, spec)  # a file --chosen can read, or nothing is written
    atomic_write_text(path, _protocol_json(spec) + "\n")


def apply_to_folds(chosen: dict, folds, run_root: str) -> list:
    """The jobs that train each (method, dataset)'s chosen grid point (:func:`chosen_points`) on ``folds``."""
    from rnnrnade_pt.sweep import Job

    jobs = []
    for (method, dataset), (label, cfg, *_) in chosen.items():
        for fold in [] if dataset == BSDS else folds:
            name = f"{method}_{dataset}_fold{fold}{label}"
            jobs.append(Job(name, cfg.with_overrides([("data.fold", fold)]), os.path.join(run_root, name)))
    return jobs


def fold_list(text: str) -> list[int]:
    """``"0,3"`` -> ``[0, 3]``: the argument type of ``--folds`` and ``--select-folds`` (a bad one is
    argparse's one-line usage error)."""
    try:
        folds = [int(f) for f in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"folds must be comma-separated integers, got {text!r}") from None
    if any(not 0 <= f < N_FOLDS for f in folds):
        raise argparse.ArgumentTypeError(f"folds must be in 0..{N_FOLDS - 1}, got {text!r}")
    return folds


def main(argv=None) -> int:
    from rnnrnade_pt.sweep import add_run_arguments, run_jobs, setup_logging
    from rnnrnade_pt.tables import fmt_duration, write_table

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="2 folds, tiny models, few patches, tmp run root"
    )
    parser.add_argument("--configs", action="store_true",
                        help="each dataset's config (configs/rnade/<set>.json) as it is")  # fmt: skip
    parser.add_argument("--sweep", action="store_true", help="every point of configs/rnade/sweep.json's grid")
    parser.add_argument("--protocol", nargs="?", const=PROTOCOL,
                        help="the paper's protocol (default configs/rnade/protocol.json): its fixed settings "
                        "and its grid, chosen per fold on validation; with none of --configs, --sweep and "
                        "--protocol, the default file with --chosen (or the search asked for)")  # fmt: skip
    parser.add_argument(
        "--variant",
        help="a variant of the protocol (e.g. adam, original-code-schedule); "
        "its runs go under <run root>/variant-<name>",
    )
    parser.add_argument("--halving", type=int, metavar="RUNGS",
                        help="search each method, dataset and fold's grid by successive halving in RUNGS "
                        "rungs (rnnrnade_pt.halving; history in <run root>/halving.json)")  # fmt: skip
    parser.add_argument("--eta", type=int, default=3, help="successive halving: keep the best 1/eta per rung")
    parser.add_argument("--chosen", action="store_true",
                        help="no search: train the grid points that the protocol file's 'chosen' holds (an "
                        "earlier search's choice) on every fold")  # fmt: skip
    parser.add_argument("--select-folds", metavar="FOLDS", type=fold_list,
                        help="search the grid on these folds only (comma-separated), then train each "
                        "method and dataset's best point (mean validation) on the others")  # fmt: skip
    parser.add_argument("--record-chosen", action="store_true",
                        help="with --protocol --select-folds: write each method and dataset's chosen point "
                        "into the protocol file's 'chosen', with its provenance, for --chosen")  # fmt: skip
    add_run_arguments(parser, "runs/rnade")
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated subset")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset")
    parser.add_argument("--folds", type=fold_list, help="comma-separated folds (default: all 10; quick: 0,1)")
    parser.add_argument("--no-baselines", action="store_true", help="skip the Gaussian and MoG baselines")
    parser.add_argument("--out", help="write the table here (default: the README block; quick: stdout)")
    parser.add_argument("--figures", metavar="DIR", help="write the validation curves here (default: "
                        "experiments/figures when the table goes to the README)")  # fmt: skip
    args = parser.parse_args(argv)
    setup_logging(args.verbose, logger.name)

    run_root = args.run_root or (tempfile.mkdtemp(prefix="rnade-quick-") if args.quick else "runs/rnade")
    datasets = args.datasets.split(",")
    folds = args.folds
    from rnnrnade_pt.errors import ConfigError

    if sum(map(bool, (args.configs, args.sweep, args.protocol))) > 1:
        raise ConfigError("--configs, --sweep and --protocol are alternatives; pass one")
    if not (args.configs or args.sweep or args.protocol):  # the default: the protocol file's table
        args.protocol = PROTOCOL
        args.chosen = args.chosen or not (args.halving or args.select_folds is not None)
    if args.variant and not args.protocol:
        raise ConfigError("--variant needs --protocol")
    for dataset in datasets:  # before anything trains
        if dataset not in DATASETS:
            raise ConfigError(f"no config for dataset {dataset!r} (datasets: {list(DATASETS)})")
    for method in args.methods.split(","):
        if method not in METHODS:
            raise ConfigError(f"unknown method {method!r}; known: {list(METHODS)}")
    if args.halving and not (args.protocol or args.sweep):
        raise ConfigError("--halving searches a grid: pass --protocol or --sweep")
    fixed, grid = load_protocol(args.protocol, args.variant) if args.protocol else ((), None)
    base_root = run_root
    if args.variant:  # a variant's runs have the base protocol's names: they live apart
        run_root = os.path.join(run_root, f"variant-{args.variant}")
    grid = load_grid() if args.sweep else grid
    select = args.select_folds
    if select is not None and grid is None:
        raise ConfigError("--select-folds chooses a grid point: pass --protocol or --sweep")
    if args.record_chosen and not (args.protocol and select is not None):
        raise ConfigError("--record-chosen writes a search's choice: pass --protocol and --select-folds")
    all_folds = folds if folds is not None else list(QUICK_FOLDS if args.quick else range(N_FOLDS))
    unchosen, chosen, candidates = [], {}, {}
    if args.chosen:
        if not args.protocol or args.halving or select is not None:
            raise ConfigError("--chosen trains the protocol file's chosen points: pass --protocol, no search")
        points, jobs = load_chosen(args.protocol), []
        fixed_of = {args.variant: fixed}  # each variant's settings, read once
        for v in {v for cell in points.values() for v, _ in cell} - set(fixed_of):
            fixed_of[v] = load_protocol(args.protocol, v)[0]
        for dataset in datasets:
            for method in args.methods.split(","):
                # --variant: the cell's base point under that variant; else every point under its own
                mine = [(args.variant or v, p) for v, p in points.get((method, dataset), [])
                        if not args.variant or v is None]  # fmt: skip
                if not mine:
                    unchosen.append(f"{method}_{dataset}")
                for variant, point in mine:
                    root = os.path.join(base_root, f"variant-{variant}") if variant else base_root
                    js = make_jobs(root, [dataset], [method], folds, args.quick, args.time_budget,
                                   args.data_root, point, fixed_of[variant])  # fmt: skip
                    jobs += [j._replace(name=f"{j.name} ({variant})") if variant else j for j in js]
                    candidates.setdefault((method, dataset), []).append((variant, _point_label(js[0])))
        if not jobs:
            raise ConfigError(f"{args.protocol} has no chosen point for {', '.join(unchosen)}")
    else:
        jobs = make_jobs(run_root, datasets, args.methods.split(","), select or folds, args.quick,
                         args.time_budget, args.data_root, grid, fixed)  # fmt: skip
    run = dict(
        engine=args.engine, workers=args.workers, address=args.address, force=args.force, progress=True
    )
    start, search = time.perf_counter(), []
    if args.halving:
        jobs, summaries, search = search_by_halving(jobs, run_root, args)
    else:
        summaries = run_jobs(jobs, **run)
    if select is not None:
        chosen = chosen_points(jobs, summaries)
        if args.record_chosen:
            size = math.prod(len(v) for v in grid.values())
            how = (f"the {size}-point grid on fold{'s' * (len(select) > 1)} {','.join(map(str, select))}"
                   + (f" by successive halving ({args.halving} rungs, eta {args.eta})" if args.halving
                      else ", every point trained")
                   + (f", protocol variant {args.variant}" if args.variant else ""))  # fmt: skip
            record_chosen(args.protocol, chosen, grid, how, args.variant)
            logger.info("recorded the chosen points in %s", args.protocol)
        rest = apply_to_folds(chosen, [f for f in all_folds if f not in select], run_root)
        jobs, summaries = jobs + rest, summaries + run_jobs(rest, **run)
    wall = time.perf_counter() - start
    records = run_records(jobs, summaries) + search
    if not args.no_baselines:
        used = folds if folds is not None else list(QUICK_FOLDS if args.quick else range(N_FOLDS))
        records += baseline_records(datasets, used, run_root, args.data_root, args.quick)
    n_folds = len(folds) if folds else (len(QUICK_FOLDS) if args.quick else N_FOLDS)
    c = jobs[0].cfg if jobs else None
    note = ""
    if c is not None:
        t = c.train
        budget = f", at most {fmt_duration(t.max_seconds)} of training a run" if t.max_seconds else ""
        proto = ""
        halving = (f" Grid searched by successive halving: {args.halving} rungs, the best 1/{args.eta} kept "
                   f"per rung on validation (halving.json)." if args.halving else "")  # fmt: skip
        if args.protocol:
            variant = f" {args.variant}" if args.variant else ""
            proto = f" (protocol {os.path.basename(args.protocol)}{variant}"
            named = ",".join(map(str, select or []))
            where = (f"on folds {named} (best mean validation score), then trained on the "
                     "others" if select is not None else "per fold on validation")  # fmt: skip
            where = "earlier, as the file's 'chosen' records" if args.chosen else where
            proto += f", grid over {', '.join(sorted(grid))} chosen {where})"
        searched = ("K, learning rate and weight decay from the grid" if grid else
                    f"K={c.model.K}, lr {t.lr:g}, weight decay {t.weight_decay:g}")  # fmt: skip
        picks = "; ".join(f"{TITLES[d]} {dict(ROWS).get(m, m)}: {label.lstrip('-')}"
                          for (m, d), (label, *_) in sorted(chosen.items()))  # fmt: skip
        if candidates:  # the chosen points; where a cell has several, how many folds each won on validation
            won = Counter(
                (r["method"].split("/")[0], r["dataset"], r["variant"], r["point"])
                for r in best_per_fold(records).values()
                if "point" in r and r["method"].partition("/")[2] in ("", "1")  # one ensemble size
            )  # fmt: skip
            picks = "; ".join(
                f"{TITLES[d]} {dict(ROWS).get(m, 'RNADE-MoG order-agnostic')}: " + ", ".join(
                    f"{label.lstrip('-')}{f' ({v})' if v else ''}"
                    + (f" [{won[m, d, v, label]} of {1 if d == BSDS else n_folds}]" if len(cands) > 1 else "")
                    for v, label in cands)
                for (m, d), cands in candidates.items()
            )  # fmt: skip
            searched = "K, learning rate and weight decay as 'chosen' holds, a variant's point under it"
        total = sum(r.get("wall_seconds", 0.0) + r.get("search_seconds", 0.0) for r in records)
        searched_time = "the chosen points' runs, no search" if args.chosen else "the search included"
        picks = f" Chosen: {picks}." if picks else ""
        picks += f" No chosen point (not run): {', '.join(unchosen)}." if unchosen else ""
        note = (f"Settings{' (quick run)' if args.quick else ''}: H={c.model.H}"
                f"{' (grid: configs/rnade/sweep.json)' if args.sweep else ''}"
                f"{proto}; {t.optimizer}, {searched} (on {t.weight_decay_on}), batches of "
                f"{t.batch_size}, up to {t.epochs} epochs, early stopping after {t.patience} epochs without "
                f"a better validation score{budget}.{halving}{picks} Time: the runs' own wall time "
                f"{fmt_duration(total)} in all ({searched_time}), this call's "
                f"{fmt_duration(wall)}.")  # fmt: skip
    table = rnade_table(records, n_folds, note)
    figures = args.figures or (None if args.quick or args.out else os.path.join(HERE, "figures"))
    if figures:
        for path in validation_curves(jobs, summaries, figures):
            logger.info("wrote %s", path)
    write_table(table, args.out, args.quick, README, BLOCK)
    errors = [s for s in summaries if "error" in s]
    for s in errors:
        logger.error("%s failed: %s", s["name"], s["error"])
    return 1 if errors else 0


if __name__ == "__main__":
    from rnnrnade_pt.cli import run_reporting_errors

    sys.exit(run_reporting_errors("rnade_tables.py", main))
