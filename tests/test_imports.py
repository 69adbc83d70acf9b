"""The house: no import cycles anywhere, and sync/ never imports Flask or fieldreg (issue 16).

Every import statement counts, at the top of a module or inside a function, and those under
``if TYPE_CHECKING`` too: a cycle hidden in a function is still two modules that cannot be
understood (or tested) one without the other.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("fieldreg", "sync")


def modules() -> dict[str, Path]:
    """Return {dotted name: file} for every module of the project's packages."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Return the project modules a module imports, wherever the import statement is."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join(package + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                out.add(full if full in known else base)
    return (out & set(known)) - {name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    known = modules()
    graph = {name: imported(name, path, known) for name, path in known.items()}
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_sync_never_imports_flask_or_fieldreg():
    wrong = []
    for path in (ROOT / "sync").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            wrong += [(path.name, n) for n in names if n.split(".")[0] in ("flask", "fieldreg")]
    assert wrong == []


def test_sync_names_its_whole_surface():
    """Every module of sync/ is in the package's ``__all__`` and in its docstring map, and
    settings are read through sync.store only (no module runs its own settings SQL)."""
    import sync

    modules_here = {p.stem for p in (ROOT / "sync").glob("*.py") if p.stem != "__init__"}
    modules_here |= {p.parent.name for p in (ROOT / "sync").glob("*/__init__.py")}
    assert sorted(sync.__all__) == sorted(modules_here)
    assert all(f"``{name}``" in sync.__doc__ for name in modules_here)
    stray = [
        p.name
        for p in (ROOT / "sync").rglob("*.py")
        if p.name != "store.py" and "from settings where" in p.read_text()
    ]
    assert stray == []
