"""Preemption soak: a tiny training run killed again and again, SIGKILL and SIGTERM at random
moments, resumed after every kill, must end with the parameters, optimiser state and metrics of the same run
never interrupted, bit for bit.

    python experiments/soak.py                      # 8 kills, checkpoint every 0.5 s
    python experiments/soak.py --kills 20 --checkpoint-seconds 0 --out soak.json

Every session is a real ``rnnrnade train`` process (``--resume`` after the first). A kill comes at a random
moment after the session has trained at least one step; SIGKILL and SIGTERM alternate in a random order.
The uninterrupted reference is the same config trained in this process. Reported per kill: the signal, the
exit status, the step of ``last.npz`` before and after the kill, and, for SIGKILL, the training time lost
(the kill's moment minus the last write of ``last.npz``; at most ``checkpoint_seconds`` plus one step) and
the steps it stands for (at the reference run's steps per second). A SIGTERM loses nothing: the process
finishes its step, saves, and exits with status 143.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TINY = {
    "model": {"model": "rnn-rnade", "D": 9, "H": 4, "K": 2, "R": 3},
    "train": {"epochs": 100, "batch_size": 4, "window": 10, "lr": 0.01, "seed": 3},
    "data": {
        "dataset": "balls",
        "n_train": 10,
        "n_valid": 3,
        "n_test": 3,
        "length": 20,
        "res": 3,
        "jitter": 0.05,
    },
}


def _step(path: str) -> int:
    """The step count of a checkpoint (-1 when absent or unreadable)."""
    from rnnrnade_pt.checkpoint import load_checkpoint
    from rnnrnade_pt.errors import ParamsError

    try:
        return int(load_checkpoint(path)["state/step"])
    except (ParamsError, KeyError):
        return -1


def _state(path: str) -> dict:
    """What must agree bit for bit: parameters, optimiser state and the run state's position."""
    from rnnrnade_pt.checkpoint import load_checkpoint

    ck = load_checkpoint(path)
    keep = ("state/epoch", "state/batch", "state/step", "state/best_valid", "state/epoch_sums")
    return {k: v for k, v in ck.items() if "/" not in k or k.startswith(("opt/", "rng/")) or k in keep}


def _metrics(run: str) -> list:
    with open(os.path.join(run, "metrics.csv"), encoding="utf-8") as fh:
        return [line.rsplit(",", 1)[0] for line in fh]  # every column but the seconds


def soak(
    workdir: str,
    kills: int = 8,
    checkpoint_seconds: float = 0.5,
    seed: int = 0,
    epochs: int = 100,
    timeout: float = 300.0,
) -> dict:
    """Run the soak in ``workdir``; returns the figures (see the module docstring)."""
    from rnnrnade_pt.config import RunConfig
    from rnnrnade_pt.data.datasets import load_dataset
    from rnnrnade_pt.train import Trainer

    rng = np.random.default_rng(seed)
    cfg = RunConfig.from_dict(TINY).with_overrides(
        [("train.epochs", epochs), ("train.checkpoint_seconds", checkpoint_seconds)]
    )
    cfg_path = os.path.join(workdir, "config.json")
    with open(cfg_path, "w", encoding="utf-8") as fh:
        fh.write(cfg.to_json())
    reference = os.path.join(workdir, "reference")
    ref = Trainer(cfg, reference, load_dataset(cfg.data))
    ref.fit()
    rate = ref.state.step / max(ref.state.seconds, 1e-9)  # training steps per second

    run = os.path.join(workdir, "killed")
    last = os.path.join(run, "last.npz")
    path = os.pathsep.join(filter(None, [os.path.dirname(HERE), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    base = [sys.executable, "-m", "rnnrnade_pt", "train"]
    signals = [signal.SIGKILL, signal.SIGTERM] * (kills // 2) + [signal.SIGKILL] * (kills % 2)
    rng.shuffle(signals)
    records, sessions, start = [], 0, time.time()
    for i in range(kills + 1):  # (the checks below are the soak's results, not input validation)
        args = base + (["--config", cfg_path, "--out", run] if i == 0 else ["--resume", run])
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        sessions += 1
        if i == kills:  # the last session runs to the end
            _, err = proc.communicate(timeout=timeout)
            if proc.returncode != 0:
                raise RuntimeError(f"the final session failed ({proc.returncode}): {err[-2000:]}")
            break
        before = _step(last)
        deadline = time.time() + timeout
        while _step(last) <= before and proc.poll() is None and time.time() < deadline:
            time.sleep(0.02)  # until this session has trained
        time.sleep(float(rng.uniform(0.0, 1.0)))
        if proc.poll() is not None:  # the run ended first: make it longer (--epochs) for more kills
            _, err = proc.communicate()
            if proc.returncode != 0:
                raise RuntimeError(f"session {i} failed ({proc.returncode}): {err[-2000:]}")
            break
        sig = signals[i]
        at_kill, saved_at = _step(last), os.path.getmtime(last)
        kill_time = time.time()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=timeout)
        rec = {
            "signal": signal.Signals(sig).name,
            "status": proc.returncode,
            "step_seen_before": at_kill,
            "step_after": _step(last),
        }
        if sig == signal.SIGKILL:
            rec["seconds_lost"] = round(kill_time - saved_at, 3)
            rec["steps_lost_estimate"] = round(rec["seconds_lost"] * rate, 1)
        else:
            rec["saved_message"] = "continue with: rnnrnade train --resume" in err
        records.append(rec)
    same_state = _state(last).keys() == _state(os.path.join(reference, "last.npz")).keys() and all(
        np.array_equal(a, _state(os.path.join(reference, "last.npz"))[k]) for k, a in _state(last).items()
    )
    same_best = all(
        np.array_equal(v, _state(os.path.join(reference, "best.npz"))[k])
        for k, v in _state(os.path.join(run, "best.npz")).items()
    )
    lost = [r["seconds_lost"] for r in records if "seconds_lost" in r]
    return {
        "kills": len(records),
        "sigkill": sum(r["signal"] == "SIGKILL" for r in records),
        "sigterm": sum(r["signal"] == "SIGTERM" for r in records),
        "sigterm_exit_143_and_saved": all(
            r["status"] == 143 and r["saved_message"] for r in records if r["signal"] == "SIGTERM"
        ),
        "sigkill_seconds_lost_max": max(lost, default=0.0),
        "sigkill_steps_lost_estimate_max": round(max(lost, default=0.0) * rate, 1),
        "steps_per_second": round(rate, 1),
        "final_step": _step(last),
        "checkpoint_seconds": checkpoint_seconds,
        "sessions": sessions,
        "resumed_equals_uninterrupted": bool(same_state and same_best),
        "metrics_equal": _metrics(run) == _metrics(reference),
        "wall_seconds": round(time.time() - start, 1),
        "records": records,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--checkpoint-seconds", type=float, default=0.5)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        res = soak(tmp, args.kills, args.checkpoint_seconds, args.seed, args.epochs)
    print(json.dumps(res, indent=2))
    if args.out:
        from rnnrnade_pt.npz import atomic_write_text

        atomic_write_text(args.out, json.dumps(res, indent=2))
    ok = res["resumed_equals_uninterrupted"] and res["metrics_equal"] and res["sigterm_exit_143_and_saved"]
    return 0 if ok else 1


if __name__ == "__main__":
    from rnnrnade_pt.cli import run_reporting_errors

    sys.exit(run_reporting_errors("soak.py", main))
