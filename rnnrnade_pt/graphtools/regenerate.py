"""Regenerate everything under ``graphs/``: ``python -m rnnrnade_pt.graphtools.regenerate``.

Writes the graph snapshots ``graphs/<model>_<graph>_<target>.txt`` (:mod:`.snapshots`) and the report
``graphs/gradients.md`` (:mod:`.report`: formula-by-formula proofs, whole-model checks, the original code's
hacks). With ``--check`` it writes nothing and exits with status 1 when a committed file is out of date.
Takes about half a minute with a warm PyTensor compile cache; needs SymPy (the ``graph`` or ``dev`` extra).

References
----------
.. [1] Supplementary Material for the RNN-RNADE model, "Gradients for the RNADE".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import rnnrnade_pt  # noqa: F401  (configures BLAS before PyTensor is imported)

from .report import compare_reports, gradients_markdown
from .snapshots import REGENERATE_COMMAND, graphs_dir, stale_snapshots, write_snapshots

__all__ = ["REPORT_NAME", "main"]

REPORT_NAME = "gradients.md"


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m rnnrnade_pt.graphtools.regenerate", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="folder to write (default: the repository's graphs/)"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when a file is out of date"
    )
    parser.add_argument("--snapshots-only", action="store_true", help="only the graph snapshots (fast)")
    args = parser.parse_args(argv)
    directory = args.out or graphs_dir()
    if args.check:
        stale = stale_snapshots(directory)
        for name, why in stale.items():
            print(f"{directory / name}: {why}")
        problems = len(stale)
        if not args.snapshots_only:
            report = directory / REPORT_NAME
            diffs = (
                ["missing"]
                if not report.exists()
                else compare_reports(report.read_text("utf-8"), gradients_markdown())
            )
            for d in diffs:
                print(f"{report}: {d}")
            problems += len(diffs)
        if problems:
            print(f"out of date; run: {REGENERATE_COMMAND}")
        return 1 if problems else 0
    for path in write_snapshots(directory):
        print(f"wrote {path}")
    if not args.snapshots_only:
        path = directory / REPORT_NAME
        path.write_text(gradients_markdown(), encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
