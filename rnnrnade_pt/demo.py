"""The main job until training lands: evaluate the default RNN-RNADE on generated bouncing-balls data with
both graphs and both gradient methods, and report agreement and timings.

Everything is generated (no download): parameters with the original code's initialisation, and 16
bouncing-balls sequences of 50 to 100 frames rendered at sqrt(D) x sqrt(D) pixels.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import numpy as np

from .config import ModelConfig
from .data.arrays import lengths_to_mask
from .density_model import Rnade, RnnRnade
from .errors import ConfigError
from .models import init_params
from .npz import atomic_write_npz
from .params import save_params

__all__ = ["demo_data", "run_demo", "max_rel_diff"]


def max_rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    """``max |a - b| / max |b|`` (absolute when ``b`` is all zero)."""
    scale = float(np.max(np.abs(b))) if np.size(b) else 0.0
    return float(np.max(np.abs(a - b))) / (scale if scale > 0 else 1.0)


def demo_data(cfg: ModelConfig, seed: int = 0, n_sequences: int = 16, T: int = 100):
    """Bouncing balls at ``sqrt(D)`` pixels a side: ``(X, mask)`` for RNN-RNADE, ``(X, None)`` for RNADE."""
    from .data.balls import bouncing_balls

    res = int(round(np.sqrt(cfg.D)))
    if res * res != cfg.D:
        raise ConfigError(f"the demo renders res x res bouncing balls, so D must be a square; got D={cfg.D}")
    X = bouncing_balls(n_sequences, T=T, res=res, seed=seed)  # T x B x D
    lengths = np.random.default_rng(seed).integers(T // 2, T + 1, size=n_sequences)
    lengths[0] = T
    mask = lengths_to_mask(lengths, T)
    X = X * mask[:, :, None]
    if cfg.recurrent:
        return X, mask
    return X[mask > 0], None  # the frames as independent vectors


def _timed(fn, *args, **kw):
    start = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - start


def run_demo(cfg: ModelConfig, out_dir: str, backend: str = "c", seed: int = 0) -> Iterator[dict]:
    """Write ``params.npz`` and ``data.npz`` to ``out_dir``, then yield one record per step."""
    os.makedirs(out_dir, exist_ok=True)
    values = init_params(cfg, seed)
    X, mask = demo_data(cfg, seed)
    save_params(os.path.join(out_dir, "params.npz"), values, cfg)
    atomic_write_npz(os.path.join(out_dir, "data.npz"), {"X": X} if mask is None else {"X": X, "mask": mask})
    yield {"step": "data", "out": out_dir, "shape": list(X.shape), "config": cfg.to_dict()}
    model = (RnnRnade if cfg.recurrent else Rnade)(cfg, values, backend)
    lls = {}
    for graph in ("fast", "scan"):
        ll, first = _timed(model.loglik, X, mask, graph=graph)
        _, again = _timed(model.loglik, X, mask, graph=graph)
        lls[graph] = ll
        yield {
            "step": "loglik",
            "graph": graph,
            "total": ll.total,
            "per_frame": ll.total / ll.frames,
            "frames": ll.frames,
            "compile_and_call_s": round(first, 3),
            "call_s": round(again, 4),
        }
    yield {
        "step": "agree",
        "what": "loglik scan vs fast",
        "max_rel_diff": max_rel_diff(lls["scan"].per_frame, lls["fast"].per_frame),
    }
    grads = {}
    for method in ("symbolic", "explicit"):
        (total, g), first = _timed(model.gradients, X, mask, method=method)
        _, again = _timed(model.gradients, X, mask, method=method)
        grads[method] = g
        path = os.path.join(out_dir, f"grad_{method}.npz")
        atomic_write_npz(path, g)
        yield {
            "step": "grad",
            "method": method,
            "total": total,
            "out": path,
            "compile_and_call_s": round(first, 3),
            "call_s": round(again, 4),
        }
    worst = max(grads["symbolic"], key=lambda n: max_rel_diff(grads["explicit"][n], grads["symbolic"][n]))
    yield {
        "step": "agree",
        "what": "explicit vs symbolic gradient, every parameter",
        "max_rel_diff": max_rel_diff(grads["explicit"][worst], grads["symbolic"][worst]),
        "worst_param": worst,
    }
