"""TenantNamespace: a namespace for one team, with its quotas, limit range and Pod Security labels.

Pages: Share a Cluster with Namespaces; Enforcing Pod Security Standards with Namespace Labels; and
the quota and limit pages cited in ``quota.py`` and ``limits.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field

from . import labels as standard
from .bundle import Bundle, Manifest
from .kube.names import dns1123_label
from .kube.quantity import Quantity
from .limits import Limits, build_limit_range, container_defaults
from .model import AnnotationKey, KeyPath, LabelKey, LabelValue, Model, Problems, check_label_keys
from .network_policy import DEFAULT_DNS, DnsEndpoints, NetworkPolicyArgs, build_network_policies
from .pod_security import LABEL_PREFIX, PodSecurity
from .quota import Hard, QuotaSpec, build_quota
from .register import register

TENANT_QUOTA_NAME = "tenant-quota"


class TenantNamespaceArgs(Model):
    """One tenant namespace, as written under ``clusterstack:namespaces.<name>``."""

    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    annotations: dict[AnnotationKey, str] = Field(default_factory=dict)
    pod_security: PodSecurity | None = None
    """None: no Pod Security labels, so the cluster's admission default applies."""
    quota: Hard | None = None
    """The namespace's ResourceQuota (named tenant-quota); None: no such quota."""
    quotas: tuple[QuotaSpec, ...] = ()
    """Further named quotas, for instance scoped to a priority class."""
    limits: Limits | None = None
    """The namespace's LimitRange (named tenant-limits); None: no LimitRange."""
    network_policy: NetworkPolicyArgs | None = None
    """The namespace's NetworkPolicies; None: none (all traffic allowed, as Kubernetes defaults)."""

    def _problems(self) -> Problems:
        yield from check_label_keys(self.labels, "labels", standard.RESERVED)
        if self.pod_security is not None:
            for key in sorted(k for k in self.labels if k.startswith(LABEL_PREFIX)):
                yield ("labels", key), "conflicts with podSecurity, which sets the Pod Security labels; remove one of them"
        seen = {TENANT_QUOTA_NAME} if self.quota is not None else set()
        for index, quota in enumerate(self.quotas):
            if quota.name in seen:
                yield ("quotas", index, "name"), f"{quota.name} is already used by another quota in this namespace"
            seen.add(quota.name)

    def all_quotas(self) -> list[QuotaSpec]:
        tenant = [QuotaSpec(name=TENANT_QUOTA_NAME, hard=self.quota)] if self.quota is not None else []
        return tenant + list(self.quotas)

    def warnings(self) -> list[tuple[KeyPath, str]]:
        """Valid settings that will still hurt: a compute quota that pods without a default cannot satisfy."""
        defaults = container_defaults(self.limits)
        found: list[tuple[KeyPath, str]] = []
        quotas: list[tuple[KeyPath, Mapping[str, Quantity]]] = [(("quota",), self.quota)] if self.quota is not None else []
        quotas += [(("quotas", i, "hard"), q.hard) for i, q in enumerate(self.quotas)]
        for at, hard in quotas:
            for name in hard:
                need = _default_needed(name)
                if need is None:
                    continue
                field, resource = need
                if resource not in defaults[field]:
                    found.append(((*at, name), _quota_trap(name, field, resource)))
        return found


def _default_needed(quota_resource: str) -> tuple[str, str] | None:
    """Which LimitRange default a pod needs to satisfy this quota when its containers omit the resource."""
    kind, _, resource = quota_resource.partition(".")
    if kind == "limits" and resource in ("cpu", "memory", "ephemeral-storage"):
        return "default", resource
    if kind == "requests" and resource in ("cpu", "memory", "ephemeral-storage"):
        return "defaultRequest", resource
    if quota_resource in ("cpu", "memory", "ephemeral-storage"):
        return "defaultRequest", quota_resource
    return None


def _quota_trap(name: str, field: str, resource: str) -> str:
    what = "limit" if field == "default" else "request"
    return (
        f"no LimitRange {field} for {resource}: every pod with a container that sets no {resource} {what} "
        f'is rejected ("failed quota: must specify {name}"); set limits.container.{field}.{resource}'
        + (f" or limits.container.max.{resource}" if field == "default" else "")
    )


@dataclass(frozen=True)
class TenantObjects(Bundle):
    namespace: Manifest
    quotas: tuple[Manifest, ...]
    """tenant-quota first, then ``quotas`` in order."""
    limit_range: Manifest | None
    policies: tuple[Manifest, ...]


def build_tenant(
    name: str, args: TenantNamespaceArgs, environment: str | None = None, dns: DnsEndpoints = DEFAULT_DNS
) -> TenantObjects:
    """The Namespace, its ResourceQuotas, LimitRange and NetworkPolicies, as plain Kubernetes objects.

    ``dns`` says where DNS egress must be allowed to (the NodeLocal DNSCache's addresses, when it runs).
    """
    namespace_labels = dict(args.labels)
    if args.pod_security is not None:
        namespace_labels.update(args.pod_security.labels())
    return TenantObjects(
        namespace={
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": standard.object_meta(name, None, environment, namespace_labels, args.annotations),
        },
        quotas=tuple(build_quota(quota, name, environment) for quota in args.all_quotas()),
        limit_range=build_limit_range(args.limits, name, environment) if args.limits is not None else None,
        policies=tuple(build_network_policies(name, args.network_policy, dns, environment)) if args.network_policy is not None else (),
    )


class TenantNamespace(pulumi.ComponentResource):
    """A tenant namespace with its quotas, limits and Pod Security labels; ``name`` is the namespace's name."""

    namespace: pulumi.Output[str]
    """The namespace's name, once the Namespace exists (depend on it to create things inside)."""
    namespace_resource: k8s.core.v1.Namespace
    quotas: dict[str, k8s.core.v1.ResourceQuota]
    """By quota name: tenant-quota and each of ``quotas``."""
    limit_range: k8s.core.v1.LimitRange | None
    policies: dict[str, k8s.networking.v1.NetworkPolicy]
    """By policy name: default-deny, allow-dns, ..."""

    def __init__(
        self,
        name: str,
        args: TenantNamespaceArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        environment: str | None = None,
        dns: DnsEndpoints = DEFAULT_DNS,
    ) -> None:
        super().__init__("clusterstack:tenant:TenantNamespace", name, None, opts)
        reasons = dns1123_label(name)
        if reasons:
            raise ValueError(f"namespace name {name!r} {'; '.join(reasons)}")
        objects = build_tenant(name, args, environment, dns)
        children = pulumi.ResourceOptions(parent=self)
        self.namespace_resource = register(objects.namespace, children, k8s.core.v1.Namespace)
        self.quotas = {q["metadata"]["name"]: register(q, children, k8s.core.v1.ResourceQuota) for q in objects.quotas}
        self.limit_range = register(objects.limit_range, children, k8s.core.v1.LimitRange) if objects.limit_range is not None else None
        self.policies = {p["metadata"]["name"]: register(p, children, k8s.networking.v1.NetworkPolicy) for p in objects.policies}
        self.namespace = self.namespace_resource.metadata.name
        self.register_outputs({"namespace": self.namespace})
