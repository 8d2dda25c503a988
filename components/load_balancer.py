"""LoadBalancer: a Service of type LoadBalancer, and the NetworkPolicy that lets its traffic in.

Pages: Create an External Load Balancer; Connect a Frontend to a Backend Using Services. The trap:
a load balancer in a namespace that denies ingress by default silently receives no traffic, so when
the namespace denies ingress the component also renders ``allow-lb-<service>``, admitting the load
balancer's traffic to the selected pods on the target ports only: from ``sourceRanges`` when
``externalTrafficPolicy: Local`` preserves client IPs, otherwise from anywhere (with ``Cluster`` the
source is a node's address, and ``sourceRanges`` is enforced by the load balancer itself).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, StrictInt, StrictStr, field_validator
from pydantic.json_schema import SkipJsonSchema
from typing_extensions import Required

from ..kube.findings import Finding, Findings
from ..kube.lifecycle import OnExisting
from ..kube.manifest import Bundle, Manifest
from ..kube.names import dns1123_label, qualified_name
from ..kube.network import Protocol, parse_cidr, port_name_problem, port_number_problem
from .inputs import copied, joined, merged
from .labels import object_meta, stack_environment
from .model import AnnotationsInput, DnsLabel, DnsLabelInput, LabelsInput, Model, args_for, raise_problems
from .register import adopting, register
from .tenant import TenantNamespace

NODE_PORT_RANGE = (30000, 32767)
"""The API server's default --service-node-port-range."""
SKIP_AWAIT = "pulumi.com/skipAwait"
Cloud = Literal["aws", "gcp", "azure", "metallb"]

# What marks a load balancer internal, per provider.
AWS_IN_TREE_INTERNAL = "service.beta.kubernetes.io/aws-load-balancer-internal"
AWS_LBC_SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme"
GCP_TYPE = "networking.gke.io/load-balancer-type"
AZURE_INTERNAL = "service.beta.kubernetes.io/azure-load-balancer-internal"
METALLB_POOLS = ("metallb.io/address-pool", "metallb.universe.tf/address-pool")


# <generated from the fields of ServicePort by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class ServicePortArgsDict(TypedDict, total=False):
    """``ServicePort`` as a dict, in the stack files' spelling."""

    name: DnsLabel
    port: Required[StrictInt]
    targetPort: StrictInt | StrictStr
    protocol: Protocol
    nodePort: StrictInt
# </generated>


class ServicePort(Model):
    name: DnsLabel | None = None
    """Required when the Service has more than one port."""
    port: StrictInt
    target_port: StrictInt | StrictStr | None = None
    """A number or a named container port; default: ``port``."""
    protocol: Protocol = "TCP"
    node_port: StrictInt | None = None
    """Default: allocated by the API server."""

    # <generated from the fields of ServicePort by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, name: DnsLabel | None = None, port: StrictInt, target_port: StrictInt | StrictStr | None = None, protocol: Protocol = "TCP",
            node_port: StrictInt | None = None,
        ) -> None: ...
    # </generated>

    def _problems(self) -> Findings:
        if (reason := port_number_problem(self.port)) is not None:
            yield Finding(("port",), reason)
        if isinstance(self.target_port, int) and (reason := port_number_problem(self.target_port)) is not None:
            yield Finding(("targetPort",), reason)
        if isinstance(self.target_port, str) and (reason := port_name_problem(self.target_port)) is not None:
            yield Finding(("targetPort",), reason)
        if self.node_port is not None and not NODE_PORT_RANGE[0] <= self.node_port <= NODE_PORT_RANGE[1]:
            yield Finding(("nodePort",), f"{self.node_port} is outside the node port range {NODE_PORT_RANGE[0]}-{NODE_PORT_RANGE[1]}")

    @property
    def target(self) -> int | str:
        return self.target_port if self.target_port is not None else self.port


ExternalTrafficPolicy = Literal["Cluster", "Local"]
IpFamilyPolicy = Literal["SingleStack", "PreferDualStack", "RequireDualStack"]
IpFamily = Literal["IPv4", "IPv6"]
SessionAffinity = Literal["None", "ClientIP"]


# <generated from the fields of LoadBalancerArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class LoadBalancerArgsDict(TypedDict, total=False):
    """``LoadBalancerArgs`` as a dict, in the stack files' spelling."""

    name: DnsLabelInput
    namespace: DnsLabelInput
    selector: Required[LabelsInput]
    ports: Required[Sequence[ServicePort | ServicePortArgsDict]]
    externalTrafficPolicy: ExternalTrafficPolicy
    healthCheckNodePort: StrictInt
    sourceRanges: Sequence[str]
    loadBalancerClass: str
    allocateLoadBalancerNodePorts: bool
    ipFamilyPolicy: IpFamilyPolicy
    ipFamilies: Sequence[IpFamily]
    sessionAffinity: SessionAffinity
    annotations: AnnotationsInput
    labels: LabelsInput
    internal: bool
    cloud: Cloud
    addressPool: str
    skipAwait: bool
    existingNamespace: bool
    allowTraffic: bool
    onExisting: OnExisting
# </generated>


class LoadBalancerArgs(Model):
    """``clusterstack:loadBalancers.<service name>``."""

    name: SkipJsonSchema[DnsLabelInput | None] = None
    """The Service's name; default: the component's name. (Not in stack files, where the key is the name.)"""
    namespace: DnsLabelInput | None = None
    """The Service's namespace; given a ``tenant``, the LoadBalancer takes the tenant's."""
    selector: LabelsInput
    ports: tuple[ServicePort, ...]
    external_traffic_policy: ExternalTrafficPolicy = "Cluster"
    """Local keeps the client's source IP (and skips a second hop); Cluster spreads load over all nodes."""
    health_check_node_port: StrictInt | None = None
    """Only with Local; default: allocated by the API server."""
    source_ranges: tuple[str, ...] = ()
    """Client CIDRs the load balancer admits (loadBalancerSourceRanges); empty: all."""
    load_balancer_class: str | None = None
    allocate_load_balancer_node_ports: bool | None = None
    ip_family_policy: IpFamilyPolicy | None = None
    ip_families: tuple[IpFamily, ...] = ()
    session_affinity: SessionAffinity | None = None
    annotations: AnnotationsInput = Field(default_factory=dict)
    labels: LabelsInput = Field(default_factory=dict)
    internal: bool = False
    """An internal (private) load balancer; needs ``cloud``."""
    cloud: Cloud | None = None
    address_pool: str | None = None
    """MetalLB: the IPAddressPool to take the address from (required for an internal one)."""
    skip_await: bool = False
    """Add pulumi.com/skipAwait, so ``pulumi up`` does not wait for an address that no controller will assign."""
    existing_namespace: bool = False
    """The namespace is made outside this stack (otherwise it must be one of clusterstack:namespaces)."""
    allow_traffic: bool | None = None
    """Render the NetworkPolicy admitting the load balancer's traffic: None (default) when the namespace denies ingress."""
    on_existing: OnExisting = "fail"
    """``adopt``: the cluster has this Service (and its allow-lb policy) already; take them over with
    pulumi-kubernetes' ``import`` option instead of creating them, as a tenant's ``onExisting``."""

    # <generated from the fields of LoadBalancerArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, name: DnsLabelInput | None = None, namespace: DnsLabelInput | None = None, selector: LabelsInput,
            ports: Sequence[ServicePort | ServicePortArgsDict], external_traffic_policy: ExternalTrafficPolicy = "Cluster",
            health_check_node_port: StrictInt | None = None, source_ranges: Sequence[str] = (), load_balancer_class: str | None = None,
            allocate_load_balancer_node_ports: bool | None = None, ip_family_policy: IpFamilyPolicy | None = None, ip_families: Sequence[IpFamily] = (),
            session_affinity: SessionAffinity | None = None, annotations: AnnotationsInput = ..., labels: LabelsInput = ..., internal: bool = False,
            cloud: Cloud | None = None, address_pool: str | None = None, skip_await: bool = False, existing_namespace: bool = False,
            allow_traffic: bool | None = None, on_existing: OnExisting = "fail",
        ) -> None: ...
    # </generated>

    @field_validator("source_ranges")
    @classmethod
    def _ranges(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        raise_problems(Finding((i,), str(error)) for i, error in _cidr_errors(value))
        return value

    @field_validator("load_balancer_class")
    @classmethod
    def _class(cls, value: str | None) -> str | None:
        if value is not None:
            reasons = qualified_name(value)
            if "/" not in value:
                reasons.append("needs a domain prefix (e.g. example.com/internal-vip)")
            if reasons:
                raise ValueError(f"{value!r} is not a load balancer class: {'; '.join(reasons)}")
        return value

    def _problems(self) -> Findings:
        if not self.ports:
            yield Finding(("ports",), "needs at least one port")
        if isinstance(self.selector, Mapping) and not self.selector:
            yield Finding(("selector",), "needs at least one label: the load balancer sends traffic to the pods it selects")
        seen_ports: set[tuple[int, str]] = set()
        seen_names: set[str] = set()
        for index, port in enumerate(self.ports):
            if len(self.ports) > 1 and port.name is None:
                yield Finding(("ports", index, "name"), "is required when a Service has more than one port")
            if (port.port, port.protocol) in seen_ports:
                yield Finding(("ports", index, "port"), f"{port.port}/{port.protocol} is listed twice")
            if port.name is not None and port.name in seen_names:
                yield Finding(("ports", index, "name"), f"{port.name} is used by another port")
            seen_ports.add((port.port, port.protocol))
            if port.name is not None:
                seen_names.add(port.name)
        if self.health_check_node_port is not None:
            if self.external_traffic_policy != "Local":
                yield Finding(("healthCheckNodePort",), "is only allowed with externalTrafficPolicy: Local")
            elif not NODE_PORT_RANGE[0] <= self.health_check_node_port <= NODE_PORT_RANGE[1]:
                yield Finding(
                    ("healthCheckNodePort",), f"{self.health_check_node_port} is outside the node port range {NODE_PORT_RANGE[0]}-{NODE_PORT_RANGE[1]}"
                )
        if self.internal and self.cloud is None:
            yield Finding(("internal",), "needs cloud: aws, gcp, azure or metallb (each marks an internal load balancer its own way)")
        if self.internal and self.cloud == "metallb" and self.address_pool is None:
            yield Finding(("addressPool",), "is required for an internal MetalLB load balancer: the IPAddressPool of internal addresses")
        if len(set(self.ip_families)) != len(self.ip_families):
            yield Finding(("ipFamilies",), "lists a family twice")
        if self.ip_family_policy == "SingleStack" and len(self.ip_families) > 1:
            yield Finding(("ipFamilies",), "lists two families but ipFamilyPolicy is SingleStack")
        if isinstance(self.annotations, Mapping) and SKIP_AWAIT in self.annotations:
            yield Finding(("annotations", SKIP_AWAIT), "is set by skipAwait: true; use that instead")

    def cloud_annotations(self) -> dict[str, str]:
        if self.cloud == "aws":
            # The AWS Load Balancer Controller reads the scheme (and provisions internal NLBs unless told
            # otherwise); the in-tree controller reads only the -internal annotation. Both are set; when a
            # controller sees both, the scheme wins.
            if self.internal:
                return {AWS_IN_TREE_INTERNAL: "true", AWS_LBC_SCHEME: "internal"}
            return {AWS_LBC_SCHEME: "internet-facing"}
        if self.cloud == "metallb":
            # MetalLB 0.14 reads metallb.io/, earlier releases metallb.universe.tf/: both are set.
            return dict.fromkeys(METALLB_POOLS, self.address_pool) if self.address_pool is not None else {}
        if not self.internal:
            return {}
        return {GCP_TYPE: "Internal"} if self.cloud == "gcp" else {AZURE_INTERNAL: "true"}


def _cidr_errors(values: Iterable[str]) -> Iterator[tuple[int, ValueError]]:
    for index, value in enumerate(values):
        try:
            parse_cidr(value)
        except ValueError as error:
            yield index, error


@dataclass(frozen=True)
class LoadBalancerObjects(Bundle):
    service: Manifest
    policy: Manifest | None
    """allow-lb-<name>, when the namespace denies ingress (or allowTraffic asks for it)."""


def build_load_balancer(
    name: str | pulumi.Output[str],
    args: LoadBalancerArgs,
    environment: str | None = None,
    namespace_denies_ingress: bool = False,
    namespace: str | pulumi.Output[str] | None = None,
) -> LoadBalancerObjects:
    """The Service ``name`` (in ``namespace``, default ``args.namespace``), and the policy that lets its
    traffic in when the namespace denies ingress."""
    where = namespace if namespace is not None else args.namespace
    if where is None:
        raise ValueError("a LoadBalancer needs its namespace: set namespace, or pass the tenant it belongs to")
    if isinstance(name, str):
        reasons = dns1123_label(name)
        if reasons:
            raise ValueError(f"service name {name!r} {'; '.join(reasons)}")
    annotations = merged(args.annotations, args.cloud_annotations(), {SKIP_AWAIT: "true"} if args.skip_await else None, where="annotations")
    ports = []
    for port in args.ports:
        entry: dict[str, Any] = {"port": port.port, "targetPort": port.target, "protocol": port.protocol}
        if port.name is not None:
            entry["name"] = port.name
        if port.node_port is not None:
            entry["nodePort"] = port.node_port
        ports.append(entry)
    spec: dict[str, Any] = {"type": "LoadBalancer", "selector": copied(args.selector), "ports": ports, "externalTrafficPolicy": args.external_traffic_policy}
    optional = {
        "healthCheckNodePort": args.health_check_node_port,
        "loadBalancerSourceRanges": list(args.source_ranges) or None,
        "loadBalancerClass": args.load_balancer_class,
        "allocateLoadBalancerNodePorts": args.allocate_load_balancer_node_ports,
        "ipFamilyPolicy": args.ip_family_policy,
        "ipFamilies": list(args.ip_families) or None,
        "sessionAffinity": args.session_affinity,
    }
    spec.update({key: value for key, value in optional.items() if value is not None})
    render_policy = args.allow_traffic if args.allow_traffic is not None else namespace_denies_ingress
    return LoadBalancerObjects(
        service={
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": object_meta(name, where, environment, args.labels, annotations),
            "spec": spec,
        },
        policy=_allow_policy(name, where, args, environment) if render_policy else None,
    )


def _allow_policy(name: str | pulumi.Output[str], namespace: str | pulumi.Output[str], args: LoadBalancerArgs, environment: str | None) -> Manifest:
    rule: dict[str, Any] = {"ports": [{"protocol": p.protocol, "port": p.target} for p in args.ports]}
    if args.external_traffic_policy == "Local" and args.source_ranges:
        rule["from"] = [{"ipBlock": {"cidr": cidr}} for cidr in args.source_ranges]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": object_meta(joined("allow-lb-", name), namespace, environment),
        "spec": {"podSelector": {"matchLabels": copied(args.selector)}, "policyTypes": ["Ingress"], "ingress": [rule]},
    }


class LoadBalancer(pulumi.ComponentResource):
    """A Service of type LoadBalancer, and the policy that lets its traffic in where the namespace denies it.

    ``resource_name`` is the component's Pulumi name, and the Service's name unless ``args.name`` says
    otherwise; the Service is the child ``<resource_name>``, the policy ``<resource_name>/allow-lb``.
    """

    service: k8s.core.v1.Service
    policy: k8s.networking.v1.NetworkPolicy | None
    """allow-lb-<name>, when the namespace denies ingress."""
    service_name: pulumi.Output[str]
    cluster_ip: pulumi.Output[str | None]
    """The Service's cluster IP, once the API server has allocated it."""
    ingress: pulumi.Output[list[Any] | None]
    """``status.loadBalancer.ingress``: the address or hostname, once a load-balancer controller assigns one."""

    def __init__(
        self,
        resource_name: str,
        args: LoadBalancerArgs | LoadBalancerArgsDict,
        opts: pulumi.ResourceOptions | None = None,
        *,
        tenant: TenantNamespace | None = None,
        namespace_denies_ingress: bool | None = None,
        environment: str | None = None,
    ) -> None:
        """Given the ``tenant`` the Service lives in, its namespace (unless ``args.namespace`` names
        it) and whether that namespace denies ingress come from the tenant; without one, say
        ``namespace_denies_ingress`` (or set ``args.allow_traffic``), because a load balancer in a
        namespace that denies ingress silently receives nothing unless a policy lets it in.

        Inputs beside the Args: ``tenant`` is another component (a resource, not a value a stack file
        could hold); ``namespace_denies_ingress`` is a fact about that namespace, which a stack file's
        platform derives from the namespace's own policy.
        ``environment``: the stack's name for the clusterstack.io/environment label (default: the running
        stack's), one value for a whole program, so not a setting of this component."""
        super().__init__("clusterstack:network:LoadBalancer", resource_name, None, opts)
        spec = args_for(LoadBalancerArgs, args, "LoadBalancer", resource_name)
        if tenant is not None:
            denies = tenant.denies_ingress if namespace_denies_ingress is None else namespace_denies_ingress
            namespace: str | pulumi.Output[str] | None = spec.namespace if spec.namespace is not None else tenant.namespace_name
        elif namespace_denies_ingress is not None or spec.allow_traffic is not None:
            denies, namespace = bool(namespace_denies_ingress), spec.namespace
        else:
            raise ValueError(
                "say whether the LoadBalancer's namespace denies ingress: pass tenant=<its TenantNamespace>, "
                "or namespace_denies_ingress=True/False, or set allow_traffic in its args"
            )
        objects = build_load_balancer(spec.name if spec.name is not None else resource_name, spec, stack_environment(environment), denies, namespace)
        children = pulumi.ResourceOptions(parent=self, depends_on=[tenant] if tenant is not None else None)
        with adopting(spec.on_existing == "adopt"):
            self.service = register(objects.service, children, k8s.core.v1.Service, resource_name)
            self.policy = (
                register(objects.policy, children, k8s.networking.v1.NetworkPolicy, f"{resource_name}/allow-lb") if objects.policy is not None else None
            )
        self.service_name = self.service.metadata.name
        self.cluster_ip = self.service.spec.apply(_cluster_ip)
        self.ingress = self.service.status.apply(_ingress)
        self.register_outputs({"serviceName": self.service_name, "clusterIP": self.cluster_ip, "ingress": self.ingress})


def _cluster_ip(spec: Any) -> str | None:
    return getattr(spec, "cluster_ip", None) if spec is not None else None


def _ingress(status: Any) -> list[Any] | None:
    """``status.loadBalancer.ingress``; None until a load-balancer controller has assigned an address."""
    balancer = getattr(status, "load_balancer", None) if status is not None else None
    return getattr(balancer, "ingress", None) if balancer is not None else None
