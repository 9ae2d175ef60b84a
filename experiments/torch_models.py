"""Plain PyTorch versions of RNN-RNADE and RNN-NADE: the yardstick of ``bench.py``.

Written for speed, not as ports of the package: a Python loop over time for the RNN, then every frame of every
sequence through a vectorised frame model laid out dimension-major (D x N x ...), the accumulators ``a_d`` of
all dimensions as one matrix product with the weights masked by the strict lower triangle
(:func:`prefix_products`; a cumulative sum along the dimensions, the first version's, was about half as fast),
the output layers as one ``baddbmm`` that adds the biases; autograd for the gradient, ``torch.optim.Adam``.
They take the package's parameter names, shapes and padding convention, so ``tests/test_torch_yardstick.py``
can check, in float64, that they compute the same log-likelihood and gradient as the package: the benchmark
compares equal work.

PyTorch is not a dependency of the package; it comes with the ``bench`` extra.

References
----------
.. [1] Supplementary Material for the RNN-RNADE model, Algorithms 1 and 2.
.. [2] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. "Modeling temporal dependencies in high-dimensional
   sequences: application to polyphonic music generation and transcription." ICML 2012 (RNN-NADE).
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["TorchRnnRnade", "TorchRnnNade", "prefix_products", "states_before_frames", "torch_train_step"]

LOG_2PI = math.log(2 * math.pi)


def states_before_frames(x_in: torch.Tensor, h0: torch.Tensor, W_rec: torch.Tensor, m: torch.Tensor, act):
    """The RNN by a loop over time: ``h_t = act(x_in[t] + h_{t-1} W_rec)``, kept where ``m[t] = 0``;
    returns the states before each frame, flattened to (T B) x R."""
    h, prev, keep = h0, [], m > 0
    for t in range(x_in.shape[0]):  # three operations a step (each costs its dispatch, forward and backward)
        prev.append(h)
        h = torch.where(keep[t], act(torch.addmm(x_in[t], h, W_rec)), h)
    return torch.stack(prev).reshape(-1, h0.shape[-1])


def prefix_products(x: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """``sum_{j<d} x_j W[:, j]`` for every d (D x N x H) as one matrix product: ``x`` (N x D) times the
    weights masked by the strict lower triangle, ``M[j, (d, h)] = W[h, j]`` if ``j < d`` (D x DH). The mask
    is applied to the D x D x H weights rather than to D x N x D copies of the inputs (the previous version:
    a batched product of the masked inputs), and the gradient of W comes back through the same product."""
    N, D = x.shape
    H = W.shape[0]
    before = torch.tril(torch.ones(D, D, dtype=x.dtype), diagonal=-1)  # before[d, j] = 1 iff j < d
    M = (before.T.unsqueeze(-1) * W.T.unsqueeze(1)).reshape(D, D * H)  # M[j, d * H + h] = [j < d] W[h, j]
    return (x @ M).view(N, D, H).transpose(0, 1)


class _Parameters(torch.nn.Module):
    """A module whose parameters are the package's, by name (``self.p``), from NumPy arrays."""

    def __init__(self, values: dict, dtype=torch.float32):
        super().__init__()
        self.p = torch.nn.ParameterDict(
            {k: torch.nn.Parameter(torch.as_tensor(np.asarray(v), dtype=dtype)) for k, v in values.items()}
        )


class TorchRnnRnade(_Parameters):
    """RNN-RNADE with the supplement's defaults (sigmoid RNN; alpha, mu and sigma conditioned; Gaussian).

    Parameters
    ----------
    values : dict
        NumPy arrays under the package's names (``W`` H x D, ``c``, ``rho``, ``V_*`` D x H x K, ``b_*``,
        ``W2``, ``W3``, ``b_hhat``, ``h0``, ``W_*`` R x D x K).
    dtype : torch.dtype
    """

    def forward(self, X: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Total log-likelihood of the padded batch ``X`` (T x B x D) under ``mask`` (T x B)."""
        p = self.p
        T, B, D = X.shape
        K = p["V_alpha"].shape[-1]
        m = mask.unsqueeze(-1)  # T x B x 1
        Xc = torch.where(m > 0, X, torch.zeros_like(X))
        # the RNN (input part of every step at once: T x B x R), then the state before each frame
        x_in = Xc @ p["W2"] + p["b_hhat"]
        hp = states_before_frames(x_in, p["h0"].expand(B, -1), p["W3"], m, torch.sigmoid)  # N x R
        x = Xc.reshape(T * B, D)  # N x D
        # RNADE over all frames, dimension-major: every a_d = c + sum_{j<d} x_j W[:, j] as one matrix product
        # of the inputs masked by the strict lower triangle (D x N x D) with W^T (the fastest layout found)
        a = prefix_products(x, p["W"]) + p["c"]  # D x N x H
        hid = torch.sigmoid(p["rho"].view(D, 1, 1) * a)  # D x N x H
        V = torch.cat([p["V_alpha"], p["V_mu"], p["V_sigma"]], dim=2)  # D x H x 3K
        W_r = torch.cat([p["W_alpha"], p["W_mu"], p["W_sigma"]], dim=2).reshape(hp.shape[1], -1)  # R x D3K
        shift = (hp @ W_r).reshape(T * B, D, 3 * K).transpose(0, 1)  # D x N x 3K, the RNN's bias terms
        b = torch.cat([p["b_alpha"], p["b_mu"], p["b_sigma"]], dim=1).unsqueeze(1)  # D x 1 x 3K
        z = torch.baddbmm(shift + b, hid, V)  # D x N x 3K
        z_alpha, mu, z_sigma = z.split(K, dim=2)
        log_alpha = torch.log_softmax(z_alpha, dim=2)
        u = (x.T.unsqueeze(-1) - mu) * torch.exp(-z_sigma)
        log_phi = -0.5 * LOG_2PI - z_sigma - 0.5 * u * u
        logp = torch.logsumexp(log_alpha + log_phi, dim=2).sum(dim=0)  # N
        return (logp * mask.reshape(-1)).sum()


class TorchRnnNade(_Parameters):
    """RNN-NADE (the tutorial's RNN, ``u_0 = 0``, tanh) with the package's names: ``W`` H x D, ``V`` D x H,
    ``bv``, ``bh``, ``Wuh``, ``Wuv``, ``Wvu``, ``Wuu``, ``bu``."""

    def forward(self, X: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        p = self.p
        T, B, D = X.shape
        m = mask.unsqueeze(-1)
        Vc = torch.where(m > 0, X, torch.zeros_like(X))
        u0 = torch.zeros(B, p["Wuu"].shape[0], dtype=X.dtype)
        up = states_before_frames(Vc @ p["Wvu"] + p["bu"], u0, p["Wuu"], m, torch.tanh)  # N x R
        v = Vc.reshape(T * B, D)
        bv_t = p["bv"] + up @ p["Wuv"]  # N x D
        bh_t = p["bh"] + up @ p["Wuh"]  # N x H
        a = prefix_products(v, p["W"]) + bh_t  # D x N x H
        logit = torch.bmm(torch.sigmoid(a), p["V"].unsqueeze(-1)).squeeze(-1).T + bv_t  # N x D
        logp = -torch.nn.functional.softplus((1 - 2 * v) * logit).sum(dim=1)
        return (logp * mask.reshape(-1)).sum()


def torch_train_step(model: torch.nn.Module, lr: float = 1e-4, compile: bool = False):
    """A training step as the package's (Adam on the mean negative log-likelihood per frame): returns
    ``step(X, mask) -> total``. With ``compile``, the loss and its gradient go through ``torch.compile``."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    def loss_and_grad(X, mask):
        total = model(X, mask)
        loss = -total / mask.sum()
        loss.backward()
        return total

    fn = torch.compile(loss_and_grad) if compile else loss_and_grad

    def step(X, mask):
        opt.zero_grad(set_to_none=True)
        total = fn(X, mask)
        opt.step()
        return total.detach()

    return step
