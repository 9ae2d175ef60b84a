"""A table regenerated from scratch: how long its one command took, beside what its runs cost.

A results table's released models say what each run cost (``wall_seconds`` in each manifest); what a user
waits for when regenerating the whole table with ``--engine dask --workers N`` is the command's own wall
time, which no run records. When an experiment script trains every run of its table in one invocation (none
reused from an earlier run directory, none resumed), it writes ``regeneration.json`` beside the table's
releases (:func:`record`): the command, commit, machine, start date, wall time, and the runs' checkpoints.
:func:`note` turns it into the sentence under the table, as long as the released models are still those runs
(a cell retrained later makes the record stale, and the sentence is left out).

:func:`from_runs` makes the same record from a finished run root whose command did not time itself (its
start: the earliest run's provenance date; its end: the latest ``results.json``), saying so in the record.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence

from .npz import atomic_write_text
from .tables import fmt_duration

__all__ = ["FILE", "Stopwatch", "from_runs", "note", "paragraph", "record"]

FILE = "regeneration.json"


class Stopwatch:
    """The command's provenance and start, taken before its first run (:func:`record` reads them)."""

    def __init__(self):
        from .provenance import current

        self.provenance = current()
        self.start = time.time()


def _cells(manifests: Sequence[dict]) -> dict:
    return {m["cell"]: m.get("checkpoint_sha256") for m in manifests}


def _write(table_dir: str, rec: dict) -> dict:
    os.makedirs(table_dir, exist_ok=True)
    atomic_write_text(os.path.join(table_dir, FILE), json.dumps(rec, indent=2) + "\n")
    return rec


def record(
    table_dir: str, clock: Stopwatch, summaries: Sequence[dict], manifests: Sequence[dict]
) -> dict | None:
    """Write ``table_dir/regeneration.json`` when this command trained every released run of the table
    (``summaries``: the sweep's, none reused or failed; ``manifests``: the table's releases, none resumed);
    returns the record, or None (nothing written) otherwise."""
    if not summaries or not manifests or any(s.get("reused") or "error" in s for s in summaries):
        return None
    trained = {s["name"] for s in summaries}
    if any(m["cell"] not in trained or m.get("resumed_sessions") for m in manifests):
        return None
    prov = clock.provenance
    rec = {
        "command": prov["command"],
        "commit": prov["commit"],
        "dirty": prov["dirty"],
        "machine": prov["machine"],
        "date": prov["date"],
        "wall_seconds": round(time.time() - clock.start, 1),
        "timed": "by the command",
        "runs": len(manifests),
        "cells": _cells(manifests),
    }
    return _write(table_dir, rec)


def from_runs(table_dir: str, run_dirs: Sequence[str], manifests: Sequence[dict]) -> dict:
    """:func:`record` for runs already trained by one command that did not time itself: from the earliest
    run's provenance date (when the command handed out its first runs) to the latest ``results.json``
    (when the last run finished evaluating). Raises ValueError when the runs were not all made by one
    command, or were resumed."""
    import datetime

    from .provenance import read

    provs = [read(d) for d in run_dirs]
    if not provs or any(p is None for p in provs):
        raise ValueError("from_runs: every run needs its provenance.json")
    commands = {p["command"] for p in provs}
    if len(commands) != 1:
        raise ValueError(f"from_runs: the runs come from {len(commands)} commands, not one")
    if any(m.get("resumed_sessions") for m in manifests):
        raise ValueError("from_runs: a resumed run's start is an earlier session's")
    start = min(datetime.datetime.strptime(p["date"], "%Y-%m-%dT%H:%M:%S%z").timestamp() for p in provs)
    end = max(os.path.getmtime(os.path.join(d, "results.json")) for d in run_dirs)
    first = min(provs, key=lambda p: p["date"])
    rec = {
        "command": first["command"],
        "commit": first["commit"],
        "dirty": first["dirty"],
        "machine": first["machine"],
        "date": first["date"],
        "wall_seconds": round(end - start, 1),
        "timed": "from the runs' provenance dates and results.json times",
        "runs": len(manifests),
        "cells": _cells(manifests),
    }
    return _write(table_dir, rec)


def note(table_dir: str, manifests: Sequence[dict]) -> str:
    """The sentence under a table for its ``regeneration.json``, or "" when there is none or the released
    models are no longer the ones it timed.

    >>> import tempfile
    >>> d, m = tempfile.mkdtemp(), [{"cell": "a", "checkpoint_sha256": "x", "wall_seconds": 60.0}]
    >>> rec = {"command": "python x.py --engine dask --workers 2", "commit": "0123456789abcdef",
    ...        "dirty": False, "machine": "CPU, 2 cores", "date": "2026-12-07T21:11:49+0000",
    ...        "wall_seconds": 3490.0, "timed": "by the command", "runs": 1, "cells": {"a": "x"}}
    >>> _ = _write(d, rec)
    >>> note(d, m).split(": ")[1]
    '1 runs in 58 min 10 s of wall time (timed by the command).'
    >>> note(d, [{**m[0], "checkpoint_sha256": "y"}])  # a cell retrained since
    ''
    """
    try:
        with open(os.path.join(table_dir, FILE), encoding="utf-8") as fh:
            rec = json.load(fh)
    except (OSError, ValueError):
        return ""
    if rec.get("cells") != _cells(manifests):
        return ""
    commit = str(rec["commit"])[:10] + (" (uncommitted changes)" if rec.get("dirty") else "")
    return (
        f"Regenerated from scratch by `{rec['command']}` ({rec['date'][:10]}, commit {commit}, "
        f"{rec['machine']}): {rec['runs']} runs in {fmt_duration(rec['wall_seconds'])} of wall time "
        f"(timed {rec['timed']})."
    )


def paragraph(models_dir: str | None, table: str, manifests: Sequence[dict]) -> str:
    """:func:`note` of ``<models_dir>/<table>`` as a paragraph to append to the table's text (a blank line
    before it), or "" without a release root or a note.

    >>> paragraph(None, "music", [])
    ''
    """
    text = note(os.path.join(models_dir, table), manifests) if models_dir else ""
    return f"\n{text}\n" if text else ""
