"""The import-layers contract: clusterstack's packages import one way, bottom to top.

    base (errors, files) → kube → components → stack → program → testing, engine → analysis, adopt → cli

``kube`` holds Kubernetes facts and imports no Pulumi; ``components`` builds on it; each layer above
may use any layer below it and none above. Every import counts, also one inside a function or
under ``TYPE_CHECKING``: a type-only back edge is still a circle a reader has to untangle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.sources import source_modules

LAYERS: dict[str, int] = {
    "errors": 0,
    "files": 0,
    "kube": 1,
    "components": 2,
    "stack": 3,
    "program": 4,
    "testing": 5,
    "engine": 5,
    "analysis": 6,
    "adopt": 6,  # maps a cluster's objects onto the stack spec: reads through stack/ and kube/, renders with components/
    "cli": 7,
    "__main__": 8,
}
"""Each top-level module or package of clusterstack, by its layer; equal layers do not import each other
unless they are the same package."""

PULUMI_FREE = ("kube",)
"""Layers that must run without Pulumi installed: the engine's vocabulary lives there."""


def _imports(module: str, path: Path) -> Iterator[tuple[int, str]]:
    """Each module ``module`` imports, absolute, with its line."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:  # ``from . import x`` imports the submodule x
                yield node.lineno, f"{target}.{alias.name}"


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "clusterstack" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in LAYERS else None


MODULES = source_modules()


def test_every_top_level_module_has_a_layer() -> None:
    unplaced = sorted({module for module, _ in MODULES if module != "clusterstack" and _layer(module) is None})
    assert unplaced == [], "place each in LAYERS (and in docs/architecture.md)"


def test_imports_flow_one_way() -> None:
    back_edges = []
    for module, path in MODULES:
        own = _layer(module)
        if own is None:
            continue
        for line, target in _imports(module, path):
            layer = _layer(target)
            if layer is None or layer == own:
                continue
            if LAYERS[layer] >= LAYERS[own]:
                back_edges.append(f"{path.relative_to(REPO)}:{line}: {own} imports {target} ({layer})")
    assert back_edges == []


@pytest.mark.parametrize("layer", PULUMI_FREE)
def test_the_bottom_layer_imports_no_pulumi(layer: str) -> None:
    found = [
        f"{path.relative_to(REPO)}:{line}: {target}"
        for module, path in MODULES
        if _layer(module) == layer
        for line, target in _imports(module, path)
        if target.split(".")[0] in ("pulumi", "pulumi_kubernetes", "pydantic")
    ]
    assert found == []


def test_the_contract_can_fail(tmp_path: Path) -> None:
    """The scan sees a back edge, relative or absolute, in a function or under TYPE_CHECKING."""
    module = tmp_path / "probe.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ..engine.plan import Plan\n"
        "def f():\n    import clusterstack.cli\n"
    )
    targets = [target for _, target in _imports("clusterstack.kube.probe", module)]
    assert "clusterstack.engine.plan" in targets
    assert "clusterstack.cli" in targets
    assert [_layer(t) for t in ("clusterstack.engine.plan", "clusterstack.cli")] == ["engine", "cli"]
