"""Speed of the compiled graphs, measured in one run and printed as ratios.

    python experiments/bench.py                  # default configuration, every backend, a table
    python experiments/bench.py --json           # one JSON object per line
    python experiments/bench.py --quick          # tiny sizes, C only, warm compile only (what CI runs)
    python experiments/bench.py --backends c,jax --dtypes float32

Default configuration: D=49, H=128, K=10, R=128, T=100, B=16. For each backend, dtype and graph (the
faithful nested scan and the fast graph) it measures frames per second of the log-likelihood and of a full
training step (gradient, Adam update, NaN guard); cold and warm compile time of the training function (a
fresh process with an empty, then a filled, PyTensor compile directory); the time to sample 1000 frames;
and the fraction of the machine's measured float32 matrix-multiply FLOP/s that the training step reaches.
Each record has ``backend``, ``graph``, ``dtype``, ``what`` (loglik, loglik_grad, train, sample,
compile_cold, compile_warm, matmul_peak, train_flop_fraction, *_speedup) and ``frames_per_s`` or ``seconds``
or ``ratio``.
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


def _model(sizes, dtype, backend):
    import rnnrnade_pt as rp

    cfg = rp.ModelConfig(model="rnn-rnade", dtype=dtype, **sizes)
    return rp.RnnRnade(cfg, rp.init_params(cfg, seed=0, scale=0.1), backend)


def _train_fn(model, graph, shape):
    import rnnrnade_pt as rp
    from rnnrnade_pt.compile import needs_static_shapes
    from rnnrnade_pt.config import TrainConfig
    from rnnrnade_pt.train import build_train_step

    static = shape if needs_static_shapes(model.backend) else None
    g = rp.build(model.cfg, model.shared, graph=graph, shape=static)
    return build_train_step(g, TrainConfig(optimizer="adam", lr=1e-4), backend=model.backend).fn


def _data(sizes, T, B, dtype):
    rng = np.random.default_rng(0)
    return rng.standard_normal((T, B, sizes["D"])).astype(dtype), np.ones((T, B), dtype=dtype)


def train_flops(sizes, n_frames) -> float:
    """Multiply-add FLOPs of one training step: the matrix products of the forward pass, times 3 for the
    backward pass (two products per forward product). Elementwise work is not counted."""
    D, H, K, R = sizes["D"], sizes["H"], sizes["K"], sizes["R"]
    forward = 2 * n_frames * (D * R + R * R + R * 3 * D * K + D * H + 3 * D * H * K)
    return 3.0 * forward


def matmul_peak(dtype="float32", n=2048, repeats=5) -> float:
    """The machine's matrix-multiply FLOP/s: the best of a few n x n products through NumPy's BLAS."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
    a @ a
    best = min(_timed(lambda: a @ a) for _ in range(repeats))
    return 2.0 * n**3 / best


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def time_calls(fn, min_seconds=1.0, max_calls=50) -> float:
    """Median seconds per call after one warm-up call."""
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < min_seconds and len(times) < max_calls):
        times.append(_timed(fn))
    return float(np.median(times))


def child(args) -> None:
    """Compile the training function in this fresh process; print the seconds, and the first call's."""
    sizes = json.loads(args.sizes)
    model = _model(sizes, args.dtype, args.backend)
    X, mask = _data(sizes, args.T, args.B, args.dtype)
    start = time.perf_counter()
    fn = _train_fn(model, args.graph, X.shape)
    compiled = time.perf_counter() - start
    first = _timed(lambda: fn(X, mask, np.asarray(1e-4, dtype=args.dtype)))
    print(json.dumps({"compile_s": compiled, "first_call_s": first}))


def compile_time(sizes, dtype, graph, backend, T, B, compiledir) -> dict:
    env = dict(os.environ)
    env["PYTENSOR_FLAGS"] = ",".join(
        filter(None, [env.get("PYTENSOR_FLAGS", ""), f"base_compiledir={compiledir}"])
    )
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        "--sizes",
        json.dumps(sizes),
        "--dtype",
        dtype,
    ]
    cmd += ["--graph", graph, "--backend", backend, "-T", str(T), "-B", str(B)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"compile-time child failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure_graph(model, graph, X, mask) -> list[dict]:
    """Frames per second of the log-likelihood, of the log-likelihood with its gradient, and of a training
    step (gradient, Adam update, NaN guard) on one graph."""
    n = mask.size
    per_call = time_calls(lambda: model.loglik(X, mask, graph=graph))
    out = [{"what": "loglik", "frames_per_s": n / per_call, "seconds": per_call}]
    per_call = time_calls(lambda: model.gradients(X, mask, method="symbolic", graph=graph))
    out.append({"what": "loglik_grad", "frames_per_s": n / per_call, "seconds": per_call})
    from rnnrnade_pt.errors import BackendError

    try:
        fn, lr = _train_fn(model, graph, X.shape), np.asarray(1e-4, dtype=X.dtype)
    except BackendError as e:
        print(f"bench: {model.backend} {graph} {X.dtype} train: {e}", file=sys.stderr)
        return out
    per_call = time_calls(lambda: [np.asarray(o) for o in fn(X, mask, lr)])  # blocks on JAX's async dispatch
    out.append({"what": "train", "frames_per_s": n / per_call, "seconds": per_call})
    return out


def measure_sampling(model, frames=1000) -> dict:
    """Seconds to sample one sequence of ``frames`` frames (compile excluded; best of three)."""
    import rnnrnade_pt as rp

    rp.sample(model, 1, steps=frames, seed=0)  # compile
    secs = min(_timed(lambda: rp.sample(model, 1, steps=frames, seed=1)) for _ in range(3))
    return {"what": "sample", "seconds": secs, "frames": frames}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="one JSON object per line")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, no cold compile, no sampling of 1000")
    ap.add_argument("--backends", default=None, help="comma-separated: c,numba,jax (default all; quick: c)")
    ap.add_argument("--graphs", default="fast,scan")
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument("--no-compile", action="store_true", help="skip cold and warm compile times")
    ap.add_argument("-T", type=int, default=None)
    ap.add_argument("-B", type=int, default=None)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--sizes", help=argparse.SUPPRESS)
    ap.add_argument("--dtype", help=argparse.SUPPRESS)
    ap.add_argument("--graph", help=argparse.SUPPRESS)
    ap.add_argument("--backend", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args)
        return 0
    sizes = QUICK if args.quick else SIZES
    T = args.T or (10 if args.quick else 100)
    B = args.B or (2 if args.quick else 16)
    backends = (args.backends or ("c" if args.quick else "c,numba,jax")).split(",")
    dtypes, graphs = args.dtypes.split(","), args.graphs.split(",")
    records = []

    def emit(rec):
        rec = {**rec, **sizes, "T": T, "B": B}
        records.append(rec)
        if args.json:
            print(json.dumps(rec), flush=True)
            return
        if "frames_per_s" in rec:
            value = f"{rec['frames_per_s']:12.0f} frames/s  ({rec['seconds'] * 1e3:9.2f} ms/call)"
        elif "ratio" in rec:
            value = f"{rec['ratio']:12.3g}"
        else:
            value = f"{rec['seconds']:12.3f} s"
        print(
            f"{rec['backend']:6s} {rec['graph']:9s} {rec['dtype']:8s} {rec['what']:20s} {value}", flush=True
        )

    peak = matmul_peak("float32", 512 if args.quick else 2048)
    emit({"backend": "numpy", "graph": "-", "dtype": "float32", "what": "matmul_peak", "ratio": peak / 1e9,
          "unit": "GFLOP/s"})  # fmt: skip
    flops = train_flops(sizes, T * B)
    with tempfile.TemporaryDirectory(prefix="rnnrnade-bench-") as cold_dir:
        for backend in backends:
            if backend == "numba":
                print("bench: numba JIT-compiles each function for a minute or more", file=sys.stderr)
            for dtype in dtypes:
                X, mask = _data(sizes, T, B, dtype)
                model = _model(sizes, dtype, backend)
                for graph in graphs:
                    base = dict(backend=backend, graph=graph, dtype=dtype)
                    if not (args.quick or args.no_compile) and dtype == "float64":
                        d = os.path.join(cold_dir, f"{backend}-{graph}")
                        for what in ("compile_cold", "compile_warm"):
                            res = compile_time(sizes, dtype, graph, backend, T, B, d)
                            emit(
                                {
                                    **base,
                                    "what": what,
                                    "seconds": res["compile_s"],
                                    "first_call_s": res["first_call_s"],
                                }
                            )
                    recs = measure_graph(model, graph, X, mask)
                    for rec in recs:
                        emit({**base, **rec})
                    if recs[-1]["what"] == "train":
                        emit(
                            {
                                **base,
                                "what": "train_flop_fraction",
                                "ratio": flops / recs[-1]["seconds"] / peak,
                            }
                        )
                if not args.quick:
                    emit({"backend": backend, "graph": "sampler", "dtype": dtype, **measure_sampling(model)})
    speed = {
        (r["backend"], r["graph"], r["dtype"], r["what"]): r["frames_per_s"]
        for r in records
        if "frames_per_s" in r
    }
    for backend in backends:
        for dtype in dtypes:
            for what in ("loglik", "loglik_grad", "train"):
                fast, scan = (
                    speed.get((backend, "fast", dtype, what)),
                    speed.get((backend, "scan", dtype, what)),
                )
                if fast and scan:
                    emit({"backend": backend, "graph": "fast/scan", "dtype": dtype, "what": f"{what}_speedup",
                          "ratio": fast / scan})  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
