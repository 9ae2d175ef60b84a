"""RNN-RNADE on real-valued sequences against its baselines: bouncing balls, MIT mocap, Japanese
Vowels; RNADE per frame (no RNN), the Gaussian RNN, RNN-RNADE with mu and sigma conditioned (the original
code's setting) and with all three (the supplement's).

    python experiments/sequences.py                        # 4 models x 3 datasets x 3 seeds, released,
                                                           # RESULTS.md's block
    python experiments/sequences.py --from-release         # re-score the released models: the same block
    python experiments/sequences.py --time-budget 600      # each run stops training after 10 min
    python experiments/sequences.py --engine dask --workers 2
    python experiments/sequences.py --render               # also sample and draw each model's best run
    python experiments/sequences.py --table-only           # train nothing: the table of the finished runs
    python experiments/sequences.py --quick                # tiny sizes, 1 epoch, 4 sequences a split (CI)
    python experiments/sequences.py --sweep experiments/configs/sequences/sweep_mocap.json \\
        --engine dask --workers 2 [--address tcp://host:8786] --out sweep_mocap.md

Each run is ``experiments/configs/sequences/<model>_<dataset>.json`` with ``train.seed`` set, trained and
evaluated by :func:`rnnrnade_pt.sweep.run_jobs` in ``runs/sequences/<model>_<dataset>_seed<k>`` (a finished
run of the same config is reused, not retrained). The table gives, per dataset, the test log-likelihood per
frame (nats) and the one-step squared prediction error per frame, mean ± standard error over seeds. A sweep
file (see :mod:`rnnrnade_pt.sweep`) is expanded over its grid and the seeds, and tabulated the same way, one
row per grid point.

This script is the command line: the runs are :mod:`rnnrnade_pt.sequence_runs`'s, the table, the releases
and the samples drawn :mod:`rnnrnade_pt.sequence_report`'s, and the script passes them the experiment's files
(``configs/sequences/``, ``models/``, ``RESULTS.md``).

References
----------
.. [1] Supplementary Material for the RNN-RNADE model.
.. [2] I. Sutskever, G. E. Hinton, G. W. Taylor. "The recurrent temporal restricted Boltzmann machine."
   NIPS 2008 (bouncing balls; MIT mocap as used there).
.. [3] M. Kudo, J. Toyama, M. Shimbo. "Multidimensional curve classification using passing-through
   regions." Pattern Recognition Letters 20, 1999 (Japanese Vowels).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile

from rnnrnade_pt import regeneration
from rnnrnade_pt.release import find_releases, read_manifest, rescore_all
from rnnrnade_pt.sequence_report import (
    TABLE,
    release_jobs,
    render,
    score,
    sequences_table,
    table_from_releases,
)
from rnnrnade_pt.sequence_runs import DATASETS, MODELS, SEEDS, in_waves, make_jobs, make_sweep_jobs
from rnnrnade_pt.sweep import add_run_arguments, run_jobs, setup_logging, stored_summaries
from rnnrnade_pt.sweep_progress import format_progress
from rnnrnade_pt.tables import not_run_note, write_table

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG_DIR = os.path.join(HERE, "configs", "sequences")
RESULTS = os.path.join(HERE, "RESULTS.md")
MODELS_DIR = os.path.join(HERE, "models")

logger = logging.getLogger("sequences")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and data, a temporary run root")
    parser.add_argument("--sweep", help="a sweep file (JSON: name, base, grid) instead of the models")
    add_run_arguments(parser, "runs/sequences[/NAME]")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated subset")
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated subset")
    parser.add_argument(
        "--seeds", default=None, help="comma-separated training seeds (default 0,1,2; quick 0,1)"
    )
    parser.add_argument(
        "--render",
        nargs="?",
        const="",
        metavar="DIR",
        help="sample and draw each best run (PNGs in DIR; RUN_ROOT/figures)",
    )
    parser.add_argument(
        "--out", help="write the table here (default: RESULTS.md's block; quick, sweep: stdout)"
    )
    parser.add_argument(
        "--table-only",
        action="store_true",
        help="train nothing: release and table the runs that already have results",
    )
    parser.add_argument(
        "--release-root", help=f"the released models (default {MODELS_DIR}; quick: a tmp dir)"
    )
    parser.add_argument(
        "--from-release", action="store_true", help="re-score the released models, train nothing"
    )
    args = parser.parse_args(argv)
    setup_logging(args.verbose, logger.name)
    models_dir = args.release_root or (
        tempfile.mkdtemp(prefix="sequences-models-") if args.quick else MODELS_DIR
    )
    if args.from_release:
        manifests, bad = rescore_all(models_dir, TABLE, score, data_root=args.data_root, progress=print)
        write_table(
            table_from_releases(manifests, args.data_root, models_dir), args.out, args.quick, RESULTS, TABLE
        )
        for cell, diff in bad.items():
            logger.error("%s: the re-score differs from its manifest: %s", cell, "; ".join(diff))
        return 1 if bad else 0

    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else ([0, 1] if args.quick else list(SEEDS))
    if args.run_root:
        run_root = args.run_root
    elif args.quick:
        run_root = tempfile.mkdtemp(prefix="sequences-quick-")
    else:
        sweep_name = os.path.splitext(os.path.basename(args.sweep))[0] if args.sweep else None
        run_root = os.path.join("runs", "sequences", *([sweep_name] if sweep_name else []))
    if args.sweep:
        sweep = (args.sweep, run_root, seeds, args.quick, args.time_budget, args.data_root)
        jobs = make_sweep_jobs(*sweep, config_dir=CONFIG_DIR)
    else:
        jobs = make_jobs(
            run_root,
            args.models.split(","),
            args.datasets.split(","),
            seeds,
            args.quick,
            args.time_budget,
            args.data_root,
            config_dir=CONFIG_DIR,
        )
    done, clock = {}, None
    if args.table_only:
        done = stored_summaries(jobs)
    else:
        clock = regeneration.Stopwatch()  # a command that trains its table: its wall time is the table's
        run = dict(engine=args.engine, workers=args.workers, address=args.address, force=args.force)
        for wave in in_waves(jobs):
            for s in run_jobs(wave, progress=lambda record, p: print(format_progress(p), flush=True), **run):
                done[s["name"]] = s
    summaries = [done[j.name] for j in jobs if j.name in done]
    if args.sweep:  # an investigation: not released, its table to --out or standard output
        table = sequences_table(summaries, jobs) + not_run_note([j.name for j in jobs], done)
        write_table(table, args.out, True, RESULTS, TABLE)
    else:
        release_jobs(jobs, summaries, models_dir, args.data_root)
        manifests = [read_manifest(p) for p in find_releases(models_dir, TABLE)]
        if clock is not None and not args.quick:  # recorded when every released run was trained here
            regeneration.record(os.path.join(models_dir, TABLE), clock, summaries, manifests)
        write_table(
            table_from_releases(manifests, args.data_root, models_dir), args.out, args.quick, RESULTS, TABLE
        )
    if args.render is not None:
        for path in render(summaries, args.render or os.path.join(run_root, "figures")):
            logger.warning("wrote %s", path)
    for s in summaries:
        if "error" in s:
            logger.error("%s failed: %s", s["name"], s["error"])
    return 1 if any("error" in s for s in summaries) else 0


if __name__ == "__main__":
    from rnnrnade_pt.cli import run_reporting_errors

    sys.exit(run_reporting_errors("sequences.py", main))
