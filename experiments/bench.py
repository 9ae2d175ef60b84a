"""Speed of the compiled graphs: frames per second of the log-likelihood and of log-likelihood plus
gradient, for the faithful nested scan and the fast graph, and the cold and warm compile time.

    python experiments/bench.py            # default configuration, a table on stdout
    python experiments/bench.py --json     # one JSON object per line
    python experiments/bench.py --quick    # tiny sizes, warm compile only (what CI runs)

Default configuration: D=49, H=128, K=10, R=128, T=100, B=16. Cold compile runs in a fresh process with an
empty PyTensor compile directory; warm compile in a fresh process that reuses it. Each record has
``backend``, ``graph``, ``dtype``, ``what`` and ``frames_per_s`` or ``seconds``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

SIZES = dict(D=49, H=128, K=10, R=128)
QUICK = dict(D=4, H=8, K=3, R=6)


def _build(sizes, dtype, graph, what, backend):
    import rnnrnade_pt as rp
    from rnnrnade_pt.compile import compile_function

    cfg = rp.ModelConfig(model="rnn-rnade", dtype=dtype, **sizes)
    g = rp.build(cfg, rp.shared_params(cfg, rp.init_params(cfg, seed=0, scale=0.1)), graph=graph)
    outputs = [g.frame_loglik]
    if what == "grad":
        grads = rp.symbolic_gradients(g)
        outputs = [g.total] + list(grads.values())
    start = time.perf_counter()
    fn = compile_function([g.X, g.mask], outputs, backend=backend, name=f"bench_{what}_{graph}")
    return fn, time.perf_counter() - start


def _data(sizes, T, B, dtype):
    rng = np.random.default_rng(0)
    return rng.standard_normal((T, B, sizes["D"])).astype(dtype), np.ones((T, B), dtype=dtype)


def child(args) -> None:
    """Compile one function in this (fresh) process and print the seconds it took, with the first call."""
    sizes = json.loads(args.sizes)
    fn, seconds = _build(sizes, args.dtype, args.graph, args.what, args.backend)
    X, mask = _data(sizes, 2, 2, args.dtype)
    start = time.perf_counter()
    fn(X, mask)
    print(json.dumps({"compile_s": seconds, "first_call_s": time.perf_counter() - start}))


def compile_time(sizes, dtype, graph, what, backend, compiledir) -> dict:
    env = dict(os.environ)
    env["PYTENSOR_FLAGS"] = ",".join(
        filter(None, [env.get("PYTENSOR_FLAGS", ""), f"base_compiledir={compiledir}"])
    )
    cmd = [
        sys.executable,
        __file__,
        "--child",
        "--sizes",
        json.dumps(sizes),
        "--dtype",
        dtype,
        "--graph",
        graph,
    ]
    cmd += ["--what", what, "--backend", backend]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def time_calls(fn, inputs, min_seconds=1.0, max_calls=50) -> float:
    """Median seconds per call after one warm-up call."""
    fn(*inputs)
    times = []
    start = time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < min_seconds and len(times) < max_calls):
        t0 = time.perf_counter()
        fn(*inputs)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="one JSON object per line")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, no cold compile")
    ap.add_argument("--backends", default="c")
    ap.add_argument("--graphs", default="fast,scan")
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument("-T", type=int, default=None)
    ap.add_argument("-B", type=int, default=None)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--sizes", help=argparse.SUPPRESS)
    ap.add_argument("--dtype", help=argparse.SUPPRESS)
    ap.add_argument("--graph", help=argparse.SUPPRESS)
    ap.add_argument("--what", help=argparse.SUPPRESS)
    ap.add_argument("--backend", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args)
        return 0
    sizes = QUICK if args.quick else SIZES
    T = args.T or (10 if args.quick else 100)
    B = args.B or (2 if args.quick else 16)
    records = []

    def emit(rec):
        rec = {**rec, **{k: v for k, v in sizes.items()}, "T": T, "B": B}
        records.append(rec)
        if args.json:
            print(json.dumps(rec), flush=True)
        else:
            value = (
                f"{rec['frames_per_s']:12.0f} frames/s"
                if "frames_per_s" in rec
                else f"{rec['seconds']:10.3f} s"
            )
            extra = f"  ({rec['per_call_s'] * 1e3:.2f} ms/call)" if "per_call_s" in rec else ""
            print(
                f"{rec['backend']:6s} {rec['graph']:5s} {rec['dtype']:8s} {rec['what']:13s} {value}{extra}",
                flush=True,
            )

    with tempfile.TemporaryDirectory(prefix="rnnrnade-bench-") as cold_dir:
        for backend in args.backends.split(","):
            for dtype in args.dtypes.split(","):
                for graph in args.graphs.split(","):
                    base = dict(backend=backend, graph=graph, dtype=dtype)
                    if not args.quick and dtype == "float64":
                        cold = compile_time(
                            sizes, dtype, graph, "grad", backend, os.path.join(cold_dir, graph)
                        )
                        emit({**base, "what": "compile_cold", "seconds": cold["compile_s"]})
                        warm = compile_time(
                            sizes, dtype, graph, "grad", backend, os.path.join(cold_dir, graph)
                        )
                        emit({**base, "what": "compile_warm", "seconds": warm["compile_s"]})
                    X, mask = _data(sizes, T, B, dtype)
                    for what in ("loglik", "grad"):
                        fn, _ = _build(sizes, dtype, graph, what, backend)
                        per_call = time_calls(fn, [X, mask])
                        emit({**base, "what": what, "frames_per_s": T * B / per_call, "per_call_s": per_call})
    speed = {(r["graph"], r["dtype"], r["what"]): r["frames_per_s"] for r in records if "frames_per_s" in r}
    for dtype in args.dtypes.split(","):
        for what in ("loglik", "grad"):
            if ("fast", dtype, what) in speed and ("scan", dtype, what) in speed:
                ratio = speed[("fast", dtype, what)] / speed[("scan", dtype, what)]
                rec = {
                    "backend": args.backends,
                    "graph": "fast/scan",
                    "dtype": dtype,
                    "what": f"{what}_speedup",
                    "ratio": ratio,
                }
                if args.json:
                    print(json.dumps(rec), flush=True)
                else:
                    print(f"fast graph / faithful scan, {dtype} {what}: {ratio:.1f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
