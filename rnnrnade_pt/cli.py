"""Command line: argument parsing and error reporting only; the work happens in the library.

``rnnrnade loglik``, ``grad`` (``--check``), ``init``, ``demo``, ``train``, ``eval``, ``sample``, ``plot`` and
``graph``; ``rnnrnade COMMAND --help`` for each. Bad input ends with one line on stderr and exit status 2;
SIGINT (Ctrl-C) or SIGTERM during ``train`` finishes the step, saves ``last.npz`` and exits with status
``128 + signal`` (130, 143).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import time

import numpy as np

from .compile import BACKENDS
from .config import ModelConfig
from .errors import BackendError, ConfigError, RnnRnadeError

__all__ = ["main", "run_reporting_errors"]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse would print the usage too)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _config_from_args(args) -> ModelConfig:
    d = {}
    if args.config:
        try:
            with open(args.config, encoding="utf-8") as fh:
                d = ModelConfig.from_json(fh.read()).to_dict()
        except OSError as e:
            raise ConfigError(f"cannot read config {args.config}: {e.strerror}") from None
    for f in dataclasses.fields(ModelConfig):
        value = getattr(args, f"cfg_{f.name}", None)
        if value is not None:
            d[f.name] = value
    return ModelConfig.from_dict(d)


def _add_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="model config JSON file; the flags below override it")
    p.add_argument("--model", dest="cfg_model", choices=["rnade", "rnn-rnade"])
    for name in ("D", "H", "K", "R"):
        p.add_argument(f"--{name}", dest=f"cfg_{name}", type=int)
    p.add_argument("--rnn-activation", dest="cfg_rnn_activation", choices=["sigmoid", "tanh"])
    p.add_argument(
        "--conditioned",
        dest="cfg_conditioned",
        type=lambda s: [c for c in s.split(",") if c],
        help="comma-separated subset of alpha,mu,sigma ('' for none)",
    )
    p.add_argument("--condition-c", dest="cfg_condition_c", action="store_true", default=None)
    p.add_argument("--fold-c-into-W", dest="cfg_fold_c_into_W", action="store_true", default=None)
    p.add_argument("--dtype", dest="cfg_dtype", choices=["float64", "float32"])


def _emit(obj) -> None:
    print(json.dumps(obj))
    sys.stdout.flush()


def cmd_loglik(args) -> None:
    from .data.arrays import load_data
    from .model import load_model

    model = load_model(args.params, backend=args.backend)
    X, mask = load_data(args.data, model.cfg)
    ll = model.loglik(X, mask, graph=args.graph)
    _emit(
        {
            "model": model.cfg.model,
            "graph": args.graph,
            "backend": args.backend,
            "total": ll.total,
            "per_sequence": ll.per_sequence.tolist(),
            "frames": ll.frames,
            "dims": model.cfg.D,
            "per_frame": ll.total / ll.frames,
        }
    )


def cmd_grad(args) -> None:
    from .data.arrays import load_data
    from .model import load_model
    from .npz import atomic_write_npz

    model = load_model(args.params, backend=args.backend)
    X, mask = load_data(args.data, model.cfg)
    if args.check:
        return _grad_check(args, model, X, mask)
    if not args.out:
        raise ConfigError("grad needs --out G.npz (or --check)")
    total, grads = model.gradients(X, mask, method=args.method, graph=args.graph)
    atomic_write_npz(args.out, grads)
    norms = {n: float(np.linalg.norm(g)) for n, g in grads.items()}
    _emit({"method": args.method, "graph": args.graph, "total": total, "out": args.out, "grad_norms": norms})


def _grad_check(args, model, X, mask) -> None:
    """Per-parameter gradient norms and central finite differences along random directions."""
    from .inspect import finite_difference_check, gradient_norms, max_rel_error

    norms = gradient_norms(model, X, mask, method=args.method, graph=args.graph)
    check = finite_difference_check(model, X, mask, method=args.method, n_directions=args.directions,
                                    eps=args.eps, graph=args.graph)  # fmt: skip
    worst = max_rel_error(check)
    _emit({"method": args.method, "graph": args.graph, "grad_norms": norms, "finite_differences": check,
           "max_rel_error": worst, "tolerance": args.tol, "ok": worst <= args.tol})  # fmt: skip
    if worst > args.tol:
        print(f"rnnrnade: gradient check failed: relative error {worst:.3g} > {args.tol:g}", file=sys.stderr)
        raise SystemExit(1)


def cmd_graph(args) -> None:
    from .inspect import graph_svg, graph_text

    if args.params:
        from .params import load_params

        model = load_params(args.params)[0]
    elif any(getattr(args, f"cfg_{n}") is not None for n in "DHKR"):
        from .inspect.printing import GRAPH_SIZES

        sizes = {n: getattr(args, f"cfg_{n}") or GRAPH_SIZES[n] for n in "DHKR"}
        model = ModelConfig(model=args.model_name, **sizes)
    else:
        model = args.model_name
    if args.svg:
        import contextlib

        with contextlib.redirect_stdout(sys.stderr):  # pydotprint announces each inner graph's file
            path = graph_svg(
                model, args.target, args.svg, param=args.param, graph=args.graph, backend=args.backend
            )
        _emit({"svg": str(path)})
    else:
        sys.stdout.write(
            graph_text(model, args.target, param=args.param, graph=args.graph, backend=args.backend)
        )
        sys.stdout.flush()


def cmd_init(args) -> None:
    from .params import init_params, save_params

    cfg = _config_from_args(args)
    save_params(args.out, init_params(cfg, args.seed, args.scale), cfg)
    _emit({"out": args.out, "config": cfg.to_dict()})


def cmd_demo(args) -> None:
    from .demo import run_demo

    cfg = _config_from_args(args)
    for record in run_demo(cfg, args.out, args.backend, seed=args.seed):
        _emit(record)


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
        print(f"rnnrnade: training {cfg.model.model} on {cfg.data.dataset} (D={cfg.model.D}) in {run_dir}",
              file=sys.stderr)  # fmt: skip

    # SIGTERM / SIGINT: the library logs where the run stopped; run_reporting_errors exits 128 + signal
    summary = train_and_evaluate(
        cfg, run_dir, splits, resume=bool(args.resume), progress=_progress_factory(), samples=4,
        seed=args.seed, announce=announce,
    )  # fmt: skip
    try:
        from .plots import learning_curve, sample_gif, sample_strip

        summary["curve"] = learning_curve(run_dir)
        if "samples" in summary and not cfg.model.binary:
            with np.load(summary["samples"]) as npz:
                S, stem = npz["X"], os.path.splitext(summary["samples"])[0]
            summary["samples"] = sample_strip(S, stem + ".png")
            if _animated(cfg):
                summary["samples_gif"] = sample_gif(S, stem + ".gif")
    except ConfigError as e:
        logging.getLogger(__name__).warning("no pictures: %s", e)
    _emit(summary)


def _animated(cfg) -> bool:
    """Samples of a run on bouncing balls (frames that are images) get an animated GIF beside the strip."""
    return cfg.data.dataset == "balls"


def _write_samples(run, out, n, steps, prime, seed) -> str:
    from .npz import atomic_write_npz
    from .runs import sample_run

    S = sample_run(run, n, steps, prime=prime, seed=seed)
    atomic_write_npz(out, {"X": S} if S.ndim == 2 else {"X": S, "mask": np.ones(S.shape[:2])})
    try:
        from .plots import sample_gif, sample_strip

        if S.ndim == 3:
            if _animated(run.cfg):
                sample_gif(S, os.path.splitext(out)[0] + ".gif")
            return sample_strip(S, os.path.splitext(out)[0] + ".png")
    except ConfigError as e:
        logging.getLogger(__name__).warning("no sample picture: %s", e)
    return out


def _eval_sequences(args, run):
    from .data.datasets import load_dataset
    from .data.sequences import unpad

    if args.data:
        from .data.arrays import load_data

        X, mask = load_data(args.data, run.cfg.model)
        return [X] if mask is None else unpad(X, mask)
    splits = load_dataset(run.cfg.data)
    if not splits.get(args.split):
        raise ConfigError(f"the run's dataset has no {args.split!r} split; pass --data FILE.npz")
    return splits[args.split]


def cmd_eval(args, extra=None) -> None:
    from .runs import evaluate_run, load_run

    run = load_run(args.run, args.checkpoint, args.backend)
    seqs = _eval_sequences(args, run)
    res = evaluate_run(run, seqs)
    _emit({"run": args.run, "checkpoint": args.checkpoint, "data": args.data or args.split, **res})


def cmd_sample(args, extra=None) -> None:
    from .runs import load_run

    if args.backend == "jax":
        raise BackendError(
            "backend 'jax' cannot compile the sampler (dynamic scan lengths); use --backend c or numba"
        )
    run = load_run(args.run, args.checkpoint, args.backend)
    prime = None
    if args.prime:
        from .data.arrays import load_data
        from .data.sequences import unpad

        X, mask = load_data(args.prime, run.cfg.model)
        prime = unpad(X, mask)
    out = _write_samples(run, args.out, args.n, args.steps, prime, args.seed)
    result = {"run": args.run, "out": args.out, "picture": out if out.endswith(".png") else None}
    if run.cfg.model.binary:  # piano rolls: one MIDI file per sequence, and the rolls as the picture
        from .midi import piano_roll_to_midi
        from .npz import read_npz

        S = read_npz(args.out, "samples", ConfigError)["X"]  # steps x n x 88
        stem = os.path.splitext(args.out)[0]
        result["midi"] = [piano_roll_to_midi(S[:, b], f"{stem}-{b}.mid") for b in range(S.shape[1])]
        try:
            from .plots import piano_roll

            result["picture"] = piano_roll(S, stem + ".png")
        except ConfigError as e:
            logging.getLogger(__name__).warning("no piano-roll picture: %s", e)
    _emit(result)


def cmd_plot(args, extra=None) -> None:
    from .plots import learning_curve

    _emit({"curve": learning_curve(args.run)})


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rnnrnade", description="RNADE and RNN-RNADE as PyTensor graphs")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress on stderr")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("loglik", help="log-likelihood of data under a parameter file (JSON on stdout)")
    p.add_argument("--params", required=True, help="parameter .npz (with its config)")
    p.add_argument("--data", required=True, help="data .npz: X (N x D), or X (T x B x D) and mask (T x B)")
    p.add_argument("--backend", choices=BACKENDS, default="c")
    p.add_argument("--graph", choices=["scan", "fast", "fused"], default="fast")
    p.set_defaults(func=cmd_loglik)

    p = sub.add_parser("grad", help="gradient of the total log-likelihood, written to an .npz")
    p.add_argument("--params", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--method", choices=["symbolic", "explicit"], default="symbolic")
    p.add_argument("--graph", choices=["scan", "fast", "fused"], default="fast")
    p.add_argument("--backend", choices=BACKENDS, default="c")
    p.add_argument("--out", help="output .npz, one array per parameter name")
    p.add_argument("--check", action="store_true", help="print gradient norms and a finite-difference check")
    p.add_argument("--directions", type=int, default=3, help="random directions per parameter (--check)")
    p.add_argument("--eps", type=float, default=1e-6, help="finite-difference step (--check)")
    p.add_argument("--tol", type=float, default=1e-5, help="largest relative error accepted (--check)")
    p.set_defaults(func=cmd_grad)

    p = sub.add_parser(
        "graph", help="print a model's symbolic graph (debugprint with shapes) or draw it as SVG"
    )
    p.add_argument("--params", help="the model of a parameter file (else --model with small default sizes)")
    p.add_argument(
        "--model-name", "--model", dest="model_name", default="rnn-rnade", choices=["rnade", "rnn-rnade"]
    )
    p.add_argument("--target", default="cost", choices=["cost", "grad", "explicit", "compiled"])
    p.add_argument("--param", help="one parameter's gradient (default: all)")
    p.add_argument("--graph", choices=["scan", "fast", "fused"], default="fast")
    p.add_argument("--backend", choices=BACKENDS, help="print the graph as this backend compiles it")
    p.add_argument("--svg", help="write an SVG (needs pydot and graphviz) instead of printing text")
    for name in ("D", "H", "K", "R"):
        p.add_argument(f"--{name}", dest=f"cfg_{name}", type=int)
    p.set_defaults(func=cmd_graph)

    p = sub.add_parser("init", help="write a parameter file with the original code's initialisation")
    _add_config_args(p)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", type=float, default=0.01, help="std of the Gaussian weights")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("demo", help="the main job: evaluate both graphs and both gradients on generated data")
    _add_config_args(p)
    p.add_argument("--out", default="demo", help="directory for params.npz, data.npz, grad_*.npz")
    p.add_argument("--backend", choices=BACKENDS, default="c")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_demo)

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
    p.add_argument("--run", required=True)
    p.add_argument("--data", help=".npz in the generic format (default: the run dataset's --split)")
    p.add_argument("--split", default="test", choices=["train", "valid", "test"])
    p.add_argument("--checkpoint", default="best", choices=["best", "last"])
    p.add_argument("--backend", choices=BACKENDS)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("sample", help="draw sequences from a run (an .npz and a PNG beside it)")
    p.add_argument("--run", required=True)
    p.add_argument("-n", type=int, default=4, help="number of sequences (RNN-RNADE) or vectors (RNADE)")
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
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra and not getattr(args, "allow_extra", False):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as e:  # --help, or a usage error already printed on one line
        return int(e.code or 0)
    logging.basicConfig(
        level=logging.INFO if args.verbose or args.command == "train" else logging.WARNING,
        format="rnnrnade: %(message)s",
        stream=sys.stderr,
    )
    start = time.perf_counter()
    if args.command == "train":
        logging.getLogger("pytensor").setLevel(logging.WARNING)
    code = run_reporting_errors(
        "rnnrnade", args.func, *((args, extra) if getattr(args, "allow_extra", False) else (args,))
    )
    if code == 0:
        logging.getLogger(__name__).info("done in %.1f s", time.perf_counter() - start)
    return code


def run_reporting_errors(prog: str, fn, *args) -> int:
    """Run a command: ``fn(*args)``'s exit status (0 when it returns None); bad input (this package's
    errors, a missing or unreadable file) ends as one line on stderr and status 2, an interruption as status
    ``128 + signal`` (130 for Ctrl-C).
    ``rnnrnade`` and the experiment scripts share it."""
    try:
        code = fn(*args)
    except SystemExit as e:
        return int(e.code or 0)
    except RnnRnadeError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        where = f" {e.filename}" if e.filename else ""
        print(f"{prog}: error:{where} {e.strerror or e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 128 + getattr(e, "signum", 2)  # SIGINT: 2
    return int(code or 0)
