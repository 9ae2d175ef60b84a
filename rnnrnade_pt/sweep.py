"""Many training runs at once: one experiment's list of runs, or a grid of configurations, trained and
evaluated one after another or in parallel through Dask distributed, on this machine or a cluster.

Every run is :func:`~rnnrnade_pt.runs.train_and_evaluate` of one :class:`~rnnrnade_pt.config.RunConfig`
in its own run directory, so a sweep's runs are ordinary runs (``rnnrnade eval``, ``sample`` and ``plot``
read them) and a finished run is never trained twice: a run directory holding ``results.json`` for the same
config is reused, one holding ``last.npz`` of the same config is resumed.

A sweep file is JSON::

    {"name": "mocap", "base": "mocap.json", "grid": {"model.H": [50, 100], "train.lr": [1e-3, 1e-4]}}

``base`` is a run config (a path relative to the sweep file, or the config itself); ``grid`` maps override
keys (as on the command line: ``model.K``, ``train.weight_decay``, ``train.seed``) to lists of values; the
runs are their cartesian product.

The parallel engine is Dask distributed (``pip install -e ".[parallel]"``): ``engine="dask"`` starts a
``LocalCluster`` of ``workers`` single-threaded processes, or connects to the scheduler at ``address``
(``tcp://host:8786``) of a cluster started with ``dask scheduler`` / ``dask worker`` (every worker needs this
package and the data under the same paths), unchanged.

References
----------
.. [1] Dask Development Team. "Dask: Library for dynamic task scheduling", https://dask.org (distributed).
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from .config import RunConfig
from .errors import ConfigError, RnnRnadeError
from .npz import read_json

__all__ = ["Job", "expand_grid", "load_sweep", "stored_results", "stored_summaries", "run_job", "run_jobs",
           "add_run_arguments", "setup_logging"]  # fmt: skip

logger = logging.getLogger(__name__)

ENGINES = ("local", "dask")


class Job(NamedTuple):
    """One training run: its name (a row of a table), config and run directory."""

    name: str
    cfg: RunConfig
    run_dir: str


def _value_label(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "+".join(str(v) for v in value) or "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


def expand_grid(base: RunConfig, grid: dict[str, Sequence], name: str) -> list[tuple[str, RunConfig]]:
    """The cartesian product of ``grid`` applied to ``base``: ``[(name-K=5-lr=0.01, config), ...]``.

    Keys are override keys (``model.K`` or a bare ``K`` when one section has it); every value list must be
    non-empty. Each config is validated here, so a bad grid fails before anything is trained.
    """
    if not isinstance(grid, dict):
        raise ConfigError(f"a sweep grid must be an object of key -> list of values, got {grid!r}")
    for key, values in grid.items():
        if not isinstance(values, (list, tuple)) or not values:
            raise ConfigError(f"sweep grid entry {key!r} must be a non-empty list of values, got {values!r}")
    keys = list(grid)
    out = []
    for combo in itertools.product(*(grid[k] for k in keys)):
        label = "-".join(
            f"{k.rsplit('.', 1)[-1]}={_value_label(v)}" for k, v in zip(keys, combo, strict=True)
        )
        out.append(
            (f"{name}-{label}" if label else name, base.with_overrides(list(zip(keys, combo, strict=True))))
        )
    return out


def load_sweep(path: str | os.PathLike, run_root: str | os.PathLike) -> list[Job]:
    """The jobs of a sweep file (see the module docstring), each in ``run_root/<job name>``."""
    spec = read_json(path, "sweep file")
    if not isinstance(spec, dict) or "base" not in spec:
        raise ConfigError(f"sweep file {path} must be an object with 'base' (a run config) and 'grid'")
    unknown = sorted(set(spec) - {"name", "base", "grid", "description"})
    if unknown:
        raise ConfigError(
            f"sweep file {path}: unknown key(s) {unknown}; known: base, grid, name, description"
        )
    base = spec["base"]
    if isinstance(base, str):
        base_path = os.path.join(os.path.dirname(os.path.abspath(path)), base)
        try:
            with open(base_path, encoding="utf-8") as fh:
                base = RunConfig.from_json(fh.read())
        except FileNotFoundError:
            raise ConfigError(f"sweep file {path}: base config {base_path} does not exist") from None
    else:
        base = RunConfig.from_dict(base)
    name = spec.get("name") or os.path.splitext(os.path.basename(path))[0]
    grid = expand_grid(base, spec.get("grid", {}), name)
    return [Job(n, cfg, os.path.join(os.fspath(run_root), n)) for n, cfg in grid]


def _same_config(run_dir: str, cfg: RunConfig) -> bool:
    """Whether ``run_dir`` holds a run of ``cfg``; a pretrained RNADE's path counts by the file it names, so
    a run root of symbolic links to runs trained elsewhere still matches."""

    def canonical(c: RunConfig) -> RunConfig:
        path = c.train.pretrained_rnade
        return c.with_overrides([("train.pretrained_rnade", os.path.realpath(path))]) if path else c

    try:
        with open(os.path.join(run_dir, "config.json"), encoding="utf-8") as fh:
            return canonical(RunConfig.from_json(fh.read())) == canonical(cfg)
    except (OSError, RnnRnadeError):
        return False


def stored_results(job: Job) -> dict | None:
    """The results the job's run directory already holds for the job's config (``reused: True``), or None."""
    results = os.path.join(job.run_dir, "results.json")
    if not (os.path.exists(results) and _same_config(job.run_dir, job.cfg)):
        return None
    with open(results, encoding="utf-8") as fh:
        return {**json.load(fh), "name": job.name, "reused": True}


def interrupted_results(job: Job) -> dict | None:
    """The results of a run that stopped before its end (a signal, a session's end: ``best.npz`` and
    ``metrics.csv``, no ``results.json``, the job's config): its best checkpoint evaluated on the whole test
    split as it stands, with ``stopped: "interrupted"``, its epochs, training seconds and best validation
    score from ``metrics.csv``; None for any other run directory. Writes nothing: the run can still resume.
    """
    from .data.datasets import load_dataset
    from .metrics import read_metrics
    from .runs import evaluate_run, load_run, n_params

    run_dir = job.run_dir
    if os.path.exists(os.path.join(run_dir, "results.json")) or not _same_config(run_dir, job.cfg):
        return None
    if not os.path.exists(os.path.join(run_dir, "best.npz")):
        return None
    rows = [r for r in read_metrics(run_dir) if r["phase"] == "train"]
    if not rows:
        return None
    test = load_dataset(job.cfg.data).get("test")
    seconds = float(rows[-1]["seconds"])
    out = {"name": job.name, "run": run_dir, "model": job.cfg.model.model, "stopped": "interrupted",
           "epochs": int(rows[-1]["epoch"]), "seconds": seconds, "wall_seconds": seconds,
           "best_valid_loglik_per_frame": max(float(r["valid_loglik"]) for r in rows),
           "n_params": n_params(job.cfg.model), "reused": True}  # fmt: skip
    if test:
        out["test"] = evaluate_run(load_run(run_dir, "best"), test)
    return out


def stored_summaries(jobs: Sequence[Job], interrupted: bool = False) -> dict:
    """What an experiment script's ``--table-only`` shows: the jobs' stored results (name -> summary, see
    :func:`stored_results`; :func:`~rnnrnade_pt.tables.not_run_note` names the others); trains nothing.
    ``interrupted``: runs that stopped before their end count too (:func:`interrupted_results`).

    Raises
    ------
    ConfigError
        No job has results (one line: the table would be empty).
    """
    done = {j.name: s for j in jobs if (s := stored_results(j)) is not None}
    if interrupted:
        done.update({j.name: s for j in jobs if j.name not in done and (s := interrupted_results(j))})
    if jobs and not done:
        root = os.path.dirname(os.path.normpath(jobs[0].run_dir))
        raise ConfigError(f"no run under {root} has results for these configs; train them first")
    return done


def run_job(
    name: str, cfg_json: str, run_dir: str, force: bool = False, provenance: dict | None = None
) -> dict:
    """Train and evaluate one job (what every engine runs, in this process or a Dask worker).

    The config travels as JSON, so a worker needs nothing but this package. Returns the
    :func:`~rnnrnade_pt.runs.train_and_evaluate` summary with ``name`` added, the stored one when the run
    directory already holds results of the same config (``reused: True``), or ``{"name", "run", "error"}``
    with a one-line message when the run fails as runs can (this package's errors: a bad config, missing or
    bad data, a diverged run), so that one such job does not stop a sweep. The failure is not stored: the
    next sweep tries the job again. Any other exception is a bug: it propagates, with its traceback, and
    stops the sweep. ``provenance``: the sweep's caller's (:func:`~rnnrnade_pt.provenance.current`), recorded
    in the run directory when it trains.
    """
    from .runs import train_and_evaluate

    cfg = RunConfig.from_json(cfg_json)
    results = os.path.join(run_dir, "results.json")
    try:
        if not force and (stored := stored_results(Job(name, cfg, run_dir))) is not None:
            return stored
        if os.path.isdir(run_dir) and os.listdir(run_dir) and not _same_config(run_dir, cfg):
            if not force:
                raise ConfigError(f"{run_dir} holds a run of another config; remove it or pass force")
            import shutil

            shutil.rmtree(run_dir)
        resume = os.path.exists(os.path.join(run_dir, "last.npz")) and not os.path.exists(results)
        summary = train_and_evaluate(cfg, run_dir, resume=resume, provenance=provenance)
        return {**summary, "name": name, "reused": False}
    except RnnRnadeError as e:  # an expected failure; anything else is a bug and stops the sweep
        logger.error("run %s failed: %s", name, e)
        return {"name": name, "run": run_dir, "error": str(e).splitlines()[0]}


def run_jobs(
    jobs: Sequence[Job],
    engine: str = "local",
    workers: int = 1,
    address: str | None = None,
    force: bool = False,
    progress: Callable[[dict], None] | bool | None = None,
) -> list[dict]:
    """Train and evaluate every job; the summaries in job order (see :func:`run_job`).

    Parameters
    ----------
    engine : {"local", "dask"}
        One after another in this process, or in parallel through Dask distributed.
    workers : int
        Dask: processes of the local cluster (one thread each; PyTensor's C code is single-threaded here).
    address : str, optional
        Dask: the scheduler of an existing cluster (``tcp://host:8786``) instead of a local one.
    force : bool
        Retrain runs whose directory already holds results of the same config.
    progress : callable, optional
        Called with each summary as it arrives (e.g. to print a line); ``True`` logs them.
    """
    if engine not in ENGINES:
        raise ConfigError(f"engine must be one of {list(ENGINES)}, got {engine!r}")
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ConfigError(f"workers must be a positive integer, got {workers!r}")
    names = [j.name for j in jobs]
    if len(set(names)) != len(names):
        raise ConfigError(
            f"job names must be unique, got {sorted(n for n in set(names) if names.count(n) > 1)}"
        )

    def report(summary: dict) -> dict:
        if callable(progress):
            progress(summary)
        elif progress:
            logger.info("finished %s: %s", summary["name"], summary.get("error") or summary.get("test"))
        return summary

    from .provenance import current

    prov = current()  # this process's command and commit, not a worker's
    args = [(j.name, j.cfg.to_json(), os.fspath(j.run_dir), force, prov) for j in jobs]
    if engine == "local":
        return [report(run_job(*a)) for a in args]
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ConfigError('engine "dask" needs Dask distributed: pip install -e ".[parallel]"') from None
    cluster = None
    if address is None:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
    try:
        with Client(address or cluster) as client:
            futures = [client.submit(run_job, *a, key=f"run-{a[0]}", pure=False) for a in args]
            index = {f.key: i for i, f in enumerate(futures)}
            out: list[dict | None] = [None] * len(futures)
            for future in as_completed(futures):
                out[index[future.key]] = report(future.result())
            return out  # type: ignore[return-value]
    finally:
        if cluster is not None:
            cluster.close()


def add_run_arguments(parser: argparse.ArgumentParser, default_run_root: str) -> None:
    """Add the flags every experiment script shares to ``parser``.

    ``--engine``, ``--workers``, ``--address`` and ``--force`` (the options of :func:`run_jobs`),
    ``--time-budget`` (seconds of training per run, ``train.max_seconds``), ``--run-root`` (where the run
    directories go; ``default_run_root`` names the script's default in the help), ``--data-root`` and
    ``-v/--verbose`` (see :func:`setup_logging`).
    """
    parser.add_argument("--engine", choices=list(ENGINES), default="local")
    parser.add_argument("--workers", type=int, default=1, help="Dask processes (engine dask)")
    parser.add_argument("--address", help="scheduler of an existing Dask cluster (tcp://host:8786)")
    parser.add_argument("--time-budget", type=float, help="seconds of training per run (train.max_seconds)")
    parser.add_argument(
        "--run-root", help=f"where the run directories go (default {default_run_root}; quick: a tmp dir)"
    )
    parser.add_argument("--data-root", help="the data directory (default: $RNNRNADE_DATA)")
    parser.add_argument("--force", action="store_true", help="retrain runs that already have results")
    parser.add_argument("-v", "--verbose", action="store_true")


def setup_logging(verbose: bool, *names: str) -> None:
    """An experiment script's logging: warnings and errors as bare messages; with ``verbose`` also the
    INFO messages of this package and of the loggers ``names`` (the script's own)."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if verbose:
        for name in ("rnnrnade_pt", *names):
            logging.getLogger(name).setLevel(logging.INFO)
