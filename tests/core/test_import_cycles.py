"""No import cycle anywhere in `toolsynth/`, function-level imports included.

The walker parses every module with `ast` (nothing is imported, so a heavy or broken module cannot hide an edge) and
collects each `import`/`from ... import` at any depth, relative ones resolved. Imports under `if TYPE_CHECKING:` are
left out: they never run. `from pkg import name` is an edge to `pkg` (its `__init__` runs and is read first) and,
when `pkg.name` is a module, to that module too; `import a.b` and `from a.b import x` are edges to `a.b` only: the
parents' `__init__` run as well, but counting that would make every package that re-exports a submodule a cycle.
A cycle is a strongly connected component of that graph with more than one module.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[2] / "toolsynth"


def _module_names(root: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package `__init__`) for every `.py` under the package directory `root`."""
    names: dict[str, tuple[Path, bool]] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        names[".".join(parts)] = (path, is_package)
    return names


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same top-level package it imports (anywhere in its body)."""
    modules = _module_names(root)
    top = root.name

    def owner(dotted: str) -> str | None:
        # `from a.b import C` where C is a class: the edge goes to the longest prefix that is a module.
        while dotted and dotted not in modules:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        edges: set[str | None] = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                edges.update(owner(alias.name) for alias in node.names if alias.name.split(".")[0] == top)
                continue
            if node.level:
                base = package.split(".")
                if node.level > 1:
                    base = base[: -(node.level - 1)]
                source = ".".join(base) + (f".{node.module}" if node.module else "")
            else:
                source = node.module or ""
            if source.split(".")[0] != top:
                continue
            edges.add(owner(source))
            edges.update(f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in modules)
        # A package's `__init__` importing its own submodules (`from pkg import sub` inside pkg) is no cycle.
        graph[name] = {e for e in edges if e is not None and e != name}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each cycle as a closed path `[a, b, ..., a]`, one per strongly connected component (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(graph.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop(0)
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return [_closed_path(c, graph) for c in sorted(components)]


def _closed_path(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest way from the component's first module back to itself, staying inside the component."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for nxt in sorted(graph.get(node, ()) & members):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if nxt not in previous:
                    previous[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"{component} is not a cycle")  # pragma: no cover - Tarjan only reports real ones


def _describe(cycles: list[list[str]]) -> str:
    return "\n".join("  " + " -> ".join(cycle) for cycle in cycles)


# --- the walker itself, on tiny synthetic packages -------------------------------------------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_walker_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from pkg.b import thing\n",
            "b.py": "def thing():\n    from pkg import a\n    return a\n",
            "c.py": "import pkg.a\n",
        },
    )
    assert find_cycles(import_graph(root)) == [["pkg.a", "pkg.b", "pkg.a"]]


def test_walker_resolves_relative_imports_and_counts_a_package_init(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "sub/__init__.py": "def f():\n    from .leaf import g\n    return g\n",
            "sub/leaf.py": "from . import other\n",
            "sub/other.py": "from ..sub import leaf\n",
        },
    )
    graph = import_graph(root)
    assert graph["pkg.sub.leaf"] == {"pkg.sub", "pkg.sub.other"}
    # `from . import other` reads the package `pkg.sub`, whose `__init__` imports `leaf` back.
    # One entry per tangle: the shortest way round from its first module.
    assert find_cycles(graph) == [["pkg.sub", "pkg.sub.leaf", "pkg.sub"]]


def test_walker_ignores_type_checking_imports_and_other_packages(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from typing import TYPE_CHECKING\nimport json\nif TYPE_CHECKING:\n    from pkg.b import B\n",
            "b.py": "import typing\nfrom pkg.a import x\nif typing.TYPE_CHECKING:\n    import pkg.a\nelse:\n    import os\n",
        },
    )
    graph = import_graph(root)
    assert graph["pkg.a"] == set()
    assert graph["pkg.b"] == {"pkg.a"}
    assert find_cycles(graph) == []


def test_walker_reports_each_tangle_once(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "import pkg.b\n",
            "b.py": "import pkg.c\n",
            "c.py": "import pkg.a\nimport pkg.b\n",
            "d.py": "import pkg.e\n",
            "e.py": "from pkg import d\n",
            "f.py": "import pkg.d\n",
        },
    )
    assert find_cycles(import_graph(root)) == [
        ["pkg.a", "pkg.b", "pkg.c", "pkg.a"],
        ["pkg.d", "pkg.e", "pkg.d"],
    ]


# --- the real package ------------------------------------------------------------------------------------------------


def test_toolsynth_has_no_import_cycle() -> None:
    cycles = find_cycles(import_graph(PACKAGE_ROOT))
    assert not cycles, "import cycles in toolsynth/:\n" + _describe(cycles)
