"""The runs of the RNN-RBM paper's table: RNN-RBM and RNN-NADE on the four polyphonic-music sets, one
:class:`~rnnrnade_pt.sweep.Job` per model and dataset, and the RNN-RBM's test-time estimates of its
log-likelihood by annealed importance sampling, forward (AIS) and reverse (RAISE).

The run configs (``experiments/configs/music/<model>_<dataset>.json``) are the experiment's, not the
package's: :func:`make_jobs` takes their directory (``config_dir``). :mod:`rnnrnade_pt.music_report` makes
the table, the releases and the figures; ``experiments/music.py`` is the command line.

The RNN-RBM's training validates with cheap AIS (10 chains and 100 temperatures per frame on a few validation
sequences), biased upwards, which early stopping can live with. Its test score is estimated apart
(:func:`test_bracket`): AIS and reverse annealing from each test frame (RAISE), :data:`TEST_AIS_CHAINS`
chains and (by default) 1000 temperatures each, over every test frame; AIS leans optimistic and RAISE
pessimistic, so together they bracket the log-likelihood. :func:`test_bracket` is a task of the table's
sweep (:func:`rnnrnade_pt.sweep.run_tasks`), run after its run on any Dask worker.

References
----------
.. [1] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. "Modeling temporal dependencies in high-dimensional
   sequences: application to polyphonic music generation and transcription." ICML 2012.
.. [2] Y. Burda, R. Grosse, R. Salakhutdinov. "Accurate and conservative estimates of MRF log-likelihood
   using reverse annealing." AISTATS 2015 (RAISE).
"""

from __future__ import annotations

import json
import logging
import os

from .config import AIS_DIRECTIONS, RunConfig, read_by
from .data.datasets import load_dataset
from .data.download import sha256_file
from .errors import ConfigError
from .npz import atomic_write_text
from .release import read_manifest
from .runs import evaluate_run, load_run, with_ais
from .sweep import Job

__all__ = [
    "MODELS",
    "DATASETS",
    "TITLES",
    "QUICK",
    "TEST_AIS_CHAINS",
    "job_name",
    "make_jobs",
    "test_bracket",
    "annealed_estimate",
    "bracket_evaluation",
    "rescoring",
]

MODELS = ("rnn-rbm", "rnn-nade")
DATASETS = ("Piano_midi", "Nottingham", "MuseData", "JSB_Chorales")  # the paper's column order
TITLES = {
    "Piano_midi": "Piano-midi.de",
    "Nottingham": "Nottingham",
    "MuseData": "MuseData",
    "JSB_Chorales": "JSB Chorales",
    "rnn-rbm": "RNN-RBM",
    "rnn-nade": "RNN-NADE",
}

# --quick: tiny models, one epoch on the first few sequences of each split
QUICK = [
    ("model.H", 6),
    ("model.R", 5),
    ("model.cd_k", 2),
    ("model.gibbs_k", 2),
    ("model.ais_chains", 4),
    ("model.ais_betas", 10),
    ("train.epochs", 1),
    ("train.pretrain_epochs", 1),
    ("train.window", 20),
    ("train.batch_size", 4),
    ("train.patience", 0),
    ("data.max_sequences", 3),
]

TEST_AIS_CHAINS = 10  # chains per frame of the test-time estimates (test_bracket)
TEST_AIS_DTYPE = "float32"  # their arithmetic: within their standard error of float64's, 2x faster (NOTES.md)
TEST_AIS_MAX_FRAMES = (
    65536  # padded frames per batch: the per-temperature draws of the noise groups amortised
)

logger = logging.getLogger(__name__)


def job_name(model: str, dataset: str) -> str:
    """The name of a run and of its release, ``<model>_<dataset>``."""
    return f"{model}_{dataset}"


def make_jobs(
    run_root,
    models=MODELS,
    datasets=DATASETS,
    quick=False,
    time_budget=None,
    data_root=None,
    *,
    config_dir: str | os.PathLike,
) -> list[Job]:
    """One run per (model, dataset), from ``<config_dir>/<model>_<dataset>.json``.

    Parameters
    ----------
    run_root : str
        Where the run directories go (``<run_root>/<model>_<dataset>``).
    models, datasets : sequence of str
        Of :data:`MODELS` and :data:`DATASETS`.
    quick : bool
        Tiny models and few data (:data:`QUICK`).
    time_budget : float, optional
        Seconds of training a run (``train.max_seconds``).
    data_root : str, optional
        The data directory (``data.root``).
    config_dir : str
        The directory of the run configs (``experiments/configs/music``).

    Returns
    -------
    list of Job
        Models outermost, in the order given.

    Raises
    ------
    ConfigError
        A (model, dataset) without a config.
    """
    jobs = []
    for model in models:
        for dataset in datasets:
            name = job_name(model, dataset)
            path = os.path.join(config_dir, f"{name}.json")
            if not os.path.exists(path):
                raise ConfigError(f"no config {path} (models: {list(MODELS)}, datasets: {list(DATASETS)})")
            with open(path, encoding="utf-8") as fh:
                cfg = RunConfig.from_json(fh.read())
            overrides = read_by(cfg.model.model, QUICK) if quick else []
            if time_budget is not None:
                overrides.append(("train.max_seconds", float(time_budget)))
            if data_root is not None:
                overrides.append(("data.root", os.fspath(data_root)))
            jobs.append(Job(name, cfg.with_overrides(overrides), os.path.join(run_root, name)))
    return jobs


def test_bracket(
    job,
    betas: int,
    chains: int = TEST_AIS_CHAINS,
    compute: bool = True,
    dtype: str = TEST_AIS_DTYPE,
    directions: tuple[str, ...] = AIS_DIRECTIONS,
) -> dict:
    """An RNN-RBM run's test log-likelihood, estimated apart from the cheap AIS its training validates with.

    Forward AIS (optimistic on average) and reverse annealing, RAISE (conservative), each with ``chains``
    chains and ``betas`` temperatures per frame (:func:`rnnrnade_pt.runs.with_ais`,
    :func:`rnnrnade_pt.kernels.rbm.ais_log_z`); together they bracket the log-likelihood. Each is
    :func:`~rnnrnade_pt.runs.evaluate_run` of the best checkpoint on every test sequence, cached in
    ``<run dir>/test_ais/<direction>-<chains>x<betas>-<dtype>.json`` with the checkpoint's SHA-256 (a
    retrained run is estimated again). The annealing runs in ``dtype`` (its parameters cast from the
    checkpoint's), over batches of up to :data:`TEST_AIS_MAX_FRAMES` frames: every frame's estimate
    depends on its own RBM and its noise group only, so the batching changes the time, not the numbers.

    Parameters
    ----------
    job : Job
        A finished RNN-RBM run (its ``best.npz``).
    betas : int
        Temperatures per frame.
    chains : int
        AIS chains per frame.
    compute : bool
        False: the cached estimates only, nothing computed.
    dtype : {"float32", "float64"}
        The arithmetic of the annealing.
    directions : tuple of str
        Which of :data:`~rnnrnade_pt.config.AIS_DIRECTIONS` to estimate (the table's sweep makes one task
        of each, so that two workers run them at once).

    Returns
    -------
    dict
        ``{direction: evaluate_run's dict}`` (``"forward"``, ``"reverse"``) for those at hand, each with
        ``ais_chains``, ``ais_betas``, ``ais_dtype`` and ``checkpoint_sha256`` added.
    """
    digest = sha256_file(os.path.join(job.run_dir, "best.npz"))
    out, seqs, best = {}, None, None
    for direction in directions:
        path = os.path.join(job.run_dir, "test_ais", f"{direction}-{chains}x{betas}-{dtype}.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                cached = json.load(fh)
            if cached.get("checkpoint_sha256") == digest:
                out[direction] = cached
                continue
        if not compute:
            continue
        logger.warning("%s: test set, %s annealing, %d x %d", job.name, direction, chains, betas)
        if best is None:  # the data and the checkpoint, once for both directions
            seqs, best = load_dataset(job.cfg.data)["test"], load_run(job.run_dir)
        res = {**annealed_estimate(best, seqs, direction, chains, betas, dtype), "checkpoint_sha256": digest}
        os.makedirs(os.path.dirname(path), exist_ok=True)
        atomic_write_text(path, json.dumps(res, indent=1) + "\n")
        out[direction] = res
    return out


def annealed_estimate(run, seqs, direction: str, chains: int, betas: int, dtype: str) -> dict:
    """:func:`~rnnrnade_pt.runs.evaluate_run` of an RNN-RBM run on ``seqs`` with its log-likelihood
    estimated by annealing in ``direction`` (``chains`` x ``betas``, in ``dtype``), over batches of up to
    :data:`TEST_AIS_MAX_FRAMES` frames; the settings are added to the result."""
    ais = dict(ais_chains=chains, ais_betas=betas, ais_direction=direction, dtype=dtype)
    scored = evaluate_run(with_ais(run, **ais), seqs, batch_size=len(seqs), max_frames=TEST_AIS_MAX_FRAMES)
    return {**scored, "ais_chains": chains, "ais_betas": betas, "ais_dtype": dtype}


def bracket_evaluation(bracket: dict) -> dict:
    """An RNN-RBM release's evaluation: both directions of :func:`test_bracket`, without the cache key."""
    return {d: {k: v for k, v in r.items() if k != "checkpoint_sha256"} for d, r in bracket.items()}


def rescoring(rescore_ais: bool):
    """The ``evaluate(run, seqs)`` that re-scores a released model (``music.py --from-release``).

    Parameters
    ----------
    rescore_ais : bool
        Whether an RNN-RBM's forward and reverse annealing are run again (hours); if not, its release's own
        estimates stand (its parameters and test data are still checked against the manifest).

    Returns
    -------
    callable
        ``evaluate(run, seqs) -> dict``: an RNN-NADE evaluated again; an RNN-RBM's ``{direction:
        estimate}`` at its release's chains and temperatures.
    """

    def evaluate(run, seqs):
        if run.cfg.model.model != "rnn-rbm":
            return evaluate_run(run, seqs)
        released = read_manifest(run.run_dir)["evaluation"]
        if not rescore_ais:
            return released
        out = {}
        for direction, r in released.items():
            dtype = r.get("ais_dtype", run.cfg.model.dtype)
            out[direction] = annealed_estimate(run, seqs, direction, r["ais_chains"], r["ais_betas"], dtype)
        return out

    return evaluate
