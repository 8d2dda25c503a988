"""The table of building blocks (components/blocks.py) is complete, and everything it should drive has
every block: ClusterPlatformArgs' keys and the published stack schema, ClusterPlatform's typed
attributes and child names, the package's exports and the docs. ``build_platform`` and
``ClusterPlatform`` walk the table itself; a platform with every block shows both give the same
objects, block by block. A row left out, or a key, export or heading a row lacks, fails here."""

from __future__ import annotations

import functools
import inspect
import re
import typing
from typing import Any

import pulumi
import pytest
from pydantic import BaseModel

import clusterstack.components as library
from clusterstack.components import DnsArgs, build_platform
from clusterstack.components.blocks import BLOCKS, SETTINGS, Block, ClusterPlatform
from clusterstack.components.model import Model
from clusterstack.components.platform import ClusterPlatformArgs
from clusterstack.kube.manifest import Manifest
from clusterstack.stack.schema import values_schema
from clusterstack.testing import run
from tests.conftest import REPO

GROUPS: dict[str, type[BaseModel]] = {"dns": DnsArgs}
"""Keys that group blocks' keys (``dns.autoscaler``, ``dns.nodeLocal``, ``dns.coredns``)."""
PARTS = {"NamespacePolicies": "TenantNamespace", "build_network_policies": "TenantNamespace", "build_access": "TenantNamespace"}
"""Exported components and builders that are part of a block (what its component registers), not blocks."""
EVERY_BLOCK = {
    "priorityClasses": {"critical": {"value": 1000}},
    "storageClasses": {"fast": {"provisioner": "ebs.csi.aws.com"}},
    "existingNamespaces": {"kube-system": {"podSecurity": "privileged"}},
    "namespaces": {"payments": {"quota": {"pods": "10"}, "networkPolicy": {"defaultDeny": ["Ingress"]}}},
    "dns": {"autoscaler": {"linear": {"nodesPerReplica": 16}}, "nodeLocal": {}, "coredns": {"pdb": {"maxUnavailable": 1}}},
    "ipMasq": {"nonMasqueradeCIDRs": ["10.0.0.0/8"]},
    "loadBalancers": {"checkout": {"namespace": "payments", "selector": {"app": "checkout"}, "ports": [{"port": 443}]}},
}
"""A platform with every block deployed."""


@functools.cache
def _schema() -> dict[str, Any]:
    return values_schema()


def _field(model: type[BaseModel], key: str) -> Any:
    """The annotation of ``model``'s field spelled ``key`` in stack files, or None."""
    for name, field in model.model_fields.items():
        if (field.alias or name) == key:
            return field.annotation
    return None


def _models_in(annotation: Any) -> set[Any]:
    """The models an annotation holds: ``X``, ``X | None``, ``dict[str, X]``."""
    args = typing.get_args(annotation)
    if not args:
        return {annotation}
    found: set[Any] = set()
    for arg in args[1:] if typing.get_origin(annotation) is dict else args:
        found |= _models_in(arg)
    return found


def _headings() -> list[str]:
    documents = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
    return [line for path in documents if path.exists() for line in path.read_text().splitlines() if line.startswith("#")]


def missing(block: Block[Any]) -> list[str]:
    """What lacks ``block``, of all the table should drive."""
    found = []
    for key, args in block.keys.items():
        *group, own = key.split(".")
        model: type[BaseModel] = GROUPS[group[0]] if group else ClusterPlatformArgs
        annotation = _field(model, own)
        if annotation is None or args not in _models_in(annotation):
            found.append(f"{key}: no field of {model.__name__} holds {args.__name__}")
        properties = _schema()["$defs"][GROUPS[group[0]].__name__]["properties"] if group else _schema()["properties"]
        if own not in properties:
            found.append(f"{key}: not in the stack schema")
        if library.__all__.count(args.__name__) != 1 or getattr(library, args.__name__, None) is not args:
            found.append(f"{args.__name__}: not exported by clusterstack.components")
    for thing in (block.component, block.builder):
        if thing.__name__ not in library.__all__ or getattr(library, thing.__name__, None) is not thing:
            found.append(f"{thing.__name__}: not exported by clusterstack.components")
    hint = inspect.get_annotations(ClusterPlatform).get(block.attribute)
    if hint is None or block.component.__name__ not in re.findall(r"\w+", str(hint)):
        found.append(f"ClusterPlatform.{block.attribute}: not annotated with {block.component.__name__}")
    if block.child is not None and f"``{block.child}``" not in (ClusterPlatform.__doc__ or ""):
        found.append(f"{block.child}: not among the child names ClusterPlatform's docstring lists")
    if not any(block.title in heading for heading in _headings()):
        found.append(f"{block.title}: no heading in README.md or docs/")
    return found


@pytest.mark.parametrize("block", BLOCKS, ids=[b.title for b in BLOCKS])
def test_everything_the_table_drives_has_the_block(block):
    assert missing(block) == []


def test_a_block_missing_from_what_the_table_drives_is_found():
    """A row whose key, Args, component, attribute and title exist nowhere else."""

    class NodeCacheArgs(Model):
        pass

    class NodeCache(pulumi.ComponentResource):
        pass

    def build_node_cache() -> list[Manifest]:
        return []

    row = Block[NodeCacheArgs](
        title="Node cache", keys={"dns.nodeCache": NodeCacheArgs, "nodeCache": NodeCacheArgs}, component=NodeCache, builder=build_node_cache,
        attribute="node_cache", child="node-cache", given=lambda p: None, build=lambda p, a: [], register=lambda p, a, c: None,
    )  # fmt: skip
    assert missing(row) == [
        "dns.nodeCache: no field of DnsArgs holds NodeCacheArgs",
        "dns.nodeCache: not in the stack schema",
        "NodeCacheArgs: not exported by clusterstack.components",
        "nodeCache: no field of ClusterPlatformArgs holds NodeCacheArgs",
        "nodeCache: not in the stack schema",
        "NodeCacheArgs: not exported by clusterstack.components",
        "NodeCache: not exported by clusterstack.components",
        "build_node_cache: not exported by clusterstack.components",
        "ClusterPlatform.node_cache: not annotated with NodeCache",
        "node-cache: not among the child names ClusterPlatform's docstring lists",
        "Node cache: no heading in README.md or docs/",
    ]


def test_every_key_of_the_platform_is_a_block_or_a_setting():
    """A key added to ClusterPlatformArgs (or under dns) without a row in the table fails here."""
    keys = {key for block in BLOCKS for key in block.keys}
    top = {(field.alias or name) for name, field in ClusterPlatformArgs.model_fields.items()}
    assert top == {key.split(".")[0] for key in keys} | set(SETTINGS)
    for group, model in GROUPS.items():
        assert {f"{group}.{field.alias or name}" for name, field in model.model_fields.items()} == {k for k in keys if k.startswith(f"{group}.")}
    assert set(_schema()["properties"]) == top | {"target"}


def test_every_exported_component_and_builder_is_a_block_or_part_of_one():
    """A block's module exported without a row in the table fails here."""
    blocks = {block.component.__name__ for block in BLOCKS} | {block.builder.__name__ for block in BLOCKS}
    components = {name for name in library.__all__ if isinstance(getattr(library, name), type) and issubclass(getattr(library, name), pulumi.ComponentResource)}
    builders = {name for name in library.__all__ if name.startswith("build_")}
    assert (components | builders) - blocks - set(PARTS) == {"ClusterPlatform", "build_platform"}
    assert set(PARTS.values()) <= {block.component.__name__ for block in BLOCKS}


def test_the_package_exports_exactly_the_names_it_loads_on_first_use():
    """``__all__`` and the ``TYPE_CHECKING`` imports the package reads its lazy names from agree, and
    each name loads (ruff catches an import missing from ``__all__``, not the other way round)."""
    assert sorted(library.__all__) == sorted(library._HOMES)
    assert len(library.__all__) == len(set(library.__all__))
    for name in library.__all__:
        assert getattr(library, name) is not None, name


def test_the_table_names_each_child_and_attribute_once():
    children = [block.child for block in BLOCKS if block.child is not None]
    attributes = [block.attribute for block in BLOCKS]
    assert len(set(children)) == len(children)
    assert len(set(attributes)) == len(attributes)
    assert [key for block in BLOCKS for key in block.keys] == list(dict.fromkeys(key for block in BLOCKS for key in block.keys))


def _identity(manifest: Any) -> tuple[str, str, str, str]:
    metadata = manifest["metadata"]
    return manifest["apiVersion"], manifest["kind"], metadata.get("namespace", ""), metadata["name"]


def test_a_platform_with_every_block_registers_what_build_platform_builds():
    """Each block deployed once: its attribute holds its component(s), named after the platform, and the
    components register exactly the objects build_platform returns, in the same order."""
    args = ClusterPlatformArgs.model_validate(EVERY_BLOCK)
    made: list[ClusterPlatform] = []
    recording = run(lambda: made.append(ClusterPlatform("p", args, environment="qa")), stack="qa")
    [platform] = made
    for block in BLOCKS:
        held = getattr(platform, block.attribute)
        components = list(held.values()) if isinstance(held, dict) else [held]
        assert components, block.title
        assert all(isinstance(component, block.component) for component in components), block.title
    top = [r.name for r in recording.resources if r.parent == recording.of_type("clusterstack:platform:ClusterPlatform")[0].urn]
    assert sorted(top) == sorted([f"p/{b.child}" for b in BLOCKS if b.child is not None] + ["p/payments", "p/checkout"])
    built = [_identity(m) for m in build_platform(args, "qa")]
    assert len(built) > 20
    assert [_identity(o) for o in recording.kubernetes_objects()] == built


def test_a_platform_without_blocks_holds_none_of_them():
    made: list[ClusterPlatform] = []
    run(lambda: made.append(ClusterPlatform("p", {})))
    [platform] = made
    for block in BLOCKS:
        assert getattr(platform, block.attribute) == ({} if block.child is None else None), block.title
    assert build_platform(ClusterPlatformArgs()) == []

