"""Stopping a training process cleanly: SIGTERM and SIGINT between steps, and one process per run directory.

Preemption: SIGTERM (a cluster scheduler, ``docker stop``) and SIGINT (Ctrl-C) let the current step finish,
the trainer writes ``last.npz`` and raises :class:`TrainingInterrupted` (the CLI exits with status
``128 + signal``: 143, 130); a second signal stops at once, leaving the last checkpoint
(:class:`StopSignals`).
Around loading and evaluating a run, outside the steps, :func:`stop_signals` raises at once.

While a process trains in a run directory it holds ``train.lock`` (an advisory ``flock``, released by the
system when the process dies, so a stale lock never blocks a resume); a second process is refused
(:func:`run_lock`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading

from .errors import ConfigError

__all__ = ["TrainingInterrupted", "LOCK_FILE", "run_lock", "StopSignals", "stop_signals"]

logger = logging.getLogger(__name__)


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

    Parameters
    ----------
    run_dir : str
        The run directory; created if absent.

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


class StopSignals:
    """While active (main thread only), SIGTERM and SIGINT are caught.

    Deferred (training): the first sets ``signum``, for the loop to stop after its step; a second raises
    :class:`TrainingInterrupted` at once. Not deferred (outside the steps: loading, evaluating; ``run_dir``
    given): the first raises at once, with a logged message saying what ``last.npz`` holds. Outside the main
    thread (a Dask worker) it does nothing.

    Parameters
    ----------
    deferred : bool
        Let the first signal only set ``signum``.
    run_dir : str, optional
        The run directory named in the message of a signal that is not deferred.
    """

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


def stop_signals(run_dir: str) -> StopSignals:
    """A context in which SIGTERM and SIGINT raise :class:`TrainingInterrupted` at once, logging what
    ``run_dir/last.npz`` holds (around loading and evaluating a run; :meth:`~rnnrnade_pt.train.Trainer.fit`
    defers them to the end of a step)."""
    return StopSignals(deferred=False, run_dir=run_dir)
