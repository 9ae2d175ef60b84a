"""Optimisers as symbolic updates, gradient clipping, and learning-rate schedules.

The optimisers are written as PyTensor update expressions so that a training step is one compiled function;
their state lives in shared variables named ``opt/<slot>/<param>`` (saved in checkpoints).

References
----------
.. [1] I. Sutskever, J. Martens, G. Dahl, G. Hinton. "On the importance of initialization and momentum in
   deep learning." ICML 2013 (Nesterov momentum in this form).
.. [2] D. Kingma, J. Ba. "Adam: A method for stochastic optimization." ICLR 2015.
"""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt

from .config import TrainConfig
from .ops import const

__all__ = ["global_norm", "clip_gradients", "optimizer_updates", "learning_rate"]


def global_norm(grads: dict) -> pt.TensorVariable:
    """``sqrt(sum_i ||g_i||^2)`` over every gradient."""
    return pt.sqrt(sum(pt.sum(pt.sqr(g)) for g in grads.values()))


def clip_gradients(grads: dict, max_norm: float, per_param: bool, norm=None) -> dict:
    """Rescale gradients to norm at most ``max_norm``: jointly (global norm) or one parameter at a time."""
    if max_norm <= 0:
        return dict(grads)
    if per_param:
        out = {}
        for name, g in grads.items():
            n = pt.sqrt(pt.sum(pt.sqr(g)))
            out[name] = g * pt.minimum(const(1.0, g), const(max_norm, g) / (n + const(1e-30, g)))
        return out
    norm = global_norm(grads) if norm is None else norm
    scale = pt.minimum(const(1.0, norm), const(max_norm, norm) / (norm + const(1e-30, norm)))
    return {name: g * scale.astype(g.dtype) for name, g in grads.items()}


def optimizer_updates(
    params: dict, grads: dict, tcfg: TrainConfig, lr, prefix: str = "opt", state: dict | None = None
) -> tuple[dict, dict]:
    """New values of the parameters and of the optimiser state for one step on the cost's gradient.

    Parameters
    ----------
    params : dict
        Name -> shared variable.
    grads : dict
        Name -> gradient of the cost to *minimise*.
    lr : TensorVariable
        Scalar learning rate of this step.
    prefix : str
        Names of the state variables: ``{prefix}/{slot}/{param}``.
    state : dict, optional
        Existing state variables to reuse (several compiled steps sharing one optimiser, e.g. one per JAX
        shape bucket); new zero-initialised ones otherwise.

    Returns
    -------
    new : dict
        Shared variable -> its value after the step (parameters and state).
    state : dict
        Name -> optimiser-state shared variable (``opt/...``).
    """
    existing = state or {}
    new, state = {}, {}

    def slot(key: str, like) -> pytensor.compile.SharedVariable:
        name = f"{prefix}/{key}"
        if name not in existing:
            existing[name] = pytensor.shared(np.zeros_like(like), name=name, shape=np.shape(like))
        state[name] = existing[name]
        return existing[name]

    mu = tcfg.momentum
    if tcfg.optimizer == "adam":
        t = slot("t", np.asarray(0.0, dtype=lr.dtype))
        t_new = t + const(1.0, t)
        new[t] = t_new
        for name, p in params.items():
            g = grads[name]
            m, v = slot(f"m/{name}", p.get_value()), slot(f"v/{name}", p.get_value())
            m_new = const(tcfg.beta1, g) * m + const(1 - tcfg.beta1, g) * g
            v_new = const(tcfg.beta2, g) * v + const(1 - tcfg.beta2, g) * pt.sqr(g)
            m_hat = m_new / (1 - pt.pow(const(tcfg.beta1, t), t_new)).astype(g.dtype)
            v_hat = v_new / (1 - pt.pow(const(tcfg.beta2, t), t_new)).astype(g.dtype)
            new[m], new[v] = m_new, v_new
            new[p] = p - lr.astype(g.dtype) * m_hat / (pt.sqrt(v_hat) + const(tcfg.adam_eps, g))
        return new, state
    for name, p in params.items():
        g = grads[name]
        step = lr.astype(g.dtype) * g
        if tcfg.optimizer == "sgd":
            new[p] = p - step
            continue
        vel = slot(f"velocity/{name}", p.get_value())
        vel_new = const(mu, g) * vel - step
        new[vel] = vel_new
        # classical momentum: p + v_new; Nesterov (Sutskever et al. 2013): p + mu v_new - lr g
        new[p] = p + vel_new if tcfg.optimizer == "momentum" else p + const(mu, g) * vel_new - step
    return new, state


def learning_rate(tcfg: TrainConfig, step: int, total_steps: int, steps_per_epoch: int) -> float:
    """The schedule's learning rate at ``step`` (0-based)."""
    if tcfg.schedule == "constant":
        return tcfg.lr
    if tcfg.schedule == "linear":
        return tcfg.lr * max(0.0, 1.0 - step / max(total_steps, 1))
    return tcfg.lr / (1.0 + tcfg.decay * step / max(steps_per_epoch, 1))
