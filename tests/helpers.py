"""Small builders for tests: a minimal valid tenant, and a stack held in memory."""

from __future__ import annotations

from clusterstack.errors import ClusterstackError
from clusterstack.stack.files import Layer, StackConfig
from clusterstack.stack.spec import Loaded, load_spec

STACK_FILE = "stacks/Pulumi.test.yaml"


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
