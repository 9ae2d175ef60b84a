"""The 49-d MIT mocap frames back to Taylor's raw channels and joint positions, and the stick-figure strip."""

import numpy as np
import pytest

from rnnrnade_pt.data.mocap import KEPT, joint_positions, load_skeleton, postprocess
from rnnrnade_pt.errors import DataError


@pytest.fixture(scope="module")
def mocap(shared_data):
    for name in ("motion.mat", "mit_mocap.mat"):
        if not (shared_data / "sequences" / "mit_mocap" / name).exists():
            pytest.skip(f"sequences/mit_mocap/{name} is not in {shared_data}")
    import scipy.io

    from rnnrnade_pt.data.mocap import load_mocap

    raw = np.concatenate(
        [
            np.asarray(m, float)
            for m in scipy.io.loadmat(shared_data / "sequences" / "mit_mocap" / "motion.mat")[
                "Motion"
            ].ravel()
        ]
    )
    data = load_mocap(shared_data)
    return load_skeleton(shared_data), raw, np.concatenate(data.splits["train"] + data.splits["test"])


def test_postprocess_inverts_the_preprocessing_exactly(mocap):
    skel, raw, frames = mocap
    assert len(KEPT) == 49 and frames.shape == (3826, 49)
    np.testing.assert_allclose(postprocess(frames, skel), raw, atol=1e-9)
    with pytest.raises(DataError, match="T x 49"):
        postprocess(frames[:, :48], skel)


def test_forward_kinematics_keeps_bones_and_bends_knees_backwards(mocap):
    skel, raw, _ = mocap
    P = joint_positions(raw[::20], skel)  # T x 18 x 3
    for j, p in enumerate(skel.parents):
        if p >= 0:  # bone lengths are the skeleton's offsets, in every frame
            length = np.linalg.norm(raw[0, skel.offset[j]])
            np.testing.assert_allclose(np.linalg.norm(P[:, j] - P[:, p], axis=1), length, rtol=1e-9)
    thigh, shin = P[:, 2] - P[:, 1], P[:, 3] - P[:, 2]  # left hip -> knee -> ankle
    assert np.mean(np.cross(thigh, shin)[:, 1] > 0) > 0.9  # the shin swings back (x forward, z up)
    assert np.all(P[:, 10, 2] > P[:, 0, 2]) and np.all(P[:, 3, 2] < P[:, 0, 2])  # chest above, feet below


def test_stick_figure_strip_is_written(mocap, tmp_path):
    pytest.importorskip("matplotlib")
    from rnnrnade_pt.plots import stick_figure_strip

    skel, raw, _ = mocap
    P = joint_positions(raw[:40], skel)
    out = stick_figure_strip(np.stack([P, P], axis=1), skel.parents, str(tmp_path / "walk.png"))
    assert (tmp_path / "walk.png").stat().st_size > 1000 and out.endswith("walk.png")


def test_stick_figure_gif_has_a_frame_per_frame_and_greys_the_prime(mocap, tmp_path):
    pytest.importorskip("matplotlib")
    from PIL import Image

    from rnnrnade_pt.errors import ConfigError
    from rnnrnade_pt.plots import stick_figure_gif, stick_figure_strip

    skel, raw, _ = mocap
    P = np.stack([joint_positions(raw[:12], skel), joint_positions(raw[100:112], skel)], axis=1)
    out = stick_figure_gif(P, skel.parents, str(tmp_path / "walk.gif"), primed=5)
    with Image.open(out) as gif:
        assert gif.n_frames == 12
        first = np.asarray(gif.convert("RGB"))
        gif.seek(11)
        last = np.asarray(gif.convert("RGB"))
    dark = lambda img: int(np.sum(img.max(axis=-1) < 60))  # noqa: E731  black lines: the model's frames
    assert 4 * dark(first) < dark(last)  # the prime's figures are grey (its title only is black)
    stick_figure_strip(P, skel.parents, str(tmp_path / "walk.png"), primed=5, stride=1)
    with pytest.raises(ConfigError, match="T x B x"):
        stick_figure_gif(P[..., :2], skel.parents, str(tmp_path / "bad.gif"))
