"""No import cycles inside ``kit``: the pipeline only reads one way if its modules only import one way.

Every module under ``kit/`` is parsed with ``ast``; every import counts, at any depth (a deferred import
inside a function hides a cycle, it does not break it), except those under ``if TYPE_CHECKING:``, which
never run. ``from kit.x import y`` is an edge to ``kit.x.y`` when ``y`` is a module, else to ``kit.x``.
Importing ``kit.a.b`` also runs ``kit/a/__init__.py`` first, so that package is an edge too, unless it is a
package the importing module already lives in (that one is always being imported already). A package
``__init__`` that only holds a docstring imports nothing, so it closes no cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parents[1] / "kit"

# Cycles that other stages' restructuring removes; each entry is one strongly connected component (as a set of
# module names). The lead empties this list after merging those branches: do not add to it. Empty today:
# kit.present.report names kit.present.session only under TYPE_CHECKING, which never runs.
KNOWN_CYCLES: list[frozenset[str]] = []


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path) -> dict[str, Path]:
    return {_module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, skipping the body of ``if TYPE_CHECKING:`` (not its ``else``)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]))
            continue
        yield from _imports(node)


def _package_of(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _targets(node: ast.Import | ast.ImportFrom, name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The kit modules one import statement makes Python run (before ancestor filtering)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    if node.level:
        base = _package_of(name, path)
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        source = f"{base}.{node.module}" if node.module else base
    else:
        source = node.module or ""
    out = {source}
    for alias in node.names:
        if f"{source}.{alias.name}" in modules:
            out.add(f"{source}.{alias.name}")
    return out


def _with_packages(target: str) -> set[str]:
    parts = target.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)}


def import_graph(root: Path = KIT) -> dict[str, set[str]]:
    """Module -> the kit modules it imports (including the packages whose ``__init__`` those imports run)."""
    modules = _modules(root)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        own = _with_packages(_package_of(name, path))  # packages already being imported when this module runs
        edges: set[str] = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            for target in _targets(node, name, path, modules):
                edges |= {t for t in _with_packages(target) if t in modules and t not in own}
        edges.discard(name)
        graph[name] = edges
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Tarjan's algorithm, iterative: the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def _describe(component: frozenset[str], graph: dict[str, set[str]]) -> str:
    """One concrete loop through the component, e.g. ``kit.a -> kit.b -> kit.a``."""
    start = min(component)
    path = [start]
    seen = {start}
    node = start
    while True:
        nxt = sorted(graph[node] & component)
        back = [n for n in nxt if n == start]
        if back and len(path) > 1:
            return " -> ".join([*path, start])
        fresh = [n for n in nxt if n not in seen]
        if not fresh:
            return " -> ".join([*path, *nxt[:1]])
        node = fresh[0]
        seen.add(node)
        path.append(node)


def test_no_import_cycles_inside_kit() -> None:
    graph = import_graph()
    cycles = [c for c in strongly_connected(graph) if c not in KNOWN_CYCLES]
    assert not cycles, "import cycles inside kit:\n" + "\n".join(
        f"  {sorted(c)}: {_describe(c, graph)}" for c in cycles
    )


def test_known_cycles_are_still_cycles() -> None:
    """An entry the code no longer has must leave the list, so the list only ever shrinks to empty."""
    current = strongly_connected(import_graph())
    stale = [sorted(c) for c in KNOWN_CYCLES if c not in current]
    assert not stale, f"KNOWN_CYCLES lists cycles that are gone; remove them: {stale}"


# ---------------------------------------------------------------- the checker itself


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


@pytest.fixture
def fake_kit(tmp_path: Path) -> Path:
    return tmp_path / "kit"


def test_checker_finds_a_cycle_hidden_in_a_function(fake_kit: Path) -> None:
    _write(
        fake_kit,
        {
            "__init__.py": '"""Doc."""\n',
            "keys/__init__.py": '"""Doc."""\n',
            "keys/inspect.py": "from kit.guard.redact import scrub\n",
            "guard/__init__.py": '"""Doc."""\n',
            "guard/redact.py": "def f():\n    from kit.keys import inspect\n    return inspect\n",
        },
    )
    graph = import_graph(fake_kit)
    assert strongly_connected(graph) == [frozenset({"kit.keys.inspect", "kit.guard.redact"})]
    assert _describe(frozenset({"kit.keys.inspect", "kit.guard.redact"}), graph) == (
        "kit.guard.redact -> kit.keys.inspect -> kit.guard.redact"
    )


def test_checker_ignores_type_checking_and_follows_package_inits(fake_kit: Path) -> None:
    _write(
        fake_kit,
        {
            "__init__.py": '"""Doc."""\n',
            "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from kit.b import x\n",
            "b.py": "import kit.a\n",
            "pkg/__init__.py": "from kit.pkg.leaf import y\n",
            "pkg/leaf.py": "y = 1\n",
            "pkg/holder.py": "from kit.c import z\n",
            "c.py": "from .pkg.leaf import y\nz = y\n",
        },
    )
    graph = import_graph(fake_kit)
    assert graph["kit.a"] == set()
    assert graph["kit.c"] == {"kit.pkg", "kit.pkg.leaf"}  # running kit.pkg.leaf runs kit/pkg/__init__.py first
    assert graph["kit.pkg.leaf"] == set()
    assert strongly_connected(graph) == []
    _write(fake_kit, {"pkg/__init__.py": "from kit.pkg.holder import z\n"})
    assert strongly_connected(import_graph(fake_kit)) == [frozenset({"kit.pkg", "kit.pkg.holder", "kit.c"})]
