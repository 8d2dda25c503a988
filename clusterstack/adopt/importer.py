"""``clusterstack import``, the pure middle and the one write: load → normalise → map (tenants,
cluster-wide, DNS) → merge into the stack file → validate → write, with the report.

Nothing is written unless the merged stack file reads and validates as every command reads it
(``stack/yamlfile.py``, then the spec with common.yaml under it), and then atomically: on any error
the stack file is as it was.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..components.cluster import ClusterDns, ClusterSpec
from ..errors import ClusterstackError, Problem
from ..files import write_atomic
from ..kube.live import normalised
from ..kube.names import SYSTEM_PRIORITY_CLASSES
from ..kube.paths import dotted
from ..kube.schema import schema_problems
from ..stack.files import PREFIX, Layer, StackConfig, deep_merge
from ..stack.project import Project
from ..stack.spec import load_spec
from ..stack.yamlfile import parse_yaml, read_bounded
from . import cluster, dns, tenants
from .dump import LiveObject, load
from .report import Note
from .writer import Merged, merge

READ_KINDS = frozenset(
    {
        # What the dump command lists (kubectl get namespaces,resourcequotas,… -A -o yaml).
        "Namespace", "ResourceQuota", "LimitRange", "NetworkPolicy", "Service", "ServiceAccount", "RoleBinding",
        "PriorityClass", "StorageClass", "ConfigMap", "Deployment", "DaemonSet",
        # What the DNS add-ons' manifests also hold, which the cluster mappers read with them.
        "ClusterRole", "ClusterRoleBinding", "Role", "PodDisruptionBudget",
    }
)
"""Kinds the import reads; any other object is a report line, not an error (a GitOps directory holds
Deployments' Ingresses, CRDs, Secrets)."""


@dataclass(frozen=True)
class Imported:
    """What a dump says, in the stack's terms: ``values`` (``clusterstack:`` keys without the prefix),
    the report's notes, and how many objects were read."""

    values: dict[str, Any]
    notes: list[Note]
    objects: int


def read(objects: Sequence[LiveObject], base: Mapping[str, Any] | None = None) -> Imported:
    """Map ``objects`` (as loaded) onto the stack. ``base`` is the stack's values so far (common.yaml and
    its file, merged), which say where the cluster's DNS is when the dump does not."""
    notes: list[Note] = []
    kept: list[LiveObject] = []
    for live in objects:
        if live.kind not in READ_KINDS:
            notes.append(Note(live.describe(), "", "unfit", f"clusterstack does not manage {live.kind} objects"))
            continue
        # The API's schema first: every mapper may then rely on the object's shape (labels a map of
        # strings, ports a list of objects), however the dump was made or edited.
        invalid = next(iter(schema_problems(live.body)), None)
        if invalid is not None:
            notes.append(Note(live.describe(), dotted(invalid.path), "unfit", f"not a valid {live.kind}: {invalid.message}; not read"))
            continue
        kept.append(LiveObject(live.source, normalised(live.body)))
    cluster_values, cluster_notes = cluster.map_cluster(kept)
    dns_values, dns_notes = dns.map_dns(kept)
    values: dict[str, Any] = deep_merge(cluster_values, dns_values)
    where = deep_merge(dict(base) if base is not None else {}, values)
    tenant_values, tenant_notes = tenants.map_tenants(kept, cluster_dns(where))
    values = deep_merge(values, tenant_values)
    existing, class_notes = _named_classes(values, deep_merge(where, values))
    if existing:
        values = deep_merge(values, {"cluster": {"existing": existing}})
    return Imported(values, [*notes, *cluster_notes, *dns_notes, *tenant_notes, *class_notes], len(objects))


_STORAGE_CLASS_QUOTA = ".storageclass.storage.k8s.io/"


def _named_classes(values: Mapping[str, Any], stack: Mapping[str, Any]) -> tuple[dict[str, list[str]], list[Note]]:
    """The classes the imported quotas name that neither the dump nor the stack declares: the cluster
    has them (a quota naming a class that does not exist tracks nothing, and no one writes one), so
    they are listed under ``cluster.existing``, each with a note, rather than refused."""
    existing = (stack.get("cluster") or {}).get("existing") or {}
    declared = {
        "priorityClasses": {*(stack.get("priorityClasses") or {}), *(existing.get("priorityClasses") or ()), *SYSTEM_PRIORITY_CLASSES},
        "storageClasses": {*(stack.get("storageClasses") or {}), *(existing.get("storageClasses") or ())},
    }
    named: dict[str, dict[str, str]] = {"priorityClasses": {}, "storageClasses": {}}
    for namespace, tenant in sorted((values.get("namespaces") or {}).items()):
        quotas = [tenant.get("quota") or {}, *(q.get("hard") or {} for q in tenant.get("quotas") or ())]
        for hard in quotas:
            for key in hard:
                if _STORAGE_CLASS_QUOTA in key:
                    named["storageClasses"].setdefault(key.split(_STORAGE_CLASS_QUOTA)[0], namespace)
        for quota in tenant.get("quotas") or ():
            for expression in (quota.get("scopeSelector") or {}).get("matchExpressions") or ():
                if expression.get("scopeName") == "PriorityClass" and expression.get("operator") in ("In", "NotIn"):
                    for value in expression.get("values") or ():
                        named["priorityClasses"].setdefault(value, namespace)
    found: dict[str, list[str]] = {}
    notes = []
    for key, names in named.items():
        missing = sorted(set(names) - declared[key])
        if missing:
            found[key] = sorted({*(existing.get(key) or ()), *missing})
        for name in missing:
            kind = "PriorityClass" if key == "priorityClasses" else "StorageClass"
            notes.append(Note(f"{kind} {name}", "", "adopted", f"named by a quota in {names[name]} but not in the dump: listed under "
                              f"cluster.existing.{key} as one the cluster has"))
    return found, notes


def cluster_dns(values: Mapping[str, Any]) -> ClusterDns:
    """Where the stack's ``allowDNS`` policies send DNS: the NodeLocal DNSCache's IP and the kube-dns
    ClusterIP when the stack runs the cache, else the kube-dns pods (``ClusterPlatformArgs.cluster_dns``)."""
    node_local = (values.get("dns") or {}).get("nodeLocal") if isinstance(values.get("dns"), Mapping) else None
    if not isinstance(node_local, Mapping):
        return ClusterDns.kube_dns()
    try:
        spec = ClusterSpec.model_validate(values.get("cluster") or {})
    except ValidationError:
        spec = ClusterSpec()
    return ClusterDns.node_local(str(node_local.get("localIP", "169.254.20.10")), spec)


_STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
"""Pulumi's stack names (pkg/backend/filestate/backend.go, ValidateStackName): the new file's name is
made of it, so a name with a slash never reaches a path."""


@dataclass(frozen=True)
class Outcome:
    """What ``run`` did: the stack file's display name and new text, the report's notes, the paths the
    file's own values were kept at, (``--common``) what every stack shares, and the dump's objects as
    loaded (what ``clusterstack import`` then records in the stack's state)."""

    display: str
    text: str
    imported: Imported
    kept: list[str]
    common: dict[str, Any]
    objects: list[LiveObject]


def run(project: Project, stack: str, sources: Sequence[Path], *, overwrite: bool = False, write: bool = True) -> Outcome:
    """Import ``sources`` into the stack's file (created if absent); ``write=False`` only computes it."""
    if not _STACK_NAME.fullmatch(stack):
        raise ClusterstackError([f"{stack!r} is not a stack name: at most 100 letters, digits, '-', '_' or '.' (Pulumi's rule)"])
    path = project.stack_file(stack)
    display = project.display(path)
    objects = load(sources)
    common_layer = _layer(project, project.common_file)
    stack_layer = _layer(project, path)  # refuses, naming the file, what no command could read
    existing = read_bounded(path).decode("utf-8-sig") if stack_layer is not None else None
    base = _platform(StackConfig(stack, tuple(layer for layer in (common_layer, stack_layer) if layer is not None)))
    imported = read(objects, base)
    values = _without(copy.deepcopy(imported.values), _platform(StackConfig(stack, (common_layer,))) if common_layer is not None else {})
    header = f"# Written by clusterstack import from {', '.join(str(s) for s in sources)}; review it, then preview.\n"
    own = stack_layer.config if stack_layer is not None else {}
    while True:
        merged = merge(existing, values, display, overwrite=overwrite, header=header)
        try:
            _validate(project, stack, merged, common_layer, display)
            break
        except ClusterstackError as error:
            dropped = _drop_refused(values, error.problems, own)
            if dropped is None:
                raise ClusterstackError(
                    [Problem(p.file, p.path, f"{p.message} (in what the import would write; the stack file is untouched)") for p in error.problems]
                ) from None
            imported = replace(imported, notes=[*imported.notes, *dropped])
    outcome = Outcome(display, merged.text, imported, merged.kept, shared_values(project, stack, values), list(objects))
    if write:
        save(project, stack, outcome)
    return outcome


def save(project: Project, stack: str, outcome: Outcome) -> None:
    """Write what ``run`` computed into the stack's file, atomically (its directory made if absent)."""
    path = project.stack_file(stack)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, outcome.text.encode())


def _layer(project: Project, path: Path) -> Layer | None:
    if not path.is_file():
        return None
    display = project.display(path)
    data = parse_yaml(read_bounded(path), display) or {}
    config = data.get("config") if isinstance(data, dict) else None
    return Layer(display, _keys(project, config if isinstance(config, dict) else {}))


def _keys(project: Project, config: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k) if ":" in str(k) else f"{project.name}:{k}": v for k, v in config.items()}


def _platform(config: StackConfig) -> dict[str, Any]:
    return config.platform_values()


def _validate(project: Project, stack: str, merged: Merged, common: Layer | None, display: str) -> None:
    """The new file as every command will read it: parsed by the project's reader, then the spec with
    common.yaml under it. A problem here is the import's to report: nothing is written."""
    data = parse_yaml(merged.text.encode(), display) or {}
    layer = Layer(display, _keys(project, data.get("config") or {}))
    load_spec(StackConfig(stack, tuple(x for x in (common, layer) if x is not None)))


_DROPPABLE = {"namespaces": "Namespace", "loadBalancers": "Service", "existingNamespaces": "Namespace"}


def _drop_refused(values: dict[str, Any], problems: Sequence[Problem], own: Mapping[str, Any]) -> list[Note] | None:
    """Take out of ``values`` each imported tenant, load balancer or existing namespace the stack as a
    whole refuses (a LoadBalancer beyond its namespace's quota, a name the API would not take), and a
    note for each; None when a problem is not one the import brought in, which is then the user's to fix."""
    notes = []
    dropped: set[tuple[str, str]] = set()
    for problem in problems:
        head, _, rest = problem.path.removeprefix(PREFIX).partition(".")
        name, _, field = rest.partition(".")
        entries = values.get(head)
        known = isinstance(entries, dict) and (name in entries or (head, name) in dropped)
        if head not in _DROPPABLE or not known or name in (own.get(f"{PREFIX}{head}") or {}):
            return None
        if (head, name) not in dropped:
            del entries[name]  # type: ignore[union-attr]  # a dict: known says so
            dropped.add((head, name))
            if not entries:
                del values[head]
        notes.append(Note(f"{_DROPPABLE[head]} {name}", field, "unfit", f"{problem.message}; not imported ({problem.path} refused)"))
    return notes


def _without(values: Mapping[str, Any], common: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` less what common.yaml already says (the stack file holds only its overrides)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in common and common[key] == value:
            continue
        if isinstance(value, Mapping) and isinstance(common.get(key), Mapping):
            inner = _without(value, common[key])
            if inner:
                out[key] = inner
        else:
            out[key] = value
    return out


def shared_values(project: Project, stack: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The imported values every other stack's file also holds, equal, and common.yaml does not: what
    ``--common`` suggests moving to common.yaml. Empty when the project has no other stack."""
    others = [name for name in project.stacks() if name != stack]
    layers = [layer for layer in (_layer(project, project.stack_file(name)) for name in others) if layer is not None]
    if not layers:
        return {}
    shared = dict(values)
    for layer in layers:
        shared = _common_part(shared, _platform(StackConfig(stack, (layer,))))
    return shared


def _common_part(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in ours.items():
        if key not in theirs:
            continue
        if isinstance(value, Mapping) and isinstance(theirs[key], Mapping):
            inner = _common_part(value, theirs[key])
            if inner:
                out[key] = inner
        elif value == theirs[key]:
            out[key] = value
    return out


def leaves(values: Mapping[str, Any], at: str = "") -> Iterator[str]:
    """Each leaf's dotted path under ``clusterstack:`` (what ``--common`` lists)."""
    for key, value in values.items():
        path = f"{at}.{key}" if at else f"{PREFIX}{key}"
        if isinstance(value, Mapping) and value:
            yield from leaves(value, path)
        else:
            yield path
