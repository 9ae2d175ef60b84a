"""One module per model; each ``build_*`` returns a NamedTuple of symbolic pieces and never compiles."""

from .rnade import RnadeGraph, build_rnade
from .rnn_rnade import RnnRnadeGraph, build_rnnrnade

__all__ = [
    "RnadeGraph",
    "build_rnade",
    "RnnRnadeGraph",
    "build_rnnrnade",
    "build",
    "explicit_gradients",
    "symbolic_gradients",
]


def build(cfg, params=None, graph="fast", shape=None):
    """The builder of ``cfg.model``: :func:`build_rnade` or :func:`build_rnnrnade`."""
    builder = build_rnnrnade if cfg.recurrent else build_rnade
    return builder(cfg, params=params, graph=graph, shape=shape)


def symbolic_gradients(g) -> dict:
    """``pytensor.grad`` of the total log-likelihood w.r.t. every parameter, by name."""
    import pytensor

    names = list(g.params)
    return dict(zip(names, pytensor.grad(g.total, [g.params[n] for n in names]), strict=True))


def explicit_gradients(g, *, sigma_scaled_mu: bool = False, logdensity_floor: float | None = None) -> dict:
    """The supplement's hand-derived gradient of the total log-likelihood, by name (fast graph only).

    The keyword options reproduce the original code's hacks and are off by default (the true gradient):
    ``sigma_scaled_mu`` multiplies the mean's gradient by sigma, ``logdensity_floor`` (e.g. ``-100.0``)
    floors the weighted log-densities behind the responsibilities; see
    :func:`~rnnrnade_pt.rnade.rnade_explicit_grads`.
    """
    from . import rnade, rnn_rnade

    module = rnn_rnade if g.config.recurrent else rnade
    return module.explicit_gradients(g, sigma_scaled_mu=sigma_scaled_mu, logdensity_floor=logdensity_floor)
