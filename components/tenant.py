"""TenantNamespace: a namespace for one team, with its quotas, limit range and Pod Security labels.

Pages: Share a Cluster with Namespaces; Enforcing Pod Security Standards with Namespace Labels; and
the quota and limit pages cited in ``quota.py`` and ``limits.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, ModelWrapValidatorHandler, model_validator
from pydantic.json_schema import SkipJsonSchema

from ..kube.findings import Finding, Findings, prefixed, warning
from ..kube.lifecycle import Deletion, OnExisting
from ..kube.manifest import Bundle, Manifest
from ..kube.names import dns1123_label
from ..kube.paths import KeyPath
from ..kube.quantity import Quantity
from . import labels as standard
from .access import TenantAccess, TenantAccessArgsDict, build_access
from .cluster import ClusterDns, dns_argument
from .limits import Limits, LimitsArgsDict, build_limit_range, container_defaults
from .model import AnnotationsInput, DnsLabelInput, LabelsInput, Model, QuantityInput, args_for, check_label_keys, validated_once
from .network_policy import NetworkPolicyArgs, NetworkPolicyArgsDict, build_network_policies, register_policies
from .pod_security import Level, PodSecurity, PodSecurityArgsDict, label_problems, namespace_labels
from .quota import Hard, HardInput, QuotaSpec, QuotaSpecArgsDict, build_quota
from .register import adopting, child_name, deletion_options, register

TENANT_QUOTA_NAME = "tenant-quota"


# <generated from the fields of TenantNamespaceArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class TenantNamespaceArgsDict(TypedDict, total=False):
    """``TenantNamespaceArgs`` as a dict, in the stack files' spelling."""

    name: DnsLabelInput
    labels: LabelsInput
    annotations: AnnotationsInput
    podSecurity: PodSecurity | Level | PodSecurityArgsDict
    quota: HardInput
    quotas: Sequence[QuotaSpec | QuotaSpecArgsDict]
    limits: Limits | LimitsArgsDict
    networkPolicy: NetworkPolicyArgs | NetworkPolicyArgsDict
    access: TenantAccess | TenantAccessArgsDict
    deletion: Deletion
    onExisting: OnExisting
# </generated>


class TenantNamespaceArgs(Model):
    """One tenant namespace, as written under ``clusterstack:namespaces.<name>``."""

    name: SkipJsonSchema[DnsLabelInput | None] = None
    """The Namespace's name; default: the component's name. (Not in stack files, where the key is the name.)"""
    labels: LabelsInput = Field(default_factory=dict)
    annotations: AnnotationsInput = Field(default_factory=dict)
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
    access: TenantAccess | None = None
    """Who administers, edits and views the namespace (RoleBindings to the built-in ``admin``, ``edit``
    and ``view`` ClusterRoles), and its ServiceAccounts; None: no RoleBindings or ServiceAccounts."""
    deletion: Deletion | None = None
    """What removing the tenant does to its Namespace (and so to everything in it): ``delete``,
    ``protect`` (refused until this says ``delete`` and has been applied) or ``retain`` (forgotten,
    left in the cluster). None: the platform's ``namespaceDeletion``, else ``delete``."""
    on_existing: OnExisting = "fail"
    """What to do about the tenant's objects the cluster already has (a namespace made by hand, that
    ``clusterstack import`` wrote down): ``fail`` creates them, and ``pulumi up`` stops with
    AlreadyExists where one exists; ``adopt`` takes each over with pulumi-kubernetes' ``import``
    option, so the first ``pulumi up`` records them and changes only what the stack declares
    otherwise. An import, not the server-side-apply patch the DNS add-ons' ``onExisting: adopt``
    makes: a tenant owns its objects from then on (removing it deletes them, as if it had created
    them), where an add-on's objects stay the distribution's."""

    # <generated from the fields of TenantNamespaceArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, name: DnsLabelInput | None = None, labels: LabelsInput = ..., annotations: AnnotationsInput = ...,
            pod_security: PodSecurity | Level | PodSecurityArgsDict | None = None, quota: HardInput | None = None,
            quotas: Sequence[QuotaSpec | QuotaSpecArgsDict] = (), limits: Limits | LimitsArgsDict | None = None,
            network_policy: NetworkPolicyArgs | NetworkPolicyArgsDict | None = None, access: TenantAccess | TenantAccessArgsDict | None = None,
            deletion: Deletion | None = None, on_existing: OnExisting = "fail",
        ) -> None: ...
    # </generated>

    @model_validator(mode="wrap")
    @classmethod
    def _once_per_input(cls, data: Any, handler: ModelWrapValidatorHandler[TenantNamespaceArgs]) -> TenantNamespaceArgs:
        # Stacks hold thousands of tenants written alike; a stack file's are validated once each way they are written.
        return validated_once(cls, data, handler)

    def _problems(self) -> Findings:
        if isinstance(self.labels, Mapping):
            yield from check_label_keys(self.labels, "labels", standard.RESERVED)
            yield from label_problems(self.labels, self.pod_security)
        seen = {TENANT_QUOTA_NAME} if self.quota is not None else set()
        for index, quota in enumerate(self.quotas):
            if quota.name in seen:
                yield Finding(("quotas", index, "name"), f"{quota.name} is already used by another quota in this namespace")
            seen.add(quota.name)
        yield from self._minimums_within_quota()

    def _minimums_within_quota(self) -> Findings:
        """A LimitRange minimum above what the namespace's quota allows admits nothing: every
        container (pod, claim) asks at least the minimum, which alone exceeds the quota."""
        if self.limits is None:
            return
        quotas = [(at, hard) for at, hard in self.unscoped_quotas()]
        for key, kind, entry in self.limits.entries():
            for resource, minimum in entry.min.items():
                for quota_key in _quota_keys_bounding(kind, resource):
                    for at, hard in quotas:
                        cap = hard.get(quota_key)
                        if isinstance(cap, Quantity) and minimum > cap:
                            where = ".".join(str(part) for part in (*at, quota_key))
                            message = (
                                f"{minimum} is above the namespace's quota {where}: {cap}; no {_ADMITTED[kind]} could be admitted "
                                "(each asks at least its minimum); lower the minimum or raise the quota"
                            )
                            yield Finding(("limits", key, "min", resource), message)

    def unscoped_quotas(self) -> list[tuple[KeyPath, Mapping[str, Any]]]:
        found: list[tuple[KeyPath, Mapping[str, Any]]] = [(("quota",), self.quota)] if self.quota is not None else []
        found += [(("quotas", i, "hard"), q.hard) for i, q in enumerate(self.quotas) if not q.scopes and q.scope_selector is None]
        return found

    def all_quotas(self) -> list[QuotaSpec]:
        # ``quota`` was validated as a ``Hard`` with this model, and a quota without scopes has no
        # rule of its own beyond that (quota_problems): built without validating it all again.
        tenant = [QuotaSpec.model_construct(name=TENANT_QUOTA_NAME, hard=self.quota)] if self.quota is not None else []
        return tenant + list(self.quotas)

    @property
    def needs_dns(self) -> bool:
        """Its policies allow DNS, so building it needs the cluster's ``ClusterDns``."""
        return self.network_policy is not None and self.network_policy.allow_dns

    def warnings(self) -> Findings:
        """Valid settings that will still hurt: a compute quota that pods without a default cannot satisfy."""
        defaults = container_defaults(self.limits)
        quotas: list[tuple[KeyPath, Mapping[str, QuantityInput]]] = [(("quota",), self.quota)] if self.quota is not None else []
        quotas += [(("quotas", i, "hard"), q.hard) for i, q in enumerate(self.quotas)]
        for at, hard in quotas:
            for name in hard:
                need = _default_needed(name)
                if need is None:
                    continue
                field, resource = need
                if resource not in defaults[field]:
                    yield warning((*at, name), _quota_trap(name, field, resource))
        if self.pod_security is not None and self.pod_security.is_empty():
            yield warning(("podSecurity",), "sets no mode (enforce, audit or warn), so no Pod Security label is written and the cluster's default applies")
        if self.access is not None:
            yield from prefixed(("access",), self.access.warnings())


_ADMITTED = {"Container": "container", "Pod": "pod", "PersistentVolumeClaim": "claim"}


def _quota_keys_bounding(kind: str, resource: str) -> tuple[str, ...]:
    """The quota resources a LimitRange minimum of ``kind`` for ``resource`` counts against (a
    minimum bounds both the request and the limit)."""
    if kind == "PersistentVolumeClaim":
        return ("requests.storage",) if resource == "storage" else ()
    if resource in ("cpu", "memory", "ephemeral-storage"):
        return (resource, f"requests.{resource}", f"limits.{resource}")
    return ()


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
    service_accounts: tuple[Manifest, ...]
    role_bindings: tuple[Manifest, ...]
    """tenant-admins, tenant-editors, tenant-viewers: those someone holds."""


def build_tenant(
    name: str | pulumi.Output[str], args: TenantNamespaceArgs, environment: str | None = None, dns: ClusterDns | None = None
) -> TenantObjects:
    """The Namespace ``name``, its ResourceQuotas, LimitRange and NetworkPolicies, as plain Kubernetes objects.

    ``dns`` says where DNS egress must be allowed to; it is required when the policies allow DNS.
    """
    accounts, bindings = build_access(args.access, name, environment) if args.access is not None else ([], [])
    labels = namespace_labels(args.labels, args.pod_security)
    return TenantObjects(
        namespace={
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": standard.object_meta(name, None, environment, labels, args.annotations),
        },
        quotas=tuple(build_quota(quota, name, environment) for quota in args.all_quotas()),
        limit_range=build_limit_range(args.limits, name, environment) if args.limits is not None else None,
        policies=tuple(build_network_policies(name, args.network_policy, dns, environment)) if args.network_policy is not None else (),
        service_accounts=tuple(accounts),
        role_bindings=tuple(bindings),
    )


class TenantNamespace(pulumi.ComponentResource):
    """A tenant namespace with its quotas, limits, Pod Security labels and network policies.

    ``resource_name`` is the component's Pulumi name, and the Namespace's name unless ``args.name``
    says otherwise; its children are named ``<resource_name>/<object name>``.
    """

    namespace: pulumi.Output[str]
    """The namespace's name, once the Namespace exists (use it to create things inside)."""
    namespace_name: str | pulumi.Output[str]
    """The namespace's name as given (plain when it was), without waiting for the Namespace."""
    namespace_resource: k8s.core.v1.Namespace
    quotas: dict[str, k8s.core.v1.ResourceQuota]
    """By quota name: tenant-quota and each of ``quotas``."""
    limit_range: k8s.core.v1.LimitRange | None
    policies: dict[str, k8s.networking.v1.NetworkPolicy]
    """By policy name: default-deny, allow-dns, ..."""
    service_accounts: dict[str, k8s.core.v1.ServiceAccount]
    """By name: ``access.serviceAccounts``."""
    role_bindings: dict[str, k8s.rbac.v1.RoleBinding]
    """By name: tenant-admins, tenant-editors, tenant-viewers (those someone holds)."""
    args: TenantNamespaceArgs
    """The validated arguments (what a LoadBalancer in this namespace reads its policy facts from)."""

    def __init__(
        self,
        resource_name: str,
        args: TenantNamespaceArgs | TenantNamespaceArgsDict,
        opts: pulumi.ResourceOptions | None = None,
        *,
        dns: ClusterDns | None = None,
        environment: str | None = None,
    ) -> None:
        """Inputs beside the Args, each a fact of the program rather than a setting of the namespace:

        ``dns``: the cluster's DNS (``ClusterDns``), shared by every component that allows DNS and
        required when the network policy does; an object of the cluster, not a stack-file key.
        ``environment``: the stack's name for the clusterstack.io/environment label (default: the running
        stack's), one value for a whole program, so not a setting of this component."""
        _require_plain_name(resource_name, "TenantNamespace", "TenantNamespaceArgs(name=...)")
        super().__init__("clusterstack:tenant:TenantNamespace", resource_name, None, opts)
        self.args = args_for(TenantNamespaceArgs, args, "TenantNamespace", resource_name)
        if self.args.name is None:
            reasons = dns1123_label(resource_name)
            if reasons:
                raise ValueError(f"the namespace's name (the component's name, since args.name is unset) {resource_name!r} {'; '.join(reasons)}")
        self.namespace_name = self.args.name if self.args.name is not None else resource_name
        objects = build_tenant(self.namespace_name, self.args, standard.stack_environment(environment), dns_argument(dns, "TenantNamespace", resource_name))
        children = pulumi.ResourceOptions(parent=self)
        protection = pulumi.ResourceOptions.merge(children, deletion_options(self.args.deletion if self.args.deletion is not None else "delete"))
        with adopting(self.args.on_existing == "adopt"):
            self.namespace_resource = register(objects.namespace, protection, k8s.core.v1.Namespace, resource_name)
            self.quotas = {q["metadata"]["name"]: register(q, children, k8s.core.v1.ResourceQuota, child_name(resource_name, q)) for q in objects.quotas}
            self.limit_range = (
                register(objects.limit_range, children, k8s.core.v1.LimitRange, child_name(resource_name, objects.limit_range))
                if objects.limit_range is not None
                else None
            )
            self.policies = register_policies(resource_name, list(objects.policies), children)
            self.service_accounts = {
                a["metadata"]["name"]: register(a, children, k8s.core.v1.ServiceAccount, child_name(resource_name, a)) for a in objects.service_accounts
            }
            self.role_bindings = {
                b["metadata"]["name"]: register(b, children, k8s.rbac.v1.RoleBinding, child_name(resource_name, b)) for b in objects.role_bindings
            }
        self.namespace = _name_once_created(self.namespace_resource, self.namespace_name)
        self.register_outputs({"namespace": self.namespace})

    @property
    def denies_ingress(self) -> bool:
        """The namespace's policies deny ingress by default (a load balancer here needs an allow policy)."""
        return self.args.network_policy is not None and self.args.network_policy.denies_ingress


def _name_once_created(namespace: k8s.core.v1.Namespace, name: str | pulumi.Output[str]) -> pulumi.Output[str]:
    """The Namespace's name once the Namespace is registered (its URN resolves with its other
    outputs), depending on it. A name given plainly is the name the object has: Kubernetes never
    renames an object, and pulumi-kubernetes names one only when it has no ``metadata.name``
    (provider/pkg/metadata/naming.go, AssignNameIfAutonamable); so it is not read back from the
    resource's ``metadata``, whose whole value would be translated for the one field."""
    if not isinstance(name, str):
        return namespace.metadata.name
    return namespace.urn.apply(lambda _: name)


_JOINED = 100
"""How many tenants' names one ``Output.all`` joins in ``namespace_names``."""


def namespace_names(tenants: Iterable[TenantNamespace]) -> pulumi.Output[list[str]]:
    """The tenants' ``namespace`` Outputs as one, in order: ``Output.all`` of them, in groups. The SDK's
    ``Output.all`` adds each input's resources to the set so far by a union that copies it
    (sdk/python/lib/pulumi/output.py, ``all``: ``reduce(lambda acc, d: acc | d.resources, ...)``),
    which is quadratic at thousands of tenants; groups keep every union small. The value, its
    resources, and whether it is known or secret are those of one ``Output.all`` of them all."""
    names = [tenant.namespace for tenant in tenants]
    if len(names) <= _JOINED:
        return pulumi.Output.all(*names)
    groups = [pulumi.Output.all(*names[start : start + _JOINED]) for start in range(0, len(names), _JOINED)]
    return pulumi.Output.all(*groups).apply(lambda joined: [name for group in joined for name in group])


def _require_plain_name(resource_name: object, component: str, instead: str) -> None:
    """Pulumi names resources by plain strings; an Output belongs in the Args, where it is a Kubernetes name."""
    if not isinstance(resource_name, str):
        raise TypeError(
            f"{component}'s resource_name must be a plain string (it is its Pulumi name, part of its URN), "
            f"not {type(resource_name).__name__}; pass an Output as the Kubernetes name in {instead}"
        )
