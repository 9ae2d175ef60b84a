"""Log-space primitives shared by every model: activations, Gaussian and mixture log-densities.

Everything stays in log space (log-softmax, logsumexp); no density is exponentiated before it is summed.

References
----------
.. [1] Supplementary Material for the RNN-RNADE model, "Gradients for the RNADE".
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor.variable import TensorVariable

__all__ = [
    "LOG_2PI",
    "activation",
    "activation_grad",
    "const",
    "gaussian_logpdf",
    "MixtureTerms",
    "mixture_logpdf",
]

LOG_2PI = float(np.log(2.0 * np.pi))


def const(value: float, like: TensorVariable) -> TensorVariable:
    """A constant of ``like``'s dtype (Python floats would otherwise be autocast to float32)."""
    return pt.constant(np.asarray(value, dtype=like.dtype))


def activation(name: str, x: TensorVariable) -> TensorVariable:
    """``sigm(x)`` or ``tanh(x)``."""
    if name == "sigmoid":
        return pt.sigmoid(x)
    if name == "tanh":
        return pt.tanh(x)
    raise ValueError(f"unknown activation {name!r}")


def activation_grad(name: str, y: TensorVariable) -> TensorVariable:
    """Derivative of the activation written in terms of its output ``y``."""
    one = const(1.0, y)
    if name == "sigmoid":
        return y * (one - y)
    if name == "tanh":
        return one - y * y
    raise ValueError(f"unknown activation {name!r}")


def gaussian_logpdf(x: TensorVariable, mu: TensorVariable, z_sigma: TensorVariable) -> TensorVariable:
    """``log N(x; mu, sigma^2)`` with ``sigma = exp(z_sigma)``, elementwise."""
    u = (x - mu) * pt.exp(-z_sigma)
    return const(-0.5 * LOG_2PI, u) - z_sigma - const(0.5, u) * u * u


class MixtureTerms(NamedTuple):
    """Per-component log-terms of a mixture of Gaussians (last axis: components)."""

    log_alpha: TensorVariable  # log mixing weights, log-softmax of z_alpha
    log_phi: TensorVariable  # log N(x; mu_k, sigma_k^2)
    logp: TensorVariable  # log sum_k alpha_k phi_k (last axis reduced)


def mixture_logpdf(
    x: TensorVariable, z_alpha: TensorVariable, mu: TensorVariable, z_sigma: TensorVariable
) -> MixtureTerms:
    """Log-density of ``x`` under ``sum_k softmax(z_alpha)_k N(mu_k, exp(z_sigma_k)^2)``.

    ``x`` has one axis fewer than the others; the components are the last axis.
    """
    log_alpha = z_alpha - pt.logsumexp(z_alpha, axis=-1, keepdims=True)  # log-softmax, fused by the C backend
    log_phi = gaussian_logpdf(pt.shape_padright(x), mu, z_sigma)
    return MixtureTerms(log_alpha, log_phi, pt.logsumexp(log_alpha + log_phi, axis=-1))
