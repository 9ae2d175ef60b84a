"""Pictures of runs (matplotlib with the Agg backend; the ``plot`` extra): learning curves and samples."""

from __future__ import annotations

import os

import numpy as np

from .errors import ConfigError
from .metrics import METRICS_FILE, MONITOR_LABELS, read_metrics

__all__ = [
    "sample_pictures",
    "learning_curve",
    "curves",
    "sample_strip",
    "sample_gif",
    "piano_roll",
    "stick_figure_strip",
    "stick_figure_gif",
]


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ConfigError("plots need matplotlib: pip install 'rnnrnade-pt[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def sample_pictures(samples: np.ndarray, cfg, stem: str, primed: int = 0) -> list[str]:
    """The pictures of sequences a run sampled (``T x B x D`` in the data's units), by what the data are:
    motion capture as stick figures (``stem.png`` strip and ``stem.gif``), bouncing balls as image strips
    (``stem.png`` and ``stem.gif``), piano rolls as rolls, other sequences as line plots. ``cfg`` is the
    run's :class:`~rnnrnade_pt.config.RunConfig`; the first ``primed`` frames are a prime the model continued
    (greyed in the stick figures). Returns the paths written."""
    if cfg.data.dataset == "mocap":
        from .data.mocap import joint_positions, load_skeleton, postprocess

        skel = load_skeleton(cfg.data.root)
        P = np.stack(
            [joint_positions(postprocess(samples[:, b], skel), skel) for b in range(samples.shape[1])], 1
        )
        return [
            stick_figure_strip(
                P, skel.parents, stem + ".png", max_frames=16, stride=-(-len(P) // 16), primed=primed
            ),
            stick_figure_gif(P, skel.parents, stem + ".gif", primed=primed),
        ]
    if cfg.model.binary:
        return [piano_roll(samples, stem + ".png")]
    paths = [sample_strip(samples, stem + ".png")]
    if cfg.data.dataset == "balls":
        paths.append(sample_gif(samples, stem + ".gif"))
    return paths


def learning_curve(run_dir: str, out: str | None = None) -> str:
    """Plot ``metrics.csv`` (the training monitor and the validation log-likelihood per frame against
    epochs) to ``curve.png``.

    The training curve is the log-likelihood (``train_loglik``), or for the RNN-RBM the reconstruction
    log-likelihood (``train_recon_loglik``, :mod:`rnnrnade_pt.metrics`), labelled as such.
    """
    if not os.path.exists(os.path.join(run_dir, METRICS_FILE)):
        raise ConfigError(f"{run_dir} has no {METRICS_FILE} (is it a run directory?)")
    rows = read_metrics(run_dir)
    column = next((c for c in (rows[0] if rows else ()) if c.startswith("train_")), "train_loglik")
    what = MONITOR_LABELS.get(column.removeprefix("train_"), column)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for phase, style in (("pretrain", ":"), ("train", "-")):
        rs = [r for r in rows if r["phase"] == phase]
        if not rs:
            continue
        epochs = [int(r["epoch"]) for r in rs]
        ax.plot(epochs, [float(r[column]) for r in rs], style, label=f"{phase}: {what}")
        if phase == "train":
            valid = [float(r["valid_loglik"]) for r in rs]
            ax.plot(epochs, valid, style + "o", ms=3, label="valid: log-likelihood")
    ax.set_xlabel("epoch")
    ax.set_ylabel("nats per frame")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    out = out or os.path.join(run_dir, "curve.png")
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def curves(series: dict, out: str, title: str, ylabel: str, lines: dict | None = None) -> str:
    """Plot named curves, ``{label: (x, y)}``, and horizontal reference lines, ``{label: y}`` (dashed), to
    ``out``; the y axis spans the curves' last 90% of points and the lines, so that a first epoch far below
    does not flatten the rest."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ys = []
    for label, (x, y) in series.items():
        ax.plot(x, y, "-o", ms=2, lw=1, label=label)
        ys += list(y[len(y) // 10 :])
    for i, (label, y) in enumerate((lines or {}).items()):  # dashed, each its own colour after the curves'
        ax.axhline(y, ls="--", lw=1, color=f"C{len(series) + i}", label=label)
        ys.append(y)
    finite = [v for v in ys if np.isfinite(v)]
    if finite:
        lo, hi = min(finite), max(finite)
        pad = 0.05 * (hi - lo) or 1.0
        ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
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


def sample_gif(
    samples: np.ndarray, out: str, max_sequences: int = 4, scale: int = 8, frame_ms: int = 100
) -> str:
    """Animate image sequences (T x B x D, D a square, values in [0, 1], e.g. bouncing balls) as a GIF:
    one frame per time step, the first ``max_sequences`` sequences side by side (a 1-pixel grey gap
    between them), each pixel drawn as a ``scale`` x ``scale`` block, ``frame_ms`` per frame, looping.
    Values outside [0, 1] are clipped. Pillow (a dependency of matplotlib) writes it."""
    try:
        from PIL import Image
    except ImportError:
        raise ConfigError("GIFs need Pillow: pip install 'rnnrnade-pt[plot]'") from None
    S = np.asarray(samples, dtype=np.float64)
    if S.ndim != 3:
        raise ConfigError(f"sample_gif needs T x B x D samples, got shape {S.shape}")
    T, B, D = S.shape
    res = int(round(np.sqrt(D)))
    if res * res != D:
        raise ConfigError(f"sample_gif draws square images; D={D} is not a square")
    B = min(B, max_sequences)
    imgs = np.clip(S[:, :B], 0.0, 1.0).reshape(T, B, res, res)
    imgs = imgs.repeat(scale, axis=2).repeat(scale, axis=3)  # T x B x res*scale x res*scale
    side = res * scale
    canvas = np.full((T, side, B * side + (B - 1)), 0.5)  # grey gaps between sequences
    for b in range(B):
        canvas[:, :, b * (side + 1) : b * (side + 1) + side] = imgs[:, b]
    frames = [Image.fromarray(np.round(255 * f).astype(np.uint8), mode="L") for f in canvas]
    frames[0].save(out, save_all=True, append_images=frames[1:], duration=frame_ms, loop=0, optimize=False)
    return out


def piano_roll(rolls, out: str, lowest: int = 21, max_sequences: int = 4) -> str:
    """Draw piano rolls (``T x B x P`` of 0/1, or a list of ``T_i x P``) one above the other: time along x,
    MIDI note ``lowest + j`` along y, on-notes dark."""
    if isinstance(rolls, np.ndarray) and rolls.ndim == 3:  # T x B x P; a list is of whole rolls, even of one
        rolls = np.moveaxis(rolls, 1, 0)
    seqs = [np.asarray(r) for r in rolls]
    if not seqs or any(r.ndim != 2 for r in seqs):
        raise ConfigError("piano_roll needs T x B x P rolls or a non-empty list of T x P rolls")
    seqs = seqs[:max_sequences]
    plt = _pyplot()
    fig, axes = plt.subplots(len(seqs), 1, figsize=(8, 2.2 * len(seqs)), squeeze=False)
    for b, r in enumerate(seqs):
        ax = axes[b][0]
        extent = (-0.5, r.shape[0] - 0.5, lowest - 0.5, lowest + r.shape[1] - 0.5)
        ax.imshow(
            r.T,
            origin="lower",
            aspect="auto",
            cmap="gray_r",
            vmin=0,
            vmax=1,
            extent=extent,
            interpolation="nearest",
        )
        ax.set_ylabel("MIDI note")
    axes[-1][0].set_xlabel("frame")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def _skeletons(positions, parents, what: str) -> np.ndarray:
    P = np.asarray(positions, dtype=np.float64)
    if P.ndim == 3:
        P = P[:, None]
    if P.ndim != 4 or P.shape[-1] != 3 or P.shape[2] != len(parents):
        raise ConfigError(f"{what} needs T x B x {len(parents)} x 3 positions, got {P.shape}")
    return P


def _draw_skeleton(ax, joints: np.ndarray, parents, dx: float, primed: bool) -> None:
    """One stick figure (``J x 3`` joints) seen from the side (x forward, z up), shifted by ``dx``: a frame of
    the prime in grey, one of the model's own in black."""
    x, z = joints[:, 0] + dx, joints[:, 2]
    bones, joints_color = ("0.6", "0.6") if primed else ("k", "tab:red")
    for j, p in enumerate(parents):
        if p >= 0:
            ax.plot([x[p], x[j]], [z[p], z[j]], "-", color=bones, lw=1.2)
    ax.plot(x, z, "o", ms=1.5, color=joints_color)


def stick_figure_strip(
    positions,
    parents,
    out: str,
    max_sequences: int = 4,
    max_frames: int = 12,
    stride: int = 4,
    primed: int = 0,
) -> str:
    """Draw moving skeletons (``T x B x J x 3`` joint positions, or ``T x J x 3`` for one) as strips of stick
    figures seen from the side (x forward, z up): every ``stride``-th frame, up to ``max_frames`` per
    sequence, left to right; one row per sequence. ``parents[j]`` is joint j's parent (-1 for the root).
    The first ``primed`` frames (a prime the model continues) are drawn in grey."""
    P = _skeletons(positions, parents, "stick_figure_strip")
    frames = list(range(0, P.shape[0], max(int(stride), 1)))[:max_frames]
    B = min(P.shape[1], max_sequences)
    span = np.ptp(P[..., 0]) + 1.0
    gap = 1.2 * max(span, np.ptp(P[..., 2]) / 2)  # horizontal step between frames
    plt = _pyplot()
    fig, axes = plt.subplots(B, 1, figsize=(1.1 * len(frames), 2.4 * B), squeeze=False)
    for b in range(B):
        ax = axes[b][0]
        for i, t in enumerate(frames):
            _draw_skeleton(ax, P[t, b], parents, i * gap, t < primed)
            ax.text(P[t, b, :, 0].mean() + i * gap, P[t, b, :, 2].max() + 40, f"{t}", ha="center", fontsize=6)
        ax.set_aspect("equal")
        ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def stick_figure_gif(
    positions, parents, out: str, max_sequences: int = 4, frame_ms: int = 50, primed: int = 0
) -> str:
    """Animate moving skeletons (as :func:`stick_figure_strip`) side by side, one GIF frame per frame, the
    prime's frames in grey; each figure keeps its own place (its root's path is drawn relative to its first
    frame), and the axes are fixed over the whole animation."""
    from PIL import Image

    P = _skeletons(positions, parents, "stick_figure_gif")[:, :max_sequences]
    T, B = P.shape[:2]
    root = list(parents).index(-1)
    P = P - P[:1, :, root : root + 1, :] * np.array([1.0, 1.0, 0.0])  # each root starts at x = y = 0
    gap = 1.3 * (np.ptp(P[..., 0]) + np.ptp(P[..., 2]) / 2 + 1.0)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(2.2 * B, 2.6))
    lo, hi = P[..., 2].min(), P[..., 2].max()
    xlim = (P[..., 0].min() - 0.1 * gap, P[..., 0].max() + (B - 0.9) * gap)
    ylim = (lo - 0.05 * (hi - lo), hi + 0.15 * (hi - lo))
    images = []
    for t in range(T):
        ax.clear()
        for b in range(B):
            _draw_skeleton(ax, P[t, b], parents, b * gap, t < primed)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.set_title(f"frame {t}" + (" (prime)" if t < primed else ""), fontsize=8)
        fig.canvas.draw()
        images.append(Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3]).convert("P"))
    plt.close(fig)
    images[0].save(out, save_all=True, append_images=images[1:], duration=frame_ms, loop=0)
    return out
