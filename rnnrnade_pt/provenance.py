"""Where a run comes from: the commit, command and machine that trained it, kept in ``provenance.json``.

A run directory records, once, when its training first starts: the command that started it (an experiment
script's own command line, passed to the sweep's workers), the package's git commit (with ``dirty: true``
when the work tree had uncommitted changes), the versions of Python, NumPy and PyTensor, and the machine.
A resumed run keeps its first record and appends each later session's to ``resumed``. Released models
(:mod:`rnnrnade_pt.release`) copy the record into their manifest.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
import time

__all__ = ["current", "git_commit", "record", "read"]

FILE = "provenance.json"


def git_commit(path: str | None = None) -> tuple[str | None, bool]:
    """``(commit, dirty)`` of the git work tree holding ``path`` (default: this package), or ``(None,
    False)`` outside one (an installed wheel) or without git."""
    where = path or os.path.dirname(os.path.abspath(__file__))
    try:
        commit = subprocess.run(
            ["git", "-C", where, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", where, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, False
    return commit or None, bool(status.strip())


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _command(argv: list[str]) -> str:
    """The command line as a user would type it: ``rnnrnade ...``, ``python -m rnnrnade_pt ...`` or
    ``python script.py ...`` (the script's path relative to the working directory).

    >>> _command(["/usr/bin/rnnrnade", "train", "--config", "a b.json"])
    "rnnrnade train --config 'a b.json'"
    """
    head, rest = (argv[0] if argv else ""), list(argv[1:])
    if os.path.basename(head) == "rnnrnade":
        return shlex.join(["rnnrnade", *rest])
    if os.path.basename(head) == "__main__.py":
        return shlex.join(["python", "-m", os.path.basename(os.path.dirname(head)), *rest])
    return shlex.join(["python", os.path.relpath(head) if head else "-c", *rest])


def current(command: str | None = None) -> dict:
    """This process's provenance: ``command`` (default: ``python`` and ``sys.argv``), ``commit``,
    ``dirty``, ``python``, ``numpy``, ``pytensor``, ``machine`` (CPU model and core count) and ``date``."""
    import numpy
    import pytensor

    commit, dirty = git_commit()
    return {
        "command": command or _command(sys.argv),
        "commit": commit,
        "dirty": dirty,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pytensor": pytensor.__version__,
        "machine": f"{_cpu()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def read(run_dir: str) -> dict | None:
    """The run directory's provenance record, or None when it has none (a run older than the record)."""
    path = os.path.join(run_dir, FILE)
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def record(run_dir: str, prov: dict | None = None) -> dict:
    """Write ``run_dir/provenance.json`` (``prov``, default :func:`current`) unless it exists; a later
    session's record is appended to its ``resumed`` list instead. Returns the file's contents."""
    from .npz import atomic_write_text

    prov = prov or current()
    old = read(run_dir)
    if old is None:
        new = dict(prov)
    else:
        new = {**old, "resumed": [*old.get("resumed", []), prov]}
    os.makedirs(run_dir, exist_ok=True)
    atomic_write_text(os.path.join(run_dir, FILE), json.dumps(new, indent=2) + "\n")
    return new
