"""The runs of the table of RNN-RNADE on real-valued sequences against its baselines: bouncing balls, MIT
mocap and Japanese Vowels; RNADE per frame (no RNN), the Gaussian RNN, RNN-RNADE with mu and sigma
conditioned (the original code's setting) and with all three (the supplement's); one
:class:`~rnnrnade_pt.sweep.Job` per row, dataset and training seed, or per grid point of a sweep file and
seed.

The row configs (``experiments/configs/sequences/<row>_<dataset>.json``) are the experiment's, not the
package's: the functions that read them take their directory (``config_dir``). A config whose
``train.pretrained_rnade`` names a row (``"rnade"``) starts from that row's run of the same dataset and seed
(:func:`make_jobs`, :func:`in_waves`). :mod:`rnnrnade_pt.sequence_report` makes the table and the releases;
``experiments/sequences.py`` is the command line.

References
----------
.. [1] Supplementary Material for the RNN-RNADE model.
.. [2] I. Sutskever, G. E. Hinton, G. W. Taylor. "The recurrent temporal restricted Boltzmann machine."
   NIPS 2008 (bouncing balls; MIT mocap as used there).
.. [3] M. Kudo, J. Toyama, M. Shimbo. "Multidimensional curve classification using passing-through
   regions." Pattern Recognition Letters 20, 1999 (Japanese Vowels).
"""

from __future__ import annotations

import json
import os

from .config import RunConfig, read_by
from .errors import ConfigError
from .sweep import Job, load_sweep

__all__ = [
    "MODELS",
    "DATASETS",
    "SEEDS",
    "TITLES",
    "QUICK",
    "job_name",
    "job_key",
    "row_config",
    "make_jobs",
    "own_pretraining",
    "in_waves",
    "make_sweep_jobs",
]

MODELS = ("rnade", "gaussian-rnn", "rnn-rnade-mu-sigma", "rnn-rnade")
DATASETS = ("balls", "mocap", "vowels")
SEEDS = (0, 1, 2)
TITLES = {
    "rnade": "RNADE per frame (no RNN)",
    "gaussian-rnn": "Gaussian RNN",
    "rnn-rnade-mu-sigma": "RNN-RNADE, mu and sigma conditioned",
    "rnn-rnade": "RNN-RNADE, all three",
    "balls": "balls",
    "mocap": "mocap",
    "vowels": "vowels",
}
# --quick: tiny models, one epoch on the first few sequences of each split (the balls: few and short)
QUICK = [
    ("model.H", 4),
    ("model.R", 3),
    ("model.K", 2),
    ("train.epochs", 1),
    ("train.window", 20),
    ("train.batch_size", 4),
    ("train.patience", 0),
    ("data.max_sequences", 4),
    ("data.n_train", 6),
    ("data.n_valid", 2),
    ("data.n_test", 2),
    ("data.length", 12),
]


def job_name(row: str, dataset: str, seed: int) -> str:
    """The name of a run and of its release, ``<row>_<dataset>_seed<seed>``."""
    return f"{row}_{dataset}_seed{seed}"


def job_key(name: str) -> tuple[str, str, int]:
    """``(row, dataset, seed)`` of a :func:`job_name`."""
    row, dataset, seed = name.rsplit("_", 2)
    return row, dataset, int(seed.removeprefix("seed"))


def _overrides(model: str, quick: bool, time_budget, data_root, keep=()) -> list:
    """The quick sizes that ``model`` reads (but the keys in ``keep``), the time budget and the data root,
    as overrides."""
    out = [(k, v) for k, v in read_by(model, QUICK) if k not in keep] if quick else []
    if time_budget is not None:
        out.append(("train.max_seconds", float(time_budget)))
    if data_root is not None:
        out.append(("data.root", os.fspath(data_root)))
    return out


def row_config(row: str, dataset: str, *, config_dir: str | os.PathLike) -> RunConfig:
    """The committed config of a row on a dataset, ``<config_dir>/<row>_<dataset>.json``.

    Parameters
    ----------
    row, dataset : str
        Of :data:`MODELS` and :data:`DATASETS`.
    config_dir : str
        The directory of the row configs (``experiments/configs/sequences``).

    Returns
    -------
    RunConfig

    Raises
    ------
    ConfigError
        The row has no config on the dataset.
    """
    path = os.path.join(config_dir, f"{row}_{dataset}.json")
    if not os.path.exists(path):
        raise ConfigError(f"no config {path} (models: {list(MODELS)}, datasets: {list(DATASETS)})")
    with open(path, encoding="utf-8") as fh:
        return RunConfig.from_json(fh.read())


def make_jobs(
    run_root,
    models=MODELS,
    datasets=DATASETS,
    seeds=SEEDS,
    quick=False,
    time_budget=None,
    data_root=None,
    *,
    config_dir: str | os.PathLike,
) -> list[Job]:
    """One run per (model, dataset, seed), from ``<config_dir>/<model>_<dataset>.json``.

    A config whose ``train.pretrained_rnade`` names a row (``"rnade"``) starts from that row's run of the
    same dataset and seed (its ``best.npz``); that job is added when ``models`` lacks it (see
    :func:`in_waves`).

    Parameters
    ----------
    run_root : str
        Where the run directories go (``<run_root>/<job name>``).
    models, datasets : sequence of str
        Of :data:`MODELS` and :data:`DATASETS`.
    seeds : sequence of int
        The training seeds (``train.seed``).
    quick : bool
        Tiny models and few data (:data:`QUICK`).
    time_budget : float, optional
        Seconds of training a run (``train.max_seconds``).
    data_root : str, optional
        The data directory (``data.root``).
    config_dir : str
        The directory of the row configs (``experiments/configs/sequences``).

    Returns
    -------
    list of Job
        Each name once (:func:`job_name`), models outermost, seeds innermost.
    """
    jobs = []
    for model in models:
        for dataset in datasets:
            cfg = row_config(model, dataset, config_dir=config_dir)
            cfg = cfg.with_overrides(_overrides(cfg.model.model, quick, time_budget, data_root))
            start = cfg.train.pretrained_rnade
            for seed in seeds:
                name = job_name(model, dataset, seed)
                job_cfg = cfg.override("train.seed", int(seed))
                if start in MODELS:
                    if start not in models:
                        more = (run_root, [start], [dataset], [seed], quick, time_budget, data_root)
                        jobs += make_jobs(*more, config_dir=config_dir)
                    best = os.path.join(run_root, job_name(start, dataset, seed), "best.npz")
                    job_cfg = job_cfg.override("train.pretrained_rnade", best)
                jobs.append(Job(name, job_cfg, os.path.join(run_root, name)))
    return list({j.name: j for j in jobs}.values())


def own_pretraining(cfg: RunConfig, *, config_dir: str | os.PathLike) -> RunConfig:
    """A config that starts from a row's RNADE run, made to pretrain its own RNADE instead.

    Parameters
    ----------
    cfg : RunConfig
        A config; one whose ``train.pretrained_rnade`` names a row is changed.
    config_dir : str
        The directory of the row configs (``experiments/configs/sequences``).

    Returns
    -------
    RunConfig
        ``cfg`` pretraining its own RNADE on shuffled frames with that row's settings on the same dataset
        (epochs, lr, batch size, patience); other configs as they are.
    """
    row = cfg.train.pretrained_rnade
    if row not in MODELS:
        return cfg
    t = row_config(row, cfg.data.dataset, config_dir=config_dir).train
    return cfg.with_overrides(
        [
            ("train.pretrained_rnade", None),
            ("train.pretrain_epochs", t.epochs),
            ("train.pretrain_lr", t.lr),
            ("train.pretrain_batch_size", t.batch_size),
            ("train.pretrain_patience", t.patience),
        ]
    )


def in_waves(jobs) -> list[list]:
    """``jobs`` in two waves: the runs that others start from (``train.pretrained_rnade``), then the rest,
    so that a parallel engine never starts a run before the one it starts from has finished.

    Parameters
    ----------
    jobs : list of Job

    Returns
    -------
    list of list of Job
        The non-empty waves, in order.
    """
    starts = {os.path.dirname(j.cfg.train.pretrained_rnade) for j in jobs if j.cfg.train.pretrained_rnade}
    first = [j for j in jobs if j.run_dir in starts]
    return [wave for wave in (first, [j for j in jobs if j not in first]) if wave]


def make_sweep_jobs(
    path,
    run_root,
    seeds=SEEDS,
    quick=False,
    time_budget=None,
    data_root=None,
    *,
    config_dir: str | os.PathLike,
) -> list[Job]:
    """The runs of a sweep file (:func:`rnnrnade_pt.sweep.load_sweep`), each grid point once per seed.

    A grid point cannot start from a row's RNADE run (its sizes differ): where the base's
    ``train.pretrained_rnade`` names a row, each point pretrains its own RNADE with that row's settings
    (:func:`own_pretraining`).

    Parameters
    ----------
    path : str
        The sweep file (JSON: name, base, grid); a bad file is a one-line error before anything else.
    run_root : str
        Where the run directories go.
    seeds : sequence of int
        The training seeds.
    quick : bool
        The tiny sizes (:data:`QUICK`), except for the keys the grid sets.
    time_budget : float, optional
        Seconds of training a run.
    data_root : str, optional
        The data directory.
    config_dir : str
        The directory of the row configs (``experiments/configs/sequences``).

    Returns
    -------
    list of Job
        Named ``<grid point>_<dataset>_seed<k>``.
    """
    sweep_jobs = load_sweep(path, run_root)  # checks the file first: a one-line error if it is bad
    with open(path, encoding="utf-8") as fh:
        keep = set(json.load(fh).get("grid", {}))
    jobs = []
    for job in sweep_jobs:
        cfg = job.cfg.with_overrides(_overrides(job.cfg.model.model, quick, time_budget, data_root, keep))
        cfg = own_pretraining(cfg, config_dir=config_dir)
        for seed in seeds:
            name = job_name(job.name, cfg.data.dataset, seed)
            jobs.append(Job(name, cfg.override("train.seed", int(seed)), os.path.join(run_root, name)))
    return jobs
