"""How far the original code's gradient hacks are from the true gradient.

Uria's hand-written RNADE gradient (``MoGNADE.sym_gradients_new``) differs from the gradient of the
log-likelihood in two ways, both available as options of the explicit gradient, off by default
(:func:`rnnrnade_pt.models.explicit_gradients`):

* ``sigma_scaled_mu=True`` (``dp_dz_mu = dp_dz_mu * Sigma  # Heuristic``): the mean's gradient is multiplied
  by sigma, which rescales the step of each mean to its component's width; it flows on into ``h`` and
  everything before it;
* ``logdensity_floor=-100.0`` (``wPhi = T.maximum(Phi + T.log(Alpha), -100)``): the weighted log-densities
  behind the responsibilities are floored, which only matters where every component explains a value
  extremely badly (an outlier); the responsibilities then spread over the components instead of
  following their true weights.

:func:`hack_differences` measures, per parameter, ``||g_hack - g|| / ||g||`` against the true gradient ``g``.

References
----------
.. [1] B. Uria, ``deepnade/buml/NADE/MoGNADE.py`` in ``MarcCote/NADE`` (``sym_gradients_new``).
.. [2] Supplementary Material for the RNN-RNADE model, "Gradients for the RNADE".
"""

from __future__ import annotations

import numpy as np

from ..backend import compile_function
from ..config import ModelConfig
from ..models import build, explicit_gradients
from ..params import shared_params

__all__ = ["HACKS", "hack_function", "hack_differences"]

HACKS: dict[str, dict] = {
    "sigma_scaled_mu": dict(sigma_scaled_mu=True),
    "logdensity_floor=-100": dict(logdensity_floor=-100.0),
}
"""The original code's hacks as options of the explicit gradient."""


def hack_function(cfg: ModelConfig, values: dict, hacks: dict[str, dict] | None = None):
    """Compile the true explicit gradient and every hack once; return ``f(X, mask=None)`` giving what
    :func:`hack_differences` returns, for any data."""
    hacks = HACKS if hacks is None else hacks
    g = build(cfg, shared_params(cfg, values), graph="fast")
    names = list(g.params)
    true = explicit_gradients(g)
    outputs = [true[n] for n in names]
    for options in hacks.values():
        hacked = explicit_gradients(g, **options)
        outputs += [hacked[n] for n in names]
    inputs = [g.X, g.mask] if cfg.recurrent else [g.X]
    fn = compile_function(inputs, outputs, backend="c", name="hack_differences")

    def differences(X, mask=None) -> dict[str, dict[str, float]]:
        data = [np.asarray(X, dtype=cfg.dtype)]
        if cfg.recurrent:
            data.append(np.asarray(mask, dtype=cfg.dtype))
        vals = [np.asarray(v) for v in fn(*data)]
        base = dict(zip(names, vals[: len(names)], strict=True))
        out = {}
        for i, name in enumerate(hacks):
            hacked = vals[(i + 1) * len(names) : (i + 2) * len(names)]
            out[name] = {
                n: float(np.linalg.norm(h - base[n]) / max(np.linalg.norm(base[n]), 1e-300))
                for n, h in zip(names, hacked, strict=True)
            }
        return out

    return differences


def hack_differences(
    cfg: ModelConfig, values: dict, X, mask=None, hacks: dict[str, dict] | None = None
) -> dict[str, dict[str, float]]:
    """Relative difference ``||g_hack - g|| / ||g||`` per parameter, for each hack.

    Parameters
    ----------
    cfg : ModelConfig
    values : dict
        Parameter values.
    X, mask : ndarray
        Data (``mask`` for RNN-RNADE).
    hacks : dict, optional
        Name to options of :func:`~rnnrnade_pt.models.explicit_gradients` (default :data:`HACKS`).

    Returns
    -------
    dict
        Hack name to parameter name to the relative difference (0.0 where the hack leaves it unchanged).
        ``g`` is the explicit gradient without options, which equals ``pytensor.grad``'s.
    """
    return hack_function(cfg, values, hacks)(X, mask)
