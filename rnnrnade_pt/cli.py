"""Command line: argument parsing and error reporting only; the work happens in the library.

``rnnrnade loglik``, ``grad`` (``--check``), ``init``, ``demo``, ``train``, ``eval``, ``sample``, ``plot`` and
``graph``; ``rnnrnade COMMAND --help`` for each. This module holds the parser, the entry point
(:func:`main`, the ``rnnrnade`` console script and ``python -m rnnrnade_pt``) and the commands on parameter
files (``loglik``, ``grad``, ``graph``, ``init``, ``demo``); the commands on run directories (``train``,
``eval``, ``sample``, ``plot``) are :mod:`rnnrnade_pt.run_commands`. ``--model`` takes every model of
:data:`~rnnrnade_pt.config.MODELS`; a command that cannot serve one says so in one line.

Bad input ends with one line on stderr and exit status 2; SIGINT (Ctrl-C) or SIGTERM during ``train``
finishes the step, saves ``last.npz`` and exits with status ``128 + signal`` (130, 143).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import time

import numpy as np

from .backend import BACKENDS
from .config import MODELS, ModelConfig
from .errors import ConfigError, RnnRnadeError
from .run_commands import add_run_commands, emit

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
    p.add_argument("--model", dest="cfg_model", choices=MODELS)
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


def cmd_loglik(args) -> None:
    from .data.arrays import load_data
    from .density_model import load_model

    model = load_model(args.params, backend=args.backend)
    X, mask = load_data(args.data, model.cfg)
    ll = model.loglik(X, mask, graph=args.graph)
    emit(
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
    from .density_model import load_model
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
    emit({"method": args.method, "graph": args.graph, "total": total, "out": args.out, "grad_norms": norms})


def _grad_check(args, model, X, mask) -> None:
    """Per-parameter gradient norms and central finite differences along random directions."""
    from .graphtools import finite_difference_check, gradient_norms, max_rel_error

    norms = gradient_norms(model, X, mask, method=args.method, graph=args.graph)
    check = finite_difference_check(
        model, X, mask, method=args.method, n_directions=args.directions, eps=args.eps, graph=args.graph
    )
    worst = max_rel_error(check)
    emit(
        {
            "method": args.method,
            "graph": args.graph,
            "grad_norms": norms,
            "finite_differences": check,
            "max_rel_error": worst,
            "tolerance": args.tol,
            "ok": worst <= args.tol,
        }
    )
    if worst > args.tol:
        print(f"rnnrnade: gradient check failed: relative error {worst:.3g} > {args.tol:g}", file=sys.stderr)
        raise SystemExit(1)


def cmd_graph(args) -> None:
    from .graphtools import graph_svg, graph_text

    if args.params:
        from .params import load_params

        model = load_params(args.params)[0]
    elif any(getattr(args, f"cfg_{n}") is not None for n in "DHKR"):
        from .graphtools.printing import GRAPH_SIZES

        given = {n: getattr(args, f"cfg_{n}") for n in "DHKR" if getattr(args, f"cfg_{n}") is not None}
        defaults = ModelConfig.from_options(args.model_name, **GRAPH_SIZES).to_dict()
        model = ModelConfig.from_dict({**defaults, **given})  # a size the model lacks, given: refused
    else:
        model = args.model_name
    if args.svg:
        import contextlib

        with contextlib.redirect_stdout(sys.stderr):  # pydotprint announces each inner graph's file
            path = graph_svg(
                model, args.target, args.svg, param=args.param, graph=args.graph, backend=args.backend
            )
        emit({"svg": str(path)})
    else:
        sys.stdout.write(
            graph_text(model, args.target, param=args.param, graph=args.graph, backend=args.backend)
        )
        sys.stdout.flush()


def cmd_init(args) -> None:
    from .models import init_params
    from .params import save_params

    cfg = _config_from_args(args)
    save_params(args.out, init_params(cfg, args.seed, args.scale), cfg)
    emit({"out": args.out, "config": cfg.to_dict()})


def cmd_demo(args) -> None:
    from .demo import run_demo

    cfg = _config_from_args(args)
    if not cfg.rnade_family:
        raise ConfigError(
            f"demo compares the RNADE family's explicit and symbolic gradients; model {cfg.model!r} has no "
            "explicit gradient (try: rnnrnade init, then rnnrnade loglik / grad)"
        )
    for record in run_demo(cfg, args.out, args.backend, seed=args.seed):
        emit(record)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rnnrnade", description="RNN-RNADE and its family as PyTensor graphs")
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
    p.add_argument("--model-name", "--model", dest="model_name", default="rnn-rnade", choices=MODELS)
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

    add_run_commands(sub)
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
