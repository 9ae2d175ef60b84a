"""The main job's results: RNN-RNADE on bouncing balls (``configs/balls.json``, README command 1), released
and tabled beside the predictors without a model.

    python experiments/main_job.py                   # train runs/main/balls (reused when finished), release
                                                     # it to models/main/, regenerate RESULTS.md's block
    python experiments/main_job.py --from-release    # re-score the released model (no training): same block
    python experiments/main_job.py --quick           # tiny sizes, a temporary run and release root (CI)

The run is :func:`rnnrnade_pt.runs.train_and_evaluate` of ``configs/balls.json`` (what ``rnnrnade train
--config experiments/configs/balls.json`` does), through :func:`rnnrnade_pt.sweep.run_jobs`, so a finished run
of the same config is reused and an interrupted one resumed. Its best checkpoint is released
(:mod:`rnnrnade_pt.release`) with the test log-likelihood per frame and the one-step squared prediction error
per frame that the table shows.

This script is the command line: the score and the table are :mod:`rnnrnade_pt.sequence_report`'s
(:func:`~rnnrnade_pt.sequence_report.score`, :func:`~rnnrnade_pt.sequence_report.main_table`), and the
script passes them the experiment's files (``configs/balls.json``, ``models/``, ``RESULTS.md``).

References
----------
.. [1] Supplementary Material for the RNN-RNADE model.
.. [2] I. Sutskever, G. E. Hinton, G. W. Taylor. "The recurrent temporal restricted Boltzmann machine."
   NIPS 2008 (bouncing balls).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile

from rnnrnade_pt.baselines import prediction_baselines
from rnnrnade_pt.config import RunConfig
from rnnrnade_pt.data.datasets import load_dataset
from rnnrnade_pt.release import read_manifest, release_run, rescore_all
from rnnrnade_pt.sequence_report import main_evaluate, main_table, score
from rnnrnade_pt.sweep import Job, add_run_arguments, run_jobs, setup_logging
from rnnrnade_pt.sweep_progress import format_progress
from rnnrnade_pt.tables import write_table

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "configs", "balls.json")
RESULTS = os.path.join(HERE, "RESULTS.md")
MODELS = os.path.join(HERE, "models")
TABLE = "main"
CELL = "rnn-rnade_balls"
QUICK = [
    ("model.H", 4),
    ("model.R", 3),
    ("model.K", 2),
    ("train.epochs", 1),
    ("train.pretrain_epochs", 1),
    ("data.n_train", 4),
    ("data.n_valid", 2),
    ("data.n_test", 2),
    ("data.length", 10),
    ("data.res", 4),
    ("model.D", 16),
]
logger = logging.getLogger("main_job")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a temporary run and release root")
    parser.add_argument(
        "--from-release", action="store_true", help="re-score the released model, train nothing"
    )
    parser.add_argument("--models", help=f"the release root (default {MODELS}; quick: a tmp dir)")
    parser.add_argument("--out", help=f"write the block here (default: RESULTS.md's {TABLE!r} block)")
    add_run_arguments(parser, "runs/main")
    args = parser.parse_args(argv)
    setup_logging(args.verbose, logger.name)
    models = args.models or (tempfile.mkdtemp(prefix="main-models-") if args.quick else MODELS)
    with open(CONFIG, encoding="utf-8") as fh:
        cfg = RunConfig.from_json(fh.read())
    over = list(QUICK) if args.quick else []
    over += [("data.root", args.data_root)] if args.data_root else []
    cfg = cfg.with_overrides(over)
    if args.from_release:
        (manifest,), bad = rescore_all(
            models, TABLE, score, main_evaluate, data_root=args.data_root, progress=print
        )
    else:
        run_root = args.run_root or (tempfile.mkdtemp(prefix="main-quick-") if args.quick else "runs/main")
        job = Job(CELL, cfg, os.path.join(run_root, CELL))
        run = dict(engine=args.engine, workers=args.workers, address=args.address, force=args.force)
        (summary,) = run_jobs([job], progress=lambda record, p: print(format_progress(p), flush=True), **run)
        if "error" in summary:
            logger.error("%s failed: %s", CELL, summary["error"])
            return 1
        out = os.path.join(models, TABLE, CELL)
        release_run(
            job.run_dir,
            out,
            table=TABLE,
            cell=CELL,
            score=score,
            evaluate=main_evaluate,
            data_root=args.data_root,
        )
        manifest, bad = read_manifest(out), {}
    table = main_table(manifest, prediction_baselines(load_dataset(cfg.data)))
    write_table(table, args.out, args.quick, RESULTS, TABLE)
    for cell, diff in bad.items():
        logger.error("%s: the re-score differs from its manifest: %s", cell, "; ".join(diff))
    return 1 if bad else 0


if __name__ == "__main__":
    from rnnrnade_pt.cli import run_reporting_errors

    sys.exit(run_reporting_errors("main_job.py", main))
