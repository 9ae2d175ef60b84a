"""Training runs: the loop around the compiled step (:mod:`rnnrnade_pt.step`), with NaN safety, checkpoints
and exact resume.

A run is a directory::

    config.json    the resolved RunConfig
    metrics.csv    per epoch: phase, epoch, step, the training monitor (train_loglik, or the RNN-RBM's
                   train_recon_loglik) and valid_loglik per frame, gradient norm, lr, seconds
                   (:mod:`rnnrnade_pt.metrics`)
    best.npz       parameters with the best validation log-likelihood so far
    last.npz       parameters, optimiser state and run state: at the start, every ``checkpoint_seconds``,
                   at each epoch's end and on SIGTERM / SIGINT (:mod:`rnnrnade_pt.checkpoint`)
    train.lock     the process training in the directory (:func:`~rnnrnade_pt.interrupts.run_lock`)
    curve.png      learning curves (with the ``plot`` extra)

Batches are a pure function of (seed, phase, epoch), and every random stream of a run (initialisation,
shuffling, orderings, the RNN-RBM's CD chains) follows ``train.seed``, with every generator's state in the
checkpoints: a run resumed from a checkpoint taken at any step ends with the same parameters, bit for bit,
as one never interrupted. (Except an RNN-RBM on JAX: PyTensor's JAX linker draws from its own copy of a
shared generator, whose advanced state a checkpoint cannot read; it resumes with the generators as seeded.)

Preemption: SIGTERM and SIGINT let the current step finish, write ``last.npz`` and raise
:class:`~rnnrnade_pt.interrupts.TrainingInterrupted` (:mod:`rnnrnade_pt.interrupts`). ``last.npz`` is also
written every ``train.checkpoint_seconds``, so SIGKILL loses at most that much training.

Order-agnostic training (``ordering="orderless"``, RNADE only): every example of every step gets its own
random ordering of the dimensions, fed to the graph as precedence masks ``M`` (:mod:`rnnrnade_pt.orderings`),
drawn from a generator seeded with (seed, phase, epoch, batch), so they too resume exactly. Such a run is
validated under the natural ordering (ensembles: :func:`~rnnrnade_pt.orderings.ensemble_loglik`).

References
----------
.. [1] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. ICML 2012, and the Theano RNN-RBM tutorial
   (sequences cut into 100-step chunks; pretraining the frame model on shuffled frames).
.. [2] B. Uria, I. Murray, H. Larochelle. "RNADE." NIPS 2013 (data-driven initialisation of the means).
.. [3] B. Uria, I. Murray, H. Larochelle. "A deep and tractable density estimator." ICML 2014
   (order-agnostic training).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time

import numpy as np

from . import pretrain
from .backend import needs_static_shapes, pad_to_buckets, training_threads
from .checkpoint import (
    EpochSums,
    RunState,
    checkpoint_standardizer,
    generator_from_state,
    load_checkpoint,
    write_checkpoint,
)
from .config import RunConfig
from .density_model import DensityModel, model_class
from .errors import ConfigError, RnnRnadeError
from .interrupts import StopSignals, TrainingInterrupted, run_lock
from .metrics import append_grad_norms, append_metrics, train_column, train_monitor, trim_metrics
from .models import build, build_rnade, init_params, model_module
from .npz import atomic_write_text
from .optim import learning_rate
from .orderings import precedence_masks, random_orderings
from .params import check_params
from .step import TrainStep, build_train_step

__all__ = ["TrainingStopped", "Trainer"]

logger = logging.getLogger(__name__)

PHASES = ("pretrain", "train")


class TrainingStopped(RnnRnadeError):
    """Training stopped early (too many non-finite steps); a usable checkpoint was written."""


def _batches(seqs: list, batch_size: int, window: int, rng: np.random.Generator, recurrent: bool) -> list:
    """One epoch's minibatches: ``(X, mask)`` of padded windows for RNN-RNADE, ``X`` of frames for RNADE."""
    if not recurrent:
        frames = np.concatenate(seqs, axis=0)
        order = rng.permutation(frames.shape[0])
        return [(frames[order[i : i + batch_size]],) for i in range(0, len(order), batch_size)]
    from .data.batching import minibatches, windows

    return list(minibatches(windows(seqs, window, rng), batch_size, rng))


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
        D = splits["train"][0].shape[1]
        if D != mcfg.D:
            raise ConfigError(f"the data have D={D} dimensions, the model config has D={mcfg.D}")
        self.standardizer = None
        ckpt = None
        if resume:
            ckpt = load_checkpoint(os.path.join(run_dir, "last.npz"))
        if run_cfg.data.standardize:
            from .data.standardize import Standardizer

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
                frames = np.concatenate(self.data["train"])  # N x D
                values = model_module(mcfg).data_driven_init(values, frames, mcfg, rng)
            if tcfg.zero_bias_maps:
                values = pretrain.zero_bias_maps(values, mcfg)
            if tcfg.pretrained_rnade:
                values = pretrain.from_pretrained(values, tcfg.pretrained_rnade, mcfg)
            self.state = RunState(phase="pretrain" if self._pretraining() else "train")
        self.model: DensityModel = cls(mcfg, values, tcfg.backend)
        self.steps: dict[str, TrainStep] = {}
        self.rngs: dict = {}  # checkpoint key (rng/...) -> shared random generator of a training graph
        self._ckpt = ckpt
        self._session = 0.0
        self._saved_at = time.monotonic()  # when last.npz was last written
        self._stop = StopSignals()
        self._interrupt_at_step: int | None = None
        self._param_norms: list = []  # this epoch's per-parameter gradient norms (log_grad_norms)

    # ------------------------------------------------------------------------------------------------
    def _pretraining(self) -> bool:
        return self.cfg.model.model in pretrain.PRETRAINED and self.cfg.train.pretrain_epochs > 0

    def _step_fn(self, phase: str, shape: tuple | None = None) -> TrainStep:
        """The compiled step of ``phase`` (one per static batch shape for JAX, sharing one optimiser)."""
        mcfg, tcfg = self.cfg.model, self.cfg.train
        key = (phase, shape if needs_static_shapes(tcfg.backend) else None)
        if key not in self.steps:
            if phase == "pretrain":  # the frame model alone, on the model's own parameters
                g = pretrain.pretrain_graph(mcfg, self.model.shared, tcfg.step_graph, key[1])
            elif tcfg.ordering == "orderless":
                g = build_rnade(mcfg, self.model.shared, graph=tcfg.step_graph, shape=key[1], orderings=True)
            else:
                g = build(mcfg, self.model.shared, graph=tcfg.step_graph, shape=key[1])
            prefix = "pretrain_opt" if phase == "pretrain" else "opt"
            shared_state = next((s.state for k, s in self.steps.items() if k[0] == phase), None)
            for name, var in (g.rngs or {}).items():
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
            var.set_value(generator_from_state(str(self._ckpt[ckey])), borrow=True)
        else:
            seed = [self.cfg.train.seed, 11, PHASES.index(phase), *(shape or ())]
            var.set_value(np.random.default_rng(seed), borrow=True)
        return ckey

    def _epoch_batches(self, phase: str, epoch: int) -> list:
        rng = np.random.default_rng([self.cfg.train.seed, PHASES.index(phase), epoch])
        self.state.rng = json.dumps(rng.bit_generator.state)
        tcfg = pretrain.phase_config(self.cfg.train, phase)
        recurrent = self.cfg.model.recurrent and phase == "train"  # pretraining: batches of shuffled frames
        batches = _batches(self.data["train"], tcfg.batch_size, tcfg.window, rng, recurrent)
        return batches if phase == "train" else pretrain.frame_batches(batches, self.cfg.model)

    def _ordering_masks(self, phase: str, epoch: int, batch: int, n: int) -> np.ndarray:
        """Precedence masks (n x D x D) of batch ``batch``'s random orderings, one per example, seeded by
        (seed, phase, epoch, batch): the same draws on resume."""
        rng = np.random.default_rng([self.cfg.train.seed, PHASES.index(phase), epoch, batch])
        return precedence_masks(random_orderings(rng, n, self.cfg.model.D), self.cfg.model.dtype)

    # ------------------------------------------------------------------------------------------------
    def evaluate(self, split: str, batch_size: int = 64) -> float:
        """Mean log-likelihood per frame of a split (its first ``eval_sequences`` sequences when set: this
        scores validation), in the data's own units (nats)."""
        seqs = self.data[split][: self.cfg.train.eval_sequences or None]
        total, frames = 0.0, 0
        if self.cfg.model.recurrent:
            from .data.batching import eval_batches

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
        """Write ``run_dir/name`` atomically: parameters, config, optimiser and run state
        (:func:`~rnnrnade_pt.checkpoint.write_checkpoint`)."""
        optimizer = {n: v for step in self.steps.values() for n, v in step.state.items()}
        path = write_checkpoint(
            os.path.join(self.run_dir, name),
            self.model.get_params(),
            self.cfg,
            self.state,
            optimizer,
            self.rngs,
            standardizer=self.standardizer,
            previous=self._ckpt,
        )
        if name == "last.npz":
            self._saved_at = time.monotonic()
        return path

    def _trim_metrics(self) -> None:
        """On resume, drop rows written after the checkpoint (a kill between a row and its checkpoint)."""
        here = (PHASES.index(self.state.phase), self.state.epoch)

        def kept(row: dict) -> bool:
            return (PHASES.index(row["phase"]), int(row["epoch"])) <= here

        trim_metrics(self.run_dir, kept, self.cfg.model.model)

    # ------------------------------------------------------------------------------------------------
    def fit(self, interrupt_at_step: int | None = None) -> str:
        """Train until the epochs, the time budget or early stopping end it.

        Holds the run directory's lock (:func:`run_lock`) and, in the main thread, catches SIGTERM and
        SIGINT (see the module docstring); BLAS runs on one thread meanwhile
        (:func:`~rnnrnade_pt.backend.training_threads`). A fresh run writes ``last.npz`` before its first
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
        with run_lock(self.run_dir), StopSignals() as self._stop, training_threads():
            self._interrupt_at_step = interrupt_at_step
            self._trim_metrics()
            atomic_write_text(os.path.join(self.run_dir, "config.json"), self.cfg.to_json() + "\n")
            tcfg = self.cfg.train
            if self.state.phase == "pretrain" and not self._pretraining():
                self.state.phase = "train"
            if self._ckpt is None:
                if tcfg.pretrained_rnade and self.state.epoch == 0:
                    self._score_start()  # epoch 0: the pretrained RNADE, the score to beat
                self.save_checkpoint("last.npz")
            try:
                if self.state.phase == "pretrain":
                    reason = self._run_phase("pretrain", tcfg.pretrain_epochs)
                    if reason == "max_seconds" and self._budget_spent():
                        return reason
                    self.state = self._end_pretraining()  # from pretraining's best checkpoint
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
        self._account(start)
        path = self.save_checkpoint("last.npz")
        name = signal.Signals(self._stop.signum).name
        msg = (
            f"interrupted by {name} in {phase} epoch {st.epoch + 1} (batch {st.batch}, step {st.step}); "
            f"saved {path}; continue with: rnnrnade train --resume {self.run_dir}"
        )
        logger.warning(msg)
        raise TrainingInterrupted(self._stop.signum, msg)

    def _run_phase(self, phase: str, n_epochs: int) -> str:
        tcfg, st = pretrain.phase_config(self.cfg.train, phase), self.state
        dtype = self.cfg.model.dtype
        static = needs_static_shapes(tcfg.backend)
        monitor = train_monitor(self.cfg.model.model)
        while st.epoch < n_epochs:
            batches = self._epoch_batches(phase, st.epoch)
            steps_per_epoch = len(batches)
            total_steps = steps_per_epoch * n_epochs
            # the rate of the epoch's last step taken, also when a resumed run has none of the epoch left
            last = st.step - 1 if st.batch >= steps_per_epoch and st.step > 0 else st.step
            lr = learning_rate(tcfg, last, total_steps, steps_per_epoch) * st.lr_scale
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
                        st.epoch_sums.add(float(total), float(frames), float(norm))
                        if param_norms:
                            self._param_norms.append([float(v) for v in param_norms])
                    st.batch += 1
                    st.step += 1
                    if bar is not None:
                        bar.update(1)
                        if st.epoch_sums.frames:
                            bar.set_postfix({monitor: f"{st.epoch_sums.loglik / st.epoch_sums.frames:.3f}"})
                    if tcfg.max_seconds is not None and self._session_seconds(start) > tcfg.max_seconds:
                        start = self._account(start)
                        self._best_of_first_epoch(phase)
                        self.save_checkpoint("last.npz")
                        logger.info("time budget of %.0f s reached; saved last.npz", tcfg.max_seconds)
                        return "max_seconds"
                    if time.monotonic() - self._saved_at >= tcfg.checkpoint_seconds:
                        start = self._account(start)
                        self.save_checkpoint("last.npz")
                        logger.debug("periodic checkpoint at step %d", st.step)
            finally:
                if bar is not None:
                    bar.close()
            self._account(start)
            reason = self._end_epoch(phase, lr)
            if reason:
                return reason
        return "epochs"

    def _best_of_first_epoch(self, phase: str) -> None:
        """A time budget that ends inside the first epoch (of training, or of pretraining ending the run)
        still leaves a usable ``best.npz``: the parameters so far, scored on validation (as an epoch)."""
        done = os.path.exists(os.path.join(self.run_dir, "best.npz"))
        if done or (phase == "pretrain" and not self._budget_spent()):  # _end_pretraining scores it
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
            st.step,
            st.lr_scale,
            st.nan_failures,
            tcfg.max_nan_failures,
        )
        if st.nan_failures < tcfg.max_nan_failures:
            return start
        self._account(start)
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
        append_grad_norms(self.run_dir, phase, epoch, names, means)

    def _session_seconds(self, start: float) -> float:
        """Training seconds of this session (the time budget applies to each invocation)."""
        return self._session + time.perf_counter() - start

    def _account(self, start: float) -> float:
        """Add the training time since ``start`` to the run's (``state.seconds``, over all sessions) and this
        session's (the time budget's); the one place time is counted. Returns the new start."""
        now = time.perf_counter()
        self.state.seconds += now - start
        self._session += now - start
        return now

    def _budget_spent(self) -> bool:
        """Whether the run's time budget (``max_seconds``, this session) is spent: pretraining that stopped
        on ``max_seconds`` ends the run, one that stopped on ``pretrain_max_seconds`` alone moves on."""
        limit = self.cfg.train.max_seconds
        return limit is not None and self._session >= limit

    def _score_start(self) -> None:
        """Score the run's starting point (the pretrained RNADE of ``train.pretrained_rnade``) on the
        validation split as epoch 0 and save it as ``best.npz``: the score training must beat."""
        st = self.state
        st.best_valid, st.best_epoch = self.evaluate("valid"), 0
        self.save_checkpoint("best.npz")
        logger.info("epoch 0, the pretrained RNADE: valid loglik %.4f nats/frame", st.best_valid)

    def _end_pretraining(self) -> RunState:
        """The run state that starts the training phase, after pretraining ended (epochs, early stopping
        or ``pretrain_max_seconds``).

        The model's parameters are set to the best validation checkpoint of pretraining (``best.npz``, when
        pretraining wrote one); the state keeps that checkpoint's score as the one to beat, so ``best.npz``
        changes only when the whole model does better than its pretrained frame model. Pretraining stopped
        by its time budget inside an epoch is scored there too, and its parameters kept (and saved as
        ``best.npz``) when they beat the best epoch's.
        """
        old = self.state
        new = RunState(phase="train", seconds=old.seconds, lr_scale=1.0)
        path = os.path.join(self.run_dir, "best.npz")
        if old.batch:  # stopped inside an epoch
            valid = self.evaluate("valid")
            if valid > old.best_valid:
                old.best_valid, old.best_epoch = valid, old.epoch
                self.state = new
                new.best_valid, new.best_epoch = valid, 0
                self.save_checkpoint("best.npz")
                logger.info(
                    "pretraining stopped by its time budget (valid %.4f); training starts here", valid
                )
                return new
        if np.isfinite(old.best_valid) and os.path.exists(path):
            ck = load_checkpoint(path)
            self.model.set_params({n: ck[n] for n in self.model.shared})
            new.best_valid, new.best_epoch = old.best_valid, 0  # epoch 0 of training: the pretrained model
            logger.info(
                "pretraining ended after %d epochs; training starts from its best (epoch %d, valid %.4f)",
                old.epoch,
                old.best_epoch,
                old.best_valid,
            )
        return new

    def _end_epoch(self, phase: str, lr: float) -> str | None:
        tcfg, st = self.cfg.train, self.state
        sums = st.epoch_sums
        train_ll = sums.loglik / sums.frames + self.log_jacobian if sums.frames else float("nan")
        grad_norm = sums.grad_norm / sums.steps if sums.steps else float("nan")
        valid_ll = self.evaluate("valid")
        row = dict(
            phase=phase,
            epoch=st.epoch + 1,
            step=st.step,
            **{train_column(self.cfg.model.model): train_ll},  # train_loglik, or what training monitors
            valid_loglik=valid_ll,
            grad_norm=grad_norm,
            lr=lr,
            seconds=round(st.seconds, 3),
        )
        st.epoch += 1
        st.batch = 0
        st.epoch_sums = EpochSums()
        improved = valid_ll > st.best_valid
        if improved:
            st.best_valid, st.best_epoch, st.bad_epochs = valid_ll, st.epoch, 0
        else:
            st.bad_epochs += 1
        append_metrics(self.run_dir, row, self.cfg.model.model)
        if self._param_norms:
            names = next(s.fn_names for k, s in self.steps.items() if k[0] == phase)
            self._log_param_norms(phase, st.epoch, names)
        if improved:
            self.save_checkpoint("best.npz")
        self.save_checkpoint("last.npz")
        logger.info(
            "%s epoch %d: train %s %.4f, valid loglik %.4f nats/frame, |g| %.3g, lr %.3g, %.0f s",
            phase,
            st.epoch,
            train_monitor(self.cfg.model.model),
            train_ll,
            valid_ll,
            grad_norm,
            lr,
            st.seconds,
        )
        patience = tcfg.patience if phase == "train" else tcfg.pretrain_patience
        if patience and st.bad_epochs >= patience:
            logger.info("%s: early stopping: no better validation score for %d epochs", phase, patience)
            return "early_stopping"
        return None
