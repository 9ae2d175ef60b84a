"""The pieces of the model whose gradient formulas are proven, and :func:`prove_formulas`, which proves them
all.

Each case builder returns a :class:`~.proofs.Case`: the smallest piece of the model a formula of the
supplement concerns, built from this package's own functions at the sizes :data:`PROOF_SIZES`, with one
:class:`~.proofs.Row` per formula (``pytensor.grad``'s graph, the formula's, and the package's explicit code
where it is a function of its own). :mod:`.proofs` says how a case is proven.

References
----------
.. [1] Supplementary Material for the RNN-RNADE model, "Gradients for the RNADE" and section 2.
.. [2] P. J. Werbos. "Backpropagation through time: what it does and how to do it." Proc. IEEE 78(10), 1990.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from .proofs import Addends, Case, FormulaProof, Row, prove_case
from .sympy_algebra import require_sympy

__all__ = [
    "PROOF_SIZES",
    "RNN_MASK",
    "mixture_case",
    "output_layer_case",
    "hidden_layer_case",
    "accumulator_case",
    "bias_map_case",
    "rnn_case",
    "CASE_BUILDERS",
    "prove_formulas",
]

logger = logging.getLogger(__name__)

PROOF_SIZES = dict(H=3, K=2, N=2, D=3, R=2, T=3, B=2)
"""Sizes of the pieces: small enough for SymPy, with every axis longer than 1 (K = 2 components)."""

RNN_MASK = np.array([[1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
"""T x B mask of the RNN case: sequence 0 skips frame 1, sequence 1 is padded after frame 1."""


def _tensor(name: str, shape: tuple):
    import pytensor.tensor as pt

    return pt.tensor(name, shape=shape, dtype="float64")


def _output_layer(h, x, names=("V_alpha", "V_mu", "V_sigma"), bias_names=("b_alpha", "b_mu", "b_sigma")):
    """One dimension's output layer as in Algorithm 1 (``rnade_logp_scan``'s step) and its log-density."""
    import pytensor.tensor as pt

    from ..ops import mixture_logpdf

    H, K = PROOF_SIZES["H"], PROOF_SIZES["K"]
    V = [_tensor(n, (H, K)) for n in names]
    b = [_tensor(n, (K,)) for n in bias_names]
    z = [pt.dot(h, Vi) + bi for Vi, bi in zip(V, b, strict=True)]
    return V, b, z, mixture_logpdf(x, z[0], z[1], z[2]).logp


def mixture_case() -> Case:
    """One dimension's mixture: the gradients w.r.t. ``z_alpha``, ``mu = z_mu`` and ``z_sigma``."""
    import pytensor
    import pytensor.tensor as pt

    from ..kernels.rnade import RnadeTerms
    from ..kernels.rnade_grads import rnade_explicit_grads
    from ..ops import const, mixture_logpdf

    K = PROOF_SIZES["K"]
    x = _tensor("x", ())
    z_alpha, mu, z_sigma = (_tensor(n, (K,)) for n in ("z_alpha", "mu", "z_sigma"))
    logp = mixture_logpdf(x, z_alpha, mu, z_sigma).logp
    d_alpha, d_mu, d_sigma = pytensor.grad(logp, [z_alpha, mu, z_sigma])
    # the supplement: alpha = softmax(z_alpha), sigma = exp(z_sigma), phi = N(x; mu, sigma^2),
    # pi = alpha phi / sum(alpha phi)
    alpha = pt.exp(z_alpha) / pt.exp(z_alpha).sum()
    sigma = pt.exp(z_sigma)
    phi = pt.exp(-((x - mu) ** 2) / (2 * sigma**2)) / (const(np.sqrt(2.0 * np.pi), x) * sigma)
    pi = alpha * phi / (alpha * phi).sum()
    # the package's explicit code, on the same dimension (D = N = 1)
    xT = x.reshape((1, 1))
    Z = [v.reshape((1, 1, K)) for v in (z_alpha, mu, z_sigma)]
    mix = mixture_logpdf(xT, *Z)
    one = pt.zeros((1, 1, 1), dtype="float64")
    terms = RnadeTerms(xT, one[0], one, one, mix.log_alpha, Z[1], Z[2], mix.log_phi, mix.logp, mix.logp[0])
    p = {n: pt.zeros((1, 1, K), dtype="float64") for n in ("V_alpha", "V_mu", "V_sigma")}
    p["rho"] = pt.ones((1,), dtype="float64")
    gr = rnade_explicit_grads(p, terms)
    src = "rnade_grads.rnade_explicit_grads"
    rows = [
        Row("dz_alpha", "∂log p/∂z^α_d", "π_d − α_d", d_alpha, pi - alpha, gr.dz_alpha.reshape((K,)), src),
        Row(
            "dz_mu",
            "∂log p/∂z^μ_d",
            "π_d (x_d − μ_d) / σ_d²",
            d_mu,
            pi * (x - mu) / sigma**2,
            gr.dz_mu.reshape((K,)),
            src,
        ),
        Row(
            "dz_sigma",
            "∂log p/∂z^σ_d",
            "π_d ((x_d − μ_d)² / σ_d² − 1)",
            d_sigma,
            pi * ((x - mu) ** 2 / sigma**2 - 1),
            gr.dz_sigma.reshape((K,)),
            src,
        ),
    ]
    return Case(
        "mixture",
        "RNADE",
        "p(x_d | x_<d): ops.mixture_logpdf of one dimension, K = 2",
        [x, z_alpha, mu, z_sigma],
        {},
        rows,
        structural=True,
    )


def output_layer_case() -> Case:
    """The output layer ``z = h V + b`` of one dimension: gradients w.r.t. ``V_*``, ``b_*`` and ``h``."""
    import pytensor
    import pytensor.tensor as pt

    H = PROOF_SIZES["H"]
    x, h = _tensor("x", ()), _tensor("h", (H,))
    V, b, z, logp = _output_layer(h, x)
    dz = pytensor.grad(logp, z)
    gV = pytensor.grad(logp, V)
    gb = pytensor.grad(logp, b)
    gh = pytensor.grad(logp, h)
    rows = []
    for i, (c, sym) in enumerate((("alpha", "α"), ("mu", "μ"), ("sigma", "σ"))):
        rows.append(
            Row(f"dV_{c}", f"∂log p/∂V^{sym}_d", f"h_d ⊗ ∂log p/∂z^{sym}_d", gV[i], pt.outer(h, dz[i]))
        )
    for i, (c, sym) in enumerate((("alpha", "α"), ("mu", "μ"), ("sigma", "σ"))):
        rows.append(Row(f"db_{c}", f"∂log p/∂b^{sym}_d", f"∂log p/∂z^{sym}_d", gb[i], dz[i]))
    dh = Addends(pt.dot(dz[i], V[i].T) for i in range(3))
    rows.append(
        Row("dh", "∂log p/∂h_d", "V^α_d ∂log p/∂z^α_d + V^μ_d ∂log p/∂z^μ_d + V^σ_d ∂log p/∂z^σ_d", gh, dh)
    )
    return Case(
        "output layer",
        "RNADE",
        "z^·_d = h_d V^·_d + b^·_d of one dimension (Algorithm 1), h_d an input",
        [x, h, *V, *b],
        {},
        rows,
    )


def hidden_layer_case() -> Case:
    """The hidden layer ``h = sigm(psi)``, ``psi = rho a`` of one dimension: gradients w.r.t. ``psi``,
    ``rho`` and ``a``."""
    import pytensor
    import pytensor.tensor as pt

    H = PROOF_SIZES["H"]
    x, a, rho = _tensor("x", ()), _tensor("a", (H,)), _tensor("rho", ())
    psi = rho * a
    h = pt.sigmoid(psi)
    V, b, _, logp = _output_layer(h, x)
    dh, dpsi = pytensor.grad(logp, [h, psi])
    grho, ga = pytensor.grad(logp, [rho, a])
    rows = [
        Row("dpsi", "∂log p/∂ψ_d  (ψ_d = ρ_d a_d)", "∂log p/∂h_d ⊙ h_d ⊙ (1 − h_d)", dpsi, dh * h * (1 - h)),
        Row("drho", "∂log p/∂ρ_d", "Σ_i ∂log p/∂ψ_d,i a_d,i", grho, (dpsi * a).sum()),
        Row("da", "∂log p/∂a_d  (through h_d)", "ρ_d ∂log p/∂ψ_d", ga, dpsi * rho),
    ]
    return Case(
        "hidden layer",
        "RNADE",
        "h_d = sigm(ρ_d a_d) of one dimension, then its output layer",
        [x, a, rho, *V, *b],
        {},
        rows,
    )


def accumulator_case() -> Case:
    """The accumulator ``a_{d+1} = a_d + x_d W[:, d]``, ``a_1 = c`` (``rnade.accumulators``, a scan):
    gradients w.r.t. ``c`` and ``W`` for any gradient ``G`` reaching each ``a_d``."""
    import pytensor
    import pytensor.tensor as pt

    from ..kernels.rnade import accumulators
    from ..kernels.rnade_grads import input_weight_grads

    N, D, H = PROOF_SIZES["N"], PROOF_SIZES["D"], PROOF_SIZES["H"]
    x, W, c, G = _tensor("x", (N, D)), _tensor("W", (H, D)), _tensor("c", (H,)), _tensor("G", (D, N, H))
    loss = (G * accumulators(x, W, c)).sum()
    gc, gW = pytensor.grad(loss, [c, W])
    dW = pt.stack([(x[:, j, None] * G[j + 1 :].sum(axis=0)).sum(axis=0) for j in range(D)], axis=1)
    rows = [
        Row(
            "dc",
            "∂log p/∂c",
            "Σ_d ∂log p/∂a_d",
            gc,
            G.sum(axis=(0, 1)),
            G.sum(axis=0).sum(axis=0),
            "RnadeGrads.dc summed over rows",
        ),
        Row(
            "dW",
            "∂log p/∂W_·,j",
            "x_j Σ_{d>j} ∂log p/∂a_d",
            gW,
            dW,
            input_weight_grads(x.T, G),
            "rnade_grads.input_weight_grads",
        ),
    ]
    return Case(
        "accumulator",
        "RNADE",
        "a_d of N rows by rnade.accumulators (a scan); G = ∂log p/∂a_d, symbolic",
        [x, W, c, G],
        {},
        rows,
        structural=False,
    )


def bias_map_case() -> Case:
    """RNN-RNADE's biases ``b_* + hhat_{t-1} W_*`` (``rnn.frame_biases``): gradients w.r.t. ``W_*`` and
    ``hhat_{t-1}`` for any gradients ``G_*`` reaching the frame's ``z_*``."""
    import pytensor

    from ..config import ModelConfig
    from ..kernels.rnn import frame_biases

    N, D, H, K, R = (PROOF_SIZES[k] for k in ("N", "D", "H", "K", "R"))
    cfg = ModelConfig(model="rnn-rnade", D=D, H=H, K=K, R=R)
    hhat = _tensor("hhat_prev", (N, R))
    comps = (("alpha", "α"), ("mu", "μ"), ("sigma", "σ"))
    p = {f"W_{c}": _tensor(f"W_{c}", (R, D, K)) for c, _ in comps}
    p.update({f"b_{c}": _tensor(f"b_{c}", (D, K)) for c, _ in comps})
    p.update(c=_tensor("c", (H,)), W=_tensor("W", (H, D)))
    G = {c: _tensor(f"G_{c}", (D, N, K)) for c, _ in comps}
    biases = frame_biases(hhat, p, cfg)
    loss = sum((G[c] * getattr(biases, f"b_{c}")).sum() for c, _ in comps)
    rows = []
    for c, sym in comps:
        formula = (hhat[:, :, None, None] * G[c].transpose(1, 0, 2)[:, None, :, :]).sum(axis=0)
        rows.append(
            Row(
                f"dW_{c}",
                f"∂log p/∂W^{sym}",
                f"Σ_t ĥ_t−1 ⊗ ∂log p/∂z^{sym}_t",
                pytensor.grad(loss, p[f"W_{c}"]),
                formula,
            )
        )
    e = Addends(
        (G[c].transpose(1, 0, 2)[:, None, :, :] * p[f"W_{c}"][None]).sum(axis=(2, 3)) for c, _ in comps
    )
    rows.append(
        Row(
            "dhhat_prev",
            "∂log p/∂ĥ_t−1  (through r_α, r_μ, r_σ)",
            "Σ over α, μ, σ of W^· ∂log p/∂z^·_t  (=: e_t)",
            pytensor.grad(loss, hhat),
            e,
        )
    )
    inputs = [hhat, *(p[f"W_{c}"] for c, _ in comps), *(p[f"b_{c}"] for c, _ in comps), *G.values()]
    return Case(
        "bias maps",
        "RNN-RNADE",
        "r_· = ĥ_t−1 W^· by rnn.frame_biases for N frames; G_· = ∂log p/∂z^·_t, symbolic",
        inputs,
        {},
        rows,
    )


def rnn_case() -> Case:
    """The RNN ``hhat_t = sigm(x_t W2 + hhat_{t-1} W3 + b_hhat)`` (``rnn.rnn_states``, a scan, with a skipped
    and a padded frame): gradients w.r.t. ``W2``, ``W3``, ``b_hhat`` and ``h0`` for any gradients ``E_t``
    reaching ``hhat_{t-1}`` through frame t's biases (backpropagation through time)."""
    import pytensor
    import pytensor.tensor as pt

    from ..config import ModelConfig
    from ..kernels.rnn import rnn_explicit_backward, rnn_states

    T, B, D, H, K, R = (PROOF_SIZES[k] for k in ("T", "B", "D", "H", "K", "R"))
    cfg = ModelConfig(model="rnn-rnade", D=D, H=H, K=K, R=R)
    X, mask, E = _tensor("X", (T, B, D)), _tensor("mask", (T, B)), _tensor("E", (T, B, R))
    p = {n: _tensor(n, s) for n, s in dict(W2=(D, R), W3=(R, R), b_hhat=(R,), h0=(R,)).items()}
    Xc = pt.switch(pt.shape_padright(mask) > 0, X, pt.zeros_like(X))  # as build_rnnrnade
    hhat = rnn_states(Xc, mask, p, cfg)
    hprev = pt.concatenate([pt.shape_padleft(pt.broadcast_to(p["h0"], (B, R))), hhat[:-1]], axis=0)
    loss = (E * hprev).sum()
    names = ["b_hhat", "W2", "W3", "h0"]
    auto = dict(zip(names, pytensor.grad(loss, [p[n] for n in names]), strict=True))
    # backpropagation through time, unrolled: g_T = 0; delta_t = m_t g_t hhat_t (1 - hhat_t);
    # g_{t-1} = E_t + delta_t W3^T + (1 - m_t) g_t
    g = pt.zeros((B, R), dtype="float64")
    deltas = [None] * T
    for t in reversed(range(T)):
        m = mask[t][:, None]
        deltas[t] = m * g * hhat[t] * (1 - hhat[t])
        g = E[t] + pt.dot(deltas[t], p["W3"].T) + (1 - m) * g
    formula = {
        "b_hhat": Addends(deltas[t].sum(axis=0) for t in range(T)),
        "W2": Addends(pt.dot(Xc[t].T, deltas[t]) for t in range(T)),
        "W3": Addends(pt.dot(hprev[t].T, deltas[t]) for t in range(T)),
        "h0": g.sum(axis=0),
    }
    expl = rnn_explicit_backward(Xc, mask, hhat, hprev, E, p, cfg)
    bptt = "δ_t = m_t g_t ⊙ ĥ_t ⊙ (1 − ĥ_t),  g_t−1 = e_t + W3 δ_t + (1 − m_t) g_t,  g_T = 0"
    text = {
        "b_hhat": ("∂log p/∂b_ĥ", f"Σ_t δ_t;  {bptt}"),
        "W2": ("∂log p/∂W2", "Σ_t x_t ⊗ δ_t"),
        "W3": ("∂log p/∂W3", "Σ_t ĥ_t−1 ⊗ δ_t"),
        "h0": ("∂log p/∂h0", "Σ over sequences of g_0"),
    }
    rows = [
        Row(f"d{n}", text[n][0], text[n][1], auto[n], formula[n], expl[n], "rnn.rnn_explicit_backward")
        for n in names
    ]
    return Case(
        "RNN",
        "RNN-RNADE",
        f"ĥ_t by rnn.rnn_states (a scan), T = {T}, B = {B}, a skipped and a padded frame; "
        "E_t = e_t = ∂log p/∂ĥ_t−1 through frame t's biases, symbolic",
        [X, mask, E, *p.values()],
        {mask: RNN_MASK},
        rows,
        structural=False,
    )


CASE_BUILDERS: list[Callable[[], Case]] = [
    mixture_case,
    output_layer_case,
    hidden_layer_case,
    accumulator_case,
    bias_map_case,
    rnn_case,
]
"""Every case, in the order of the report."""


def prove_formulas(sympy: bool = True, draws: int = 2, seed: int = 0) -> list[FormulaProof]:
    """Every formula of the supplement, proven by the strongest method that works (see :mod:`.proofs`).

    Parameters
    ----------
    sympy : bool
        Try SymPy where the structural check fails.
    draws : int
        Random input draws of the numerical comparison.
    seed : int
        Seed of those draws.

    Returns
    -------
    list of FormulaProof
        One per formula, case by case in the order of :data:`CASE_BUILDERS`.

    Raises
    ------
    ConfigError
        When ``sympy`` is true and SymPy is not installed.
    """
    if sympy:
        require_sympy()
    out = []
    for build in CASE_BUILDERS:
        case = build()
        logger.info("proving the %s formulas", case.name)
        out += prove_case(case, sympy=sympy, draws=draws, seed=seed)
    bad = [p.key for p in out if not p.proved]
    if bad:
        logger.warning("formulas not proven equal: %s", bad)
    return out
