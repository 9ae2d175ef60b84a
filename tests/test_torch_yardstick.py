"""The PyTorch models of ``experiments/bench.py`` compute what the package computes (float64): the same
log-likelihood and the same gradient of every parameter, padding included, so the benchmark compares equal
work."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import rnnrnade_pt as rp
from rnnrnade_pt.density_model import model_class

torch = pytest.importorskip("torch", reason="the PyTorch yardstick needs the bench extra")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "experiments"))
import torch_models  # noqa: E402

CASES = {
    "rnn-rnade": (dict(D=5, H=6, K=3, R=4), torch_models.TorchRnnRnade),
    "rnn-nade": (dict(D=7, H=5, R=4), torch_models.TorchRnnNade),
}


@pytest.mark.parametrize("model", list(CASES))
def test_torch_version_computes_the_same_loglik_and_gradient(model):
    sizes, net_class = CASES[model]
    cfg = rp.ModelConfig(model=model, **sizes)
    values = rp.init_params(cfg, seed=3, scale=0.5)
    rng = np.random.default_rng(4)
    X = rng.standard_normal((6, 3, cfg.D))
    if model == "rnn-nade":
        X = (X > 0.4) * 1.0
    mask = np.ones((6, 3))
    mask[4:, 0] = 0
    X[mask == 0] = 7.0  # padding: ignored by both
    total, grads = model_class(cfg)(cfg, values, "c").gradients(X, mask, graph="fused")
    net = net_class(values, torch.float64)
    t_total = net(torch.as_tensor(X), torch.as_tensor(mask))
    t_total.backward()
    assert abs(t_total.item() - total) <= 1e-10 * abs(total)
    for name, g in grads.items():
        t_grad = net.p[name].grad
        t_grad = np.zeros_like(g) if t_grad is None else t_grad.numpy()
        np.testing.assert_allclose(t_grad, g, rtol=1e-9, atol=1e-12 * np.max(np.abs(g)), err_msg=name)


def test_torch_training_step_runs_adam():
    sizes, net_class = CASES["rnn-rnade"]
    cfg = rp.ModelConfig(model="rnn-rnade", **sizes)
    net = net_class(rp.init_params(cfg, seed=5, scale=0.3), torch.float64)
    step = torch_models.torch_train_step(net, lr=1e-2)
    X = torch.as_tensor(np.random.default_rng(6).standard_normal((5, 2, cfg.D)))
    mask = torch.ones(5, 2, dtype=torch.float64)
    first = float(step(X, mask))
    for _ in range(20):
        last = float(step(X, mask))
    assert last > first
