"""The density integrates to 1 (trapezoid rule on a wide grid, which is spectrally accurate for smooth,
fast-decaying integrands): RNADE for D = 1 and 2, RNN-RNADE over two frames of one dimension."""

import numpy as np
import pytest
import reference as ref

import rnnrnade_pt as rp

GRID = np.linspace(-14.0, 14.0, 1401)  # step 0.02; sigmas here are >= exp(-1) ~ 0.37


def _params(cfg, seed):
    values = ref.random_params(
        np.random.default_rng(seed), cfg.D, cfg.H, cfg.K, cfg.R if cfg.recurrent else None, scale=0.7
    )
    values["b_sigma"] = np.clip(values["b_sigma"], -0.2, 0.2)
    values["V_sigma"] = np.clip(values["V_sigma"], -0.2, 0.2)
    if cfg.recurrent:
        values["W_sigma"] = np.clip(values["W_sigma"], -0.2, 0.2)
    return values


def _trapezoid_weights(x):
    w = np.full(x.shape, x[1] - x[0])
    w[0] = w[-1] = w[0] / 2
    return w


@pytest.mark.parametrize("D", [1, 2])
def test_rnade_density_integrates_to_one(D):
    cfg = rp.ModelConfig(model="rnade", D=D, H=5, K=3)
    model = rp.Rnade(cfg, _params(cfg, seed=D))
    w = _trapezoid_weights(GRID)
    if D == 1:
        pts, weights = GRID[:, None], w
    else:
        g1, g2 = np.meshgrid(GRID, GRID, indexing="ij")
        pts = np.stack([g1.ravel(), g2.ravel()], axis=1)
        weights = np.outer(w, w).ravel()
    logp = model.loglik(pts).per_sequence
    assert abs(np.sum(np.exp(logp) * weights) - 1.0) <= 1e-6


def test_rnnrnade_density_over_two_frames_integrates_to_one():
    cfg = rp.ModelConfig(model="rnn-rnade", D=1, H=5, K=3, R=4)
    model = rp.RnnRnade(cfg, _params(cfg, seed=7))
    g1, g2 = np.meshgrid(GRID, GRID, indexing="ij")
    X = np.stack([g1.ravel(), g2.ravel()], axis=0)[:, :, None]  # T=2 x B x D=1: one sequence per grid point
    w = _trapezoid_weights(GRID)
    logp = model.loglik(X, np.ones(X.shape[:2])).per_sequence
    assert abs(np.sum(np.exp(logp) * np.outer(w, w).ravel()) - 1.0) <= 1e-6
    # and the first frame alone is a normalised density too
    first = model.loglik(GRID[None, :, None], np.ones((1, GRID.size))).per_sequence
    assert abs(np.sum(np.exp(first) * w) - 1.0) <= 1e-6


# -- RNADE-Laplace ------------------------------------------------------------------------------------------
# A Laplace mixture has kinks at its locations mu_k, where the trapezoid rule is only first-order accurate.
# Given the dimensions before it, dimension d's conditional is a fixed mixture of exponentials between its
# kinks, so Gauss-Legendre on unit pieces with the kinks as break points integrates it to rounding error.
LAPLACE_L = 40.0  # scales b <= exp(0.45) ~ 1.6 here: the tails beyond +-40 hold < 1e-9
GL_X, GL_W = np.polynomial.legendre.leggauss(8)


def _laplace_params(cfg, seed):
    values = _params(cfg, seed)
    values["V_sigma"] = np.clip(values["V_sigma"], -0.05, 0.05)
    return values


def _pieces_quadrature(kinks):
    """Gauss-Legendre nodes and weights on [-L, L] in pieces of length <= 1 broken at ``kinks``."""
    edges = np.union1d(np.arange(-LAPLACE_L, LAPLACE_L + 0.5), np.clip(kinks, -LAPLACE_L, LAPLACE_L))
    lo, hi = edges[:-1, None], edges[1:, None]
    return ((hi + lo) / 2 + (hi - lo) / 2 * GL_X).ravel(), ((hi - lo) / 2 * GL_W).ravel()


def _laplace_locations(p, d, a):
    """mu (K) of dimension d given the accumulator ``a`` (H), by the NumPy reference's formulas."""
    return ref._sigmoid(p["rho"][d] * a) @ p["V_mu"][d] + p["b_mu"][d]


@pytest.mark.parametrize("D", [1, 2])
def test_rnade_laplace_density_integrates_to_one(D):
    cfg = rp.ModelConfig(model="rnade", D=D, H=5, K=3, mixture="laplace")
    p = _laplace_params(cfg, seed=10 + D)
    x1, w1 = _pieces_quadrature(_laplace_locations(p, 0, p["c"]))
    if D == 1:
        pts, weights = x1[:, None], w1
    else:
        pts, weights = [], []
        for x, w in zip(x1, w1, strict=True):  # dimension 2's kinks move with x_1
            x2, w2 = _pieces_quadrature(_laplace_locations(p, 1, p["c"] + x * p["W"][:, 0]))
            pts.append(np.stack([np.full_like(x2, x), x2], axis=1))
            weights.append(w * w2)
        pts, weights = np.concatenate(pts), np.concatenate(weights)
    model = rp.Rnade(cfg, p)
    logp = model.loglik(pts).per_sequence
    np.testing.assert_allclose(logp[:50], ref.rnade_loglik(p, pts[:50], mixture="laplace"), rtol=1e-12)
    assert abs(np.sum(np.exp(logp) * weights) - 1.0) <= 1e-9
