"""Trained densities of the family as PyMC distributions (the ``pymc`` extra): a learned prior.

:class:`Density` makes a trained RNADE or deep RNADE a distribution of vectors (support: the D dimensions) and
a trained RNN-RNADE or Gaussian RNN a distribution of sequences (support: T frames x D, with an optional mask
of the frames that count, as the package's ``mask``). Its log-density is the package's own graph, the fast
graph of :func:`~rnnrnade_pt.models.build` on the model's shared parameters with the value in place of ``X``
(no copy of the model), so NUTS gets the gradient with respect to the value from ``pytensor.grad``; its random
draws are the package's ancestral sampler (:meth:`~rnnrnade_pt.density_model.DensityModel.sample`). The
density is over the space the model was trained in: a model trained on standardised data is a density of
standardised values (a release's ``model.npz`` carries the standardisation).

PyMC 5.28 needs PyTensor 2.38; the package runs on it (:mod:`rnnrnade_pt.compat`), and
``pip install -e ".[pymc]"`` installs the two together. PyMC compiles the model's functions itself, with
PyTensor's own BLAS detection, which on Debian with only OpenBLAS installed finds none (the matrix products
then run as slow NumPy C-API or Python code); sample inside ``rnnrnade_pt.backend.package_settings()`` to
link OpenBLAS as the package's own compilations do.

>>> import numpy as np, pymc as pm
>>> import rnnrnade_pt as rp
>>> from rnnrnade_pt.pymc import Density
>>> rnade = rp.Rnade(rp.ModelConfig(model="rnade", D=2, H=3, K=2), seed=1)
>>> with pm.Model() as prior:
...     x = Density("x", rnade, shape=(4, 2))
>>> point = {"x": np.zeros((4, 2))}
>>> bool(np.isclose(prior.compile_logp()(point), rnade.loglik(np.zeros((4, 2))).total))
True

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
.. [2] Supplementary Material for the RNN-RNADE model (``shared/seed/rnn_rnade_supplement.txt``).
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.distributions.distribution import _support_point
from pymc.logprob.abstract import _logprob
from pytensor.graph.replace import graph_replace
from pytensor.tensor.random.op import RandomVariable

from .density_model import DensityModel
from .errors import ConfigError
from .models import build

__all__ = ["Density", "DensityRV"]

CONTINUOUS = ("rnade", "deep-rnade", "rnn-rnade", "gaussian-rnn")  # exact densities of real values


class DensityRV(RandomVariable):
    """The random variable of a trained model: no parameters but the model (the Op carries it); for a
    sequence model one input, the T mask of the frames that count (its batch dimensions broadcast).

    Parameters
    ----------
    model : DensityModel
        A trained RNADE, deep RNADE, RNN-RNADE or Gaussian RNN (its parameters as they are when a logp graph
        is built).
    """

    __props__ = ("model", "name", "signature", "dtype", "inplace")

    def __init__(self, model: DensityModel, name=None, signature=None, dtype=None, inplace=False):
        if not isinstance(model, DensityModel):
            raise ConfigError(f"Density takes a trained model of the package, got {type(model).__name__}")
        if model.cfg.model not in CONTINUOUS:
            raise ConfigError(
                f"a {model.cfg.model} is not a density of real values with an exact log-likelihood; "
                f"Density takes one of {list(CONTINUOUS)}"
            )
        self.model = model
        sequence = model.cfg.recurrent
        super().__init__(
            name=name or model.cfg.model,
            signature=signature or ("(t)->(t,d)" if sequence else "->(d)"),
            dtype=dtype or model.cfg.dtype,
            inplace=inplace,
        )

    def _supp_shape_from_params(self, dist_params, param_shapes=None):
        D = self.model.cfg.D
        if not self.model.cfg.recurrent:
            return (D,)
        shape = param_shapes[0] if param_shapes is not None else dist_params[0].shape
        return (shape[-1], D)

    def rng_fn(self, rng, *args):
        """Draws from the package's sampler, seeded from ``rng`` (NumPy's generator that PyMC passes)."""
        *mask, size = args
        cfg = self.model.cfg
        seed = int(rng.integers(2**31))
        if not cfg.recurrent:
            batch = tuple(size) if size is not None else ()
            n = int(np.prod(batch))
            return self.model.sample(max(n, 1), seed=seed)[:n].reshape((*batch, cfg.D))
        mask = np.asarray(mask[0])
        batch = tuple(size) if size is not None else mask.shape[:-1]
        T, n = mask.shape[-1], int(np.prod(batch))
        draws = self.model.sample(max(n, 1), steps=T, seed=seed)[:, :n]  # T x n x D
        draws = np.moveaxis(draws, 0, 1).reshape((*batch, T, cfg.D))
        return draws * np.broadcast_to(mask, (*batch, T))[..., None]  # padding frames 0, as in the data


class Density(pm.Continuous):
    """A trained model of the family as a PyMC distribution (see the module docstring).

    Parameters
    ----------
    model : DensityModel
        A trained :class:`~rnnrnade_pt.density_model.Rnade`, ``RnnRnade`` or ``GaussianRnn``.
    steps : int, optional
        Sequence models: frames per sequence, when no ``mask`` gives them.
    mask : array_like, optional
        Sequence models: (..., T) 1 for a frame that counts, 0 for padding (its log-density is not counted;
        leave such frames out of what NUTS samples).
    **kwargs
        PyMC's (``shape``, ``dims``, ``observed``, ...). A vector's shape is (..., D), a sequence's
        (..., T, D).
    """

    rv_type = DensityRV

    @classmethod
    def rv_op(cls, *mask, model: DensityModel, size=None):
        return DensityRV(model)(*mask, size=size)

    @classmethod
    def dist(cls, model: DensityModel, steps: int | None = None, mask=None, **kwargs):
        cfg = getattr(model, "cfg", None)
        if cfg is not None and cfg.recurrent:
            if mask is None:
                if steps is None:
                    raise ConfigError("a sequence density needs steps (frames per sequence) or a mask")
                mask = np.ones(int(steps))
            return super().dist([pt.as_tensor_variable(mask, dtype=cfg.dtype)], model=model, **kwargs)
        if steps is not None or mask is not None:
            raise ConfigError("steps and mask are for sequence models; an RNADE is a density of vectors")
        return super().dist([], model=model, **kwargs)


@_logprob.register(DensityRV)
def density_logp(op: DensityRV, values, rng, size, *mask, **kwargs):
    """The package's fast graph of the density of ``value``: one term per vector or sequence.

    The graph is built for the value's own static shape and the value put in place of its data input with
    ``graph_replace(strict=True)``: under PyTensor 2.38 a non-strict replacement compiled a gradient 15
    times slower (1.1 s against 0.06 s for 200 BSDS300 patches).
    """
    (value,) = values
    cfg = op.model.cfg
    value = value.astype(cfg.dtype)
    if not cfg.recurrent:
        X = value.reshape((-1, cfg.D))  # N x D
        g = build(cfg, op.model.shared, graph="fast", shape=X.type.shape)
        return graph_replace(g.loglik, {g.X: X}, strict=True).reshape(value.shape[:-1])
    T = value.shape[-2]
    X = value.reshape((-1, T, cfg.D)).dimshuffle(1, 0, 2)  # T x B x D
    frames = pt.broadcast_to(mask[0], value.shape[:-1]).reshape((-1, T)).T.astype(cfg.dtype)  # T x B
    frames = pt.specify_shape(frames, X.type.shape[:2])
    g = build(cfg, op.model.shared, graph="fast", shape=X.type.shape)
    return graph_replace(g.loglik, {g.X: X, g.mask: frames}, strict=True).reshape(value.shape[:-2])


@_support_point.register(DensityRV)
def density_support_point(op: DensityRV, rv, *inputs):
    """Where NUTS starts: an RNADE's ancestral mean-field vector (each dimension's mean given those of the
    dimensions before it), zeros for a sequence."""
    cfg = op.model.cfg
    if cfg.recurrent:
        return pt.zeros_like(rv)
    mean = op.model.predict(np.zeros((1, cfg.D)))[0]  # D
    return pt.broadcast_to(pt.as_tensor_variable(mean.astype(cfg.dtype)), rv.shape)
