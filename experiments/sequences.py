"""RNN-RNADE on real-valued sequences against its baselines (issue 8): bouncing balls, MIT mocap, Japanese
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
import json
import logging
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG_DIR = os.path.join(HERE, "configs", "sequences")
RESULTS = os.path.join(HERE, "RESULTS.md")
MODELS_DIR = os.path.join(HERE, "models")
BLOCK = "sequences"

MODELS = ("rnade", "gaussian-rnn", "rnn-rnade-mu-sigma", "rnn-rnade")
DATASETS = ("balls", "mocap", "vowels")
SEEDS = (0, 1, 2)
TITLES = {
    "rnade": "RNADE per frame (no RNN)",
    "gaussian-rnn": "Gaussian RNN",
    "rnn-rnade-mu-sigma": "RNN-RNADE, mu and sigma conditioned",
    "rnn-rnade": "RNN-RNADE, all three",
    "balls": "balls",
    "mocap": "mocap",
    "vowels": "vowels",
}
# --quick: tiny models, one epoch on the first few sequences of each split (the balls: few and short)
QUICK = [
    ("model.H", 4),
    ("model.R", 3),
    ("model.K", 2),
    ("train.epochs", 1),
    ("train.window", 20),
    ("train.batch_size", 4),
    ("train.patience", 0),
    ("data.max_sequences", 4),
    ("data.n_train", 6),
    ("data.n_valid", 2),
    ("data.n_test", 2),
    ("data.length", 12),
]

logger = logging.getLogger("sequences")


def job_name(row: str, dataset: str, seed: int) -> str:
    return f"{row}_{dataset}_seed{seed}"


def job_key(name: str) -> tuple[str, str, int]:
    """``(row, dataset, seed)`` of a :func:`job_name`."""
    row, dataset, seed = name.rsplit("_", 2)
    return row, dataset, int(seed.removeprefix("seed"))


def _overrides(quick: bool, time_budget, data_root, keep=()) -> list:
    out = [(k, v) for k, v in QUICK if k not in keep] if quick else []
    if time_budget is not None:
        out.append(("train.max_seconds", float(time_budget)))
    if data_root is not None:
        out.append(("data.root", os.fspath(data_root)))
    return out


def row_config(row: str, dataset: str):
    """The committed config of a row on a dataset, ``configs/sequences/<row>_<dataset>.json``."""
    from rnnrnade_pt.config import RunConfig
    from rnnrnade_pt.errors import ConfigError

    path = os.path.join(CONFIG_DIR, f"{row}_{dataset}.json")
    if not os.path.exists(path):
        raise ConfigError(f"no config {path} (models: {list(MODELS)}, datasets: {list(DATASETS)})")
    with open(path, encoding="utf-8") as fh:
        return RunConfig.from_json(fh.read())


def make_jobs(
    run_root, models=MODELS, datasets=DATASETS, seeds=SEEDS, quick=False, time_budget=None, data_root=None
):
    """One :class:`~rnnrnade_pt.sweep.Job` per (model, dataset, seed) from
    ``configs/sequences/<model>_<dataset>.json``, with the quick overrides, the training time budget
    (seconds, ``train.max_seconds``) and the data root. A config whose ``train.pretrained_rnade`` names a
    row (``"rnade"``) starts from that row's run of the same dataset and seed (its ``best.npz``); that job
    is added when ``models`` lacks it (see :func:`in_waves`)."""
    from rnnrnade_pt.sweep import Job

    jobs = []
    for model in models:
        for dataset in datasets:
            cfg = row_config(model, dataset).with_overrides(_overrides(quick, time_budget, data_root))
            start = cfg.train.pretrained_rnade
            for seed in seeds:
                name = job_name(model, dataset, seed)
                job_cfg = cfg.override("train.seed", int(seed))
                if start in MODELS:
                    if start not in models:
                        jobs += make_jobs(run_root, [start], [dataset], [seed], quick, time_budget, data_root)
                    best = os.path.join(run_root, job_name(start, dataset, seed), "best.npz")
                    job_cfg = job_cfg.override("train.pretrained_rnade", best)
                jobs.append(Job(name, job_cfg, os.path.join(run_root, name)))
    return list({j.name: j for j in jobs}.values())


def own_pretraining(cfg):
    """``cfg`` whose ``train.pretrained_rnade`` names a row, made to pretrain its own RNADE on shuffled frames
    with that row's settings on the same dataset instead (epochs, lr, batch size, patience); other configs
    as they are."""
    row = cfg.train.pretrained_rnade
    if row not in MODELS:
        return cfg
    t = row_config(row, cfg.data.dataset).train
    return cfg.with_overrides(
        [
            ("train.pretrained_rnade", None),
            ("train.pretrain_epochs", t.epochs),
            ("train.pretrain_lr", t.lr),
            ("train.pretrain_batch_size", t.batch_size),
            ("train.pretrain_patience", t.patience),
        ]
    )


def in_waves(jobs) -> list[list]:
    """``jobs`` in two waves: the runs that others start from (``train.pretrained_rnade``), then the rest,
    so that a parallel engine never starts a run before the one it starts from has finished."""
    starts = {os.path.dirname(j.cfg.train.pretrained_rnade) for j in jobs if j.cfg.train.pretrained_rnade}
    first = [j for j in jobs if j.run_dir in starts]
    return [wave for wave in (first, [j for j in jobs if j not in first]) if wave]


def make_sweep_jobs(path, run_root, seeds=SEEDS, quick=False, time_budget=None, data_root=None):
    """The jobs of a sweep file (:func:`rnnrnade_pt.sweep.load_sweep`), each grid point once per seed; with
    ``quick`` the tiny sizes apply except to the keys the grid sets. A grid point cannot start from a row's
    RNADE run (its sizes differ): where the base's ``train.pretrained_rnade`` names a row, each point
    pretrains its own RNADE with that row's settings (:func:`own_pretraining`)."""
    from rnnrnade_pt.sweep import Job, load_sweep

    sweep_jobs = load_sweep(path, run_root)  # checks the file first: a one-line error if it is bad
    with open(path, encoding="utf-8") as fh:
        keep = set(json.load(fh).get("grid", {}))
    jobs = []
    for job in sweep_jobs:
        cfg = own_pretraining(job.cfg.with_overrides(_overrides(quick, time_budget, data_root, keep)))
        for seed in seeds:
            name = job_name(job.name, cfg.data.dataset, seed)
            jobs.append(Job(name, cfg.override("train.seed", int(seed)), os.path.join(run_root, name)))
    return jobs


def baseline_rows(jobs) -> dict:
    """``{dataset: prediction_baselines(its data)}`` for the datasets of ``jobs`` (one config each)."""
    from rnnrnade_pt.baselines import prediction_baselines
    from rnnrnade_pt.data.datasets import load_dataset

    configs = {}
    for job in jobs:
        configs.setdefault(job.cfg.data.dataset, job.cfg.data)
    return {d: prediction_baselines(load_dataset(dcfg)) for d, dcfg in configs.items()}


def _either(values) -> str:
    """``{40, 200}`` -> ``"40 or 200"``."""
    return " or ".join(map(str, sorted(values)))


def _row_settings(cfg) -> str:
    """How one row's runs are trained, batched and started, for the table's settings note."""
    t = cfg.train
    decay = {
        "linear": f" decaying linearly to 0 over {t.epochs} epochs",
        "inverse": f" / (1 + {t.decay:g} epoch)",
    }
    text = f"lr {t.lr:g}{decay.get(t.schedule, '')}, "
    text += (
        f"batches of {t.batch_size} windows of {t.window} frames"
        if cfg.model.recurrent
        else f"batches of {t.batch_size} frames"
    )
    if cfg.model.model == "rnn-rnade" and t.pretrained_rnade:
        text += f", {cfg.model.rnn_activation} RNN, starting from its seed's RNADE run, zero RNN-to-bias maps"
    elif cfg.model.model == "rnn-rnade" and t.pretrain_epochs:
        text += (
            f", {cfg.model.rnn_activation} RNN; its RNADE pretrained on shuffled frames first (up to "
            f"{t.pretrain_epochs} epochs, lr {t.pretrain_lr or t.lr:g}, batches of "
            f"{t.pretrain_batch_size or t.batch_size}, patience {t.pretrain_patience})"
            + (", the RNN-to-bias maps from zero" if t.zero_bias_maps else "")
        )
    return text


def sequences_table(summaries, jobs=None, titles=TITLES, baselines=None) -> str:
    """The markdown table of ``run_jobs``' summaries (named by :func:`job_name`): one row per model (or
    sweep grid point), per dataset the test log-likelihood per frame and the one-step squared prediction
    error per frame as mean ± standard error over the seeds; the parameter count on each dataset, the seeds
    and the summed wall time; then a row per prediction baseline (``baselines``: :func:`baseline_rows`).
    Notes on the settings follow when ``jobs`` is given."""
    from rnnrnade_pt.baselines import PREDICTION_BASELINES
    from rnnrnade_pt.tables import fmt_duration, fmt_mean_stderr, markdown_table

    cells: dict = {}  # (row, dataset) -> list of summaries
    rows, datasets = [], []
    for s in summaries:
        row, dataset, _ = job_key(s["name"])
        cells.setdefault((row, dataset), []).append(s)
        if row not in rows:
            rows.append(row)
        if dataset not in datasets:
            datasets.append(dataset)
    datasets = [d for d in DATASETS if d in datasets] + [d for d in datasets if d not in DATASETS]
    header = ["model"]
    for d in datasets:
        header += [f"{titles.get(d, d)}: log-lik / frame", f"{titles.get(d, d)}: sq. error / frame"]
    per_dataset = " / ".join(titles.get(d, d) for d in datasets)
    header += [f"parameters ({per_dataset})", "seeds", "wall time"]
    table = []
    for row in rows:
        line, n_params, seeds, wall = [titles.get(row, row)], [], [], 0.0
        for d in datasets:
            runs = cells.get((row, d), [])
            ok = [s for s in runs if "error" not in s and "test" in s]
            failed = len(runs) - len(ok)
            for metric in ("loglik_per_frame", "sq_pred_error_per_frame"):
                values = [s["test"][metric] for s in ok if metric in s["test"]]
                text = fmt_mean_stderr(values) if values else None
                if failed:
                    text = f"{text or '—'} ({failed} failed)"
                line.append(text)
            n_params.append(f"{ok[0]['n_params']:,}" if ok else "—")
            seeds.append(len(ok))
            wall += sum(s.get("wall_seconds", 0.0) for s in ok)
        seeds_text = str(seeds[0]) if len(set(seeds)) == 1 else " / ".join(map(str, seeds))  # per dataset
        table.append(line + [" / ".join(n_params), seeds_text, fmt_duration(wall)])
    for name in PREDICTION_BASELINES if baselines else ():
        line = [f"{name} (prediction baseline)"]
        for d in datasets:
            value = (baselines.get(d) or {}).get(name)
            line += ["—", None if value is None else f"{value:.2f}"]
        table.append(line + ["0", "—", "—"])
    text = markdown_table(header, table)
    text += (
        "\nTest log-likelihood per frame in nats (in the data's own units: standardised models are "
        "reported for the unstandardised data), and one-step squared prediction error per frame: "
        "the squared distance, summed over dimensions, between each test frame with a past and the model's "
        "prediction from the frames before it (RNN-RNADE: ancestral mean-field; Gaussian RNN: its mean; "
        "RNADE: its one mean-field frame). Mean ± standard error over seeds; wall time is the rows' runs "
        "together, compiling and evaluation included.\n"
    )
    if failed_runs := [s for s in summaries if "error" in s]:
        text += "\nFailed: " + "; ".join(f"{s['name']}: {s['error']}" for s in failed_runs) + "\n"
    if jobs:
        t = jobs[0].cfg.train
        budget = f", at most {fmt_duration(t.max_seconds)} of training a run" if t.max_seconds else ""
        sizes, per_row = {}, {}
        for j in jobs:
            row, dataset, _ = job_key(j.name)
            settings = per_row.setdefault(row, {})  # settings text -> the datasets it holds for
            settings.setdefault(_row_settings(j.cfg), []).append(titles.get(dataset, dataset))
            m = j.cfg.model
            used = {"rnade": f"H={m.H}, K={m.K}", "gaussian-rnn": f"R={m.R}"}.get(
                m.model, f"H={m.H}, K={m.K}, R={m.R}"
            )
            sizes.setdefault(dataset, {}).setdefault(used, []).append(titles.get(row, row))
        size_text = "; ".join(
            f"{titles.get(d, d)}: "
            + ", ".join(f"{u} ({' and '.join(dict.fromkeys(rows))})" for u, rows in us.items())
            for d, us in sizes.items()
        )
        rows_text = "; ".join(
            f"{titles.get(row, row)}: "
            + " | ".join(
                text + (f" ({', '.join(dict.fromkeys(ds))})" if len(settings) > 1 else "")
                for text, ds in settings.items()
            )
            for row, settings in per_row.items()
        )
        rules: dict = {}  # dataset -> ({epochs}, {patience}): one early-stopping rule per dataset
        for j in jobs:
            epochs, patience = rules.setdefault(job_key(j.name)[1], (set(), set()))
            epochs.add(j.cfg.train.epochs)
            patience.add(j.cfg.train.patience)
        stopping = ", early stopping after {} epochs without a better validation score"
        rule_text = "; ".join(
            f"{titles.get(d, d)}: up to {_either(e)} epochs" + (stopping.format(_either(p)) if any(p) else "")
            for d, (e, p) in rules.items()
        )
        text += (
            f"\nSettings: {t.optimizer}, gradient norm clipped at {t.clip_norm:g}; "
            f"{rule_text}{budget}. Sizes: {size_text}. {rows_text}."
        )
        if any(j.cfg.data.max_sequences for j in jobs):
            text += f" Quick run: the first {jobs[0].cfg.data.max_sequences} sequences of each split only."
        text += "\n"
    return text


def render(summaries, out_dir: str, n: int = 3, steps: int = 60, prime: int = 30) -> list[str]:
    """Sample ``n`` sequences of ``steps`` frames from each (model, dataset)'s best seed (highest test
    log-likelihood) and draw them (:func:`rnnrnade_pt.plots.sample_pictures`: balls as frame strips and GIFs,
    mocap as stick figures, PNG strip and GIF, vowels as line plots). A sequence model on mocap continues the
    first ``prime`` frames of the first ``n`` test sequences (drawn in grey before its own frames). Returns
    the paths."""
    import numpy as np

    from rnnrnade_pt.data.datasets import load_dataset
    from rnnrnade_pt.plots import sample_pictures
    from rnnrnade_pt.runs import load_run, sample_run

    best: dict = {}
    for s in summaries:
        if "error" in s or "test" not in s:
            continue
        row, dataset, _ = job_key(s["name"])
        if (row, dataset) not in best or s["test"]["loglik_per_frame"] > best[row, dataset]["test"][
            "loglik_per_frame"
        ]:
            best[row, dataset] = s
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for (row, dataset), s in best.items():
        run = load_run(s["run"])
        primed = 0
        if not run.cfg.model.recurrent:
            S = sample_run(run, n * steps).reshape(n, steps, -1).transpose(1, 0, 2)  # i.i.d. frames
        elif dataset == "mocap":
            heads = [x[:prime] for x in load_dataset(run.cfg.data)["test"][:n] if len(x) >= prime]
            S = sample_run(run, len(heads), steps=steps, prime=heads)  # steps x n x D, after the prime
            S, primed = np.concatenate([np.stack(heads, axis=1), S]), prime
        else:
            S = sample_run(run, n, steps=steps)  # steps x n x D
        paths += sample_pictures(S, run.cfg, os.path.join(out_dir, f"{row}_{dataset}"), primed=primed)
    return paths


def score(run, evaluation: dict) -> dict:
    """The number a release stands for: the test log-likelihood per frame in the data's units."""
    return {
        "value": evaluation["loglik_per_frame"],
        "what": "test log-likelihood per frame (nats, the data's units)",
        "counted": evaluation["frames"],
    }


def release_jobs(jobs, summaries, models_dir: str, data_root=None) -> None:
    """Release every finished run among ``jobs`` to ``models_dir/sequences/<name>`` (a release of the same
    checkpoint is left as it is)."""
    from rnnrnade_pt.data.download import sha256_file
    from rnnrnade_pt.release import is_release, read_manifest, release_run

    done = {s["name"] for s in summaries if "error" not in s and "test" in s}
    for job in jobs:
        if job.name not in done:
            continue
        out = os.path.join(models_dir, BLOCK, job.name)
        digest = sha256_file(os.path.join(job.run_dir, "best.npz"))
        if is_release(out) and read_manifest(out).get("checkpoint_sha256") == digest:
            continue
        extra = {"checkpoint_sha256": digest}
        release_run(
            job.run_dir, out, table=BLOCK, cell=job.name, score=score, data_root=data_root, extra=extra
        )
        logger.warning("released %s", out)


def table_from_releases(manifests, data_root=None) -> str:
    """The table of the released models (rows and datasets as released; the prediction baselines on their
    data), then which (model, dataset) cells have no release yet, where the models are and how they were
    made."""
    from rnnrnade_pt.config import RunConfig
    from rnnrnade_pt.release import compute_summary, releases_made_by
    from rnnrnade_pt.sweep import Job

    def order(m):
        row, dataset, seed = job_key(m["cell"])
        known = (
            MODELS.index(row) if row in MODELS else len(MODELS),
            DATASETS.index(dataset) if dataset in DATASETS else 9,
        )
        return (*known, seed)

    summaries, jobs = [], []
    for m in sorted(manifests, key=order):
        keep = ("epochs", "wall_seconds", "n_params", "stopped")
        summaries.append({"name": m["cell"], "test": m["evaluation"], **{k: m[k] for k in keep}})
        cfg = RunConfig.from_dict(m["config"])
        cfg = cfg.with_overrides([("data.root", data_root)]) if data_root else cfg
        jobs.append(Job(m["cell"], cfg, ""))
    if not manifests:
        return "No released model yet.\n"
    text = sequences_table(summaries, jobs, baselines=baseline_rows(jobs))
    released = {job_key(m["cell"])[:2] for m in manifests}
    missing = [f"{TITLES[r]} on {d}" for r in MODELS for d in DATASETS if (r, d) not in released]
    if missing:
        text += f"\nNot released yet: {', '.join(missing)}.\n"
    text += (
        "\nModels: `experiments/models/sequences/<model>_<set>_seed<k>` ("
        + "; ".join(releases_made_by(manifests))
        + f"; {compute_summary(manifests)}). Regenerate: `python experiments/sequences.py [--engine dask "
        "--workers N]`; re-score: `python experiments/sequences.py --from-release`.\n"
    )
    return text


def main(argv=None) -> int:
    from rnnrnade_pt.release import find_releases, read_manifest, rescore_all
    from rnnrnade_pt.sweep import add_run_arguments, run_jobs, setup_logging, stored_summaries
    from rnnrnade_pt.sweep_progress import format_progress
    from rnnrnade_pt.tables import not_run_note, write_table

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
        manifests, bad = rescore_all(models_dir, BLOCK, score, data_root=args.data_root, progress=print)
        write_table(table_from_releases(manifests, args.data_root), args.out, args.quick, RESULTS, BLOCK)
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
        jobs = make_sweep_jobs(args.sweep, run_root, seeds, args.quick, args.time_budget, args.data_root)
    else:
        jobs = make_jobs(
            run_root,
            args.models.split(","),
            args.datasets.split(","),
            seeds,
            args.quick,
            args.time_budget,
            args.data_root,
        )
    done = {}
    if args.table_only:
        done = stored_summaries(jobs)
    else:
        run = dict(engine=args.engine, workers=args.workers, address=args.address, force=args.force)
        for wave in in_waves(jobs):
            for s in run_jobs(wave, progress=lambda record, p: print(format_progress(p), flush=True), **run):
                done[s["name"]] = s
    summaries = [done[j.name] for j in jobs if j.name in done]
    if args.sweep:  # an investigation: not released, its table to --out or standard output
        table = sequences_table(summaries, jobs) + not_run_note([j.name for j in jobs], done)
        write_table(table, args.out, True, RESULTS, BLOCK)
    else:
        release_jobs(jobs, summaries, models_dir, args.data_root)
        manifests = [read_manifest(p) for p in find_releases(models_dir, BLOCK)]
        write_table(table_from_releases(manifests, args.data_root), args.out, args.quick, RESULTS, BLOCK)
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
