"""The Monte Carlo one-step predictor of RNN-RNADE (``RnnRnade.predict_by_sampling``): the mean of S draws of
each frame given its past."""

from __future__ import annotations

import numpy as np
import pytest
from tiny import tiny

import rnnrnade_pt as rp
from rnnrnade_pt.data.batching import pad_sequences
from rnnrnade_pt.data.datasets import load_dataset


@pytest.fixture(scope="module")
def data():
    return pad_sequences(load_dataset(tiny().data)["test"])


def test_sample_mean_converges_to_the_exact_mean_when_dimensions_are_independent(data):
    X, mask = data
    cfg = tiny(**{"model.K": 3}).model
    values = rp.init_params(cfg, 2, scale=0.3)
    values["W"] = np.zeros_like(values["W"])  # no dimension feeds another: mean-field is the exact mean
    values["b_sigma"] = np.full_like(values["b_sigma"], np.log(0.1))  # sigma within 0.1 e^(+-1)
    model = rp.RnnRnade(cfg, values)
    exact = model.predict(X, mask)
    S = 4000
    mc = model.predict_by_sampling(X, mask, n_samples=S, seed=3)
    assert mc.shape == X.shape and np.all(mc[mask == 0] == 0)
    # each draw's standard deviation is at most about 1 (component means within +-1, sigma < 0.3)
    se = 1.0 / np.sqrt(S)
    assert np.max(np.abs(mc - exact)[mask > 0]) < 5 * se
    # the seed decides the draws
    assert np.array_equal(mc, model.predict_by_sampling(X, mask, n_samples=S, seed=3))
    assert not np.array_equal(mc, model.predict_by_sampling(X, mask, n_samples=S, seed=4))


def test_sample_mean_differs_from_mean_field_when_dimensions_interact(data):
    X, mask = data
    cfg = tiny(**{"model.K": 3}).model
    values = rp.init_params(cfg, 2, scale=2.0)  # strong, nonlinear interactions between dimensions
    model = rp.RnnRnade(cfg, values)
    mf = model.predict(X, mask)
    mc = model.predict_by_sampling(X, mask, n_samples=4000, seed=0)
    assert np.max(np.abs(mc - mf)[mask > 0]) > 0.1
