"""Speed of the compiled graphs against a hand-written PyTorch model, measured in one run, printed as ratios.

    python experiments/bench.py                  # default sizes: C and JAX, fused/fast/scan, PyTorch
    python experiments/bench.py --json           # one JSON object per line
    python experiments/bench.py --quick          # tiny sizes, C only, warm compile only (what CI runs)
    python experiments/bench.py --backends c,jax --dtypes float32 --graphs fused
    python experiments/bench.py --profile        # where the time goes: per-op profile, user/system, roofline
    python experiments/bench.py --models rnn-nade,rnn-rbm --graphs fused   # the music models
    python experiments/bench.py --ais experiments/models/music/rnn-rbm_JSB_Chorales   # test-time AIS
    python experiments/bench.py --models rnn-rnade,rnn-nade --backends c --graphs fused --results
                                                 # RESULTS.md's speed block, from this run

Default configuration of RNN-RNADE: D=49, H=128, K=10, R=128, T=100, B=16 (1600 frames a call); of the music
models D=88, H=150, R=100, windows of 100 frames, batches of 16. For each model, backend, dtype and graph
(``fused``, the training default; ``fast``; the faithful nested ``scan``) it measures frames per second of
the log-likelihood, of the log-likelihood with its gradient, and of a full training step (gradient, Adam
update, NaN guard); cold and warm compile time of the training function (a fresh process with an empty,
then a filled, PyTensor compile directory); the time to sample 1000 frames; and, in the same run, a
PyTorch version of the same model (``experiments/torch_models.py``, the ``bench`` extra): a training step
eagerly and under ``torch.compile``, on as many threads as PyTensor's step uses. Ratios above 1 mean this
package is faster. Each record has ``model``, ``backend``, ``graph``, ``dtype``, ``what`` and
``frames_per_s`` or ``seconds`` or ``ratio``.

``--ais RELEASE`` times instead a trained RNN-RBM's test-time estimates (``music_runs.test_bracket``: AIS
and RAISE, 10 chains, on every frame of its test set, one thread): milliseconds per frame for 1000
temperatures in each direction and dtype, the float32/float64 ratio, the fraction of the machine's
one-thread matrix-product peak that the step's dense-equivalent products would take, and the time the
estimates of all four music test sets (both directions) would take on 2 cores at that per-frame cost.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

SIZES = {
    "rnn-rnade": dict(D=49, H=128, K=10, R=128),
    "rnn-nade": dict(D=88, H=150, R=100),
    "rnn-rbm": dict(D=88, H=150, R=100),
}
QUICK = {
    "rnn-rnade": dict(D=4, H=8, K=3, R=6),
    "rnn-nade": dict(D=6, H=8, R=5),
    "rnn-rbm": dict(D=6, H=8, R=5),
}
TORCH_MODELS = {"rnn-rnade": "TorchRnnRnade", "rnn-nade": "TorchRnnNade"}
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")


def _cfg(model, sizes, dtype):
    import rnnrnade_pt as rp

    return rp.ModelConfig(model=model, dtype=dtype, **sizes)


def _model(model, sizes, dtype, backend):
    from rnnrnade_pt.density_model import model_class
    from rnnrnade_pt.models import init_params

    cfg = _cfg(model, sizes, dtype)
    return model_class(cfg)(cfg, init_params(cfg, seed=0, scale=0.1), backend)


def _train_fn(model, graph, shape):
    from rnnrnade_pt.backend import needs_static_shapes
    from rnnrnade_pt.config import TrainConfig
    from rnnrnade_pt.models import build
    from rnnrnade_pt.step import build_train_step

    static = shape if needs_static_shapes(model.backend) else None
    g = build(model.cfg, model.shared, graph=graph, shape=static)
    return build_train_step(g, TrainConfig(optimizer="adam", lr=1e-4), backend=model.backend).fn


def _data(model, sizes, T, B, dtype):
    rng = np.random.default_rng(0)
    if model == "rnn-rnade":
        X = rng.standard_normal((T, B, sizes["D"]))
    else:  # piano rolls: about 4 notes of 88 a frame
        X = rng.random((T, B, sizes["D"])) < 4.0 / sizes["D"]
    return X.astype(dtype), np.ones((T, B), dtype=dtype)


def train_flops(model, sizes, n_frames) -> float:
    """Multiply-add FLOPs of one training step: the matrix products of the forward pass, times 3 for the
    backward pass (two products per forward product). Elementwise work is not counted."""
    D, H, R = sizes["D"], sizes["H"], sizes["R"]
    if model == "rnn-rnade":
        K = sizes["K"]
        forward = D * R + R * R + R * 3 * D * K + D * H + 3 * D * H * K
    else:  # RNN (Wvu, Wuu), biases (Wuv, Wuh), NADE accumulators and output layer (or the RBM's W)
        forward = D * R + R * R + R * D + R * H + 2 * D * H
    return 3.0 * 2 * n_frames * forward


def matmul_peak(dtype="float32", n=2048, repeats=5) -> float:
    """The machine's matrix-multiply FLOP/s: the best of a few n x n products through NumPy's BLAS."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
    a @ a
    best = min(_timed(lambda: a @ a) for _ in range(repeats))
    return 2.0 * n**3 / best


def memory_bandwidth(n_bytes=256 * 2**20, repeats=5) -> float:
    """Bytes per second of a large array copy (read + write), NumPy."""
    a = np.ones(n_bytes // 8)
    b = np.empty_like(a)
    np.copyto(b, a)
    best = min(_timed(lambda: np.copyto(b, a)) for _ in range(repeats))
    return 2.0 * a.nbytes / best


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


MIN_SECONDS = 1.0  # of calls timed per measurement (quick: a few calls)


def time_calls(fn, min_seconds=None, max_calls=50) -> float:
    """Median seconds per call after one warm-up call, over at least 3 calls and ``min_seconds``
    (default :data:`MIN_SECONDS`)."""
    min_seconds = MIN_SECONDS if min_seconds is None else min_seconds
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < min_seconds and len(times) < max_calls):
        times.append(_timed(fn))
    return float(np.median(times))


def child(args) -> None:
    """Compile the training function in this fresh process; print the seconds, and the first call's."""
    sizes = json.loads(args.sizes)
    model = _model(args.model, sizes, args.dtype, args.backend)
    X, mask = _data(args.model, sizes, args.T, args.B, args.dtype)
    start = time.perf_counter()
    fn = _train_fn(model, args.graph, X.shape)
    compiled = time.perf_counter() - start
    first = _timed(lambda: fn(X, mask, np.asarray(1e-4, dtype=args.dtype)))
    print(json.dumps({"compile_s": compiled, "first_call_s": first}))


def compile_time(model, sizes, dtype, graph, backend, T, B, compiledir) -> dict:
    env = dict(os.environ)
    env["PYTENSOR_FLAGS"] = ",".join(
        filter(None, [env.get("PYTENSOR_FLAGS", ""), f"base_compiledir={compiledir}"])
    )
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--sizes", json.dumps(sizes)]
    cmd += ["--model", model, "--dtype", dtype, "--graph", graph, "--backend", backend]
    cmd += ["-T", str(T), "-B", str(B)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"compile-time child failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure_graph(model, graph, X, mask, what=("loglik", "loglik_grad", "train")) -> list[dict]:
    """Frames per second of the log-likelihood, of the log-likelihood with its gradient, and of a training
    step (gradient, Adam update, NaN guard) on one graph."""
    from rnnrnade_pt.errors import BackendError

    n, out = mask.size, []
    if "loglik" in what and model.cfg.model != "rnn-rbm":  # the RNN-RBM's is AIS: minutes, not a step
        per_call = time_calls(lambda: model.loglik(X, mask, graph=graph))
        out.append({"what": "loglik", "frames_per_s": n / per_call, "seconds": per_call})
    if "loglik_grad" in what and model.cfg.model != "rnn-rbm":
        per_call = time_calls(lambda: model.gradients(X, mask, method="symbolic", graph=graph))
        out.append({"what": "loglik_grad", "frames_per_s": n / per_call, "seconds": per_call})
    if "train" in what:
        try:
            fn, lr = _train_fn(model, graph, X.shape), np.asarray(1e-4, dtype=X.dtype)
        except BackendError as e:
            print(f"bench: {model.backend} {graph} {X.dtype} train: {e}", file=sys.stderr)
            return out
        from rnnrnade_pt.backend import training_threads

        with training_threads():  # as the trainer runs it
            per_call = time_calls(lambda: [np.asarray(o) for o in fn(X, mask, lr)])  # JAX: blocks
        out.append({"what": "train", "frames_per_s": n / per_call, "seconds": per_call})
    return out


def measure_torch(model, sizes, dtype, T, B, compile: bool) -> dict | None:
    """Frames per second of the PyTorch version's training step, in a fresh process (so that neither
    library's thread pools wait beside the other's); None when PyTorch is missing or does not compile."""
    if importlib.util.find_spec("torch") is None:
        return None
    cmd = [sys.executable, os.path.abspath(__file__), "--torch-child", "--sizes", json.dumps(sizes)]
    cmd += ["--model", model, "--dtype", dtype, "-T", str(T), "-B", str(B)] + (
        ["--compile"] if compile else []
    )
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        print(
            f"bench: torch {model} {dtype}: {(proc.stderr.strip().splitlines() or ['?'])[-1]}",
            file=sys.stderr,
        )
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def torch_child(args) -> None:
    """The PyTorch training step of ``args.model``, timed in this process (see :func:`measure_torch`)."""
    import torch

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import torch_models

    from rnnrnade_pt.models import init_params

    sizes = json.loads(args.sizes)
    X, mask = _data(args.model, sizes, args.T, args.B, args.dtype)
    cfg = _cfg(args.model, sizes, args.dtype)
    net_class = getattr(torch_models, TORCH_MODELS[args.model])
    net = net_class(init_params(cfg, seed=0, scale=0.1), getattr(torch, args.dtype))
    step = torch_models.torch_train_step(net, compile=args.compile)
    Xt, mt = torch.as_tensor(X), torch.as_tensor(mask)
    first = _timed(lambda: step(Xt, mt))
    per_call = time_calls(lambda: step(Xt, mt))
    rec = {"frames_per_s": mask.size / per_call, "seconds": per_call, "first_call_s": first}
    print(json.dumps({**rec, "threads": torch.get_num_threads()}))


def measure_sampling(model, frames=1000) -> dict:
    """Seconds to sample one sequence of ``frames`` frames (compile excluded; best of three)."""

    model.sample(1, steps=frames, seed=0)  # compile
    secs = min(_timed(lambda: model.sample(1, steps=frames, seed=1)) for _ in range(3))
    return {"what": "sample", "seconds": secs, "frames": frames}


def profile_step(model, graph, X, mask, calls=10, top=12) -> dict:
    """Per-op profile of the C training step (PyTensor's profiler), with user and system CPU time, and the
    bytes of every intermediate array the step writes (each written once and read at least once: the
    memory traffic a roofline charges the step with)."""
    import pytensor

    with pytensor.config.change_flags(profile=True):
        fn = _train_fn(model, graph, X.shape)
    lr = np.asarray(1e-4, dtype=X.dtype)
    from rnnrnade_pt.backend import training_threads

    with training_threads():  # as the trainer runs it
        fn(X, mask, lr)
        t0 = os.times()
        for _ in range(calls):
            fn(X, mask, lr)
        t1 = os.times()
    prof = fn.profile
    op_time: dict[str, float] = {}
    for key, seconds in prof.apply_time.items():
        node = key[1] if isinstance(key, tuple) else key  # (fgraph, node) in PyTensor 3
        name = str(node.op)
        name = name if len(name) < 60 else type(node.op).__name__
        op_time[name] = op_time.get(name, 0.0) + seconds
    total = sum(op_time.values())
    ops = sorted(op_time.items(), key=lambda kv: -kv[1])[:top]
    wall = t1.elapsed - t0.elapsed
    inputs = set(fn.maker.fgraph.inputs)
    storage = getattr(fn.vm, "storage_map", {})
    moved = sum(
        2 * c[0].nbytes for v, c in storage.items() if v not in inputs and isinstance(c[0], np.ndarray)
    )
    return {
        "step_s": wall / calls,
        "bytes_moved": moved,
        "user_s": (t1.user - t0.user) / calls,
        "system_s": (t1.system - t0.system) / calls,
        "ops": [(name, seconds / total) for name, seconds in ops],
    }


def measure_ais(release, betas=100, dtypes=("float64", "float32")) -> list[dict]:
    """Seconds per test frame of a released RNN-RBM's test-time estimates, one thread (see the module)."""
    from threadpoolctl import threadpool_limits

    from rnnrnade_pt.config import DataConfig
    from rnnrnade_pt.data.batching import eval_batches
    from rnnrnade_pt.data.datasets import load_dataset
    from rnnrnade_pt.music_runs import DATASETS, TEST_AIS_CHAINS, TEST_AIS_MAX_FRAMES
    from rnnrnade_pt.release import load_release
    from rnnrnade_pt.runs import with_ais

    run = load_release(release)
    seqs = load_dataset(run.cfg.data)["test"]
    batches = list(eval_batches(seqs, len(seqs), TEST_AIS_MAX_FRAMES))
    frames = sum(int(m.sum()) for _, m in batches)
    m = run.cfg.model
    out = []
    with threadpool_limits(limits=1):
        peaks = {dtype: matmul_peak(dtype) for dtype in dtypes}
        for dtype in dtypes:
            for direction in ("forward", "reverse"):
                ais = dict(ais_chains=TEST_AIS_CHAINS, ais_betas=betas, ais_direction=direction, dtype=dtype)
                model = with_ais(run, **ais).model
                model.loglik(*batches[0])  # compile
                secs = sum(_timed(lambda b=b, f=model.loglik: f(*b)) for b in batches)
                per_frame = secs / frames * 1000 / betas  # seconds a frame for 1000 temperatures
                products = 2 + (direction == "reverse")  # v W shared by the weight and the sweep forward
                flops = products * 2 * m.D * m.H * TEST_AIS_CHAINS * 1000
                base = {"model": "rnn-rbm", "backend": "c", "graph": direction, "dtype": dtype}
                out.append({**base, "what": "ais_s_per_frame", "seconds": per_frame, "frames": frames})
                out.append({**base, "what": "ais_matmul_fraction", "ratio": flops / peaks[dtype] / per_frame})
    counts = {}
    for name in DATASETS:
        counts[name] = sum(len(x) for x in load_dataset(DataConfig(dataset="music", name=name))["test"])
    for dtype in dtypes:
        per = {
            r["graph"]: r["seconds"] for r in out if r["dtype"] == dtype and r["what"] == "ais_s_per_frame"
        }
        total = sum(counts.values()) * (per["forward"] + per["reverse"]) / 2  # 2 processes, one a core
        rec = {
            "model": "rnn-rbm",
            "backend": "c",
            "graph": "both",
            "dtype": dtype,
            "what": "ais_four_sets_2_cores",
        }
        out.append({**rec, "seconds": total, "frames": sum(counts.values())})
    f64 = {
        r["graph"]: r["seconds"] for r in out if r["dtype"] == "float64" and r["what"] == "ais_s_per_frame"
    }
    f32 = {
        r["graph"]: r["seconds"] for r in out if r["dtype"] == "float32" and r["what"] == "ais_s_per_frame"
    }
    for direction in f32.keys() & f64.keys():
        base = {"model": "rnn-rbm", "backend": "c", "graph": direction, "dtype": "float32"}
        out.append({**base, "what": "ais_speedup_over_float64", "ratio": f64[direction] / f32[direction]})
    return out


def results_block(records: list[dict], prov: dict, seconds: float) -> str:
    """RESULTS.md's bench block from one run's records: per model and dtype the training step of the
    package's fastest graph beside PyTorch's, the ratios, and the cold compile where measured; the command,
    commit, machine and wall time of the run."""
    get = {(r["model"], r["backend"], r["graph"], r["dtype"], r["what"]): r for r in records}
    peak = get.get(("-", "numpy", "-", "float32", "matmul_peak"), {}).get("ratio")
    rows = [
        "| model | dtype | graph | training step (frames/s) | PyTorch eager | PyTorch compiled | vs eager "
        "| vs compiled | above roofline | cold compile |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        if r["what"] != "train" or r["backend"] == "torch":
            continue
        key = (r["model"], r["backend"], r["graph"], r["dtype"])
        torch_fps = {
            m: get.get((r["model"], "torch", m, r["dtype"], "train"), {}) for m in ("eager", "compile")
        }
        frac = get.get((*key, "train_flop_fraction"), {}).get("ratio")
        cold = get.get((*key, "compile_cold"), {}).get("seconds")
        cells = [
            r["model"],
            r["dtype"],
            f"{r['backend']} {r['graph']}",
            f"{r['frames_per_s']:,.0f}",
            *(f"{t['frames_per_s']:,.0f}" if t else "—" for t in torch_fps.values()),
            *(f"{r['frames_per_s'] / t['frames_per_s']:.2f}x" if t else "—" for t in torch_fps.values()),
            f"{1 / frac:.1f}x" if frac else "—",
            f"{cold:.1f} s" if cold is not None else "—",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    dirty = " (uncommitted changes)" if prov.get("dirty") else ""
    commit = (prov.get("commit") or "?")[:10]
    peak_text = f"; float32 matrix-product peak {peak:.0f} GFLOP/s" if peak else ""
    return (
        "\n".join(rows)
        + "\n\n"
        + f"Measured {prov['date'][:10]} by `{prov['command']}` at commit {commit}{dirty} "
        f"on {prov['machine']}{peak_text}, {seconds / 60:.0f} min in all. Frames per second of a whole "
        "training step (gradient, Adam update, NaN guard; BLAS on one thread as the trainer runs it) against "
        "`experiments/torch_models.py` (autograd, `torch.optim.Adam`, PyTorch's 2 threads) in the same run; "
        "ratios above 1: this package is faster. Above roofline: the step's time over that of its matrix "
        "products at the measured peak. Cold compile: the training function in a fresh process with an "
        'empty compile directory. Profiles and the history of these numbers: NOTES.md, "bench.py".\n'
    )


def markdown_table(path) -> str:
    """The records of a ``--json`` run (JSON lines) as the Markdown table of experiments/NOTES.md."""
    rows = ["| model | backend | graph | dtype | what | result |", "|---|---|---|---|---|---|"]
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if "frames_per_s" in r:
                value = f"{r['frames_per_s']:,.0f} frames/s ({r['seconds'] * 1e3:.1f} ms/call)"
            elif r["what"] == "profile":
                ms = {k: r[k] * 1e3 for k in ("seconds", "user_s", "system_s", "roofline_s")}
                value = (
                    f"{ms['seconds']:.1f} ms/step, user {ms['user_s']:.1f} ms, system "
                    f"{ms['system_s']:.1f} ms, roofline {ms['roofline_s']:.1f} ms"
                )
            elif "ratio" in r:
                value = f"{r['ratio']:.3g}" + (f" {r['unit']}" if "unit" in r else "")
            else:
                first = f" (+ first call {r['first_call_s']:.2f} s)" if "first_call_s" in r else ""
                value = f"{r['seconds']:.2f} s{first}"
            rows.append(
                f"| {r['model']} | {r['backend']} | {r['graph']} | {r['dtype']} | {r['what']} | {value} |"
            )
    return "\n".join(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="one JSON object per line")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, no cold compile, no sampling of 1000")
    ap.add_argument("--models", default="rnn-rnade", help="comma-separated: rnn-rnade,rnn-nade,rnn-rbm")
    ap.add_argument("--backends", default=None, help="comma-separated: c,numba,jax (default c,jax; quick: c)")
    ap.add_argument("--graphs", default="fused,fast,scan")
    ap.add_argument("--dtypes", default="float32,float64")
    ap.add_argument("--no-compile", action="store_true", help="skip cold and warm compile times")
    ap.add_argument("--no-torch", action="store_true", help="skip the PyTorch yardstick")
    ap.add_argument("--no-torch-compile", action="store_true", help="PyTorch eagerly only")
    ap.add_argument("--profile", action="store_true", help="per-op profile, user/system time and roofline")
    ap.add_argument(
        "--table", metavar="JSONL", help="print the Markdown table of a --json run's output, and exit"
    )
    ap.add_argument(
        "--ais", metavar="RELEASE", help="time a released RNN-RBM's test-time AIS and RAISE instead"
    )
    ap.add_argument("--ais-betas", type=int, default=100, help="temperatures timed (scaled to 1000)")
    ap.add_argument(
        "--results",
        nargs="?",
        const=RESULTS,
        metavar="FILE",
        help="write this run's speed summary as the bench block of FILE (default experiments/RESULTS.md)",
    )
    ap.add_argument("-T", type=int, default=None)
    ap.add_argument("-B", type=int, default=None)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--sizes", help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--dtype", help=argparse.SUPPRESS)
    ap.add_argument("--graph", help=argparse.SUPPRESS)
    ap.add_argument("--backend", help=argparse.SUPPRESS)
    ap.add_argument("--torch-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--compile", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args)
        return 0
    if args.torch_child:
        torch_child(args)
        return 0
    if args.table:
        print(markdown_table(args.table))
        return 0
    started = time.perf_counter()
    global MIN_SECONDS
    MIN_SECONDS = 0.0 if args.quick else MIN_SECONDS
    T = args.T or (10 if args.quick else 100)
    B = args.B or (2 if args.quick else 16)
    models = args.models.split(",")
    backends = (args.backends or ("c" if args.quick else "c,jax")).split(",")
    dtypes, graphs = args.dtypes.split(","), args.graphs.split(",")
    records = []

    def emit(rec):
        rec = {**rec, "T": T, "B": B}
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
            f"{rec['model']:9s} {rec['backend']:7s} {rec['graph']:9s} {rec['dtype']:8s} {rec['what']:22s} "
            f"{value}",
            flush=True,
        )

    if args.ais:
        for rec in measure_ais(args.ais, args.ais_betas, dtypes):
            emit(rec)
        return 0
    peak = matmul_peak("float32", 512 if args.quick else 2048)
    bandwidth = memory_bandwidth(32 * 2**20 if args.quick else 256 * 2**20)
    base0 = {"model": "-", "backend": "numpy", "graph": "-", "dtype": "float32"}
    emit({**base0, "what": "matmul_peak", "ratio": peak / 1e9, "unit": "GFLOP/s"})
    emit({**base0, "dtype": "float64", "what": "memory_bandwidth", "ratio": bandwidth / 1e9, "unit": "GB/s"})
    with tempfile.TemporaryDirectory(prefix="rnnrnade-bench-") as cold_dir:
        for name in models:
            sizes = (QUICK if args.quick else SIZES)[name]
            flops = train_flops(name, sizes, T * B)
            for backend in backends:
                for dtype in dtypes:
                    X, mask = _data(name, sizes, T, B, dtype)
                    model = _model(name, sizes, dtype, backend)
                    for graph in graphs:
                        if graph == "scan" and name != "rnn-rnade" and not args.quick:
                            continue  # the faithful nested scans of the music models: minutes a step
                        base = dict(model=name, backend=backend, graph=graph, dtype=dtype, **sizes)
                        if not (args.quick or args.no_compile) and dtype == "float64" and graph != "scan":
                            d = os.path.join(cold_dir, f"{name}-{backend}-{graph}")
                            for what in ("compile_cold", "compile_warm"):
                                res = compile_time(name, sizes, dtype, graph, backend, T, B, d)
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
                        if recs and recs[-1]["what"] == "train":
                            frac = flops / recs[-1]["seconds"] / peak
                            emit({**base, "what": "train_flop_fraction", "ratio": frac})
                        if args.profile and backend == "c" and graph == "fused":
                            prof = profile_step(model, graph, X, mask)
                            bound = max(flops / peak, prof["bytes_moved"] / bandwidth)
                            emit(
                                {
                                    **base,
                                    "what": "profile",
                                    "seconds": prof["step_s"],
                                    **prof,
                                    "train_flops": flops,
                                    "roofline_s": bound,
                                }
                            )
                            if not args.json:
                                user, system = prof["user_s"] * 1e3, prof["system_s"] * 1e3
                                print(
                                    f"    user {user:.1f} ms, system {system:.1f} ms a step; "
                                    f"{flops / 1e9:.2f} GFLOP of products, "
                                    f"{prof['bytes_moved'] / 1e6:.0f} MB moved; roofline {bound * 1e3:.1f} ms"
                                )
                                for op, frac in prof["ops"]:
                                    print(f"    {frac:6.1%}  {op}")
                    if not args.quick and name != "rnn-rbm":
                        emit(
                            {
                                "model": name,
                                "backend": backend,
                                "graph": "sampler",
                                "dtype": dtype,
                                **measure_sampling(model),
                            }
                        )
            if name in TORCH_MODELS and not args.no_torch:
                for dtype in dtypes:
                    for comp in (False, True) if not (args.quick or args.no_torch_compile) else (False,):
                        res = measure_torch(name, sizes, dtype, T, B, comp)
                        if res is not None:
                            graph = "compile" if comp else "eager"
                            emit(
                                {
                                    "model": name,
                                    "backend": "torch",
                                    "graph": graph,
                                    "dtype": dtype,
                                    "what": "train",
                                    **res,
                                }
                            )
    speed = {
        (r["model"], r["backend"], r["graph"], r["dtype"], r["what"]): r["frames_per_s"]
        for r in records
        if "frames_per_s" in r
    }
    for name in models:
        for backend in backends:
            for dtype in dtypes:
                for graph in ("fused", "fast"):
                    for what in ("loglik", "loglik_grad", "train"):
                        fast, scan = (
                            speed.get((name, backend, graph, dtype, what)),
                            speed.get((name, backend, "scan", dtype, what)),
                        )
                        if fast and scan:
                            emit(
                                {
                                    "model": name,
                                    "backend": backend,
                                    "graph": f"{graph}/scan",
                                    "dtype": dtype,
                                    "what": f"{what}_speedup",
                                    "ratio": fast / scan,
                                }
                            )
                    ours = speed.get((name, backend, graph, dtype, "train"))
                    for mode in ("eager", "compile"):
                        theirs = speed.get((name, "torch", mode, dtype, "train"))
                        if ours and theirs:
                            emit(
                                {
                                    "model": name,
                                    "backend": backend,
                                    "graph": graph,
                                    "dtype": dtype,
                                    "what": f"train_vs_torch_{mode}",
                                    "ratio": ours / theirs,
                                }
                            )
    if args.results:
        from rnnrnade_pt import provenance
        from rnnrnade_pt.tables import replace_block

        replace_block(
            args.results, "bench", results_block(records, provenance.current(), time.perf_counter() - started)
        )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from rnnrnade_pt.cli import run_reporting_errors

    sys.exit(run_reporting_errors("bench.py", main))
