"""Committed text snapshots of the models' uncompiled graphs, ``graphs/<model>_<graph>_<target>.txt``.

Each model (``rnade``, ``rnn-rnade``; default options at :data:`~.printing.GRAPH_SIZES`) has, for each
graph form (``fast``, ``scan``, and ``fused``, the training default, whose frame and mixture are the C Ops
of :mod:`rnnrnade_pt.kernels`), its cost graph and ``pytensor.grad``'s gradient graph w.r.t. every
parameter, and for the fast graph also the supplement's explicit gradient. The texts are uncompiled
symbolic graphs (:func:`~.printing.debugprint_text`), the same in every process: a change of a builder or
of PyTensor's gradient shows up as a diff in review. ``python -m rnnrnade_pt.graphtools.regenerate``
rewrites them; ``tests/test_graphtools.py`` fails when they are out of date.

References
----------
.. [1] PyTensor documentation, "Printing and Drawing PyTensor graphs" (``debugprint``).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from .printing import build_graph, cost_text, explicit_text, grad_text, model_config

__all__ = [
    "SNAPSHOTS",
    "REGENERATE_COMMAND",
    "graphs_dir",
    "snapshot_name",
    "snapshot_header",
    "snapshot_text",
    "snapshot_texts",
    "write_snapshots",
    "stale_snapshots",
    "pytensor_version_of",
]

REGENERATE_COMMAND = "python -m rnnrnade_pt.graphtools.regenerate"

SNAPSHOTS: list[tuple[str, str, str]] = [
    (model, graph, target)
    for model in ("rnade", "rnn-rnade")
    for graph in ("fast", "scan", "fused")
    for target in ("cost", "grad", "explicit")
    if not (target == "explicit" and graph != "fast")
]
"""(model, graph, target) of every snapshot file."""

_TARGET_TEXT = {
    "cost": "the cost, minus the total log-likelihood per frame",
    "grad": "pytensor.grad of the total log-likelihood w.r.t. every parameter",
    "explicit": "the supplement's explicit gradient of the total log-likelihood, every parameter",
}


def graphs_dir() -> Path:
    """The repository's ``graphs/`` folder."""
    return Path(__file__).resolve().parents[2] / "graphs"


def snapshot_name(model: str, graph: str, target: str) -> str:
    """``<model>_<graph>_<target>.txt``."""
    return f"{model}_{graph}_{target}.txt"


def snapshot_header(model: str, graph: str, target: str) -> str:
    """The comment lines at the top of a snapshot: what it is, the config, the PyTensor version."""
    import pytensor

    cfg = model_config(model)
    return (
        f"# {model}, {graph} graph: {_TARGET_TEXT[target]}\n"
        f"# config {json.dumps(cfg.to_dict(), sort_keys=True)}\n"
        f"# pytensor {pytensor.__version__}; uncompiled; regenerate with: {REGENERATE_COMMAND}\n"
    )


@functools.cache
def snapshot_text(model: str, graph: str, target: str) -> str:
    """The full text of one snapshot file (header and debugprint); computed once per process."""
    g = build_graph(model, graph=graph)
    body = {"cost": cost_text, "grad": grad_text, "explicit": explicit_text}[target](g)
    return snapshot_header(model, graph, target) + "\n" + body


def snapshot_texts() -> dict[str, str]:
    """File name to text, for every snapshot."""
    return {snapshot_name(*s): snapshot_text(*s) for s in SNAPSHOTS}


def write_snapshots(directory: str | Path | None = None) -> list[Path]:
    """Write every snapshot into ``directory`` (default :func:`graphs_dir`); return the paths."""
    directory = Path(directory) if directory is not None else graphs_dir()
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in snapshot_texts().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def pytensor_version_of(text: str) -> str | None:
    """The PyTensor version recorded in a snapshot's header."""
    for line in text.splitlines()[:5]:
        if line.startswith("# pytensor "):
            return line.split()[2].rstrip(";")
    return None


def stale_snapshots(directory: str | Path | None = None) -> dict[str, str]:
    """Snapshots whose committed file is missing or differs from the regenerated text.

    Returns
    -------
    dict
        File name to a one-line reason (``missing``, or the first differing line).
    """
    directory = Path(directory) if directory is not None else graphs_dir()
    out = {}
    for name, text in snapshot_texts().items():
        path = directory / name
        if not path.exists():
            out[name] = "missing"
            continue
        old = path.read_text(encoding="utf-8")
        if old != text:
            a, b = old.splitlines(), text.splitlines()
            n = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
            out[name] = f"differs from line {n + 1} (committed {len(a)} lines, regenerated {len(b)})"
    return out
