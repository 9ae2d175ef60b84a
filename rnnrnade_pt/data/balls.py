"""The bouncing-balls benchmark of Sutskever, Hinton & Taylor (2008), as used for RNN-RNADE.

A faithful NumPy port of the classic ``bounce_n`` + ``matricize`` generator: ``n`` balls of radius 1.2 and
unit mass bounce elastically in a ``SIZE x SIZE`` box (``SIZE = 10``) and every frame is rendered as a
real-valued ``res x res`` image (15 x 15 = 225 dimensions) with values in [0, 1].

Simulation (per sequence)
    * velocities ``v ~ N(0, 1)`` (n x 2), scaled so that the whole n x 2 array has Frobenius norm 0.5;
    * positions uniform in ``[2, 10)`` per coordinate (``[0.2 SIZE, SIZE)`` in general), redrawn together
      until every ball lies inside the box and no two balls overlap;
    * frame ``t`` records the positions, then the state advances by ``1/eps = 2`` substeps of ``eps = 0.5``:
      move ``x += eps v``; for every ball outside a wall, set that velocity component's sign to point back
      into the box; then, for every overlapping pair ``(i, j)``, ``j < i``, in that order, apply the 1-D
      elastic collision (with masses) to the velocity components along the line of centres.

Rendering
    pixel ``(row j, column i)`` has centre ``(a_i, a_j)``, ``a_k = (k + 0.5) / res * SIZE``, and value
    ``min(1, sum_balls exp(-(((a_i - x)^2 + (a_j - y)^2) / r^2)^4))``; a frame is the row-major flattening.

Walls and collisions conserve the kinetic energy ``E = sum_i m_i |v_i|^2`` (up to rounding), so a ball
never moves faster than ``sqrt(E / m_i)`` (0.5 for the benchmark). The walls are checked only after a
move, so balls overshoot the walls slightly (see :func:`bounce_positions`), and overlapping balls are
not separated (they may stick together for a few frames), exactly as in the original code.

References
----------
.. [1] I. Sutskever, G. E. Hinton and G. W. Taylor, "The Recurrent Temporal Restricted Boltzmann
   Machine", Advances in Neural Information Processing Systems 21 (NIPS 2008), pp. 1601-1608.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import DataError
from .sequences import check_int

__all__ = [
    "SIZE",
    "RADIUS",
    "EPS",
    "bounce_positions",
    "render",
    "bouncing_balls",
    "bouncing_balls_splits",
    "count_balls",
    "ball_count_shares",
]

SIZE = 10.0  # side of the square box
RADIUS = 1.2  # ball radius
EPS = 0.5  # substep length; a frame is 1/EPS = 2 substeps
SPEED = 0.5  # Frobenius norm of the initial n x 2 velocity array
_MAX_TRIES = 100_000  # rejection-sampling attempts for the initial positions of one sequence
_RENDER_CHUNK = 4096  # frames rendered at once: keeps the temporaries (chunk x res x res) in cache


# --------------------------------------------------------------------------------------------- checks


def _check_float(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise DataError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise DataError(f"{name} must be positive and finite, got {value}")
    return value


def _check_geometry(radius, size) -> tuple[float, float]:
    radius = _check_float("radius", radius)
    size = _check_float("size", size)
    if not radius < size / 2:
        raise DataError(f"radius must be < size / 2 for a ball to fit in the box, got {radius} and {size}")
    return radius, size


def _check_masses(masses, n_balls: int) -> np.ndarray:
    if masses is None:
        return np.ones(n_balls)
    m = np.asarray(masses)
    if m.dtype == bool or not np.issubdtype(m.dtype, np.number) or np.iscomplexobj(m):
        raise DataError(f"masses must hold real numbers, got dtype {m.dtype}")
    m = m.astype(np.float64)
    if m.shape != (n_balls,):
        raise DataError(f"masses must have shape ({n_balls},), got {m.shape}")
    if not (np.all(np.isfinite(m)) and np.all(m > 0)):
        raise DataError("masses must be positive and finite")
    return m


# ----------------------------------------------------------------------------------------- simulation


def _initial_state(
    n_balls: int, rng: np.random.Generator, radius: float, size: float
) -> tuple[np.ndarray, np.ndarray]:
    """Draw one sequence's initial positions and velocities (each n x 2), in the classic order."""
    v = rng.standard_normal((n_balls, 2))  # n x 2
    v = v / np.sqrt((v**2).sum()) * SPEED  # the whole array has norm 0.5
    low = 0.2 * size  # 2 for the classic SIZE = 10
    pairs = np.tril_indices(n_balls, -1)  # (i, j) with j < i
    for _ in range(_MAX_TRIES):
        x = low + rng.random((n_balls, 2)) * (size - low)  # n x 2, uniform in [2, 10)
        inside = np.all(x - radius >= 0) and np.all(x + radius <= size)
        d = x[pairs[0]] - x[pairs[1]]  # pairs x 2
        apart = np.all(np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]) >= 2 * radius)
        if inside and apart:
            return x, v
    raise DataError(
        f"could not place {n_balls} non-overlapping balls of radius {radius} in a box of size {size} "
        f"after {_MAX_TRIES} attempts"
    )


def _simulate(
    x: np.ndarray, v: np.ndarray, T: int, radius: float, size: float, masses: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Run the classic dynamics for B independent sequences at once.

    ``x`` and ``v`` are B x n x 2 initial states; returns positions and velocities, each T x B x n x 2,
    recorded at the start of every frame. Sequences only share the vectorised arithmetic, never state, so
    a sequence's trajectory does not depend on the batch it is simulated in.
    """
    x = x.copy()  # B x n x 2
    v = v.copy()  # B x n x 2
    B, n, _ = x.shape
    X = np.empty((T, B, n, 2))  # T x B x n x 2
    V = np.empty((T, B, n, 2))  # T x B x n x 2
    pairs = [(i, j) for i in range(n) for j in range(i)]  # the classic order: (1, 0), (2, 0), (2, 1), ...
    for t in range(T):
        X[t] = x
        V[t] = v
        if t == T - 1:
            break  # the classic code also steps after the last frame, but nothing records it
        for _ in range(int(1 / EPS)):
            x += EPS * v
            # walls: set the sign of the velocity component so that it points back into the box
            v = np.where(x - radius < 0, np.abs(v), v)
            v = np.where(x + radius > size, -np.abs(v), v)
            # collisions, pair by pair, each seeing the velocities left by the previous pair
            for i, j in pairs:
                d = x[:, i] - x[:, j]  # B x 2
                dist = np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1])  # B
                hit = dist < 2 * radius  # B
                if not hit.any():
                    continue
                w = d[hit] / dist[hit, None]  # h x 2, unit vector from ball j to ball i
                vi = v[hit, i]  # h x 2
                vj = v[hit, j]  # h x 2
                ui = w[:, 0] * vi[:, 0] + w[:, 1] * vi[:, 1]  # h, components along the line of centres
                uj = w[:, 0] * vj[:, 0] + w[:, 1] * vj[:, 1]  # h
                mi, mj = masses[i], masses[j]
                new_uj = (2 * mi * ui + uj * (mj - mi)) / (mi + mj)  # 1-D elastic collision
                new_ui = new_uj + (uj - ui)
                v[hit, i] = vi + w * (new_ui - ui)[:, None]
                v[hit, j] = vj + w * (new_uj - uj)[:, None]
    return X, V


def bounce_positions(
    T: int,
    n_balls: int = 3,
    rng: np.random.Generator | None = None,
    radius: float = RADIUS,
    size: float = SIZE,
    *,
    masses=None,
    return_velocities: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Simulate one sequence of ``n_balls`` balls bouncing in a ``size x size`` box.

    Parameters
    ----------
    T : int
        Number of frames (>= 1). Frame 0 holds the initial positions.
    n_balls : int
        Number of balls (>= 1).
    rng : numpy.random.Generator
        Source of randomness (required). The draws are, in order: the n x 2 normal velocities, then n x 2
        uniform positions per rejection-sampling attempt.
    radius, size : float
        Ball radius and box side, ``0 < radius < size / 2``.
    masses : array_like, optional
        Ball masses (n_balls,), positive; unit masses by default, as in the benchmark.
    return_velocities : bool
        Also return the velocities at the recorded times.

    Returns
    -------
    positions : ndarray
        T x n_balls x 2 float64 centres ``(x, y)``; ``x`` is the image column, ``y`` the image row.
    velocities : ndarray
        T x n_balls x 2 float64, the velocity at each recorded time (only with ``return_velocities``).
        The kinetic energy ``sum_i m_i |v_i|^2`` is the same at every frame, up to rounding.

    Notes
    -----
    What the algorithm guarantees about positions:

    * frame 0 lies inside the box, ``radius <= x <= size - radius``, with no two balls overlapping;
    * a ball moves at most ``|v_i| <= sqrt(E / m_i)`` between frames (two substeps of ``eps |v_i|``),
      ``E = sum_i m_i |v_i|^2`` being conserved;
    * with a single ball, each ``|v_z|`` is constant and a coordinate stays within
      ``[radius - eps |v_z|, size - radius + eps |v_z|]``, ``eps = 0.5``: one substep of overshoot.

    With several balls a collision can send a ball back into the wall it was just turned away from, so
    the overshoot can exceed one substep: in 100,000 benchmark sequences of 100 frames (3 balls) it
    reached 0.33 (one substep is at most 0.25), with no proven bound.

    References
    ----------
    .. [1] I. Sutskever, G. E. Hinton and G. W. Taylor, "The Recurrent Temporal Restricted Boltzmann
       Machine", NIPS 21, 2008.
    """
    T = check_int("T", T)
    n_balls = check_int("n_balls", n_balls)
    if not isinstance(rng, np.random.Generator):
        raise DataError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    radius, size = _check_geometry(radius, size)
    m = _check_masses(masses, n_balls)
    x0, v0 = _initial_state(n_balls, rng, radius, size)
    X, V = _simulate(x0[None], v0[None], T, radius, size, m)  # T x 1 x n x 2 each
    if return_velocities:
        return X[:, 0], V[:, 0]
    return X[:, 0]


# ------------------------------------------------------------------------------------------ rendering


def _render_frames(P: np.ndarray, centres: np.ndarray, radius: float, out: np.ndarray) -> None:
    """Render F x n x 2 positions ``P`` into ``out`` (F x res x res)."""
    dx2 = (centres[None, None, :] - P[:, :, 0:1]) ** 2  # F x n x res, (I - x)^2 along the columns
    dy2 = (centres[None, None, :] - P[:, :, 1:2]) ** 2  # F x n x res, (J - y)^2 along the rows
    out[...] = 0.0
    for k in range(P.shape[1]):  # accumulate ball by ball, as the classic code does
        d = (dx2[:, k, None, :] + dy2[:, k, :, None]) / radius**2  # F x res x res
        np.multiply(d, d, out=d)  # in place: d^4 by squaring twice, then exp(-d^4)
        np.multiply(d, d, out=d)
        np.negative(d, out=d)
        out += np.exp(d, out=d)
    np.minimum(out, 1.0, out=out)


def render(positions: np.ndarray, res: int = 15, radius: float = RADIUS, size: float = SIZE) -> np.ndarray:
    """Render ball positions as real-valued ``res x res`` frames (the classic ``matricize``).

    Parameters
    ----------
    positions : array_like
        T x n x 2 ball centres ``(x, y)`` (any leading shape ``... x n x 2`` is accepted).
    res : int
        Frame side in pixels (>= 1); pixel centres are at ``(k + 0.5) / res * size``.
    radius, size : float
        Ball radius and box side, ``0 < radius < size / 2``.

    Returns
    -------
    ndarray
        T x res*res float64 in [0, 1] (``... x res*res``): row-major frames whose columns follow ``x``
        and rows follow ``y``; pixel value ``min(1, sum_balls exp(-(d^2 / radius^2)^4))``.

    References
    ----------
    .. [1] I. Sutskever, G. E. Hinton and G. W. Taylor, "The Recurrent Temporal Restricted Boltzmann
       Machine", NIPS 21, 2008.
    """
    res = check_int("res", res)
    radius, size = _check_geometry(radius, size)
    P = np.asarray(positions)
    if P.dtype == bool or not np.issubdtype(P.dtype, np.number) or np.iscomplexobj(P):
        raise DataError(f"positions must hold real numbers, got dtype {P.dtype}")
    if P.ndim < 2 or P.shape[-1] != 2 or P.shape[-2] < 1:
        raise DataError(f"positions must be T x n x 2 with n >= 1, got shape {P.shape}")
    P = P.astype(np.float64)
    if not np.all(np.isfinite(P)):
        raise DataError("positions hold NaN or infinite values")
    lead = P.shape[:-2]
    P = P.reshape(-1, *P.shape[-2:])  # F x n x 2
    centres = (np.arange(res) + 0.5) / res * size  # res
    out = np.empty((P.shape[0], res, res))  # F x res x res
    for s in range(0, P.shape[0], _RENDER_CHUNK):
        _render_frames(P[s : s + _RENDER_CHUNK], centres, radius, out[s : s + _RENDER_CHUNK])
    return out.reshape(*lead, res * res)


# ------------------------------------------------------------------------------------------- datasets


def _generate(n_sequences: int, T: int, n_balls: int, res: int, rng: np.random.Generator) -> np.ndarray:
    """T x n_sequences x res*res frames; sequence ``b`` uses the ``b``-th initial state drawn from ``rng``."""
    x0 = np.empty((n_sequences, n_balls, 2))  # B x n x 2
    v0 = np.empty((n_sequences, n_balls, 2))  # B x n x 2
    for b in range(n_sequences):  # draws in the same order as successive bounce_positions calls
        x0[b], v0[b] = _initial_state(n_balls, rng, RADIUS, SIZE)
    X, _ = _simulate(x0, v0, T, RADIUS, SIZE, np.ones(n_balls))  # T x B x n x 2
    return render(X, res=res)  # T x B x res*res


def bouncing_balls(
    n_sequences: int, T: int = 100, n_balls: int = 3, res: int = 15, seed: int = 0
) -> np.ndarray:
    """Generate bouncing-balls videos: ``n_sequences`` sequences of ``T`` frames of ``res x res`` pixels.

    Sequence ``b`` equals ``render(bounce_positions(T, n_balls, rng), res)`` for the ``b``-th of successive
    calls with ``rng = np.random.default_rng(seed)``; the sequences are simulated together for speed.

    Parameters
    ----------
    n_sequences : int
        Number of sequences B (>= 1).
    T : int
        Frames per sequence (>= 1).
    n_balls : int
        Balls per sequence (>= 1); radius 1.2, unit masses, box of side 10.
    res : int
        Frame side in pixels (>= 1).
    seed : int
        Non-negative seed of ``np.random.default_rng``.

    Returns
    -------
    ndarray
        T x B x res*res float64 in [0, 1], the layout of :func:`rnnrnade_pt.data.arrays.check_sequences`.

    References
    ----------
    .. [1] I. Sutskever, G. E. Hinton and G. W. Taylor, "The Recurrent Temporal Restricted Boltzmann
       Machine", NIPS 21, 2008.
    """
    n_sequences = check_int("n_sequences", n_sequences)
    T = check_int("T", T)
    n_balls = check_int("n_balls", n_balls)
    res = check_int("res", res)
    seed = check_int("seed", seed, minimum=0)
    return _generate(n_sequences, T, n_balls, res, np.random.default_rng(seed))


def bouncing_balls_splits(
    n_train: int = 4000,
    n_valid: int = 200,
    n_test: int = 200,
    T: int = 100,
    n_balls: int = 3,
    res: int = 15,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Generate train/valid/test splits of the bouncing-balls benchmark.

    Each split is drawn from its own generator, seeded by ``np.random.SeedSequence(seed).spawn(3)``
    (train, valid, test in that order), so the size of one split never changes the others.

    Parameters
    ----------
    n_train, n_valid, n_test : int
        Sequences per split (>= 1 each).
    T, n_balls, res, seed
        As in :func:`bouncing_balls`.

    Returns
    -------
    dict of str to ndarray
        ``{"train": T x n_train x res*res, "valid": T x n_valid x res*res, "test": T x n_test x res*res}``,
        float64 in [0, 1].

    References
    ----------
    .. [1] I. Sutskever, G. E. Hinton and G. W. Taylor, "The Recurrent Temporal Restricted Boltzmann
       Machine", NIPS 21, 2008.
    """
    sizes = {
        "train": check_int("n_train", n_train),
        "valid": check_int("n_valid", n_valid),
        "test": check_int("n_test", n_test),
    }
    T = check_int("T", T)
    n_balls = check_int("n_balls", n_balls)
    res = check_int("res", res)
    seed = check_int("seed", seed, minimum=0)
    children = np.random.SeedSequence(seed).spawn(3)  # train, valid, test
    return {
        name: _generate(n, T, n_balls, res, np.random.default_rng(child))
        for (name, n), child in zip(sizes.items(), children, strict=True)
    }


# ------------------------------------------------------------------------------------- counting balls
def count_balls(frames: np.ndarray, res: int, threshold: float = 0.5, min_pixels: int = 3) -> np.ndarray:
    """How many balls each frame shows: its connected regions (4-neighbours) of at least ``min_pixels``
    pixels above ``threshold``; a judge of sampled frames, which may lose or merge balls.

    Parameters
    ----------
    frames : array_like
        ``... x res*res`` frames (row-major, as :func:`render` makes them).

    Returns
    -------
    numpy.ndarray of int
        The count of every frame, shape ``frames.shape[:-1]``.

    >>> frame = render(np.array([[[2.5, 2.5], [7.5, 7.5]]]))  # one frame, two balls far apart
    >>> count_balls(frame, 15).tolist()
    [2]
    """
    from scipy import ndimage

    X = np.asarray(frames, dtype=float)
    if X.shape[-1] != res * res:
        raise DataError(f"count_balls: frames of {X.shape[-1]} values are not {res} x {res} images")
    flat = X.reshape(-1, res, res) > threshold
    counts = np.empty(len(flat), dtype=np.int64)
    for i, image in enumerate(flat):
        labels, n = ndimage.label(image)
        sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:]
        counts[i] = int(np.sum(sizes >= min_pixels))
    return counts.reshape(X.shape[:-1])


def ball_count_shares(frames: np.ndarray, res: int) -> dict[str, float]:
    """The share of ``frames`` showing 0, 1, 2, 3, ... balls (:func:`count_balls`), keys as strings (JSON)."""
    counts = count_balls(frames, res).ravel()
    return {str(k): float(np.mean(counts == k)) for k in range(int(counts.max(initial=0)) + 1)}
