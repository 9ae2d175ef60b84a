"""Training runs: the compiled training step, initialisation, NaN safety, checkpoints and exact resume.

A run is a directory::

    config.json    the resolved RunConfig
    metrics.csv    phase, epoch, step, train/valid log-likelihood per frame, gradient norm, lr, seconds
    best.npz       parameters with the best validation log-likelihood so far
    last.npz       parameters, optimiser state and run state: at the start, every ``checkpoint_seconds``,
                   at each epoch's end and on SIGTERM / SIGINT
    train.lock     the process training in the directory (a lock held while it runs)
    curve.png      learning curves (with the ``plot`` extra)

Checkpoints hold the parameters under the supplement's names plus ``config`` (so that
``rnnrnade loglik --params best.npz`` works) and, under keys with a ``/``, the optimiser state
(``opt/m/W``...), the run state (``state/epoch``, ``state/batch``, ``state/step``, ``state/rng``, ...),
the standardisation statistics (``data/standardize_mean``, ``data/standardize_std``) and the run config
(``run/config``). Every write is atomic, so killing the process at any moment leaves the previous checkpoint
loadable.

Batches are a pure function of (seed, phase, epoch), and every random stream of a run (initialisation,
shuffling, orderings, the RNN-RBM's CD chains) follows ``train.seed``, with every generator's state in the
checkpoints: a run resumed from a checkpoint taken at any step, mid-epoch included, ends with the same
parameters, bit for bit, as one that was never interrupted. (One exception: PyTensor's JAX linker draws
from its own copy of a shared generator, whose advanced state a checkpoint cannot read, so an RNN-RBM
trained on JAX, which needs NumPyro for its Bernoulli draws, resumes with each shape's generator as seeded.)

Preemption: SIGTERM (a cluster scheduler, ``docker stop``) and SIGINT (Ctrl-C) let the current step finish,
write ``last.npz`` and raise :class:`TrainingInterrupted` (the CLI exits with status ``128 + signal``: 143,
130); a second signal stops at once, leaving the last checkpoint. ``last.npz`` is also written every
``train.checkpoint_seconds``, so SIGKILL loses at most that much training. While a process trains in a run
directory it holds ``train.lock`` (an advisory ``flock``, released by the system when the process dies, so
a stale lock never blocks a resume); a second process is refused (:func:`run_lock`).

Order-agnostic training (``ordering="orderless"``, RNADE only): every example of every step gets its own
uniformly random ordering of the dimensions, fed to the graph as precedence masks ``M``
(:mod:`rnnrnade_pt.orderings`); batch b's orderings are drawn from a generator seeded with
(seed, phase, epoch, b), so they too are a pure function of the run's position and resume exactly. The
validation score of such a run is the log-likelihood under the natural ordering (a density like any other
ordering's; ensembles over orderings are :func:`~rnnrnade_pt.orderings.ensemble_loglik`).

References
----------
.. [1] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. ICML 2012, and the Theano RNN-RBM tutorial
   (sequences cut into 100-step chunks; pretraining the frame model on shuffled frames).
.. [2] B. Uria, I. Murray, H. Larochelle. "RNADE." NIPS 2013 (data-driven initialisation of the means).
.. [3] B. Uria, I. Murray, H. Larochelle. "A deep and tractable density estimator." ICML 2014
   (order-agnostic training).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import math
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytensor
import pytensor.tensor as pt

from .compile import compile_function, needs_static_shapes, pad_to_buckets, training_threads
from .config import ModelConfig, RunConfig
from .errors import ConfigError, ParamsError, RnnRnadeError
from .model import DensityModel, model_class
from .models import build, build_rnade, explicit_gradients, model_module
from .npz import atomic_write_npz, atomic_write_text, read_npz
from .optim import clip_gradients, global_norm, learning_rate, optimizer_updates
from .orderings import precedence_masks, random_orderings
from .params import check_params, init_params, weight_names
from .pretrain import budget_spent, end_pretraining, phase_config, pretrain_graph, zero_bias_maps

__all__ = [
    "TrainingStopped",
    "TrainingInterrupted",
    "run_lock",
    "stop_signals",
    "RunState",
    "TrainStep",
    "build_train_step",
    "data_driven_init",
    "Trainer",
    "load_checkpoint",
    "checkpoint_standardizer",
    "METRICS_FIELDS",
]

logger = logging.getLogger(__name__)

METRICS_FIELDS = ["phase", "epoch", "step", "train_loglik", "valid_loglik", "grad_norm", "lr", "seconds"]
PHASES = ("pretrain", "train")


class TrainingStopped(RnnRnadeError):
    """Training stopped early (too many non-finite steps); a usable checkpoint was written."""


class TrainingInterrupted(KeyboardInterrupt):
    """A signal (``signum``: SIGTERM, SIGINT) stopped training after a step; ``last.npz`` was written."""

    def __init__(self, signum: int, message: str = ""):
        super().__init__(message)
        self.signum = signum


LOCK_FILE = "train.lock"
_HELD_LOCKS: dict[str, int] = {}  # real path of a run directory -> depth of run_lock in this process


@contextlib.contextmanager
def run_lock(run_dir: str):
    """Hold ``run_dir/train.lock`` (created with the directory): one training process per run directory.

    The lock is an advisory ``flock`` on the file, which the system releases when its process ends however
    it ends (SIGKILL included), so the file of a dead process blocks nothing. Re-entrant within a process.

    Raises
    ------
    ConfigError
        Another live process holds the lock (its pid is named).
    """
    os.makedirs(run_dir, exist_ok=True)
    key = os.path.realpath(run_dir)
    if key in _HELD_LOCKS:
        _HELD_LOCKS[key] += 1
        try:
            yield
        finally:
            _HELD_LOCKS[key] -= 1
        return
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        logger.debug("no fcntl: %s is not locked", run_dir)
        yield
        return
    path = os.path.join(run_dir, LOCK_FILE)
    fh = open(path, "a+", encoding="utf-8")  # held for the duration of the context
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            pid = fh.read().strip() or "?"
            raise ConfigError(
                f"{run_dir} is in use: process {pid} is training in it (wait for it to end, or stop it)"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        _HELD_LOCKS[key] = 1
        try:
            yield
        finally:
            del _HELD_LOCKS[key]
    finally:
        fh.close()  # releases the flock


class _StopSignals:
    """While active (main thread only), SIGTERM and SIGINT are caught. Deferred (training): the first sets
    ``signum``, for the loop to stop after its step; a second raises :class:`TrainingInterrupted` at once.
    Not deferred (outside the steps: loading, evaluating; ``run_dir`` given): the first raises at once,
    with a logged message saying what ``last.npz`` holds. Outside the main thread (a Dask worker) it does
    nothing."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, deferred: bool = True, run_dir: str | None = None):
        self.deferred = deferred
        self.run_dir = run_dir
        self.signum: int | None = None
        self._old: dict = {}

    def _handle(self, signum, frame):
        name = signal.Signals(signum).name
        if self.deferred and self.signum is None:
            self.signum = signum
            logger.warning("%s received: stopping after the current step", name)
            return
        if self.deferred:
            msg = f"interrupted by a second {name}: stopped at once; last.npz holds the last checkpoint"
        elif os.path.exists(os.path.join(self.run_dir, "last.npz")):
            msg = (
                f"interrupted by {name} outside a training step; {self.run_dir}/last.npz holds the run; "
                f"continue with: rnnrnade train --resume {self.run_dir}"
            )
        else:
            msg = f"interrupted by {name} before training began; nothing to resume"
        logger.warning(msg)
        raise TrainingInterrupted(signum, msg)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._old = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        return self

    def __exit__(self, *exc):
        for s, old in self._old.items():
            signal.signal(s, old)
        self._old = {}


def stop_signals(run_dir: str) -> _StopSignals:
    """A context in which SIGTERM and SIGINT raise :class:`TrainingInterrupted` at once, logging what
    ``run_dir/last.npz`` holds (around loading and evaluating a run; :meth:`Trainer.fit` defers them to the
    end of a step)."""
    return _StopSignals(deferred=False, run_dir=run_dir)


@dataclass
class RunState:
    """Where a run is; saved in every checkpoint under ``state/``."""

    phase: str = "pretrain"
    epoch: int = 0  # completed epochs of this phase
    batch: int = 0  # batches done in the current epoch
    step: int = 0  # steps of this phase
    lr_scale: float = 1.0  # reduced after each rejected non-finite step
    nan_failures: int = 0
    best_valid: float = -math.inf
    best_epoch: int = -1
    bad_epochs: int = 0  # epochs since the best validation score (early stopping)
    seconds: float = 0.0  # training time so far, over all sessions
    rng: str = ""  # bit-generator state of the current epoch's shuffling, JSON
    epoch_sums: list = field(default_factory=lambda: [0.0, 0.0, 0.0, 0])  # loglik, frames, grad norm, steps

    def to_arrays(self) -> dict[str, np.ndarray]:
        out = {}
        for k, v in self.__dict__.items():
            out[f"state/{k}"] = np.array(json.dumps(v)) if isinstance(v, (str, list)) else np.array(v)
        return out

    @classmethod
    def from_arrays(cls, arrays: dict) -> RunState:
        s = cls()
        for k, default in s.__dict__.items():
            key = f"state/{k}"
            if key not in arrays:
                raise ParamsError(f"checkpoint lacks {key}; is it a training checkpoint?")
            raw = arrays[key]
            if isinstance(default, (str, list)):
                value = json.loads(str(raw))
            else:
                value = type(default)(raw.item())
            setattr(s, k, value)
        return s


@dataclass
class TrainStep:
    """A compiled training step and its optimiser state."""

    fn: Callable  # (X[, mask], lr) -> (total loglik, frames, gradient norm, ok[, norm of each parameter])
    state: dict  # name -> optimiser shared variable
    recurrent: bool
    fn_names: list  # the parameters, in the order of the per-parameter norms


def build_train_step(
    g, tcfg, prefix: str = "opt", backend: str = "c", state: dict | None = None
) -> TrainStep:
    """Compile one optimisation step on a graph from :func:`~rnnrnade_pt.models.build`.

    The cost is the mean negative log-likelihood per frame plus ``weight_decay * sum ||W||^2``. A step whose
    cost or gradient is not finite changes nothing: every update is ``switch(ok, new, old)``, so the
    parameters and optimiser state stay the last good ones. ``state`` shares the optimiser variables of an
    earlier step (another static shape of the same phase, for JAX).
    """
    cfg, params = g.config, g.params
    if tcfg.gradient == "explicit":
        grads = {n: -d / g.n_frames for n, d in explicit_gradients(g).items()}
    else:  # train_cost: e.g. the RNN-RBM's CD free-energy difference, with its Gibbs chain held constant
        train_cost = getattr(g, "train_cost", None)
        train_cost = g.cost if train_cost is None else train_cost
        const = list(getattr(g, "consider_constant", None) or [])
        values = pytensor.grad(train_cost, list(params.values()), consider_constant=const)
        grads = dict(zip(params, values, strict=True))
    cost = g.cost
    if tcfg.weight_decay > 0:
        wd = np.asarray(tcfg.weight_decay, dtype=cfg.dtype)
        for n in weight_names(cfg):
            if n in params:
                cost = cost + wd * pt.sum(pt.sqr(params[n]))
                grads[n] = grads[n] + 2 * wd * params[n]
    norm = global_norm(grads)
    grads_raw = grads
    ok = pt.isfinite(cost) & pt.isfinite(norm)
    grads = clip_gradients(grads, tcfg.clip_norm, tcfg.clip_per_param, norm)
    lr = pt.scalar("lr", dtype=cfg.dtype)
    new, state = optimizer_updates(params, grads, tcfg, lr, prefix=prefix, state=state)
    updates = [(v, pt.switch(ok, e, v)) for v, e in new.items()]
    inputs = [g.X, g.mask] if cfg.recurrent else [g.X]
    if getattr(g, "M", None) is not None:  # an RNADE under per-example orderings
        inputs.append(g.M)
    inputs.append(lr)
    outputs = [g.total, g.n_frames, norm, ok]
    if tcfg.log_grad_norms:  # before clipping
        outputs += [pt.sqrt(pt.sum(pt.sqr(grads_raw[n]))) for n in params]
    fn = compile_function(
        inputs, outputs, backend, updates=updates, name=f"{prefix}_step", fastmath=tcfg.fastmath
    )
    return TrainStep(fn, state, cfg.recurrent, list(params))


def data_driven_init(values: dict, frames: np.ndarray, cfg: ModelConfig, rng: np.random.Generator) -> dict:
    """Uria's start: ``b_alpha = 0``; the K means spread evenly over each dimension's range, with
    ``s = (max - min) / (K + 1)``, ``b_mu[d] = min_d + s (1..K)`` and ``b_sigma = log s`` (sigma = s);
    ``rho = 1``.

    For RNADE-Laplace the same ``b_sigma = log s`` makes each component's scale ``b = s``, as the original
    ``MoLaplaceNADE`` (the original MoG code assigned ``s`` itself to ``b_sigma``, an apparent slip; both
    families get ``log s`` here).

    Statistics come from at most 10,000 training frames drawn with ``rng``.
    """
    if frames.shape[0] > 10_000:
        frames = frames[rng.choice(frames.shape[0], 10_000, replace=False)]
    lo, hi = frames.min(axis=0), frames.max(axis=0)
    s = np.maximum((hi - lo) / (cfg.K + 1), 1e-3)  # D
    out = dict(values)
    out["b_alpha"] = np.zeros((cfg.D, cfg.K))
    out["b_mu"] = lo[:, None] + s[:, None] * np.arange(1, cfg.K + 1)[None, :]
    out["b_sigma"] = np.repeat(np.log(s)[:, None], cfg.K, axis=1)
    out["rho"] = np.ones(cfg.D)
    return out


def _batches(seqs: list, batch_size: int, window: int, rng: np.random.Generator, recurrent: bool) -> list:
    """One epoch's minibatches: ``(X, mask)`` of padded windows for RNN-RNADE, ``X`` of frames for RNADE."""
    if not recurrent:
        frames = np.concatenate(seqs, axis=0)
        order = rng.permutation(frames.shape[0])
        return [(frames[order[i : i + batch_size]],) for i in range(0, len(order), batch_size)]
    from .data.sequences import minibatches, windows

    return list(minibatches(windows(seqs, window, rng), batch_size, rng))


def _generator(state_json: str) -> np.random.Generator:
    """A NumPy generator in the bit-generator state saved by :meth:`Trainer.save_checkpoint`."""
    state = json.loads(state_json)
    gen = np.random.Generator(getattr(np.random, state["bit_generator"])())
    gen.bit_generator.state = state
    return gen


def load_checkpoint(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every array of a checkpoint (parameters, ``config``, and the ``x/y`` state keys)."""
    return read_npz(path, "checkpoint", ParamsError)


def checkpoint_standardizer(arrays: dict):
    """The :class:`~rnnrnade_pt.data.sequences.Standardizer` saved under ``data/`` in a checkpoint."""
    from .data.sequences import Standardizer

    return Standardizer.from_arrays(
        {k.removeprefix("data/"): v for k, v in arrays.items() if k.startswith("data/")}
    )


class Trainer:
    """Trains a :class:`Rnade` or :class:`RnnRnade` on lists of sequences, in a run directory.

    Parameters
    ----------
    run_cfg : RunConfig
    run_dir : str
        Created if absent; must not already hold a run unless ``resume``.
    splits : dict
        ``{"train": [T_i x D arrays], "valid": [...], "test": [...]}`` in the data's own units.
    resume : bool
        Continue from ``run_dir/last.npz``.
    progress : callable, optional
        ``progress(total, desc)`` returning an object with ``update(n)``, ``set_postfix(**kw)`` and
        ``close()`` (a tqdm); without it one summary line per epoch is logged.
    values : dict, optional
        Start from these parameters instead of the configured initialisation (not with ``resume``).
    """

    def __init__(
        self,
        run_cfg: RunConfig,
        run_dir: str,
        splits: dict,
        resume: bool = False,
        progress=None,
        values: dict | None = None,
    ):
        self.cfg = run_cfg
        self.run_dir = run_dir
        self.progress = progress
        self.splits = splits
        mcfg, tcfg = run_cfg.model, run_cfg.train
        if not splits.get("train"):
            raise ConfigError("the training split holds no sequence")
        if not splits.get("valid"):
            raise ConfigError("the validation split holds no sequence")
        if tcfg.pretrain_epochs and mcfg.model != "rnn-rnade":
            raise ConfigError(
                f"pretrain_epochs pretrains the RNADE of an RNN-RNADE; model {mcfg.model!r} has none"
            )
        if tcfg.ordering == "orderless":
            if mcfg.model != "rnade":
                raise ConfigError(
                    f"ordering 'orderless' trains an RNADE over orderings of its dimensions; "
                    f"model {mcfg.model!r} has a fixed one"
                )
            if tcfg.graph == "scan":
                raise ConfigError("ordering 'orderless' is built on the fast graph; use graph 'fast'")
            if mcfg.fold_c_into_W:
                raise ConfigError(
                    "ordering 'orderless' needs every dimension's input weight; fold_c_into_W gives the "
                    "last dimension none"
                )
        D = splits["train"][0].shape[1]
        if D != mcfg.D:
            raise ConfigError(f"the data have D={D} dimensions, the model config has D={mcfg.D}")
        self.standardizer = None
        ckpt = None
        if resume:
            ckpt = load_checkpoint(os.path.join(run_dir, "last.npz"))
        if run_cfg.data.standardize:
            from .data.sequences import Standardizer

            self.standardizer = (
                checkpoint_standardizer(ckpt) if ckpt is not None else Standardizer.fit(splits["train"])
            )
        std = self.standardizer
        self.data = {k: v if std is None else std.transform(v) for k, v in splits.items() if v}
        self.log_jacobian = 0.0 if std is None else std.log_jacobian
        cls = model_class(mcfg)
        if ckpt is not None:
            values = check_params({k: v for k, v in ckpt.items() if "/" not in k and k != "config"}, mcfg)
            self.state = RunState.from_arrays(ckpt)
        elif values is not None:
            values = check_params(values, mcfg)
            self.state = RunState(phase="pretrain" if self._pretraining() else "train")
        else:
            rng = np.random.default_rng([tcfg.seed, 7])
            values = init_params(mcfg, rng, tcfg.init_scale)
            if tcfg.init == "data":
                module = model_module(mcfg)
                init = data_driven_init if mcfg.rnade_family else getattr(module, "data_driven_init", None)
                if init is not None:
                    values = init(values, np.concatenate(self.data["train"]), mcfg, rng)
            if tcfg.zero_bias_maps:
                values = zero_bias_maps(values, mcfg)
            self.state = RunState(phase="pretrain" if self._pretraining() else "train")
        self.model: DensityModel = cls(mcfg, values, tcfg.backend)
        self.steps: dict[str, TrainStep] = {}
        self.rngs: dict = {}  # checkpoint key (rng/...) -> shared random generator of a training graph
        self._ckpt = ckpt
        self._session = 0.0
        self._saved_at = time.monotonic()  # when last.npz was last written
        self._stop = _StopSignals()
        self._interrupt_at_step: int | None = None
        self._param_norms: list = []  # this epoch's per-parameter gradient norms (log_grad_norms)

    # ------------------------------------------------------------------------------------------------
    def _pretraining(self) -> bool:
        return self.cfg.model.model == "rnn-rnade" and self.cfg.train.pretrain_epochs > 0

    def _step_fn(self, phase: str, shape: tuple | None = None) -> TrainStep:
        """The compiled step of ``phase`` (one per static batch shape for JAX, sharing one optimiser)."""
        mcfg, tcfg = self.cfg.model, self.cfg.train
        key = (phase, shape if needs_static_shapes(tcfg.backend) else None)
        if key not in self.steps:
            if phase == "pretrain":  # the RNADE alone, on the RNN-RNADE's own RNADE parameters
                g = pretrain_graph(mcfg, self.model.shared, tcfg.step_graph, key[1])
            elif tcfg.ordering == "orderless":
                g = build_rnade(mcfg, self.model.shared, graph=tcfg.step_graph, shape=key[1], orderings=True)
            else:
                g = build(mcfg, self.model.shared, graph=tcfg.step_graph, shape=key[1])
            prefix = "pretrain_opt" if phase == "pretrain" else "opt"
            shared_state = next((s.state for k, s in self.steps.items() if k[0] == phase), None)
            for name, var in (getattr(g, "rngs", None) or {}).items():
                self.rngs[self._seed_generator(var, name, phase, key[1])] = var
            step = build_train_step(g, tcfg, prefix=prefix, backend=tcfg.backend, state=shared_state)
            if self._ckpt is not None and shared_state is None:
                for name, var in step.state.items():
                    if name in self._ckpt:
                        var.set_value(self._ckpt[name].astype(var.dtype))
            self.steps[key] = step
        return self.steps[key]

    def _seed_generator(self, var, name: str, phase: str, shape: tuple | None) -> str:
        """Put a training graph's random generator (e.g. the RNN-RBM's CD chain) in its checkpointed state,
        or else seed it from (seed, phase, shape); return its checkpoint key, ``rng/<name>`` (plus
        ``@<shape>`` for each static shape's graph under JAX, each with its own stream)."""
        ckey = f"rng/{name}" + ("" if shape is None else "@" + "x".join(map(str, shape)))
        if self._ckpt is not None and ckey in self._ckpt:
            var.set_value(_generator(str(self._ckpt[ckey])), borrow=True)
        else:
            seed = [self.cfg.train.seed, 11, PHASES.index(phase), *(shape or ())]
            var.set_value(np.random.default_rng(seed), borrow=True)
        return ckey

    def _epoch_batches(self, phase: str, epoch: int) -> list:
        rng = np.random.default_rng([self.cfg.train.seed, PHASES.index(phase), epoch])
        self.state.rng = json.dumps(rng.bit_generator.state)
        recurrent = self.cfg.model.recurrent and phase == "train"
        tcfg = phase_config(self.cfg.train, phase)
        return _batches(self.data["train"], tcfg.batch_size, tcfg.window, rng, recurrent)

    def _ordering_masks(self, phase: str, epoch: int, batch: int, n: int) -> np.ndarray:
        """Precedence masks (n x D x D) of batch ``batch``'s random orderings, one per example, seeded by
        (seed, phase, epoch, batch): the same draws on resume."""
        rng = np.random.default_rng([self.cfg.train.seed, PHASES.index(phase), epoch, batch])
        return precedence_masks(random_orderings(rng, n, self.cfg.model.D), self.cfg.model.dtype)

    # ------------------------------------------------------------------------------------------------
    def evaluate(self, split: str, batch_size: int = 64) -> float:
        """Mean log-likelihood per frame of a split (its first ``eval_sequences`` sequences when set), in the
        data's own units (nats)."""
        seqs = self.data[split][: self.cfg.train.eval_sequences or None]
        total, frames = 0.0, 0
        if self.cfg.model.recurrent:
            from .data.sequences import eval_batches

            for X, mask in eval_batches(seqs, batch_size):
                ll = self.model.loglik(X, mask, graph=self.cfg.train.graph, finite=False)
                total, frames = total + ll.total, frames + ll.frames
        else:
            rows = np.concatenate(seqs)
            for i in range(0, rows.shape[0], 4096):
                ll = self.model.loglik(rows[i : i + 4096], graph=self.cfg.train.graph, finite=False)
                total, frames = total + ll.total, frames + ll.frames
        return total / frames + self.log_jacobian

    def save_checkpoint(self, name: str) -> str:
        """Write ``run_dir/name`` atomically: parameters, config, optimiser and run state."""
        arrays = dict(self.model.get_params())
        arrays["config"] = np.array(self.cfg.model.to_json())
        arrays["run/config"] = np.array(self.cfg.to_json())
        for step in self.steps.values():
            arrays.update({n: np.asarray(v.get_value(), dtype=np.float64) for n, v in step.state.items()})
        if self._ckpt is not None:  # optimiser state of a phase not compiled in this session
            arrays.update(
                {
                    k: v
                    for k, v in self._ckpt.items()
                    if k.startswith(("opt/", "pretrain_opt/")) and k not in arrays
                }
            )
        arrays.update(self.state.to_arrays())
        for ckey, var in self.rngs.items():
            arrays[ckey] = np.array(json.dumps(var.get_value().bit_generator.state))
        if self._ckpt is not None:
            arrays.update({k: v for k, v in self._ckpt.items() if k.startswith("rng/") and k not in arrays})
        if self.standardizer is not None:
            arrays.update({f"data/{k}": v for k, v in self.standardizer.to_arrays().items()})
        path = os.path.join(self.run_dir, name)
        atomic_write_npz(path, arrays)
        if name == "last.npz":
            self._saved_at = time.monotonic()
        return path

    def _write_metrics(self, row: dict) -> None:
        path = os.path.join(self.run_dir, "metrics.csv")
        new = not os.path.exists(path)
        with open(path, "a", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, METRICS_FIELDS)
            if new:
                w.writeheader()
            w.writerow(row)
            fh.flush()
            os.fsync(fh.fileno())

    def _trim_metrics(self) -> None:
        """On resume, drop rows written after the checkpoint (a kill between a row and its checkpoint)."""
        path = os.path.join(self.run_dir, "metrics.csv")
        if not os.path.exists(path):
            return
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        here = (PHASES.index(self.state.phase), self.state.epoch)
        keep = [r for r in rows if (PHASES.index(r["phase"]), int(r["epoch"])) <= here]
        if len(keep) != len(rows):  # atomically: a kill now must not lose the rows kept
            text = io.StringIO(newline="")
            w = csv.DictWriter(text, METRICS_FIELDS)
            w.writeheader()
            w.writerows(keep)
            atomic_write_text(path, text.getvalue())

    # ------------------------------------------------------------------------------------------------
    def fit(self, interrupt_at_step: int | None = None) -> str:
        """Train until the epochs, the time budget or early stopping end it.

        Holds the run directory's lock (:func:`run_lock`) and, in the main thread, catches SIGTERM and
        SIGINT (see the module docstring); BLAS runs on one thread meanwhile
        (:func:`~rnnrnade_pt.compile.training_threads`). A fresh run writes ``last.npz`` before its first
        step, so that it can be resumed from any moment.

        Returns
        -------
        str
            Why it stopped: ``"epochs"``, ``"early_stopping"``, ``"max_seconds"``.

        Raises
        ------
        TrainingInterrupted
            After a SIGTERM or SIGINT, with ``last.npz`` saved (``interrupt_at_step`` simulates a SIGINT
            before that training step, for tests). A ``KeyboardInterrupt``.
        TrainingStopped
            After ``max_nan_failures`` rejected steps, with ``last.npz`` saved.
        ConfigError
            Another process is training in the run directory.
        """
        with run_lock(self.run_dir), _StopSignals() as self._stop, training_threads():
            self._interrupt_at_step = interrupt_at_step
            self._trim_metrics()
            atomic_write_text(os.path.join(self.run_dir, "config.json"), self.cfg.to_json() + "\n")
            tcfg = self.cfg.train
            if self.state.phase == "pretrain" and not self._pretraining():
                self.state.phase = "train"
            if self._ckpt is None:
                self.save_checkpoint("last.npz")
            try:
                if self.state.phase == "pretrain":
                    reason = self._run_phase("pretrain", tcfg.pretrain_epochs)
                    if reason == "max_seconds" and budget_spent(self):
                        return reason
                    self.state = end_pretraining(self, RunState)  # from pretraining's best checkpoint
                return self._run_phase("train", tcfg.epochs)
            finally:
                self._ckpt = None

    def _check_stop(self, phase: str, start: float) -> None:
        """After a SIGTERM or SIGINT (or at ``interrupt_at_step``): save ``last.npz``, log where the run
        stopped and how to continue it, and raise :class:`TrainingInterrupted`."""
        st = self.state
        if self._interrupt_at_step is not None and st.step == self._interrupt_at_step and phase == "train":
            self._stop.signum = signal.SIGINT
        if self._stop.signum is None:
            return
        st.seconds += time.perf_counter() - start
        path = self.save_checkpoint("last.npz")
        name = signal.Signals(self._stop.signum).name
        msg = (
            f"interrupted by {name} in {phase} epoch {st.epoch + 1} (batch {st.batch}, step {st.step}); "
            f"saved {path}; continue with: rnnrnade train --resume {self.run_dir}"
        )
        logger.warning(msg)
        raise TrainingInterrupted(self._stop.signum, msg)

    def _run_phase(self, phase: str, n_epochs: int) -> str:
        tcfg, st = phase_config(self.cfg.train, phase), self.state
        dtype = self.cfg.model.dtype
        static = needs_static_shapes(tcfg.backend)
        while st.epoch < n_epochs:
            batches = self._epoch_batches(phase, st.epoch)
            steps_per_epoch = len(batches)
            total_steps = steps_per_epoch * n_epochs
            lr = learning_rate(tcfg, st.step, total_steps, steps_per_epoch) * st.lr_scale
            bar = (
                self.progress(steps_per_epoch, f"{phase} {st.epoch + 1}/{n_epochs}")
                if self.progress
                else None
            )
            if bar is not None and st.batch:
                bar.update(st.batch)
            start = time.perf_counter()
            try:
                while st.batch < steps_per_epoch:
                    lr = learning_rate(tcfg, st.step, total_steps, steps_per_epoch) * st.lr_scale
                    batch = batches[st.batch]
                    if static and len(batch) == 2:
                        batch = pad_to_buckets(*batch)  # exact: padding is masked
                    batch = [a.astype(dtype) for a in batch]
                    if tcfg.ordering == "orderless":
                        batch.append(self._ordering_masks(phase, st.epoch, st.batch, batch[0].shape[0]))
                    step_fn = self._step_fn(phase, batch[0].shape)
                    self._check_stop(phase, start)
                    total, frames, norm, ok, *param_norms = step_fn.fn(*batch, np.asarray(lr, dtype=dtype))
                    if not bool(ok):
                        start = self._reject_step(start)
                    else:
                        sums = st.epoch_sums
                        sums[0] += float(total)
                        sums[1] += float(frames)
                        sums[2] += float(norm)
                        sums[3] += 1
                        if param_norms:
                            self._param_norms.append([float(v) for v in param_norms])
                    st.batch += 1
                    st.step += 1
                    if bar is not None:
                        bar.update(1)
                        if st.epoch_sums[1]:
                            bar.set_postfix(loglik=f"{st.epoch_sums[0] / st.epoch_sums[1]:.3f}")
                    if tcfg.max_seconds is not None and self._session_seconds(start) > tcfg.max_seconds:
                        st.seconds += time.perf_counter() - start
                        self._session += time.perf_counter() - start
                        start = time.perf_counter()
                        self._best_of_first_epoch(phase)
                        self.save_checkpoint("last.npz")
                        logger.info("time budget of %.0f s reached; saved last.npz", tcfg.max_seconds)
                        return "max_seconds"
                    if time.monotonic() - self._saved_at >= tcfg.checkpoint_seconds:
                        st.seconds += time.perf_counter() - start
                        self._session += time.perf_counter() - start
                        start = time.perf_counter()
                        self.save_checkpoint("last.npz")
                        logger.debug("periodic checkpoint at step %d", st.step)
            finally:
                if bar is not None:
                    bar.close()
            st.seconds += time.perf_counter() - start
            self._session += time.perf_counter() - start
            reason = self._end_epoch(phase, lr)
            if reason:
                return reason
        return "epochs"

    def _best_of_first_epoch(self, phase: str) -> None:
        """A time budget that ends inside the first epoch still leaves a usable ``best.npz``: the parameters
        reached so far, scored on the validation split (as the epochs' end would)."""
        if phase != "train" or os.path.exists(os.path.join(self.run_dir, "best.npz")):
            return
        st = self.state
        valid_ll = self.evaluate("valid")
        if np.isfinite(valid_ll):
            st.best_valid, st.best_epoch = valid_ll, st.epoch
            self.save_checkpoint("best.npz")
            logger.info("time budget ended inside the first epoch: best.npz holds its %d steps", st.batch)

    def _reject_step(self, start: float) -> float:
        """A non-finite step changed nothing (see :func:`build_train_step`): count it, lower the learning
        rate, and stop with a checkpoint after too many."""
        tcfg, st = self.cfg.train, self.state
        st.nan_failures += 1
        st.lr_scale *= tcfg.nan_lr_factor
        logger.warning(
            "step %d: non-finite cost or gradient; step rejected, parameters kept at the last good values, "
            "learning rate scaled by %.3g (failure %d of %d)",
            st.step, st.lr_scale, st.nan_failures, tcfg.max_nan_failures,
        )  # fmt: skip
        if st.nan_failures < tcfg.max_nan_failures:
            return start
        st.seconds += time.perf_counter() - start
        path = self.save_checkpoint("last.npz")
        raise TrainingStopped(
            f"stopped after {st.nan_failures} non-finite steps; the last good parameters are in {path} "
            "(lower the learning rate or clip gradients)"
        )

    def _log_param_norms(self, phase: str, epoch: int, names: list) -> None:
        """Mean gradient norm of each parameter over the epoch: logged, and a row of ``grad_norms.csv``."""
        means = np.mean(np.asarray(self._param_norms), axis=0)
        self._param_norms = []
        logger.info(
            "gradient norms: %s", ", ".join(f"{n} {v:.3g}" for n, v in zip(names, means, strict=True))
        )
        path = os.path.join(self.run_dir, "grad_norms.csv")
        new = not os.path.exists(path)
        with open(path, "a", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            if new:
                w.writerow(["phase", "epoch"] + list(names))
            w.writerow([phase, epoch] + [f"{v:.6g}" for v in means])

    def _session_seconds(self, start: float) -> float:
        """Training seconds of this session (the time budget applies to each invocation)."""
        return self._session + time.perf_counter() - start

    def _end_epoch(self, phase: str, lr: float) -> str | None:
        tcfg, st = self.cfg.train, self.state
        sums = st.epoch_sums
        train_ll = sums[0] / sums[1] + self.log_jacobian if sums[1] else float("nan")
        grad_norm = sums[2] / sums[3] if sums[3] else float("nan")
        valid_ll = self.evaluate("valid")
        row = dict(
            phase=phase,
            epoch=st.epoch + 1,
            step=st.step,
            train_loglik=train_ll,
            valid_loglik=valid_ll,
            grad_norm=grad_norm,
            lr=lr,
            seconds=round(st.seconds, 3),
        )
        st.epoch += 1
        st.batch = 0
        st.epoch_sums = [0.0, 0.0, 0.0, 0]
        improved = valid_ll > st.best_valid
        if improved:
            st.best_valid, st.best_epoch, st.bad_epochs = valid_ll, st.epoch, 0
        else:
            st.bad_epochs += 1
        self._write_metrics(row)
        if self._param_norms:
            names = next(s.fn_names for k, s in self.steps.items() if k[0] == phase)
            self._log_param_norms(phase, st.epoch, names)
        if improved:
            self.save_checkpoint("best.npz")
        self.save_checkpoint("last.npz")
        logger.info(
            "%s epoch %d: train %.4f, valid %.4f nats/frame, |g| %.3g, lr %.3g, %.0f s",
            phase, st.epoch, train_ll, valid_ll, grad_norm, lr, st.seconds,
        )  # fmt: skip
        patience = tcfg.patience if phase == "train" else tcfg.pretrain_patience
        if patience and st.bad_epochs >= patience:
            logger.info("%s: early stopping: no better validation score for %d epochs", phase, patience)
            return "early_stopping"
        return None
