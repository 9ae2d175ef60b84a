"""Markdown tables for the experiments: formatting, mean and standard error, the published values they are set
beside (:func:`load_published`, ``experiments/published.json``), and regenerating a marked block of
``experiments/RESULTS.md`` in place (the text between ``<!-- BEGIN name -->`` and ``<!-- END name -->``).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence

import numpy as np

from .errors import ConfigError
from .npz import atomic_write_text

__all__ = [
    "markdown_table",
    "mean_stderr",
    "fmt_mean_stderr",
    "fmt_duration",
    "not_run_note",
    "load_published",
    "replace_block",
    "write_table",
]


def markdown_table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    """A GitHub markdown table; cells are ``str()``-ed, ``None`` and NaN print as an em dash."""

    def cell(v) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "—"
        return str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"row {row!r} has {len(row)} cells, the header {len(header)}")
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def mean_stderr(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard error of the mean (``std(ddof=1) / sqrt(n)``; NaN for one value)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return math.nan, math.nan
    se = float(x.std(ddof=1) / math.sqrt(x.size)) if x.size > 1 else math.nan
    return float(x.mean()), se


def fmt_mean_stderr(values: Sequence[float], digits: int = 2) -> str:
    """``"-9.36 ± 0.04"`` (or just the value for one run)."""
    m, se = mean_stderr(values)
    if math.isnan(m):
        return "—"
    return f"{m:.{digits}f}" if math.isnan(se) else f"{m:.{digits}f} ± {se:.{digits}f}"


def fmt_duration(seconds) -> str | None:
    """``"1 h 05 min"``, ``"3 min 07 s"`` or ``"42 s"`` (``None`` for ``None``)."""
    if seconds is None:
        return None
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min" if h else (f"{m} min {s:02d} s" if m else f"{s} s")


def not_run_note(names: Sequence[str], done) -> str:
    """The line a table ends with when some of its runs (``names``) have no results in ``done``; else ""."""
    missing = [n for n in names if n not in done]
    return f"\nNot run yet (no results): {', '.join(missing)}.\n" if missing else ""


def load_published(path: str | os.PathLike, table: str) -> dict[str, dict[str, float]]:
    """The published values of one table from the published-values file (``experiments/published.json``):
    ``{row: {column: value}}``. Every value names one of the file's ``sources``.

    Raises
    ------
    ConfigError
        The file is missing or not JSON, has no such table, or a value is not a number with a known source.
    """
    from .npz import read_json

    spec = read_json(path, "published-values file")
    sources = spec.get("sources", {}) if isinstance(spec, dict) else {}
    if not isinstance(spec, dict) or not isinstance(spec.get(table), dict):
        raise ConfigError(f"published-values file {path}: no table {table!r}")
    out: dict[str, dict[str, float]] = {}
    for row, cells in spec[table].items():
        for col, entry in cells.items():
            ok = isinstance(entry, dict) and isinstance(entry.get("value"), (int, float))
            if not ok or entry.get("source") not in sources:
                raise ConfigError(
                    f"published-values file {path}: {table}.{row}.{col} must be {{value, source}} with a "
                    f"source among {sorted(sources)}"
                )
            out.setdefault(row, {})[col] = float(entry["value"])
    return out


def replace_block(path: str | os.PathLike, name: str, text: str) -> None:
    """Replace the text between ``<!-- BEGIN name -->`` and ``<!-- END name -->`` in ``path`` (atomically);
    the markers must be there already, once each."""
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    with open(path, encoding="utf-8") as fh:
        doc = fh.read()
    if doc.count(begin) != 1 or doc.count(end) != 1 or doc.index(begin) > doc.index(end):
        raise ConfigError(f"{path} must hold the markers {begin} and {end}, once each and in that order")
    head, rest = doc.split(begin)
    _, tail = rest.split(end)
    atomic_write_text(path, head + begin + "\n" + text.rstrip("\n") + "\n" + end + tail)


def write_table(table: str, out: str | None, quick: bool, readme: str, block: str) -> None:
    """Where an experiment script's table goes: the file ``out`` if given, else standard output for a quick
    run, else the ``block`` of ``readme`` (:func:`replace_block`)."""
    if out:
        atomic_write_text(out, table)
    elif quick:
        sys.stdout.write(table)
    else:
        replace_block(readme, block, table)
