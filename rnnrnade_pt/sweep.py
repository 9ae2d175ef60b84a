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

A worker that dies (killed, out of memory) loses at most its run's ``train.checkpoint_seconds`` of
training: the scheduler hands the tasks it held to the other workers, a local cluster's nanny starts a new
worker process, and the run resumes from its ``last.npz`` (its lock, a ``flock``, died with the process; its
``provenance.json`` lists the new session under ``resumed``). The scheduler lets a task's workers die
``distributed.scheduler.allowed-failures`` times (Dask's default 3, counting every task queued on a dying
worker, started or not; a local cluster here :data:`ALLOWED_FAILURES`, set for that cluster only; an existing
cluster keeps its own) before it gives up on it: that job is then an error row (and its tasks too), the
rest of the table goes on.

Follow-up tasks (:class:`Task`, :func:`run_tasks`): work on a finished run that is not training, such as
the RNN-RBM's test-time AIS estimates, goes through the same sweep. A task names a job (``after``) and a
callable with its arguments; it runs once that job has finished, on Dask on any worker as soon as the job's
run is trained (submitted with the job's future as an argument), locally right after its job. Its record
(:func:`run_task`: the callable's return value, or a one-line error for this package's errors and for a job
that failed) comes back by the task's name; it counts in the progress like a job.

Progress (:class:`~rnnrnade_pt.sweep_progress.Progress`): as each job or task finishes, the caller's
``progress`` gets its record and the counts done, running and left, the time elapsed and an estimate of the
time left; :func:`format_progress` makes them the line an experiment script prints.

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
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from .config import RunConfig
from .errors import ConfigError, RnnRnadeError
from .npz import read_json
from .sweep_progress import Progress, Tally, format_progress, reporter

__all__ = [
    "Job",
    "Task",
    "Outcome",
    "Progress",
    "expand_grid",
    "load_sweep",
    "stored_results",
    "stored_summaries",
    "run_job",
    "run_task",
    "run_jobs",
    "run_tasks",
    "format_progress",
    "add_run_arguments",
    "setup_logging",
]

logger = logging.getLogger(__name__)

ENGINES = ("local", "dask")
ALLOWED_FAILURES = 10  # Dask, local cluster: how often a task's workers may die before it fails
STARTED = {"train.lock", "provenance.json"}  # what a run killed before its config.json leaves behind


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
    out = {
        "name": job.name,
        "run": run_dir,
        "model": job.cfg.model.model,
        "stopped": "interrupted",
        "epochs": int(rows[-1]["epoch"]),
        "seconds": seconds,
        "wall_seconds": seconds,
        "best_valid_loglik_per_frame": max(float(r["valid_loglik"]) for r in rows),
        "n_params": n_params(job.cfg.model),
        "reused": True,
    }
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
    in the run directory when it trains, dated when this run starts.
    """
    from .runs import train_and_evaluate

    cfg = RunConfig.from_json(cfg_json)
    results = os.path.join(run_dir, "results.json")
    try:
        if not force and (stored := stored_results(Job(name, cfg, run_dir))) is not None:
            return stored
        started = set(os.listdir(run_dir)) - STARTED if os.path.isdir(run_dir) else set()
        # a run of another config is replaced only when forced; a finished one retrained when forced starts
        # from an empty directory (its provenance, curves and checkpoints are the new run's alone)
        if started and (not _same_config(run_dir, cfg) or (force and os.path.exists(results))):
            if not force:
                raise ConfigError(f"{run_dir} holds a run of another config; remove it or pass force")
            import shutil

            shutil.rmtree(run_dir)
        resume = os.path.exists(os.path.join(run_dir, "last.npz")) and not os.path.exists(results)
        if provenance is not None:  # the caller's command and commit, and the date this run starts, not the
            provenance = {**provenance, "date": time.strftime("%Y-%m-%dT%H:%M:%S%z")}  # sweep's (it queued)
        summary = train_and_evaluate(cfg, run_dir, resume=resume, provenance=provenance)
        return {**summary, "name": name, "reused": False}
    except RnnRnadeError as e:  # an expected failure; anything else is a bug and stops the sweep
        logger.error("run %s failed: %s", name, e)
        return {"name": name, "run": run_dir, "error": str(e).splitlines()[0]}


class Task(NamedTuple):
    """A follow-up of a training job: ``fn(*args, **kwargs)``, run once the job named ``after`` has finished
    (see the module docstring). ``fn`` must pickle by reference for Dask: a module-level function."""

    name: str
    after: str
    fn: Callable[..., Any]
    args: tuple = ()
    kwargs: dict | None = None


class Outcome(NamedTuple):
    """What :func:`run_tasks` returns: the jobs' summaries in job order, the tasks' records by task name."""

    summaries: list[dict]
    tasks: dict[str, dict]


def run_task(
    name: str,
    after: str,
    fn: Callable[..., Any],
    args: tuple = (),
    kwargs: dict | None = None,
    summary: dict | None = None,
) -> dict:
    """Run one follow-up task (what every engine runs, in this process or a Dask worker, once the job
    ``after`` has finished with ``summary``).

    Returns ``{"name", "after", "result", "seconds"}`` (``result``: what ``fn(*args, **kwargs)`` returned),
    or ``{"name", "after", "error"}`` with a one-line message when the job failed (the task is not run) or
    ``fn`` raised this package's error (:class:`~rnnrnade_pt.errors.RnnRnadeError`). Any other exception
    is a bug: it propagates and stops the sweep.
    """
    if summary is not None and "error" in summary:
        return {"name": name, "after": after, "error": f"not run: {after} failed ({summary['error']})"}
    start = time.perf_counter()
    try:
        result = fn(*args, **(kwargs or {}))
    except RnnRnadeError as e:
        logger.error("task %s failed: %s", name, e)
        return {"name": name, "after": after, "error": (str(e) or type(e).__name__).splitlines()[0]}
    return {"name": name, "after": after, "result": result, "seconds": round(time.perf_counter() - start, 1)}


def run_jobs(
    jobs: Sequence[Job],
    engine: str = "local",
    workers: int = 1,
    address: str | None = None,
    force: bool = False,
    progress: Callable[..., None] | bool | None = None,
) -> list[dict]:
    """Train and evaluate every job; the summaries in job order (see :func:`run_job`).

    :func:`run_tasks` without follow-up tasks; the parameters are its.
    """
    return run_tasks(jobs, (), engine, workers, address, force, progress).summaries


def run_tasks(
    jobs: Sequence[Job],
    tasks: Sequence[Task] = (),
    engine: str = "local",
    workers: int = 1,
    address: str | None = None,
    force: bool = False,
    progress: Callable[..., None] | bool | None = None,
) -> Outcome:
    """Train and evaluate every job and run every follow-up task, each task once its job has finished.

    Parameters
    ----------
    jobs : sequence of Job
        Their names unique.
    tasks : sequence of Task
        Follow-ups (see :func:`run_task`), each after a job of ``jobs`` (``after``); their names unique
        among the jobs' and theirs.
    engine : {"local", "dask"}
        One after another in this process (a job, then its tasks), or in parallel through Dask distributed.
    workers : int
        Dask: processes of the local cluster (one thread each; PyTensor's C code is single-threaded here).
    address : str, optional
        Dask: the scheduler of an existing cluster (``tcp://host:8786``) instead of a local one.
    force : bool
        Retrain runs whose directory already holds results of the same config.
    progress : callable or bool, optional
        Called as each job or task finishes, with its record (a job's summary, a task's record) and, if it
        takes a second argument, the sweep's :class:`Progress` (:func:`format_progress` makes it a line);
        ``True`` logs that line at INFO.

    Returns
    -------
    Outcome
        ``summaries``: the jobs' (see :func:`run_job`) in job order; ``tasks``: task name -> record (see
        :func:`run_task`). A job whose Dask workers died more than ``allowed-failures`` times is an error
        record, and so are its tasks.
    """
    if engine not in ENGINES:
        raise ConfigError(f"engine must be one of {list(ENGINES)}, got {engine!r}")
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ConfigError(f"workers must be a positive integer, got {workers!r}")
    tasks = [Task(*t) for t in tasks]
    names = [j.name for j in jobs] + [t.name for t in tasks]
    if len(set(names)) != len(names):
        raise ConfigError(
            f"job and task names must be unique, got {sorted(n for n in set(names) if names.count(n) > 1)}"
        )
    for t in tasks:
        if t.after not in names[: len(jobs)]:
            raise ConfigError(f"task {t.name!r} follows {t.after!r}, which is not a job of this sweep")
        if not callable(t.fn):
            raise ConfigError(f"task {t.name!r}: fn must be callable, got {t.fn!r}")
    report, tally = reporter(progress), Tally(jobs, tasks)

    from .provenance import current

    prov = current()  # this process's command and commit, not a worker's
    args = [(j.name, j.cfg.to_json(), os.fspath(j.run_dir), force, prov) for j in jobs]
    if engine == "dask":
        # finished runs are read here, not sent to a worker: they count as done at once, and the estimate
        # of the time left is over the runs still to train (a worker sees the same files; if it does not,
        # stored_results finds nothing here and the worker reuses the run itself)
        done = {} if force else {j.name: s for j in jobs if (s := stored_results(j)) is not None}
        for summary in done.values():
            report(summary, tally.finish(summary, workers))
        return _run_dask(args, tasks, workers, address, report, tally, done)
    summaries, records = [], {}
    for a in args:
        summaries.append(summary := run_job(*a))
        report(summary, tally.finish(summary, 1))
        for t in tasks:
            if t.after == a[0]:
                records[t.name] = record = run_task(*t, summary=summary)
                report(record, tally.finish(record, 1))
    return Outcome(summaries, {t.name: records[t.name] for t in tasks})


def _run_dask(
    args: list[tuple], tasks: list[Task], workers: int, address: str | None, report, tally, done: dict
) -> Outcome:
    """:func:`run_tasks` on Dask: every job not ``done`` (name -> its stored summary) submitted at once,
    each task with its job's future (or stored summary) as an argument (so it waits for it); a local
    cluster's scheduler lets a task's workers die :data:`ALLOWED_FAILURES` times before it fails (the
    setting applies to that cluster only)."""
    try:
        import dask
        from distributed import Client, KilledWorker, LocalCluster, as_completed
    except ImportError:
        raise ConfigError('engine "dask" needs Dask distributed: pip install -e ".[parallel]"') from None
    cluster = None
    if address is None:
        with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
    try:
        with Client(address or cluster) as client:
            futures = {
                a[0]: client.submit(run_job, *a, key=f"run-{a[0]}", pure=False)
                for a in args
                if a[0] not in done
            }
            for t in tasks:
                after = futures[t.after] if t.after in futures else done[t.after]
                futures[t.name] = client.submit(run_task, *t, after, key=f"task-{t.name}", pure=False)
            name_of = {f.key: name for name, f in futures.items()}
            out: dict[str, dict] = dict(done)
            for future in as_completed(list(futures.values())):
                name = name_of[future.key]
                try:
                    record = future.result()
                except KilledWorker as e:  # its workers (or its job's) died: a row, not the sweep's end
                    record = _killed(name, name_of.get(e.task, name), e, args, tasks)
                out[name] = record
                report(record, tally.finish(record, sum(client.nthreads().values())))
            return Outcome([out[a[0]] for a in args], {t.name: out[t.name] for t in tasks})
    finally:
        if cluster is not None:
            cluster.close()


def _killed(name: str, culprit: str, error, args: list[tuple], tasks: list[Task]) -> dict:
    """The error record of ``name`` after Dask gave up on ``culprit`` (itself or its job): its workers died
    while running it more often than the scheduler's ``allowed-failures``."""
    tries = error.allowed_failures + 1
    times = f"{tries} time" + "s" * (tries > 1)
    message = f"its worker died every time it ran, {times} (distributed.scheduler.allowed-failures)"
    logger.error("%s: %s", culprit, message)
    run_dirs = {a[0]: a[2] for a in args}
    if name in run_dirs:
        return {"name": name, "run": run_dirs[name], "error": message}
    after = next(t.after for t in tasks if t.name == name)
    if culprit != name:
        message = f"not run: {after} failed ({message})"
    return {"name": name, "after": after, "error": message}


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
