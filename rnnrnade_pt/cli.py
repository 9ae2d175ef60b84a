"""Command line: argument parsing and error reporting only; the work happens in the library.

``rnnrnade loglik``, ``grad``, ``init`` and ``demo``; ``rnnrnade COMMAND --help`` for each. Bad input ends
with one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import time

import numpy as np

from .compile import BACKENDS
from .config import ModelConfig
from .errors import ConfigError, RnnRnadeError

__all__ = ["main"]


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
    total, grads = model.gradients(X, mask, method=args.method, graph=args.graph)
    atomic_write_npz(args.out, grads)
    norms = {n: float(np.linalg.norm(g)) for n, g in grads.items()}
    _emit({"method": args.method, "graph": args.graph, "total": total, "out": args.out, "grad_norms": norms})


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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rnnrnade", description="RNADE and RNN-RNADE as PyTensor graphs")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress on stderr")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("loglik", help="log-likelihood of data under a parameter file (JSON on stdout)")
    p.add_argument("--params", required=True, help="parameter .npz (with its config)")
    p.add_argument("--data", required=True, help="data .npz: X (N x D), or X (T x B x D) and mask (T x B)")
    p.add_argument("--backend", choices=BACKENDS, default="c")
    p.add_argument("--graph", choices=["scan", "fast"], default="fast")
    p.set_defaults(func=cmd_loglik)

    p = sub.add_parser("grad", help="gradient of the total log-likelihood, written to an .npz")
    p.add_argument("--params", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--method", choices=["symbolic", "explicit"], default="symbolic")
    p.add_argument("--graph", choices=["scan", "fast"], default="fast")
    p.add_argument("--backend", choices=BACKENDS, default="c")
    p.add_argument("--out", required=True, help="output .npz, one array per parameter name")
    p.set_defaults(func=cmd_grad)

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
    return parser


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # --help, or a usage error already printed on one line
        return int(e.code or 0)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="rnnrnade: %(message)s",
        stream=sys.stderr,
    )
    start = time.perf_counter()
    try:
        args.func(args)
    except RnnRnadeError as e:
        print(f"rnnrnade: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        where = f" {e.filename}" if e.filename else ""
        print(f"rnnrnade: error:{where} {e.strerror or e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rnnrnade: interrupted", file=sys.stderr)
        return 130
    logging.getLogger(__name__).info("done in %.1f s", time.perf_counter() - start)
    return 0
