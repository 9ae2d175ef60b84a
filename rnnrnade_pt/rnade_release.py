"""The RNADE table's released models: per method, dataset and fold the run that the table counts (the chosen
candidate with the best validation score), released with its test score in the table's units; and the
table's records and note made back from the releases, so that the table a training call writes and the one
``rnade_tables.py --from-release`` writes are the same function of the same manifests.

A release of this table is ``<models>/rnade/<method>_<dataset>_fold<k>`` (:mod:`rnnrnade_pt.release`); its
manifest adds ``method``, ``candidate`` (the protocol variant and grid point of the run), ``candidates`` (how
many the cell had), ``candidates_wall_seconds`` (their runs' wall time together, the table's time column)
and ``valid_loglik``. Its score is the test log-likelihood per datapoint in the table's units (UCI:
of the standardised data, ``score.log_jacobian`` subtracted); an order-agnostic run's evaluation also holds
its ensembles over 1, 2, 4, 8 and 16 orderings (``loglik_per_frame_ensemble``).

References
----------
.. [1] B. Uria, I. Murray, H. Larochelle. "RNADE: The real-valued neural autoregressive density-estimator."
   NIPS 2013.
.. [2] B. Uria, I. Murray, H. Larochelle. "A deep and tractable density estimator." ICML 2014 (ensembles over
   orderings).
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter

from .rnade_runs import BSDS, ENSEMBLES, ORDER_AGNOSTIC, TITLES

__all__ = [
    "TABLE",
    "table_score",
    "evaluate",
    "release_chosen",
    "release_records",
    "release_note",
]

TABLE = "rnade"
logger = logging.getLogger(__name__)


def table_score(run, evaluation: dict) -> dict:
    """A release's score: the test log-likelihood per datapoint in the table's units (the run's
    log-Jacobian subtracted: UCI models are scored on the standardised data)."""
    shift = run.log_jacobian
    return {
        "value": evaluation["loglik_per_frame"] - shift,
        "log_jacobian": shift,
        "what": "mean test log-likelihood per datapoint, nats"
        + (", of the standardised data" if shift else ""),
        "counted": evaluation["frames"],
    }


def evaluate(run, seqs) -> dict:
    """:func:`~rnnrnade_pt.runs.evaluate_run`, with an order-agnostic run's ensembles over the first 1, 2, 4,
    8 and 16 orderings (one pass for all sizes)."""
    from .runs import evaluate_run

    agnostic = run.cfg.train.ordering == "orderless" or run.cfg.model.model == "deep-rnade"
    orderings = ENSEMBLES if agnostic else None
    return evaluate_run(run, seqs, orderings=orderings)


def _cell(method: str, dataset: str, fold: int) -> str:
    return f"{method}_{dataset}" if dataset == BSDS else f"{method}_{dataset}_fold{fold}"


def release_chosen(jobs, records, models_dir: str, data_root: str | None = None) -> list[str]:
    """Release, per method, dataset and fold, the run the table counts (of the records' candidates the one
    with the best validation score; an order-agnostic cell by its ensemble of one ordering) to
    ``models_dir/rnade/<method>_<dataset>_fold<k>``. A release of the same checkpoint is left as it is
    (:func:`~rnnrnade_pt.release.release_run`'s ``if_changed``). Returns the release directories written."""
    from .release import release_run
    from .rnade_protocol import best_per_fold

    by_name = {j.name: j for j in jobs}
    wall: Counter = Counter()
    count: Counter = Counter()
    for r in records:
        if "error" not in r and "loglik" in r and r["name"] in by_name:
            key = (r["method"].split("/")[0], r["dataset"], r["fold"])
            if r["method"].partition("/")[2] in ("", "1"):
                wall[key] += r.get("wall_seconds", 0.0)
                count[key] += 1
    written = []
    for (method, dataset, fold), r in sorted(best_per_fold(records).items()):
        base, _, size = method.partition("/")
        if size not in ("", "1") or r["name"] not in by_name:
            continue
        job = by_name[r["name"]]
        out = os.path.join(models_dir, TABLE, _cell(base, dataset, fold))
        extra = {
            "method": base,
            "candidate": {"variant": r.get("variant"), "point": r.get("point", "").lstrip("-")},
            "candidates": count[base, dataset, fold],
            "candidates_wall_seconds": wall[base, dataset, fold],
            "valid_loglik": r["valid"],
        }
        kw = dict(score=table_score, evaluate=evaluate, data_root=data_root, extra=extra, if_changed=True)
        if release_run(job.run_dir, out, table=TABLE, cell=_cell(base, dataset, fold), **kw) is not None:
            logger.info("released %s", out)
            written.append(out)
    return written


def release_records(manifests) -> list[dict]:
    """The table's records (see :mod:`rnnrnade_pt.rnade_records`) of released models: one per release, and
    one per ensemble size of an order-agnostic one."""
    out = []
    for m in manifests:
        fold = m["fold"] if m["fold"] is not None else 0
        rec = {"name": m["cell"], "method": m["method"], "dataset": m["dataset"], "fold": fold}
        rec.update(valid=m["valid_loglik"], wall_seconds=m["candidates_wall_seconds"])
        if m["method"] not in ORDER_AGNOSTIC:
            out.append({**rec, "loglik": m["score"]["value"]})
            continue
        shift = m["score"]["log_jacobian"]
        ens = {int(k): v for k, v in m["evaluation"]["loglik_per_frame_ensemble"].items()}
        for n in ENSEMBLES:
            out.append(
                {
                    **rec,
                    "method": f"{m['method']}/{n}",
                    "loglik": ens[n] - shift,
                    "wall_seconds": rec["wall_seconds"] if n == 1 else 0.0,
                }
            )
    return out


def release_note(manifests, size_bytes: int) -> str:
    """The paragraph under the table made from its releases: the runs' settings, which candidate each cell's
    folds use, where the models are, how they were made and how to regenerate or re-score them."""
    from .release import compute_summary, releases_made_by

    if not manifests:
        return ""

    def setting(section: str, key: str, text) -> str:
        """``text(value)`` when every released run has the same value, else what says it varies."""
        values = {json.dumps(m["config"][section][key]) for m in manifests}
        return text(json.loads(values.pop())) if len(values) == 1 else f"{key} per candidate"

    settings = [
        setting("model", "H", lambda v: f"H={v}"),
        setting("train", "optimizer", str),
        setting("train", "batch_size", lambda v: f"batches of {v}"),
        setting("train", "epochs", lambda v: f"up to {v} epochs"),
        setting(
            "train",
            "patience",
            lambda v: f"early stopping after {v} epochs without a better validation score",
        ),
    ]
    wins: dict = {}
    for m in manifests:
        cand = m["candidate"]
        label = cand["point"] + (f" ({cand['variant']})" if cand["variant"] else "")
        wins.setdefault((m["method"], m["dataset"]), Counter())[label] += 1
    picks = "; ".join(
        f"{TITLES[d]} {method}: " + ", ".join(f"{label} [{k}]" for label, k in sorted(c.items()))
        for (method, d), c in sorted(wins.items())
    )
    return (
        f"Settings: {', '.join(settings)} (protocol file configs/rnade/protocol.json: its fixed settings, "
        f"each candidate's variant's changes to them and, per set and method, the 'chosen' candidate points; "
        f"per fold the candidate with the best validation score counts). Released per "
        f"fold, the candidate that counts [folds]: {picks}. Models: `experiments/models/rnade/"
        f"<method>_<set>_fold<k>` ({len(manifests)} models, {size_bytes / 1e6:.1f} MB); every candidate's "
        f"run counted, {compute_summary(manifests, 'candidates_wall_seconds')}; made by "
        + "; ".join(releases_made_by(manifests))
        + ". Regenerate: `python experiments/rnade_tables.py [--engine dask --workers N]` (trains what is "
        "not trained yet, releases, tables); re-score: `python experiments/rnade_tables.py --from-release`."
    )
