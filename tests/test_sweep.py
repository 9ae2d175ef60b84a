"""Sweeps: grid expansion, sweep files, the local engine's reuse and resume, and the same jobs through Dask
distributed giving the same numbers."""

import json
import os

import pytest
from tiny import tiny

from rnnrnade_pt.errors import ConfigError
from rnnrnade_pt.sweep import Job, expand_grid, load_sweep, run_jobs, stored_results


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


@pytest.fixture(scope="module")
def local_results(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    jobs = [
        Job(n, c.override("epochs", 1), str(root / n))
        for n, c in expand_grid(tiny(), {"train.seed": [1, 2]}, "t")
    ]
    jobs.append(Job("broken", tiny(**{"data.dataset": "memory"}), str(root / "broken")))
    return jobs, run_jobs(jobs)


def test_local_engine_trains_evaluates_and_reports_failures(local_results):
    jobs, results = local_results
    assert [r["name"] for r in results] == ["t-seed=1", "t-seed=2", "broken"]
    for r in results[:2]:
        assert r["reused"] is False and r["epochs"] == 1 and "loglik_per_frame" in r["test"]
    assert results[0]["test"]["loglik_per_frame"] != results[1]["test"]["loglik_per_frame"]
    assert "error" in results[2] and "\n" not in results[2]["error"]


def test_finished_runs_are_reused_and_other_configs_refused(local_results):
    jobs, results = local_results
    again = run_jobs(jobs[:1])
    assert again[0]["reused"] is True
    assert again[0]["test"] == results[0]["test"]
    other = Job(jobs[0].name, jobs[0].cfg.override("lr", 0.5), jobs[0].run_dir)
    assert "another config" in run_jobs([other])[0]["error"]
    with pytest.raises(ConfigError, match="unique"):
        run_jobs([jobs[0], jobs[0]])
    with pytest.raises(ConfigError, match="engine"):
        run_jobs(jobs, engine="ray")


def test_dask_engine_gives_the_local_numbers(local_results, tmp_path):
    pytest.importorskip("distributed")
    jobs, results = local_results
    moved = [Job(j.name, j.cfg, str(tmp_path / j.name)) for j in jobs[:2]]
    seen = []
    out = run_jobs(moved, engine="dask", workers=2, progress=seen.append)
    assert sorted(r["name"] for r in seen) == ["t-seed=1", "t-seed=2"]
    for a, b in zip(out, results[:2], strict=True):
        assert a["name"] == b["name"] and a["reused"] is False
        assert a["test"]["loglik_per_frame"] == pytest.approx(b["test"]["loglik_per_frame"], rel=1e-12)


def test_expected_failures_are_rows_not_cached_and_bugs_stop_the_sweep(tmp_path, monkeypatch):
    import rnnrnade_pt.runs as runs

    bad = Job("bad", tiny(**{"data.dataset": "npz", "data.train": str(tmp_path / "none.npz")}),
              str(tmp_path / "bad"))  # fmt: skip
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
    job = Job("rnn", cfg.with_overrides([("train.pretrained_rnade", str(linked / "rnade" / "best.npz"))]),
              str(linked / "rnn"))  # fmt: skip
    assert stored_results(job) == {"test": {"loglik_per_frame": 1.5}, "name": "rnn", "reused": True}
    other = tmp_path / "other.npz"
    other.write_bytes(b"")
    for key, value in (("train.pretrained_rnade", str(other)), ("train.lr", 0.5)):
        assert stored_results(job._replace(cfg=cfg.with_overrides([(key, value)]))) is None
