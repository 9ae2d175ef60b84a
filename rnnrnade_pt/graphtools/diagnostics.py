"""Gradient diagnostics on a model with real parameters and data: gradient norms, finite-difference checks,
and the agreement of the two gradient methods.

These work on a :class:`~rnnrnade_pt.density_model.DensityModel` (``Rnade`` or ``RnnRnade``) through its
public methods (``gradients``, ``loglik``, ``get_params``, ``set_params``), so they check exactly the
functions that training and the command line compile. Parameters changed for a finite difference are always
restored.

References
----------
.. [1] Supplementary Material for the RNN-RNADE model, "Gradients for the RNADE".
.. [2] PyTensor documentation, ``pytensor.gradient.verify_grad`` (central differences along random
   directions).
"""

from __future__ import annotations

import logging
import math

import numpy as np

from ..errors import ConfigError

__all__ = ["gradient_norms", "finite_difference_check", "max_rel_error", "compare_gradient_methods"]

logger = logging.getLogger(__name__)


def _frames(model, X, mask) -> int:
    if model.cfg.recurrent:
        return int(np.asarray(mask).sum())
    return int(np.asarray(X).shape[0])


def gradient_norms(
    model, X, mask=None, method: str = "symbolic", per_frame: bool = True, graph: str = "fast"
) -> dict[str, float]:
    """The Euclidean norm of the gradient, per parameter and over all of them.

    Parameters
    ----------
    model : DensityModel
    X, mask : array_like
        Data as ``model.gradients`` takes them (``mask`` only for RNN-RNADE).
    method : {"symbolic", "explicit"}
        ``pytensor.grad`` or the supplement's explicit gradient.
    per_frame : bool
        Norms of the gradient of the training cost, minus the log-likelihood per frame (row), the quantity
        that gradient clipping sees; otherwise of the total log-likelihood.
    graph : {"fast", "scan"}

    Returns
    -------
    dict of str to float
        One entry per parameter name, and ``"global"``: the norm of all gradients together.
    """
    _, grads = model.gradients(X, mask, method=method, graph=graph)
    scale = 1.0 / max(_frames(model, X, mask), 1) if per_frame else 1.0
    out = {n: float(np.linalg.norm(g)) * scale for n, g in grads.items()}
    out["global"] = math.sqrt(sum(v * v for v in out.values()))
    return out


def finite_difference_check(
    model,
    X,
    mask=None,
    method: str = "symbolic",
    n_directions: int = 3,
    eps: float = 1e-6,
    seed: int = 0,
    graph: str = "fast",
) -> dict[str, dict]:
    """Directional derivatives of the total log-likelihood: the gradient against central differences.

    For each parameter and each of ``n_directions`` random unit directions ``v`` (that parameter alone),
    the analytic derivative ``<grad, v>`` is compared with the central difference
    ``(L(theta + eps v) - L(theta - eps v)) / (2 eps)``.

    Parameters
    ----------
    model : DensityModel
    X, mask : array_like
    method : {"symbolic", "explicit"}
        Which gradient to check.
    n_directions : int
    eps : float
        Step of the central difference (float64: 1e-6 balances truncation and rounding error).
    seed : int
        Seed of the directions.
    graph : {"fast", "scan"}

    Returns
    -------
    dict
        Per parameter name: ``analytic`` and ``numeric`` (lists of ``n_directions`` floats), ``abs_error``
        and ``rel_error`` (the largest over the directions of ``|a - n|`` and of
        ``|a - n| / max(|a|, |n|, ||g||, 1e-12)``, with ``||g||`` the norm of the parameter's gradient: the
        size a unit direction's derivative can reach, so a direction nearly orthogonal to the gradient, whose
        derivative is all rounding error, does not count as a large relative error).

    Notes
    -----
    The parameters are set to ``theta +- eps v`` and restored afterwards, also on error.
    """
    if n_directions < 1 or eps <= 0:
        raise ConfigError(f"finite differences need n_directions >= 1 and eps > 0, got {n_directions}, {eps}")
    rng = np.random.default_rng(seed)
    _, grads = model.gradients(X, mask, method=method, graph=graph)
    base = model.get_params()
    out: dict[str, dict] = {}

    def total_at(values) -> float:
        model.set_params(values)
        return model.loglik(X, mask, graph=graph).total

    try:
        for name, theta in base.items():
            analytic, numeric = [], []
            for _ in range(n_directions):
                v = rng.standard_normal(theta.shape)
                v /= max(np.linalg.norm(v), 1e-300)
                up = total_at({**base, name: theta + eps * v})
                down = total_at({**base, name: theta - eps * v})
                analytic.append(float(np.sum(grads[name] * v)))
                numeric.append((up - down) / (2.0 * eps))
            a, n = np.array(analytic), np.array(numeric)
            err = np.abs(a - n)
            scale = np.maximum(
                np.maximum(np.abs(a), np.abs(n)), max(float(np.linalg.norm(grads[name])), 1e-12)
            )
            out[name] = {
                "analytic": analytic,
                "numeric": numeric,
                "abs_error": float(err.max()),
                "rel_error": float(np.max(err / scale)),
            }
    finally:
        model.set_params(base)
    logger.info("finite differences (%s): largest relative error %.2e", method, max_rel_error(out))
    return out


def max_rel_error(check: dict[str, dict]) -> float:
    """The largest ``rel_error`` of a :func:`finite_difference_check` result."""
    return max((v["rel_error"] for v in check.values()), default=0.0)


def compare_gradient_methods(model, X, mask=None, graph: str = "fast") -> dict[str, dict]:
    """``pytensor.grad`` against the supplement's explicit gradient, per parameter.

    Returns
    -------
    dict
        Per parameter name: ``max_abs`` (largest absolute difference) and ``rel`` (``max_abs`` divided by
        the largest absolute entry of ``pytensor.grad``'s gradient).
    """
    _, sym = model.gradients(X, mask, method="symbolic", graph=graph)
    _, expl = model.gradients(X, mask, method="explicit", graph="fast")
    out = {}
    for name, g in sym.items():
        diff = float(np.max(np.abs(g - expl[name])))
        out[name] = {"max_abs": diff, "rel": diff / max(float(np.max(np.abs(g))), 1e-300)}
    return out
