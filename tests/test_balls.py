"""Tests of the bouncing-balls generator (rnnrnade_pt.data.balls)."""

from __future__ import annotations

import numpy as np
import pytest

from rnnrnade_pt.data import balls
from rnnrnade_pt.data.balls import bounce_positions, bouncing_balls, bouncing_balls_splits, render
from rnnrnade_pt.errors import DataError

R, S, EPS = balls.RADIUS, balls.SIZE, balls.EPS


def _energy(V, masses=None):
    m = np.ones(V.shape[-2]) if masses is None else np.asarray(masses, dtype=float)
    return np.sum(m[:, None] * V**2, axis=(-2, -1))  # T


# ----------------------------------------------------------------------------------- shapes, range


def test_shapes_dtype_and_range():
    X = bouncing_balls(3, T=7, n_balls=2, res=9, seed=1)
    assert X.shape == (7, 3, 81) and X.dtype == np.float64
    assert X.min() >= 0.0 and X.max() <= 1.0
    assert X.max() > 0.9 and X.min() == 0.0  # balls light some pixels and leave others blank

    P, V = bounce_positions(5, 4, np.random.default_rng(0), return_velocities=True)
    assert P.shape == V.shape == (5, 4, 2)
    assert bounce_positions(1, 1, np.random.default_rng(0)).shape == (1, 1, 2)

    F = render(P, res=6)
    assert F.shape == (5, 36) and F.dtype == np.float64
    assert render(P[0], res=6).shape == (36,)  # a single frame n x 2


def test_default_benchmark_shape():
    X = bouncing_balls(2, seed=0)
    assert X.shape == (100, 2, 225)


# ----------------------------------------------------------------------------------------- render


def test_render_formula_orientation_and_clip():
    res = 5
    c = (np.arange(res) + 0.5) / res * S  # pixel centres
    x, y = 5.0, 3.0  # off-centre position: column axis is x, row axis is y
    frame = render(np.array([[[x, y]]]), res=res)[0].reshape(res, res)
    rows, cols = np.meshgrid(c, c, indexing="ij")
    expected = np.exp(-((((cols - x) ** 2 + (rows - y) ** 2) / R**2) ** 4))
    np.testing.assert_allclose(frame, expected, rtol=1e-12, atol=1e-300)
    assert not np.allclose(frame, expected.T)  # the transpose is a different image

    # a ball on a pixel centre lights that pixel exactly; a second ball there is clipped at 1
    one = render(np.array([[[c[1], c[3]]]]), res=res)[0].reshape(res, res)
    assert one[3, 1] == 1.0
    two = render(np.array([[[c[1], c[3]], [c[1], c[3]]]]), res=res)[0].reshape(res, res)
    assert two[3, 1] == 1.0 and two.max() == 1.0
    near = (two > 0) & (two < 1)
    np.testing.assert_allclose(two[near], 2 * one[near])  # unclipped pixels add up


def test_render_leading_shape_matches_frame_by_frame():
    P = bounce_positions(6, 3, np.random.default_rng(3))  # T x n x 2
    both = np.stack([P, P[::-1]], axis=1)  # T x 2 x n x 2
    F = render(both, res=8)
    assert F.shape == (6, 2, 64)
    for t in range(6):
        np.testing.assert_array_equal(F[t, 0], render(P[t], res=8))
        np.testing.assert_array_equal(F[t, 1], render(P[5 - t], res=8))


# ---------------------------------------------------------------------------------- determinism


def test_deterministic_for_a_seed_and_different_across_seeds():
    a = bouncing_balls(4, T=20, seed=5)
    b = bouncing_balls(4, T=20, seed=5)
    c = bouncing_balls(4, T=20, seed=6)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    # the sequences of one call differ from one another
    assert not np.allclose(a[:, 0], a[:, 1])

    p = bounce_positions(10, 3, np.random.default_rng(9))
    np.testing.assert_array_equal(p, bounce_positions(10, 3, np.random.default_rng(9)))
    assert not np.allclose(p, bounce_positions(10, 3, np.random.default_rng(10)))


def test_batched_generation_equals_sequence_by_sequence():
    rng = np.random.default_rng(11)
    one_by_one = np.stack([render(bounce_positions(30, 3, rng)) for _ in range(6)], axis=1)
    np.testing.assert_array_equal(bouncing_balls(6, T=30, seed=11), one_by_one)
    # and the first sequences do not depend on how many are generated
    np.testing.assert_array_equal(bouncing_balls(2, T=30, seed=11), one_by_one[:, :2])


def test_matches_scalar_reference_dynamics():
    """A literal transcription of the classic loops (bounce_n) gives the same trajectory."""

    def classic(rng, T, n):
        m, r = np.ones(n), np.full(n, R)
        v = rng.standard_normal((n, 2))
        v = v / np.sqrt((v**2).sum()) * 0.5
        good = False
        while not good:
            x = 2 + rng.random((n, 2)) * 8
            good = all(x[i][z] - r[i] >= 0 and x[i][z] + r[i] <= S for i in range(n) for z in range(2))
            for i in range(n):
                for j in range(i):
                    if np.sqrt(((x[i] - x[j]) ** 2).sum()) < r[i] + r[j]:
                        good = False
        X = np.zeros((T, n, 2))
        for t in range(T):
            X[t] = x
            for _ in range(2):
                x += 0.5 * v
                for i in range(n):
                    for z in range(2):
                        if x[i][z] - r[i] < 0:
                            v[i][z] = abs(v[i][z])
                        if x[i][z] + r[i] > S:
                            v[i][z] = -abs(v[i][z])
                for i in range(n):
                    for j in range(i):
                        if np.sqrt(((x[i] - x[j]) ** 2).sum()) < r[i] + r[j]:
                            w = x[i] - x[j]
                            w = w / np.sqrt((w**2).sum())
                            vi = w[0] * v[i][0] + w[1] * v[i][1]
                            vj = w[0] * v[j][0] + w[1] * v[j][1]
                            new_vj = (2 * m[i] * vi + vj * (m[j] - m[i])) / (m[i] + m[j])
                            new_vi = new_vj + (vj - vi)
                            v[i] += w * (new_vi - vi)
                            v[j] += w * (new_vj - vj)
        return X

    collided = False
    for n in (
        3,
        5,
    ):  # with 5 balls, multiple collisions in one substep and balls pushed into walls are common
        for seed in range(8):
            ref = classic(np.random.default_rng(seed), 100, n)
            got = bounce_positions(100, n, np.random.default_rng(seed))
            np.testing.assert_allclose(got, ref, rtol=0, atol=1e-9)
            i, j = np.tril_indices(n, -1)  # pairs
            d = np.sqrt(((ref[:, i] - ref[:, j]) ** 2).sum(-1))  # T x pairs
            collided |= bool((d < 2 * R).any())
    assert collided  # the comparison exercised the collision code


# ----------------------------------------------------------------------------------------- physics


def test_initial_positions_inside_and_apart():
    for seed in range(30):
        P = bounce_positions(1, 4, np.random.default_rng(seed))[0]  # n x 2
        assert np.all(P >= R) and np.all(P <= S - R)
        d = np.sqrt(((P[:, None] - P[None]) ** 2).sum(-1))[np.tril_indices(4, -1)]
        assert np.all(d >= 2 * R)
        assert np.all(P >= 0.2 * S)  # drawn from [2, 10)


def test_single_ball_overshoots_the_walls_by_at_most_one_substep():
    overshoot, flipped = [], False
    for seed in range(20):
        P, V = bounce_positions(200, 1, np.random.default_rng(seed), return_velocities=True)
        speed = np.abs(V[0, 0])  # 2: with walls only, |v_x| and |v_y| never change
        np.testing.assert_array_equal(np.abs(V[:, 0]), np.broadcast_to(speed, (200, 2)))
        assert np.all(P[:, 0] >= R - EPS * speed - 1e-12)
        assert np.all(P[:, 0] <= S - R + EPS * speed + 1e-12)
        overshoot.append(np.max(np.maximum(R - P[:, 0], P[:, 0] - (S - R)) / (EPS * speed)))
        flipped |= bool((np.diff(np.sign(V[:, 0]), axis=0) != 0).any())
    # the walls are checked after the move, so the ball does leave [R, S - R], by up to a substep
    assert 0.5 < max(overshoot) <= 1.0 + 1e-9
    assert flipped  # walls were hit


def test_balls_move_at_most_their_speed_per_frame_and_stay_near_the_box():
    masses = [1.0, 2.0, 0.5]
    for seed in range(6):
        P, V = bounce_positions(150, 3, np.random.default_rng(seed), masses=masses, return_velocities=True)
        E = _energy(V, masses)[0]
        vmax = np.sqrt(E / np.asarray(masses))  # n: no ball can be faster than this
        step = np.sqrt(((P[1:] - P[:-1]) ** 2).sum(-1))  # T-1 x n
        assert np.all(step <= vmax + 1e-12)
        # with collisions the wall overshoot has no proven bound (see the docstring); in practice it stays
        # well within two substeps of travel
        margin = 2 * EPS * vmax  # n
        assert np.all(P >= R - margin[:, None] - 1e-12)
        assert np.all(P <= S - R + margin[:, None] + 1e-12)


def test_kinetic_energy_conserved_through_walls_and_collisions():
    for masses in (None, [1.0, 3.0, 0.25]):
        P, V = bounce_positions(300, 3, np.random.default_rng(2), masses=masses, return_velocities=True)
        E = _energy(V, masses)
        np.testing.assert_allclose(E, E[0], rtol=1e-12, atol=0)
        if masses is None:
            np.testing.assert_allclose(E[0], 0.25, rtol=1e-12)  # velocities scaled to norm 0.5
        # energy moved between balls (collisions happened) and velocities flipped (walls were hit)
        per_ball = np.sum(V**2, axis=-1)  # T x n, squared speeds
        assert np.ptp(per_ball, axis=0).max() > 1e-3
        assert (np.diff(np.sign(V), axis=0) != 0).any()


# ------------------------------------------------------------------------------------------- splits


def test_splits_shapes_and_independence_of_n_train():
    a = bouncing_balls_splits(n_train=3, n_valid=2, n_test=2, T=12, res=10, seed=4)
    b = bouncing_balls_splits(n_train=5, n_valid=2, n_test=2, T=12, res=10, seed=4)
    assert set(a) == {"train", "valid", "test"}
    assert a["train"].shape == (12, 3, 100) and b["train"].shape == (12, 5, 100)
    assert a["valid"].shape == a["test"].shape == (12, 2, 100)
    np.testing.assert_array_equal(a["valid"], b["valid"])
    np.testing.assert_array_equal(a["test"], b["test"])
    np.testing.assert_array_equal(a["train"], b["train"][:, :3])
    # the three splits use different streams, and the seed matters
    assert not np.allclose(a["train"][:, :2], a["valid"])
    assert not np.allclose(a["valid"], a["test"])
    c = bouncing_balls_splits(n_train=3, n_valid=2, n_test=2, T=12, res=10, seed=5)
    assert not np.allclose(a["valid"], c["valid"])
    # each split is a bouncing_balls draw from its spawned seed
    rng = np.random.default_rng(np.random.SeedSequence(4).spawn(3)[1])  # train, valid, test
    ref = np.stack([render(bounce_positions(12, 3, rng), res=10) for _ in range(2)], axis=1)
    np.testing.assert_array_equal(a["valid"], ref)


# ------------------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    "call",
    [
        lambda: bouncing_balls(0),
        lambda: bouncing_balls(2.0),
        lambda: bouncing_balls(True),
        lambda: bouncing_balls(2, T=0),
        lambda: bouncing_balls(2, T=-3),
        lambda: bouncing_balls(2, n_balls=0),
        lambda: bouncing_balls(2, res=0),
        lambda: bouncing_balls(2, res="15"),
        lambda: bouncing_balls(2, seed=-1),
        lambda: bouncing_balls(2, seed=1.5),
        lambda: bouncing_balls_splits(n_train=0),
        lambda: bouncing_balls_splits(n_valid=-1),
        lambda: bouncing_balls_splits(n_test=None),
        lambda: bouncing_balls_splits(T=0),
        lambda: bouncing_balls_splits(seed=-2),
        lambda: bounce_positions(5, 2),  # no rng
        lambda: bounce_positions(5, 2, 0),
        lambda: bounce_positions(5, 2, np.random.RandomState(0)),
        lambda: bounce_positions(0, 2, np.random.default_rng(0)),
        lambda: bounce_positions(5, 0, np.random.default_rng(0)),
        lambda: bounce_positions(5, 2, np.random.default_rng(0), radius=0.0),
        lambda: bounce_positions(5, 2, np.random.default_rng(0), radius=5.0),
        lambda: bounce_positions(5, 2, np.random.default_rng(0), size=float("nan")),
        lambda: bounce_positions(5, 2, np.random.default_rng(0), size=-10.0),
        lambda: bounce_positions(5, 2, np.random.default_rng(0), masses=[1.0]),
        lambda: bounce_positions(5, 2, np.random.default_rng(0), masses=[1.0, 0.0]),
        lambda: bounce_positions(5, 2, np.random.default_rng(0), masses=["a", "b"]),
        lambda: render(np.zeros((3, 2, 3))),
        lambda: render(np.zeros((3,))),
        lambda: render(np.zeros((3, 0, 2))),
        lambda: render(np.full((3, 1, 2), np.nan)),
        lambda: render(np.array([["a", "b"]])),
        lambda: render(np.zeros((3, 1, 2)), res=0),
        lambda: render(np.zeros((3, 1, 2)), radius=-1.0),
    ],
)
def test_bad_arguments_raise_data_error(call):
    with pytest.raises(DataError):
        call()


def test_impossible_placement_raises_data_error(monkeypatch):
    monkeypatch.setattr(balls, "_MAX_TRIES", 50)
    with pytest.raises(DataError, match="could not place"):
        bounce_positions(3, 40, np.random.default_rng(0))  # 40 balls of radius 1.2 cannot fit
    assert bounce_positions(3, 2, np.random.default_rng(0)).shape == (3, 2, 2)  # a feasible call still works


def test_count_balls_counts_separate_balls_and_ignores_specks():
    from rnnrnade_pt.data.balls import ball_count_shares, count_balls

    three = render(np.array([[[2.0, 2.0], [8.0, 2.0], [5.0, 8.0]]]))[0]  # 225 values
    merged = render(np.array([[[5.0, 5.0], [5.6, 5.0]]]))[0]  # two balls overlapping: one region
    speck = np.zeros(225)
    speck[[0, 16]] = 1.0  # two isolated pixels: below the 3-pixel minimum (diagonal: not 4-connected)
    frames = np.stack([three, merged, speck])
    assert count_balls(frames, 15).tolist() == [3, 1, 0]
    assert count_balls(frames.reshape(3, 1, 225), 15).shape == (3, 1)
    assert ball_count_shares(frames, 15) == {"0": 1 / 3, "1": 1 / 3, "2": 0.0, "3": 1 / 3}
    with pytest.raises(DataError, match="not 15 x 15"):
        count_balls(np.zeros((2, 224)), 15)
