"""One compiled optimisation step: gradient, weight decay, clipping, the optimiser's update, NaN safety.

The direction is ``pytensor.grad`` of the graph's ``train_cost`` (default ``cost``, the mean negative
log-likelihood per frame; the RNN-RBM's is CD-k's free-energy difference with its Gibbs chain held constant),
or the supplement's explicit gradient (``train.gradient = "explicit"``; ``"sigma-scaled-mu"``: with the
original code's heuristic for the means, which is not the cost's gradient). The loop that calls the step is
:class:`~rnnrnade_pt.train.Trainer`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytensor
import pytensor.tensor as pt

from .backend import compile_function
from .compat import isfinite
from .models import explicit_gradients
from .optim import clip_gradients, global_norm, optimizer_updates
from .params import weight_names

__all__ = ["TrainStep", "build_train_step"]


@dataclass
class TrainStep:
    """A compiled training step and its optimiser state.

    ``fn`` returns the graph's ``total`` (the summed log-likelihood, or for a model without a tractable one
    the quantity its training monitors, :func:`~rnnrnade_pt.metrics.train_monitor`), the number of frames,
    the global gradient norm before clipping, whether the step was applied and, with
    ``train.log_grad_norms``, each parameter's gradient norm in the order of ``fn_names``.
    """

    fn: Callable  # (X[, mask][, M], lr) -> (total, frames, gradient norm, ok[, norm of each parameter])
    state: dict  # name -> optimiser shared variable
    recurrent: bool
    fn_names: list  # the parameters, in the order of the per-parameter norms


def build_train_step(
    g, tcfg, prefix: str = "opt", backend: str = "c", state: dict | None = None
) -> TrainStep:
    """Compile one optimisation step on a graph from :func:`~rnnrnade_pt.models.build`.

    The cost is the mean negative log-likelihood per frame plus ``weight_decay * sum ||W||^2`` over the
    weights ``weight_decay_on`` names. A step whose
    cost or gradient is not finite changes nothing: every update is ``switch(ok, new, old)``, so the
    parameters and optimiser state stay the last good ones. ``state`` shares the optimiser variables of an
    earlier step (another static shape of the same phase, for JAX).

    Parameters
    ----------
    g : NamedTuple
        The graph; its ``train_cost`` and ``consider_constant`` (when present) set the training direction.
    tcfg : TrainConfig
        ``gradient`` (symbolic or explicit), ``weight_decay``, clipping, the optimiser, ``log_grad_norms``.
    prefix : str
        Name prefix of the optimiser state (``opt``, ``pretrain_opt``).
    backend : str
        Compilation backend.
    state : dict, optional
        Optimiser shared variables to reuse.

    Returns
    -------
    TrainStep
    """
    cfg, params = g.config, g.params
    if tcfg.gradient != "symbolic":  # "explicit", or with the original code's sigma-scaled mean gradient
        explicit = explicit_gradients(g, sigma_scaled_mu=tcfg.gradient == "sigma-scaled-mu")
        grads = {n: -d / g.n_frames for n, d in explicit.items()}
    else:  # train_cost: e.g. the RNN-RBM's CD free-energy difference, with its Gibbs chain held constant
        train_cost = g.cost if g.train_cost is None else g.train_cost
        const = list(g.consider_constant)
        values = pytensor.grad(train_cost, list(params.values()), consider_constant=const)
        grads = dict(zip(params, values, strict=True))
    cost = g.cost
    if tcfg.weight_decay > 0:
        wd = np.asarray(tcfg.weight_decay, dtype=cfg.dtype)
        for n in weight_names(cfg) if tcfg.weight_decay_on == "weights" else ["W"]:
            if n in params:
                cost = cost + wd * pt.sum(pt.sqr(params[n]))
                grads[n] = grads[n] + 2 * wd * params[n]
    norm = global_norm(grads)
    grads_raw = grads
    ok = isfinite(cost) & isfinite(norm)
    grads = clip_gradients(grads, tcfg.clip_norm, tcfg.clip_per_param, norm)
    lr = pt.scalar("lr", dtype=cfg.dtype)
    new, state = optimizer_updates(params, grads, tcfg, lr, prefix=prefix, state=state)
    updates = [(v, pt.switch(ok, e, v)) for v, e in new.items()]
    updates += list((g.rng_updates or {}).items())  # e.g. the RNN-RBM's CD chain
    inputs = [g.X, g.mask] if cfg.recurrent else [g.X]
    if g.M is not None:  # an RNADE under per-example orderings
        inputs.append(g.M)
    inputs.append(lr)
    outputs = [g.total, g.n_frames, norm, ok]
    if tcfg.log_grad_norms:  # before clipping
        outputs += [pt.sqrt(pt.sum(pt.sqr(grads_raw[n]))) for n in params]
    fn = compile_function(
        inputs, outputs, backend, updates=updates, name=f"{prefix}_step", fastmath=tcfg.fastmath
    )
    return TrainStep(fn, state, cfg.recurrent, list(params))
