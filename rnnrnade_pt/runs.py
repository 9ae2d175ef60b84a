"""Runs: train a model in a run directory (:func:`train_model`, :func:`train_and_evaluate`), load a finished
(or interrupted) run's checkpoint with its config and standardisation, evaluate it on sequences in the data's
own units, and sample from it.

Log-likelihoods of standardised models are reported for the original data:
``log p(x) = log p(z) - sum_d log std_d`` per frame, with ``z = (x - mean) / std``.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
from typing import NamedTuple

import numpy as np

from .checkpoint import checkpoint_standardizer, load_checkpoint
from .config import DataConfig, RunConfig, TrainConfig
from .density_model import DensityModel, load_model, model_class
from .errors import ConfigError
from .models import param_shapes
from .models.rnn_rbm import ais_mean_standard_error, ais_standard_error

__all__ = [
    "Run",
    "load_run",
    "with_ais",
    "evaluate_run",
    "sample_run",
    "n_params",
    "train_model",
    "train_and_evaluate",
]


class Run(NamedTuple):
    """A run directory's config, its model (one checkpoint's parameters) and standardisation."""

    run_dir: str
    cfg: RunConfig
    model: DensityModel
    standardizer: object | None  # data.standardize.Standardizer

    def to_model_units(self, seqs):
        return seqs if self.standardizer is None else self.standardizer.transform(seqs)

    @property
    def log_jacobian(self) -> float:
        return 0.0 if self.standardizer is None else self.standardizer.log_jacobian


def load_run(run_dir: str, checkpoint: str = "best", backend: str | None = None) -> Run:
    """Load ``run_dir/{checkpoint}.npz`` and ``run_dir/config.json``."""
    cfg_path = os.path.join(run_dir, "config.json")
    if not os.path.isdir(run_dir) or not os.path.exists(cfg_path):
        raise ConfigError(f"{run_dir} is not a run directory (no config.json)")
    with open(cfg_path, encoding="utf-8") as fh:
        cfg = RunConfig.from_json(fh.read())
    path = os.path.join(run_dir, f"{checkpoint}.npz")
    if not os.path.exists(path):
        raise ConfigError(f"{run_dir} has no {checkpoint}.npz (did the run finish an epoch?)")
    model = load_model(path, backend or cfg.train.backend)
    if model.cfg != cfg.model:
        raise ConfigError(f"{path} holds a model that differs from {cfg_path}")
    standardizer = checkpoint_standardizer(load_checkpoint(path)) if cfg.data.standardize else None
    return Run(run_dir, cfg, model, standardizer)


def with_ais(run: Run, **ais) -> Run:
    """An RNN-RBM run whose log-likelihood estimate uses other AIS settings (``ais_chains``,
    ``ais_betas``, ``ais_direction``, and ``dtype``, the arithmetic): the same parameters, a model built
    with ``cfg.model.replace(**ais)``. More temperatures shrink AIS's downward bias in ``log Z``; comparing
    the two estimates measures it."""
    if run.cfg.model.model != "rnn-rbm":
        raise ConfigError(f"AIS settings apply to an rnn-rbm run; {run.run_dir} is a {run.cfg.model.model}")
    mcfg = run.cfg.model.replace(**ais)  # ModelConfig checks the values
    model = model_class(mcfg)(mcfg, run.model.get_params(), run.model.backend)
    return run._replace(cfg=dataclasses.replace(run.cfg, model=mcfg), model=model)


def evaluate_run(
    run: Run,
    seqs: list,
    batch_size: int = 64,
    orderings=None,
    orderings_seed: int = 0,
    max_frames: int = 8192,
) -> dict:
    """Log-likelihood per frame and one-step-ahead prediction error per frame, in the data's units.

    The prediction of frame t is the model's expected frame given the frames before it: for the RNADE
    family by ancestral mean-field (each dimension's mixture mean feeds the following dimensions; an RNADE
    ignoring time predicts its one mean-field vector for every frame), for the other models their module's
    ``predict`` (e.g. the Gaussian RNN's mean, the binary models' note probabilities). The squared error is
    summed over dimensions and averaged over every frame that has at least one frame before it. For binary
    models (piano rolls) the frame-level accuracy of Bay et al. (2009), ``TP / (TP + FP + FN)`` summed over
    those frames with the prediction thresholded at 0.5, is reported too.

    For an RNN-RBM, ``loglik_standard_error`` is the standard error of its AIS estimate of
    ``loglik_per_frame`` over the chains (:func:`~rnnrnade_pt.models.rnn_rbm.ais_standard_error`).

    For an RNADE, ``orderings`` (ensemble sizes, e.g. ``(1, 2, 4, 8, 16)``) adds
    ``loglik_per_frame_ensemble``: ``{N: mean log-likelihood per frame}`` of the uniform mixture over the
    first N orderings of :func:`~rnnrnade_pt.orderings.ensemble_orderings` (``orderings_seed``; N = 1 is
    the natural ordering), all sizes from one pass. A single integer N evaluates the ensemble of N as *the*
    density: ``loglik_per_frame`` is then its value (and ``loglik_per_frame_ensemble`` is ``{N: value}``).

    The sequences go through the model in batches of at most ``batch_size`` sequences and ``max_frames``
    padded frames (:func:`~rnnrnade_pt.data.batching.eval_batches`); the results do not depend on them beyond
    the rounding of the sums over batches.

    References
    ----------
    .. [1] M. Bay, A. F. Ehmann, J. S. Downie. "Evaluation of multiple-F0 estimation and tracking
       systems." ISMIR 2009 (frame-level accuracy).
    .. [2] B. Uria, I. Murray, H. Larochelle. "A deep and tractable density estimator." ICML 2014
       (ensembles over orderings).
    """
    from .data.batching import eval_batches

    cfg = run.cfg.model
    z = run.to_model_units(seqs)
    total, frames, sq, n_pred = 0.0, 0, 0.0, 0
    counts = np.zeros(3)  # TP, FP, FN
    ais = 0.0  # RNN-RBM: per chain and noise group, the summed normalised AIS weights (ais_standard_error)
    for X, mask in eval_batches(z, batch_size, max_frames):  # T x B x D, T x B
        if cfg.recurrent:
            ll = run.model.loglik(X, mask)
            if ll.ais_log_w is not None:
                ais = ais + ais_standard_error(ll.ais_log_w, mask)
            pred = run.model.predict(X, mask)  # T x B x D
        else:
            ll = run.model.loglik(X[mask > 0])
            pred = np.broadcast_to(run.model.predict(X[0])[:1], X.shape)  # the one mean-field vector
        total, frames = total + ll.total, frames + ll.frames
        Xo, P = X, pred
        if run.standardizer is not None:
            Xo, P = run.standardizer.inverse(X), run.standardizer.inverse(pred)
        m = mask[1:]  # T-1 x B: frames with a past
        err = np.sum((Xo - P) ** 2, axis=-1)[1:]
        sq, n_pred = sq + float(np.sum(err * m)), n_pred + int(m.sum())
        if cfg.binary:
            on, truth = (P[1:] >= 0.5) * m[..., None], (Xo[1:] > 0.5) * m[..., None]
            counts += [np.sum(on * truth), np.sum(on * (1 - truth)), np.sum((1 - on) * truth)]
    out = {"loglik_per_frame": total / frames + run.log_jacobian, "frames": frames, "sequences": len(seqs)}
    if np.ndim(ais) and len(ais) > 1:  # the AIS estimate's standard error (common random numbers included)
        out["loglik_standard_error"] = ais_mean_standard_error(ais, frames)
    if orderings is not None:
        one = isinstance(orderings, numbers.Integral)
        ens = _ensemble_logliks(run, z, [orderings] if one else orderings, orderings_seed)
        out["loglik_per_frame_ensemble"] = ens
        if one:
            out["loglik_per_frame"] = ens[int(orderings)]
    if n_pred:
        out["sq_pred_error_per_frame"] = sq / n_pred
        out["predicted_frames"] = n_pred
        if cfg.binary:
            out["frame_accuracy"] = float(counts[0] / max(counts.sum(), 1.0))
    return out


def _ensemble_logliks(run: Run, z: list, sizes, seed: int) -> dict:
    """``{N: mean log p(x) per frame}`` of the ensembles over the first N orderings (one pass for all N)."""
    from scipy.special import logsumexp

    from .orderings import check_ordered, ensemble_orderings, ordering_logliks

    sizes = sorted({int(n) for n in sizes})
    if not sizes:
        raise ConfigError("ensemble sizes over orderings: give at least one")
    check_ordered(run.cfg.model.model)
    if sizes[0] < 1:
        raise ConfigError(f"ensemble sizes over orderings must be positive, got {sizes}")
    L = ordering_logliks(run.model, np.concatenate(z), ensemble_orderings(run.cfg.model.D, sizes[-1], seed))
    return {n: float(np.mean(logsumexp(L[:n], axis=0) - np.log(n))) + run.log_jacobian for n in sizes}


def ball_counts(samples: np.ndarray, test: list | None, res: int) -> dict:
    """The shares of sampled frames, and of the test frames, that show 0, 1, 2, 3, ... balls
    (:func:`~rnnrnade_pt.data.balls.ball_count_shares`)."""
    from .data.balls import ball_count_shares

    out = {"samples": ball_count_shares(samples, res)}
    if test:
        out["test"] = ball_count_shares(np.concatenate(test), res)
    return out


def sample_run(
    run: Run, n: int, steps: int | None = None, prime: list | None = None, seed: int = 0
) -> np.ndarray:
    """Samples in the data's units: ``steps x n x D`` for RNN-RNADE (continuing ``prime`` if given; ``n`` must
    then equal the number of prime sequences), ``n x D`` for RNADE (:meth:`DensityModel.sample`)."""
    kw = {}
    if prime is not None:
        from .data.batching import pad_sequences

        X, mask = pad_sequences(run.to_model_units(prime))
        kw = dict(prime=X, prime_mask=mask)
    out = run.model.sample(n, steps=steps, seed=seed, **kw)
    return out if run.standardizer is None else run.standardizer.inverse(out)


def n_params(cfg) -> int:
    """Number of scalar parameters of a model config."""
    return int(sum(np.prod(shape) for shape in param_shapes(cfg).values()))


def train_and_evaluate(
    cfg: RunConfig,
    run_dir: str,
    splits: dict | None = None,
    resume: bool = False,
    progress=None,
    samples: int = 0,
    sample_steps: int = 50,
    seed: int = 0,
    announce=None,
    orderings=None,
    provenance: dict | None = None,
) -> dict:
    """Train a run, then evaluate its best checkpoint on the test split: what ``rnnrnade train``, the
    experiment tables and the sweeps all do with one config.

    Parameters
    ----------
    splits : dict, optional
        The data (:func:`~rnnrnade_pt.data.datasets.load_dataset` of ``cfg.data`` when omitted).
    samples : int
        Also draw this many sequences of ``sample_steps`` frames and save them to ``run_dir/samples.npz``.
    orderings : sequence of int, optional
        RNADE: also evaluate ensembles over this many orderings (see :func:`evaluate_run`).
    provenance : dict, optional
        Where the run comes from (:func:`rnnrnade_pt.provenance.current`, the default), recorded in
        ``run_dir/provenance.json`` when training starts.

    Returns
    -------
    dict
        ``run``, ``stopped``, ``epochs``, ``seconds`` (training), ``wall_seconds`` (this call, compiling and
        evaluating included, plus a resumed run's training time before it), ``best_valid_loglik_per_frame``,
        ``n_params``, ``test`` (see :func:`evaluate_run`, when there is a test split) and ``samples`` (a
        path); also written to ``run_dir/results.json``. ``announce()``, if given, is called once the data
        and checkpoint are checked, before training. SIGTERM and SIGINT end it with
        :class:`~rnnrnade_pt.interrupts.TrainingInterrupted`: during training after the current step and a
        saved ``last.npz``, outside training at once (logging what ``last.npz`` holds). The run directory is
        locked throughout (:func:`~rnnrnade_pt.interrupts.run_lock`).

    Raises
    ------
    RunWriteError
        A file of the run could not be written (disk full, permission denied, read-only file system): one
        line naming the file and the ``--resume`` command; the checkpoints written before are intact.
    """
    import json
    import time

    from .errors import RunWriteError
    from .interrupts import run_lock, stop_signals
    from .npz import atomic_write_npz, atomic_write_text
    from .provenance import record
    from .train import Trainer

    start = time.perf_counter()
    if splits is None:
        from .data.datasets import load_dataset

        splits = load_dataset(cfg.data)
    # training, evaluation and results.json: one process at a time, and a signal ends them cleanly
    try:
        with run_lock(run_dir), stop_signals(run_dir):
            trainer = Trainer(cfg, run_dir, splits, resume=resume, progress=progress)
            earlier = trainer.state.seconds  # a resumed run's training time in its earlier sessions
            record(run_dir, provenance)
            if announce is not None:
                announce()
            reason = trainer.fit()
            st = trainer.state
            summary = {
                "run": run_dir,
                "model": cfg.model.model,
                "stopped": reason,
                "epochs": st.epoch,
                "seconds": round(st.seconds, 1),
                "best_valid_loglik_per_frame": st.best_valid,
                "n_params": n_params(cfg.model),
            }
            if os.path.exists(os.path.join(run_dir, "best.npz")):
                run = load_run(run_dir, "best")
                if splits.get("test"):
                    summary["test"] = evaluate_run(
                        run, splits["test"], orderings=orderings
                    )  # the whole split
                if samples and cfg.model.recurrent:
                    out = os.path.join(run_dir, "samples.npz")
                    S = sample_run(run, samples, steps=sample_steps, seed=seed)
                    atomic_write_npz(out, {"X": S, "mask": np.ones(S.shape[:2])})
                    summary["samples"] = out
                    if cfg.data.dataset == "balls":  # do the samples keep their balls? (data.balls)
                        summary["balls_per_frame"] = ball_counts(S, splits.get("test"), cfg.data.res)
        summary["wall_seconds"] = round(time.perf_counter() - start + earlier, 1)
        atomic_write_text(os.path.join(run_dir, "results.json"), json.dumps(summary, indent=2))
    except OSError as e:  # a full disk, a permission: what was written before is intact
        if isinstance(e, RunWriteError):
            raise
        raise RunWriteError(
            f"cannot write {e.filename or run_dir}: {e.strerror or e}; the run's earlier checkpoints are "
            f"intact: once that is fixed, resume with: rnnrnade train --resume {run_dir}"
        ) from None
    return summary


def train_model(
    model: DensityModel, sequences, valid=None, run_dir: str | None = None, progress=None, **train_options
) -> str:
    """Train a model's parameters in a run directory, as the tutorial's ``RnnRbm.train``.

    Parameters
    ----------
    model : DensityModel
        Trained in place: it ends holding the best parameters (best validation score).
    sequences, valid : list of ndarray
        Training and validation sequences (``T_i x D``; for an RNADE, blocks of rows). Without ``valid``,
        10% of the training sequences are held out (seeded).
    run_dir : str, optional
        Where ``config.json``, ``metrics.csv``, ``best.npz`` and ``last.npz`` go (a new
        ``runs/python-TIME`` when omitted).
    progress : callable, optional
        A progress-bar factory (see :class:`~rnnrnade_pt.train.Trainer`).
    **train_options
        Fields of :class:`~rnnrnade_pt.config.TrainConfig` (``epochs``, ``lr``, ``optimizer``, ...).

    Returns
    -------
    str
        Why training stopped.

    References
    ----------
    .. [1] Theano deep-learning tutorial, "Modeling and generating sequences of polyphonic music with the
       RNN-RBM" (``RnnRbm.train``).

    Examples
    --------
    >>> import os, tempfile, numpy as np, rnnrnade_pt as rp
    >>> model = rp.Rnade(rp.ModelConfig(model="rnade", D=2, H=4, K=2))
    >>> rng = np.random.default_rng(0)
    >>> train, valid = [rng.normal(size=(200, 2))], [rng.normal(size=(50, 2))]
    >>> run_dir = os.path.join(tempfile.mkdtemp(), "run")
    >>> rp.train_model(model, train, valid, run_dir=run_dir, epochs=2, batch_size=50)
    'epochs'
    >>> sorted(f for f in os.listdir(run_dir) if f.endswith((".npz", ".json", ".csv")))
    ['best.npz', 'config.json', 'last.npz', 'metrics.csv']
    """
    import time

    from .data.batching import split_off
    from .params import load_params
    from .train import Trainer

    seqs = [np.asarray(s, dtype=np.float64) for s in sequences]
    data = DataConfig(dataset="memory")
    if valid is None:
        seqs, valid = split_off(seqs, data.valid_fraction, train_options.get("seed", 0))
    tcfg = TrainConfig(**{"backend": model.backend, "init": "gaussian", **train_options})
    run_dir = run_dir or os.path.join("runs", f"python-{time.strftime('%Y%m%d-%H%M%S')}")
    trainer = Trainer(
        RunConfig(model.cfg, tcfg, data),
        run_dir,
        {"train": seqs, "valid": list(valid)},
        progress=progress,
        values=model.get_params(),
    )
    reason = trainer.fit()
    best = os.path.join(run_dir, "best.npz")
    model.set_params(load_params(best)[1] if os.path.exists(best) else trainer.model.get_params())
    return reason
