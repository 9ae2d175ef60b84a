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
