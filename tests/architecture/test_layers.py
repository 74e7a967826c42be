"""The architecture, checked: import contracts, no import circle, short modules.

The contracts live in pyproject.toml ([tool.importlinter]) and docs/architecture.md
explains them. The allow-lists below name what breaks a rule today; they may only
shrink: a circle or a long module that is gone must leave its list too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ledger", "commands", "consumers", "projections", "licence_files", "sharing")
MAX_LINES = 350

# Module-level import circles that exist today, each being removed by its owner
# (issue #13). Expected to shrink to empty; never add to it.
KNOWN_CIRCLES: frozenset[frozenset[str]] = frozenset({
})

# Modules over MAX_LINES today, each to be split by concept. Expected to shrink to empty.
KNOWN_LONG: frozenset[str] = frozenset({
})


def import_circles(graph: grimp.ImportGraph) -> set[frozenset[str]]:
    """Every strongly connected component of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: set[frozenset[str]] = set()
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    circles.add(frozenset(component))
    return circles


def _show(circles: Iterable[frozenset[str]]) -> str:
    return "; ".join(" <-> ".join(sorted(circle)) for circle in circles)


def _graph(imports: Mapping[str, Iterable[str]]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in imports.items():
        graph.add_module(importer)
        for module in imported:
            graph.add_import(importer=importer, imported=module)
    return graph


def test_the_circle_finder_finds_every_circle_and_only_circles() -> None:
    graph = _graph({
        "p.a": ["p.b"], "p.b": ["p.c"], "p.c": ["p.a", "p.d"],  # a -> b -> c -> a
        "p.d": ["p.e"], "p.e": [],                                # a chain, no circle
        "p.f": ["p.g"], "p.g": ["p.f"],                           # a pair
        "p.h": ["p.h"],                                           # itself: not a circle
    })
    assert import_circles(graph) == {frozenset({"p.a", "p.b", "p.c"}),
                                     frozenset({"p.f", "p.g"})}
    assert import_circles(_graph({"p.a": ["p.b"], "p.b": []})) == set()


def test_no_new_import_circle_and_known_ones_are_removed_from_the_list() -> None:
    # grimp reads every import statement, those under `if TYPE_CHECKING:` included.
    circles = import_circles(grimp.build_graph(*PACKAGES, cache_dir=None))
    new = circles - KNOWN_CIRCLES
    gone = KNOWN_CIRCLES - circles
    assert not new, f"new import circle(s): {_show(new)}"
    assert not gone, f"no longer a circle, remove from KNOWN_CIRCLES: {_show(gone)}"


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def _python_files() -> list[Path]:
    return sorted(path for top in (*PACKAGES, "tests", "benchmarks")
                  for path in (ROOT / top).rglob("*.py") if ".venv" not in path.parts)


def test_no_module_is_over_the_line_limit() -> None:
    lengths = {path.relative_to(ROOT).as_posix(): len(path.read_text("utf-8").splitlines())
               for path in _python_files()}
    assert len(lengths) > 250  # the walk found the tree, not an empty folder
    long = {name for name, lines in lengths.items() if lines > MAX_LINES}
    new = sorted(f"{name} ({lengths[name]} lines)" for name in long - KNOWN_LONG)
    gone = sorted(KNOWN_LONG - long)
    assert not new, f"over {MAX_LINES} lines, split by concept: {new}"
    assert not gone, f"now within {MAX_LINES} lines, remove from KNOWN_LONG: {gone}"


def test_every_package_says_its_concept() -> None:
    inits = sorted(init for top in PACKAGES for init in (ROOT / top).rglob("__init__.py"))
    assert len(inits) > 20
    silent = [init.relative_to(ROOT).as_posix() for init in inits
              if not (ast.get_docstring(ast.parse(init.read_text("utf-8"))) or "").strip()]
    assert not silent, f"package without a docstring saying its concept: {silent}"
