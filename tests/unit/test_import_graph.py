"""The import graph: no cycles among tradecost's modules (lazy, function-level imports
included), every module importable on its own, and ``import tradecost`` stays light.

The cycle check parses the sources with ``ast`` (imports under ``if TYPE_CHECKING:`` are not run
and do not count); the import checks run fresh interpreters.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import tradecost

PACKAGE = Path(tradecost.__file__).parent
SRC = PACKAGE.parent


def _module_names() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_package)
    return out


MODULES = _module_names()
COMPILED = {".".join(p.relative_to(SRC).with_suffix("").parts) for p in PACKAGE.rglob("*.pyx")}
KNOWN = set(MODULES) | COMPILED


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str) -> list[tuple[str, int]]:
    """(imported tradecost module, line) for every import statement of ``name`` that runs,
    at module level or inside a function."""
    path, is_package = MODULES[name]
    package = name if is_package else name.rpartition(".")[0]
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for statement in child.orelse:
                    visit(statement)
                continue
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    module = ".".join(base + ([child.module] if child.module else []))
                else:
                    module = child.module or ""
                for alias in child.names:
                    full = f"{module}.{alias.name}"
                    found.append((full if full in KNOWN else module, child.lineno))
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return [(m, line) for m, line in found if m in KNOWN and m != name]


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return components


def test_the_cycle_finder_finds_a_planted_cycle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert find_cycles(edges) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_parser_sees_lazy_imports_and_skips_type_checking():
    imported = {m for m, _ in imports_of("tradecost.estimator")}
    assert "tradecost._book" in imported  # module level
    assert "tradecost.feeds.okx.instruments" in imported  # inside _contract_units
    # the Instrument annotation import sits under TYPE_CHECKING
    source = MODULES["tradecost.estimator"][0].read_text(encoding="utf-8")
    assert "if TYPE_CHECKING:\n    from tradecost.instruments import Instrument" in source


def test_no_import_cycles_between_tradecost_modules():
    edges = {name: {m for m, _ in imports_of(name)} for name in MODULES}
    cycles = find_cycles(edges)
    described = [
        [f"{a} -> {b} (line {line})" for a in cycle for b, line in imports_of(a) if b in cycle]
        for cycle in cycles
    ]
    assert cycles == [], json.dumps(described, indent=1)


HEAVY = ["tradecost.sim", "sklearn", "scipy", "pandas", "fastapi", "websockets.server"]

PROGRAM = """
import json, sys
import tradecost
book = tradecost.OrderBook("0.1")
book.apply_snapshot([["100.0", "1"]], [["100.1", "1"]])
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def test_import_tradecost_stays_light():
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(result.stdout) == []
    # the simulator is still one attribute away
    assert tradecost.sim.SimulatedMarket.__module__ == "tradecost.sim.market"


def _import_alone(name: str) -> tuple[str, int, str]:
    result = subprocess.run(
        [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, timeout=300
    )
    return name, result.returncode, result.stderr[-2000:]


def test_every_module_imports_in_a_fresh_interpreter():
    # the extras some modules need (fastapi, dask, pyarrow) are all in the [test] extra
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_import_alone, sorted(KNOWN)))
    failures = {name: err for name, code, err in results if code != 0}
    assert failures == {}, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
