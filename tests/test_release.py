"""Released models: a finished run released (model.npz + manifest.json), re-scored to the same numbers, read
by ``rnnrnade eval``, ``sample`` and ``loglik``, and refused with one line when a file is corrupted or the
data differ."""

import json
import os
import shutil

import numpy as np
import pytest
from tiny import tiny

from rnnrnade_pt.cli import main
from rnnrnade_pt.errors import DataError, ParamsError
from rnnrnade_pt.npz import atomic_write_npz
from rnnrnade_pt.provenance import read as read_provenance
from rnnrnade_pt.release import (
    MANIFEST_FILE,
    MODEL_FILE,
    check_score,
    find_releases,
    load_release,
    read_manifest,
    release_run,
    release_size,
    rescore,
    split_sha256,
)
from rnnrnade_pt.runs import train_and_evaluate


def per_frame(run, evaluation):
    value, frames = evaluation["loglik_per_frame"], evaluation["frames"]
    return {"value": value, "what": "nats per frame", "counted": frames}


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    root = tmp_path_factory.mktemp("release")
    run_dir = str(root / "run")
    train_and_evaluate(tiny(**{"train.epochs": 1}), run_dir)
    out = str(root / "models" / "main" / "tiny")
    manifest = release_run(run_dir, out, table="main", cell="tiny", score=per_frame)
    return run_dir, out, manifest


def test_a_release_holds_the_parameters_and_what_they_scored(released):
    run_dir, out, manifest = released
    assert sorted(os.listdir(out)) == [MANIFEST_FILE, MODEL_FILE]
    with np.load(os.path.join(out, MODEL_FILE), allow_pickle=False) as npz:
        keys = set(npz.files)
    assert "config" in keys and "W" in keys and "W_alpha" in keys
    assert not any(k.startswith(("opt/", "state/", "rng/", "run/")) for k in keys)  # the parameters alone
    with open(os.path.join(run_dir, "results.json"), encoding="utf-8") as fh:
        results = json.load(fh)
    assert manifest["score"]["value"] == pytest.approx(results["test"]["loglik_per_frame"], abs=1e-9)
    assert manifest["score"]["counted"] == results["test"]["frames"]
    assert manifest["training_seconds"] == results["seconds"] and manifest["epochs"] == 1
    assert manifest["commit"] == read_provenance(run_dir)["commit"]
    assert manifest["command"] and manifest["config"]["data"]["root"] is None
    assert manifest["table"] == "main" and manifest["split"] == "test"
    assert read_manifest(out) == manifest
    assert find_releases(os.path.dirname(os.path.dirname(out)), "main") == [out]
    assert release_size(out) == sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))


def test_rescoring_a_release_reproduces_its_manifest(released):
    _, out, manifest = released
    again = rescore(out, per_frame)
    assert check_score(again) == []
    assert again["score"]["value"] == pytest.approx(manifest["score"]["value"], abs=1e-9)
    changed = {**again, "score": {**again["score"], "value": again["score"]["value"] + 0.01}}
    before, after = manifest["score"]["value"], changed["score"]["value"]
    assert check_score(changed) == [f"score.value: {before} -> {after}"]


def test_a_corrupted_or_mismatched_release_is_one_line(released, tmp_path):
    _, out, _ = released
    bad = str(tmp_path / "bad")
    shutil.copytree(out, bad)
    with open(os.path.join(bad, MODEL_FILE), "r+b") as fh:  # flip one byte in the middle
        fh.seek(os.path.getsize(os.path.join(bad, MODEL_FILE)) // 2)
        b = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([b[0] ^ 0xFF]))
    with pytest.raises(ParamsError, match="does not match its manifest") as e:
        load_release(bad)
    assert "\n" not in str(e.value)
    os.remove(os.path.join(bad, MODEL_FILE))
    with pytest.raises(ParamsError, match="model.npz is missing"):
        load_release(bad)
    with open(os.path.join(bad, MANIFEST_FILE), "w", encoding="utf-8") as fh:
        fh.write("{not json")
    with pytest.raises(ParamsError, match="not readable JSON"):
        load_release(bad)
    with pytest.raises(ParamsError, match="not a released model"):
        load_release(str(tmp_path))


def test_a_release_scored_on_other_data_is_refused(released, tmp_path):
    _, out, _ = released
    other = str(tmp_path / "other")
    shutil.copytree(out, other)
    path = os.path.join(other, MANIFEST_FILE)
    with open(path, encoding="utf-8") as fh:
        manifest = json.load(fh)
    manifest["split_sha256"] = split_sha256([np.zeros((1, 9))])
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh)
    with pytest.raises(DataError, match="differs from the one"):
        rescore(other, per_frame)


def test_the_command_line_reads_a_release(released, tmp_path, capsys):
    _, out, manifest = released
    assert main(["eval", "--run", out]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["loglik_per_frame"] == pytest.approx(manifest["score"]["value"], abs=1e-9)
    S = str(tmp_path / "s.npz")
    assert main(["sample", "--run", out, "-n", "2", "--steps", "5", "--out", S]) == 0
    capsys.readouterr()
    with np.load(S) as npz:
        assert npz["X"].shape == (5, 2, 9)
    data = str(tmp_path / "x.npz")
    atomic_write_npz(data, {"X": np.full((4, 2, 9), 0.1), "mask": np.ones((4, 2))})
    assert main(["loglik", "--params", os.path.join(out, MODEL_FILE), "--data", data]) == 0
    assert json.loads(capsys.readouterr().out)["frames"] == 8
    broken = str(tmp_path / "broken")
    shutil.copytree(out, broken)
    with open(os.path.join(broken, MODEL_FILE), "ab") as fh:
        fh.write(b"x")
    assert main(["eval", "--run", broken]) == 2
    err = capsys.readouterr().err.strip()
    assert "does not match its manifest" in err and len(err.splitlines()) == 1


def test_a_float32_model_is_released_in_float32_and_rescores_the_same(tmp_path):
    run_dir = str(tmp_path / "run")
    train_and_evaluate(tiny(**{"train.epochs": 1, "model.dtype": "float32"}), run_dir)
    out = str(tmp_path / "models" / "main" / "tiny32")
    manifest = release_run(run_dir, out, table="main", cell="tiny32", score=per_frame)
    with np.load(os.path.join(out, MODEL_FILE)) as npz:
        stored = {k: npz[k].dtype for k in npz.files if k != "config"}
    assert stored and set(stored.values()) == {np.dtype(np.float32)}  # exactly the float32 values trained
    with np.load(os.path.join(run_dir, "best.npz")) as best:
        with np.load(os.path.join(out, MODEL_FILE)) as npz:
            assert all(np.array_equal(best[k], npz[k].astype(np.float64)) for k in stored)
    assert check_score(rescore(out, per_frame)) == [] and manifest["model_bytes"] > 0
