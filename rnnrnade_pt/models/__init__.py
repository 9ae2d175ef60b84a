"""One module per model; each ``build_*`` returns a NamedTuple of symbolic pieces and never compiles.

Every model module provides ``build(cfg, params=None, graph="fast", shape=None)``; the modules of models
outside the RNADE family also provide ``param_shapes(cfg)`` and ``init_params(cfg, rng, scale)`` (the RNADE
family's are in :mod:`rnnrnade_pt.params`), and may provide ``generate(model, n, steps, prime, prime_mask,
seed)`` and ``predict(model, X, mask)``.

A sequence model makes its inputs ``X``, ``mask`` (and ``Xc``, the padding zeroed) with
:func:`~rnnrnade_pt.models.inputs.sequence_inputs`.

What a graph NamedTuple holds (the trainer and the thin classes rely on these fields):

``config``, ``graph``, ``X`` (N x D, or T x B x D), ``mask`` (T x B, sequence models), ``params`` (name ->
shared variable), ``total`` (scalar: summed log-likelihood, or for a model without a tractable one the
quantity its training monitors), ``n_frames``, ``cost`` (mean negative log-likelihood per frame), and
``loglik`` (N) or ``frame_loglik`` (T x B, 0 on padding). Optional: ``train_cost`` (the scalar whose
gradient is the training direction, e.g. the RNN-RBM's contrastive-divergence free-energy difference;
default ``cost``), ``consider_constant`` (variables the gradient treats as constants, e.g. the Gibbs chain's
end) and ``rngs`` (name -> shared random generator whose state the training checkpoints must carry; give each
a ``default_update`` so that every compiled function that draws from it advances it).
"""

from . import gaussian_rnn, rnade, rnn_nade, rnn_rbm, rnn_rnade
from .gaussian_rnn import GaussianRnnGraph, build_gaussian_rnn
from .inputs import SequenceInputs, sequence_inputs
from .rnade import RnadeGraph, build_rnade
from .rnn_nade import RnnNadeGraph, build_rnnnade
from .rnn_rbm import RnnRbmGraph, build_rbm, build_rnnrbm
from .rnn_rnade import RnnRnadeGraph, build_rnnrnade

__all__ = [
    "RnadeGraph",
    "build_rnade",
    "RnnRnadeGraph",
    "build_rnnrnade",
    "RnnNadeGraph",
    "build_rnnnade",
    "RnnRbmGraph",
    "build_rnnrbm",
    "build_rbm",
    "GaussianRnnGraph",
    "build_gaussian_rnn",
    "SequenceInputs",
    "sequence_inputs",
    "MODULES",
    "model_module",
    "build",
    "explicit_gradients",
    "symbolic_gradients",
]

MODULES = {
    "rnade": rnade,
    "rnn-rnade": rnn_rnade,
    "rnn-nade": rnn_nade,
    "rnn-rbm": rnn_rbm,
    "gaussian-rnn": gaussian_rnn,
}


def model_module(cfg):
    """The module of :mod:`rnnrnade_pt.models` that implements ``cfg.model``."""
    return MODULES[cfg.model]


def build(cfg, params=None, graph="fast", shape=None):
    """The builder of ``cfg.model`` (:func:`build_rnade`, :func:`build_rnnrnade`, ...)."""
    return model_module(cfg).build(cfg, params=params, graph=graph, shape=shape)


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
    from ..errors import ConfigError

    module = model_module(g.config)
    if not hasattr(module, "explicit_gradients"):
        raise ConfigError(f"no explicit (hand-derived) gradient is written for model {g.config.model!r}")
    return module.explicit_gradients(g, sigma_scaled_mu=sigma_scaled_mu, logdensity_floor=logdensity_floor)
