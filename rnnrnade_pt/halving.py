"""Successive halving: a budget-aware search over grids of runs, through the same engines as every sweep.

Each *group* is one search (e.g. one method, dataset and fold): a list of jobs, the grid points at the full
budget. Rung ``i`` of ``R + 1`` trains every surviving grid point with ``train.epochs`` cut to
``ceil(epochs * eta**(i - R))`` (at least 1; ``train.patience`` cut likewise), scores it by its best
validation log-likelihood, and keeps the best ``ceil(n / eta)`` of the group's ``n`` for the next rung; the
last rung trains the survivors with the jobs' own configs, in the jobs' own run directories, so that what
comes out is ordinary runs of the full protocol. Every rung of every group goes to
:func:`~rnnrnade_pt.sweep.run_jobs` at once (in parallel with ``engine="dask"``).

The search is resumable: every rung's runs are ordinary run directories (``<run_dir>@e<epochs>`` for the
shortened ones), and :func:`~rnnrnade_pt.sweep.run_job` reuses a finished run of the same config and
resumes an interrupted one, so running the same search again replays the finished rungs from disk and
trains only what is missing. A shortened rung is a run of its own (the learning-rate schedule's horizon is
its ``epochs``), not a prefix of the full run. A failed run scores minus infinity.

References
----------
.. [1] K. Jamieson, A. Talwalkar. "Non-stochastic best arm identification and hyperparameter optimization."
   AISTATS 2016 (successive halving).
.. [2] L. Li, K. Jamieson, G. DeSalvo, A. Rostamizadeh, A. Talwalkar. "Hyperband: A novel bandit-based
   approach to hyperparameter optimization." JMLR 18, 2018.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence

from .errors import ConfigError
from .sweep import Job, run_jobs

__all__ = ["rung_epochs", "successive_halving"]

logger = logging.getLogger(__name__)


def rung_epochs(epochs: int, eta: int, rungs: int) -> list[int]:
    """The epochs of each of ``rungs`` rungs for a full budget of ``epochs``: ``ceil(epochs * eta**(i - R))``
    (at least 1), the last one ``epochs``."""
    last = rungs - 1
    return [max(1, math.ceil(epochs * float(eta) ** (i - last))) for i in range(rungs)]


def _score(summary: dict) -> float:
    value = summary.get("best_valid_loglik_per_frame")
    if "error" in summary or value is None or not math.isfinite(value):
        return -math.inf
    return float(value)


def _shortened(job: Job, epochs: int) -> Job:
    if epochs >= job.cfg.train.epochs:
        return job
    patience = min(job.cfg.train.patience, epochs)
    cfg = job.cfg.with_overrides([("train.epochs", epochs), ("train.patience", patience)])
    return Job(f"{job.name}@e{epochs}", cfg, f"{job.run_dir}@e{epochs}")


def successive_halving(
    groups: Mapping[str, Sequence[Job]],
    eta: int = 3,
    rungs: int = 3,
    engine: str = "local",
    workers: int = 1,
    address: str | None = None,
    force: bool = False,
    progress=None,
) -> tuple[dict[str, list[tuple[Job, dict]]], list[dict]]:
    """Search every group by successive halving (module docstring).

    Parameters
    ----------
    groups : mapping
        Group name -> its jobs (grid points at the full budget; their ``train.epochs`` is the last rung's).
    eta : int
        Keep the best ``ceil(n / eta)`` of a group's ``n`` runs after each rung (at least 2).
    rungs : int
        Number of rungs (1: every job at the full budget, an ordinary grid).
    engine, workers, address, force, progress
        As :func:`~rnnrnade_pt.sweep.run_jobs`.

    Returns
    -------
    final : dict
        Group -> ``[(job, summary), ...]`` of its last rung (the full-budget runs).
    history : list of dict
        One entry per rung: ``rung``, ``runs``, ``trained`` (not reused), ``wall_seconds`` (this call's),
        per group the names kept and ``run_seconds``, the rung's runs' own wall time (when they were
        trained, reused ones included).

    Raises
    ------
    ConfigError
        ``eta < 2``, ``rungs < 1``, an empty group, or a job name repeated across groups.
    """
    if isinstance(eta, bool) or not isinstance(eta, int) or eta < 2:
        raise ConfigError(f"successive halving needs an integer eta >= 2, got {eta!r}")
    if isinstance(rungs, bool) or not isinstance(rungs, int) or rungs < 1:
        raise ConfigError(f"successive halving needs an integer number of rungs >= 1, got {rungs!r}")
    empty = [g for g, jobs in groups.items() if not jobs]
    if empty:
        raise ConfigError(f"successive halving: group(s) {empty} have no jobs")
    alive = {g: list(jobs) for g, jobs in groups.items()}
    history: list[dict] = []
    final: dict[str, list[tuple[Job, dict]]] = {}
    for rung in range(rungs):
        batch = []  # (group, full job, job of this rung)
        for g, jobs in alive.items():
            for job in jobs:
                epochs = rung_epochs(job.cfg.train.epochs, eta, rungs)[rung]
                batch.append((g, job, _shortened(job, epochs)))
        start = time.perf_counter()
        summaries = run_jobs(
            [b[2] for b in batch],
            engine=engine,
            workers=workers,
            address=address,
            force=force,
            progress=progress,
        )
        entry = {
            "rung": rung,
            "runs": len(batch),
            "trained": sum(not s.get("reused") for s in summaries),
            "wall_seconds": round(time.perf_counter() - start, 1),
            "kept": {},
        }
        by_group: dict[str, list[tuple[Job, Job, dict]]] = {}
        for (g, job, ran), s in zip(batch, summaries, strict=True):
            by_group.setdefault(g, []).append((job, ran, s))
        for g, results in by_group.items():
            entry.setdefault("run_seconds", {})[g] = round(
                sum(r[2].get("wall_seconds", 0.0) for r in results), 1
            )
            if rung == rungs - 1:
                final[g] = [(ran, s) for _, ran, s in results]
                continue
            ranked = sorted(results, key=lambda r: _score(r[2]), reverse=True)
            keep = ranked[: max(1, math.ceil(len(ranked) / eta))]
            alive[g] = [job for job, _, _ in keep]
            entry["kept"][g] = [job.name for job in alive[g]]
        history.append(entry)
        logger.info(
            "successive halving: rung %d of %d trained %d of %d runs in %.0f s",
            rung + 1,
            rungs,
            entry["trained"],
            entry["runs"],
            entry["wall_seconds"],
        )
    return final, history
