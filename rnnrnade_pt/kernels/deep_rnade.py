"""The deep order-agnostic RNADE's math: the network that gives every dimension's mixture from any subset of
observed dimensions, its order-agnostic training estimate, the exact log-likelihood under an ordering (D
steps), ancestral sampling and mean-field.

One network serves every conditional. Given the observed subset as a 0/1 mask ``m`` (N x D),

    h_1 = act((x * m) W^T + m W_mask^T + c),   h_l = act(h_{l-1} W_layer_l + c_layer_l)  (l = 2 .. L),
    z_*_i = h_L V_*_i + b_*_i  for every dimension i,

and ``log p(x_i | x_m)`` is the mixture of :func:`~rnnrnade_pt.ops.mixture_logpdf` with those parameters
(``x * m`` feeds the observed values, ``m`` itself tells an observed 0 from a missing one). Under an ordering
``o`` the observed set before step j is ``o_<j``, so ``log p(x | o) = sum_j log p(x_{o_j} | x_{o_<j})``
takes D
passes of the network; the first layer's input is a running sum, ``a_{j+1} = a_j + x_{o_j} W[:, o_j] +
W_mask[:, o_j]`` from ``a_1 = c``, as an RNADE's accumulator.

Training (Uria et al. 2014) draws per example a number of observed dimensions ``d`` uniformly in
``0 .. D - 1`` and a uniformly random subset of that size (the first ``d`` of a random ordering), and scores
every unobserved dimension at once:

    L(x, m) = D / (D - d) * sum_{i not in m} log p(x_i | x_m),

an unbiased estimate of the mean over orderings ``E_o log p(x | o)`` (:func:`masked_estimate`; the tests
check its expectation over every mask against the mean over every ordering).

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "A deep and tractable density estimator." ICML 2014
   (``OrderlessMoGNADE`` of Uria's code, MarcCote/NADE ``deepnade/``).
.. [2] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytensor
import pytensor.tensor as pt
from pytensor.tensor.variable import TensorVariable

from ..compat import draw
from ..ops import mixture_logpdf
from .rnade import hidden_units, mixture_draw

__all__ = [
    "layer_names",
    "hidden_stack",
    "mixture_outputs",
    "random_masks",
    "masked_logp",
    "masked_estimate",
    "ordered_logp_scan",
    "deep_sample_scan",
    "deep_mean_field_scan",
]


def layer_names(layers: int) -> list[tuple[str, str]]:
    """The weight and bias names of hidden layers 2 .. ``layers``: ``(W_layer2, c_layer2), ...``."""
    return [(f"W_layer{l}", f"c_layer{l}") for l in range(2, layers + 1)]


def hidden_stack(a: TensorVariable, upper: Sequence, activation: str) -> TensorVariable:
    """The top hidden layer from the first layer's input ``a`` (N x H): ``act(a)``, then through each
    ``(W_l, c_l)`` of ``upper`` (H x H, H)."""
    h = hidden_units(a, activation)  # N x H
    for W_l, c_l in upper:
        h = hidden_units(pt.dot(h, W_l) + c_l, activation)
    return h


def mixture_outputs(z: TensorVariable, b: TensorVariable, K: int) -> tuple:
    """``z_alpha``, ``mu``, ``z_sigma`` (each ... x K) from the three output layers side by side ``z``
    (... x 3K) and their biases ``b`` (broadcastable to ``z``)."""
    z = z + b
    return z[..., :K], z[..., K : 2 * K], z[..., 2 * K :]


def _output_weights(p: dict) -> tuple[TensorVariable, TensorVariable]:
    """``V`` (D x H x 3K) and ``b`` (D x 3K): the alpha, mu and sigma output layers side by side."""
    V = pt.concatenate([p["V_alpha"], p["V_mu"], p["V_sigma"]], axis=2)
    b = pt.concatenate([p["b_alpha"], p["b_mu"], p["b_sigma"]], axis=1)
    return V, b


def random_masks(rng, n, D: int, dtype: str):
    """Training's observed subsets: per row, ``d`` uniform in ``0 .. D - 1`` and the ``d`` dimensions that
    come first in a uniformly random ordering (the ranks of i.i.d. uniforms). Returns ``(next_rng, m)``,
    ``m`` n x D of 0/1 in ``dtype``."""
    rng, u = draw(pt.random.uniform, 0.0, 1.0, rng=rng, size=(n, D))
    rng, v = draw(pt.random.uniform, 0.0, 1.0, rng=rng, size=(n,))
    d = pt.minimum(pt.floor(v * D), D - 1)  # n, uniform in 0 .. D-1
    rank = pt.argsort(pt.argsort(u, axis=1), axis=1)  # n x D, a random permutation per row
    return rng, pt.lt(rank, pt.shape_padright(d)).astype(dtype)


def masked_logp(
    x: TensorVariable, m: TensorVariable, p: dict, upper: Sequence, K: int, mixture: str, activation: str
) -> TensorVariable:
    """``log p(x_i | x_m)`` of every dimension i of every row (N x D) given the observed mask ``m`` (N x D):
    one pass of the network (the entries of observed dimensions are computed too, and not used)."""
    a = pt.dot(x * m, p["W"].T) + pt.dot(m, p["W_mask"].T) + p["c"]  # N x H
    h = hidden_stack(a, upper, activation)  # N x H
    V, b = _output_weights(p)
    z = pt.tensordot(h, V, axes=[[1], [1]])  # N x D x 3K
    z_alpha, mu, z_sigma = mixture_outputs(z, b, K)
    return mixture_logpdf(x, z_alpha, mu, z_sigma, mixture).logp  # N x D


def masked_estimate(x: TensorVariable, m: TensorVariable, logp: TensorVariable) -> TensorVariable:
    """The order-agnostic estimate of each row (N): ``D / (D - d) sum_{i not in m} log p(x_i | x_m)`` with
    ``d`` the row's observed count (``m``: N x D with fewer than D ones per row; ``logp``: N x D from
    :func:`masked_logp`)."""
    D = pt.cast(x.shape[1], x.dtype)
    d = m.sum(axis=1)  # N
    return ((1 - m) * logp).sum(axis=1) * D / (D - d)


def _ordered(values: TensorVariable, order: TensorVariable | None, axis: int) -> TensorVariable:
    """``values`` with its dimension axis put in the ordering's order (unchanged for the natural one)."""
    if order is None:
        return values
    return values[:, order] if axis == 1 else values[order]


def _ordered_steps(
    p: dict,
    upper_names: Sequence,
    K: int,
    activation: str,
    n,
    inputs: list,
    emit,
    name: str,
    order: TensorVariable | None = None,
) -> TensorVariable:
    """The D steps of an ordering for n rows, which the exact log-likelihood, sampling and mean-field share.

    Step j runs the network on the running first-layer input ``a_j`` (``a_1 = c``; n x H), which gives the
    mixture of dimension ``o_j`` (``z_alpha``, ``mu``, ``z_sigma``, each n x K); ``emit(z_alpha, mu, z_sigma,
    *inputs_j)`` returns ``(x_j, out_j)``: the value the next steps observe and the step's output; then
    ``a_{j+1} = a_j + x_j W[:, o_j] + W_mask[:, o_j]``. ``inputs`` are D x n tensors in the ordering's order
    (the natural one when ``order`` is ``None``). Returns the outputs, D x n.
    """
    V, b = _output_weights(p)
    weights = [_ordered(p["W"], order, 1).T, _ordered(p["W_mask"], order, 1).T]  # D x H each
    sequences = [*inputs, *weights, _ordered(V, order, 0), _ordered(b, order, 0)]  # ..., D x H x 3K, D x 3K
    upper = [p[name] for pair in upper_names for name in pair]
    a_1 = pt.broadcast_to(p["c"], (n, p["c"].shape[0]))  # n x H
    k = len(inputs)

    def deep_rnade_step(*args):
        # inputs_j: n each; W_j, W_mask_j: H; V_j: H x 3K; b_j: 3K; a_j: n x H
        inputs_j, (W_j, W_mask_j, V_j, b_j, a_j), upper_values = args[:k], args[k : k + 5], args[k + 5 :]
        h = hidden_stack(a_j, list(zip(upper_values[::2], upper_values[1::2], strict=True)), activation)
        z_alpha, mu, z_sigma = mixture_outputs(pt.dot(h, V_j), b_j, K)  # n x K each
        x_j, out_j = emit(z_alpha, mu, z_sigma, *inputs_j)
        return a_j + pt.outer(x_j, W_j) + W_mask_j, out_j

    _, out = pytensor.scan(
        deep_rnade_step,
        sequences=sequences,
        outputs_info=[a_1, None],
        non_sequences=upper,
        strict=True,
        return_updates=False,
        name=name,
    )
    return out


def _log_softmax(z_alpha: TensorVariable) -> TensorVariable:
    return z_alpha - pt.logsumexp(z_alpha, axis=-1, keepdims=True)


def ordered_logp_scan(
    x: TensorVariable,
    p: dict,
    upper_names: Sequence,
    K: int,
    mixture: str,
    activation: str,
    order: TensorVariable | None = None,
) -> TensorVariable:
    """``log p(x | o)`` of each row of ``x`` (N x D): a scan over the D steps of the ordering ``order`` (D
    integers; the natural order when ``None``), each step one pass of the network for N rows.

    ``upper_names`` are the hidden layers' ``(weight, bias)`` names in ``p`` (:func:`layer_names`).
    """

    def observed(z_alpha, mu, z_sigma, x_j):
        return x_j, mixture_logpdf(x_j, z_alpha, mu, z_sigma, mixture).logp  # N

    xo = _ordered(x, order, 1).T  # D x N
    logp = _ordered_steps(
        p, upper_names, K, activation, x.shape[0], [xo], observed, "deep_rnade_steps", order
    )
    return logp.sum(axis=0)  # D x N -> N


def deep_sample_scan(
    u: TensorVariable, eps: TensorVariable, p: dict, upper_names: Sequence, K: int, activation: str
) -> TensorVariable:
    """Ancestral samples (n x D) in the natural order given the noise ``u``, ``eps`` (D x n each, as for
    :func:`~rnnrnade_pt.kernels.rnade.rnade_sample_scan`): a deterministic function of the noise."""

    def drawn(z_alpha, mu, z_sigma, u_j, eps_j):
        x_j = mixture_draw(_log_softmax(z_alpha), mu, z_sigma, u_j, eps_j)  # n
        return x_j, x_j

    x = _ordered_steps(p, upper_names, K, activation, u.shape[1], [u, eps], drawn, "deep_rnade_sample_steps")
    return x.T  # D x n -> n x D


def deep_mean_field_scan(p: dict, upper_names: Sequence, K: int, activation: str, n) -> TensorVariable:
    """Ancestral mean-field (n x D): each ``x_j`` replaced by its conditional mean ``sum_k alpha_k mu_k``
    given the means before it, in the natural order."""

    def mean(z_alpha, mu, z_sigma):
        m_j = (pt.exp(_log_softmax(z_alpha)) * mu).sum(axis=-1)  # n
        return m_j, m_j

    m = _ordered_steps(p, upper_names, K, activation, n, [], mean, "deep_rnade_mean_field_steps")
    return m.T  # D x n -> n x D
