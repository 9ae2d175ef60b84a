"""The RNN-RBM paper's table: RNN-RBM and RNN-NADE on the four polyphonic-music sets.

    python experiments/music.py                     # train + evaluate the 8 runs, release each to
                                                    # models/music/, regenerate RESULTS.md's block
    python experiments/music.py --from-release      # re-score the released models (no training); the
                                                    # RNN-RBM's AIS/RAISE only with --rescore-ais (long)
    python experiments/music.py --time-budget 1800    # each run stops training after 30 min
    python experiments/music.py --engine dask --workers 2
    python experiments/music.py --quick               # tiny sizes, 1 epoch, 4 sequences a split (CI)
    python experiments/music.py --figures experiments/figures   # curves, MIDI samples and piano rolls
    python experiments/music.py --table-only          # train nothing: the table of the finished runs
    python experiments/music.py --test-ais 3000       # RNN-RBM test estimates with 3000 temperatures

Each run is ``experiments/configs/music/<model>_<dataset>.json`` trained and evaluated with
:func:`rnnrnade_pt.sweep.run_jobs` in ``runs/music/<model>_<dataset>`` (a finished run of the same config is
reused, not retrained), then released (:mod:`rnnrnade_pt.release`) to ``models/music/<model>_<dataset>``.
The table is made from the releases' manifests, so that ``--from-release`` makes the same table: the test
log-likelihood per time step (nats; for the RNN-RBM an annealed-importance-sampling estimate) and the
frame-level accuracy of the one-step-ahead prediction, beside the values quoted for the paper
(``published.json``).

Choices (the configs): the tutorial's sizes (H=150, R=100) and 100-frame windows; the paper's pretraining
of the NADE or RBM on shuffled frames (:mod:`rnnrnade_pt.pretrain`) for about as many updates on every set as
JSB's 100 epochs (18, 8 and 6 epochs on Piano-midi.de, Nottingham and MuseData: a fixed 100 epochs of
MuseData's 245,202 frames would alone take hours here), the RNN-to-bias maps from zero; but
Adam (lr 0.001, batches of 16 windows, gradient norm clipped at 10) instead of its plain SGD at lr 0.001,
which needed 200 epochs (about 24 h on Nottingham, by the tutorial's account); with a time budget per run
on 2 cores, Adam gets much further, and the tutorial's own list of improvements names clipping and momentum
methods. The RNN-RBM's
training validates with AIS of 10 chains and 100 temperatures per frame on the first ``train.eval_sequences``
validation sequences, every epoch: cheap, and biased upwards (AIS underestimates ``log Z`` on average), which
early stopping can live with. Its test score is estimated apart (:func:`rnnrnade_pt.music_runs.test_bracket`,
``--test-ais``): AIS
and reverse annealing from each test frame (RAISE), 10 chains and 1000 temperatures each, over every test
frame; AIS leans optimistic and RAISE pessimistic, so together they bracket the log-likelihood (measured on
JSB's first 5 test sequences: AIS -6.51 / -6.98 / -7.02 at 100 / 1000 / 3000 temperatures, RAISE -7.56 /
-7.05 at 100 / 1000). At H=150 one direction at 1000 temperatures takes about 20 minutes on JSB's test set
on one core, an hour on Piano-midi.de's.

This script is the command line: the runs and the test-time estimates are :mod:`rnnrnade_pt.music_runs`'s,
the table, the releases and the figures :mod:`rnnrnade_pt.music_report`'s, and the script passes them the
experiment's files (``configs/music/``, ``published.json``, ``models/``, ``RESULTS.md``).

References
----------
.. [1] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. "Modeling temporal dependencies in high-dimensional
   sequences: application to polyphonic music generation and transcription." ICML 2012.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile

from rnnrnade_pt import regeneration
from rnnrnade_pt.config import AIS_DIRECTIONS
from rnnrnade_pt.errors import ConfigError
from rnnrnade_pt.music_report import TABLE, figures, published, release_jobs, score, table_from_releases
from rnnrnade_pt.music_runs import DATASETS, MODELS, make_jobs, rescoring, test_bracket
from rnnrnade_pt.release import find_releases, read_manifest, rescore_all
from rnnrnade_pt.sweep import Task, add_run_arguments, run_tasks, setup_logging, stored_summaries
from rnnrnade_pt.sweep_progress import format_progress
from rnnrnade_pt.tables import write_table

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG_DIR = os.path.join(HERE, "configs", "music")
RESULTS = os.path.join(HERE, "RESULTS.md")
PUBLISHED_FILE = os.path.join(HERE, "published.json")
MODELS_DIR = os.path.join(HERE, "models")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and data, a temporary run root")
    add_run_arguments(parser, "runs/music")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated subset")
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated subset")
    parser.add_argument(
        "--out", help="write the table to this file (default: RESULTS.md's block; quick: stdout)"
    )
    parser.add_argument(
        "--release-root", help=f"the released models (default {MODELS_DIR}; quick: a tmp dir)"
    )
    parser.add_argument(
        "--from-release", action="store_true", help="re-score the released models, train nothing"
    )
    parser.add_argument(
        "--rescore-ais",
        action="store_true",
        help="with --from-release: run the RNN-RBM's AIS and RAISE again",
    )
    parser.add_argument(
        "--figures", metavar="DIR", help="validation curves; a MIDI sample and piano roll from each best run"
    )
    parser.add_argument(
        "--table-only",
        action="store_true",
        help="train nothing: release and table the runs that have results",
    )
    parser.add_argument(
        "--with-interrupted",
        action="store_true",
        help="with --table-only: also the runs stopped before their end, their best checkpoint as it stands",
    )
    parser.add_argument(
        "--test-ais",
        type=int,
        metavar="BETAS",
        help="RNN-RBM test estimates by AIS and RAISE with this many temperatures, 10 chains (test_bracket; "
        "default 1000, quick: 10; 0: none, and the run is not released); --table-only uses those computed",
    )
    args = parser.parse_args(argv)
    setup_logging(args.verbose, "music")
    if args.test_ais is not None and args.test_ais < 0:
        raise ConfigError(f"--test-ais must be 0 or a number of temperatures, got {args.test_ais}")
    if args.rescore_ais and not args.from_release:
        raise ConfigError("--rescore-ais re-scores released models: pass --from-release")
    test_betas = args.test_ais if args.test_ais is not None else (10 if args.quick else 1000)
    models_dir = args.release_root or (tempfile.mkdtemp(prefix="music-models-") if args.quick else MODELS_DIR)

    run_root = args.run_root or (tempfile.mkdtemp(prefix="music-quick-") if args.quick else "runs/music")
    jobs = make_jobs(
        run_root,
        args.models.split(","),
        args.datasets.split(","),
        args.quick,
        args.time_budget,
        args.data_root,
        config_dir=CONFIG_DIR,
    )
    failed, clock = [], None
    if args.from_release:
        evaluate = rescoring(args.rescore_ais)
        manifests, bad = rescore_all(models_dir, TABLE, score, evaluate, args.data_root, progress=print)
        failed = [
            f"{cell}: the re-score differs from its manifest: {'; '.join(d)}" for cell, d in bad.items()
        ]
    else:
        brackets = {}
        if args.table_only:
            done = stored_summaries(jobs, interrupted=args.with_interrupted)
            summaries = [done[j.name] for j in jobs if j.name in done]
            for j in jobs:  # the estimates already computed
                if j.name in done and j.cfg.model.model == "rnn-rbm" and test_betas:
                    brackets[j.name] = test_bracket(j, test_betas, compute=False)
        else:  # the RNN-RBM's test-time estimates are tasks of the same sweep, one a direction, after its run
            clock = regeneration.Stopwatch()  # a command that trains its table: its wall time is the table's
            tasks = [
                Task(f"test-{d}-{j.name}", j.name, test_bracket, (j, test_betas), {"directions": (d,)})
                for j in jobs
                if test_betas and j.cfg.model.model == "rnn-rbm"
                for d in AIS_DIRECTIONS
            ]
            run = dict(engine=args.engine, workers=args.workers, address=args.address, force=args.force)
            out = run_tasks(
                jobs, tasks, progress=lambda record, p: print(format_progress(p), flush=True), **run
            )
            summaries = out.summaries
            for t in tasks:
                record = out.tasks[t.name]
                if "result" in record:
                    brackets.setdefault(t.after, {}).update(record["result"])
                elif not record["error"].startswith("not run"):  # else its run's failure says it
                    failed.append(f"{t.name}: {record['error']}")
        release_jobs(jobs, summaries, brackets, models_dir, args.data_root)
        manifests = [read_manifest(p) for p in find_releases(models_dir, TABLE)]
        failed += [f"{s['name']}: {s['error']}" for s in summaries if "error" in s]
        if clock is not None and not (args.quick or failed):  # recorded when every run and estimate was here
            regeneration.record(os.path.join(models_dir, TABLE), clock, summaries, manifests)
        if args.figures:
            for path in figures(jobs, summaries, args.figures, published=published(PUBLISHED_FILE)):
                logging.getLogger("music").warning("wrote %s", path)
    table = table_from_releases(manifests, published=published(PUBLISHED_FILE), models_dir=models_dir)
    write_table(table, args.out, args.quick, RESULTS, TABLE)
    for line in failed:
        logging.getLogger("music").error("%s", line)
    return 1 if failed else 0


if __name__ == "__main__":
    from rnnrnade_pt.cli import run_reporting_errors

    sys.exit(run_reporting_errors("music.py", main))
