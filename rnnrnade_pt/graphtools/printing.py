"""Text and SVG renderings of the models' graphs: the cost, ``pytensor.grad``'s gradient, the supplement's
explicit gradient, and what a backend compiles.

* :func:`debugprint_text` is :func:`pytensor.dprint` into a string, with types and static shapes, inner scan
  graphs included, and normalised (no trailing spaces, no memory addresses) so that the text of an
  uncompiled graph is the same in every process and on every machine with the same PyTensor.
* :func:`cost_text`, :func:`grad_text`, :func:`explicit_text`, :func:`compiled_text` print one part of a
  graph built by :func:`rnnrnade_pt.models.build`.
* :func:`graph_text` is the single entry point of the ``rnnrnade graph`` command: a model name (or config),
  a target (``cost``, ``grad``, ``explicit``, ``compiled``), optionally one parameter, the graph form and
  a backend. :func:`graph_svg` draws the same thing with :func:`write_svg`.
* :func:`write_svg` is :func:`pytensor.printing.pydotprint` to SVG; it needs ``pydot`` and Graphviz's
  ``dot`` program and says how to install them when they are missing.

Builders never compile; only :func:`compiled_text` (and ``backend=...``) compiles, through
:func:`rnnrnade_pt.backend.compile_function`.

References
----------
.. [1] PyTensor documentation, "Printing and Drawing PyTensor graphs" (``debugprint``, ``pydotprint``).
.. [2] Supplementary Material for the RNN-RNADE model (the explicit gradients).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import shutil
from pathlib import Path

from ..backend import check_backend, compile_function, needs_static_shapes
from ..compat import DPRINT_INNER_GRAPHS
from ..config import MODELS, ModelConfig
from ..errors import ConfigError
from ..models import build, explicit_gradients, init_params, symbolic_gradients
from ..params import shared_params

__all__ = [
    "TARGETS",
    "GRAPH_SIZES",
    "GRAPH_INSTALL_HINT",
    "normalise_text",
    "debugprint_text",
    "model_config",
    "build_graph",
    "cost_text",
    "grad_text",
    "explicit_text",
    "compiled_text",
    "graph_outputs",
    "graph_text",
    "graph_svg",
    "write_svg",
]

logger = logging.getLogger(__name__)

TARGETS = ("cost", "grad", "explicit", "compiled")
"""What :func:`graph_text` prints: the cost, ``pytensor.grad``'s gradient, the explicit gradient, or the
compiled gradient function."""

GRAPH_SIZES = dict(D=3, H=4, K=2, R=3)
"""Sizes of the models printed from a model name (small; the graph's structure does not depend on them)."""

STATIC_SHAPES = {False: (5, GRAPH_SIZES["D"]), True: (4, 2, GRAPH_SIZES["D"])}
"""Data shapes of graphs built for backends that need static shapes (JAX): vectors (N x D, RNADE) and
sequences (T x B x D, every sequence model), by ``cfg.recurrent``."""

GRAPH_INSTALL_HINT = (
    "pip install 'rnnrnade-pt[graph]' for pydot, and Graphviz's dot program "
    "(bash scripts/setup_system.sh, or apt-get install graphviz)"
)

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")


def normalise_text(text: str) -> str:
    """Make printed graph text reproducible: memory addresses become ``0x?``, no trailing spaces, one
    final newline."""
    text = _ADDRESS.sub("0x?", text)
    return "\n".join(line.rstrip() for line in text.splitlines()).rstrip("\n") + "\n"


def debugprint_text(graph, *, print_type: bool = True, print_shape: bool = True, depth: int = -1) -> str:
    """:func:`pytensor.dprint` of a variable, a list of variables or a compiled function, as a string.

    Parameters
    ----------
    graph : Variable, sequence of Variable, or Function
        What to print. A list prints every output with shared node ids.
    print_type, print_shape : bool
        Print each variable's type and static shape.
    depth : int
        Levels to print (-1: everything). Inner graphs of scans are printed after the outer graph.

    Returns
    -------
    str
        The normalised text (see :func:`normalise_text`).
    """
    import pytensor

    text = pytensor.dprint(
        graph,
        depth=depth,
        print_type=print_type,
        print_shape=print_shape,
        file="str",
        **DPRINT_INNER_GRAPHS,
    )
    return normalise_text(text)


# -- building the graphs -------------------------------------------------------------------------------


def model_config(model: str | ModelConfig) -> ModelConfig:
    """``model`` itself, or the default config of a model name at :data:`GRAPH_SIZES` (float64)."""
    if isinstance(model, ModelConfig):
        return model
    if model not in MODELS:
        raise ConfigError(f"model must be one of {list(MODELS)}, got {model!r}")
    return ModelConfig.from_options(model, **GRAPH_SIZES)


def build_graph(model: str | ModelConfig, graph: str = "fast", backend: str | None = None):
    """The symbolic graph of a model (fresh shared parameters from :func:`~rnnrnade_pt.params.init_params`).

    For a backend that needs static shapes (JAX), the data and parameters get the static shapes of
    :data:`STATIC_SHAPES`.
    """
    cfg = model_config(model)
    static = backend is not None and needs_static_shapes(backend)
    shape = None
    if static:
        shape = STATIC_SHAPES[cfg.recurrent][:-1] + (cfg.D,)
    params = shared_params(cfg, init_params(cfg), static_shapes=static)
    return build(cfg, params, graph=graph, shape=shape)


def _param_names(g, param: str | None) -> list[str]:
    names = list(g.params)
    if param is None:
        return names
    if param not in g.params:
        raise ConfigError(f"unknown parameter {param!r} for this {g.config.model}; parameters are {names}")
    return [param]


def _named(grads: dict, names: list[str], prefix: str) -> list:
    out = []
    for n in names:
        v = grads[n]
        v.name = f"{prefix}{n}"
        out.append(v)
    return out


def _inputs(g) -> list:
    return [g.X, g.mask] if g.config.recurrent else [g.X]


def cost_outputs(g) -> list:
    """``[g.cost]``: minus the total log-likelihood per frame (row)."""
    return [g.cost]


def grad_outputs(g, param: str | None = None) -> list:
    """``pytensor.grad`` of the total log-likelihood w.r.t. ``param`` (or every parameter), named
    ``dtotal/d<name>``."""
    names = _param_names(g, param)
    return _named(symbolic_gradients(g), names, "dtotal/d")


def explicit_outputs(g, param: str | None = None, **options) -> list:
    """The supplement's explicit gradient of the total log-likelihood (fast graph), named
    ``explicit/d<name>``; ``options`` are those of :func:`~rnnrnade_pt.models.explicit_gradients`."""
    names = _param_names(g, param)
    return _named(explicit_gradients(g, **options), names, "explicit/d")


def cost_text(g, **print_options) -> str:
    """The cost graph of a built model (``-total / frames``)."""
    return debugprint_text(cost_outputs(g), **print_options)


def grad_text(g, param: str | None = None, **print_options) -> str:
    """The graph ``pytensor.grad`` builds for the total log-likelihood, w.r.t. one parameter or all."""
    return debugprint_text(grad_outputs(g, param), **print_options)


def explicit_text(g, param: str | None = None, **print_options) -> str:
    """The supplement's explicit-gradient graph (fast graph only), for one parameter or all."""
    return debugprint_text(explicit_outputs(g, param), **print_options)


def _outputs(g, target: str, param: str | None) -> list:
    if target == "cost":
        return cost_outputs(g)
    if target in ("grad", "compiled"):
        outs = grad_outputs(g, param)
        return [g.total] + outs if target == "compiled" else outs
    if target == "explicit":
        return explicit_outputs(g, param)
    raise ConfigError(f"graph target must be one of {list(TARGETS)}, got {target!r}")


def compiled_text(
    g, target: str = "grad", param: str | None = None, backend: str = "c", **print_options
) -> str:
    """The graph of ``target`` as ``backend`` compiles it (after PyTensor's rewrites).

    ``target="compiled"`` (or ``"grad"``) compiles what ``DensityModel.gradients`` compiles for
    ``method="symbolic"``: the total log-likelihood and ``pytensor.grad``'s gradients.
    """
    fn = compile_function(_inputs(g), _outputs(g, target, param), backend=backend, name=f"{target}_{g.graph}")
    return debugprint_text(fn, **print_options)


def graph_outputs(
    model: str | ModelConfig,
    target: str,
    param: str | None = None,
    graph: str = "fast",
    backend: str | None = None,
):
    """The variables (or, compiled, the function) that :func:`graph_text` and :func:`graph_svg` render."""
    if target not in TARGETS:
        raise ConfigError(f"graph target must be one of {list(TARGETS)}, got {target!r}")
    if target == "explicit" and graph != "fast":
        raise ConfigError("the explicit gradient is written for the fast graph; use graph 'fast'")
    if target == "compiled" and backend is None:
        backend = "c"
    if backend is not None:
        check_backend(backend)
    g = build_graph(model, graph=graph, backend=backend)
    outputs = _outputs(g, target, param)
    if backend is None:
        return outputs
    return compile_function(_inputs(g), outputs, backend=backend, name=f"{target}_{graph}")


def graph_text(
    model: str | ModelConfig,
    target: str,
    param: str | None = None,
    graph: str = "fast",
    backend: str | None = None,
) -> str:
    """The debugprint text of one graph of a model: what ``rnnrnade graph`` prints.

    Parameters
    ----------
    model : str or ModelConfig
        ``"rnade"`` or ``"rnn-rnade"`` (default options at :data:`GRAPH_SIZES`), or a config.
    target : {"cost", "grad", "explicit", "compiled"}
        ``cost``: minus the total log-likelihood per frame. ``grad``: ``pytensor.grad`` of the total
        log-likelihood. ``explicit``: the supplement's explicit gradient (fast graph only). ``compiled``:
        the total and ``pytensor.grad``'s gradient as ``backend`` (default ``"c"``) compiles them.
    param : str, optional
        One parameter's gradient (``grad``, ``explicit``, ``compiled``); all when omitted.
    graph : {"fast", "scan"}
        The vectorised graph or the paper's scans.
    backend : {"c", "numba", "jax"}, optional
        With ``cost``, ``grad`` or ``explicit``: print that graph compiled by this backend instead of the
        symbolic one.

    Raises
    ------
    ConfigError
        For an unknown model, target, parameter or graph, or ``explicit`` with the scan graph.
    BackendError
        For a backend that is unknown or not installed.
    """
    return debugprint_text(graph_outputs(model, target, param, graph, backend))


# -- SVG --------------------------------------------------------------------------------------------------


def _check_svg_tools() -> None:
    if importlib.util.find_spec("pydot") is None:
        raise ConfigError(f"drawing graphs needs pydot and Graphviz: {GRAPH_INSTALL_HINT}")
    if shutil.which("dot") is None:
        raise ConfigError(f"drawing graphs needs Graphviz's dot program: {GRAPH_INSTALL_HINT}")


def write_svg(graph, path: str | os.PathLike, *, scan_graphs: bool = True) -> Path:
    """Draw a graph (variables or a compiled function) to an SVG file with ``pydotprint``.

    Parameters
    ----------
    graph : Variable, sequence of Variable, or Function
    path : path-like
        The ``.svg`` file; with ``scan_graphs``, each scan's inner graph goes beside it
        (``<stem>_<scan name>...svg``, as ``pydotprint`` names them).
    scan_graphs : bool
        Also draw the inner graphs of scans.

    Raises
    ------
    ConfigError
        When ``pydot`` or Graphviz's ``dot`` program is missing (the message says how to install them).
    """
    _check_svg_tools()
    from pytensor.printing import pydotprint

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pydotprint(graph, outfile=str(path), format="svg", scan_graphs=scan_graphs, print_output_file=False)
    logger.info("wrote %s", path)
    return path


def graph_svg(
    model: str | ModelConfig,
    target: str,
    path: str | os.PathLike,
    param: str | None = None,
    graph: str = "fast",
    backend: str | None = None,
) -> Path:
    """Draw what :func:`graph_text` prints to an SVG file (see :func:`write_svg`)."""
    _check_svg_tools()
    return write_svg(graph_outputs(model, target, param, graph, backend), path)
