"""The C backend's cold compile, in parallel: every C module a function needs built by several g++ at once.

PyTensor's C linker makes a function's thunks one node after another, and each node whose module is not in
the compile cache runs g++ (about a second each, 69 of them for an RNN-RNADE training function) while it
holds the compile directory's lock. :class:`ParallelCVMLinker` is PyTensor's ``cvm`` linker that, before
making the thunks, finds the modules its nodes will ask for that the cache lacks, builds them with
:func:`precompile` in a pool of threads (g++ outside the lock, each into a directory of its own), and adds
them to the cache under the lock exactly as PyTensor's :meth:`ModuleCache.module_from_key` would; the
thunks are then made as always and find every module in the cache. A scan's inner function is compiled in
the same pool, beside the outer modules. What it compiles is what PyTensor would: the same source, flags
and cache keys (``tests/test_parallel_compile.py`` checks that the cache holds the same modules either way).

Anything unexpected (an Op whose module cannot be keyed, a g++ error, a PyTensor whose cache internals
differ) leaves that module to PyTensor's own compile, which then reports the error as usual.

``RNNRNADE_COMPILE_WORKERS`` sets the number of g++ run at once (default: the CPUs this process may use, at
most 8; 1 turns the pool off).
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import shutil
import time
from collections.abc import Iterable

from pytensor.graph.basic import Apply
from pytensor.link.vm import VMLinker

__all__ = ["ParallelCVMLinker", "compile_workers", "precompile"]

logger = logging.getLogger(__name__)


def compile_workers() -> int:
    """How many g++ :func:`precompile` runs at once: ``RNNRNADE_COMPILE_WORKERS``, else the CPUs this
    process may use (at most 8)."""
    env = os.environ.get("RNNRNADE_COMPILE_WORKERS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            logger.warning(
                "RNNRNADE_COMPILE_WORKERS=%r is not an integer; compiling one module at a time", env
            )
            return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


class _Pending:
    """One module the cache lacks: its linker, key, source hash, and the directory g++ builds it in."""

    def __init__(self, linker, key, module_hash):
        self.linker, self.key, self.module_hash = linker, key, module_hash
        self.location = None

    def missing_from(self, cache) -> bool:
        return cache._get_from_key(self.key) is None and self.module_hash not in cache.module_hash_to_key_data

    def build(self, cache) -> str:
        """g++ into a fresh directory of the cache's, without the lock; the shared library's path."""
        from pytensor.link.c.cmodule import dlimport_workdir, get_lib_extension

        lnk = self.linker
        self.dynamic = lnk.get_dynamic_module()
        self.location = dlimport_workdir(cache.dirname)
        lnk.c_compiler().compile_str(
            module_name=self.dynamic.code_hash,
            src_code=self.dynamic.code(),
            location=self.location,
            include_dirs=lnk.header_dirs(),
            lib_dirs=lnk.lib_dirs(),
            libs=lnk.libraries(),
            preargs=lnk.compile_args(),
            py_module=False,
        )
        open(os.path.join(self.location, "__init__.py"), "w").close()  # as compile_str's import would
        return os.path.join(self.location, f"{self.dynamic.code_hash}.{get_lib_extension()}")

    def discard(self) -> None:
        if self.location is not None:
            shutil.rmtree(self.location, ignore_errors=True)


def _pending_module(node: Apply, cache, seen: set):
    """The module ``node``'s C thunk will ask the cache for, when the cache lacks it and no other node of
    this batch asks for the same source; else None. The linker is built as ``COp.make_c_thunk`` builds it
    (the node's own graph, no output excluded from recycling: the ``cvm`` linker passes none)."""
    from pytensor.graph.fg import FunctionGraph
    from pytensor.link.c.basic import CLinker
    from pytensor.link.c.cmodule import get_module_hash
    from pytensor.link.c.op import COp

    op = node.op
    if not isinstance(op, COp) or type(op).make_thunk is not COp.make_thunk:
        return None  # not compiled by make_c_thunk (e.g. a scan: its inner function is compiled apart)
    if any(getattr(v.type, "dtype", "") == "float16" for v in (*node.inputs, *node.outputs)):
        return None
    op.prepare_node(node, storage_map=None, compute_map=None, impl="c")
    linker = CLinker().accept(FunctionGraph(node.inputs, node.outputs), no_recycling=[])
    key = linker.cmodule_key()
    if key is None:
        return None
    for n in linker.node_order:  # as CLinker.cthunk_factory does before it asks the cache
        n.op.prepare_node(n, None, None, "c")
    if cache._get_from_key(key) is not None:
        return None
    pending = _Pending(linker, key, get_module_hash(linker.get_src_code(), key))
    if pending.module_hash in seen or not pending.missing_from(cache):
        return None
    seen.add(pending.module_hash)
    return pending


def _add_to_cache(pending: _Pending, lib: str, cache) -> None:
    """What ``ModuleCache.module_from_key`` does after its compile, under the compile lock: import the
    module and record it under its key and source hash, unless another process added it meanwhile."""
    from pytensor.compile.compilelock import lock_ctx
    from pytensor.link.c.cmodule import dlimport

    with lock_ctx():
        cache.refresh(cleanup=False)
        if not pending.missing_from(cache):
            pending.discard()
            return
        module = dlimport(lib)
        cache.module_from_name[module.__file__] = module
        key_data = cache._add_to_cache(module, pending.key, pending.module_hash)
        cache.module_hash_to_key_data[pending.module_hash] = key_data
        cache.stats[2] += 1


def _scan_nodes(nodes: Iterable[Apply]) -> list[Apply]:
    from pytensor.scan.op import Scan

    return [n for n in nodes if isinstance(n.op, Scan) and getattr(n.op, "_fn", None) is None]


def precompile(nodes: Iterable[Apply], workers: int | None = None) -> int:
    """Build, ``workers`` g++ at a time, the C modules that ``nodes``' thunks will need and the compile
    cache lacks, and compile the inner functions of their scans in the same pool; the number of modules
    built here. Nothing is built when ``workers`` is 1 or there is at most one module to build; a module
    that fails here is left to PyTensor's own compile (which reports the error).

    >>> import pytensor.tensor as pt
    >>> from pytensor.graph.fg import FunctionGraph
    >>> x = pt.vector("x")
    >>> precompile(FunctionGraph([x], [pt.exp(x)]).toposort(), workers=1)
    0
    """
    from pytensor.configdefaults import config
    from pytensor.link.c.basic import get_module_cache  # the cache of config.compiledir

    workers = compile_workers() if workers is None else workers
    nodes = list(nodes)
    if workers <= 1 or not config.cxx:
        return 0
    start = time.perf_counter()
    try:
        cache = get_module_cache()
        seen: set = set()
        pending = []
        for node in nodes:
            try:
                if (p := _pending_module(node, cache, seen)) is not None:
                    pending.append(p)
            except Exception as e:  # noqa: BLE001 - PyTensor's own make_thunk meets it and reports it
                logger.debug("precompile: %s left to PyTensor (%s)", node.op, e)
    except AttributeError as e:  # a PyTensor whose module cache is laid out otherwise
        logger.debug("precompile: off (%s)", e)
        return 0
    if pending:  # what other processes sharing the compile directory have built meanwhile
        from pytensor.compile.compilelock import lock_ctx

        with lock_ctx():
            cache.refresh(cleanup=False)
        pending = [p for p in pending if p.missing_from(cache)]
    scans = _scan_nodes(nodes)
    if len(pending) + len(scans) <= 1:
        return 0
    built = 0
    with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="g++") as pool:
        futures = {pool.submit(p.build, cache): p for p in pending}
        futures.update({pool.submit(lambda op=n.op: op.fn): None for n in scans})
        for future in concurrent.futures.as_completed(futures):
            p = futures[future]
            try:
                lib = future.result()
            except Exception as e:  # noqa: BLE001 - as above
                logger.debug("precompile: %s left to PyTensor (%s)", p.linker.fgraph if p else "a scan", e)
                if p is not None:
                    p.discard()
                continue
            if p is not None:
                _add_to_cache(p, lib, cache)
                built += 1
    logger.debug(
        "precompile: %d modules and %d scans in %.1f s on %d threads",
        built,
        len(scans),
        time.perf_counter() - start,
        workers,
    )
    return built


class ParallelCVMLinker(VMLinker):
    """PyTensor's ``cvm`` linker (C thunks, the C loop) that builds its missing C modules in parallel
    (:func:`precompile`) before making its thunks.

    >>> import pytensor, pytensor.tensor as pt
    >>> from pytensor.compile.mode import Mode
    >>> x = pt.vector("x")
    >>> f = pytensor.function([x], pt.exp(x), mode=Mode(linker=ParallelCVMLinker(use_cloop=True)))
    >>> float(f([0.0])[0])
    1.0
    """

    def make_all(self, profiler=None, input_storage=None, output_storage=None, storage_map=None):
        if self.c_thunks is not False:
            precompile(self.schedule(self.fgraph))
        return super().make_all(profiler, input_storage, output_storage, storage_map)
