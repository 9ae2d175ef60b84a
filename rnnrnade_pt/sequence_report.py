"""The tables of RNN-RNADE on real-valued sequences, and their released models: the main job's (RNN-RNADE on
bouncing balls beside the predictors without a model, :func:`main_table`) and the table against its
baselines on bouncing balls, MIT mocap and Japanese Vowels (:func:`sequences_table`: per dataset the test
log-likelihood per frame and the one-step squared prediction error per frame, mean ± standard error over
seeds), with the note on the runs' settings, the prediction baselines' rows, and samples of the best runs
drawn (:func:`render`).

A release of the sequences table is ``<models>/sequences/<row>_<dataset>_seed<k>``, the main job's
``<models>/main/rnn-rnade_balls`` (:mod:`rnnrnade_pt.release`); both score the test log-likelihood per
frame in the data's units (:func:`score`). Each table is made from the releases' manifests, so that the
table a training call writes and the one ``--from-release`` writes are the same function of the same
manifests. :mod:`rnnrnade_pt.sequence_runs` makes the runs; ``experiments/sequences.py`` and
``experiments/main_job.py`` are the command lines.

References
----------
.. [1] Supplementary Material for the RNN-RNADE model.
.. [2] I. Sutskever, G. E. Hinton, G. W. Taylor. "The recurrent temporal restricted Boltzmann machine."
   NIPS 2008 (bouncing balls; MIT mocap as used there).
.. [3] M. Kudo, J. Toyama, M. Shimbo. "Multidimensional curve classification using passing-through
   regions." Pattern Recognition Letters 20, 1999 (Japanese Vowels).
"""

from __future__ import annotations

import logging
import os

import numpy as np

from . import regeneration
from .baselines import PREDICTION_BASELINES, prediction_baselines
from .config import RunConfig
from .data.datasets import load_dataset
from .plots import sample_pictures
from .release import compute_summary, release_run, releases_made_by
from .runs import load_run, sample_run
from .sequence_runs import DATASETS, MODELS, TITLES, job_key
from .sweep import Job
from .tables import fmt_duration, fmt_mean_stderr, markdown_table

__all__ = [
    "MAIN_SAMPLES",
    "main_evaluate",
    "TABLE",
    "baseline_rows",
    "sequences_table",
    "render",
    "score",
    "release_jobs",
    "table_from_releases",
    "main_table",
]

TABLE = "sequences"
logger = logging.getLogger(__name__)


def baseline_rows(jobs) -> dict:
    """The prediction baselines' errors on the datasets of ``jobs``.

    Parameters
    ----------
    jobs : list of Job
        The runs; the first config of each dataset gives its data.

    Returns
    -------
    dict
        ``{dataset: prediction_baselines(its data)}`` (:func:`rnnrnade_pt.baselines.prediction_baselines`).
    """
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
    """The markdown table of runs: one row per model (or sweep grid point), mean ± standard error over seeds.

    Per dataset the test log-likelihood per frame and the one-step squared prediction error per frame as
    mean ± standard error over the seeds; the parameter count on each dataset, the seeds and the summed
    wall time; then a row per prediction baseline.

    Parameters
    ----------
    summaries : list of dict
        :func:`~rnnrnade_pt.sweep.run_jobs`' summaries, named by
        :func:`rnnrnade_pt.sequence_runs.job_name`; failed runs are counted and named.
    jobs : list of Job, optional
        The runs: notes on their settings follow the table.
    titles : dict
        Row and dataset names -> their titles (default :data:`rnnrnade_pt.sequence_runs.TITLES`).
    baselines : dict, optional
        :func:`baseline_rows`: the prediction baselines' rows.

    Returns
    -------
    str
        The table and its notes, markdown.
    """
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
    """Samples of each (model, dataset)'s best seed (highest test log-likelihood), drawn.

    Each is drawn by :func:`rnnrnade_pt.plots.sample_pictures`: balls as frame strips and GIFs, mocap as
    stick figures, PNG strip and GIF, vowels as line plots. A sequence model on mocap continues the first
    ``prime`` frames of the first ``n`` test sequences (drawn in grey before its own frames).

    Parameters
    ----------
    summaries : list of dict
        The runs' summaries (``run``: the run directory); those without a test result are left out.
    out_dir : str
        Where the pictures go (``<row>_<dataset>.png`` ...; made if missing).
    n, steps, prime : int
        Sequences per picture, frames sampled, frames of the mocap prime.

    Returns
    -------
    list of str
        The paths written.
    """
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
    """The number a release stands for, and the number the tables show: the test log-likelihood per frame
    in the data's units (nats).

    Parameters
    ----------
    run : Run
        The released run (unused: the score is the evaluation's).
    evaluation : dict
        :func:`~rnnrnade_pt.runs.evaluate_run`'s dict.

    Returns
    -------
    dict
        ``value``, ``what`` it is and the frames ``counted``, as :func:`rnnrnade_pt.release.release_run`
        takes it.
    """
    return {
        "value": evaluation["loglik_per_frame"],
        "what": "test log-likelihood per frame (nats, the data's units)",
        "counted": evaluation["frames"],
    }


def release_jobs(jobs, summaries, models_dir: str, data_root=None) -> None:
    """Release every finished run among ``jobs`` to ``<models_dir>/sequences/<name>``.

    A release of the same checkpoint is left as it is.

    Parameters
    ----------
    jobs : list of Job
        The runs.
    summaries : list of dict
        Their summaries; the runs without a test result are not released.
    models_dir : str
        The release root (``experiments/models``).
    data_root : str, optional
        The data directory the test data are read from.
    """
    done = {s["name"] for s in summaries if "error" not in s and "test" in s}
    for job in jobs:
        if job.name not in done:
            continue
        out = os.path.join(models_dir, TABLE, job.name)
        kw = dict(score=score, data_root=data_root, if_changed=True)
        if release_run(job.run_dir, out, table=TABLE, cell=job.name, **kw) is not None:
            logger.warning("released %s", out)


def table_from_releases(manifests, data_root=None, models_dir: str | None = None) -> str:
    """The table of the released models, then which cells have no release yet and where the models are.

    Parameters
    ----------
    manifests : list of dict
        The releases' manifests (:func:`rnnrnade_pt.release.read_manifest`).
    data_root : str, optional
        The data directory of the prediction baselines' data.
    models_dir : str, optional
        The release root: its ``sequences/regeneration.json``, when it still describes these models, adds
        the wall time of the command that regenerated the table from scratch
        (:func:`rnnrnade_pt.regeneration.paragraph`).

    Returns
    -------
    str
        :func:`sequences_table` of the releases (rows and datasets as released; the prediction baselines on
        their data), then which (model, dataset) cells have no release yet, where the models are and how
        they were made; ``"No released model yet.\n"`` without a manifest.
    """

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
    return text + regeneration.paragraph(models_dir, TABLE, manifests)


MAIN_SAMPLES = (4, 50, 0)  # the main job's sampled sequences judged by their balls: sequences, frames, seed


def main_evaluate(run, seqs) -> dict:
    """The main job's evaluation: :func:`~rnnrnade_pt.runs.evaluate_run`, and ``balls_per_frame``, the
    shares of frames showing 0, 1, 2, 3, ... balls among :data:`MAIN_SAMPLES`' sampled frames and the
    split's own (:func:`~rnnrnade_pt.runs.ball_counts`)."""
    from .runs import ball_counts, evaluate_run

    n, steps, seed = MAIN_SAMPLES
    out = evaluate_run(run, seqs)
    out["balls_per_frame"] = ball_counts(sample_run(run, n, steps=steps, seed=seed), seqs, run.cfg.data.res)
    return out


def _balls_sentence(balls: dict) -> str:
    def shares(d):
        return ", ".join(
            f"{100 * d.get(k, 0.0):.0f}% {w}" for k, w in (("3", "three"), ("2", "two"), ("1", "one"))
        )

    n, steps, seed = MAIN_SAMPLES
    return (
        "Balls per frame (connected regions of at least 3 pixels above 0.5; "
        f"`rnnrnade_pt.data.balls.count_balls`): the {n * steps} sampled frames ({n} sequences of {steps}, "
        f"seed "
        f"{seed}) show {shares(balls['samples'])}; "
        f"the test frames {shares(balls['test'])}.\n"
    )


def main_table(manifest: dict, baselines: dict) -> str:
    """The main job's table: its released model beside the predictors without a model.

    The released model's test log-likelihood and one-step error beside the predictors without a model, then
    how it was made (command, commit, machine, time). A function of the manifest and the data alone, so
    that ``main_job.py --from-release`` writes the same block when the re-score reproduces the release.

    Parameters
    ----------
    manifest : dict
        The main job's release manifest (``<models>/main/rnn-rnade_balls``).
    baselines : dict
        :func:`rnnrnade_pt.baselines.prediction_baselines` of its data.

    Returns
    -------
    str
        The block, markdown.
    """
    ev = manifest["evaluation"]
    rows = [
        [
            "RNN-RNADE (the main job)",
            f"{ev['loglik_per_frame']:.2f}",
            f"{ev['sq_pred_error_per_frame']:.2f}",
            ev["frames"],
            manifest["epochs"],
            fmt_duration(manifest["training_seconds"]),
            fmt_duration(manifest["wall_seconds"]),
        ]
    ]
    rows += [
        [f"{n} (no model)", None, f"{baselines[n]:.2f}", None, None, None, None] for n in PREDICTION_BASELINES
    ]
    header = ["model", "test log-lik / frame", "one-step sq. error / frame", "test frames", "epochs"]
    header += ["training", "wall"]
    text = markdown_table(header, rows)
    c = manifest["config"]
    text += (
        f"\nBouncing balls ({c['data']['n_balls']} balls, {c['data']['res']}x{c['data']['res']} frames, "
        f"{c['data']['n_train']} training sequences of {c['data']['length']} frames, test "
        f"{c['data']['n_test']}); RNN-RNADE H={c['model']['H']}, K={c['model']['K']}, R={c['model']['R']}, "
        f"{c['model']['rnn_activation']} RNN, {c['model']['dtype']}. Model: "
        f"`experiments/models/{manifest['table']}/{manifest['cell']}` (commit "
        f"{str(manifest['commit'])[:10]}, {manifest['machine']}). Trained by `{manifest['command']}`; "
        "regenerate with `python "
        "experiments/main_job.py` (trains, reusing a finished run) or re-score the release with `python "
        "experiments/main_job.py --from-release` (seconds).\n"
    )
    if "balls_per_frame" in ev:
        text += "\n" + _balls_sentence(ev["balls_per_frame"])
    return text
