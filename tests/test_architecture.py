"""The package's shape: imports run one way, down the picture of the README's architecture section (no import
circle among the package's files, counting imports inside functions too), and the formatter formats every
module (no ``# fmt: skip`` or ``# fmt: off`` packing lines; modules are split by responsibility, not to meet a
line count)."""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

PACKAGE = pathlib.Path(__file__).parents[1] / "rnnrnade_pt"


def _modules() -> dict[str, pathlib.Path]:
    out = {}
    for f in PACKAGE.rglob("*.py"):
        parts = f.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (module level or inside functions); a submodule's import
    of a package above it (``from .. import x``) counts as an import of ``x`` only."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else []))
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE.name):
                base = node.module
            elif isinstance(node, ast.Import):
                graph[name] |= {a.name for a in node.names if a.name in modules and a.name != name}
                continue
            else:
                continue
            targets = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
            if not targets and base in modules:
                targets = [base]
            graph[name] |= {t for t in targets if t != name and not name.startswith(t + ".")}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle (a list of modules, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(u: str) -> list[str] | None:
        state[u] = 1
        path.append(u)
        for v in sorted(graph[u]):
            if state.get(v) == 1:
                return path[path.index(v) :] + [v]
            if v not in state and (found := visit(v)):
                return found
        state[u] = 2
        path.pop()
        return None

    for u in sorted(graph):
        if u not in state and (found := visit(u)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_circle_in_the_package():
    graph = import_graph()
    assert "rnnrnade_pt.density_model" in graph["rnnrnade_pt.train"]  # the graph reads the imports it should
    assert "rnnrnade_pt.kernels.rnade" in graph["rnnrnade_pt.models.rnade"]
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_formatter_formats_every_module(path):
    text = path.read_text(encoding="utf-8")
    packed = [i for i, line in enumerate(text.splitlines(), 1) if re.search(r"#\s*fmt:\s*(skip|off)", line)]
    assert not packed, f"{path.relative_to(PACKAGE)} keeps the formatter off on lines {packed}"
