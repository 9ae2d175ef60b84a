"""A Dask worker killed (SIGKILL) while it trains a run: the table still completes, the run resumed on another
worker from its ``last.npz``, its follow-up task ran, nothing errored."""

import operator
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from tiny import tiny

from rnnrnade_pt.metrics import read_metrics
from rnnrnade_pt.provenance import read
from rnnrnade_pt.sweep import Job, Task, run_tasks


def training_pid(run_dir: str, sweep, timeout: float = 240.0) -> tuple[int, dict]:
    """The pid of the process training in ``run_dir`` (a descendant of this process) once two epochs are in
    its ``metrics.csv``, so that its ``last.npz`` is at least from the first epoch's end; and that epoch's
    row."""
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert not sweep.done(), sweep.result()
        lock = os.path.join(run_dir, "train.lock")
        rows = os.path.exists(os.path.join(run_dir, "metrics.csv")) and read_metrics(run_dir)
        if rows and len(rows) >= 2 and os.path.exists(lock):
            pid = int(open(lock).read().strip())
            assert pid in {p.pid for p in psutil.Process().children(recursive=True)}  # a worker we started
            return pid, rows[0]
        time.sleep(0.05)
    raise AssertionError(f"{run_dir} did not start training within {timeout} s")


def test_a_killed_worker_costs_its_checkpoint_interval_not_the_table(tmp_path):
    pytest.importorskip("distributed")
    cfg = tiny(**{"train.checkpoint_seconds": 0.1, "train.epochs": 1})
    long = cfg.with_overrides([("train.epochs", 20), ("data.n_train", 100)])  # epochs of 0.1-0.3 s
    jobs = [Job("long", long, str(tmp_path / "long")), Job("short", cfg, str(tmp_path / "short"))]
    tasks = [Task("sum", "long", operator.add, (2, 3))]
    with ThreadPoolExecutor(1) as pool:
        sweep = pool.submit(run_tasks, jobs, tasks, engine="dask", workers=2)
        pid, first = training_pid(jobs[0].run_dir, sweep)
        os.kill(pid, signal.SIGKILL)
        out = sweep.result(timeout=300)
    assert [s["name"] for s in out.summaries] == ["long", "short"]
    assert all("error" not in s and s["epochs"] == e for s, e in zip(out.summaries, (20, 1), strict=True))
    assert out.tasks["sum"]["result"] == 5
    summary = out.summaries[0]
    assert summary["reused"] is False and "loglik_per_frame" in summary["test"]
    assert len(read(jobs[0].run_dir)["resumed"]) == 1  # its second session, on another worker process
    rows = read_metrics(jobs[0].run_dir)
    assert [int(r["epoch"]) for r in rows] == list(range(1, 21))
    assert rows[0] == first  # the first session's epoch, kept: resumed from last.npz, not started again
