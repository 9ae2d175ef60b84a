"""Parameter values: checking them against a model's shapes, shared variables, and ``.npz`` files.

A parameter file is an ``.npz`` holding exactly one array per parameter, under the names below, plus a
``config`` entry (the :class:`~rnnrnade_pt.config.ModelConfig` as a JSON string). It loads with NumPy alone,
``np.load(path, allow_pickle=False)``. Training checkpoints add optimiser and run state under keys that
contain a ``/`` (``opt/m/W``, ``state/epoch``, ...); :func:`load_params` reads the parameters and ignores
those. A file from another program, without ``config``, is read when its names are exactly one model's
and its shapes agree (:func:`infer_config`).

Each model module of :mod:`rnnrnade_pt.models` lists its parameters (``param_shapes``) with their roles in
its docstring: the supplement's names for the RNADE family (``W``, ``c``, ``rho``, ``V_alpha``, ..., ``W2``,
``W3``, ``b_hhat``, ``h0``, ``W_alpha``, ...), the tutorial's for the binary models (``W``, ``bv``, ``bh``,
``Wuh``, ...).

References
----------
.. [1] Supplementary Material for the RNN-RNADE model (``shared/seed/rnn_rnade_supplement.txt``).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping

import numpy as np

from .config import COMPONENTS, MODELS, ModelConfig
from .errors import ConfigError, ParamsError
from .models import init_params, param_shapes
from .models.common import shared_variables
from .npz import atomic_write_npz, read_npz

__all__ = [
    "weight_names",
    "check_params",
    "shared_params",
    "save_params",
    "load_params",
    "infer_config",
]

logger = logging.getLogger(__name__)

# where each model's sizes are read from (parameter, axis), for files without a config
_SIZES = {
    "rnade": {"D": ("rho", 0), "H": ("W", 0), "K": ("b_alpha", 1)},
    "deep-rnade": {"D": ("W_mask", 1), "H": ("W_mask", 0), "K": ("b_alpha", 1)},
    "rnn-rnade": {"D": ("rho", 0), "H": ("W", 0), "K": ("b_alpha", 1), "R": ("h0", 0)},
    "rnn-nade": {"D": ("bv", 0), "H": ("bh", 0), "R": ("bu", 0)},
    "rnn-rbm": {"D": ("bv", 0), "H": ("bh", 0), "R": ("bu", 0)},
    "gaussian-rnn": {"D": ("b_mu", 0), "R": ("h0", 0)},
}


def weight_names(cfg: ModelConfig) -> list[str]:
    """The weight matrices (what L2 weight decay applies to): everything but biases, ``rho`` and ``h0``."""
    return [n for n in param_shapes(cfg) if n.startswith(("W", "V"))]  # V_*, and RNN-NADE's V


def check_params(values: Mapping[str, np.ndarray], cfg: ModelConfig, source: str = "parameters") -> dict:
    """Validate names, shapes and finiteness; return float64 copies in canonical order.

    Raises
    ------
    ParamsError
        Naming the first missing, unexpected, mis-shaped or non-finite parameter.
    """
    shapes = param_shapes(cfg)
    missing = [n for n in shapes if n not in values]
    if missing:
        raise ParamsError(f"{source}: missing parameter(s) {missing} for a {cfg.model} config")
    unexpected = sorted(set(values) - set(shapes))
    if unexpected:
        raise ParamsError(f"{source}: unexpected parameter(s) {unexpected} for this config")
    out = {}
    for name, shape in shapes.items():
        arr = np.asarray(values[name])
        if arr.shape != shape:
            raise ParamsError(f"{source}: parameter {name} has shape {arr.shape}, expected {shape}")
        if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
            raise ParamsError(f"{source}: parameter {name} has dtype {arr.dtype}, expected real numbers")
        arr = arr.astype(np.float64)
        if not np.all(np.isfinite(arr)):
            raise ParamsError(f"{source}: parameter {name} holds NaN or infinite values")
        out[name] = arr
    return out


def _candidate(model: str, values: Mapping[str, np.ndarray]) -> ModelConfig:
    """The config of ``model`` that ``values``' names and shapes imply (options at their defaults)."""
    sizes = {}
    for size, (name, axis) in _SIZES[model].items():
        shape = np.shape(values[name]) if name in values else ()
        if len(shape) <= axis:
            raise ParamsError(f"no parameter {name} with an axis {axis} to give {size}")
        sizes[size] = int(shape[axis])
    options = {}
    if model in ("rnade", "rnn-rnade"):
        options["fold_c_into_W"] = "c" not in values
    if model == "deep-rnade":
        options["layers"] = 1 + sum(1 for n in values if n.startswith("W_layer"))
    if model == "rnn-rnade":
        options["conditioned"] = tuple(c for c in COMPONENTS if f"W_{c}" in values)
        options["condition_c"] = "W_c" in values
    try:
        return ModelConfig(model=model, **sizes, **options)
    except ConfigError as e:
        raise ParamsError(str(e)) from None


def infer_config(values: Mapping[str, np.ndarray], source: str = "parameters") -> ModelConfig:
    """The model config of parameters that come without one (a file written by another program).

    The names decide the model (and the RNADE family's ``conditioned``, ``condition_c`` and
    ``fold_c_into_W``), the shapes ``D``, ``H``, ``K`` and ``R``; every other option keeps its default (the
    supplement's choices, :class:`~rnnrnade_pt.config.ModelConfig`).

    Raises
    ------
    ParamsError
        When the names and shapes are those of no model; the message names the closest model's first
        missing, unexpected or mis-shaped parameter.
    """
    found, why = [], []
    for model in MODELS:
        try:
            cfg = _candidate(model, values)
            check_params(values, cfg, source)
        except ParamsError as e:
            distance = len(set(values) ^ set(param_shapes(ModelConfig(model=model))))
            why.append((distance, f"as {model}: {str(e).removeprefix(source + ': ')}"))
            continue
        found.append(cfg)
    if len(found) != 1:
        reason = min(why)[1] if not found else f"it fits {[c.model for c in found]}"
        raise ParamsError(
            f"{source} has no 'config' entry, and its names and shapes are those of no model ({reason})"
        )
    return found[0]


def save_params(path: str | os.PathLike, values: Mapping[str, np.ndarray], cfg: ModelConfig) -> None:
    """Save parameters (checked against ``cfg``) and the config to an ``.npz`` file, atomically."""
    arrays = check_params(values, cfg)
    arrays["config"] = np.array(cfg.to_json())
    atomic_write_npz(path, arrays)


def load_params(path: str | os.PathLike) -> tuple[ModelConfig, dict[str, np.ndarray]]:
    """Load a parameter file written by :func:`save_params`, or one without ``config`` whose names and
    shapes are one model's (:func:`infer_config`, logged).

    Returns
    -------
    cfg : ModelConfig
    values : dict of str to ndarray
        Float64 parameters, validated against ``cfg``.
    """
    arrays = read_npz(path, "parameter", ParamsError)
    arrays = {k: v for k, v in arrays.items() if "/" not in k}  # run checkpoints add state under "x/y" keys
    if "config" not in arrays:
        cfg = infer_config(arrays, source=f"parameter file {path}")
        logger.warning(  # a warning: options the names cannot tell (rnn_activation, mixture) are assumed
            "parameter file %s has no 'config' entry: read as %s (model, sizes and options inferred from "
            "its names and shapes, other options at their defaults)",
            path,
            cfg.to_json(),
        )
        return cfg, check_params(arrays, cfg, source=f"parameter file {path}")
    raw = arrays.pop("config")
    if raw.shape != () or raw.dtype.kind not in "US":
        raise ParamsError(f"parameter file {path}: 'config' must be a JSON string")
    try:
        cfg = ModelConfig.from_dict(json.loads(str(raw)))
    except (json.JSONDecodeError, ConfigError, TypeError) as e:
        raise ParamsError(f"parameter file {path}: bad config ({e})") from None
    return cfg, check_params(arrays, cfg, source=f"parameter file {path}")


def shared_params(
    cfg: ModelConfig, values: Mapping[str, np.ndarray] | None = None, static_shapes: bool = False
) -> dict:
    """PyTensor shared variables named after the parameters, in ``cfg.dtype``.

    Parameters
    ----------
    values : mapping, optional
        Initial values (checked); :func:`~rnnrnade_pt.models.init_params` with seed 0 when omitted.
    static_shapes : bool
        Give every variable its static shape (needed by the JAX backend for scan gradients).
    """
    values = check_params(values, cfg) if values is not None else init_params(cfg)
    return shared_variables(cfg, values, static_shapes)
