"""Training checkpoints: what ``last.npz`` and ``best.npz`` hold; writing them atomically, reading them.

A checkpoint is a parameter file (:func:`~rnnrnade_pt.params.load_params` reads it): the parameters under the
supplement's names plus ``config`` (so that ``rnnrnade loglik --params best.npz`` works), and, under keys with
a ``/``,

- the optimiser state (``opt/m/W``..., ``pretrain_opt/...`` for the pretraining phase),
- the run state (``state/epoch``, ``state/batch``, ``state/step``, ``state/rng``, ...; :class:`RunState`),
- the state of every random generator of a training graph (``rng/<name>``, e.g. the RNN-RBM's CD chain),
- the standardisation statistics (``data/standardize_mean``, ``data/standardize_std``),
- the run config (``run/config``).

Every write is atomic (:func:`~rnnrnade_pt.npz.atomic_write_npz`), so killing the process at any moment
leaves the previous checkpoint loadable.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field

import numpy as np

from .errors import ParamsError
from .npz import atomic_write_npz, read_npz

__all__ = [
    "EpochSums",
    "RunState",
    "generator_state",
    "generator_from_state",
    "write_checkpoint",
    "load_checkpoint",
    "checkpoint_standardizer",
]


@dataclass
class EpochSums:
    """What the steps of the current epoch add up (a checkpoint stores it as a JSON list)."""

    loglik: float = 0.0  # summed log-likelihood of the training frames seen (or what training monitors)
    frames: float = 0.0  # frames seen
    grad_norm: float = 0.0  # summed gradient norms of the accepted steps
    steps: int = 0  # accepted steps

    def add(self, loglik: float, frames: float, grad_norm: float) -> None:
        """One accepted step."""
        self.loglik += loglik
        self.frames += frames
        self.grad_norm += grad_norm
        self.steps += 1

    def to_list(self) -> list:
        return [self.loglik, self.frames, self.grad_norm, self.steps]

    @classmethod
    def from_list(cls, values: list) -> EpochSums:
        loglik, frames, grad_norm, steps = values
        return cls(float(loglik), float(frames), float(grad_norm), int(steps))


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
    epoch_sums: EpochSums = field(default_factory=EpochSums)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The state as checkpoint arrays, ``state/<field>`` (strings and the epoch's sums as JSON)."""
        out = {}
        for k, v in self.__dict__.items():
            v = v.to_list() if isinstance(v, EpochSums) else v
            out[f"state/{k}"] = np.array(json.dumps(v)) if isinstance(v, (str, list)) else np.array(v)
        return out

    @classmethod
    def from_arrays(cls, arrays: dict) -> RunState:
        """The state saved in a checkpoint's arrays.

        Raises
        ------
        ParamsError
            A ``state/`` key is missing (not a training checkpoint).
        """
        s = cls()
        for k, default in s.__dict__.items():
            key = f"state/{k}"
            if key not in arrays:
                raise ParamsError(f"checkpoint lacks {key}; is it a training checkpoint?")
            raw = arrays[key]
            if isinstance(default, EpochSums):
                value = EpochSums.from_list(json.loads(str(raw)))
            elif isinstance(default, str):
                value = json.loads(str(raw))
            else:
                value = type(default)(raw.item())
            setattr(s, k, value)
        return s


def generator_state(gen: np.random.Generator) -> str:
    """The bit-generator state of a NumPy generator, as JSON (what a checkpoint stores under ``rng/``)."""
    return json.dumps(gen.bit_generator.state)


def generator_from_state(state_json: str) -> np.random.Generator:
    """A NumPy generator in a bit-generator state saved by :func:`generator_state`."""
    state = json.loads(state_json)
    gen = np.random.Generator(getattr(np.random, state["bit_generator"])())
    gen.bit_generator.state = state
    return gen


def write_checkpoint(
    path: str | os.PathLike,
    params: dict,
    run_cfg,
    state: RunState,
    optimizer: dict,
    rngs: dict,
    standardizer=None,
    previous: dict | None = None,
) -> str:
    """Write a training checkpoint atomically.

    Parameters
    ----------
    path : str or PathLike
    params : dict
        Name -> parameter array.
    run_cfg : RunConfig
        Its model config is saved as ``config``, the whole as ``run/config``.
    state : RunState
    optimizer : dict
        Checkpoint key (``opt/...``, ``pretrain_opt/...``) -> optimiser shared variable.
    rngs : dict
        Checkpoint key (``rng/...``) -> shared random generator of a training graph.
    standardizer : Standardizer, optional
        Saved under ``data/``.
    previous : dict, optional
        The arrays of the checkpoint this session resumed from: its optimiser state and generators that
        this session has not compiled are carried over unchanged.

    Returns
    -------
    str
        ``path``.
    """
    arrays = dict(params)
    arrays["config"] = np.array(run_cfg.model.to_json())
    arrays["run/config"] = np.array(run_cfg.to_json())
    arrays.update({n: np.asarray(v.get_value(), dtype=np.float64) for n, v in optimizer.items()})
    if previous is not None:  # optimiser state of a phase not compiled in this session
        arrays.update(
            {k: v for k, v in previous.items() if k.startswith(("opt/", "pretrain_opt/")) and k not in arrays}
        )
    arrays.update(state.to_arrays())
    for ckey, var in rngs.items():
        arrays[ckey] = np.array(generator_state(var.get_value()))
    if previous is not None:
        arrays.update({k: v for k, v in previous.items() if k.startswith("rng/") and k not in arrays})
    if standardizer is not None:
        arrays.update({f"data/{k}": v for k, v in standardizer.to_arrays().items()})
    atomic_write_npz(path, arrays)
    return str(path)


def load_checkpoint(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every array of a checkpoint (parameters, ``config``, and the ``x/y`` state keys).

    Raises
    ------
    ParamsError
        The file is missing, unreadable or not an ``.npz``.
    """
    return read_npz(path, "checkpoint", ParamsError)


def checkpoint_standardizer(arrays: dict):
    """The :class:`~rnnrnade_pt.data.standardize.Standardizer` saved under ``data/`` in a checkpoint."""
    from .data.standardize import Standardizer

    return Standardizer.from_arrays(
        {k.removeprefix("data/"): v for k, v in arrays.items() if k.startswith("data/")}
    )
