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
early stopping can live with. Its test score is estimated apart (:func:`test_bracket`, ``--test-ais``): AIS
and reverse annealing from each test frame (RAISE), 10 chains and 1000 temperatures each, over every test
frame; AIS leans optimistic and RAISE pessimistic, so together they bracket the log-likelihood (measured on
JSB's first 5 test sequences: AIS -6.51 / -6.98 / -7.02 at 100 / 1000 / 3000 temperatures, RAISE -7.56 /
-7.05 at 100 / 1000). At H=150 one direction at 1000 temperatures takes about 20 minutes on JSB's test set
on one core, an hour on Piano-midi.de's.

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

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG_DIR = os.path.join(HERE, "configs", "music")
RESULTS = os.path.join(HERE, "RESULTS.md")
PUBLISHED_FILE = os.path.join(HERE, "published.json")
MODELS_DIR = os.path.join(HERE, "models")
BLOCK = "music"

MODELS = ("rnn-rbm", "rnn-nade")
DATASETS = ("Piano_midi", "Nottingham", "MuseData", "JSB_Chorales")  # the paper's column order
TITLES = {
    "Piano_midi": "Piano-midi.de",
    "Nottingham": "Nottingham",
    "MuseData": "MuseData",
    "JSB_Chorales": "JSB Chorales",
    "rnn-rbm": "RNN-RBM",
    "rnn-nade": "RNN-NADE",
}


def published(path: str = PUBLISHED_FILE) -> dict:
    """``{(model, dataset): test log-likelihood per time step}`` as published (``published.json``)."""
    from rnnrnade_pt.tables import load_published

    return {(m, d): v for m, row in load_published(path, BLOCK).items() for d, v in row.items()}


# --quick: tiny models, one epoch on the first few sequences of each split
QUICK = [
    ("model.H", 6),
    ("model.R", 5),
    ("model.cd_k", 2),
    ("model.gibbs_k", 2),
    ("model.ais_chains", 4),
    ("model.ais_betas", 10),
    ("train.epochs", 1),
    ("train.pretrain_epochs", 1),
    ("train.window", 20),
    ("train.batch_size", 4),
    ("train.patience", 0),
    ("data.max_sequences", 3),
]


def job_name(model: str, dataset: str) -> str:
    return f"{model}_{dataset}"


def make_jobs(run_root, models=MODELS, datasets=DATASETS, quick=False, time_budget=None, data_root=None):
    """One :class:`~rnnrnade_pt.sweep.Job` per (model, dataset) from ``configs/music/<model>_<dataset>.json``,
    with the quick overrides, the training time budget (seconds, ``train.max_seconds``) and the data root."""
    from rnnrnade_pt.config import RunConfig
    from rnnrnade_pt.errors import ConfigError
    from rnnrnade_pt.sweep import Job

    jobs = []
    for model in models:
        for dataset in datasets:
            name = job_name(model, dataset)
            path = os.path.join(CONFIG_DIR, f"{name}.json")
            if not os.path.exists(path):
                raise ConfigError(f"no config {path} (models: {list(MODELS)}, datasets: {list(DATASETS)})")
            with open(path, encoding="utf-8") as fh:
                cfg = RunConfig.from_json(fh.read())
            overrides = list(QUICK) if quick else []
            if time_budget is not None:
                overrides.append(("train.max_seconds", float(time_budget)))
            if data_root is not None:
                overrides.append(("data.root", os.fspath(data_root)))
            jobs.append(Job(name, cfg.with_overrides(overrides), os.path.join(run_root, name)))
    return jobs


TEST_AIS_CHAINS = 10  # chains per frame of the test-time estimates (test_bracket)


def test_bracket(job, betas: int, chains: int = TEST_AIS_CHAINS, compute: bool = True) -> dict:
    """An RNN-RBM run's test log-likelihood estimated apart from the cheap AIS its training validates with:
    forward AIS (optimistic on average) and reverse annealing, RAISE (conservative), each with ``chains``
    chains and ``betas`` temperatures per frame (:func:`rnnrnade_pt.runs.with_ais`,
    :func:`rnnrnade_pt.kernels.rbm.ais_log_z`); together they bracket the log-likelihood.

    Each is :func:`~rnnrnade_pt.runs.evaluate_run` of the best checkpoint on every test sequence, cached in
    ``<run dir>/test_ais/<direction>-<chains>x<betas>.json`` with the checkpoint's SHA-256 (a retrained run
    is estimated again). Returns ``{direction: evaluate_run's dict}`` for those at hand (``compute=False``:
    the cached ones only)."""
    import json

    from rnnrnade_pt.data.datasets import load_dataset
    from rnnrnade_pt.data.download import sha256_file
    from rnnrnade_pt.npz import atomic_write_text
    from rnnrnade_pt.runs import evaluate_run, load_run, with_ais

    digest = sha256_file(os.path.join(job.run_dir, "best.npz"))
    out, seqs, best = {}, None, None
    for direction in ("forward", "reverse"):
        path = os.path.join(job.run_dir, "test_ais", f"{direction}-{chains}x{betas}.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                cached = json.load(fh)
            if cached.get("checkpoint_sha256") == digest:
                out[direction] = cached
                continue
        if not compute:
            continue
        logging.getLogger("music").warning(
            "%s: test set, %s annealing, %d x %d", job.name, direction, chains, betas
        )
        if best is None:  # the data and the checkpoint, once for both directions
            seqs, best = load_dataset(job.cfg.data)["test"], load_run(job.run_dir)
        run = with_ais(best, ais_chains=chains, ais_betas=betas, ais_direction=direction)
        res = {
            **evaluate_run(run, seqs),
            "ais_chains": chains,
            "ais_betas": betas,
            "checkpoint_sha256": digest,
        }
        os.makedirs(os.path.dirname(path), exist_ok=True)
        atomic_write_text(path, json.dumps(res, indent=1) + "\n")
        out[direction] = res
    return out


def music_table(summaries, jobs=None, brackets=None, cells=None) -> str:
    """The markdown table of ``run_jobs``' summaries (``name`` ``<model>_<dataset>``), in the paper's order,
    one row per (model, dataset) present, beside the published log-likelihoods; then notes on the runs'
    settings when ``jobs`` (the :class:`~rnnrnade_pt.sweep.Job` list) is given. ``brackets`` (name ->
    :func:`test_bracket`'s dict): an RNN-RBM's test estimates from forward and reverse annealing, which
    replace its run's own test estimate (forward) and fill the RAISE column (reverse). ``cells``: the
    ``(model, dataset)`` rows to show even without a summary (marked "not released yet")."""
    from rnnrnade_pt.tables import fmt_duration, fmt_mean_stderr, markdown_table

    PUBLISHED = published()
    by_name = {s["name"]: s for s in summaries}
    cells = set(cells or ())
    brackets = brackets or {}
    header = [
        "model",
        "dataset",
        "test log-lik / step",
        "RAISE (conservative)",
        "published",
        "gap",
        "frame accuracy",
        "test frames",
        "epochs",
        "wall time",
        "parameters",
        "stopped",
    ]

    def estimate(res):
        ll, se = (res or {}).get("loglik_per_frame"), (res or {}).get("loglik_standard_error")
        return ll, None if ll is None else f"{ll:.2f} ± {se:.3f}" if se is not None else fmt_mean_stderr([ll])

    rows = []
    for model in MODELS:
        for dataset in DATASETS:
            s = by_name.get(job_name(model, dataset))
            pub = f"{PUBLISHED[model, dataset]:.2f}"
            if s is None and (model, dataset) in cells:
                rows.append(
                    [TITLES[model], TITLES[dataset], *[None] * 2, pub, *[None] * 6, "not released yet"]
                )
            if s is None:
                continue
            if "error" in s:
                rows.append(
                    [
                        TITLES[model],
                        TITLES[dataset],
                        None,
                        None,
                        pub,
                        None,
                        None,
                        None,
                        None,
                        None,
                        None,
                        f"failed: {s['error']}",
                    ]
                )
                continue
            test, bracket = s.get("test", {}), brackets.get(s["name"], {})
            ll, cell = estimate(bracket.get("forward", test))
            if s["name"] in brackets and "forward" not in bracket and cell is not None:
                cell += " ‡"  # no test-time estimate yet: the run's own, validation-grade AIS
            acc = test.get("frame_accuracy")
            gap = None if ll is None else f"{ll - PUBLISHED[model, dataset]:+.2f}"
            rows.append(
                [
                    TITLES[model],
                    TITLES[dataset],
                    cell,
                    estimate(bracket.get("reverse"))[1],
                    pub,
                    gap,
                    f"{100 * acc:.1f}%" if acc is not None else None,
                    test.get("frames"),
                    s.get("epochs"),
                    fmt_duration(s.get("wall_seconds")),
                    f"{s['n_params']:,}" if "n_params" in s else None,
                    s.get("stopped"),
                ]
            )
    text = markdown_table(header, rows)
    text += (
        "\nPublished: the test log-likelihoods per time step as commonly quoted for Boulanger-Lewandowski et "
        "al. (ICML 2012); the paper itself is not available here, nor its frame accuracies. Log-likelihoods "
        "are in nats per time step (frame); the RNN-RBM's are annealed-importance-sampling (AIS) estimates "
        "of each frame's partition function, ± the estimate's standard error over the AIS chains and noise "
        "groups (rnnrnade_pt.models.rnn_rbm.ais_mean_standard_error; not a spread over seeds), which does "
        "not measure AIS's bias: on average AIS overestimates the log-likelihood, and reverse annealing from "
        "each test frame (RAISE, Burda et al. 2015) underestimates it, so the two bracket it (the RAISE "
        "column; rnnrnade_pt.kernels.rbm.ais_log_z). Gap: ours minus "
        "published. Frame accuracy: TP / (TP + FP + FN) of the one-step-ahead prediction "
        "thresholded at 0.5 (Bay et al. 2009), over the test frames that have a past. Wall time includes "
        "compiling and the test evaluation.\n"
    )
    if any("forward" not in b for b in brackets.values()):
        text += (
            "\n‡ Not yet estimated at test-time settings (music.py computes it unless --table-only): the "
            "run's own test score, with the AIS of its validation, which leans optimistic.\n"
        )
    if any(s.get("stopped") == "interrupted" for s in summaries):
        text += (
            '\nStopped "interrupted": the run was stopped before early stopping ended it (it can resume '
            "from last.npz); the row is its best checkpoint so far, its wall time the training time alone.\n"
        )
    if jobs:
        cfgs = {j.name: j.cfg for j in jobs}
        c = next(iter(cfgs.values()))
        t = c.train
        budget = f", at most {fmt_duration(t.max_seconds)} of training a run" if t.max_seconds else ""
        text += (
            f"\nSettings: H={c.model.H}, R={c.model.R}; {t.optimizer} lr {t.lr:g}, batches of {t.batch_size} "
            f"windows of {t.window} frames, gradient norm clipped at {t.clip_norm:g}, up to {t.epochs} "
            f"epochs"
            + (
                f", early stopping after {t.patience} epochs without a better validation score"
                if t.patience
                else ""
            )
            + f"{budget}."
        )
        if t.pretrain_epochs:
            per_set = {TITLES[cg.data.name]: cg.train.pretrain_epochs for cg in cfgs.values()}
            epochs = (
                f"{t.pretrain_epochs}"
                if len(set(per_set.values())) == 1
                else " / ".join(f"{n} ({name})" for name, n in per_set.items())
            )
            text += (
                f" The NADE or RBM is first pretrained alone on shuffled frames (up to {epochs} "
                f"epochs, batches of {t.pretrain_batch_size or t.batch_size} frames, "
                f"lr {t.pretrain_lr or t.lr:g}, patience {t.pretrain_patience}), then the RNN trained"
                + (" from zero RNN-to-bias maps." if t.zero_bias_maps else ".")
            )
        rbm = [cfg.model for cfg in cfgs.values() if cfg.model.model == "rnn-rbm"]
        if rbm:
            m = rbm[0]
            text += f" RNN-RBM: CD-{m.cd_k} training, AIS with {m.ais_chains} chains and {m.ais_betas} "
            text += "temperatures"
            done = [b for b in brackets.values() if b]
            if done:
                r = next(iter(done[0].values()))
                text += (
                    f" per frame for validation; on the test set AIS and RAISE with {r['ais_chains']} chains "
                    f"and {r['ais_betas']} temperatures per frame (experiments/music.py test_bracket)."
                )
            else:
                text += " per frame."
            subsets = sorted(
                {
                    (c.data.name, c.train.eval_sequences)
                    for c in cfgs.values()
                    if c.model.model == "rnn-rbm" and c.train.eval_sequences
                }
            )
            if subsets:
                text += (
                    " Its validation scores (early stopping) are over the first "
                    + ", ".join(f"{k} ({TITLES[name]})" for name, k in subsets)
                    + " validation sequences (train.eval_sequences); its test scores over every test frame."
                )
        if any(cfg.data.max_sequences for cfg in cfgs.values()):
            text += f" Quick run: the first {c.data.max_sequences} sequences of each split only."
        text += "\n"
    return text


def figures(jobs, summaries, out_dir: str, steps: int = 100, seed: int = 0) -> list[str]:
    """Per dataset, in ``out_dir``: ``music_<dataset>_<model>_curves.png``, the validation log-likelihood per
    epoch of each model's run with its published test value dashed (did the runs converge?); and from the
    run with the best test log-likelihood a sample of ``steps`` frames, ``music_<dataset>_<model>.mid``
    (0.3 s a frame, as the tutorial writes them) and ``.png`` (its piano roll). Returns the paths; the MIDI
    file is left out, with a warning, without pretty_midi (the ``midi`` extra)."""
    from rnnrnade_pt.errors import ConfigError
    from rnnrnade_pt.metrics import read_metrics
    from rnnrnade_pt.plots import curves, piano_roll
    from rnnrnade_pt.runs import load_run, sample_run

    done = {s["name"]: s for s in summaries if "error" not in s and "test" in s}
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for dataset in DATASETS:
        runs = [(j, done[j.name]) for j in jobs if j.cfg.data.name == dataset and j.name in done]
        if not runs:
            continue
        for j, _ in runs:  # one file per model, so that tabling one model leaves the other's figure alone
            model = j.cfg.model.model
            rows = [r for r in read_metrics(j.run_dir) if r["phase"] == "train"]
            epochs, valid = [int(r["epoch"]) for r in rows], [float(r["valid_loglik"]) for r in rows]
            series = {TITLES[model]: (epochs, valid)}
            lines = {f"{TITLES[model]} published (test)": published()[model, dataset]}
            out = os.path.join(out_dir, f"music_{dataset}_{model}_curves.png")
            title = f"{TITLES[dataset]}: validation log-likelihood"
            paths.append(curves(series, out, title, "nats per step", lines))
        j, _ = max(runs, key=lambda r: r[1]["test"]["loglik_per_frame"])
        stem = os.path.join(out_dir, f"music_{dataset}_{j.cfg.model.model}")
        roll = sample_run(load_run(j.run_dir, "best"), 1, steps=steps, seed=seed)[:, 0]  # steps x 88
        paths.append(piano_roll([roll], stem + ".png"))
        try:
            from rnnrnade_pt.midi import piano_roll_to_midi

            paths.append(piano_roll_to_midi(roll, stem + ".mid"))
        except ConfigError as e:  # pretty_midi is not installed
            logging.getLogger("music").warning("no MIDI file: %s", e)
    return paths


def score(run, evaluation: dict) -> dict:
    """The number a release stands for: the test log-likelihood per time step (the RNN-RBM's: its forward
    AIS estimate, the table's main column)."""
    ev = evaluation.get("forward", evaluation)
    what = "test log-likelihood per time step (nats" + (", AIS estimate)" if "forward" in evaluation else ")")
    return {"value": ev["loglik_per_frame"], "what": what, "counted": ev["frames"]}


def bracket_evaluation(bracket: dict) -> dict:
    """An RNN-RBM release's evaluation: both directions of :func:`test_bracket`, without the cache key."""
    return {d: {k: v for k, v in r.items() if k != "checkpoint_sha256"} for d, r in bracket.items()}


def rescoring(rescore_ais: bool):
    """The ``evaluate(run, seqs)`` of ``--from-release``: an RNN-NADE is evaluated again; an RNN-RBM's
    forward and reverse annealing are run again only with ``rescore_ais`` (hours), else its release's own
    estimates stand (its parameters and test data are still checked against the manifest)."""

    def evaluate(run, seqs):
        from rnnrnade_pt.release import read_manifest
        from rnnrnade_pt.runs import evaluate_run, with_ais

        if run.cfg.model.model != "rnn-rbm":
            return evaluate_run(run, seqs)
        released = read_manifest(run.run_dir)["evaluation"]
        if not rescore_ais:
            return released
        out = {}
        for direction, r in released.items():
            ais = dict(ais_chains=r["ais_chains"], ais_betas=r["ais_betas"], ais_direction=direction)
            out[direction] = {**evaluate_run(with_ais(run, **ais), seqs), **{k: r[k] for k in ais if k in r}}
        return out

    return evaluate


def release_jobs(jobs, summaries, brackets, models_dir: str, data_root=None) -> None:
    """Release every finished run among ``jobs`` to ``models_dir/music/<name>`` (an RNN-RBM only with both
    test-time estimates); a run already released from the same checkpoint is left as it is."""
    from rnnrnade_pt.data.download import sha256_file
    from rnnrnade_pt.release import is_release, read_manifest, release_run

    log = logging.getLogger("music")
    done = {s["name"]: s for s in summaries if "error" not in s and "test" in s}
    for job in jobs:
        if job.name not in done:
            continue
        out = os.path.join(models_dir, BLOCK, job.name)
        evaluate = None
        if job.cfg.model.model == "rnn-rbm":
            bracket = brackets.get(job.name, {})
            if set(bracket) != {"forward", "reverse"}:
                log.warning("%s: not released (no test-time AIS and RAISE estimates yet)", job.name)
                continue
            evaluate = lambda run, seqs, b=bracket: bracket_evaluation(b)  # noqa: E731
        s = done[job.name]
        extra = {
            "checkpoint_sha256": sha256_file(os.path.join(job.run_dir, "best.npz")),
            "stopped": s.get("stopped"),
            "epochs": s.get("epochs"),
            "training_seconds": s.get("seconds"),
            "wall_seconds": s.get("wall_seconds"),
            "n_params": s.get("n_params"),
        }
        if is_release(out):
            old = read_manifest(out)
            if all(old.get(k) == v for k, v in extra.items() if k in ("checkpoint_sha256", "stopped")):
                continue  # released from this checkpoint already
        release_run(
            job.run_dir,
            out,
            table=BLOCK,
            cell=job.name,
            score=score,
            evaluate=evaluate,
            data_root=data_root,
            extra=extra,
        )
        log.warning("released %s", out)


def table_from_releases(manifests) -> str:
    """The table of released models' manifests (every (model, dataset) cell shown; those without a release
    marked), then where the models are and how to regenerate or re-score them."""
    from rnnrnade_pt.config import RunConfig
    from rnnrnade_pt.release import compute_summary, releases_made_by
    from rnnrnade_pt.sweep import Job

    summaries, brackets, jobs = [], {}, []
    for m in manifests:
        ev = m["evaluation"]
        rbm = "forward" in ev
        keep = ("epochs", "wall_seconds", "n_params", "stopped")
        summaries.append({"name": m["cell"], "test": ev["forward"] if rbm else ev, **{k: m[k] for k in keep}})
        if rbm:
            brackets[m["cell"]] = ev
        jobs.append(Job(m["cell"], RunConfig.from_dict(m["config"]), ""))
    text = music_table(summaries, jobs, brackets, [(mo, d) for mo in MODELS for d in DATASETS])
    where = "; ".join(releases_made_by(manifests)) + "; " + compute_summary(manifests)
    text += (
        f"\nModels: `experiments/models/music/<model>_<dataset>` ({where}). Regenerate: `python "
        "experiments/music.py [--engine dask --workers N]` (trains what is not trained yet, then releases "
        "and tables); re-score the release: `python experiments/music.py --from-release [--rescore-ais]`.\n"
    )
    return text


def main(argv=None) -> int:
    from rnnrnade_pt.errors import ConfigError
    from rnnrnade_pt.release import find_releases, read_manifest, rescore_all
    from rnnrnade_pt.sweep import Task, add_run_arguments, run_tasks, setup_logging, stored_summaries
    from rnnrnade_pt.sweep_progress import format_progress
    from rnnrnade_pt.tables import write_table

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
    )
    failed = []
    if args.from_release:
        evaluate = rescoring(args.rescore_ais)
        manifests, bad = rescore_all(models_dir, BLOCK, score, evaluate, args.data_root, progress=print)
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
        else:  # the RNN-RBM's test-time estimates are tasks of the same sweep, each after its run
            tasks = [
                Task(f"test-ais-{j.name}", j.name, test_bracket, (j, test_betas))
                for j in jobs
                if test_betas and j.cfg.model.model == "rnn-rbm"
            ]
            run = dict(engine=args.engine, workers=args.workers, address=args.address, force=args.force)
            out = run_tasks(
                jobs, tasks, progress=lambda record, p: print(format_progress(p), flush=True), **run
            )
            summaries = out.summaries
            for t in tasks:
                record = out.tasks[t.name]
                if "result" in record:
                    brackets[t.after] = record["result"]
                elif not record["error"].startswith("not run"):  # else its run's failure says it
                    failed.append(f"{t.name}: {record['error']}")
        release_jobs(jobs, summaries, brackets, models_dir, args.data_root)
        manifests = [read_manifest(p) for p in find_releases(models_dir, BLOCK)]
        failed += [f"{s['name']}: {s['error']}" for s in summaries if "error" in s]
        if args.figures:
            for path in figures(jobs, summaries, args.figures):
                logging.getLogger("music").warning("wrote %s", path)
    write_table(table_from_releases(manifests), args.out, args.quick, RESULTS, BLOCK)
    for line in failed:
        logging.getLogger("music").error("%s", line)
    return 1 if failed else 0


if __name__ == "__main__":
    from rnnrnade_pt.cli import run_reporting_errors

    sys.exit(run_reporting_errors("music.py", main))
