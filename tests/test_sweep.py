"""Sweeps: grid expansion, sweep files, the local engine's reuse and resume, follow-up tasks and progress
lines, and the same jobs and tasks through Dask distributed giving the same numbers."""

import json
import logging
import operator
import os

import pytest
from tiny import tiny

from rnnrnade_pt.errors import ConfigError
from rnnrnade_pt.npz import read_json
from rnnrnade_pt.sweep import (
    Job,
    Progress,
    Task,
    expand_grid,
    format_progress,
    load_sweep,
    run_job,
    run_jobs,
    run_tasks,
    stored_results,
)
from rnnrnade_pt.sweep_progress import Tally, reporter


def test_expand_grid_is_the_cartesian_product():
    grid = expand_grid(tiny(), {"model.K": [1, 2], "train.lr": [0.01, 0.001], "conditioned": [["mu"]]}, "g")
    names = [n for n, _ in grid]
    assert names == [
        "g-K=1-lr=0.01-conditioned=mu",
        "g-K=1-lr=0.001-conditioned=mu",
        "g-K=2-lr=0.01-conditioned=mu",
        "g-K=2-lr=0.001-conditioned=mu",
    ]
    assert [(c.model.K, c.train.lr, c.model.conditioned) for _, c in grid][1] == (1, 0.001, ("mu",))
    assert expand_grid(tiny(), {}, "g")[0][0] == "g"


@pytest.mark.parametrize(
    "grid, message",
    [
        ({"model.K": []}, "non-empty list"),
        ({"model.K": 3}, "non-empty list"),
        ({"model.nope": [1]}, "unknown config key"),
        ({"model.K": [0]}, "positive integer"),
    ],
)
def test_bad_grids_fail_before_training(grid, message):
    with pytest.raises(ConfigError, match=message):
        expand_grid(tiny(), grid, "g")


def test_load_sweep_resolves_the_base_beside_it(tmp_path):
    (tmp_path / "base.json").write_text(tiny().to_json())
    (tmp_path / "s.json").write_text(json.dumps({"base": "base.json", "grid": {"train.seed": [1, 2]}}))
    jobs = load_sweep(tmp_path / "s.json", tmp_path / "runs")
    assert [j.name for j in jobs] == ["s-seed=1", "s-seed=2"]
    assert jobs[1].cfg.train.seed == 2 and jobs[1].run_dir == str(tmp_path / "runs" / "s-seed=2")
    (tmp_path / "bad.json").write_text(json.dumps({"base": "missing.json"}))
    with pytest.raises(ConfigError, match="does not exist"):
        load_sweep(tmp_path / "bad.json", tmp_path)
    (tmp_path / "typo.json").write_text(json.dumps({"base": "base.json", "grids": {}}))
    with pytest.raises(ConfigError, match="unknown key"):
        load_sweep(tmp_path / "typo.json", tmp_path)


def follow_ups(missing: str) -> list[Task]:
    """Three follow-ups of the fixture's jobs: one that works, one that fails as this package's errors do, one
    after the broken job."""
    return [
        Task("sum", "t-seed=1", operator.add, (2, 3)),
        Task("missing", "t-seed=2", read_json, (missing,), {"what": "task input"}),
        Task("after-broken", "broken", operator.add, (1, 1)),
    ]


@pytest.fixture(scope="module")
def local_results(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    jobs = [
        Job(n, c.override("epochs", 1), str(root / n))
        for n, c in expand_grid(tiny(), {"train.seed": [1, 2]}, "t")
    ]
    jobs.append(Job("broken", tiny(**{"data.dataset": "memory"}), str(root / "broken")))
    lines = []
    out = run_tasks(jobs, follow_ups(str(root / "none.json")), progress=lambda r, p: lines.append(p))
    return jobs, out.summaries, out.tasks, lines


def test_local_engine_trains_evaluates_and_reports_failures(local_results):
    jobs, results, _, _ = local_results
    assert [r["name"] for r in results] == ["t-seed=1", "t-seed=2", "broken"]
    for r in results[:2]:
        assert r["reused"] is False and r["epochs"] == 1 and "loglik_per_frame" in r["test"]
    assert results[0]["test"]["loglik_per_frame"] != results[1]["test"]["loglik_per_frame"]
    assert "error" in results[2] and "\n" not in results[2]["error"]


def test_finished_runs_are_reused_and_other_configs_refused(local_results):
    jobs, results, _, _ = local_results
    again = run_jobs(jobs[:1])
    assert again[0]["reused"] is True
    assert again[0]["test"] == results[0]["test"]
    other = Job(jobs[0].name, jobs[0].cfg.override("lr", 0.5), jobs[0].run_dir)
    assert "another config" in run_jobs([other])[0]["error"]
    with pytest.raises(ConfigError, match="unique"):
        run_jobs([jobs[0], jobs[0]])
    with pytest.raises(ConfigError, match="engine"):
        run_jobs(jobs, engine="ray")


def test_a_forced_finished_run_is_retrained_from_an_empty_directory(tmp_path):
    """``force`` on a finished run of the same config trains it again from scratch: the same numbers (same
    seed), and a provenance of the new run alone, not a "resumed" record on the old one's."""
    job = Job("t", tiny().override("epochs", 1), str(tmp_path / "t"))
    first = run_jobs([job])[0]
    (tmp_path / "t" / "stale.txt").write_text("from the first run")
    again = run_jobs([job], force=True)[0]
    assert again["reused"] is False and again["test"] == first["test"]
    assert "resumed" not in json.loads((tmp_path / "t" / "provenance.json").read_text())
    assert not (tmp_path / "t" / "stale.txt").exists()


def check_tasks(records: dict, missing: str) -> None:
    assert list(records) == ["sum", "missing", "after-broken"]
    assert records["sum"]["result"] == 5 and records["sum"]["after"] == "t-seed=1"
    assert records["missing"]["error"] == f"task input {missing} does not exist"
    assert records["after-broken"]["error"].startswith("not run: broken failed (")
    assert all("\n" not in r.get("error", "") for r in records.values())


def test_local_tasks_follow_their_jobs_and_count_in_the_progress(local_results, tmp_path):
    jobs, results, records, lines = local_results
    check_tasks(records, str(jobs[0].run_dir).rsplit(os.sep, 1)[0] + os.sep + "none.json")
    assert [p.last for p in lines] == ["t-seed=1", "sum", "t-seed=2", "missing", "broken", "after-broken"]
    counts = [(p.done, p.running, p.left, p.failed) for p in lines]
    assert counts == [(1, 1, 4, 0), (2, 1, 3, 0), (3, 1, 2, 0), (4, 1, 1, 1), (5, 1, 0, 2), (6, 0, 0, 3)]
    assert lines[0].remaining is None  # no task has finished yet
    assert lines[1].remaining is not None and lines[-1].remaining == 0
    assert all(b.elapsed >= a.elapsed for a, b in zip(lines, lines[1:], strict=False))
    with pytest.raises(ConfigError, match="not a job of this sweep"):
        run_tasks(jobs, [Task("x", "nope", operator.add, (1, 2))])
    with pytest.raises(ConfigError, match="unique"):
        run_tasks(jobs, [Task(jobs[0].name, jobs[0].name, operator.add, (1, 2))])


def test_the_estimate_waits_for_a_trained_job_and_a_task():
    tally = Tally([Job(n, None, "") for n in "abc"], [Task("t", "a", operator.add)])
    p = tally.finish({"name": "a", "wall_seconds": 10.0, "reused": False}, 2)
    assert p[:5] == ("a", 1, 2, 1, 0) and p.remaining is None  # no task has finished yet
    p = tally.finish({"name": "t", "after": "a", "result": 3, "seconds": 4.0}, 2)
    assert p[:5] == ("t", 2, 2, 0, 0) and p.remaining == pytest.approx(2 * 10.0 / 2)
    p = tally.finish({"name": "b", "wall_seconds": 99.0, "reused": True}, 2)  # reused: no time
    assert p.remaining == pytest.approx(10.0 / 2)
    p = tally.finish({"name": "c", "run": "", "error": "bad"}, 2)
    assert (p.done, p.running, p.left, p.failed, p.remaining) == (4, 0, 0, 1, 0)
    before = Tally([Job("a", None, "")]).finish({"name": "a", "error": "bad"}, 1)
    assert before.remaining == 0


def test_the_progress_line_and_its_callers(caplog):
    p = Progress("mocap-K=2", 3, 2, 7, 1, 250.0, 750.4)
    assert format_progress(p) == (
        "mocap-K=2 finished: 3/12 done (1 failed), 2 running, 7 left; 4 min 10 s elapsed, "
        "about 12 min 30 s left"
    )
    unknown = format_progress(p._replace(failed=0, remaining=None))
    assert unknown.endswith("3/12 done, 2 running, 7 left; 4 min 10 s elapsed, time left unknown")
    assert (
        format_progress(Progress("x", 2, 0, 0, 0, 42.2, 0.0))
        == "x finished: 2/2 done, 0 running, 0 left; 42 s elapsed"
    )
    one, two = [], []
    reporter(one.append)({"name": "a"}, p)
    reporter(lambda record, progress: two.append((record, progress)))({"name": "a"}, p)
    assert one == [{"name": "a"}] and two == [({"name": "a"}, p)]
    reporter(None)({"name": "a"}, p)
    with caplog.at_level(logging.INFO, logger="rnnrnade_pt"):
        reporter(True)({"name": "a", "error": "bad"}, p)
    assert caplog.messages == [format_progress(p) + " (bad)"]


def test_a_task_that_kills_its_workers_is_an_error_row(local_results, monkeypatch):
    pytest.importorskip("distributed")
    import rnnrnade_pt.sweep as sweep

    monkeypatch.setattr(sweep, "ALLOWED_FAILURES", 0)  # the first death is the last
    jobs = local_results[0][:1]  # trained: reused
    out = run_tasks(jobs, [Task("exit", jobs[0].name, os._exit, (1,))], engine="dask", workers=1)
    assert out.summaries[0]["reused"] is True
    assert out.tasks["exit"] == {
        "name": "exit",
        "after": jobs[0].name,
        "error": "its worker died every time it ran, 1 time (distributed.scheduler.allowed-failures)",
    }


def test_dask_engine_gives_the_local_numbers(local_results, tmp_path):
    pytest.importorskip("distributed")
    jobs, results, _, _ = local_results
    moved = [Job(j.name, j.cfg, str(tmp_path / j.name)) for j in jobs]
    seen, lines = [], []
    out = run_jobs(moved[:2], engine="dask", workers=2, progress=seen.append)
    assert sorted(r["name"] for r in seen) == ["t-seed=1", "t-seed=2"]
    for a, b in zip(out, results[:2], strict=True):
        assert a["name"] == b["name"] and a["reused"] is False
        assert a["test"]["loglik_per_frame"] == pytest.approx(b["test"]["loglik_per_frame"], rel=1e-12)
    missing = str(tmp_path / "none.json")
    both = run_tasks(
        moved, follow_ups(missing), engine="dask", workers=2, progress=lambda r, p: lines.append(p)
    )
    assert [s["name"] for s in both.summaries] == [j.name for j in jobs]
    assert [s.get("reused") for s in both.summaries] == [True, True, None] and "error" in both.summaries[2]
    check_tasks(both.tasks, missing)
    assert sorted(p.last for p in lines) == sorted([j.name for j in jobs] + list(both.tasks))
    assert [p.done for p in lines] == list(range(1, 7)) and lines[-1][1:5] == (6, 0, 0, 3)
    # the finished runs are read by the caller and counted at once, before anything is sent to a worker
    # (before the local cluster has even started: a worker would take seconds to answer)
    assert {p.last for p in lines[:2]} == {"t-seed=1", "t-seed=2"} and lines[1].elapsed < 0.5


def test_expected_failures_are_rows_not_cached_and_bugs_stop_the_sweep(tmp_path, monkeypatch):
    import rnnrnade_pt.runs as runs

    bad = Job(
        "bad",
        tiny(**{"data.dataset": "npz", "data.train": str(tmp_path / "none.npz")}),
        str(tmp_path / "bad"),
    )
    row = run_jobs([bad])[0]
    assert "does not exist" in row["error"] and not os.path.exists(os.path.join(bad.run_dir, "results.json"))

    def bug(*a, **k):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(runs, "train_and_evaluate", bug)
    good = Job("good", tiny(), str(tmp_path / "good"))
    with pytest.raises(ZeroDivisionError, match="a bug"):
        run_jobs([good, bad])


def test_stored_results_follow_a_run_root_of_links(tmp_path):
    """A run's results count for its config, its pretrained RNADE's path compared by the file it names:
    a table's run root of symbolic links to runs trained under other roots finds them."""
    trained, linked = tmp_path / "trained", tmp_path / "linked"
    (trained / "rnade").mkdir(parents=True)
    (trained / "rnade" / "best.npz").write_bytes(b"")
    cfg = tiny(**{"train.pretrained_rnade": str(trained / "rnade" / "best.npz")})
    run = trained / "rnn"
    run.mkdir()
    (run / "config.json").write_text(cfg.to_json())
    (run / "results.json").write_text(json.dumps({"test": {"loglik_per_frame": 1.5}}))
    linked.mkdir()
    for name in ("rnade", "rnn"):
        os.symlink(trained / name, linked / name)
    job = Job(
        "rnn",
        cfg.with_overrides([("train.pretrained_rnade", str(linked / "rnade" / "best.npz"))]),
        str(linked / "rnn"),
    )
    assert stored_results(job) == {"test": {"loglik_per_frame": 1.5}, "name": "rnn", "reused": True}
    other = tmp_path / "other.npz"
    other.write_bytes(b"")
    for key, value in (("train.pretrained_rnade", str(other)), ("train.lr", 0.5)):
        assert stored_results(job._replace(cfg=cfg.with_overrides([(key, value)]))) is None


def test_a_run_is_dated_when_it_starts_not_when_its_sweep_did(tmp_path):
    """A queued run's provenance keeps the sweep's command and commit but the date of its own start (the
    release's ``trained``), so that a table's runs say when each ran."""
    from rnnrnade_pt.provenance import current

    prov = {**current(), "date": "2000-01-01T00:00:00+0000"}  # as if the sweep had started long ago
    job = Job("t", tiny().override("epochs", 1), str(tmp_path / "t"))
    assert "error" not in run_job(job.name, job.cfg.to_json(), job.run_dir, provenance=prov)
    recorded = json.loads((tmp_path / "t" / "provenance.json").read_text())
    assert recorded["command"] == prov["command"] and recorded["commit"] == prov["commit"]
    assert recorded["date"] > "2026"
