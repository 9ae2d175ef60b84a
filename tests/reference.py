"""Independent plain-NumPy reference for the RNADE and RNN-RNADE log-likelihood.

This module is written for clarity, not speed: everything is float64 and the
definitions use explicit Python loops over sequences, frames and dimensions.
It is meant to be used by the tests to check the PyTensor implementation.

Sizes: ``D`` data dimensions, ``H`` hidden units, ``K`` mixture components and
``R`` recurrent units.  Parameters are passed as a dict ``p`` of NumPy arrays:

* RNADE: ``W`` (H, D), ``c`` (H,), ``rho`` (D,), ``V_alpha``, ``V_mu``,
  ``V_sigma`` (D, H, K), ``b_alpha``, ``b_mu``, ``b_sigma`` (D, K).
* RNN-RNADE adds ``W2`` (D, R), ``W3`` (R, R), ``b_hhat`` (R,), ``h0`` (R,),
  ``W_alpha`` / ``W_mu`` / ``W_sigma`` (R, D, K) for the conditioned
  components only, and ``W_c`` (R, H) when ``condition_c`` is set.

``mixture="laplace"`` (RNADE-Laplace) replaces each Gaussian component by
``Laplace(mu, b)`` with ``b = exp(V_sigma h + b_sigma)``.  ``rnade_logp``
also takes an ``order`` (a permutation of the dimensions): the accumulator
then sums the inputs in that order, each dimension keeping its own weights.

With ``fold_c_into_W`` there is no ``c``: the hidden bias is ``W[:, 0]`` and
(0-based) ``x_d`` for ``d < D - 1`` multiplies ``W[:, d + 1]``, while
``x_{D-1}`` multiplies nothing (the layout of the original Theano code).

Running the module (``python tests/reference.py``) performs a self-check:
the densities integrate to one and masked frames are skipped entirely.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

COMPONENTS = ("alpha", "mu", "sigma")
_LOG_2PI = np.log(2.0 * np.pi)


def _sigmoid(z):
    """Numerically safe logistic sigmoid.

    Parameters
    ----------
    z : array_like
        Input.

    Returns
    -------
    numpy.ndarray
        ``1 / (1 + exp(-z))`` in float64.
    """
    z = np.asarray(z, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -z))


def _hidden_bias_and_columns(p, fold_c_into_W, c):
    """Return the hidden bias and the (H, D) matrix whose column d multiplies x_d.

    Parameters
    ----------
    p : dict of numpy.ndarray
        Parameters.
    fold_c_into_W : bool
        Whether the hidden bias is stored as ``W[:, 0]``.
    c : numpy.ndarray or None
        Optional override of the hidden bias.

    Returns
    -------
    bias : numpy.ndarray
        Hidden bias, shape (H,).
    cols : numpy.ndarray
        Shape (H, D); ``cols[:, d]`` is added times ``x_d`` to the accumulator.
    """
    W = np.asarray(p["W"], dtype=np.float64)
    H, D = W.shape
    if fold_c_into_W:
        base = W[:, 0]
        cols = np.zeros((H, D))
        cols[:, : D - 1] = W[:, 1:]
    else:
        base = np.asarray(p["c"], dtype=np.float64)
        cols = W
    bias = base if c is None else np.asarray(c, dtype=np.float64)
    return bias, cols


def _log_mog(x, alpha_logits, mu, sigma):
    """Log-density of a 1-D mixture of Gaussians, evaluated in log space.

    Parameters
    ----------
    x : float
        Point.
    alpha_logits : numpy.ndarray
        Unnormalised mixing logits, shape (K,).
    mu, sigma : numpy.ndarray
        Means and standard deviations, shape (K,).

    Returns
    -------
    float
        ``log sum_k softmax(alpha_logits)_k N(x; mu_k, sigma_k^2)``.
    """
    log_alpha = alpha_logits - logsumexp(alpha_logits)
    log_norm = -0.5 * _LOG_2PI - np.log(sigma) - 0.5 * ((x - mu) / sigma) ** 2
    return float(logsumexp(log_alpha + log_norm))


def _log_mol(x, alpha_logits, mu, b):
    """Log-density of a 1-D mixture of Laplace densities, evaluated in log space.

    Parameters
    ----------
    x : float
        Point.
    alpha_logits : numpy.ndarray
        Unnormalised mixing logits, shape (K,).
    mu, b : numpy.ndarray
        Locations and scales, shape (K,).

    Returns
    -------
    float
        ``log sum_k softmax(alpha_logits)_k exp(-|x - mu_k| / b_k) / (2 b_k)``.
    """
    log_alpha = alpha_logits - logsumexp(alpha_logits)
    log_lap = -np.log(2.0) - np.log(b) - np.abs(x - mu) / b
    return float(logsumexp(log_alpha + log_lap))


def rnade_logp(
    p,
    x,
    *,
    fold_c_into_W=False,
    b_alpha=None,
    b_mu=None,
    b_sigma=None,
    c=None,
    mixture="gaussian",
    order=None,
    hidden_activation="sigmoid",
):
    """Log-density of one vector under RNADE (loop definition).

    Parameters
    ----------
    p : dict of numpy.ndarray
        RNADE parameters (see module docstring).
    x : array_like
        Data vector, shape (D,).
    fold_c_into_W : bool, optional
        Use the original Theano layout (hidden bias in ``W[:, 0]``).
    b_alpha, b_mu, b_sigma : numpy.ndarray, optional
        Overrides of the output biases, shape (D, K); default ``p[...]``.
    c : numpy.ndarray, optional
        Override of the hidden bias, shape (H,); default ``p["c"]`` or, with
        ``fold_c_into_W``, ``p["W"][:, 0]``.
    mixture : {"gaussian", "laplace"}, optional
        Component family.
    order : sequence of int, optional
        Ordering of the dimensions (default ``0 .. D-1``).
    hidden_activation : {"sigmoid", "relu"}, optional
        Hidden units ``sigm(rho_d a)`` or ``max(rho_d a, 0)``.

    Returns
    -------
    float
        ``log p(x | order) = sum_i log p(x_{o_i} | x_{o_<i})``.
    """
    x = np.asarray(x, dtype=np.float64)
    b_alpha = np.asarray(p["b_alpha"] if b_alpha is None else b_alpha, dtype=np.float64)
    b_mu = np.asarray(p["b_mu"] if b_mu is None else b_mu, dtype=np.float64)
    b_sigma = np.asarray(p["b_sigma"] if b_sigma is None else b_sigma, dtype=np.float64)
    rho = np.asarray(p["rho"], dtype=np.float64)
    V_alpha = np.asarray(p["V_alpha"], dtype=np.float64)
    V_mu = np.asarray(p["V_mu"], dtype=np.float64)
    V_sigma = np.asarray(p["V_sigma"], dtype=np.float64)
    bias, cols = _hidden_bias_and_columns(p, fold_c_into_W, c)
    D = cols.shape[1]
    assert x.shape == (D,), (x.shape, D)

    log_mix = {"gaussian": _log_mog, "laplace": _log_mol}[mixture]
    order = range(D) if order is None else [int(d) for d in order]
    assert sorted(order) == list(range(D)), order

    a = bias.copy()
    total = 0.0
    for d in order:
        h = _sigmoid(rho[d] * a) if hidden_activation == "sigmoid" else np.maximum(rho[d] * a, 0.0)
        z_alpha = h @ V_alpha[d] + b_alpha[d]
        mu = h @ V_mu[d] + b_mu[d]
        z_sigma = h @ V_sigma[d] + b_sigma[d]
        scale = np.exp(z_sigma)
        total += log_mix(x[d], z_alpha, mu, scale)
        a = a + x[d] * cols[:, d]
    return total


def rnade_loglik(p, X, *, fold_c_into_W=False, mixture="gaussian", order=None, hidden_activation="sigmoid"):
    """RNADE log-density of each row of a data matrix.

    Parameters
    ----------
    p : dict of numpy.ndarray
        RNADE parameters.
    X : array_like
        Data, shape (N, D).
    fold_c_into_W : bool, optional
        Use the original Theano layout.
    mixture : {"gaussian", "laplace"}, optional
        Component family.
    order : array_like, optional
        One ordering for every row (D,), or one per row (N, D).
    hidden_activation : {"sigmoid", "relu"}, optional
        As for :func:`rnade_logp`.

    Returns
    -------
    numpy.ndarray
        Log-densities, shape (N,).
    """
    X = np.asarray(X, dtype=np.float64)
    orders = [None] * X.shape[0] if order is None else np.broadcast_to(order, X.shape)
    out = np.empty(X.shape[0])
    for n in range(X.shape[0]):
        out[n] = rnade_logp(
            p,
            X[n],
            fold_c_into_W=fold_c_into_W,
            mixture=mixture,
            order=orders[n],
            hidden_activation=hidden_activation,
        )
    return out


def deep_rnade_conditional(p, x, observed, i, *, layers, mixture="gaussian", hidden_activation="relu"):
    """``log p(x_i | x_observed)`` of one vector under a deep order-agnostic RNADE, written from the paper:
    the network's input is the masked vector and the mask (Uria et al. 2014; ``OrderlessMoGNADE``).

    Parameters
    ----------
    p : dict of numpy.ndarray
        ``W``, ``W_mask`` (H x D), ``c`` (H), ``W_layer<l>``, ``c_layer<l>``, ``V_*`` (D x H x K),
        ``b_*`` (D x K).
    x : numpy.ndarray
        One vector (D,).
    observed : collection of int
        The observed dimensions.
    i : int
        The dimension scored.
    layers : int
        Hidden layers.

    Returns
    -------
    float
    """
    x = np.asarray(x, dtype=np.float64)
    m = np.zeros(x.shape[0])
    m[list(observed)] = 1.0
    act = (lambda z: np.maximum(z, 0.0)) if hidden_activation == "relu" else _sigmoid
    h = act(p["W"] @ (x * m) + p["W_mask"] @ m + p["c"])
    for l in range(2, layers + 1):
        h = act(h @ p[f"W_layer{l}"] + p[f"c_layer{l}"])
    z_alpha = h @ p["V_alpha"][i] + p["b_alpha"][i]
    mu = h @ p["V_mu"][i] + p["b_mu"][i]
    scale = np.exp(h @ p["V_sigma"][i] + p["b_sigma"][i])
    log_mix = _log_mol if mixture == "laplace" else _log_mog
    return log_mix(x[i], z_alpha, mu, scale)


def deep_rnade_loglik(p, X, *, layers, order=None, mixture="gaussian", hidden_activation="relu"):
    """``log p(x | o)`` of each row of ``X`` (N x D): the sum of :func:`deep_rnade_conditional` along the
    ordering ``order`` (the natural one when omitted), each conditional given the dimensions before it."""
    X = np.asarray(X, dtype=np.float64)
    order = np.arange(X.shape[1]) if order is None else np.asarray(order)
    kw = dict(layers=layers, mixture=mixture, hidden_activation=hidden_activation)
    return np.array(
        [sum(deep_rnade_conditional(p, x, order[:j], order[j], **kw) for j in range(len(order))) for x in X]
    )


def rnnrnade_frame_loglik(
    p,
    X,
    mask,
    *,
    conditioned=COMPONENTS,
    condition_c=False,
    fold_c_into_W=False,
    rnn_activation="sigmoid",
    mixture="gaussian",
    hidden_activation="sigmoid",
):
    """Per-frame log-likelihood of RNN-RNADE (loop definition).

    Parameters
    ----------
    p : dict of numpy.ndarray
        RNN-RNADE parameters (see module docstring).
    X : array_like
        Sequences, shape (T, B, D).  Content of masked frames is ignored
        (it may be NaN).
    mask : array_like
        Frame mask of 0/1, shape (T, B).  A masked frame contributes 0 and
        leaves the recurrent state unchanged.
    conditioned : sequence of str, optional
        Which of ``"alpha"``, ``"mu"``, ``"sigma"`` receive the recurrent
        contribution ``hhat @ W_<comp>``.
    condition_c : bool, optional
        Add ``hhat @ W_c`` to the hidden bias.
    fold_c_into_W : bool, optional
        Use the original Theano layout (hidden bias in ``W[:, 0]``).
    rnn_activation : {"sigmoid", "tanh"}, optional
        Nonlinearity of the recurrent state update.
    mixture : {"gaussian", "laplace"}, optional
        Component family of the frame model.
    hidden_activation : {"sigmoid", "relu"}, optional
        Hidden units of the frame model.

    Returns
    -------
    numpy.ndarray
        Frame log-likelihoods, shape (T, B); 0 where ``mask == 0``.
    """
    X = np.asarray(X, dtype=np.float64)
    mask = np.asarray(mask)
    T, B, D = X.shape
    assert mask.shape == (T, B), (mask.shape, (T, B))
    conditioned = tuple(conditioned)
    for comp in conditioned:
        if comp not in COMPONENTS:
            raise ValueError(f"unknown component {comp!r}")
    if rnn_activation == "sigmoid":
        f = _sigmoid
    elif rnn_activation == "tanh":
        f = np.tanh
    else:
        raise ValueError(f"unknown rnn_activation {rnn_activation!r}")

    W2 = np.asarray(p["W2"], dtype=np.float64)
    W3 = np.asarray(p["W3"], dtype=np.float64)
    b_hhat = np.asarray(p["b_hhat"], dtype=np.float64)
    h0 = np.asarray(p["h0"], dtype=np.float64)
    R = h0.shape[0]
    base_bias, _ = _hidden_bias_and_columns(p, fold_c_into_W, None)
    base_b = {comp: np.asarray(p["b_" + comp], dtype=np.float64) for comp in COMPONENTS}

    out = np.zeros((T, B))
    for b in range(B):
        hhat = h0.copy()
        for t in range(T):
            if mask[t, b] == 0:
                continue
            x_t = X[t, b]
            frame_b = {}
            for comp in COMPONENTS:
                r = np.zeros((D, base_b[comp].shape[1]))
                if comp in conditioned:
                    W_comp = np.asarray(p["W_" + comp], dtype=np.float64)
                    for i in range(R):
                        r = r + hhat[i] * W_comp[i]
                frame_b[comp] = base_b[comp] + r
            hidden_bias = base_bias.copy()
            if condition_c:
                hidden_bias = hidden_bias + hhat @ np.asarray(p["W_c"], dtype=np.float64)
            out[t, b] = rnade_logp(
                p,
                x_t,
                fold_c_into_W=fold_c_into_W,
                b_alpha=frame_b["alpha"],
                b_mu=frame_b["mu"],
                b_sigma=frame_b["sigma"],
                c=hidden_bias,
                mixture=mixture,
                hidden_activation=hidden_activation,
            )
            hhat = f(x_t @ W2 + hhat @ W3 + b_hhat)
    return out


def random_params(
    rng,
    D,
    H,
    K,
    R=None,
    *,
    conditioned=COMPONENTS,
    condition_c=False,
    fold_c_into_W=False,
    scale=0.5,
):
    """Draw random float64 parameters with the names and shapes of the spec.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random generator.
    D, H, K : int
        Data dimensions, hidden units and mixture components.
    R : int, optional
        Recurrent units; if given, the RNN-RNADE parameters are added.
    conditioned : sequence of str, optional
        Components that get a ``W_<comp>`` (R, D, K) (only with ``R``).
    condition_c : bool, optional
        Add ``W_c`` (R, H) (only with ``R``).
    fold_c_into_W : bool, optional
        If True, no ``c`` is drawn (the hidden bias lives in ``W[:, 0]``).
    scale : float, optional
        Standard deviation of the normal entries.

    Returns
    -------
    dict of numpy.ndarray
        Entries ~ N(0, scale^2), except ``rho`` ~ U(0.5, 1.5) and
        ``b_sigma`` ~ N(0, 0.2^2).
    """

    def normal(*shape):
        return rng.normal(0.0, scale, size=shape).astype(np.float64)

    p = {"W": normal(H, D)}
    if not fold_c_into_W:
        p["c"] = normal(H)
    p["rho"] = rng.uniform(0.5, 1.5, size=D).astype(np.float64)
    p["V_alpha"] = normal(D, H, K)
    p["V_mu"] = normal(D, H, K)
    p["V_sigma"] = normal(D, H, K)
    p["b_alpha"] = normal(D, K)
    p["b_mu"] = normal(D, K)
    p["b_sigma"] = rng.normal(0.0, 0.2, size=(D, K)).astype(np.float64)
    if R is not None:
        p["W2"] = normal(D, R)
        p["W3"] = normal(R, R)
        p["b_hhat"] = normal(R)
        p["h0"] = normal(R)
        for comp in conditioned:
            p["W_" + comp] = normal(R, D, K)
        if condition_c:
            p["W_c"] = normal(R, H)
    return p


# ---------------------------------------------------------------------------
# Vectorised helpers, used only by the self-check to make grid integration fast.
# They are checked against the loop definitions above.
# ---------------------------------------------------------------------------


def _rnade_logp_vec(p, X, *, fold_c_into_W=False, b_alpha=None, b_mu=None, b_sigma=None, c=None):
    """Vectorised RNADE log-density over rows (self-check helper).

    Parameters
    ----------
    p : dict of numpy.ndarray
        RNADE parameters.
    X : numpy.ndarray
        Data, shape (N, D).
    fold_c_into_W : bool, optional
        Use the original Theano layout.
    b_alpha, b_mu, b_sigma : numpy.ndarray, optional
        Bias overrides, shape (D, K) or per-row (N, D, K).
    c : numpy.ndarray, optional
        Hidden bias override, shape (H,) or per-row (N, H).

    Returns
    -------
    numpy.ndarray
        Log-densities, shape (N,).
    """
    X = np.asarray(X, dtype=np.float64)
    N, D = X.shape
    b_alpha = np.broadcast_to(p["b_alpha"] if b_alpha is None else b_alpha, (N,) + p["b_alpha"].shape)
    b_mu = np.broadcast_to(p["b_mu"] if b_mu is None else b_mu, (N,) + p["b_mu"].shape)
    b_sigma = np.broadcast_to(p["b_sigma"] if b_sigma is None else b_sigma, (N,) + p["b_sigma"].shape)
    bias, cols = _hidden_bias_and_columns(p, fold_c_into_W, None)
    a = np.broadcast_to(bias if c is None else c, (N, bias.shape[0])).copy()
    total = np.zeros(N)
    for d in range(D):
        h = _sigmoid(p["rho"][d] * a)
        z_alpha = h @ p["V_alpha"][d] + b_alpha[:, d]
        mu = h @ p["V_mu"][d] + b_mu[:, d]
        sigma = np.exp(h @ p["V_sigma"][d] + b_sigma[:, d])
        log_alpha = z_alpha - logsumexp(z_alpha, axis=1, keepdims=True)
        xd = X[:, d : d + 1]
        log_norm = -0.5 * _LOG_2PI - np.log(sigma) - 0.5 * ((xd - mu) / sigma) ** 2
        total += logsumexp(log_alpha + log_norm, axis=1)
        a = a + xd * cols[:, d]
    return total


def _rnnrnade_frame_loglik_vec(
    p, X, *, conditioned=COMPONENTS, condition_c=False, fold_c_into_W=False, rnn_activation="sigmoid"
):
    """Vectorised RNN-RNADE frame log-likelihood, no mask (self-check helper).

    Parameters
    ----------
    p : dict of numpy.ndarray
        RNN-RNADE parameters.
    X : numpy.ndarray
        Sequences, shape (T, B, D); all frames are used.
    conditioned, condition_c, fold_c_into_W, rnn_activation
        As in :func:`rnnrnade_frame_loglik`.

    Returns
    -------
    numpy.ndarray
        Frame log-likelihoods, shape (T, B).
    """
    f = _sigmoid if rnn_activation == "sigmoid" else np.tanh
    T, B, D = X.shape
    base_bias, _ = _hidden_bias_and_columns(p, fold_c_into_W, None)
    hhat = np.broadcast_to(p["h0"], (B, p["h0"].shape[0]))
    out = np.zeros((T, B))
    for t in range(T):
        kw = {}
        for comp in COMPONENTS:
            r = np.einsum("br,rdk->bdk", hhat, p["W_" + comp]) if comp in conditioned else 0.0
            kw["b_" + comp] = p["b_" + comp] + r
        cb = base_bias + (hhat @ p["W_c"] if condition_c else 0.0)
        out[t] = _rnade_logp_vec(
            p, X[t], fold_c_into_W=fold_c_into_W, c=np.broadcast_to(cb, (B,) + cb.shape[-1:]), **kw
        )
        hhat = f(X[t] @ p["W2"] + hhat @ p["W3"] + p["b_hhat"])
    return out


def _self_check():
    """Run the self-checks and print a summary; raise AssertionError on failure."""
    rng = np.random.default_rng(1234)
    H, K, R = 5, 3, 4
    option_sets = [
        {},
        {"fold_c_into_W": True},
        {"condition_c": True, "rnn_activation": "tanh"},
        {"conditioned": ("mu",), "condition_c": True, "fold_c_into_W": True},
        {"conditioned": ()},
    ]

    # 0. vectorised helpers agree with the loop definitions.
    for opts in option_sets:
        p = random_params(rng, 3, H, K, R, **{k: v for k, v in opts.items() if k != "rnn_activation"})
        fold = opts.get("fold_c_into_W", False)
        X = rng.normal(size=(7, 3)) * 2
        np.testing.assert_allclose(
            _rnade_logp_vec(p, X, fold_c_into_W=fold),
            rnade_loglik(p, X, fold_c_into_W=fold),
            rtol=1e-12,
            atol=1e-12,
        )
        Xs = rng.normal(size=(4, 3, 3))
        np.testing.assert_allclose(
            _rnnrnade_frame_loglik_vec(p, Xs, **opts),
            rnnrnade_frame_loglik(p, Xs, np.ones((4, 3)), **opts),
            rtol=1e-12,
            atol=1e-12,
        )
    print("vectorised helpers match loop definitions")

    # 1. RNADE integrates to one, D = 1 and D = 2.
    grid = np.linspace(-30.0, 30.0, 6001)
    for fold in (False, True):
        p = random_params(rng, 1, H, K, fold_c_into_W=fold)
        dens = np.exp(rnade_loglik(p, grid[:, None], fold_c_into_W=fold))
        integral = np.trapezoid(dens, grid)
        print(f"RNADE D=1 fold={fold}: integral - 1 = {integral - 1.0:+.1e}")
        assert abs(integral - 1.0) < 1e-6, integral

    grid2 = np.linspace(-25.0, 25.0, 1001)
    g1, g2 = np.meshgrid(grid2, grid2, indexing="ij")
    pts = np.stack([g1.ravel(), g2.ravel()], axis=1)
    for fold in (False, True):
        p = random_params(rng, 2, H, K, fold_c_into_W=fold)
        sel = rng.choice(pts.shape[0], size=20, replace=False)
        np.testing.assert_allclose(
            _rnade_logp_vec(p, pts[sel], fold_c_into_W=fold),
            rnade_loglik(p, pts[sel], fold_c_into_W=fold),
            rtol=1e-12,
        )
        dens = np.exp(_rnade_logp_vec(p, pts, fold_c_into_W=fold)).reshape(g1.shape)
        integral = np.trapezoid(np.trapezoid(dens, grid2, axis=1), grid2)
        print(f"RNADE D=2 fold={fold}: integral - 1 = {integral - 1.0:+.1e}")
        assert abs(integral - 1.0) < 1e-5, integral

    # 2. RNN-RNADE with T=2, D=1, B=1 integrates to one over (x_1, x_2).  The recurrent
    #    conditioning can make some sigmas large (~8), so this grid is wider.
    grid2 = np.linspace(-60.0, 60.0, 1501)
    g1, g2 = np.meshgrid(grid2, grid2, indexing="ij")
    for opts in option_sets:
        p = random_params(rng, 1, H, K, R, **{k: v for k, v in opts.items() if k != "rnn_activation"})
        seqs = np.stack([g1.ravel(), g2.ravel()], axis=0)[:, :, None]  # (T=2, B=grid points, D=1)
        sel = rng.choice(seqs.shape[1], size=10, replace=False)
        for j in sel:  # loop definition, one B=1 sequence at a time
            ref = rnnrnade_frame_loglik(p, seqs[:, j : j + 1], np.ones((2, 1)), **opts)
            np.testing.assert_allclose(
                _rnnrnade_frame_loglik_vec(p, seqs[:, j : j + 1], **opts), ref, rtol=1e-12
            )
        ll = _rnnrnade_frame_loglik_vec(p, seqs, **opts).sum(axis=0)
        dens = np.exp(ll).reshape(g1.shape)
        integral = np.trapezoid(np.trapezoid(dens, grid2, axis=1), grid2)
        print(f"RNN-RNADE T=2 D=1 {opts}: integral - 1 = {integral - 1.0:+.1e}")
        assert abs(integral - 1.0) < 1e-5, integral

    # 3. A zero-mask frame is skipped entirely (NaN content allowed).
    D, T = 3, 5
    for opts in option_sets:
        p = random_params(rng, D, H, K, R, **{k: v for k, v in opts.items() if k != "rnn_activation"})
        X = rng.normal(size=(T, 2, D))
        mask = np.ones((T, 2))
        mask[2, 0] = 0.0
        mask[4, 1] = 0.0  # trailing padding on the second sequence
        X[2, 0] = np.nan
        X[4, 1] = np.nan
        out = rnnrnade_frame_loglik(p, X, mask, **opts)
        assert np.all(np.isfinite(out)) and out[2, 0] == 0.0 and out[4, 1] == 0.0
        keep = [0, 1, 3, 4]
        short = rnnrnade_frame_loglik(p, X[keep, 0:1], np.ones((4, 1)), **opts)
        np.testing.assert_allclose(out[keep, 0], short[:, 0], rtol=1e-12)
        np.testing.assert_allclose(out[:, 0].sum(), short.sum(), rtol=1e-12)
        short1 = rnnrnade_frame_loglik(p, X[:4, 1:2], np.ones((4, 1)), **opts)
        np.testing.assert_allclose(out[:4, 1], short1[:, 0], rtol=1e-12)
    print("masked frames are skipped: totals equal those of the sequences with the frames deleted")
    print("all self-checks passed")


if __name__ == "__main__":
    _self_check()


def random_params_for(cfg, rng, scale=0.5):
    """:func:`random_params` for a :class:`rnnrnade_pt.config.ModelConfig` (sizes and options from it)."""
    return random_params(
        rng,
        cfg.D,
        cfg.H,
        cfg.K,
        cfg.R if cfg.recurrent else None,
        conditioned=cfg.conditioned,
        condition_c=cfg.condition_c,
        fold_c_into_W=cfg.fold_c_into_W,
        scale=scale,
    )
