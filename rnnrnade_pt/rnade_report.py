"""The RNADE paper's tables from their records (:mod:`rnnrnade_pt.rnade_records`): the markdown table, ours
beside the published values with the gaps between them, the note on the runs' settings under it, and the
validation curves of the runs it counts.

The published values come from the published-values file (``experiments/published.json``, read by
:func:`rnnrnade_pt.tables.load_published` with table ``"rnade"``), which the caller reads and passes:
``{row: {dataset: value}}`` with the rows of :data:`PUBLISHED_ROWS`.

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
.. [2] B. Uria, I. Murray, H. Larochelle. "A deep and tractable density estimator." ICML 2014 (order-agnostic
   training, ensembles over orderings).
"""

from __future__ import annotations

import os
from collections import Counter

from .errors import ConfigError
from .rnade_protocol import best_per_fold
from .rnade_records import log_jacobian
from .rnade_runs import BSDS, DATASETS, ENSEMBLES, N_FOLDS, ORDERLESS, TITLES, job_key
from .tables import fmt_duration, fmt_mean_stderr, markdown_table

__all__ = [
    "ROWS",
    "PUBLISHED_ROWS",
    "GAPS",
    "published_row",
    "rnade_table",
    "settings_note",
    "validation_curves",
]

ROWS = (
    [
        ("gaussian", "Gaussian"),
        ("mog", "MoG (components chosen on validation)"),
        ("rnade-mog", "RNADE-MoG"),
        ("rnade-laplace", "RNADE-Laplace"),
    ]
    + [
        (f"{ORDERLESS}/{n}", f"RNADE-MoG order-agnostic, ensemble of {n} ordering{'s' * (n > 1)}")
        for n in ENSEMBLES
    ]
    + [
        (
            f"deep-rnade-{L}/{n}",
            f"RNADE-MoG order-agnostic on masked inputs, {L} hidden layer{'s' * (L > 1)}, "
            f"ensemble of {n} ordering{'s' * (n > 1)}",
        )
        for L in (1, 2)
        for n in ENSEMBLES
    ]
)
# the published-values file's rows (NIPS 2013 Table 1 and the ICML 2014 ensembles) and their titles
PUBLISHED_ROWS = [
    ("gaussian", "Gaussian (published)"),
    ("rnade-mog", "RNADE-MoG (published)"),
    ("rnade-laplace", "RNADE-Laplace (published)"),
    ("eornade", "EoRNADE, best ensemble (published)"),
]
GAPS = [  # our row, the published row it is set against
    ("gaussian", "gaussian"),
    ("rnade-mog", "rnade-mog"),
    ("rnade-laplace", "rnade-laplace"),
    (f"{ORDERLESS}/16", "eornade"),
    ("deep-rnade-1/16", "eornade"),
    ("deep-rnade-2/16", "eornade"),
]


def published_row(published: dict, row: str) -> dict:
    """One row of the published values: ``{dataset: value}``.

    Parameters
    ----------
    published : dict
        ``{row: {dataset: value}}``, as ``tables.load_published(path, "rnade")`` returns.
    row : str
        A row of :data:`PUBLISHED_ROWS` (``gaussian``, ``rnade-mog``, ``rnade-laplace``, ``eornade``).

    Raises
    ------
    ConfigError
        ``published`` has no such row.
    """
    if row not in published:
        raise ConfigError(f"published values of the RNADE table: no row {row!r} (rows: {sorted(published)})")
    return published[row]


def rnade_table(records, published: dict, n_folds: int = N_FOLDS, note: str = "") -> str:
    """The markdown table of the records, beside the published values.

    One row per method, one column per dataset (mean ± standard error over folds of the record with the
    best validation score per fold; the number of folds when fewer than ``n_folds`` gave a value), the
    methods' total wall time, then the published rows and the gap rows (our mean minus the published
    value, where both exist).

    Parameters
    ----------
    records : iterable of dict
        See :mod:`rnnrnade_pt.rnade_records` (its functions make them; or built elsewhere).
    published : dict
        ``{row: {dataset: value}}`` with the rows of :data:`PUBLISHED_ROWS`, as
        ``tables.load_published(path, "rnade")`` returns.
    n_folds : int
        The folds a UCI cell should have.
    note : str
        A paragraph after the table (:func:`settings_note`).

    Returns
    -------
    str

    Raises
    ------
    ConfigError
        ``published`` lacks a row of :data:`PUBLISHED_ROWS`.
    """
    records = list(records)
    best = best_per_fold(records)
    datasets = [d for d in DATASETS if any(r["dataset"] == d for r in records)]
    failed = sorted(r["name"] for r in records if "error" in r)
    rows, means = [], {}
    for method, title in ROWS:
        mine = [r for r in records if r["method"] == method]
        if not mine:
            continue
        cells = []
        for d in datasets:
            vals = [r["loglik"] for (m, dd, _), r in sorted(best.items()) if m == method and dd == d]
            expected = 1 if d == BSDS else n_folds
            cell = fmt_mean_stderr(vals) if vals else None
            if vals:
                means[method, d] = sum(vals) / len(vals)  # for the gap rows
            if vals and len(vals) < expected:
                cell += f" ({len(vals)}/{expected} folds)"
            cells.append(cell)
        timed = [r for r in mine if "wall_seconds" in r or "search_seconds" in r]  # untimed: "—"
        seconds = (
            sum(r.get("wall_seconds", 0.0) + r.get("search_seconds", 0.0) for r in timed) if timed else None
        )
        rows.append([title, *cells, fmt_duration(seconds)])
    for row, title in PUBLISHED_ROWS:
        values = published_row(published, row)
        rows.append([title, *[f"{values[d]:.2f}" if d in values else None for d in datasets], None])
    for method, row in GAPS:  # ours minus published, where both exist
        values = published_row(published, row)
        cells = [
            f"{means[method, d] - values[d]:+.2f}" if (method, d) in means and d in values else None
            for d in datasets
        ]
        if any(cells):
            rows.append([f"gap: {dict(ROWS)[method]} minus {dict(PUBLISHED_ROWS)[row]}", *cells, None])
    header = ["method", *[TITLES[d] for d in datasets], "wall time"]
    text = markdown_table(header, rows)
    text += (
        "\nMean test log-likelihood per datapoint (nats), mean ± standard error over the folds. UCI columns: "
        "of the standardised data (each dimension scaled by the mean and std of the rows the model is fitted "
        "on: the training split for the RNADEs and the mixture, the whole training part, training and "
        "validation, for the Gaussian), the paper's units; BSDS300: nats per 63-dimensional patch (pixels "
        "dequantised and scaled to [0, 1], patch mean "
        "removed, last pixel dropped; one train/valid/test split). Per method and fold the grid point with "
        "the best validation log-likelihood counts. Wall time: all that method's runs together (training, "
        "compiling, evaluating; the ensembles' evaluation is not included; — for baselines refitted from the "
        "data by every call). The published rows are as "
        "commonly quoted (NIPS 2013 Table 1; the ICML 2014 paper's best ensembles over orderings); the "
        "papers are not available here. Gap rows: our mean minus the published value (positive: ours is "
        "higher); the ensemble's is of 16 orderings against the published best ensemble. Data and folds: "
        "rnnrnade_pt/data/uci.py (red wine on Uria's own "
        "folds; Parkinsons is the Telemonitoring set; the Gaussian row pins the preprocessing).\n"
    )
    if failed:
        text += f"\nFailed or unevaluated: {', '.join(failed[:20])}{' ...' if len(failed) > 20 else ''}.\n"
    return text + (f"\n{note}\n" if note else "")


def settings_note(
    cfg,
    records,
    wall: float,
    n_folds: int,
    *,
    quick: bool = False,
    sweep: bool = False,
    grid: dict | None = None,
    protocol: str | os.PathLike | None = None,
    variant: str | None = None,
    select=None,
    from_chosen: bool = False,
    halving: int | None = None,
    eta: int = 3,
    chosen: dict | None = None,
    candidates: dict | None = None,
    unchosen=(),
) -> str:
    """The paragraph under the table: the runs' settings, how their points were chosen, and the time.

    Parameters
    ----------
    cfg : RunConfig
        A run's configuration (the first job's): model size, optimiser, batches, epochs, patience.
    records : list of dict
        The table's records (their wall and search time; the candidates' wins per fold).
    wall : float
        This call's own wall time, seconds.
    n_folds : int
        The folds a UCI cell should have.
    quick, sweep : bool
        A quick run; the grid of the sweep file.
    grid : dict, optional
        The grid searched (or the chosen points' keys).
    protocol : str or os.PathLike, optional
        The protocol file the runs follow; ``variant``: its variant.
    select : list of int, optional
        The folds the grid was searched on (the others trained the chosen point).
    from_chosen : bool
        The runs are the protocol file's chosen points, no search.
    halving, eta : int, optional
        Successive halving's rungs and ``eta``.
    chosen : dict, optional
        ``(method, dataset) -> (label, ...)``: the points a search chose (:func:`~rnnrnade_pt.
        rnade_protocol.chosen_points`).
    candidates, unchosen
        The chosen points of each cell and the cells without one (:func:`~rnnrnade_pt.rnade_protocol.
        chosen_jobs`).

    Returns
    -------
    str
    """
    t = cfg.train
    budget = f", at most {fmt_duration(t.max_seconds)} of training a run" if t.max_seconds else ""
    proto = ""
    halving_text = (
        f" Grid searched by successive halving: {halving} rungs, the best 1/{eta} kept per rung on "
        "validation (halving.json)."
        if halving
        else ""
    )
    if protocol:
        proto = f" (protocol {os.path.basename(protocol)}{f' {variant}' if variant else ''}"
        named = ",".join(map(str, select or []))
        where = (
            f"on folds {named} (best mean validation score), then trained on the others"
            if select is not None
            else "per fold on validation"
        )
        where = "earlier, as the file's 'chosen' records" if from_chosen else where
        proto += f", grid over {', '.join(sorted(grid))} chosen {where})"
    searched = (
        "K, learning rate and weight decay from the grid"
        if grid
        else f"K={cfg.model.K}, lr {t.lr:g}, weight decay {t.weight_decay:g}"
    )
    picks = "; ".join(
        f"{TITLES[d]} {dict(ROWS).get(m, m)}: {label.lstrip('-')}"
        for (m, d), (label, *_) in sorted((chosen or {}).items())
    )
    if candidates:  # the chosen points; where a cell has several, how many folds each won on validation
        won = Counter(
            (r["method"].split("/")[0], r["dataset"], r["variant"], r["point"])
            for r in best_per_fold(records).values()
            if "point" in r and r["method"].partition("/")[2] in ("", "1")  # one ensemble size
        )
        picks = "; ".join(
            f"{TITLES[d]} {dict(ROWS).get(m, 'RNADE-MoG order-agnostic')}: "
            + ", ".join(
                f"{label.lstrip('-')}{f' ({v})' if v else ''}"
                + (f" [{won[m, d, v, label]} of {1 if d == BSDS else n_folds}]" if len(cands) > 1 else "")
                for v, label in cands
            )
            for (m, d), cands in candidates.items()
        )
        searched = "K, learning rate and weight decay as 'chosen' holds, a variant's point under it"
    total = sum(r.get("wall_seconds", 0.0) + r.get("search_seconds", 0.0) for r in records)
    searched_time = "the chosen points' runs, no search" if from_chosen else "the search included"
    picks = f" Chosen: {picks}." if picks else ""
    picks += f" No chosen point (not run): {', '.join(unchosen)}." if unchosen else ""
    return (
        f"Settings{' (quick run)' if quick else ''}: H={cfg.model.H}"
        f"{' (grid: configs/rnade/sweep.json)' if sweep else ''}"
        f"{proto}; {t.optimizer}, {searched} (on {t.weight_decay_on}), batches of "
        f"{t.batch_size}, up to {t.epochs} epochs, early stopping after {t.patience} epochs without "
        f"a better validation score{budget}.{halving_text}{picks} Time: the runs' own wall time "
        f"{fmt_duration(total)} in all ({searched_time}), this call's "
        f"{fmt_duration(wall)}."
    )


def validation_curves(jobs, summaries, out_dir: str, published: dict) -> list[str]:
    """The validation log-likelihood per epoch of the runs, one figure per dataset.

    For every dataset, ``<out_dir>/rnade_<dataset>.png`` draws the validation log-likelihood per epoch (the
    table's units) of each method's run that the table counts on the lowest fold trained, with the published
    RNADE-MoG test value dashed (BSDS300: the best ensemble's), so that a reader sees whether the runs
    converged.

    Parameters
    ----------
    jobs, summaries : list
        The runs and their summaries.
    out_dir : str
        Where the figures go.
    published : dict
        As :func:`rnade_table` takes it.

    Returns
    -------
    list of str
        The figures' paths.
    """
    from .metrics import read_metrics
    from .plots import curves

    best: dict = {}  # dataset -> method -> (fold, valid, job)
    for job, s in zip(jobs, summaries, strict=True):
        method, dataset, fold = job_key(job)
        valid = s.get("best_valid_loglik_per_frame")
        if "error" in s or valid is None or not os.path.exists(os.path.join(job.run_dir, "metrics.csv")):
            continue
        old = best.setdefault(dataset, {}).get(method)
        if old is None or (fold, -valid) < (old[0], -old[1]):
            best[dataset][method] = (fold, valid, job)
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for dataset, by_method in best.items():
        series = {}
        for method, (fold, _, job) in sorted(by_method.items()):
            rows = [r for r in read_metrics(job.run_dir) if r["phase"] == "train"]
            shift = log_jacobian(job)
            label = dict(ROWS).get(method, method) + ("" if dataset == BSDS else f", fold {fold}")
            series[label] = (
                [int(r["epoch"]) for r in rows],
                [float(r["valid_loglik"]) - shift for r in rows],
            )
        mog, best_ensemble = published_row(published, "rnade-mog"), published_row(published, "eornade")
        if dataset in mog:
            lines = {"published RNADE-MoG (test, mean of 10 folds)": mog[dataset]}
        else:
            lines = (
                {"published best ensemble (test)": best_ensemble[dataset]} if dataset in best_ensemble else {}
            )
        out = os.path.join(out_dir, f"rnade_{dataset}.png")
        paths.append(
            curves(series, out, f"{TITLES[dataset]}: validation log-likelihood", "nats per datapoint", lines)
        )
    return paths
