"""The standard BSDS300 benchmark: RNADE beside the density-estimation field's table (RESULTS.md's block).

    python experiments/bsds300.py                   # train what is not trained (runs/bsds300), release it to
                                                    # models/bsds300/, regenerate RESULTS.md's block
    python experiments/bsds300.py --from-release    # re-score the released models (no training): same block
    python experiments/bsds300.py --quick           # tiny sizes and data, temporary roots (tests)

The data are the field's standard BSDS300 patches (:func:`rnnrnade_pt.data.bsds.standard_bsds300`:
1,000,000 training, 50,000 validation and 250,000 test patches of 63 values). Each row is a run config of
``configs/bsds300/`` trained by :func:`rnnrnade_pt.runs.train_and_evaluate` through
:func:`rnnrnade_pt.sweep.run_jobs` (a finished run is reused, an interrupted one resumed), released with its
test log-likelihood per patch and that mean's standard error over the test patches. The full-covariance
Gaussian is fitted by this script on the training patches at each call. The published rows (MAF paper and
others, ``published.json``) stand beside ours.

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
.. [2] G. Papamakarios, T. Pavlakou, I. Murray. "Masked autoregressive flow for density estimation."
   NIPS 2017 (the field's BSDS300 table).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile

import numpy as np
from scipy.special import logsumexp

from rnnrnade_pt.baselines import gaussian_fit, gaussian_loglik
from rnnrnade_pt.config import RunConfig
from rnnrnade_pt.data.datasets import load_dataset
from rnnrnade_pt.orderings import natural_ordering, ordering_logliks, random_orderings
from rnnrnade_pt.release import read_manifest, release_run, rescore_all
from rnnrnade_pt.sweep import Job, add_run_arguments, run_jobs, setup_logging
from rnnrnade_pt.sweep_progress import format_progress
from rnnrnade_pt.tables import fmt_duration, load_published, markdown_table, write_table

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(HERE, "configs", "bsds300")
RESULTS = os.path.join(HERE, "RESULTS.md")
MODELS = os.path.join(HERE, "models")
PUBLISHED = os.path.join(HERE, "published.json")
TABLE = "bsds300"
ROWS = {  # row -> what it is; configs/bsds300/<row>.json
    "rnade": "RNADE, 1 hidden layer, fixed ordering",
    "deep-rnade-2": "RNADE, 2 hidden layers, order-agnostic",
}
COMPARED_WITH = {"rnade": "rnade", "deep-rnade-2": "deep-rnade"}  # our row -> the published row beside it
ENSEMBLES = (2, 4, 8)  # ensembles over orderings reported for an order-agnostic row (and 1: the model itself)
REFERENCE = {  # the published rows without a run of ours, in the MAF paper's order
    "made": "MADE",
    "made-mog": "MADE MoG",
    "realnvp": "Real NVP",
    "maf": "MAF",
    "maf-mog": "MAF MoG",
    "deep-rnade": "RNADE, 6 hidden layers, order-agnostic",
    "eornade": "EoRNADE (ensemble over orderings)",
    "naf": "NAF",
    "tan": "TAN",
}
QUICK = [
    ("model.H", 4),
    ("model.K", 2),
    ("train.epochs", 1),
    ("train.max_seconds", None),
    ("data.name", None),
    ("data.n_train", 5),
    ("data.n_valid", 5),
    ("data.n_test", 5),
]
logger = logging.getLogger("bsds300")


def evaluate(run, seqs) -> dict:
    """Test log-likelihood per patch (nats), its standard error over the patches, and the patches counted
    (the model's own density: an order-agnostic model's under the natural ordering). For an order-agnostic
    model also, over 8 seeded random orderings (:func:`~rnnrnade_pt.orderings.random_orderings`, seed 0; the
    original code's summary): one ordering's score, the mean over the 8 ± its standard error over them
    (``random_ordering``), and the ensembles of the first 2, 4 and 8 (``ensembles``)."""
    X = np.concatenate(seqs)  # N x 63
    if run.cfg.model.model != "deep-rnade":
        ll = np.concatenate(
            [run.model.loglik(X[i : i + 50_000]).per_sequence for i in range(0, len(X), 50_000)]
        )
        return _mean_and_error(ll + run.log_jacobian)
    D = run.cfg.model.D
    orders = np.concatenate([natural_ordering(D)[None], random_orderings(np.random.default_rng(0), 8, D)])
    L = ordering_logliks(run.model, X, orders, batch_size=4096) + run.log_jacobian  # 1 + 8 orderings x N
    out = _mean_and_error(L[0])
    each = L[1:].mean(axis=1)  # the random orderings' scores
    out["random_ordering"] = {
        "loglik_per_frame": float(each.mean()),
        "loglik_standard_error": float(each.std(ddof=1) / np.sqrt(len(each))),
    }
    out["ensembles"] = {
        str(n): _mean_and_error(logsumexp(L[1 : n + 1], axis=0) - np.log(n)) for n in ENSEMBLES
    }
    return out


def _mean_and_error(ll: np.ndarray) -> dict:
    return {
        "loglik_per_frame": float(ll.mean()),
        "loglik_standard_error": float(ll.std() / np.sqrt(len(ll))),
        "frames": len(ll),
    }


def score(run, evaluation: dict) -> dict:
    """The numbers a release stands for: the test log-likelihood per patch (and per ensemble size)."""
    out = {
        "value": evaluation["loglik_per_frame"],
        "what": "test log-likelihood per patch (nats)",
        "counted": evaluation["frames"],
        "standard_error": evaluation["loglik_standard_error"],
    }
    if "ensembles" in evaluation:
        out["random_ordering"] = {
            "value": evaluation["random_ordering"]["loglik_per_frame"],
            "standard_error": evaluation["random_ordering"]["loglik_standard_error"],
        }
        out["ensembles"] = {
            n: {"value": e["loglik_per_frame"], "standard_error": e["loglik_standard_error"]}
            for n, e in evaluation["ensembles"].items()
        }
    return out


def gaussian_row(cfg: RunConfig) -> tuple[float, float]:
    """The full-covariance Gaussian fitted to the training patches: its test log-likelihood per patch and
    the standard error."""
    data = load_dataset(cfg.data)
    mu, cov = gaussian_fit(np.concatenate(data["train"]))
    ll = gaussian_loglik(np.concatenate(data["test"]), mu, cov)
    return float(ll.mean()), float(ll.std() / np.sqrt(len(ll)))


def table(manifests: dict, gaussian: tuple[float, float], published: dict) -> str:
    """RESULTS.md's block: our rows beside the published ones, then the reference rows."""

    def pub(row):
        return published.get(row, {}).get("test")

    rows = []
    for row, what in ROWS.items():
        m, published_row = manifests.get(row), COMPARED_WITH[row]
        if m is None:
            rows.append([what, "—", f"{pub(published_row):.2f}", "—", "—", "—", "not trained yet"])
            continue
        s = m["score"]
        scores = [(what + (", natural ordering" if "ensembles" in s else ""), s, published_row)]
        if "random_ordering" in s:
            scores.append((f"{what}, a random ordering (mean of 8)", s["random_ordering"], published_row))
        scores += [
            (f"{what}, ensemble of {n} random orderings", e, "eornade")
            for n, e in s.get("ensembles", {}).items()
        ]
        for label, e, published_row in scores:
            rows.append(
                [
                    label,
                    f"{e['value']:.2f} ± {e['standard_error']:.2f}",
                    f"{pub(published_row):.2f}",
                    f"{e['value'] - pub(published_row):+.2f}",
                    str(m.get("epochs", "—")),
                    fmt_duration(m.get("training_seconds")) or "—",
                    f"`models/{TABLE}/{row}`, {m.get('stopped', '—')}",
                ]
            )
    g, g_se = gaussian
    rows.append(
        [
            "Gaussian, full covariance",
            f"{g:.2f} ± {g_se:.2f}",
            f"{pub('gaussian'):.2f}",
            f"{g - pub('gaussian'):+.2f}",
            "—",
            "—",
            "fitted at each call",
        ]
    )
    rows += [
        [what, "—", f"{pub(row):.2f}", "—", "—", "—", "published only"] for row, what in REFERENCE.items()
    ]
    header = [
        "model",
        "ours (nats per patch)",
        "published",
        "gap",
        "epochs",
        "training",
        "release, stopped by",
    ]
    notes = [
        f"`{row}`: {settings(m['config'])}; `{m['command']}` at commit {str(m['commit'])[:10]}"
        f"{' (uncommitted changes)' if m.get('dirty') else ''} on {m['machine']}"
        for row, m in ((row, manifests[row]) for row in ROWS if row in manifests)
    ]
    return "\n\n".join([markdown_table(header, rows), *notes])


def settings(cfg: dict) -> str:
    """A run config's model and training settings in words."""
    m, t = cfg["model"], cfg["train"]
    budget = f", at most {fmt_duration(t['max_seconds'])} of training" if t.get("max_seconds") else ""
    layers = f"{m['layers']} hidden layers of " if m["model"] == "deep-rnade" else ""
    schedule = f" ({t['schedule']} schedule)" if t.get("schedule", "constant") != "constant" else ""
    return (
        f"{layers}H={m['H']}, K={m['K']} ({m['mixture']} components, {m['hidden_activation']} hidden units, "
        f"{m['dtype']}); {t['optimizer']} lr {t['lr']}{schedule}, batches of {t['batch_size']}, up to "
        f"{t['epochs']} epochs, "
        + (
            f"early stopping after {t['patience']} epochs without a better validation score"
            if t["patience"]
            else "no early stopping"
        )
        + f"{budget}, the best validation checkpoint kept"
    )


def learning_curves(jobs, published: dict, out_dir: str) -> str:
    """The validation log-likelihood per epoch of every row's run (``bsds300_curves.png`` in ``out_dir``),
    beside the published values it is set against: where a row stopped short of its published value, the
    curve shows how far it still climbed."""
    from rnnrnade_pt.metrics import read_metrics
    from rnnrnade_pt.plots import curves

    series = {}
    for job in jobs:
        rows = [r for r in read_metrics(job.run_dir) if r["phase"] == "train" and r["valid_loglik"] != ""]
        if rows:
            epochs = [int(r["epoch"]) for r in rows]
            series[ROWS[job.name]] = (epochs, [float(r["valid_loglik"]) for r in rows])
    refs = {"rnade": "RNADE", "deep-rnade": "RNADE, 6 layers", "eornade": "EoRNADE", "maf-mog": "MAF MoG"}
    lines = {f"{what} (published)": published[row]["test"] for row, what in refs.items() if row in published}
    out = os.path.join(out_dir, "bsds300_curves.png")
    return curves(series, out, "BSDS300: validation log-likelihood", "nats per patch", lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and data, temporary roots")
    parser.add_argument("--from-release", action="store_true", help="re-score the released models")
    parser.add_argument("--models", help=f"the release root (default {MODELS}; quick: a tmp dir)")
    parser.add_argument("--out", help=f"write the block here (default: RESULTS.md's {TABLE!r} block)")
    parser.add_argument("--figures", metavar="DIR", help="the runs' validation curves (bsds300_curves.png)")
    add_run_arguments(parser, "runs/bsds300")
    args = parser.parse_args(argv)
    setup_logging(args.verbose, logger.name)
    models = args.models or (tempfile.mkdtemp(prefix="bsds300-models-") if args.quick else MODELS)
    jobs = []
    run_root = args.run_root or (tempfile.mkdtemp(prefix="bsds300-quick-") if args.quick else "runs/bsds300")
    for row in ROWS:
        with open(os.path.join(CONFIGS, f"{row}.json"), encoding="utf-8") as fh:
            cfg = RunConfig.from_json(fh.read())
        over = list(QUICK) if args.quick else []
        over += [("data.root", args.data_root)] if args.data_root else []
        over += [("train.max_seconds", args.time_budget)] if args.time_budget else []
        jobs.append(Job(row, cfg.with_overrides(over), os.path.join(run_root, row)))
    bad = {}
    if args.from_release:
        found, bad = rescore_all(models, TABLE, score, evaluate, data_root=args.data_root, progress=print)
        manifests = {m["cell"]: m for m in found}
    else:
        run = dict(engine=args.engine, workers=args.workers, address=args.address, force=args.force)
        summaries = run_jobs(jobs, progress=lambda record, p: print(format_progress(p), flush=True), **run)
        manifests = {}
        for job, summary in zip(jobs, summaries, strict=True):
            if "error" in summary:
                logger.error("%s failed: %s", job.name, summary["error"])
                continue
            out = os.path.join(models, TABLE, job.name)
            kw = dict(table=TABLE, cell=job.name, score=score, evaluate=evaluate, data_root=args.data_root)
            release_run(job.run_dir, out, if_changed=True, **kw)
            manifests[job.name] = read_manifest(out)
    published = load_published(PUBLISHED, TABLE)
    block = table(manifests, gaussian_row(jobs[0].cfg), published)
    if args.figures:
        print(learning_curves(jobs, published, args.figures))
    write_table(block, args.out, args.quick, RESULTS, TABLE)
    for cell, diff in bad.items():
        logger.error("%s: the re-score differs from its manifest: %s", cell, "; ".join(diff))
    return 1 if bad else 0


if __name__ == "__main__":
    from rnnrnade_pt.cli import run_reporting_errors

    sys.exit(run_reporting_errors("bsds300.py", main))
