"""What the cluster-wide mappers (cluster.py, dns.py and the DNS add-ons' modules) share: whose an
object is, the report's notes about it, and the stack's values checked by the spec's own models.

Whose: an object carrying clusterstack's ``app.kubernetes.io/managed-by`` label is the stack's own (a
round trip gives back the stack that made it); one the addon manager reconciles
(``addonmanager.kubernetes.io/mode``, ``kubernetes.io/cluster-service``: the labels GKE, AKS, minikube
and Kubernetes' own cluster/addons manifests put on what the distribution ships) is the
distribution's; anything else was made by hand or by another tool, and the stack takes it over.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..components.labels import ENVIRONMENT, MANAGED_BY
from ..components.pydantic_errors import describe
from ..kube.live import normalised
from ..kube.paths import dotted
from .dump import LiveObject
from .report import Note, Outcome

ADDON_MANAGER = "addonmanager.kubernetes.io/mode"
CLUSTER_SERVICE = "kubernetes.io/cluster-service"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

SERVER_METADATA = frozenset(
    ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds")
)
"""``metadata`` fields the API server writes (ObjectMeta's read-only fields, k8s.io/apimachinery
pkg/apis/meta/v1/types.go): never intent, so never reported."""
SERVER_ANNOTATIONS = frozenset((LAST_APPLIED, "deprecated.daemonset.template.generation", "deployment.kubernetes.io/revision"))
"""Annotations that tools and controllers write on an object (kubectl apply, the DaemonSet and
Deployment controllers), not its author."""

M = TypeVar("M", bound=BaseModel)


def labels_of(live: LiveObject) -> dict[str, str]:
    meta = live.body.get("metadata")
    found = meta.get("labels") if isinstance(meta, dict) else None
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def annotations_of(live: LiveObject) -> dict[str, str]:
    meta = live.body.get("metadata")
    found = meta.get("annotations") if isinstance(meta, dict) else None
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def ours(live: LiveObject) -> bool:
    """Made by clusterstack: the stack already declares it, and takes nothing over."""
    return labels_of(live).get(MANAGED_BY) == "clusterstack"


def shipped(live: LiveObject) -> str | None:
    """Why the object is the distribution's (the addon manager's label), or None."""
    found = labels_of(live)
    if ADDON_MANAGER in found:
        return f"the addon manager keeps it ({ADDON_MANAGER}: {found[ADDON_MANAGER]})"
    if found.get(CLUSTER_SERVICE) == "true":
        return f"the distribution ships it ({CLUSTER_SERVICE}: \"true\")"
    return None


PATCHED = "patches the fields the stack sets onto it"
"""How ``onExisting: adopt`` takes over an add-on: a server-side-apply patch (docs/engine/live.md)."""
IMPORTED = "takes it over with pulumi-kubernetes' import option; the stack owns it from then on"
"""How it takes over a class: the ``import`` resource option (docs/engine/live.md)."""


def on_existing(live: LiveObject, notes: list[Note], what: str, how: str = PATCHED) -> dict[str, str]:
    """``{"onExisting": "adopt"}`` for an object the cluster has that clusterstack did not make
    (creating it would fail with AlreadyExists), with its note; ``{}`` for clusterstack's own."""
    if ours(live):
        return {}
    why = shipped(live)
    notes.append(note(live, "", "adopted", f"{what}: onExisting: adopt {how}{'; ' + why if why else ''}"))
    return {"onExisting": "adopt"}


def dig(body: Any, *keys: str) -> dict[str, Any]:
    """The map at ``keys`` under ``body``, or {} where the object has none or something else there: a
    dump's object may hold anything, and the mapping reads it without a traceback."""
    for key in keys:
        body = body.get(key) if isinstance(body, dict) else None
    return body if isinstance(body, dict) else {}


def listed(value: Any) -> list[Any]:
    """``value`` when it is a list, else [] (what a malformed object holds is noted where it matters)."""
    return value if isinstance(value, list) else []


def containers(live: LiveObject, name: str | None = None) -> list[dict[str, Any]]:
    """The pod template's containers (those named ``name``), each a map."""
    found = [c for c in listed(dig(live.body, "spec", "template", "spec").get("containers")) if isinstance(c, dict)]
    return [c for c in found if name is None or c.get("name") == name]


def unreadable(error: Exception) -> str:
    """What a parser said about a value it could not read, in one line. A value nested deeper than
    Python recurses (a Corefile of ten thousand ``{``, JSON of ten thousand ``[``) is said so, not a
    traceback."""
    if isinstance(error, RecursionError):
        return "nests too deep to read"
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None)
    if isinstance(problem, str) and mark is not None:  # a YAML parser's: what, then where (libyaml: "exceeded maximum nesting depth")
        return f"{problem}, line {mark.line + 1}, column {mark.column + 1}"
    lines = str(error).splitlines()
    return lines[0] if lines else type(error).__name__


def note(live: LiveObject, field: str, outcome: Outcome, reason: str) -> Note:
    return Note(live.describe(), field, outcome, reason)


def find(objects: Iterable[LiveObject], kind: str, namespace: str, name: str) -> LiveObject | None:
    for live in objects:
        if live.kind == kind and live.namespace == namespace and live.name == name:
            return live
    return None


def foreign_metadata(live: LiveObject, notes: list[Note], kept: Sequence[str] = ()) -> None:
    """A note for each label and annotation the stack's object would not carry: the stack writes only
    its own labels, and the annotations in ``kept``."""
    for key in sorted(labels_of(live)):
        if key not in (MANAGED_BY, ENVIRONMENT):
            notes.append(note(live, f"metadata.labels.{key}", "unfit", "the stack writes only its own labels on this object; it stays as the cluster has it"))
    for key in sorted(annotations_of(live)):
        if key not in kept and key not in SERVER_ANNOTATIONS:
            notes.append(note(live, f"metadata.annotations.{key}", "unfit", "the stack has no setting for this annotation; it stays as the cluster has it"))


def leftover(live: LiveObject, body: Mapping[str, Any], known: Iterable[str], at: str, notes: list[Note]) -> None:
    """A note for each field of ``body`` (at ``at`` in the object) that the mapping does not read."""
    for key in sorted(set(body) - set(known)):
        notes.append(note(live, f"{at}{key}", "unfit", "the stack has no setting for this field"))


def checked(model: type[M], values: Mapping[str, Any], live: LiveObject, at: str, notes: list[Note]) -> M | None:
    """``values`` as the stack's ``model`` reads them, or None with a note for each problem: a value the
    cluster holds that the stack refuses (a malformed quantity, a class value above the user range)."""
    try:
        return model.model_validate(dict(values))
    except ValidationError as error:
        for finding in describe(error, model):
            notes.append(note(live, dotted((at, *finding.path)) if at else dotted(finding.path), "unfit", f"the stack refuses it: {finding.message}"))
        return None


_ABSENT = object()


_NOT_COMPARED = ("apiVersion", "kind", "metadata", "status", "data")
"""What ``bundle_notes`` leaves out: identity, the labels the stack sets on its own objects and the
addon manager on its, and a ConfigMap's data, which the mappers compare by meaning (a Corefile's
blocks, the autoscaler's JSON)."""


def bundle_notes(objects: Iterable[LiveObject], rendered: Iterable[Mapping[str, Any]], notes: list[Note]) -> None:
    """For each object an add-on's component renders from the settings imported that the dump holds
    too, a note for each field the stack's writes otherwise (a Deployment's flags, a DaemonSet's
    tolerations, a ClusterRole's rules, a Service's ports); both sides normalised (kube/live.py), so
    only what someone declared is compared, however the dump was taken."""
    held = list(objects)
    for manifest in rendered:
        meta = manifest.get("metadata") or {}
        live = find(held, str(manifest.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name")))
        if live is not None:
            _object_notes(live, manifest, notes)


def _object_notes(live: LiveObject, rendered: Mapping[str, Any], notes: list[Note]) -> None:
    try:
        have, want = normalised(live.body), normalised(dict(rendered))
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return  # an object of the wrong shape: the mapping's own notes say what it could not read
    what = live.kind
    for key in _NOT_COMPARED:
        have.pop(key, None)
        want.pop(key, None)
    for path, theirs, ours in _differences(have, want, ()):
        if _words(theirs) and _words(ours):
            # A command or an argument list: which words go and come, not two long lists.
            gone = [word for word in theirs if word not in ours]
            new = [word for word in ours if word not in theirs]
            said = [*(f"drops {_shown(word)}" for word in gone), *(f"adds {_shown(word)}" for word in new)]
            reason = f"the stack's {what} {', '.join(said) if said else 'orders them otherwise'}"
        elif ours is _ABSENT:
            reason = f"the stack's {what} does not set it (the cluster has {_shown(theirs)})"
        elif theirs is _ABSENT:
            reason = f"the stack's {what} adds {_shown(ours)}"
        else:
            reason = f"the stack's {what} has {_shown(ours)} (the cluster has {_shown(theirs)})"
        notes.append(note(live, dotted(path), "unfit", reason))


def _words(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(word, str) for word in value)


def _shown(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else f"{text[:limit]}…"


def _differences(have: Any, want: Any, at: tuple[str | int, ...]) -> Iterable[tuple[tuple[str | int, ...], Any, Any]]:
    if isinstance(have, dict) and isinstance(want, dict):
        for key in sorted(set(have) | set(want)):
            yield from _differences(have.get(key, _ABSENT), want.get(key, _ABSENT), (*at, key))
    elif isinstance(have, list) and isinstance(want, list) and len(have) == len(want) and not (_words(have) and _words(want)):
        for index, (one, other) in enumerate(zip(have, want, strict=True)):
            yield from _differences(one, other, (*at, index))
    elif have != want:
        yield at, have, want


def dumped(model: BaseModel) -> dict[str, Any]:
    """A model's values in the stack files' spelling, every default left out, as a person writes them."""
    return model.model_dump(mode="json", by_alias=True, exclude_defaults=True)
