"""Released models: a trained model anyone can re-score, and the manifest that says what it scored.

A release is a directory ``<root>/<table>/<cell>/`` (e.g. ``experiments/models/music/rnn-nade_JSB_Chorales``)
of two files:

- ``model.npz``: the parameters under the supplement's names plus ``config`` (so ``rnnrnade loglik --params
  model.npz`` reads it, like any parameter file), and for a model trained on standardised data the
  standardisation (``data/standardize_mean``, ``data/standardize_std``), compressed, in float64 (a float32
  model's parameters in float32, which holds them exactly);
- ``manifest.json``: the table and cell, the model and dataset (fold or seed), the split scored and its
  score as the table uses it (``score``: value, what it is, how many frames or examples it counts), the full
  evaluation (``evaluation``), the SHA-256 of every data file read and of the scored split itself, the run
  config, the training command, commit and machine (:mod:`rnnrnade_pt.provenance`), the training time, and
  the SHA-256 of ``model.npz``.

:func:`load_release` checks ``model.npz`` against its manifest before anything else, so that a corrupted or
replaced file is a one-line error; :func:`release_split` checks the data against the manifest's digests, and
:func:`rescore` evaluates the model on them again. ``rnnrnade eval --run``, ``rnnrnade sample --run`` accept a
release directory wherever they accept a run directory.

>>> import os, tempfile
>>> from rnnrnade_pt.errors import ParamsError
>>> try:
...     load_release(tempfile.mkdtemp())
... except ParamsError as e:
...     print(str(e).split(":")[-1].strip())
no manifest.json (not a released model)
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Sequence

import numpy as np

from .errors import DataError, ParamsError

__all__ = [
    "MODEL_FILE",
    "MANIFEST_FILE",
    "split_sha256",
    "write_release",
    "release_run",
    "read_manifest",
    "is_release",
    "load_release",
    "release_split",
    "rescore",
    "check_score",
    "find_releases",
    "release_size",
    "rescore_all",
    "releases_made_by",
    "compute_summary",
]

MODEL_FILE = "model.npz"
MANIFEST_FILE = "manifest.json"
FORMAT = 1
REQUIRED = (
    "format",
    "table",
    "cell",
    "model",
    "dataset",
    "split",
    "score",
    "config",
    "model_sha256",
    "split_sha256",
    "data_files",
)


def split_sha256(seqs: Sequence[np.ndarray]) -> str:
    """A digest of a data split: every sequence's shape and float64 values, in order.

    >>> split_sha256([np.zeros((2, 3))]) == split_sha256([np.zeros((2, 3), dtype=np.float32)])
    True
    >>> split_sha256([np.zeros((2, 3))]) == split_sha256([np.zeros((3, 2))])
    False
    """
    h = hashlib.sha256()
    for s in seqs:
        a = np.ascontiguousarray(s, dtype=np.float64)
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _file_sha256(path: str) -> str:
    from .data.download import sha256_file

    return sha256_file(path)


def write_release(
    run_dir: str,
    out_dir: str,
    *,
    table: str,
    cell: str,
    score: dict,
    evaluation: dict,
    split: str,
    split_digest: str,
    data_files: dict,
    extra: dict | None = None,
) -> dict:
    """Release a run's best checkpoint into ``out_dir`` (``model.npz`` and ``manifest.json``).

    Parameters
    ----------
    run_dir : str
        A finished run directory (``config.json``, ``best.npz``; ``results.json`` and ``provenance.json``
        when present give the training time, epochs and command).
    out_dir : str
        The release directory (created; both files replaced atomically, the model first).
    table, cell : str
        The results table and the cell (row and column, or run) the model stands behind.
    score : dict
        ``value`` (the number the table uses), ``what`` (its meaning and units) and ``counted`` (frames or
        examples scored).
    evaluation : dict
        The whole evaluation of the split (e.g. :func:`~rnnrnade_pt.runs.evaluate_run`'s dict).
    split : str
        Which split was scored (``"test"``).
    split_digest : str
        :func:`split_sha256` of the scored sequences.
    data_files : dict
        Data file name -> SHA-256 (:func:`~rnnrnade_pt.data.download.recording_files`).
    extra : dict, optional
        More manifest fields (e.g. ``candidates_wall_seconds``).

    Returns
    -------
    dict
        The manifest.
    """
    from .checkpoint import load_checkpoint
    from .config import RunConfig
    from .npz import atomic_write_npz, atomic_write_text
    from .provenance import read

    with open(os.path.join(run_dir, "config.json"), encoding="utf-8") as fh:
        cfg = RunConfig.from_json(fh.read())
    arrays = load_checkpoint(os.path.join(run_dir, "best.npz"))
    keep = {
        k: v if "/" in k else _in_model_dtype(v, cfg.model.dtype)
        for k, v in arrays.items()
        if "/" not in k or k.startswith("data/")
    }
    model_path = os.path.join(out_dir, MODEL_FILE)
    atomic_write_npz(model_path, keep, compressed=True)
    results = {}
    if os.path.exists(os.path.join(run_dir, "results.json")):
        with open(os.path.join(run_dir, "results.json"), encoding="utf-8") as fh:
            results = json.load(fh)
    prov = read(run_dir) or {}
    config = cfg.to_dict()
    config["data"]["root"] = None  # the user's data root: $RNNRNADE_DATA or --data-root
    manifest = {
        "format": FORMAT,
        "table": table,
        "cell": cell,
        "model": cfg.model.model,
        "dataset": cfg.data.name or cfg.data.dataset,
        "fold": cfg.data.fold if cfg.data.dataset == "uci" else None,
        "seed": cfg.train.seed,
        "split": split,
        "score": score,
        "evaluation": evaluation,
        "data_files": data_files,
        "split_sha256": split_digest,
        "config": config,
        "command": prov.get("command"),
        "commit": prov.get("commit"),
        "dirty": prov.get("dirty"),
        "machine": prov.get("machine"),
        "versions": {k: prov.get(k) for k in ("python", "numpy", "pytensor")},
        "trained": prov.get("date"),
        "resumed_sessions": len(prov.get("resumed", [])),
        "training_seconds": results.get("seconds"),
        "wall_seconds": results.get("wall_seconds"),
        "epochs": results.get("epochs"),
        "stopped": results.get("stopped"),
        "n_params": results.get("n_params"),
        **(extra or {}),
        "model_sha256": _file_sha256(model_path),
        "model_bytes": os.path.getsize(model_path),
        "released": time.strftime("%Y-%m-%d"),
    }
    atomic_write_text(os.path.join(out_dir, MANIFEST_FILE), json.dumps(manifest, indent=2) + "\n")
    return manifest


def _in_model_dtype(a, dtype: str):
    """A float64 parameter of a float32 model stored as float32 when that loses nothing (a checkpoint holds
    every parameter in float64): half the bytes, the same values once loaded."""
    if dtype == "float32" and getattr(a, "dtype", None) == np.float64:
        b = a.astype(np.float32)
        if np.array_equal(b.astype(np.float64), a):
            return b
    return a


def is_release(path: str) -> bool:
    """Whether ``path`` is a release directory (holds ``manifest.json``)."""
    return os.path.isfile(os.path.join(path, MANIFEST_FILE))


def read_manifest(path: str) -> dict:
    """The manifest of the release directory ``path``.

    Raises
    ------
    ParamsError
        No manifest, not JSON, or a required field missing (one line).
    """
    where = os.path.join(path, MANIFEST_FILE)
    if not os.path.isfile(where):
        raise ParamsError(f"{path}: no {MANIFEST_FILE} (not a released model)")
    try:
        with open(where, encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError) as e:
        raise ParamsError(f"{where} is not readable JSON ({e})") from None
    missing = [k for k in REQUIRED if not isinstance(manifest, dict) or k not in manifest]
    if missing:
        raise ParamsError(f"{where} lacks {', '.join(missing)}")
    if manifest["format"] != FORMAT:
        raise ParamsError(f"{where}: release format {manifest['format']!r}, this package reads {FORMAT}")
    return manifest


def load_release(path: str, backend: str | None = None):
    """A release directory as a :class:`~rnnrnade_pt.runs.Run` (its config, model and standardisation),
    after checking ``model.npz`` against the manifest's SHA-256.

    Raises
    ------
    ParamsError
        No or a bad manifest; ``model.npz`` missing, corrupted or replaced; its config differs from the
        manifest's.
    """
    from .checkpoint import checkpoint_standardizer, load_checkpoint
    from .config import RunConfig
    from .density_model import load_model
    from .errors import ConfigError
    from .runs import Run

    manifest = read_manifest(path)
    model_path = os.path.join(path, MODEL_FILE)
    if not os.path.isfile(model_path):
        raise ParamsError(f"{path}: {MODEL_FILE} is missing")
    digest = _file_sha256(model_path)
    if digest != manifest["model_sha256"]:
        raise ParamsError(
            f"{model_path} does not match its manifest (SHA-256 {digest[:12]}..., manifest "
            f"{str(manifest['model_sha256'])[:12]}...): corrupted or replaced"
        )
    try:
        cfg = RunConfig.from_dict(manifest["config"])
    except (ConfigError, TypeError) as e:
        raise ParamsError(f"{path}: the manifest's config is not a run config ({e})") from None
    model = load_model(model_path, backend or cfg.train.backend)
    if model.cfg != cfg.model:
        raise ParamsError(f"{model_path} holds a model that differs from its manifest's config")
    standardizer = checkpoint_standardizer(load_checkpoint(model_path)) if cfg.data.standardize else None
    return Run(path, cfg, model, standardizer)


def _load_split(run, split: str, data_root: str | None) -> tuple[list, dict]:
    """A run's ``split`` from the user's data (``data_root``, else the config's or ``$RNNRNADE_DATA``) and the
    data files read for it, name -> SHA-256 (what a manifest records and a re-score checks)."""
    import dataclasses

    from .data.datasets import load_dataset
    from .data.download import recording_files

    dcfg = run.cfg.data if data_root is None else dataclasses.replace(run.cfg.data, root=data_root)
    with recording_files() as files:
        seqs = load_dataset(dcfg)[split]
    return seqs, files


def release_split(run, data_root: str | None = None) -> list[np.ndarray]:
    """The split a release was scored on, loaded from the user's data (``data_root``, else
    ``$RNNRNADE_DATA``) and checked against the manifest's digests.

    Raises
    ------
    DataError
        The data are missing, or differ from those the release was scored on (one line).
    """

    manifest = read_manifest(run.run_dir)
    seqs, files = _load_split(run, manifest["split"], data_root)
    for name, digest in manifest["data_files"].items():
        if name in files and files[name] != digest:
            raise DataError(
                f"data file {name} differs from the one {run.run_dir} was scored on "
                f"(SHA-256 {files[name][:12]}..., manifest {digest[:12]}...)"
            )
    if split_sha256(seqs) != manifest["split_sha256"]:
        raise DataError(
            f"the {manifest['split']} split of {manifest['dataset']} differs from the one {run.run_dir} "
            "was scored on (its SHA-256 differs from the manifest's split_sha256)"
        )
    return seqs


def _evaluate(run, seqs, evaluate: Callable | None, score: Callable) -> tuple[dict, dict]:
    from .runs import evaluate_run

    evaluation = (evaluate or evaluate_run)(run, seqs)
    return evaluation, score(run, evaluation)


def release_run(
    run_dir: str,
    out_dir: str,
    *,
    table: str,
    cell: str,
    score: Callable,
    evaluate: Callable | None = None,
    split: str = "test",
    data_root: str | None = None,
    extra: dict | None = None,
    if_changed: bool = False,
) -> dict | None:
    """Evaluate a finished run's best checkpoint on ``split`` and release it (:func:`write_release`).

    ``evaluate(run, seqs)`` (default :func:`~rnnrnade_pt.runs.evaluate_run`) computes the evaluation;
    ``score(run, evaluation)`` the manifest's ``score`` (``value``, ``what``, ``counted``): the number the
    table shows. :func:`rescore` repeats both on the released files. The manifest records the SHA-256 of
    the run's ``best.npz`` (``checkpoint_sha256``); with ``if_changed``, a release of the same checkpoint
    that stopped the same way (``extra["stopped"]``, where given) is left as it is and None returned.
    Returns the manifest.
    """

    from .data.download import sha256_file
    from .runs import load_run

    extra = {**(extra or {}), "checkpoint_sha256": sha256_file(os.path.join(run_dir, "best.npz"))}
    if if_changed and is_release(out_dir):
        old = read_manifest(out_dir)
        if all(old.get(k) == extra[k] for k in ("checkpoint_sha256", "stopped") if k in extra):
            return None
    run = load_run(run_dir)
    seqs, files = _load_split(run, split, data_root)
    evaluation, value = _evaluate(run, seqs, evaluate, score)
    return write_release(
        run_dir,
        out_dir,
        table=table,
        cell=cell,
        score=value,
        evaluation=evaluation,
        split=split,
        split_digest=split_sha256(seqs),
        data_files=files,
        extra=extra,
    )


def rescore(
    path: str,
    score: Callable,
    evaluate: Callable | None = None,
    data_root: str | None = None,
    backend: str | None = None,
) -> dict:
    """Score a released model again on its split, as :func:`release_run` scored it: the manifest with
    ``evaluation`` and ``score`` replaced by today's (and ``released_score``, the manifest's own);
    :func:`check_score` compares the two."""
    run = load_release(path, backend)
    seqs = release_split(run, data_root)
    manifest = read_manifest(path)
    evaluation, value = _evaluate(run, seqs, evaluate, score)
    return {
        **manifest,
        "evaluation": evaluation,
        "score": value,
        "released_evaluation": manifest["evaluation"],
        "released_score": manifest["score"],
    }


def check_score(rescored: dict, tol: float = 1e-6) -> list[str]:
    """The differences of more than ``tol`` (absolute) between a :func:`rescore` result's score and
    evaluation and the release's own, as ``"key: released -> now"`` lines (every number compared, nested
    dicts entry by entry); empty when the re-score reproduces the release."""

    def flat(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict):
                yield from flat(v, f"{prefix}{k}.")
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                yield f"{prefix}{k}", float(v)

    old = dict(flat({"score": rescored["released_score"], **rescored["released_evaluation"]}))
    new = dict(flat({"score": rescored["score"], **rescored["evaluation"]}))
    out = []
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k), new.get(k)
        if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)) or abs(a - b) > tol:
            out.append(f"{k}: {a} -> {b}")
    return out


def find_releases(root: str, table: str) -> list[str]:
    """The release directories of one table under ``root`` (``root/table/*/manifest.json``), sorted; empty
    when there are none."""
    base = os.path.join(root, table)
    if not os.path.isdir(base):
        return []
    return [os.path.join(base, d) for d in sorted(os.listdir(base)) if is_release(os.path.join(base, d))]


def release_size(root: str) -> int:
    """The bytes of every file under ``root`` (the whole release)."""
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(root) for f in files)


def rescore_all(
    root: str,
    table: str,
    score: Callable,
    evaluate: Callable | None = None,
    data_root: str | None = None,
    tol: float = 1e-6,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[dict], dict[str, list[str]]]:
    """Re-score every release of ``table`` under ``root`` (:func:`rescore`): the re-scored manifests in
    order, and ``{cell: differences}`` for those whose numbers moved by more than ``tol``
    (:func:`check_score`). ``progress(line)`` is called once per release.

    Raises
    ------
    ConfigError
        The table has no release under ``root``.
    """
    from .errors import ConfigError

    paths = find_releases(root, table)
    if not paths:
        raise ConfigError(f"no released model of table {table!r} under {root}")
    out, bad = [], {}
    for i, path in enumerate(paths, 1):
        start = time.perf_counter()
        again = rescore(path, score, evaluate, data_root)
        diff = check_score(again, tol)
        if diff:
            bad[again["cell"]] = diff
        out.append(again)
        if progress is not None:
            state = "differs: " + "; ".join(diff[:3]) if diff else "reproduced"
            seconds = time.perf_counter() - start
            progress(
                f"[{i}/{len(paths)}] {again['cell']}: {again['score']['value']:.4f} {state} ({seconds:.1f} s)"
            )
    return out, bad


def releases_made_by(manifests: Sequence[dict]) -> list[str]:
    """How a table's released models were made, one line per (commit, work tree, command, machine):
    ``"cell, cell: `command` at commit abc1234567 on machine"``, for the line under a results table, with
    "(uncommitted changes)" after the commit where the run started from a work tree that had some.

    >>> m = {"commit": "0123456789abcdef", "command": "python x.py", "machine": "CPU, 2 cores"}
    >>> made = [{**m, "cell": "a"}, {**m, "cell": "b"}, {**m, "cell": "c", "dirty": True}]
    >>> for line in releases_made_by(made):
    ...     print(line)
    a, b: `python x.py` at commit 0123456789 on CPU, 2 cores
    c: `python x.py` at commit 0123456789 (uncommitted changes) on CPU, 2 cores
    """
    groups: dict[tuple, list[str]] = {}
    for m in manifests:
        commit = str(m.get("commit"))[:10] + (" (uncommitted changes)" if m.get("dirty") else "")
        groups.setdefault((commit, m.get("command"), m.get("machine")), []).append(m["cell"])
    return [
        f"{', '.join(c) if len(c) <= 8 else f'{len(c)} models'}: `{cmd}` at commit {commit} on {machine}"
        for (commit, cmd, machine), c in groups.items()
    ]


def compute_summary(manifests: Sequence[dict], key: str = "wall_seconds") -> str:
    """What a table cost: its released runs' time together (``key``: ``wall_seconds``, training, compiling
    and evaluating; or e.g. ``candidates_wall_seconds``) and the longest single run, the time a cluster with a
    worker per run would need.

    >>> compute_summary([{"cell": "a", "wall_seconds": 60.0}, {"cell": "b", "wall_seconds": 3600.0}])
    'compute 1 h 01 min in all, longest run 1 h 00 min (b)'
    """
    from .tables import fmt_duration

    timed = [m for m in manifests if m.get(key) is not None]
    if not timed:
        return "compute not recorded"
    longest = max(timed, key=lambda m: m.get("wall_seconds") or 0.0)
    total = sum(m[key] for m in timed)
    return (
        f"compute {fmt_duration(total)} in all, longest run {fmt_duration(longest.get('wall_seconds'))} "
        f"({longest['cell']})"
    )
