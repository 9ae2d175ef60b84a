"""Successive halving: the rungs' budgets, who survives, the full-budget runs at the end, and a real search
that a second call replays from disk (resumable) without training anything."""

import math

import pytest
from tiny import tiny

from rnnrnade_pt import halving
from rnnrnade_pt.errors import ConfigError
from rnnrnade_pt.sweep import Job


def test_rung_epochs():
    assert halving.rung_epochs(500, 3, 3) == [56, 167, 500]
    assert halving.rung_epochs(4, 2, 4) == [1, 1, 2, 4]
    assert halving.rung_epochs(7, 3, 1) == [7]


def test_survivors_are_the_best_on_validation(monkeypatch, tmp_path):
    """A fake engine scores each run by its learning rate (the grid point) and records what it was given."""
    calls = []

    def fake_run_jobs(jobs, **kw):
        calls.append(jobs)
        out = []
        for j in jobs:
            if j.cfg.train.lr == 0.5:
                out.append({"name": j.name, "error": "diverged"})  # a failure scores -inf
            else:
                out.append(
                    {
                        "name": j.name,
                        "best_valid_loglik_per_frame": -j.cfg.train.lr,
                        "reused": False,
                        "wall_seconds": 2.0,
                    }
                )
        return out

    monkeypatch.setattr(halving, "run_jobs", fake_run_jobs)
    lrs = [0.5, 0.1, 0.2, 0.3, 0.05, 0.4, 0.6, 0.7, 0.8]
    groups = {
        g: [
            Job(
                f"{g}-lr={lr}",
                tiny(**{"train.lr": lr, "train.epochs": 9, "train.patience": 5}),
                str(tmp_path / f"{g}-lr={lr}"),
            )
            for lr in lrs
        ]
        for g in ("a", "b")
    }
    final, history = halving.successive_halving(groups, eta=3, rungs=3)
    assert [len(c) for c in calls] == [18, 6, 2]  # 9 per group, then ceil(9/3) = 3, then 1
    first = calls[0][0]
    assert first.cfg.train.epochs == 1 and first.cfg.train.patience == 1 and first.run_dir.endswith("@e1")
    assert {j.cfg.train.epochs for j in calls[1]} == {3}
    assert history[0]["kept"]["a"] == ["a-lr=0.05", "a-lr=0.1", "a-lr=0.2"]
    assert history[1]["kept"]["b"] == ["b-lr=0.05"] and history[0]["runs"] == 18
    assert history[0]["run_seconds"] == {"a": 16.0, "b": 16.0}  # 8 runs of 2 s each; the failure took none
    ((job, summary),) = final["a"]
    assert job == groups["a"][4] and summary["best_valid_loglik_per_frame"] == -0.05  # the job's own run
    assert math.isinf(halving._score({"error": "x"}))


def test_bad_arguments():
    job = Job("x", tiny(), "/tmp/x")
    for kw, what in [({"eta": 1}, "eta"), ({"rungs": 0}, "rungs"), ({"eta": True}, "eta")]:
        with pytest.raises(ConfigError, match=what):
            halving.successive_halving({"g": [job]}, **kw)
    with pytest.raises(ConfigError, match="no jobs"):
        halving.successive_halving({"g": []})


def test_real_search_is_resumable(tmp_path):
    jobs = [
        Job(
            f"t-lr={lr}",
            tiny(**{"train.lr": lr, "train.epochs": 2, "train.patience": 0}),
            str(tmp_path / f"t-lr={lr}"),
        )
        for lr in (0.01, 0.03, 0.1)
    ]
    final, history = halving.successive_halving({"g": jobs}, eta=2, rungs=2)
    assert [h["trained"] for h in history] == [3, 2] and len(final["g"]) == 2
    for job, summary in final["g"]:
        assert job in jobs and summary["epochs"] == 2 and "loglik_per_frame" in summary["test"]
    assert all((tmp_path / f"{j.name}@e1" / "results.json").exists() for j in jobs)
    again, history2 = halving.successive_halving({"g": jobs}, eta=2, rungs=2)
    assert [h["trained"] for h in history2] == [0, 0]  # every rung replayed from disk
    assert [s["test"] for _, s in again["g"]] == [s["test"] for _, s in final["g"]]
