"""The music table script (experiments/music.py): its jobs, its table, and its quick mode end to end."""

import importlib.util
import json
import os
import re

import numpy as np
import pytest

from rnnrnade_pt.config import RunConfig

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def music():
    spec = importlib.util.spec_from_file_location(
        "music_experiment", os.path.join(ROOT, "experiments", "music.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_configs_are_the_tutorials_sizes(music, tmp_path):
    jobs = music.make_jobs(tmp_path)
    assert [j.name for j in jobs] == [f"{m}_{d}" for m in music.MODELS for d in music.DATASETS]
    for j in jobs:
        model, dataset = j.name.split("_", 1)
        c = j.cfg
        assert (c.model.model, c.data.dataset, c.data.name) == (model, "music", dataset)
        assert (c.model.D, c.model.H, c.model.R, c.train.window) == (88, 150, 100, 100)
        assert c.data.max_sequences == 0 and c.train.max_seconds is None
        assert j.run_dir == os.path.join(tmp_path, j.name)
    quick = music.make_jobs(tmp_path, ["rnn-rbm"], ["MuseData"], quick=True, time_budget=30, data_root="/d")
    (j,) = quick
    assert j.cfg.train.max_seconds == 30.0 and j.cfg.data.root == "/d" and j.cfg.data.max_sequences > 0
    assert j.cfg.model.H < 150 and j.cfg.model.ais_chains < jobs[0].cfg.model.ais_chains


def test_pretraining_is_the_same_number_of_updates_on_every_set(music, tmp_path, shared_data):
    """The NADE or RBM pretrains for about as many updates on every set as JSB's 100 epochs (139 batches of
    100 frames each): a fixed epoch count would make pretraining on MuseData (18x JSB's frames) alone
    outlast a run's 2-hour budget."""
    from rnnrnade_pt.data.datasets import load_dataset

    reference = 139 * 100  # JSB: 13,807 frames in batches of 100, 100 epochs
    for j in music.make_jobs(tmp_path, ["rnn-nade"], music.DATASETS, data_root=str(shared_data)):
        path = os.path.join(str(shared_data), "polyphonic", f"{j.cfg.data.name}.mat")
        if not os.path.exists(path):
            pytest.skip(f"{path} is missing")
        frames = sum(len(s) for s in load_dataset(j.cfg.data, 88)["train"])
        steps = -(-frames // j.cfg.train.pretrain_batch_size)
        if j.cfg.data.name == "JSB_Chorales":
            assert j.cfg.train.pretrain_epochs == 100
        updates = steps * j.cfg.train.pretrain_epochs
        assert abs(updates - reference) <= steps / 2 + 1, (j.name, updates)
    rbm = {j.cfg.data.name: j.cfg.train.pretrain_epochs for j in music.make_jobs(tmp_path, ["rnn-rbm"])}
    nade = {j.cfg.data.name: j.cfg.train.pretrain_epochs for j in music.make_jobs(tmp_path, ["rnn-nade"])}
    assert rbm == nade
    text = music.music_table([], music.make_jobs(tmp_path))
    assert "up to 18 (Piano-midi.de) / 8 (Nottingham) / 6 (MuseData) / 100 (JSB Chorales) epochs" in text


def _summary(name, ll, acc, **kw):
    test = {"loglik_per_frame": ll, "frame_accuracy": acc, "frames": 4725}
    return {"name": name, "model": name.split("_")[0], "stopped": "time_budget", "epochs": 7,
            "wall_seconds": 3725.0, "n_params": 123456, "test": test, **kw}  # fmt: skip


def test_table_rows_in_the_papers_order_beside_the_published_values(music, tmp_path):
    summaries = [
        _summary("rnn-nade_JSB_Chorales", -8.123, 0.2512),
        {"name": "rnn-rbm_Nottingham", "error": "DataError: no such file"},
        _summary("rnn-rbm_Piano_midi", -9.5, 0.1),
    ]
    summaries[2]["test"]["loglik_standard_error"] = 0.0123
    jobs = music.make_jobs(tmp_path, ["rnn-rbm"], ["Piano_midi"])
    text = music.music_table(summaries, jobs)
    rows = [line for line in text.splitlines() if line.startswith("| RNN")]
    assert len(rows) == 3
    assert rows[0].startswith(
        "| RNN-RBM | Piano-midi.de | -9.50 ± 0.012 | — | -7.09 | -2.41 | 10.0% | 4725 | 7 | 1 h 02 min |"
    )
    assert rows[1].startswith("| RNN-RBM | Nottingham | — | — | -2.39 | — | — |")
    assert "failed: DataError" in rows[1]
    assert rows[2].startswith("| RNN-NADE | JSB Chorales | -8.12 | — | -5.56 | -2.56 | 25.1% |")
    assert "as commonly quoted" in text and "the paper itself is not available here" in text
    assert re.search(r"AIS with \d+ chains and \d+ temperatures per frame\.", text)
    # test-time estimates: forward AIS replaces the run's own, RAISE fills its column, the gap follows AIS
    est = {"ais_chains": 10, "ais_betas": 1000}
    brackets = {"rnn-rbm_Piano_midi": {
        "forward": {"loglik_per_frame": -9.7, "loglik_standard_error": 0.01, **est},
        "reverse": {"loglik_per_frame": -9.9, "loglik_standard_error": 0.02, **est}}}  # fmt: skip
    text = music.music_table(summaries, jobs, brackets)
    (row,) = [line for line in text.splitlines() if line.startswith("| RNN-RBM | Piano")]
    assert row.startswith("| RNN-RBM | Piano-midi.de | -9.70 ± 0.010 | -9.90 ± 0.020 | -7.09 | -2.61 |")
    assert "on the test set AIS and RAISE with 10 chains and 1000 temperatures per frame" in text
    # not yet estimated at test-time settings: the run's own estimate, marked
    text = music.music_table(summaries, jobs, {"rnn-rbm_Piano_midi": {}})
    (row,) = [line for line in text.splitlines() if line.startswith("| RNN-RBM | Piano")]
    assert row.startswith("| RNN-RBM | Piano-midi.de | -9.50 ± 0.012 ‡ | — | -7.09 | -2.41 |")
    assert "‡ Not yet estimated at test-time settings" in text


def test_quick_mode_end_to_end(music, tmp_path, shared_data):
    if not (shared_data / "polyphonic" / "JSB_Chorales.mat").is_file():
        pytest.skip(f"{shared_data}/polyphonic/JSB_Chorales.mat is absent")
    out = tmp_path / "table.md"
    argv = ["--quick", "--datasets", "JSB_Chorales", "--run-root", str(tmp_path / "runs"),
            "--data-root", str(shared_data), "--time-budget", "120"]  # fmt: skip
    assert music.main(argv + ["--out", str(out)]) == 0
    text = out.read_text()
    for model in ("RNN-RBM", "RNN-NADE"):
        (row,) = [r for r in text.splitlines() if r.startswith(f"| {model} | JSB Chorales |")]
        cells = [c.strip() for c in row.strip("|").split("|")]
        ll, se = (cells[2].split(" ± ") + [None])[:2]
        assert float(ll) < 0 and cells[6].endswith("%") and int(cells[7]) > 0 and cells[8] == "1", row
        assert (se is not None and float(se) > 0) == (model == "RNN-RBM"), row  # AIS: its standard error
        assert (cells[3] != "—") == (model == "RNN-RBM"), row  # RAISE: the RNN-RBM's lower estimate
    # the RNN-RBM's test estimates (quick: 10 chains x 10 temperatures) are cached beside its checkpoint
    cached = {d: tmp_path / "runs" / "rnn-rbm_JSB_Chorales" / "test_ais" / f"{d}-10x10.json"
              for d in ("forward", "reverse")}  # fmt: skip
    forward = json.loads(cached["forward"].read_text())
    assert forward["ais_betas"] == 10 and f"{forward['loglik_per_frame']:.2f} ± " in text
    stamps = {d: p.stat().st_mtime_ns for d, p in cached.items()}
    for name in ("rnn-rbm_JSB_Chorales", "rnn-nade_JSB_Chorales"):
        run = tmp_path / "runs" / name
        assert (run / "results.json").is_file() and (run / "best.npz").is_file()
        assert RunConfig.from_json((run / "config.json").read_text()).data.max_sequences > 0
    # a second call reuses the finished runs (no retraining), releases them and tables the releases;
    # --from-release re-scores the releases (no run directory needed) into the same table
    models, first, again = tmp_path / "models", tmp_path / "first.md", tmp_path / "again.md"
    mtime = (tmp_path / "runs" / "rnn-nade_JSB_Chorales" / "best.npz").stat().st_mtime_ns
    figs = tmp_path / "figs"
    argv += ["--release-root", str(models)]
    assert music.main(argv + ["--out", str(first), "--figures", str(figs)]) == 0
    for model in ("rnn-rbm", "rnn-nade"):  # one curves file per model: tabling one leaves the other's
        assert (figs / f"music_JSB_Chorales_{model}_curves.png").read_bytes()[:4] == b"\x89PNG"
        manifest = json.loads((models / "music" / f"{model}_JSB_Chorales" / "manifest.json").read_text())
        assert manifest["table"] == "music" and manifest["split"] == "test" and manifest["commit"]
    scores = {
        m: json.loads((tmp_path / "runs" / f"{m}_JSB_Chorales" / "results.json").read_text())["test"]
        for m in ("rnn-rbm", "rnn-nade")
    }
    best = max(scores, key=lambda m: scores[m]["loglik_per_frame"])
    assert (figs / f"music_JSB_Chorales_{best}.png").read_bytes()[:4] == b"\x89PNG"
    midi = importlib.util.find_spec("pretty_midi") is not None
    assert (figs / f"music_JSB_Chorales_{best}.mid").is_file() == midi
    rows = [r for r in first.read_text().splitlines() if "| JSB Chorales |" in r]
    assert rows == [
        r for r in text.splitlines() if "| JSB Chorales |" in r
    ]  # the same rows: the stored results
    assert "| RNN-NADE | Nottingham | — | — | -2.31 |" in first.read_text()  # not released: marked, published
    rescore = ["--quick", "--from-release", "--release-root", str(models), "--data-root", str(shared_data)]
    assert music.main(rescore + ["--out", str(again)]) == 0
    assert again.read_text() == first.read_text()
    assert (tmp_path / "runs" / "rnn-nade_JSB_Chorales" / "best.npz").stat().st_mtime_ns == mtime
    assert {d: p.stat().st_mtime_ns for d, p in cached.items()} == stamps  # the estimates are reused
    # --table-only trains nothing: the finished run tabled, the unfinished one marked; no results: one line
    both = [*argv, "--datasets", "JSB_Chorales,Nottingham", "--table-only", "--out", str(out)]
    assert music.main(both) == 0
    only = out.read_text()
    assert "| RNN-NADE | JSB Chorales | -" in only
    (row,) = [r for r in only.splitlines() if r.startswith("| RNN-NADE | Nottingham |")]
    assert row.endswith("| not released yet |")
    assert not (tmp_path / "runs" / "rnn-nade_Nottingham").exists()
    from rnnrnade_pt.errors import ConfigError

    # a run stopped before its end (no results.json): named unless --with-interrupted, which evaluates its
    # best checkpoint as it stands and writes nothing
    results = tmp_path / "runs" / "rnn-nade_JSB_Chorales" / "results.json"
    kept = results.read_text()
    results.unlink()
    nade = [*argv, "--models", "rnn-nade", "--table-only", "--out", str(out)]
    with pytest.raises(ConfigError, match="no run under .* has results"):
        music.main(nade)
    assert music.main([*nade, "--with-interrupted"]) == 0
    (row,) = [r for r in out.read_text().splitlines() if r.startswith("| RNN-NADE | JSB Chorales |")]
    assert row.endswith("| interrupted |") and f"{json.loads(kept)['test']['loglik_per_frame']:.2f}" in row
    assert 'Stopped "interrupted"' in out.read_text() and not results.exists()
    results.write_text(kept)
    with pytest.raises(ConfigError, match="no run under .* has results"):
        music.main(["--quick", "--table-only", "--run-root", str(tmp_path / "none"), "--out", str(out)])
    # sampling from a binary run writes MIDI files and the piano-roll picture
    pytest.importorskip("pretty_midi", reason="MIDI output needs pretty_midi (the midi extra)")
    from rnnrnade_pt.cli import main as cli
    from rnnrnade_pt.midi import midi_to_piano_roll
    from rnnrnade_pt.npz import read_npz

    samples = tmp_path / "s.npz"
    run = tmp_path / "runs" / "rnn-nade_JSB_Chorales"
    assert cli(["sample", "--run", str(run), "-n", "2", "--steps", "6", "--out", str(samples)]) in (0, None)
    S = read_npz(samples, "samples", ValueError)["X"]  # 6 x 2 x 88
    assert S.shape == (6, 2, 88) and set(np.unique(S)) <= {0.0, 1.0}
    for b in range(2):
        back = midi_to_piano_roll(tmp_path / f"s-{b}.mid")
        np.testing.assert_array_equal(back, S[: len(back), b])
        assert not S[len(back) :, b].any()  # only trailing silence is not in the file
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"
