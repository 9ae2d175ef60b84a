"""Tests of the real sequence datasets and their training helpers (rnnrnade_pt.data: sequences, vowels,
mocap, batching, standardize, download).

Real files come from the session fixture ``shared_data``; a test that needs an absent file is skipped.
Downloads are tested offline, from an HTTP server on localhost serving temporary copies.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import logging
import os
import pathlib
import threading

import numpy as np
import pytest

from rnnrnade_pt.data import download
from rnnrnade_pt.data.arrays import lengths_to_mask
from rnnrnade_pt.data.batching import minibatches, pad_sequences, split_off, unpad, windows
from rnnrnade_pt.data.download import DATA_ENV, FILES, RemoteFile, data_root, fetch
from rnnrnade_pt.data.mocap import MOCAP_FILE, load_mocap
from rnnrnade_pt.data.sequences import SequenceData
from rnnrnade_pt.data.standardize import Standardizer
from rnnrnade_pt.data.vowels import JV_FILES, load_japanese_vowels, read_ts
from rnnrnade_pt.errors import DataError


def _require(root: pathlib.Path, *names: str) -> None:
    for name in names:
        path = root / name
        if not path.is_file():
            pytest.skip(f"{path} absent: put the shared datasets there or set {DATA_ENV}")


@pytest.fixture(scope="module")
def jv(shared_data) -> SequenceData:
    _require(shared_data, *JV_FILES.values())
    return load_japanese_vowels(shared_data)


@pytest.fixture(scope="module")
def mocap(shared_data) -> SequenceData:
    _require(shared_data, MOCAP_FILE)
    return load_mocap(shared_data)


def _seqs(lengths, D=3, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(T, D)) for T in lengths]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _one_line(e: pytest.ExceptionInfo) -> str:
    msg = str(e.value)
    assert "\n" not in msg
    return msg


# ------------------------------------------------------------------------------------ data root, fetch


def test_data_root(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "env"))
    assert data_root(tmp_path / "explicit") == tmp_path / "explicit"  # explicit wins
    assert data_root() == tmp_path / "env"
    monkeypatch.delenv(DATA_ENV)
    with pytest.raises(DataError) as e:
        data_root()
    msg = _one_line(e)
    assert "--data.root" in msg and "--data-root" in msg and DATA_ENV in msg
    monkeypatch.setenv(DATA_ENV, "")
    with pytest.raises(DataError):
        data_root()
    with pytest.raises(DataError):  # the loaders resolve the root the same way
        load_japanese_vowels()


def test_registry_matches_shared_checksums(shared_data):
    sums = shared_data / "SHA256SUMS"
    if not sums.is_file():
        pytest.skip(f"{sums} absent: cannot cross-check the registry")
    listed = {}
    for line in sums.read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name.removeprefix("./")] = digest
    sequences = {
        "sequences/JapaneseVowels_TRAIN.ts",
        "sequences/JapaneseVowels_TEST.ts",
        "sequences/mit_mocap/mit_mocap.mat",
        "sequences/mit_mocap/motion.mat",
    }
    assert sequences <= set(FILES) and {n for n in FILES if n.startswith("sequences/")} == sequences
    for name, entry in FILES.items():  # every dataset file: the checksum of the copy in shared/data
        assert entry.path == name
        assert entry.sha256 == listed[name], name
        assert entry.url.startswith(("https://", "http://")), name
    for name in sequences:
        assert FILES[name].url.startswith("https://raw.githubusercontent.com/")
        assert FILES[name].url.endswith(pathlib.PurePosixPath(name).name)
    assert "5e3cb6d0ad5fe45e0d1078bc687d4be83fc21a12" in FILES["sequences/mit_mocap/mit_mocap.mat"].url
    assert "bb5c2d51dc5334bdbcf305f62f76edd04d378a8a" in FILES["sequences/mit_mocap/motion.mat"].url
    assert "/v1.2.0/" in FILES["sequences/JapaneseVowels_TRAIN.ts"].url


def test_shared_files_verify(shared_data):
    _require(shared_data, *FILES)
    for name in FILES:
        path = fetch(name, shared_data)
        assert path == shared_data / name
        assert download.sha256_file(path) == FILES[name].sha256


@pytest.fixture
def entry(monkeypatch, tmp_path):
    """A registry entry ``test/blob.bin`` served over HTTP from ``tmp_path/remote``; returns (entry, bytes,
    root)."""
    data = b"rnnrnade test blob\n" * 100
    src = tmp_path / "remote" / "blob.bin"
    src.parent.mkdir()
    src.write_bytes(data)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(src.parent))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/blob.bin"
    e = RemoteFile("test/blob.bin", _sha(data), url, "a test file")
    monkeypatch.setitem(FILES, e.path, e)
    yield e, data, tmp_path / "root"
    server.shutdown()
    server.server_close()


def test_fetch_missing_names_url_and_how(entry):
    e, _, root = entry
    with pytest.raises(DataError) as err:
        fetch(e.path, root)
    msg = _one_line(err)
    assert e.url in msg and "download=True" in msg and "--download" in msg and str(root / e.path) in msg
    assert not (root / e.path).exists()
    with pytest.raises(DataError, match="unknown dataset file"):
        fetch("no/such/file", root)


def test_fetch_downloads_and_verifies(entry):
    e, data, root = entry
    path = fetch(e.path, root, download=True)
    assert path == root / e.path and path.read_bytes() == data
    assert os.listdir(path.parent) == ["blob.bin"]  # no temporary file left
    assert fetch(e.path, root) == path  # present now: no download needed


def test_fetch_download_checksum_mismatch(entry, monkeypatch):
    e, data, root = entry
    wrong = e.__class__(e.path, _sha(b"something else"), e.url, e.source)
    monkeypatch.setitem(FILES, e.path, wrong)
    with pytest.raises(DataError) as err:
        fetch(e.path, root, download=True)
    msg = _one_line(err)
    assert wrong.sha256 in msg and _sha(data) in msg
    assert os.listdir(root / "test") == []  # the temporary file is deleted, nothing under the final name


def test_fetch_download_failure(entry, monkeypatch):
    e, _, root = entry
    gone = RemoteFile(e.path, e.sha256, e.url.replace("blob.bin", "nothing.bin"), e.source)
    monkeypatch.setitem(FILES, e.path, gone)
    with pytest.raises(DataError, match="downloading .* failed"):
        fetch(e.path, root, download=True)
    assert os.listdir(root / "test") == []


def test_fetch_present_file_wrong_checksum(entry):
    e, data, root = entry
    path = root / e.path
    path.parent.mkdir(parents=True)
    path.write_bytes(data[:-1] + b"?")
    with pytest.raises(DataError) as err:
        fetch(e.path, root)
    msg = _one_line(err)
    assert str(path) in msg and e.sha256 in msg and _sha(path.read_bytes()) in msg


def test_fetch_users_own_file_logs_a_different_checksum(entry, monkeypatch, caplog):
    """A file the package does not download (the music pickles): a different checksum is a log line."""
    e, data, root = entry
    own = RemoteFile(e.path, e.sha256, e.url, e.source, downloadable=False)
    monkeypatch.setitem(FILES, e.path, own)
    with pytest.raises(DataError, match="cannot be downloaded"):
        fetch(e.path, root, download=True)
    assert not (root / e.path).exists()
    path = root / e.path
    path.parent.mkdir(parents=True)
    path.write_bytes(data + b"the user's own bytes")
    caplog.set_level(logging.INFO, logger="rnnrnade_pt.data.download")
    assert fetch(e.path, root) == path
    assert any("user's own file" in r.getMessage() and e.sha256 in r.getMessage() for r in caplog.records)


def test_fetch_verifies_once_per_unchanged_file(entry, monkeypatch):
    e, data, root = entry
    path = root / e.path
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    calls = []
    real = download.sha256_file
    monkeypatch.setattr(download, "sha256_file", lambda p: calls.append(p) or real(p))
    fetch(e.path, root)
    fetch(e.path, root)
    assert len(calls) == 1
    path.write_bytes(data + b"tampered")  # a changed file is checked again
    with pytest.raises(DataError, match="expected"):
        fetch(e.path, root)
    assert len(calls) == 2


# ------------------------------------------------------------------------------------------ loaders


def test_japanese_vowels(jv):
    assert isinstance(jv, SequenceData) and set(jv.splits) == set(jv.labels) == {"train", "test"}
    expected = {"train": (270, 4274), "test": (370, 5687)}
    for split, (n, frames) in expected.items():
        seqs, labels = jv.splits[split], jv.labels[split]
        assert len(seqs) == n and sum(len(s) for s in seqs) == frames
        assert all(s.dtype == np.float64 and s.ndim == 2 and s.shape[1] == 12 for s in seqs)
        assert all(s.flags.c_contiguous and np.all(np.isfinite(s)) for s in seqs)
        assert labels.shape == (n,) and labels.dtype == np.int64 and set(labels.tolist()) == set(range(1, 10))
    lengths = [len(s) for split in jv.splits.values() for s in split]
    assert min(lengths) == 7 and max(lengths) == 29
    assert np.array_equal(np.bincount(jv.labels["train"])[1:], np.full(9, 30))  # 30 utterances per speaker
    # orientation: a channel is a dimension, its comma-separated values are time steps
    first = jv.splits["train"][0]
    assert first[0, 0] == 1.860936 and first[1, 0] == 1.891651 and first[0, 1] == -0.207383
    assert jv.splits["test"][-1][-1, 11] == 0.224688 and jv.labels["test"][-1] == 9
    assert "Kudo" in jv.description


def test_mocap(mocap):
    assert isinstance(mocap, SequenceData) and mocap.labels is None and set(mocap.splits) == {"train", "test"}
    train, test = mocap.splits["train"], mocap.splits["test"]
    assert len(train) == 35 and all(s.shape == (100, 49) for s in train)
    assert [s.shape for s in test] == [(100, 49)] * 3 + [(26, 49)]
    assert all(
        s.dtype == np.float64 and s.flags.c_contiguous and np.all(np.isfinite(s)) for s in train + test
    )
    frames = np.concatenate(train + test)  # 3826 x 49, z-scored together (MATLAB std, ddof 1)
    np.testing.assert_allclose(frames.mean(axis=0), 0, atol=1e-10)
    np.testing.assert_allclose(frames.std(axis=0, ddof=1), 1, rtol=1e-10)
    assert not np.allclose(np.concatenate(train).mean(axis=0), 0, atol=1e-3)  # train alone is not centred


TS_HEADER = "# comment\n@problemName toy\n@dimensions 2\n@classLabel true a b\n@data\n"


def test_read_ts_small(tmp_path):
    p = tmp_path / "toy.ts"
    p.write_text(TS_HEADER + "1,2,3:4,5,6:a\n\n# a comment among the data\n7:8:b\n")
    seqs, labels = read_ts(p)
    assert [s.tolist() for s in seqs] == [[[1, 4], [2, 5], [3, 6]], [[7, 8]]]
    assert labels.tolist() == ["a", "b"]
    p.write_text("@dimensions 2\n@classLabel false\n@data\n1,2:3,4\n")
    seqs, labels = read_ts(p)
    assert labels is None and seqs[0].tolist() == [[1, 3], [2, 4]]


@pytest.mark.parametrize(
    "content, match",
    [
        ("@dimensions 2\n@classLabel true a\n# no data\n", "no '@data'"),
        ("1,2:3,4:a\n", "header"),
        (TS_HEADER, "no case"),
        (TS_HEADER + "1,2:3,x:a\n", "'x' is not a number"),
        (TS_HEADER + "1,2:3:a\n", "different lengths"),
        (TS_HEADER + "1,2:3,4:5,6:a\n", "3 channels, expected 2"),
        (TS_HEADER + "1,nan:3,4:a\n", "NaN or infinite"),
        (TS_HEADER + "1,?:3,4:a\n", "not a number"),
        (TS_HEADER + "1,2:a\n", "1 channels, expected 2"),
        ("@timeStamps true\n@data\n(0,1):a\n", "time-stamped"),
        (b"@data\n\xff\xfe\n", "cannot read"),
    ],
)
def test_read_ts_corrupt(tmp_path, content, match):
    p = tmp_path / "bad.ts"
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content)
    with pytest.raises(DataError, match=match) as e:
        read_ts(p)
    assert str(p) in _one_line(e)


def test_read_ts_missing(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_ts(tmp_path / "nothing.ts")


def test_loader_rejects_corrupt_file(tmp_path, monkeypatch):
    """A loader reads through the registry: a corrupt file whose checksum matches still fails to parse."""
    root = tmp_path / "root"
    for name in JV_FILES.values():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        data = (TS_HEADER + "1,2:3:a\n").encode()
        (root / name).write_bytes(data)
        monkeypatch.setitem(FILES, name, RemoteFile(name, _sha(data), "file:///nowhere", "test"))
    with pytest.raises(DataError, match="different lengths"):
        load_japanese_vowels(root)


def test_loader_missing_file(tmp_path):
    with pytest.raises(DataError) as e:
        load_mocap(tmp_path)
    assert FILES[MOCAP_FILE].url in _one_line(e)


# -------------------------------------------------------------------------------- training helpers


def test_pad_unpad_round_trip():
    seqs = _seqs([5, 1, 9, 3])
    X, mask = pad_sequences(seqs)
    assert X.shape == (9, 4, 3) and mask.shape == (9, 4)  # T x B x D, T x B
    assert np.array_equal(mask, lengths_to_mask([5, 1, 9, 3]))
    assert np.all(X[mask == 0] == 0)
    back = unpad(X, mask)
    assert all(np.array_equal(a, b) for a, b in zip(seqs, back, strict=True))
    X12, mask12 = pad_sequences(seqs, T=12)
    assert X12.shape == (12, 4, 3) and np.array_equal(X12[:9], X) and mask12[9:].sum() == 0
    assert all(np.array_equal(a, b) for a, b in zip(seqs, unpad(X12, mask12), strict=True))
    X[-1, 1] = np.nan  # padding may hold anything (sequence 1 has one frame)
    assert all(np.array_equal(a, b) for a, b in zip(seqs, unpad(X, mask), strict=True))


def test_pad_unpad_errors():
    with pytest.raises(DataError, match="more than T=4"):
        pad_sequences(_seqs([5, 2]), T=4)
    with pytest.raises(DataError, match="no sequence"):
        pad_sequences([])
    with pytest.raises(DataError, match="D=2"):
        pad_sequences([np.zeros((2, 3)), np.zeros((2, 2))])
    with pytest.raises(DataError, match="empty"):
        pad_sequences([np.zeros((0, 3))])
    with pytest.raises(DataError, match="NaN"):
        pad_sequences([np.full((2, 3), np.nan)])
    with pytest.raises(DataError, match="T x D"):
        pad_sequences([np.zeros(3)])
    X, mask = pad_sequences(_seqs([2, 3]))
    mask[:, 0] = 0
    with pytest.raises(DataError, match="empty"):
        unpad(X, mask)


def test_standardizer(jv):
    seqs = jv.splits["train"]
    st = Standardizer.fit(seqs)
    frames = np.concatenate(seqs)
    np.testing.assert_allclose(st.mean, frames.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(st.std, frames.std(axis=0), rtol=1e-12)
    z = np.concatenate(st.transform(seqs))
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), 1, rtol=1e-12)
    back = st.inverse(st.transform(seqs))
    assert isinstance(back, list) and len(back) == len(seqs)
    assert all(np.allclose(a, b, rtol=0, atol=1e-12) for a, b in zip(seqs, back, strict=True))
    X, mask = pad_sequences(seqs[:7])  # any array whose last axis is D
    np.testing.assert_allclose(st.inverse(st.transform(X)), X, atol=1e-12)
    np.testing.assert_allclose(st.transform(X)[:, 2], (X[:, 2] - st.mean) / st.std)
    st2 = Standardizer.from_arrays({**st.to_arrays(), "W": np.zeros(2)})  # extra checkpoint keys ignored
    assert set(st.to_arrays()) == {"standardize_mean", "standardize_std"}
    assert np.array_equal(st2.mean, st.mean) and np.array_equal(st2.std, st.std)
    with pytest.raises(DataError, match="D=12"):
        st.transform(np.zeros((3, 11)))
    with pytest.raises(DataError, match="standardize_std"):
        Standardizer.from_arrays({"standardize_mean": st.mean})
    with pytest.raises(DataError, match="positive"):
        Standardizer(np.zeros(2), np.array([1.0, 0.0]))


def test_standardizer_constant_dim(caplog):
    seqs = _seqs([4, 6])
    for s in seqs:
        s[:, 1] = 2.5
    with caplog.at_level(logging.WARNING, logger="rnnrnade_pt.data.standardize"):
        st = Standardizer.fit(seqs)
    assert "constant dimension" in caplog.text and "[1]" in caplog.text
    assert st.std[1] == 1e-8 and st.mean[1] == 2.5 and st.std[0] > 0.1
    assert np.all(np.concatenate(st.transform(seqs))[:, 1] == 0)


def test_windows_cover_every_frame_once():
    lengths = [7, 3, 10, 1, 12]
    offsets = np.cumsum([0] + lengths)
    # every frame holds its global index: T_i x 2
    seqs = [
        np.repeat(np.arange(o, o + T, dtype=float)[:, None], 2, axis=1)
        for o, T in zip(offsets[:-1], lengths, strict=True)
    ]
    for length in (1, 3, 4, 10, 50):
        w = windows(seqs, length, np.random.default_rng(0))
        assert len(w) == sum(-(-T // length) for T in lengths)
        assert all(1 <= len(x) <= length and x.shape[1] == 2 for x in w)
        ids = np.concatenate([x[:, 0] for x in w])
        assert np.array_equal(np.sort(ids), np.arange(sum(lengths)))  # every frame exactly once
        for x in w:  # consecutive frames of one sequence, starting on a window boundary
            assert np.all(np.diff(x[:, 0]) == 1)
            seq = np.searchsorted(offsets, x[0, 0], side="right") - 1
            assert (x[0, 0] - offsets[seq]) % length == 0 and x[-1, 0] < offsets[seq + 1]
    w4 = windows(seqs, 4, np.random.default_rng(0))
    assert [x[0, 0] for x in w4] != sorted(x[0, 0] for x in w4)  # shuffled
    again = windows(seqs, 4, np.random.default_rng(0))
    assert all(np.array_equal(a, b) for a, b in zip(w4, again, strict=True))
    for whole in (None, 0):
        w = windows(seqs, whole, np.random.default_rng(1))
        assert sorted(len(x) for x in w) == sorted(lengths)
    with pytest.raises(DataError, match="length"):
        windows(seqs, -1, np.random.default_rng(0))


def test_windows_mocap(mocap):
    w = windows(mocap.splits["test"], 30, np.random.default_rng(0))
    assert sorted(len(x) for x in w) == [10] * 3 + [26] + [30] * 9


def test_split_off_determinism():
    seqs = _seqs(range(1, 36))
    kept, held = split_off(seqs, 0.1, seed=3)
    assert len(held) == 4 and len(kept) == 31  # round(3.5) = 4
    assert {id(s) for s in kept} | {id(s) for s in held} == {id(s) for s in seqs}
    assert not {id(s) for s in kept} & {id(s) for s in held}
    kept2, held2 = split_off(seqs, 0.1, seed=3)
    assert [id(s) for s in held2] == [id(s) for s in held] and [id(s) for s in kept2] == [id(s) for s in kept]
    splits = {tuple(id(s) for s in split_off(seqs, 0.1, seed=k)[1]) for k in range(5)}
    assert len(splits) > 1  # the seed matters
    assert len(split_off(seqs, 0.001, seed=0)[1]) == 1  # at least one held out
    assert len(split_off(seqs, 0.999, seed=0)[0]) == 1  # at least one kept
    with pytest.raises(DataError, match="at least 2"):
        split_off(seqs[:1], 0.5, seed=0)
    for bad in (0, 1, 1.5, -0.1):
        with pytest.raises(DataError, match="fraction"):
            split_off(seqs, bad, seed=0)


def test_minibatches():
    lengths = [5, 1, 9, 3, 4, 6, 2]
    seqs = _seqs(lengths)
    batches = list(minibatches(seqs, 3, np.random.default_rng(0)))
    assert [X.shape[1] for X, _ in batches] == [3, 3, 1]
    got = [s for X, mask in batches for s in unpad(X, mask)]
    for X, mask in batches:
        assert X.shape[0] == int(mask.sum(axis=0).max())  # padded to the batch's longest
    assert sorted(len(s) for s in got) == sorted(lengths)
    assert all(any(np.array_equal(g, s) for s in seqs) for g in got)
    again = [s for X, mask in minibatches(seqs, 3, np.random.default_rng(0)) for s in unpad(X, mask)]
    assert all(np.array_equal(a, b) for a, b in zip(got, again, strict=True))
    with pytest.raises(DataError, match="batch_size"):
        minibatches(seqs, 0, np.random.default_rng(0))


def test_eval_batches_bound_padded_frames_and_keep_order():
    from rnnrnade_pt.data.batching import eval_batches

    seqs = [np.full((t, 2), float(i)) for i, t in enumerate([5, 3, 100, 2, 2, 9000, 4])]
    batches = list(eval_batches(seqs, batch_size=3, max_frames=200))
    assert [X.shape[1] for X, _ in batches] == [2, 2, 1, 1, 1]
    assert all(X.shape[0] * X.shape[1] <= 200 or X.shape[1] == 1 for X, _ in batches)
    back = [X[: int(m[:, b].sum()), b] for X, m in batches for b in range(X.shape[1])]
    assert len(back) == len(seqs) and all(np.array_equal(a, b) for a, b in zip(back, seqs, strict=True))
