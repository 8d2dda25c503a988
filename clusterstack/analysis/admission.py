"""Would the API server admit this workload in that namespace? LimitRanger and ResourceQuota, offline.

For each object, in order, as if applied one after another to the stack's namespaces, the API server's
own pipeline (v1.34), from its source (k8s.io/kubernetes: pkg/apis/core/v1/defaults.go,
pkg/apis/core/validation, plugin/pkg/admission/limitranger/admission.go, pkg/quota/v1/evaluator/core/*.go;
k8s.io/component-helpers/resource; k8s.io/apiserver: pkg/admission/plugin/resourcequota/controller.go;
k8s.io/apimachinery: pkg/api/resource for how quantities print):

1. decoding defaults: every quantity rounded up to a thousandth; a container's missing request
   for a resource it limits becomes the limit (containers and init containers);
2. the mutating admission plugins: LimitRanger's defaults (``limitranger.py``: each LimitRange of the
   namespace in turn, in name order, fills what is still missing from its ``Container`` entries'
   ``default`` and ``defaultRequest``, the LimitRange defaulted as the API server stores it);
   Priority (plugin/pkg/admission/priority/admission.go), which gives a pod naming no class the
   stack's globalDefault class and refuses one naming a class the cluster does not have ("no
   PriorityClass with name x was found"); DefaultStorageClass
   (plugin/pkg/admission/storage/storageclass/setdefault), which gives a claim with no
   storageClassName the default StorageClass, so per-class quotas count it;
3. validation (422): a negative quantity, a request above its limit, a claim without a positive storage
   request;
4. LimitRanger's checks: ``min``, ``max`` and ``maxLimitRequestRatio`` per container, per pod (``pods.py``:
   init containers at their peak, sidecars summed, pod-level resources replacing the containers' sum)
   and per claim, one LimitRange after another, the first with problems refusing;
5. ResourceQuota: every quota of the namespace whose scopes match the object, in name order: the
   compute resources a quota tracks must be set on every container unless the pod sets pod-level
   resources ("must specify"), the object's usage may not be negative, and what it adds to what earlier
   objects (and ``--usage``) use may not exceed ``hard``.

The first failing step wins, and its message is the API server's. Workloads (Deployments and the
rest) are admitted as the Pods their controller would create, one per replica; the workload object
itself counts against ``count/<resource>.<group>`` quotas. Creates only: an object the cluster already
has (metadata.resourceVersion) is refused as input; usage that depends on status and the
limitedResources admission configuration are not modelled. tests/conformance holds upstream's own
cases for all of it. What admission reads (the namespaces, the classes, what each kind of object
charges) is ``admitted.py``; this module is the algorithm.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .admitted import (
    OBJECT_COUNTS,
    WORKLOADS,
    Classes,
    Namespace,
    QuotaRule,
    claim_requests,
    claim_usage,
    classes_of,
    namespaces_of,
    pod_template,
    service_usage,
)
from .limitranger import LimitItem, apply_defaults, claim_problems, limit_range_problems
from .pods import (
    COMPUTE,
    Container,
    PodShape,
    invalid_requests,
    must_specify,
    pod_compute_usage,
    pod_constraints,
    pod_matches,
    pod_requests_and_limits,
    pod_shape,
    pod_usage,
)
from .quantities import ZERO, Amount, BadObject, Resources

__all__ = [  # what the conformance suite and the CLI read, wherever it lives
    "ZERO",
    "Admission",
    "Amount",
    "BadObject",
    "Classes",
    "Container",
    "LimitItem",
    "Namespace",
    "PodShape",
    "QuotaRule",
    "Resources",
    "Verdict",
    "apply_defaults",
    "claim_usage",
    "classes_of",
    "must_specify",
    "namespaces_of",
    "pod_constraints",
    "pod_matches",
    "pod_requests_and_limits",
    "pod_shape",
    "pod_usage",
    "service_usage",
]


@dataclass
class Verdict:
    kind: str
    namespace: str
    name: str
    admitted: bool
    reasons: list[str] = field(default_factory=list)
    defaulted: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    """Container -> {"requests": {...}, "limits": {...}}, after defaulting (for admitted pods)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "admitted": self.admitted,
            "reasons": self.reasons,
            "defaulted": self.defaulted,
        }



# --- Admission ---------------------------------------------------------------------------------------


class Admission:
    """Objects admitted one after another into the stack's namespaces, each charging its quotas."""

    def __init__(self, namespaces: dict[str, Namespace], classes: Classes | None = None) -> None:
        self.namespaces = namespaces
        self.classes = classes if classes is not None else Classes()

    def admit(self, manifest: Mapping[str, Any]) -> Verdict:
        kind = str(manifest.get("kind", ""))
        meta = manifest.get("metadata") or {}
        name = str(meta.get("name") or meta.get("generateName") or "")
        namespace = meta.get("namespace")
        if not name:
            raise BadObject(f"a {kind or 'object'} without metadata.name")
        if not namespace:
            raise BadObject(f"{kind} {name} has no metadata.namespace; give it one of the stack's namespaces")
        if namespace not in self.namespaces:
            known = ", ".join(sorted(self.namespaces)) or "none"
            raise BadObject(f"{kind} {namespace}/{name}: namespace {namespace} is not one the stack declares (it declares {known})")
        for field_name in ("resourceVersion", "deletionTimestamp"):
            if meta.get(field_name):
                raise BadObject(
                    f"{kind} {namespace}/{name}: metadata.{field_name} marks an object the cluster already has; "
                    "admit answers for creates only, not updates or deletes: remove the field to ask whether it could be created"
                )
        space = self.namespaces[namespace]
        verdict = Verdict(kind, namespace, name, True)
        spec = manifest.get("spec") or {}
        if kind not in ("Pod", "PersistentVolumeClaim", "Service", *WORKLOADS, *OBJECT_COUNTS):
            raise BadObject(f"{kind} {namespace}/{name}: admit reads Pods, workloads, PersistentVolumeClaims, Services, ConfigMaps and Secrets")
        if not isinstance(spec, Mapping):
            raise BadObject(f"{kind} {namespace}/{name}: spec is {type(spec).__name__}, not a map")
        try:
            if kind == "Pod":
                self._pod(space, verdict, name, spec)
            elif kind in WORKLOADS:
                self._workload(space, verdict, kind, name, spec)
            elif kind == "PersistentVolumeClaim":
                self._claim(space, verdict, name, spec, meta)
            elif kind == "Service":
                self._counted(space, verdict, "services", service_usage(spec))
            else:
                legacy, counted = OBJECT_COUNTS[kind]
                self._counted(space, verdict, legacy, {legacy: Amount(Fraction(1)), counted: Amount(Fraction(1))})
        except BadObject as error:  # name the object; the key path is in the message
            raise BadObject(f"{kind} {namespace}/{name}: {error}") from None
        return verdict

    # Pods --------------------------------------------------------------------------------------

    def _pod(self, space: Namespace, verdict: Verdict, name: str, spec: Mapping[str, Any]) -> None:
        shape = pod_shape(spec)
        defaulted = apply_defaults(shape, space.limit_ranges)
        if not shape.priority_class and self.classes.global_default is not None:
            shape.priority_class = self.classes.global_default
        elif shape.priority_class and shape.priority_class not in self.classes.priority:
            verdict.admitted = False
            verdict.reasons.append(f'pods "{name}" is forbidden: no PriorityClass with name {shape.priority_class} was found')
            return
        invalid = invalid_requests(shape)
        if invalid:
            verdict.admitted = False
            verdict.reasons.append(f'Pod "{name}" is invalid: {_aggregate(invalid)}')
            return
        refused = limit_range_problems(shape, space.limit_ranges)
        if refused:
            verdict.admitted = False
            verdict.reasons.append(f'pods "{name}" is forbidden: {_aggregate(refused)}')
            return
        if spec.get("overhead") is not None and not spec.get("runtimeClassName"):
            # RuntimeClass admission (plugin/pkg/admission/runtimeclass/admission.go validateOverhead): only a
            # RuntimeClass may set overhead. With a class named, admit charges the overhead the pod states
            # (the stack does not know the cluster's RuntimeClasses).
            verdict.admitted = False
            verdict.reasons.append(f'pods "{name}" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead')
            return
        problem = self._charge(space, pod_compute_usage(shape), lambda quota: pod_matches(quota.scopes, quota.selector, shape), pod_constraints(shape))
        if problem:
            verdict.admitted = False
            verdict.reasons.append(f'pods "{name}" is forbidden: {problem}')
            return
        verdict.defaulted = defaulted

    def quota(self, namespace: str, usage: Resources) -> str | None:
        """ResourceQuota admission alone for an object that quota scopes never select (a claim, a
        Service): None, with the namespace's quotas charged, or the refusal."""
        return self._charge(self.namespaces[namespace], usage, _no_scopes, None)

    def _workload(self, space: Namespace, verdict: Verdict, kind: str, name: str, spec: Mapping[str, Any]) -> None:
        resource = WORKLOADS[kind]
        problem = self._charge(space, {f"count/{resource}": Amount(Fraction(1))}, _no_scopes, None)
        if problem:
            verdict.admitted = False
            verdict.reasons.append(f'{resource} "{name}" is forbidden: {problem}')
            return
        template, replicas = pod_template(kind, spec)
        where = "spec.jobTemplate.spec.template." if kind == "CronJob" else "spec.template."
        for index in range(replicas):
            pod = Verdict("Pod", verdict.namespace, f"{name}-{index + 1}", True)
            try:
                self._pod(space, pod, f"{name}-…", template.get("spec") or {})
            except BadObject as error:  # the key path from the workload's own spec
                raise BadObject(f"{where}{error}" if str(error).startswith("spec") else str(error)) from None
            if not pod.admitted:
                verdict.admitted = False
                verdict.reasons += [f"pod {index + 1} of {replicas}: {reason}" for reason in pod.reasons]
                return
            verdict.defaulted = pod.defaulted

    # Claims, Services and other counted objects --------------------------------------------------

    def _claim(self, space: Namespace, verdict: Verdict, name: str, spec: Mapping[str, Any], meta: Mapping[str, Any]) -> None:
        requests = claim_requests(spec)
        # ValidatePersistentVolumeClaimSpec (pkg/apis/core/validation): storage is required and positive.
        storage_asked = requests.get("storage")
        if storage_asked is None or storage_asked.value <= 0:
            detail = "Required value" if storage_asked is None else f'Invalid value: "{storage_asked}": must be greater than zero'
            verdict.admitted = False
            verdict.reasons.append(f'PersistentVolumeClaim "{name}" is invalid: spec.resources[storage]: {detail}')
            return
        refused = claim_problems(requests, space.limit_ranges)
        if refused:
            verdict.admitted = False
            verdict.reasons.append(f'persistentvolumeclaims "{name}" is forbidden: {_aggregate(refused)}')
            return
        self._counted(space, verdict, "persistentvolumeclaims", claim_usage(spec, meta, self.classes.default_storage))

    def _counted(self, space: Namespace, verdict: Verdict, resource: str, usage: Resources) -> None:
        problem = self._charge(space, usage, _no_scopes, None)
        if problem:
            verdict.admitted = False
            verdict.reasons.append(f'{resource} "{verdict.name}" is forbidden: {problem}')

    # Quota ---------------------------------------------------------------------------------------

    def _charge(self, space: Namespace, usage: Resources, matches: Any, missing: Mapping[str, list[str]] | None) -> str | None:
        """ResourceQuota admission: None, with every matching quota charged, or the API server's refusal.
        A quota matches when it tracks something this kind of object uses and its scopes select it;
        ``missing`` (pods only) names the containers that leave each compute resource unset."""
        # A zero in the usage still counts (checkRequest masks the usage by the quota's names, zeros
        # included): a Service without load balancers is refused by a quota whose load balancers are
        # already over its hard limit, as the API server refuses it.
        handled = _pod_handles if missing is not None else (lambda name: name in usage)
        matching = [q for q in space.quotas if any(handled(name) for name in q.hard) and matches(q)]
        for quota in matching:
            if missing is not None:
                message = must_specify(missing, quota.hard)
                if message is not None:
                    return f"failed quota: {quota.name}: {message}"
        if not usage or not matching:
            return None
        negative = sorted(key for key, value in usage.items() if value.value < 0)
        if negative:  # checkRequest (k8s.io/apiserver resourcequota/controller.go) guards every quota's sum
            return f"quota usage is negative for resource(s): {','.join(negative)}"
        for quota in matching:
            used = space.used.get(quota.name, {})
            requested = {key: value for key, value in usage.items() if key in quota.hard}
            exceeded = sorted(key for key, value in requested.items() if (used.get(key, ZERO) + value).value > quota.hard[key].value)
            if exceeded:
                return (
                    f"exceeded quota: {quota.name}, requested: {_pretty(requested, exceeded)}, "
                    f"used: {_pretty({key: used.get(key, ZERO) for key in exceeded}, exceeded)}, limited: {_pretty(quota.hard, exceeded)}"
                )
        for quota in matching:
            used = space.used.setdefault(quota.name, {})
            for key, value in usage.items():
                if key in quota.hard:
                    used[key] = used.get(key, ZERO) + value
        return None


def _pod_handles(name: str) -> bool:
    """The quota resources the pod evaluator tracks (MatchingResources)."""
    return (
        name in ("pods", "count/pods", *COMPUTE)
        or name.startswith(("requests.", "limits.", "hugepages-"))
    )


def _no_scopes(quota: QuotaRule) -> bool:
    """Services, claims and object counts: a quota with any scope never tracks them."""
    return not quota.scopes and not quota.selector


def _pretty(values: Mapping[str, Amount], keys: Sequence[str]) -> str:
    return ",".join(f"{key}={values[key]}" for key in sorted(keys))


def _aggregate(messages: list[str]) -> str:
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"
