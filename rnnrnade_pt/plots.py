"""Pictures of runs (matplotlib with the Agg backend; the ``plot`` extra): learning curves and samples."""

from __future__ import annotations

import csv
import os

import numpy as np

from .errors import ConfigError

__all__ = ["learning_curve", "sample_strip"]


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ConfigError("plots need matplotlib: pip install 'rnnrnade-pt[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def learning_curve(run_dir: str, out: str | None = None) -> str:
    """Plot ``metrics.csv`` (train and valid log-likelihood per frame against epochs) to ``curve.png``."""
    path = os.path.join(run_dir, "metrics.csv")
    if not os.path.exists(path):
        raise ConfigError(f"{run_dir} has no metrics.csv (is it a run directory?)")
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh)]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for phase, style in (("pretrain", ":"), ("train", "-")):
        rs = [r for r in rows if r["phase"] == phase]
        if not rs:
            continue
        epochs = [int(r["epoch"]) for r in rs]
        ax.plot(epochs, [float(r["train_loglik"]) for r in rs], style, label=f"{phase}: train")
        if phase == "train":
            ax.plot(epochs, [float(r["valid_loglik"]) for r in rs], style + "o", ms=3, label="valid")
    ax.set_xlabel("epoch")
    ax.set_ylabel("log-likelihood per frame (nats)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    out = out or os.path.join(run_dir, "curve.png")
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def sample_strip(samples: np.ndarray, out: str, max_sequences: int = 4, max_frames: int = 20) -> str:
    """Draw sequences (T x B x D): as image strips when D is a square (e.g. bouncing balls), else as
    one line plot of every dimension against time per sequence."""
    plt = _pyplot()
    T, B, D = samples.shape
    B = min(B, max_sequences)
    res = int(round(np.sqrt(D)))
    if res * res == D:
        n = min(T, max_frames)
        fig, axes = plt.subplots(B, n, figsize=(n * 0.8, B * 0.8), squeeze=False)
        for b in range(B):
            for t in range(n):
                ax = axes[b][t]
                ax.imshow(samples[t, b].reshape(res, res), cmap="gray", vmin=0, vmax=1)
                ax.set_axis_off()
        fig.subplots_adjust(wspace=0.05, hspace=0.05, left=0.01, right=0.99, top=0.99, bottom=0.01)
    else:
        fig, axes = plt.subplots(B, 1, figsize=(8, 2 * B), squeeze=False)
        for b in range(B):
            axes[b][0].plot(samples[:, b, :], lw=0.7)
            axes[b][0].set_ylabel(f"sequence {b}")
        axes[-1][0].set_xlabel("frame")
        fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
