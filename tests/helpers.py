"""Small builders for tests: a minimal valid tenant, and a stack held in memory."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clusterstack.adopt.dump import LiveObject
from clusterstack.components.blocks import build_platform
from clusterstack.errors import ClusterstackError
from clusterstack.kube.live import normalised, read_back
from clusterstack.stack.files import Layer, StackConfig
from clusterstack.stack.spec import Loaded, StackSpec, load_spec

STACK_FILE = "stacks/Pulumi.test.yaml"
REPO = Path(__file__).resolve().parent.parent


def namespace_spec(**overrides) -> dict:
    """A minimal valid tenant as a stack file writes it; keyword arguments replace its keys."""
    spec = {"labels": {"team": "payments"}}
    spec.update(overrides)
    return spec


def stack(namespaces: dict | None = None, **values) -> StackConfig:
    """A stack pinned to its cluster (kubernetes:context), so only what a test writes draws warnings."""
    config: dict = {"kubernetes:context": "test", **{f"clusterstack:{key}": value for key, value in values.items()}}
    if namespaces is not None:
        config["clusterstack:namespaces"] = namespaces
    return StackConfig("test", (Layer(STACK_FILE, config),))


def load(namespaces: dict | None = None, **values) -> Loaded:
    return load_spec(stack(namespaces, **values))


def problems(namespaces: dict | None = None, **values) -> list[str]:
    """Every error message loading this stack produces (empty when it is valid)."""
    try:
        load(namespaces, **values)
    except ClusterstackError as error:
        return [str(p) for p in error.problems]
    return []


def tenant_problems(**spec) -> list[str]:
    """The errors for one tenant namespace ``team``, with the common prefix removed."""
    prefix = f"{STACK_FILE}: clusterstack:namespaces.team."
    found = problems({"team": spec})
    assert all(p.startswith(prefix) for p in found), found
    return [p[len(prefix):] for p in found]


THROUGH: dict[str, Callable[[Any], Any]] = {
    "as-rendered": dict,
    "read-back": read_back,  # what kubectl get -o yaml prints once the API server stored it
    "imported": lambda body: normalised(read_back(body)),  # what clusterstack import hands the mappers
}
"""How rendered objects reach an import mapper: as the program declares them, as the cluster returns
them (clusterstack/kube/live.py), or as the import passes them on."""


def rendered(args: StackSpec, environment: str = "test", through: Callable[[Any], Any] = dict) -> list[LiveObject]:
    """What the stack's platform renders, each object as a dump's item (``through`` one of THROUGH)."""
    return [LiveObject(f"render#{index}", through(manifest)) for index, manifest in enumerate(build_platform(args, environment))]


def shipped_project(tmp_path: Path) -> Path:
    """A copy of this project (Pulumi.yaml, __main__.py) with its shipped stack files, under ``tmp_path``."""
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    shutil.copy(REPO / "Pulumi.yaml", root)
    shutil.copy(REPO / "__main__.py", root)
    for stack in (REPO / "stacks").iterdir():
        shutil.copy(stack, root / "stacks")
    return root
