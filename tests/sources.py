"""The package's source modules, for the tests that read its source (layers, cycles, sizes, patterns,
the Pulumi door, the finding protocol, the test mirror): clusterstack/ and components/, the library
installed as clusterstack.components. ``rglob`` does not enter the clusterstack/components link, so
each module is read once, as itself."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROOTS = ((REPO / "clusterstack", "clusterstack"), (REPO / "components", "clusterstack.components"))
"""Each source folder and the package it installs as."""


def modules_under(root: Path, package: str) -> list[tuple[str, Path]]:
    """(dotted name, file) of every module under ``root``, installed as ``package``; a package's
    ``__init__.py`` is the package itself."""
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found.append((".".join([package, *parts]), path))
    return found


def source_modules() -> list[tuple[str, Path]]:
    """(dotted name, file) of every module of the package as it is installed."""
    return [module for root, package in ROOTS for module in modules_under(root, package)]
