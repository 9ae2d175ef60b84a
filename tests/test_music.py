"""Polyphonic-music piano rolls (both sources, the published counts, bad files) and MIDI in and out."""

import pickle
import shutil

import numpy as np
import pytest

from rnnrnade_pt.config import DataConfig
from rnnrnade_pt.data.datasets import load_dataset
from rnnrnade_pt.data.download import FILES
from rnnrnade_pt.data.music import MUSIC, load_music, notes_to_roll
from rnnrnade_pt.errors import ConfigError, DataError

# shared/data/README.md: sequences and frames of train / valid / test
COUNTS = {
    "JSB_Chorales": ((229, 76, 77), (13807, 4602, 4725)),
    "Nottingham": ((694, 173, 170), (176561, 45513, 44463)),
    "MuseData": ((524, 135, 124), (245202, 82755, 64339)),
    "Piano_midi": ((87, 12, 25), (75911, 8540, 19036)),
}
SPLITS = ("train", "valid", "test")


def _need(root, *paths):
    for p in paths:
        if not (root / p).is_file():
            pytest.skip(f"{root / p} is absent (the shared polyphonic-music data)")


@pytest.fixture(scope="module", params=list(MUSIC))
def both_sources(request, shared_data):
    entry = MUSIC[request.param]
    _need(shared_data, entry.pickle, entry.mat)
    pk = load_music(request.param, shared_data, source="pickle")
    mat = load_music(request.param, shared_data, source="mat")
    return request.param, pk.splits, mat.splits


def test_counts_match_the_published_splits(both_sources):
    name, splits, _ = both_sources
    n_seqs, n_frames = COUNTS[name]
    assert tuple(len(splits[s]) for s in SPLITS) == n_seqs
    assert tuple(sum(len(r) for r in splits[s]) for s in SPLITS) == n_frames
    roll = splits["train"][0]
    assert roll.dtype == np.float64 and roll.shape[1] == 88 and set(np.unique(roll)) <= {0.0, 1.0}


def test_pickle_and_mat_give_identical_rolls(both_sources):
    _, pk, mat = both_sources
    for s in SPLITS:
        assert len(pk[s]) == len(mat[s])
        for a, b in zip(pk[s], mat[s], strict=True):
            np.testing.assert_array_equal(a, b)


def test_notes_to_roll_columns_and_numpy_integers():
    roll = notes_to_roll([[21, np.int64(60)], [], [108]], "seq")
    expected = np.zeros((3, 88))
    expected[0, [0, 39]] = 1
    expected[2, 87] = 1
    np.testing.assert_array_equal(roll, expected)


@pytest.fixture()
def music_root(tmp_path, shared_data):
    """A data root holding a copy of JSB Chorales' .mat; the pickle is written by each test."""
    entry = MUSIC["JSB_Chorales"]
    _need(shared_data, entry.mat)
    (tmp_path / "polyphonic" / "reconstructed").mkdir(parents=True)
    shutil.copy(shared_data / entry.mat, tmp_path / entry.mat)
    return tmp_path


def _write(root, obj, monkeypatch) -> str:
    path = root / MUSIC["JSB_Chorales"].pickle
    path.write_bytes(obj if isinstance(obj, bytes) else pickle.dumps(obj, protocol=2))
    return str(path)  # the user's own file: its checksum is not this project's, and need not be


def _one_line(e) -> str:
    msg = str(e.value)
    assert "\n" not in msg
    return msg


def test_out_of_range_note_names_file_sequence_and_note(music_root, monkeypatch):
    seqs = [[[60, 64]], [[60], [20, 64]]]
    path = _write(music_root, {"train": seqs, "valid": seqs, "test": seqs}, monkeypatch)
    with pytest.raises(DataError) as e:
        load_music("JSB_Chorales", music_root, source="pickle")
    msg = _one_line(e)
    assert path in msg and "train sequence 1" in msg and "frame 1" in msg and "note 20" in msg


def test_users_own_pickle_in_the_papers_format_is_read_by_its_structure(music_root, monkeypatch, caplog):
    """An original-format pickle (MIDI note numbers as NumPy integers) whose bytes differ from this
    project's reconstruction: read, with its checksum logged; the rolls are those of the .mat copy."""
    import logging

    mat = load_music("JSB_Chorales", music_root, source="mat").splits
    notes = {
        split: [[[np.int64(21 + j) for j in np.flatnonzero(frame)] for frame in roll] for roll in rolls]
        for split, rolls in mat.items()
    }
    path = _write(music_root, notes, monkeypatch)
    caplog.set_level(logging.INFO, logger="rnnrnade_pt.data.download")
    got = load_music("JSB_Chorales", music_root, source="pickle").splits
    assert all(
        len(got[s]) == len(mat[s]) and all(np.array_equal(a, b) for a, b in zip(got[s], mat[s], strict=True))
        for s in mat
    )
    assert any(path in r.getMessage() and "user's own file" in r.getMessage() for r in caplog.records)


def test_corrupt_pickle_is_a_data_error(music_root, monkeypatch):
    good = pickle.dumps({"train": [[[60]]], "valid": [[[60]]], "test": [[[60]]]}, protocol=2)
    path = _write(music_root, good[: len(good) // 2], monkeypatch)
    with pytest.raises(DataError) as e:
        load_music("JSB_Chorales", music_root)  # auto: the pickle, since it is there
    assert path in _one_line(e)


def test_pickle_that_would_run_code_is_refused(music_root, monkeypatch):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = _write(music_root, {"train": Evil(), "valid": [], "test": []}, monkeypatch)
    with pytest.raises(DataError, match="refusing to load .*print") as e:
        load_music("JSB_Chorales", music_root, source="pickle")
    assert path in _one_line(e)


def test_missing_split_is_a_data_error(music_root, monkeypatch):
    _write(music_root, {"train": [[[60]]], "test": [[[60]]]}, monkeypatch)
    with pytest.raises(DataError, match="keys"):
        load_music("JSB_Chorales", music_root, source="pickle")


def test_missing_files_are_data_errors(tmp_path, music_root):
    with pytest.raises(DataError, match="source 'mat'") as e:
        load_music("JSB_Chorales", music_root, source="pickle")  # no pickle written
    _one_line(e)
    with pytest.raises(DataError, match="is missing") as e:
        load_music("Nottingham", music_root)  # auto falls back to the .mat, absent too
    assert "Nottingham.mat" in _one_line(e)
    with pytest.raises(DataError, match="unknown music dataset"):
        load_music("Bach", music_root)


def test_load_dataset_music_auto_source_and_first_sequences(music_root):
    # no pickle under this root: the .mat is read
    full = load_dataset(DataConfig(dataset="music", name="JSB_Chorales", root=str(music_root)))
    assert [len(full[s]) for s in SPLITS] == list(COUNTS["JSB_Chorales"][0])
    few = load_dataset(
        DataConfig(dataset="music", name="JSB_Chorales", root=str(music_root), max_sequences=3)
    )
    assert [len(few[s]) for s in SPLITS] == [3, 3, 3]
    np.testing.assert_array_equal(few["test"][2], full["test"][2])
    with pytest.raises(DataError, match="needs name"):
        load_dataset(DataConfig(dataset="music", root=str(music_root)))
    with pytest.raises(ConfigError, match="max_sequences"):
        DataConfig(dataset="music", name="JSB_Chorales", max_sequences=-1)


def test_music_files_are_registered_with_the_readme_checksums(shared_data):
    names = [f for e in MUSIC.values() for f in (e.pickle, e.mat)]
    assert all(n in FILES for n in names)
    sums = shared_data / "SHA256SUMS"
    if not sums.is_file():
        pytest.skip(f"{sums} is absent")
    listed = {
        line.split(None, 1)[1].strip().lstrip("./"): line.split()[0] for line in sums.read_text().splitlines()
    }
    for n in names:
        assert FILES[n].sha256 == listed[n], n
    assert all("TSBN_code_NIPS2015/5e3cb6d0" in FILES[e.mat].url for e in MUSIC.values())
    assert all("RECONSTRUCTED" in FILES[e.pickle].source for e in MUSIC.values())


# ------------------------------------------------------------------------------------------------ MIDI


@pytest.fixture()
def pretty_midi():
    return pytest.importorskip("pretty_midi", reason="MIDI tests need pretty_midi (the midi extra)")


def test_midi_round_trip_is_exact(tmp_path, pretty_midi):
    from rnnrnade_pt.midi import midi_to_piano_roll, piano_roll_to_midi

    rng = np.random.default_rng(0)
    roll = (rng.random((40, 88)) < 0.08).astype(float)
    roll[:, 0] = 1  # one note held throughout (A0), so T survives the trip
    roll[10:12, 87] = 1  # C8
    path = piano_roll_to_midi(roll, tmp_path / "r.mid", dt=0.25)
    back = midi_to_piano_roll(path, dt=0.25)
    np.testing.assert_array_equal(back, roll)
    # runs of on-frames are single notes: count them independently of the writer
    runs = int(np.sum(np.diff(np.vstack([np.zeros((1, 88)), roll, np.zeros((1, 88))]), axis=0) == 1))
    assert sum(len(i.notes) for i in pretty_midi.PrettyMIDI(path).instruments) == runs


def test_midi_bad_inputs(tmp_path, pretty_midi):
    from rnnrnade_pt.midi import midi_to_piano_roll, piano_roll_to_midi

    path = piano_roll_to_midi(np.eye(5, 10), tmp_path / "e.mid", lowest=60)  # notes 60..64
    with pytest.raises(DataError, match="outside 62..71") as e:
        midi_to_piano_roll(path, lowest=62, n_pitches=10)
    assert str(path) in _one_line(e)
    (tmp_path / "bad.mid").write_bytes(b"not a midi file")
    with pytest.raises(DataError, match="cannot read MIDI file"):
        midi_to_piano_roll(tmp_path / "bad.mid")
    with pytest.raises(ConfigError, match="dt"):
        piano_roll_to_midi(np.eye(3), tmp_path / "x.mid", dt=0)


def test_missing_pretty_midi_is_a_one_line_config_error(monkeypatch, tmp_path):
    import sys

    from rnnrnade_pt.midi import piano_roll_to_midi

    monkeypatch.setitem(sys.modules, "pretty_midi", None)
    with pytest.raises(ConfigError, match="pip install pretty_midi") as e:
        piano_roll_to_midi(np.eye(3), tmp_path / "x.mid")
    _one_line(e)


def test_piano_roll_picture(tmp_path):
    pytest.importorskip("matplotlib")
    from rnnrnade_pt.plots import piano_roll

    def panels(path):  # the picture's height in pixels / one panel's (2.2 in at 100 dpi)
        data = open(path, "rb").read(24)
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        return int.from_bytes(data[20:24], "big") / 220

    assert panels(piano_roll(np.zeros((12, 2, 88)), str(tmp_path / "roll.png"))) == 2  # T x B x P
    # a list holds whole rolls: one 100-frame roll is one panel, not 100 panels of one frame (the bug
    # that drew the music table's samples as 4 single-frame panels)
    roll = np.zeros((100, 88))
    roll[:, 40] = 1
    assert panels(piano_roll([roll], str(tmp_path / "one.png"))) == 1
    assert panels(piano_roll([roll, roll[:50]], str(tmp_path / "two.png"))) == 2
