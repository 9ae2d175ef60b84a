"""The RNN-RBM paper's table, its released models and its figures: RNN-RBM and RNN-NADE on the four
polyphonic-music sets, the test log-likelihood per time step (nats; for the RNN-RBM an annealed-importance-
sampling estimate, and its reverse-annealing bracket) and the frame-level accuracy of the one-step-ahead
prediction, beside the values quoted for the paper.

A release of this table is ``<models>/music/<model>_<dataset>`` (:mod:`rnnrnade_pt.release`); its score is
the test log-likelihood per time step (the RNN-RBM's: the forward AIS estimate of
:func:`rnnrnade_pt.music_runs.test_bracket`, whose both directions are its evaluation). The table is made
from the releases' manifests (:func:`table_from_releases`), so that the table a training call writes and
the one ``music.py --from-release`` writes are the same function of the same manifests.

The published values come from the published-values file (``experiments/published.json``, table
``"music"``), which the caller reads with :func:`published` and passes.

References
----------
.. [1] N. Boulanger-Lewandowski, Y. Bengio, P. Vincent. "Modeling temporal dependencies in high-dimensional
   sequences: application to polyphonic music generation and transcription." ICML 2012.
.. [2] Y. Burda, R. Grosse, R. Salakhutdinov. "Accurate and conservative estimates of MRF log-likelihood
   using reverse annealing." AISTATS 2015 (RAISE).
"""

from __future__ import annotations

import logging
import os

from . import regeneration
from .config import RunConfig
from .errors import ConfigError
from .metrics import read_metrics
from .midi import piano_roll_to_midi
from .music_runs import DATASETS, MODELS, TITLES, bracket_evaluation, job_name
from .plots import curves, piano_roll
from .release import compute_summary, release_run, releases_made_by
from .runs import load_run, sample_run
from .sweep import Job
from .tables import fmt_duration, fmt_mean_stderr, load_published, markdown_table

__all__ = [
    "TABLE",
    "published",
    "music_table",
    "settings_note",
    "figures",
    "score",
    "release_jobs",
    "table_from_releases",
]

TABLE = "music"
logger = logging.getLogger(__name__)


def published(path: str | os.PathLike) -> dict:
    """The published values of the table.

    Parameters
    ----------
    path : str
        The published-values file (``experiments/published.json``).

    Returns
    -------
    dict
        ``{(model, dataset): test log-likelihood per time step}``.
    """
    return {(m, d): v for m, row in load_published(path, TABLE).items() for d, v in row.items()}


def music_table(summaries, jobs=None, brackets=None, cells=None, *, published: dict) -> str:
    """The markdown table of runs, in the paper's order, beside the published log-likelihoods.

    Parameters
    ----------
    summaries : list of dict
        :func:`~rnnrnade_pt.sweep.run_jobs`' summaries (``name`` ``<model>_<dataset>``): one row per
        (model, dataset) present; a failed run's row says its error.
    jobs : list of Job, optional
        The runs' :class:`~rnnrnade_pt.sweep.Job` list: notes on their settings follow the table.
    brackets : dict, optional
        Name -> :func:`rnnrnade_pt.music_runs.test_bracket`'s dict: an RNN-RBM's test estimates from forward
        and reverse annealing, which replace its run's own test estimate (forward) and fill the RAISE column
        (reverse).
    cells : iterable of tuple, optional
        The ``(model, dataset)`` rows to show even without a summary (marked "not released yet").
    published : dict
        ``{(model, dataset): value}`` (:func:`published`).

    Returns
    -------
    str
        The table and its notes, markdown.
    """
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
            pub = f"{published[model, dataset]:.2f}"
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
            gap = None if ll is None else f"{ll - published[model, dataset]:+.2f}"
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
        text += settings_note(jobs, brackets)
    return text


def settings_note(jobs, brackets: dict) -> str:
    """The paragraph under the music table: the runs' sizes, optimiser, pretraining, the RNN-RBM's training
    and annealing settings (``brackets``: its test-time estimates, :func:`music_table`'s), and a quick run's
    data."""
    text = ""
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
                f"and {r['ais_betas']} temperatures per frame, in {r.get('ais_dtype', 'float64')} "
                "(rnnrnade_pt.music_runs.test_bracket)."
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


def figures(jobs, summaries, out_dir: str, steps: int = 100, seed: int = 0, *, published: dict) -> list[str]:
    """The runs' validation curves, and a sample of each dataset's best run as MIDI and piano roll.

    Per dataset, in ``out_dir``: ``music_<dataset>_<model>_curves.png``, the validation log-likelihood per
    epoch of each model's run with its published test value dashed (did the runs converge?); and from the
    run with the best test log-likelihood a sample of ``steps`` frames, ``music_<dataset>_<model>.mid``
    (0.3 s a frame, as the tutorial writes them) and ``.png`` (its piano roll).

    Parameters
    ----------
    jobs : list of Job
        The runs.
    summaries : list of dict
        Their summaries; the runs without a test result are left out.
    out_dir : str
        Where the files go (made if missing).
    steps, seed : int
        The sample's length in frames, and its seed.
    published : dict
        ``{(model, dataset): value}`` (:func:`published`).

    Returns
    -------
    list of str
        The paths written; the MIDI file is left out, with a warning, without pretty_midi (the ``midi``
        extra).
    """
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
            lines = {f"{TITLES[model]} published (test)": published[model, dataset]}
            out = os.path.join(out_dir, f"music_{dataset}_{model}_curves.png")
            title = f"{TITLES[dataset]}: validation log-likelihood"
            paths.append(curves(series, out, title, "nats per step", lines))
        j, _ = max(runs, key=lambda r: r[1]["test"]["loglik_per_frame"])
        stem = os.path.join(out_dir, f"music_{dataset}_{j.cfg.model.model}")
        roll = sample_run(load_run(j.run_dir, "best"), 1, steps=steps, seed=seed)[:, 0]  # steps x 88
        paths.append(piano_roll([roll], stem + ".png"))
        try:
            paths.append(piano_roll_to_midi(roll, stem + ".mid"))
        except ConfigError as e:  # pretty_midi is not installed
            logger.warning("no MIDI file: %s", e)
    return paths


def score(run, evaluation: dict) -> dict:
    """The number a release stands for: the test log-likelihood per time step (the RNN-RBM's: its forward
    AIS estimate, the table's main column).

    Parameters
    ----------
    run : Run
        The released run (unused: the score is the evaluation's).
    evaluation : dict
        :func:`~rnnrnade_pt.runs.evaluate_run`'s dict, or an RNN-RBM's ``{direction: estimate}``.

    Returns
    -------
    dict
        ``value``, ``what`` it is and the frames ``counted``, as :func:`rnnrnade_pt.release.release_run`
        takes it.
    """
    ev = evaluation.get("forward", evaluation)
    what = "test log-likelihood per time step (nats" + (", AIS estimate)" if "forward" in evaluation else ")")
    return {"value": ev["loglik_per_frame"], "what": what, "counted": ev["frames"]}


def release_jobs(jobs, summaries, brackets, models_dir: str, data_root=None) -> None:
    """Release every finished run among ``jobs`` to ``<models_dir>/music/<name>``.

    An RNN-RBM is released only with both test-time estimates; a run already released from the same
    checkpoint is left as it is.

    Parameters
    ----------
    jobs : list of Job
        The runs.
    summaries : list of dict
        Their summaries; the runs without a test result are not released.
    brackets : dict
        Name -> :func:`rnnrnade_pt.music_runs.test_bracket`'s dict, the RNN-RBMs' evaluations.
    models_dir : str
        The release root (``experiments/models``).
    data_root : str, optional
        The data directory the test data are read from.
    """
    done = {s["name"]: s for s in summaries if "error" not in s and "test" in s}
    for job in jobs:
        if job.name not in done:
            continue
        out = os.path.join(models_dir, TABLE, job.name)
        evaluate = None
        if job.cfg.model.model == "rnn-rbm":
            bracket = brackets.get(job.name, {})
            if set(bracket) != {"forward", "reverse"}:
                logger.warning("%s: not released (no test-time AIS and RAISE estimates yet)", job.name)
                continue
            evaluate = lambda run, seqs, b=bracket: bracket_evaluation(b)  # noqa: E731
        s = done[job.name]
        extra = {
            "stopped": s.get("stopped"),
            "epochs": s.get("epochs"),
            "training_seconds": s.get("seconds"),
            "wall_seconds": s.get("wall_seconds"),
            "n_params": s.get("n_params"),
        }
        kw = dict(score=score, evaluate=evaluate, data_root=data_root, extra=extra, if_changed=True)
        if release_run(job.run_dir, out, table=TABLE, cell=job.name, **kw) is not None:
            logger.warning("released %s", out)


def table_from_releases(manifests, *, published: dict, models_dir: str | None = None) -> str:
    """The table of released models, then where the models are and how to regenerate or re-score them.

    Parameters
    ----------
    manifests : list of dict
        The releases' manifests (:func:`rnnrnade_pt.release.read_manifest`).
    published : dict
        ``{(model, dataset): value}`` (:func:`published`).
    models_dir : str, optional
        The release root: its ``music/regeneration.json``, when it still describes these models, adds the
        wall time of the command that regenerated the table from scratch
        (:func:`rnnrnade_pt.regeneration.paragraph`).

    Returns
    -------
    str
        :func:`music_table` of the manifests, every (model, dataset) cell shown (those without a release
        marked), and the note on the models.
    """
    summaries, brackets, jobs = [], {}, []
    for m in manifests:
        ev = m["evaluation"]
        rbm = "forward" in ev
        keep = ("epochs", "wall_seconds", "n_params", "stopped")
        summaries.append({"name": m["cell"], "test": ev["forward"] if rbm else ev, **{k: m[k] for k in keep}})
        if rbm:
            brackets[m["cell"]] = ev
        jobs.append(Job(m["cell"], RunConfig.from_dict(m["config"]), ""))
    cells = [(mo, d) for mo in MODELS for d in DATASETS]
    text = music_table(summaries, jobs, brackets, cells, published=published)
    where = "; ".join(releases_made_by(manifests)) + "; " + compute_summary(manifests)
    text += (
        f"\nModels: `experiments/models/music/<model>_<dataset>` ({where}). Regenerate: `python "
        "experiments/music.py [--engine dask --workers N]` (trains what is not trained yet, then releases "
        "and tables); re-score the release: `python experiments/music.py --from-release [--rescore-ais]`.\n"
    )
    return text + regeneration.paragraph(models_dir, TABLE, manifests)
