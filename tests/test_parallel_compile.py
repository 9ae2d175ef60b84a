"""The C backend's parallel cold compile (:mod:`rnnrnade_pt.parallel_compile`) builds exactly the modules
PyTensor's own compile would, in the cache's own layout, and leaves a failing module to PyTensor's error.

Each case runs in a fresh process with a compile directory of its own: PyTensor keeps one module cache per
process, tied to the first compile directory it sees.
"""

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json, logging, os, sys
    import numpy as np
    import pytensor, pytensor.tensor as pt
    from pytensor.compile.mode import Mode
    from rnnrnade_pt.parallel_compile import ParallelCVMLinker, precompile
    import rnnrnade_pt.parallel_compile as pc

    built = []
    original = pc.precompile
    pc.precompile = lambda nodes, workers=None: built.append(original(nodes, workers)) or built[-1]

    x, W = pt.matrix("x"), pt.matrix("W")
    h0 = pt.vector("h0")

    def step(x_t, h_tm1, W):
        return pt.tanh(x_t @ W + h_tm1)

    h = pytensor.scan(step, sequences=[x], outputs_info=[h0], non_sequences=[W], return_updates=False)
    cost = (pt.sigmoid(h) ** 2).sum() + pt.log1p(pt.exp(x)).mean()
    outputs = [cost, h]
    f = pytensor.function(
        [x, W, h0], outputs, mode=Mode(linker=ParallelCVMLinker(use_cloop=True), optimizer="fast_run")
    )
    rng = np.random.default_rng(0)
    values = f(rng.standard_normal((5, 3)), rng.standard_normal((3, 3)), np.zeros(3))
    compiledir = pytensor.config.compiledir
    modules = sorted(
        name for d in os.listdir(compiledir) if d.startswith("tmp")
        for name in os.listdir(os.path.join(compiledir, d)) if name.endswith(".so")
    )
    unkeyed = [d for d in os.listdir(compiledir)
               if d.startswith("tmp") and not os.path.exists(os.path.join(compiledir, d, "key.pkl"))]
    print(json.dumps({"built": built, "modules": modules, "unkeyed": unkeyed,
                      "values": [np.asarray(v).tolist() for v in values]}))
    """
)


def _run(script: str, compiledir, workers: int) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTENSOR_FLAGS"] = ",".join(
        filter(None, [env.get("PYTENSOR_FLAGS", ""), f"base_compiledir={compiledir}"])
    )
    env["RNNRNADE_COMPILE_WORKERS"] = str(workers)
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600
    )


def _result(proc: subprocess.CompletedProcess) -> dict:
    import json

    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_parallel_compile_builds_the_modules_pytensor_would(tmp_path):
    serial = _result(_run(SCRIPT, tmp_path / "serial", workers=1))
    parallel = _result(_run(SCRIPT, tmp_path / "parallel", workers=2))
    assert serial["built"] == [0]  # the pool is off: PyTensor compiled every module itself
    assert parallel["built"][0] >= 3  # the outer graph's modules, built in the pool
    assert parallel["modules"] == serial["modules"]  # the same sources (a module's name is its code's hash)
    assert parallel["unkeyed"] == [] and serial["unkeyed"] == []
    assert parallel["values"] == serial["values"]
    warm = _result(_run(SCRIPT, tmp_path / "parallel", workers=2))  # the cache now holds them all
    assert warm["built"] == [0] and warm["modules"] == parallel["modules"]


BROKEN = textwrap.dedent(
    """
    import pytensor, pytensor.tensor as pt
    from pytensor.compile.mode import Mode
    from pytensor.graph.basic import Apply
    from pytensor.link.c.op import COp
    from rnnrnade_pt.parallel_compile import ParallelCVMLinker

    class Broken(COp):
        __props__ = ()

        def make_node(self, v):
            return Apply(self, [v], [v.type()])

        def perform(self, node, inputs, outputs):
            outputs[0][0] = inputs[0]

        def c_code(self, node, name, inputs, outputs, sub):
            return "this is not C++;"

        def c_code_cache_version(self):
            return (1,)

    x = pt.matrix("x")
    outputs = [Broken()(pt.exp(x)) * 2.0, pt.log1p(x) - pt.sigmoid(x)]
    pytensor.function([x], outputs, mode=Mode(linker=ParallelCVMLinker(use_cloop=True), optimizer="fast_run"))
    """
)


def test_a_module_that_fails_to_compile_is_left_to_pytensors_error(tmp_path):
    proc = _run(BROKEN, tmp_path, workers=2)
    assert proc.returncode != 0
    assert "Compilation failed" in proc.stderr and "this is not C++" in proc.stderr
    compiledir = next(tmp_path.glob("compiledir_*"))
    half_built = [d.name for d in compiledir.glob("tmp*") if not (d / "key.pkl").exists()]
    assert half_built == []  # the pool's failed build was removed, and PyTensor's own too
