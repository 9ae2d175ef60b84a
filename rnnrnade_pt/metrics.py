"""A run directory's learning-curve files: ``metrics.csv``, one row per epoch, and ``grad_norms.csv``.

The columns of ``metrics.csv``::

    phase                "pretrain" (an RNN-RNADE's RNADE alone, on shuffled frames) or "train"
    epoch, step          epochs of the phase completed, and its steps so far
    train_loglik         mean log-likelihood per frame (nats) over the epoch's training steps, each taken on
                         the parameters of its step (a model with a tractable log-likelihood)
    train_recon_loglik   instead of train_loglik, for the RNN-RBM (whose log-likelihood is intractable): the
                         mean reconstruction log-likelihood per frame, sum_i v_i log m_i + (1-v_i) log(1-m_i)
                         with m the visible means one Gibbs step after the CD chain's end (the Theano
                         tutorial's monitor, which it calls a pseudo log-likelihood; it is not the likelihood)
    valid_loglik         mean log-likelihood per frame of the validation split after the epoch (the RNN-RBM's
                         is an AIS estimate); empty in pretraining
    grad_norm            mean global gradient norm over the epoch's steps, before clipping
    lr                   the learning rate of the epoch's last step
    seconds              training time of the run so far

Which training column a model writes is :func:`train_column`. A ``metrics.csv`` written before the RNN-RBM
had its own column (its monitor under ``train_loglik``) is read, and on resume rewritten, with that column
renamed (:func:`read_metrics`, :func:`trim_metrics`).

``grad_norms.csv`` (``train.log_grad_norms``) holds phase, epoch and the mean gradient norm of each parameter
over the epoch, before clipping.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Sequence

from .npz import atomic_write_text

__all__ = [
    "METRICS_FILE",
    "GRAD_NORMS_FILE",
    "TRAIN_MONITORS",
    "MONITOR_LABELS",
    "train_monitor",
    "train_column",
    "metrics_fields",
    "append_metrics",
    "trim_metrics",
    "read_metrics",
    "append_grad_norms",
]

METRICS_FILE = "metrics.csv"
GRAD_NORMS_FILE = "grad_norms.csv"

# models without a tractable training log-likelihood -> what their training monitors instead
TRAIN_MONITORS = {"rnn-rbm": "recon_loglik"}
MONITOR_LABELS = {"loglik": "log-likelihood", "recon_loglik": "reconstruction log-likelihood"}
_LEGACY_TRAIN_COLUMN = "train_loglik"  # every model's training column until the RNN-RBM had its own


def train_monitor(model: str) -> str:
    """What training reports for ``model`` (a :data:`~rnnrnade_pt.config.MODELS` name): ``"loglik"``, the
    log-likelihood, or for the RNN-RBM ``"recon_loglik"``, the reconstruction log-likelihood."""
    return TRAIN_MONITORS.get(model, "loglik")


def train_column(model: str) -> str:
    """The ``metrics.csv`` column of the training monitor: ``train_loglik`` or ``train_recon_loglik``."""
    return f"train_{train_monitor(model)}"


def metrics_fields(model: str) -> list[str]:
    """The header of ``metrics.csv`` for ``model``."""
    return ["phase", "epoch", "step", train_column(model), "valid_loglik", "grad_norm", "lr", "seconds"]


def _upgrade(rows: list[dict], fields: Sequence[str]) -> list[dict]:
    """Rows of an older ``metrics.csv`` under ``fields``: the legacy training column renamed."""
    column = fields[3]
    if column == _LEGACY_TRAIN_COLUMN:
        return rows
    return [
        {(column if k == _LEGACY_TRAIN_COLUMN and column not in r else k): v for k, v in r.items()}
        for r in rows
    ]


def append_metrics(run_dir: str, row: dict, model: str) -> None:
    """Append one row to ``run_dir/metrics.csv`` (with the header of ``model``'s columns when new) and flush
    it to disk."""
    path = os.path.join(run_dir, METRICS_FILE)
    new = not os.path.exists(path)
    with open(path, "a", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, metrics_fields(model))
        if new:
            w.writeheader()
        w.writerow(row)
        fh.flush()
        os.fsync(fh.fileno())


def trim_metrics(run_dir: str, keep: Callable[[dict], bool], model: str) -> None:
    """Keep only the rows of ``run_dir/metrics.csv`` for which ``keep(row)`` holds (on resume: the rows up to
    the checkpoint), under ``model``'s header (an older file's training column renamed); rewritten
    atomically, and only when something changes."""
    fields = metrics_fields(model)
    path = os.path.join(run_dir, METRICS_FILE)
    if not os.path.exists(path):
        return
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        header = reader.fieldnames
    kept = [r for r in _upgrade(rows, fields) if keep(r)]
    if len(kept) != len(rows) or header != list(fields):  # atomically: a kill now must not lose the rows kept
        text = io.StringIO(newline="")
        w = csv.DictWriter(text, fields)
        w.writeheader()
        w.writerows(kept)
        atomic_write_text(path, text.getvalue())


def read_metrics(run_dir: str, model: str | None = None) -> list[dict]:
    """The rows of ``run_dir/metrics.csv`` as dicts of strings, the training column named as
    :func:`train_column` names it for ``model`` (by default the model of ``run_dir/config.json``)."""
    if model is None:
        try:
            with open(os.path.join(run_dir, "config.json"), encoding="utf-8") as fh:
                model = json.load(fh).get("model", {}).get("model")
        except (OSError, ValueError, AttributeError):
            model = None
    with open(os.path.join(run_dir, METRICS_FILE), newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return rows if model is None else _upgrade(rows, metrics_fields(model))


def append_grad_norms(
    run_dir: str, phase: str, epoch: int, names: Sequence[str], norms: Sequence[float]
) -> None:
    """Append one row (phase, epoch, each parameter's gradient norm) to ``run_dir/grad_norms.csv``."""
    path = os.path.join(run_dir, GRAD_NORMS_FILE)
    new = not os.path.exists(path)
    with open(path, "a", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        if new:
            w.writerow(["phase", "epoch"] + list(names))
        w.writerow([phase, epoch] + [f"{v:.6g}" for v in norms])
