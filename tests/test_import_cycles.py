"""No import cycles between clusterstack's modules: every module can be read after the ones it imports.

Every import counts, also one inside a function or under ``TYPE_CHECKING``: a type-only circle is still
two modules a reader has to hold in mind at once (components/coherence.py and components/platform.py
were one). An import names the most specific module it loads: ``from . import coredns`` is the module
``coredns``, ``from .model import KeyPath`` is ``model`` (its package's ``__init__`` runs first, but a
package importing its own submodules is how a package is built, not a circle).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import REPO
from tests.sources import ROOTS, modules_under


def _modules(*roots: tuple[Path, str]) -> dict[str, Path]:
    """Each module under each (folder, package name), by its dotted name."""
    return {name: path for root, package in roots for name, path in modules_under(root, package)}


def _edges(module: str, path: Path, known: dict[str, Path]) -> Iterator[tuple[int, str]]:
    """The modules of ``known`` that ``module`` imports, anywhere in its body, with the line."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in known:
                    yield node.lineno, submodule
                elif source in known:
                    yield node.lineno, source


def cycles(modules: dict[str, Path], root: Path) -> list[list[str]]:
    """Each set of modules that import one another, round (Tarjan's strongly connected components),
    as ``path:line imports module`` lines (paths relative to ``root``); a module importing itself counts too."""
    graph: dict[str, list[tuple[int, str]]] = {m: sorted(set(_edges(m, p, modules))) for m, p in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for _, target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            members = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                members.add(member)
                if member == module:
                    break
            looped = len(members) > 1 or any(target == module for _, target in graph[module])
            if looped:
                found.append(
                    sorted(
                        f"{modules[m].relative_to(root)}:{line} imports {target}"
                        for m in members
                        for line, target in graph[m]
                        if target in members
                    )
                )

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_module_of_clusterstack_is_in_an_import_cycle() -> None:
    modules = _modules(*ROOTS)
    assert len(modules) > 80, "the scan found the package's modules"
    assert cycles(modules, REPO) == []


def test_the_scan_finds_a_cycle_through_a_function_and_type_checking(tmp_path: Path) -> None:
    """Three modules in a circle: one edge under TYPE_CHECKING, one inside a function, one relative
    ``from . import``; and a fourth that only imports, which is no part of it."""
    package = tmp_path / "probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\n")
    (package / "b.py").write_text("def f():\n    import probe.c\n")
    (package / "c.py").write_text("from . import a\n")
    (package / "d.py").write_text("from .a import x\nfrom . import c\n")
    found = cycles(_modules((package, "probe")), tmp_path)
    assert found == [["probe/a.py:3 imports probe.b", "probe/b.py:2 imports probe.c", "probe/c.py:1 imports probe.a"]]
