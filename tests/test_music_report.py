"""The music table (:mod:`rnnrnade_pt.music_report`): the rows in the paper's order beside the published
values, a failed run's row, and the RNN-RBM's test-time AIS and RAISE estimates in place of its run's own."""

import pathlib
import re

from rnnrnade_pt import music_report, music_runs

ROOT = pathlib.Path(__file__).parents[1]
CONFIG_DIR = ROOT / "experiments" / "configs" / "music"
PUBLISHED = music_report.published(ROOT / "experiments" / "published.json")


def _summary(name, ll, acc, **kw):
    test = {"loglik_per_frame": ll, "frame_accuracy": acc, "frames": 4725}
    return {
        "name": name,
        "model": name.split("_")[0],
        "stopped": "time_budget",
        "epochs": 7,
        "wall_seconds": 3725.0,
        "n_params": 123456,
        "test": test,
        **kw,
    }


def test_table_rows_in_the_papers_order_beside_the_published_values(tmp_path):
    summaries = [
        _summary("rnn-nade_JSB_Chorales", -8.123, 0.2512),
        {"name": "rnn-rbm_Nottingham", "error": "DataError: no such file"},
        _summary("rnn-rbm_Piano_midi", -9.5, 0.1),
    ]
    summaries[2]["test"]["loglik_standard_error"] = 0.0123
    jobs = music_runs.make_jobs(tmp_path, ["rnn-rbm"], ["Piano_midi"], config_dir=CONFIG_DIR)
    text = music_report.music_table(summaries, jobs, published=PUBLISHED)
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
    brackets = {
        "rnn-rbm_Piano_midi": {
            "forward": {"loglik_per_frame": -9.7, "loglik_standard_error": 0.01, **est},
            "reverse": {"loglik_per_frame": -9.9, "loglik_standard_error": 0.02, **est},
        }
    }
    text = music_report.music_table(summaries, jobs, brackets, published=PUBLISHED)
    (row,) = [line for line in text.splitlines() if line.startswith("| RNN-RBM | Piano")]
    assert row.startswith("| RNN-RBM | Piano-midi.de | -9.70 ± 0.010 | -9.90 ± 0.020 | -7.09 | -2.61 |")
    assert "on the test set AIS and RAISE with 10 chains and 1000 temperatures per frame" in text
    # not yet estimated at test-time settings: the run's own estimate, marked
    text = music_report.music_table(summaries, jobs, {"rnn-rbm_Piano_midi": {}}, published=PUBLISHED)
    (row,) = [line for line in text.splitlines() if line.startswith("| RNN-RBM | Piano")]
    assert row.startswith("| RNN-RBM | Piano-midi.de | -9.50 ± 0.012 ‡ | — | -7.09 | -2.41 |")
    assert "‡ Not yet estimated at test-time settings" in text


def test_published_values_are_the_files_music_rows():
    assert PUBLISHED["rnn-rbm", "Piano_midi"] == -7.09 and PUBLISHED["rnn-nade", "JSB_Chorales"] == -5.56
    assert set(PUBLISHED) == {(m, d) for m in music_runs.MODELS for d in music_runs.DATASETS}
