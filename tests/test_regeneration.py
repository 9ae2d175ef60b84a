"""A table regenerated from scratch records its command's wall time (:mod:`rnnrnade_pt.regeneration`)."""

import json
import os
import time

import pytest

from rnnrnade_pt import regeneration


def _manifests(n=2, **extra):
    return [{"cell": f"c{i}", "checkpoint_sha256": f"h{i}", "resumed_sessions": 0, **extra} for i in range(n)]


def test_a_command_that_trained_every_released_run_records_its_wall_time(tmp_path):
    clock = regeneration.Stopwatch()
    clock.start -= 90.0  # the command started a minute and a half ago
    summaries = [{"name": "c0", "reused": False}, {"name": "c1", "reused": False}]
    rec = regeneration.record(str(tmp_path), clock, summaries, _manifests())
    assert rec["runs"] == 2 and 90.0 <= rec["wall_seconds"] < 120.0 and rec["timed"] == "by the command"
    assert json.loads((tmp_path / regeneration.FILE).read_text()) == rec
    text = regeneration.note(str(tmp_path), _manifests())
    assert text.startswith("Regenerated from scratch by `") and "2 runs in 1 min 3" in text


@pytest.mark.parametrize(
    "summaries, manifests",
    [
        ([{"name": "c0", "reused": True}, {"name": "c1", "reused": False}], _manifests()),  # one reused
        ([{"name": "c0", "reused": False}, {"name": "c1", "run": "r", "error": "x"}], _manifests()),  # failed
        ([{"name": "c0", "reused": False}], _manifests()),  # c1 released by another command
        ([{"name": "c0"}, {"name": "c1"}], _manifests(resumed_sessions=1)),  # resumed from an earlier session
    ],
)
def test_no_record_unless_every_released_run_was_trained_from_scratch_here(tmp_path, summaries, manifests):
    assert regeneration.record(str(tmp_path), regeneration.Stopwatch(), summaries, manifests) is None
    assert not (tmp_path / regeneration.FILE).exists() and regeneration.note(str(tmp_path), manifests) == ""


def test_the_note_goes_when_a_cell_is_retrained_or_the_record_is_unreadable(tmp_path):
    summaries = [{"name": "c0", "reused": False}, {"name": "c1", "reused": False}]
    regeneration.record(str(tmp_path), regeneration.Stopwatch(), summaries, _manifests())
    retrained = _manifests()
    retrained[1]["checkpoint_sha256"] = "new"
    assert regeneration.note(str(tmp_path), retrained) == ""
    (tmp_path / regeneration.FILE).write_text("{not json")
    assert regeneration.note(str(tmp_path), _manifests()) == ""


def _run_dir(root, name, command, date, finished):
    d = root / name
    d.mkdir()
    prov = {"command": command, "commit": "0" * 40, "dirty": False, "machine": "CPU, 2 cores", "date": date}
    (d / "provenance.json").write_text(json.dumps(prov))
    (d / "results.json").write_text("{}")
    os.utime(d / "results.json", (finished, finished))
    return str(d)


def test_a_record_from_the_runs_of_a_command_that_did_not_time_itself(tmp_path):
    start = time.mktime(time.strptime("2026-12-07 21:00:00", "%Y-%m-%d %H:%M:%S")) - time.timezone
    runs = [
        _run_dir(tmp_path, "c0", "python x.py", "2026-12-07T21:00:00+0000", start + 600),
        _run_dir(tmp_path, "c1", "python x.py", "2026-12-07T21:05:00+0000", start + 3000),
    ]
    rec = regeneration.from_runs(str(tmp_path / "table"), runs, _manifests())
    assert rec["wall_seconds"] == 3000.0 and rec["command"] == "python x.py" and "provenance" in rec["timed"]
    other = _run_dir(tmp_path, "c2", "python y.py", "2026-12-07T21:00:00+0000", start + 10)
    with pytest.raises(ValueError, match="2 commands"):
        regeneration.from_runs(str(tmp_path / "table"), [*runs, other], _manifests(3))
    with pytest.raises(ValueError, match="resumed"):
        regeneration.from_runs(str(tmp_path / "table"), runs, _manifests(resumed_sessions=1))
