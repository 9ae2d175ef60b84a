"""The RNADE paper's protocol file and the choice of grid points on validation.

The protocol file (``experiments/configs/rnade/protocol.json``) holds the settings every run gets
(``fixed``), the grid searched per fold (``grid``), named ``variants`` of both, the points a search has
chosen (``chosen``) and where every value comes from (``provenance``). This module reads and checks it
(:func:`load_protocol`, :func:`load_chosen`), makes the runs of its chosen points (:func:`chosen_jobs`),
chooses a grid point over the folds searched (:func:`chosen_points`) and trains it on the others
(:func:`apply_to_folds`), records that choice in the file (:func:`record_chosen`), and chooses per fold the
record with the best validation score (:func:`best_per_fold`). The file and the dataset configs beside it
are the experiment's, not the package's: every function that reads them takes their paths (``path``,
``config_dir``).

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
.. [2] B. Uria, I. Murray, H. Larochelle. "A deep and tractable density estimator." ICML 2014 (order-agnostic
   training, ensembles over orderings).
"""

from __future__ import annotations

import datetime
import json
import math
import os

from .config import RunConfig
from .errors import ConfigError
from .npz import atomic_write_text, read_json
from .rnade_runs import BSDS, DATASETS, METHODS, job_key, make_jobs, point_label
from .sweep import Job

__all__ = [
    "load_protocol",
    "load_chosen",
    "record_chosen",
    "chosen_jobs",
    "chosen_points",
    "apply_to_folds",
    "best_per_fold",
]

PROTOCOL_KEYS = {"name", "description", "fixed", "grid", "variants", "chosen", "provenance"}
PROVENANCE = ("paper:", "original code:", "guess:")
SEARCHED = "searched:"  # the provenance of a chosen point: this project's own search, where and how
CHOSEN_BY = (SEARCHED, "guess:")  # ... or a point no search chose (said why)


def load_protocol(path: str | os.PathLike, variant: str | None = None, *, config_dir: str | os.PathLike):
    """The paper's protocol from the protocol file, with a variant's replacements.

    Every key must say where its value comes from (``provenance``: ``paper``, ``original code`` or
    ``guess``) and be a valid override of every dataset config.

    Parameters
    ----------
    path : str or os.PathLike
        The protocol file (``configs/rnade/protocol.json``).
    variant : str, optional
        A variant of the file's ``variants``: its ``fixed`` and ``grid`` replace the base ones.
    config_dir : str or os.PathLike
        The directory of the dataset configs ``<dataset>.json`` the overrides are checked against.

    Returns
    -------
    fixed : list of (str, value)
        The overrides every dataset config gets.
    grid : dict
        The grid searched per fold (key -> values).

    Raises
    ------
    ConfigError
        The file is missing or not JSON, an unknown key or variant, a key without provenance, or an
        override the configs reject (one line).
    """
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
        with open(os.path.join(config_dir, f"{dataset}.json"), encoding="utf-8") as fh:
            base = RunConfig.from_json(fh.read())
        base.with_overrides(list(fixed.items()) + [(k, v[0]) for k, v in grid.items()])  # raises if invalid
    return list(fixed.items()), grid


def load_chosen(path: str | os.PathLike, spec: dict | None = None, *, config_dir: str | os.PathLike) -> dict:
    """The grid points a search has chosen: the protocol file's ``chosen``.

    ``chosen`` maps dataset -> method -> a point ``{grid key: value}``, or a list of candidate points. A
    point may name the protocol ``variant`` it was searched and is trained under (``"variant": NAME``; at
    most one point per variant and cell); where a cell has several, every fold trains each and the one with
    the best validation score counts, as a grid point would. Each point says where it comes from
    (provenance ``chosen.<dataset>.<method>[.<variant>]``, starting ``searched:``: which folds, which
    search, its validation score; or ``guess:``, a point no search chose).

    Parameters
    ----------
    path : str or os.PathLike
        The protocol file.
    spec : dict, optional
        The file's contents as they are about to be written (checked against the file's grid); default:
        the file's.
    config_dir : str or os.PathLike
        The directory of the dataset configs (see :func:`load_protocol`).

    Returns
    -------
    dict
        ``{(method, dataset): [(variant, {key: [value]}), ...]}``: each point a one-point grid in the
        grid's key order, so that its runs are named, and cached, as the search's own.

    Raises
    ------
    ConfigError
        A point for an unknown dataset, method or variant, a key that is not the grid's, two points of one
        variant, or no provenance (one line).
    """
    spec = read_json(path, "protocol file") if spec is None else spec
    _, grid = load_protocol(path, config_dir=config_dir)
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


def record_chosen(
    path: str | os.PathLike,
    chosen: dict,
    grid: dict,
    how: str,
    variant: str | None = None,
    *,
    config_dir: str | os.PathLike,
) -> None:
    """Write each (method, dataset)'s chosen point into the protocol file's ``chosen``.

    Each point gets its provenance ``searched: <how>; mean validation <score>`` and the date, so that a
    later call trains it without searching again. A search under a protocol ``variant`` records its point
    with that variant, beside the cell's points of other variants (replacing its own earlier one); the rest
    of the file is kept as it was. The file is checked (:func:`load_chosen`) before it replaces the old one.

    Parameters
    ----------
    path : str or os.PathLike
        The protocol file.
    chosen : dict
        ``(method, dataset) -> (label, config, score)``, as :func:`chosen_points` returns.
    grid : dict
        The grid searched: its keys are the point's.
    how : str
        How the points were searched (the provenance's words).
    variant : str, optional
        The protocol variant the search ran under.
    config_dir : str or os.PathLike
        The directory of the dataset configs (see :func:`load_protocol`).

    Raises
    ------
    ConfigError
        The file as it would be written fails :func:`load_chosen` (nothing is written).
    """
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
    load_chosen(path, spec, config_dir=config_dir)  # a file --chosen can read, or nothing is written
    atomic_write_text(path, _protocol_json(spec) + "\n")


def chosen_jobs(
    path: str | os.PathLike,
    run_root: str,
    datasets,
    methods,
    folds=None,
    quick=False,
    time_budget=None,
    data_root=None,
    variant: str | None = None,
    fixed=(),
    *,
    config_dir: str | os.PathLike,
) -> tuple[list, dict, list[str]]:
    """The runs of the protocol file's chosen points (:func:`load_chosen`) on every fold, no search.

    Each point trains under the protocol variant it names, in ``<run_root>/variant-<name>`` (a base point
    in ``run_root``), its job name suffixed ``" (<variant>)"``; with ``variant``, each cell's base point
    trains under that variant instead and the other variants' points are left out.

    Parameters
    ----------
    path : str or os.PathLike
        The protocol file.
    run_root : str
        The base protocol's run root.
    datasets, methods, folds, quick, time_budget, data_root
        As :func:`make_jobs`.
    variant : str, optional
        The protocol variant asked for.
    fixed : sequence of (str, value)
        That variant's (or the base protocol's) fixed settings, as :func:`load_protocol` gave them.
    config_dir : str or os.PathLike
        The directory of the dataset configs.

    Returns
    -------
    jobs : list of Job
    candidates : dict
        ``(method, dataset) -> [(variant, point label), ...]``: the points of each cell.
    unchosen : list of str
        ``<method>_<dataset>`` of the cells without a chosen point (not run).

    Raises
    ------
    ConfigError
        The file is bad (:func:`load_chosen`), or no cell asked for has a chosen point.
    """
    points, jobs = load_chosen(path, config_dir=config_dir), []
    unchosen, candidates = [], {}
    fixed_of = {variant: fixed}  # each variant's settings, read once
    for v in {v for cell in points.values() for v, _ in cell} - set(fixed_of):
        fixed_of[v] = load_protocol(path, v, config_dir=config_dir)[0]
    for dataset in datasets:
        for method in methods:
            # a variant asked for: the cell's base point under that variant; else every point under its own
            mine = [
                (variant or v, p) for v, p in points.get((method, dataset), []) if not variant or v is None
            ]
            if not mine:
                unchosen.append(f"{method}_{dataset}")
            for var, point in mine:
                root = os.path.join(run_root, f"variant-{var}") if var else run_root
                js = make_jobs(
                    root,
                    [dataset],
                    [method],
                    folds,
                    quick,
                    time_budget,
                    data_root,
                    point,
                    fixed_of[var],
                    config_dir=config_dir,
                )
                jobs += [j._replace(name=f"{j.name} ({var})") if var else j for j in js]
                candidates.setdefault((method, dataset), []).append((var, point_label(js[0])))
    if not jobs:
        raise ConfigError(f"{path} has no chosen point for {', '.join(unchosen)}")
    return jobs, candidates, unchosen


def chosen_points(jobs, summaries) -> dict:
    """Per (method, dataset): the grid point with the best mean validation score over the folds searched.

    Returns
    -------
    dict
        ``(method, dataset) -> (label, config, score)``: ``label`` the job name's grid suffix
        (``-K=5-lr=0.05``), ``score`` the mean validation score (a failed run scores minus infinity).
    """
    points: dict = {}  # (method, dataset) -> label -> (config, validation scores)
    for job, s in zip(jobs, summaries, strict=True):
        method, dataset, fold = job_key(job)
        label = point_label(job)
        value = s.get("best_valid_loglik_per_frame")
        value = value if "error" not in s and value is not None and math.isfinite(value) else -math.inf
        points.setdefault((method, dataset), {}).setdefault(label, (job.cfg, []))[1].append(value)
    chosen = {}
    for key, by_label in points.items():
        mean = {lab: sum(scores) / len(scores) for lab, (_, scores) in by_label.items()}
        label = max(mean, key=mean.get)
        chosen[key] = (label, by_label[label][0], mean[label])
    return chosen


def apply_to_folds(chosen: dict, folds, run_root: str) -> list:
    """The jobs that train each (method, dataset)'s chosen grid point (:func:`chosen_points`) on ``folds``
    (BSDS300, one split, has none)."""
    jobs = []
    for (method, dataset), (label, cfg, *_) in chosen.items():
        for fold in [] if dataset == BSDS else folds:
            name = f"{method}_{dataset}_fold{fold}{label}"
            jobs.append(Job(name, cfg.with_overrides([("data.fold", fold)]), os.path.join(run_root, name)))
    return jobs


def best_per_fold(records) -> dict:
    """Of each method, dataset and fold's records (grid points, chosen candidates), the one with the best
    validation score; failures and search rungs skipped.

    Parameters
    ----------
    records : iterable of dict
        Records with ``method``, ``dataset``, ``fold``, ``loglik`` and ``valid`` (or ``error``; a search
        rung's have no ``loglik``), as :mod:`rnnrnade_pt.rnade_records` makes them.

    Returns
    -------
    dict
        ``(method, dataset, fold) -> record``.
    """
    best: dict = {}
    for r in records:
        if "error" in r or "loglik" not in r:  # a failure, or a search rung's time
            continue
        key = (r["method"], r["dataset"], r["fold"])
        if key not in best or r["valid"] > best[key]["valid"]:
            best[key] = r
    return best
