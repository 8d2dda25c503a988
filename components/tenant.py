"""TenantNamespace: a namespace for one team, with its quotas, limit range and Pod Security labels.

Pages: Share a Cluster with Namespaces; Enforcing Pod Security Standards with Namespace Labels; and
the quota and limit pages cited in ``quota.py`` and ``limits.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Optional

import pulumi
from pydantic import Field

from . import labels as standard
from .kube.names import dns1123_label
from .limits import Limits, build_limit_range, container_defaults
from .model import AnnotationKey, KeyPath, LabelKey, LabelValue, Model, check_label_keys
from .network_policy import DnsEndpoints, NetworkPolicyArgs, build_network_policies
from .pod_security import LABEL_PREFIX, PodSecurity
from .quota import Hard, QuotaSpec, build_quota
from .register import register_objects

TENANT_QUOTA_NAME = "tenant-quota"


class TenantNamespaceArgs(Model):
    """One tenant namespace, as written under ``clusterstack:namespaces.<name>``."""

    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    annotations: dict[AnnotationKey, str] = Field(default_factory=dict)
    pod_security: Optional[PodSecurity] = None
    """None: no Pod Security labels, so the cluster's admission default applies."""
    quota: Optional[Hard] = None
    """The namespace's ResourceQuota (named tenant-quota); None: no such quota."""
    quotas: tuple[QuotaSpec, ...] = ()
    """Further named quotas, for instance scoped to a priority class."""
    limits: Optional[Limits] = None
    """The namespace's LimitRange (named tenant-limits); None: no LimitRange."""
    network_policy: Optional[NetworkPolicyArgs] = None
    """The namespace's NetworkPolicies; None: none (all traffic allowed, as Kubernetes defaults)."""

    def _problems(self) -> Iterable[tuple[KeyPath, str]]:
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
        found = []
        quotas = [(("quota",), self.quota)] if self.quota is not None else []
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


def build_tenant(
    name: str, args: TenantNamespaceArgs, environment: str | None = None, dns: DnsEndpoints = DnsEndpoints()
) -> list[dict]:
    """The Namespace, its ResourceQuotas, LimitRange and NetworkPolicies, as plain Kubernetes objects.

    ``dns`` says where DNS egress must be allowed to (the NodeLocal DNSCache's addresses, when it runs).
    """
    namespace_labels = dict(args.labels)
    if args.pod_security is not None:
        namespace_labels.update(args.pod_security.labels())
    objects = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": standard.object_meta(name, None, environment, namespace_labels, args.annotations),
        }
    ]
    objects += [build_quota(quota, name, environment) for quota in args.all_quotas()]
    if args.limits is not None:
        objects.append(build_limit_range(args.limits, name, environment))
    if args.network_policy is not None:
        objects += build_network_policies(name, args.network_policy, dns, environment)
    return objects


class TenantNamespace(pulumi.ComponentResource):
    """A tenant namespace with its quotas, limits and Pod Security labels; ``name`` is the namespace's name."""

    namespace: pulumi.Output[str]
    resources: list[pulumi.CustomResource]
    """The registered objects, Namespace first (for ``depends_on`` in a composing program)."""

    def __init__(
        self,
        name: str,
        args: TenantNamespaceArgs,
        opts: Optional[pulumi.ResourceOptions] = None,
        *,
        environment: str | None = None,
        dns: DnsEndpoints = DnsEndpoints(),
    ) -> None:
        super().__init__("clusterstack:tenant:TenantNamespace", name, None, opts)
        reasons = dns1123_label(name)
        if reasons:
            raise ValueError(f"namespace name {name!r} {'; '.join(reasons)}")
        self.resources = register_objects(build_tenant(name, args, environment, dns), pulumi.ResourceOptions(parent=self))
        self.namespace = self.resources[0].metadata.name
        self.register_outputs({"namespace": self.namespace})
