"""The RNADE paper's tables: test log-likelihood on five UCI sets (10 folds) and on BSDS300 patches.

    python experiments/rnade_tables.py                       # the protocol's chosen points, every method,
                                                             # UCI set and fold; released to models/rnade/,
                                                             # RESULTS.md's block and figures
    python experiments/rnade_tables.py --from-release        # re-score the released models: the same block
    python experiments/rnade_tables.py --engine dask --workers 2
    python experiments/rnade_tables.py --quick               # 2 folds, tiny models, few patches (CI)
    python experiments/rnade_tables.py --protocol --halving 3 --engine dask --workers 2   # the paper's grid
    python experiments/rnade_tables.py --protocol --select-folds 0 --halving 3   # grid on fold 0, then 1-9
    python experiments/rnade_tables.py --protocol --select-folds 0 --halving 3 --record-chosen  # kept in the
                                                             # protocol file's 'chosen' for --chosen
    python experiments/rnade_tables.py --protocol --variant original-code-stopping --chosen  # base points
    python experiments/rnade_tables.py --configs [--time-budget 300] [--sweep]  # configs/rnade/<set>.json

By default each method and UCI set (BSDS300 by name: ``--datasets bsds300``) trains the points that the
protocol file's ``chosen`` holds (``configs/rnade/protocol.json``: a search's choice, recorded by
``--record-chosen``), each under the protocol variant it names, on every fold; where a cell holds several
points, per fold the one with the best validation score counts. Each run is
``experiments/configs/rnade/<dataset>.json`` with the protocol's settings, a method's overrides (RNADE-MoG as
is, RNADE-Laplace ``model.mixture=laplace``, order-agnostic RNADE-MoG ``train.ordering=orderless``) and
``data.fold=k``, trained and evaluated by :func:`rnnrnade_pt.sweep.run_jobs` in
``runs/rnade[/variant-<name>]/<job>`` (a finished run of the same config is reused). The order-agnostic runs
are then evaluated as ensembles of 1, 2, 4, 8 and 16 orderings (cached in ``<run>/ensembles.json``), and the
Gaussian and mixture-of-Gaussians baselines (:mod:`rnnrnade_pt.baselines`) are fitted on the same folds
(cached in ``<run root>/baselines``). With a grid (``--protocol`` without ``--chosen``, or ``--sweep``) every
grid point is a run and, per method, dataset and fold, the one with the best validation log-likelihood gives
the test value.

Units: the UCI columns are log-likelihoods of the standardised data (each dimension scaled by the training
fold's mean and std), as in the paper; the runs report them in the data's units, and the table subtracts
each run's log-Jacobian ``-sum_d log std_d``. BSDS300 is in the data's units (nats per 63-dim patch of
pixels scaled to [0, 1]), as in the paper. The published rows are read from ``experiments/published.json``
(:func:`rnnrnade_pt.tables.load_published`).

The default call releases, per method, set and fold, the run the table counts
(:mod:`rnnrnade_pt.rnade_release`) and makes the table from the releases (``experiments/RESULTS.md``'s block),
so that ``--from-release``, which re-scores them without training, makes the same table. Searches, grids and
variants are investigations: their tables go to ``--out`` or standard output, and nothing is released.

This script is the command line: the runs, the protocol, the records and the table are the package's
(:mod:`rnnrnade_pt.rnade_runs`, :mod:`rnnrnade_pt.rnade_protocol`, :mod:`rnnrnade_pt.rnade_records`,
:mod:`rnnrnade_pt.rnade_report`), and the script passes them the experiment's files (``configs/rnade/``,
``published.json``, ``README.md``).

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
.. [2] B. Uria, I. Murray, H. Larochelle. "A deep and tractable density estimator." ICML 2014 (order-agnostic
   training, ensembles over orderings).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import tempfile
import time

from rnnrnade_pt.errors import ConfigError
from rnnrnade_pt.rnade_protocol import (
    apply_to_folds,
    chosen_jobs,
    chosen_points,
    load_protocol,
    record_chosen,
)
from rnnrnade_pt.rnade_records import baseline_records, run_records
from rnnrnade_pt.rnade_release import evaluate, release_chosen, release_note, release_records, table_score
from rnnrnade_pt.rnade_report import rnade_table, settings_note, validation_curves
from rnnrnade_pt.rnade_runs import (
    DATASETS,
    METHODS,
    N_FOLDS,
    QUICK_FOLDS,
    UCI,
    fold_list,
    load_grid,
    make_jobs,
    search_by_halving,
)
from rnnrnade_pt.sweep import add_run_arguments, run_jobs, setup_logging
from rnnrnade_pt.sweep_progress import format_progress
from rnnrnade_pt.tables import load_published, write_table

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG_DIR = os.path.join(HERE, "configs", "rnade")
PROTOCOL = os.path.join(CONFIG_DIR, "protocol.json")
SWEEP = os.path.join(CONFIG_DIR, "sweep.json")
PUBLISHED = os.path.join(HERE, "published.json")
RESULTS = os.path.join(HERE, "RESULTS.md")
MODELS_DIR = os.path.join(HERE, "models")
BLOCK = "rnade"
logger = logging.getLogger("rnade_tables")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="2 folds, tiny models, few patches, tmp run root"
    )
    parser.add_argument(
        "--configs", action="store_true", help="each dataset's config (configs/rnade/<set>.json) as it is"
    )
    parser.add_argument("--sweep", action="store_true", help="every point of configs/rnade/sweep.json's grid")
    parser.add_argument(
        "--protocol",
        nargs="?",
        const=PROTOCOL,
        help="the paper's protocol (default configs/rnade/protocol.json): its fixed settings "
        "and its grid, chosen per fold on validation; with none of --configs, --sweep and "
        "--protocol, the default file with --chosen (or the search asked for)",
    )
    parser.add_argument(
        "--variant",
        help="a variant of the protocol (e.g. adam, original-code-schedule); "
        "its runs go under <run root>/variant-<name>",
    )
    parser.add_argument(
        "--halving",
        type=int,
        metavar="RUNGS",
        help="search each method, dataset and fold's grid by successive halving in RUNGS "
        "rungs (rnnrnade_pt.halving; history in <run root>/halving.json)",
    )
    parser.add_argument("--eta", type=int, default=3, help="successive halving: keep the best 1/eta per rung")
    parser.add_argument(
        "--chosen",
        action="store_true",
        help="no search: train the grid points that the protocol file's 'chosen' holds (an "
        "earlier search's choice) on every fold",
    )
    parser.add_argument(
        "--select-folds",
        metavar="FOLDS",
        type=fold_list,
        help="search the grid on these folds only (comma-separated), then train each "
        "method and dataset's best point (mean validation) on the others",
    )
    parser.add_argument(
        "--record-chosen",
        action="store_true",
        help="with --protocol --select-folds: write each method and dataset's chosen point "
        "into the protocol file's 'chosen', with its provenance, for --chosen",
    )
    add_run_arguments(parser, "runs/rnade")
    parser.add_argument(
        "--datasets", default=",".join(UCI), help=f"comma-separated subset of {','.join(DATASETS)}"
    )
    parser.add_argument(
        "--from-release", action="store_true", help="re-score the released models, train nothing"
    )
    parser.add_argument(
        "--release-root", help=f"the released models (default {MODELS_DIR}; quick: a tmp dir)"
    )
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset")
    parser.add_argument("--folds", type=fold_list, help="comma-separated folds (default: all 10; quick: 0,1)")
    parser.add_argument("--no-baselines", action="store_true", help="skip the Gaussian and MoG baselines")
    parser.add_argument(
        "--out", help="write the table here (default: RESULTS.md's block, a search's: stdout; quick: stdout)"
    )
    parser.add_argument(
        "--figures",
        metavar="DIR",
        help="write the validation curves here (default: experiments/figures with RESULTS.md's table)",
    )
    args = parser.parse_args(argv)
    setup_logging(args.verbose, logger.name)

    run_root = args.run_root or (tempfile.mkdtemp(prefix="rnade-quick-") if args.quick else "runs/rnade")
    models_dir = args.release_root or (tempfile.mkdtemp(prefix="rnade-models-") if args.quick else MODELS_DIR)
    if args.from_release:
        return from_release(args, run_root, models_dir)
    datasets = args.datasets.split(",")
    methods = args.methods.split(",")
    folds = args.folds
    if sum(map(bool, (args.configs, args.sweep, args.protocol))) > 1:
        raise ConfigError("--configs, --sweep and --protocol are alternatives; pass one")
    if not (args.configs or args.sweep or args.protocol):  # the default: the protocol file's table
        args.protocol = PROTOCOL
        args.chosen = args.chosen or not (args.halving or args.select_folds is not None)
    if args.variant and not args.protocol:
        raise ConfigError("--variant needs --protocol")
    for dataset in datasets:  # before anything trains
        if dataset not in DATASETS:
            raise ConfigError(f"no config for dataset {dataset!r} (datasets: {list(DATASETS)})")
    for method in methods:
        if method not in METHODS:
            raise ConfigError(f"unknown method {method!r}; known: {list(METHODS)}")
    if args.halving and not (args.protocol or args.sweep):
        raise ConfigError("--halving searches a grid: pass --protocol or --sweep")
    fixed, grid = (
        load_protocol(args.protocol, args.variant, config_dir=CONFIG_DIR) if args.protocol else ((), None)
    )
    published = load_published(PUBLISHED, "rnade")  # before anything trains
    base_root = run_root
    if args.variant:  # a variant's runs have the base protocol's names: they live apart
        run_root = os.path.join(run_root, f"variant-{args.variant}")
    grid = load_grid(SWEEP) if args.sweep else grid
    select = args.select_folds
    if select is not None and grid is None:
        raise ConfigError("--select-folds chooses a grid point: pass --protocol or --sweep")
    if args.record_chosen and not (args.protocol and select is not None):
        raise ConfigError("--record-chosen writes a search's choice: pass --protocol and --select-folds")
    all_folds = folds if folds is not None else list(QUICK_FOLDS if args.quick else range(N_FOLDS))
    unchosen, chosen, candidates = [], {}, {}
    if args.chosen:
        if not args.protocol or args.halving or select is not None:
            raise ConfigError("--chosen trains the protocol file's chosen points: pass --protocol, no search")
        jobs, candidates, unchosen = chosen_jobs(
            args.protocol,
            base_root,
            datasets,
            methods,
            folds,
            args.quick,
            args.time_budget,
            args.data_root,
            args.variant,
            fixed,
            config_dir=CONFIG_DIR,
        )
    else:
        jobs = make_jobs(
            run_root,
            datasets,
            methods,
            select or folds,
            args.quick,
            args.time_budget,
            args.data_root,
            grid,
            fixed,
            config_dir=CONFIG_DIR,
        )
    run = dict(
        engine=args.engine,
        workers=args.workers,
        address=args.address,
        force=args.force,
        progress=lambda record, p: print(format_progress(p), flush=True),
    )
    start, search = time.perf_counter(), []
    if args.halving:
        jobs, summaries, search = search_by_halving(jobs, run_root, args.halving, args.eta, **run)
    else:
        summaries = run_jobs(jobs, **run)
    if select is not None:
        chosen = chosen_points(jobs, summaries)
        if args.record_chosen:
            size = math.prod(len(v) for v in grid.values())
            how = (
                f"the {size}-point grid on fold{'s' * (len(select) > 1)} {','.join(map(str, select))}"
                + (
                    f" by successive halving ({args.halving} rungs, eta {args.eta})"
                    if args.halving
                    else ", every point trained"
                )
                + (f", protocol variant {args.variant}" if args.variant else "")
            )
            record_chosen(args.protocol, chosen, grid, how, args.variant, config_dir=CONFIG_DIR)
            logger.info("recorded the chosen points in %s", args.protocol)
        rest = apply_to_folds(chosen, [f for f in all_folds if f not in select], run_root)
        jobs, summaries = jobs + rest, summaries + run_jobs(rest, **run)
    wall = time.perf_counter() - start
    records = run_records(jobs, summaries) + search
    if not args.no_baselines:
        used = folds if folds is not None else list(QUICK_FOLDS if args.quick else range(N_FOLDS))
        records += baseline_records(
            datasets, used, run_root, args.data_root, args.quick, config_dir=CONFIG_DIR
        )
    n_folds = len(folds) if folds else (len(QUICK_FOLDS) if args.quick else N_FOLDS)
    note = ""
    if jobs:
        note = settings_note(
            jobs[0].cfg,
            records,
            wall,
            n_folds,
            quick=args.quick,
            sweep=args.sweep,
            grid=grid,
            protocol=args.protocol,
            variant=args.variant,
            select=select,
            from_chosen=args.chosen,
            halving=args.halving,
            eta=args.eta,
            chosen=chosen,
            candidates=candidates,
            unchosen=unchosen,
        )
    # the results table: the default protocol file's chosen points; searches, variants, other files are not
    released = (
        args.chosen and not args.variant and os.path.abspath(args.protocol) == os.path.abspath(PROTOCOL)
    )
    if released:
        release_chosen(jobs, records, models_dir, args.data_root)
        table = released_table(models_dir, published, records, n_folds)
    else:
        table = rnade_table(records, published, n_folds, note)
    figures = args.figures or (
        None if args.quick or args.out or not released else os.path.join(HERE, "figures")
    )
    if figures:
        for path in validation_curves(jobs, summaries, figures, published):
            logger.info("wrote %s", path)
    if released:
        write_table(table, args.out, args.quick, RESULTS, BLOCK)
    else:
        write_table(table, args.out, True, RESULTS, BLOCK)  # an investigation: --out or standard output
    errors = [s for s in summaries if "error" in s]
    for s in errors:
        logger.error("%s failed: %s", s["name"], s["error"])
    return 1 if errors else 0


def released_table(models_dir: str, published: dict, records, n_folds: int, manifests=None) -> str:
    """The results table of the released models under ``models_dir`` (``manifests``: re-scored ones) and
    the baselines among ``records``, with the note made from the releases."""
    from rnnrnade_pt.release import find_releases, read_manifest, release_size

    if manifests is None:
        manifests = [read_manifest(p) for p in find_releases(models_dir, BLOCK)]
    # the baselines are refitted from the data by every call (not released): their time is this machine's
    # today, not part of the table
    baselines = [
        {k: v for k, v in r.items() if k != "wall_seconds"}
        for r in records
        if r["method"] in ("gaussian", "mog")
    ]
    note = release_note(manifests, release_size(os.path.join(models_dir, BLOCK)))
    return rnade_table(release_records(manifests) + baselines, published, n_folds, note)


def from_release(args, run_root: str, models_dir: str) -> int:
    """``--from-release``: re-score every released model of the table (no training), refit the baselines on
    the same folds (cached in ``<run root>/baselines``), and write the table as a training call would."""
    from rnnrnade_pt.release import rescore_all

    published = load_published(PUBLISHED, "rnade")
    manifests, bad = rescore_all(models_dir, BLOCK, table_score, evaluate, args.data_root, progress=print)
    datasets = [d for d in DATASETS if any(m["dataset"] == d for m in manifests)]
    folds = sorted({m["fold"] for m in manifests if m["fold"] is not None})
    n_folds = len(QUICK_FOLDS) if args.quick else N_FOLDS
    records = []
    if not args.no_baselines:
        records = baseline_records(
            datasets, folds, run_root, args.data_root, args.quick, config_dir=CONFIG_DIR
        )
    table = released_table(models_dir, published, records, n_folds, manifests)
    write_table(table, args.out, args.quick, RESULTS, BLOCK)
    for cell, diff in bad.items():
        logger.error("%s: the re-score differs from its manifest: %s", cell, "; ".join(diff))
    return 1 if bad else 0


if __name__ == "__main__":
    from rnnrnade_pt.cli import run_reporting_errors

    sys.exit(run_reporting_errors("rnade_tables.py", main))
