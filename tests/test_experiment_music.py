"""The music table script (experiments/music.py): its quick mode end to end, through its ``main``. The
library it calls: tests/test_music_runs.py and tests/test_music_report.py."""

import importlib.util
import json
import os

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


def test_quick_mode_end_to_end(music, tmp_path, shared_data):
    if not (shared_data / "polyphonic" / "JSB_Chorales.mat").is_file():
        pytest.skip(f"{shared_data}/polyphonic/JSB_Chorales.mat is absent")
    out = tmp_path / "table.md"
    argv = [
        "--quick",
        "--datasets",
        "JSB_Chorales",
        "--run-root",
        str(tmp_path / "runs"),
        "--data-root",
        str(shared_data),
        "--time-budget",
        "120",
    ]
    assert music.main(argv + ["--out", str(out)]) == 0
    text = out.read_text()
    for model in ("RNN-RBM", "RNN-NADE"):
        (row,) = [r for r in text.splitlines() if r.startswith(f"| {model} | JSB Chorales |")]
        cells = [c.strip() for c in row.strip("|").split("|")]
        ll, se = (cells[2].split(" ± ") + [None])[:2]
        assert float(ll) < 0 and cells[6].endswith("%") and int(cells[7]) > 0 and cells[8] == "1", row
        assert (se is not None and float(se) > 0) == (model == "RNN-RBM"), row  # AIS: its standard error
        assert (cells[3] != "—") == (model == "RNN-RBM"), row  # RAISE: the RNN-RBM's lower estimate
    # the RNN-RBM's test estimates (quick: 10 chains x 10 temperatures, float32) are cached beside its
    # checkpoint
    cached = {
        d: tmp_path / "runs" / "rnn-rbm_JSB_Chorales" / "test_ais" / f"{d}-10x10-float32.json"
        for d in ("forward", "reverse")
    }
    forward = json.loads(cached["forward"].read_text())
    assert forward["ais_betas"] == 10 and forward["ais_dtype"] == "float32"
    assert f"{forward['loglik_per_frame']:.2f} ± " in text
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
