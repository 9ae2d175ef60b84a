"""Log-space primitives shared by every model: activations, Gaussian, Laplace and mixture log-densities.

Everything stays in log space (log-softmax, logsumexp); no density is exponentiated before it is summed.

References
----------
.. [1] Supplementary Material for the RNN-RNADE model, "Gradients for the RNADE".
.. [2] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013 (RNADE-Laplace; the original code's ``MoLaplaceNADE``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor.variable import TensorVariable

__all__ = [
    "LOG_2PI",
    "LOG_2",
    "activation",
    "activation_grad",
    "const",
    "gaussian_logpdf",
    "laplace_logpdf",
    "component_logpdf",
    "MixtureTerms",
    "mixture_logpdf",
]

LOG_2PI = float(np.log(2.0 * np.pi))
LOG_2 = float(np.log(2.0))


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


def laplace_logpdf(x: TensorVariable, mu: TensorVariable, z_b: TensorVariable) -> TensorVariable:
    """``log Laplace(x; mu, b) = -log 2 - log b - |x - mu| / b`` with ``b = exp(z_b)``, elementwise."""
    return const(-LOG_2, x) - z_b - pt.abs(x - mu) * pt.exp(-z_b)


def component_logpdf(
    mixture: str, x: TensorVariable, mu: TensorVariable, z_scale: TensorVariable
) -> TensorVariable:
    """The component log-density of a mixture (``"gaussian"``: ``z_scale = log sigma``; ``"laplace"``:
    ``z_scale = log b``)."""
    if mixture == "gaussian":
        return gaussian_logpdf(x, mu, z_scale)
    if mixture == "laplace":
        return laplace_logpdf(x, mu, z_scale)
    raise ValueError(f"unknown mixture {mixture!r}")


class MixtureTerms(NamedTuple):
    """Per-component log-terms of a mixture (last axis: components)."""

    log_alpha: TensorVariable  # log mixing weights, log-softmax of z_alpha
    log_phi: TensorVariable  # log phi_k(x): log N(x; mu_k, sigma_k^2) or log Laplace(x; mu_k, b_k)
    logp: TensorVariable  # log sum_k alpha_k phi_k (last axis reduced)


def mixture_logpdf(
    x: TensorVariable,
    z_alpha: TensorVariable,
    mu: TensorVariable,
    z_sigma: TensorVariable,
    mixture: str = "gaussian",
) -> MixtureTerms:
    """Log-density of ``x`` under ``sum_k softmax(z_alpha)_k phi_k(x)``.

    ``phi_k`` is ``N(mu_k, exp(z_sigma_k)^2)`` (``mixture="gaussian"``, RNADE-MoG) or ``Laplace(mu_k, b_k)``
    with scale ``b_k = exp(z_sigma_k)`` (``mixture="laplace"``, RNADE-Laplace: the sigma output layer
    ``V_sigma``, ``b_sigma`` gives ``log b``, as in the original ``MoLaplaceNADE``). ``x`` has one axis fewer
    than the others; the components are the last axis.
    """
    log_alpha = z_alpha - pt.logsumexp(z_alpha, axis=-1, keepdims=True)  # log-softmax, fused by the C backend
    log_phi = component_logpdf(mixture, pt.shape_padright(x), mu, z_sigma)
    return MixtureTerms(log_alpha, log_phi, pt.logsumexp(log_alpha + log_phi, axis=-1))
