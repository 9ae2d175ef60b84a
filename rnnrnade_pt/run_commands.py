"""The command line's commands on run directories: ``train``, ``eval``, ``sample`` and ``plot``.

Each ``cmd_*`` takes the parsed arguments (``train`` also the ``--key value`` overrides argparse left over),
does its work through the library (:mod:`rnnrnade_pt.runs`) and prints one JSON object on stdout;
:func:`add_run_commands` declares their arguments. :mod:`rnnrnade_pt.cli` builds the whole parser and
reports errors.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time

import numpy as np

from .backend import BACKENDS
from .config import AIS_BASES, AIS_DIRECTIONS
from .errors import BackendError, ConfigError, DataError

__all__ = ["emit", "add_run_commands", "cmd_train", "cmd_eval", "cmd_sample", "cmd_plot"]


def emit(obj) -> None:
    """Print ``obj`` as one line of JSON on stdout, flushed (every command's result)."""
    print(json.dumps(obj))
    sys.stdout.flush()


def _parse_value(text: str):
    """A command-line override value: JSON when it parses (numbers, true/false, null, lists), else text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _overrides(tokens: list[str]) -> list[tuple[str, object]]:
    pairs, i = [], 0
    while i < len(tokens):
        tok = tokens[i]
        if not tok.startswith("--") or len(tok) < 3:
            raise ConfigError(f"unexpected argument {tok!r}; overrides are written --key value")
        key, eq, value = tok[2:].partition("=")
        if not eq:
            if i + 1 >= len(tokens):
                raise ConfigError(f"--{key} needs a value")
            value, i = tokens[i + 1], i + 1
        pairs.append((key.replace("-", "_"), _parse_value(value)))
        i += 1
    return pairs


def _progress_factory():
    if not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return lambda total, desc: tqdm(total=total, desc=desc, leave=False, dynamic_ncols=True)


RESUMABLE = ("train.epochs", "train.max_seconds", "train.backend", "train.checkpoint_seconds")


def _config_pairs(path: str) -> list[tuple[str, object]]:
    """The ``(section.key, value)`` pairs a run config file sets explicitly."""
    try:
        with open(path, encoding="utf-8") as fh:
            d = json.load(fh)
    except OSError as e:
        raise ConfigError(f"cannot read config {path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"config {path} is not valid JSON: {e}") from None
    if not isinstance(d, dict) or not all(isinstance(v, dict) for v in d.values()):
        raise ConfigError(f"config {path} must be a JSON object of sections")
    return [(f"{section}.{k}", v) for section, keys in d.items() for k, v in keys.items()]


def _changed_keys(old, new) -> list[str]:
    """``section.key`` of every field that differs between two run configs (paths compared as files)."""
    changed = []
    for section, keys in old.to_dict().items():
        for k, v in keys.items():
            w = new.to_dict()[section][k]
            if section == "data" and k in ("train", "valid", "test", "root") and v and w:
                v, w = os.path.realpath(v), os.path.realpath(w)
            if v != w:
                changed.append(f"{section}.{k}")
    return changed


def _resolve_run_config(args, extra):
    from .config import RunConfig

    pairs = []
    if args.data:
        pairs += [("data.dataset", "npz"), ("data.train", args.data), ("data.valid", args.valid)]
        pairs += [("data.test", args.test)]
    pairs += list(extra)
    for name in ("epochs", "max_seconds", "backend"):
        if getattr(args, name) is not None:
            pairs.append((f"train.{name}", getattr(args, name)))
    if args.resume:
        path = os.path.join(args.resume, "config.json")
        if not os.path.exists(path):
            raise ConfigError(f"{args.resume} is not a run directory (no config.json)")
        with open(path, encoding="utf-8") as fh:
            cfg = RunConfig.from_json(fh.read())
        new = cfg.with_overrides((_config_pairs(args.config) if args.config else []) + pairs)
        changed = [k for k in _changed_keys(cfg, new) if k not in RESUMABLE]
        if args.out and os.path.realpath(args.out) != os.path.realpath(args.resume):
            changed.append(f"--out {args.out} (the run is {args.resume})")
        if changed:
            raise ConfigError(
                f"--resume continues a run as configured; these differ from {path}: {', '.join(changed)} "
                f"(only --epochs, --max-seconds, --backend, --checkpoint-seconds may change)"
            )
        if args.max_seconds is None:
            new = new.override("train.max_seconds", None)  # a time budget belongs to one invocation
        return new
    if args.config:
        try:
            with open(args.config, encoding="utf-8") as fh:
                cfg = RunConfig.from_json(fh.read())
        except OSError as e:
            raise ConfigError(f"cannot read config {args.config}: {e.strerror}") from None
    else:
        cfg = RunConfig()
    return cfg.with_overrides(pairs)


def cmd_train(args, extra) -> None:
    from .data.datasets import load_dataset
    from .runs import train_and_evaluate

    extra = _overrides(extra)
    cfg = _resolve_run_config(args, extra)
    splits = load_dataset(cfg.data)
    D = splits["train"][0].shape[1]
    user_model = {}
    if not args.resume and args.config:
        with open(args.config, encoding="utf-8") as fh:
            user_model = json.load(fh).get("model", {})
    if "D" not in user_model and not any(k in ("D", "model.D") for k, _ in extra) and not args.resume:
        cfg = cfg.override("model.D", D)  # the data decide D unless the config says otherwise
    run_dir = (
        args.resume
        or args.out
        or os.path.join("runs", f"{cfg.data.dataset}-{cfg.model.model}-{time.strftime('%Y%m%d-%H%M%S')}")
    )
    if not args.resume and os.path.exists(os.path.join(run_dir, "config.json")):
        raise ConfigError(
            f"{run_dir} already holds a run; continue it with --resume {run_dir} or choose --out"
        )

    def announce():
        print(
            f"rnnrnade: training {cfg.model.model} on {cfg.data.dataset} (D={cfg.model.D}) in {run_dir}",
            file=sys.stderr,
        )

    # SIGTERM / SIGINT: the library logs where the run stopped; run_reporting_errors exits 128 + signal
    summary = train_and_evaluate(
        cfg,
        run_dir,
        splits,
        resume=bool(args.resume),
        progress=_progress_factory(),
        samples=4,
        seed=args.seed,
        announce=announce,
    )
    try:
        from .plots import learning_curve, sample_pictures

        summary["curve"] = learning_curve(run_dir)
        if "samples" in summary and not cfg.model.binary:
            with np.load(summary["samples"]) as npz:
                S, stem = npz["X"], os.path.splitext(summary["samples"])[0]
            summary["samples"], *gif = sample_pictures(S, cfg, stem)
            if gif:
                summary["samples_gif"] = gif[0]
    except (ConfigError, DataError) as e:
        logging.getLogger(__name__).warning("no pictures: %s", e)
    emit(summary)


def _write_samples(run, out, n, steps, prime, seed) -> str:
    from .npz import atomic_write_npz
    from .runs import sample_run

    S = sample_run(run, n, steps, prime=prime, seed=seed)
    atomic_write_npz(out, {"X": S} if S.ndim == 2 else {"X": S, "mask": np.ones(S.shape[:2])})
    try:
        from .plots import sample_pictures

        if S.ndim == 3:
            return sample_pictures(S, run.cfg, os.path.splitext(out)[0])[0]  # the continuation alone
    except (ConfigError, DataError) as e:
        logging.getLogger(__name__).warning("no sample picture: %s", e)
    return out


def _eval_sequences(args, run):
    from .data.batching import unpad
    from .data.datasets import load_dataset

    if args.data:
        from .data.arrays import load_data

        X, mask = load_data(args.data, run.cfg.model)
        return [X] if mask is None else unpad(X, mask)
    from .release import is_release, read_manifest, release_split

    if is_release(run.run_dir) and read_manifest(run.run_dir)["split"] == args.split:
        return release_split(run)  # checked against the manifest's digests
    splits = load_dataset(run.cfg.data)
    if not splits.get(args.split):
        raise ConfigError(f"the run's dataset has no {args.split!r} split; pass --data FILE.npz")
    return splits[args.split]


def _load_run(args):
    """``--run``: a run directory (its ``--checkpoint``) or a released model's directory
    (:mod:`rnnrnade_pt.release`, checked against its manifest)."""
    from .release import is_release, load_release
    from .runs import load_run

    if is_release(args.run) and not os.path.exists(os.path.join(args.run, "config.json")):
        return load_release(args.run, args.backend)
    return load_run(args.run, args.checkpoint, args.backend)


def cmd_eval(args, extra=None) -> None:
    from .runs import evaluate_run, with_ais

    run = _load_run(args)
    given = (
        ("ais_chains", args.ais_chains),
        ("ais_betas", args.ais_betas),
        ("ais_base", args.ais_base),
        ("ais_direction", args.ais_direction),
    )
    ais = {k: v for k, v in given if v is not None}
    run = with_ais(run, **ais) if ais else run
    seqs = _eval_sequences(args, run)
    if args.sequences is not None:
        if args.sequences < 1:
            raise ConfigError(f"--sequences must be at least 1, got {args.sequences}")
        seqs = seqs[: args.sequences]
    res = evaluate_run(run, seqs)
    emit({"run": args.run, "checkpoint": args.checkpoint, "data": args.data or args.split, **ais, **res})


def cmd_sample(args, extra=None) -> None:
    if args.backend == "jax":
        raise BackendError(
            "backend 'jax' cannot compile the sampler (dynamic scan lengths); use --backend c or numba"
        )
    run = _load_run(args)
    prime = None
    if args.prime:
        from .data.arrays import load_data
        from .data.batching import unpad

        X, mask = load_data(args.prime, run.cfg.model)
        prime = unpad(X, mask)
    out = _write_samples(run, args.out, args.n, args.steps, prime, args.seed)
    result = {"run": args.run, "out": args.out, "picture": out if out.endswith(".png") else None}
    if run.cfg.model.binary:  # piano rolls: one MIDI file per sequence beside the rolls' picture
        from .midi import piano_roll_to_midi
        from .npz import read_npz

        S = read_npz(args.out, "samples", ConfigError)["X"]  # steps x n x 88
        stem = os.path.splitext(args.out)[0]
        result["midi"] = [piano_roll_to_midi(S[:, b], f"{stem}-{b}.mid") for b in range(S.shape[1])]
    emit(result)


def cmd_plot(args, extra=None) -> None:
    from .plots import learning_curve

    emit({"curve": learning_curve(args.run)})


def add_run_commands(sub) -> None:
    """Declare ``train``, ``eval``, ``sample`` and ``plot`` on argparse's subparsers ``sub``."""
    p = sub.add_parser(
        "train",
        help="train a model; any config key can be overridden as --key value (or --section.key value)",
    )
    p.add_argument("--config", help="run config JSON (sections model, train, data)")
    p.add_argument("--data", help="training .npz in the generic format (instead of a config's dataset)")
    p.add_argument("--valid", help="validation .npz (else held out of --data)")
    p.add_argument("--test", help="test .npz")
    p.add_argument("--out", help="run directory (default runs/DATASET-MODEL-TIME)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run")
    p.add_argument("--epochs", type=int, help="total epochs (with --resume: until this many in all)")
    p.add_argument("--max-seconds", dest="max_seconds", type=float, help="stop after this much training time")
    p.add_argument("--backend", choices=BACKENDS)
    p.add_argument("--seed", type=int, default=0, help="seed of the samples drawn at the end")
    p.set_defaults(func=cmd_train, allow_extra=True)

    p = sub.add_parser("eval", help="test log-likelihood and one-step prediction error of a run")
    p.add_argument("--run", required=True, help="a run directory or a released model's directory")
    p.add_argument("--data", help=".npz in the generic format (default: the run dataset's --split)")
    p.add_argument("--split", default="test", choices=["train", "valid", "test"])
    p.add_argument("--checkpoint", default="best", choices=["best", "last"])
    p.add_argument("--backend", choices=BACKENDS)
    p.add_argument("--sequences", type=int, help="only the first N sequences")
    p.add_argument("--ais-chains", type=int, help="RNN-RBM: AIS chains per frame (default: the run's)")
    p.add_argument("--ais-betas", type=int, help="RNN-RBM: AIS temperatures (default: the run's)")
    p.add_argument("--ais-base", choices=AIS_BASES, help="RNN-RBM: AIS's starting RBM (default: the run's)")
    p.add_argument(
        "--ais-direction", choices=AIS_DIRECTIONS, help="RNN-RBM: AIS or RAISE (default: the run's)"
    )
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("sample", help="draw sequences from a run (an .npz and a PNG beside it)")
    p.add_argument("--run", required=True, help="a run directory or a released model's directory")
    p.add_argument("-n", type=int, default=4, help="number of sequences (sequence models) or vectors (RNADE)")
    p.add_argument("--steps", type=int, default=100, help="frames per sequence")
    p.add_argument("--prime", help=".npz of sequences to continue (one per sample)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint", default="best", choices=["best", "last"])
    p.add_argument("--backend", choices=BACKENDS)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("plot", help="(re)draw a run's learning curve, run_dir/curve.png")
    p.add_argument("--run", required=True)
    p.set_defaults(func=cmd_plot)
