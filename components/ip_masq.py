"""IpMasqAgent: the ip-masq-agent DaemonSet and its ConfigMap, which decide which pod traffic leaves
a node with the node's IP (masqueraded) and which keeps the pod's IP.

Page: IP Masquerade Agent User Guide. The agent (kubernetes-sigs/ip-masq-agent) reads
``/etc/config/ip-masq-agent`` every ``resyncInterval``: a YAML document whose keys are all optional,
and a key left out keeps the agent's default. Every destination not in ``nonMasqueradeCIDRs`` (and
not link-local, unless ``masqLinkLocal``) is masqueraded. A change to the ConfigMap needs no restart:
the kubelet refreshes the mounted file and the agent re-reads it.

The objects are the agent's own ``ip-masq-agent.yaml`` (the unprivileged container with NET_ADMIN
and NET_RAW, the ConfigMap volume) merged with Kubernetes' addon manifest
(kubernetes/kubernetes ``cluster/addons/ip-masq-agent``: priority class, tolerations, node selector,
requests, ``--masq-chain=IP-MASQ`` and ``--nomasq-all-reserved-ranges``). Intended differences:
clusterstack writes the ConfigMap itself; the pod mounts no ServiceAccount token (the agent never
calls the API, so the addon's ServiceAccount is left out); clusterstack's labels replace the
addon-manager's; the node selector can be changed.

The agent runs only on nodes labelled ``node.kubernetes.io/masq-agent-ds-ready=true`` (the page's
``kubectl label nodes``), unless ``nodeSelector`` says otherwise.

GKE runs its own ip-masq-agent (kube-system/ip-masq-agent) on every Autopilot cluster and on Standard
clusters in some configurations (the page: with network policy enforcement, or a Pod range outside
10.0.0.0/8); its ConfigMap may be missing even then. See ``IpMasqArgs.on_cluster`` for what that means here.

A Pulumi program may pass Outputs where its values come from other resources: a VPC's CIDR block as
one of ``nonMasqueradeCIDRs`` (or the whole list as one Output), a registry mirror's ``image``. Each is
checked when it resolves, by the rules a plain value meets at once; the rules across the list
(``cidrLimit``, IPv6 only with ``enableIPv6``, a CIDR listed twice) run on the resolved list, where the
ConfigMap's config file is written, which is then an Output too.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypedDict

import pulumi
import pulumi_kubernetes as k8s
import yaml
from pydantic import AfterValidator, Field, field_validator

from ..kube.durations import DURATION_EXAMPLE, go_duration
from ..kube.findings import Finding, Findings, prefixed, warning
from ..kube.lifecycle import OnExisting
from ..kube.manifest import Bundle, Manifest
from ..kube.network import cidr_problem, repeated_networks
from ..kube.paths import dotted
from ..kube.quantity import Quantity
from .cluster import ClusterSpec
from .dns_autoscaler import Resources
from .inputs import is_output
from .labels import object_meta, stack_environment
from .model import LabelKey, LabelValue, Model, QuantityText, QuantityValue, args_for, deferred, raise_problems
from .register import AddOnChildren

NAME = "ip-masq-agent"
NAMESPACE = "kube-system"
DEFAULT_IMAGE = "registry.k8s.io/networking/ip-masq-agent:v2.12.0"
"""The newest release promoted to registry.k8s.io that could be confirmed (kubernetes/k8s.io
``registry.k8s.io/images/k8s-staging-networking/images.yaml``), and the one Kubernetes' addon
manifest pins. The agent's repository is tagged up to v2.12.6; set ``image`` for a newer one."""
NODE_LABEL = "node.kubernetes.io/masq-agent-ds-ready"
"""The label the page puts on the nodes the agent should run on."""
MASQ_CHAIN = "IP-MASQ"
"""The nat chain the rules go in. The agent's own default is IP-MASQ-AGENT; Kubernetes' addon
manifest and GKE use IP-MASQ. Changing it on a running cluster would leave the old chain and its
POSTROUTING jump behind, still masquerading by the old rules, so clusterstack keeps IP-MASQ."""
CONFIG_DIR = "/etc/config"
CONFIG_FILE = "ip-masq-agent"
"""The agent reads ``/etc/config/ip-masq-agent``, a fixed path (its ``configPath``)."""
CIDR_LIMIT = 64
"""How many nonMasqueradeCIDRs the agent takes unless ``cidrLimit`` says otherwise."""
RFC1918 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
RESERVED = ("100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4")
"""The other IPv4 ranges RFCs reserve, which ``--nomasq-all-reserved-ranges`` adds to the default list."""


# <generated from the fields of IpMasqResources by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class IpMasqResourcesArgsDict(TypedDict, total=False):
    """``IpMasqResources`` as a dict, in the stack files' spelling."""

    requests: Mapping[str, QuantityText | Quantity]
    limits: Mapping[str, QuantityText | Quantity]
# </generated>


class IpMasqResources(Resources):
    requests: dict[str, QuantityValue] = Field(default_factory=lambda: {"cpu": Quantity.parse("10m"), "memory": Quantity.parse("16Mi")})
    """Default: Kubernetes' addon manifest's 10m CPU and 16Mi memory."""

    # <generated from the fields of IpMasqResources by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(self, *, requests: Mapping[str, QuantityText | Quantity] = ..., limits: Mapping[str, QuantityText | Quantity] = ...) -> None: ...
    # </generated>


def _cidr(value: str) -> str:
    problem = cidr_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _image(value: str) -> str:
    if not value or re.search(r"\s", value):
        raise ValueError(f"{value!r} is not an image reference (e.g. {DEFAULT_IMAGE})")
    return value


if TYPE_CHECKING:
    CidrsInput = tuple[str | pulumi.Output[str], ...] | pulumi.Output[Sequence[str]]
    ImageInput = str | pulumi.Output[str]
else:
    Cidr = Annotated[str, AfterValidator(_cidr)]
    CidrsInput = Annotated[tuple[Annotated[Cidr, deferred(Cidr)], ...], deferred(tuple[Cidr, ...])]
    Image = Annotated[str, AfterValidator(_image)]
    ImageInput = Annotated[Image, deferred(Image)]
"""``nonMasqueradeCIDRs`` (each entry, or the whole list, may be an Output: a VPC's CIDR block) and
``image`` (an Output from a registry mirror). The schema shows the plain types."""
CidrsArg = Sequence[str | pulumi.Output[str]] | pulumi.Output[Sequence[str]]
"""``nonMasqueradeCIDRs`` as a caller writes it: ["10.0.0.0/8", vpc.cidr_block], or one Output."""


# <generated from the fields of IpMasqArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class IpMasqArgsDict(TypedDict, total=False):
    """``IpMasqArgs`` as a dict, in the stack files' spelling."""

    nonMasqueradeCIDRs: CidrsArg
    cidrLimit: int
    masqLinkLocal: bool
    masqLinkLocalIPv6: bool
    resyncInterval: str
    enableIPv6: bool
    nomasqAllReservedRanges: bool
    nodeSelector: Mapping[LabelKey, LabelValue]
    image: ImageInput
    resources: IpMasqResources | IpMasqResourcesArgsDict
    onExisting: OnExisting
# </generated>


class IpMasqArgs(Model):
    """``clusterstack:ipMasq``. The first five keys are the agent's config file's; each is written
    only when set, and unset means the agent's own default."""

    non_masquerade_cidrs: CidrsInput | None = Field(None, alias="nonMasqueradeCIDRs")
    """Destinations reached with the pod's own IP; everything else leaves with the node's IP. List the
    Pod range (and whatever else must see pod IPs): pod-to-pod traffic to a range not listed is
    masqueraded. ``[]`` masquerades everything but link-local. Unset: RFC 1918 (10.0.0.0/8,
    172.16.0.0/12, 192.168.0.0/16), and with ``nomasqAllReservedRanges`` the other ranges RFCs reserve."""
    cidr_limit: Annotated[int, Field(ge=0, strict=True)] | None = None
    """How many nonMasqueradeCIDRs the agent accepts; unset: 64."""
    masq_link_local: bool | None = None
    """Masquerade traffic to 169.254.0.0/16 too; unset: false (link-local keeps the pod's IP)."""
    masq_link_local_ipv6: bool | None = Field(None, alias="masqLinkLocalIPv6")
    """Masquerade traffic to fe80::/10 too (only with ``enableIPv6``); unset: false."""
    resync_interval: str | None = None
    """How often the agent re-reads its config and rewrites its rules: a Go duration (60s, 1m30s,
    500ms); unset: 60s."""
    enable_ipv6: bool = Field(False, alias="enableIPv6")
    """Also write ip6tables rules (``--enable-ipv6``); without it the agent refuses IPv6 CIDRs."""
    nomasq_all_reserved_ranges: bool = True
    """``--nomasq-all-reserved-ranges``, as in Kubernetes' addon manifest: when nonMasqueradeCIDRs is
    unset, also keep pod IPs towards the reserved ranges (100.64.0.0/10, 198.18.0.0/15, ...). No
    effect when nonMasqueradeCIDRs is set."""
    node_selector: dict[LabelKey, LabelValue] = Field(default_factory=lambda: {NODE_LABEL: "true"})
    """The nodes the agent runs on (besides kubernetes.io/os: linux); default: those labelled as the
    page says. ``{}``: every Linux node."""
    image: ImageInput = DEFAULT_IMAGE
    resources: IpMasqResources = Field(default_factory=IpMasqResources)
    on_existing: OnExisting = "fail"
    """When the cluster already has ip-masq-agent (GKE deploys it in some configurations): ``fail``
    (``pulumi up`` stops with AlreadyExists) or ``adopt`` (patch only clusterstack's fields onto the
    cluster's own ConfigMap and DaemonSet)."""

    # <generated from the fields of IpMasqArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, non_masquerade_cidrs: CidrsArg | None = None, cidr_limit: int | None = None, masq_link_local: bool | None = None,
            masq_link_local_ipv6: bool | None = None, resync_interval: str | None = None, enable_ipv6: bool = False, nomasq_all_reserved_ranges: bool = True,
            node_selector: Mapping[LabelKey, LabelValue] = ..., image: ImageInput = "registry.k8s.io/networking/ip-masq-agent:v2.12.0",
            resources: IpMasqResources | IpMasqResourcesArgsDict = ..., on_existing: OnExisting = "fail",
        ) -> None: ...
    # </generated>

    @field_validator("resync_interval", mode="before")
    @classmethod
    def _interval(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise ValueError(f"{value} has no unit; the agent reads a Go duration: did you mean {value}s?")
        if isinstance(value, str):
            nanoseconds = go_duration(value)
            if nanoseconds <= 0:
                raise ValueError(f"{value!r} is not positive; the agent would rewrite its rules without pausing ({DURATION_EXAMPLE})")
        return value

    def _problems(self) -> Findings:
        cidrs = self.non_masquerade_cidrs
        if cidrs is None or isinstance(cidrs, pulumi.Output):
            return  # a list that is an Output is checked when it resolves (agent_config)
        yield from list_problems(cidrs, self.cidr_limit, self.enable_ipv6)

    def warnings(self) -> Findings:
        """What the agent accepts but probably is not meant: settings with no effect, a busy resync."""
        if self.masq_link_local_ipv6 is not None and not self.enable_ipv6:
            yield warning(("masqLinkLocalIPv6",), "has no effect: the agent writes IPv6 rules only with enableIPv6: true")
        if "nomasq_all_reserved_ranges" in self.model_fields_set and self.non_masquerade_cidrs is not None:
            yield warning(("nomasqAllReservedRanges",), "has no effect: it only changes the default list, and nonMasqueradeCIDRs is set")
        cidrs = self.non_masquerade_cidrs
        if cidrs is not None and not isinstance(cidrs, pulumi.Output):
            # An entry that is an Output is warned of when it resolves (agent_config).
            yield from (_repeat_warning(cidrs, index, first) for index, first in repeated_networks(cidrs))
        if self.resync_interval is not None and go_duration(self.resync_interval) < 10**9:
            yield warning(("resyncInterval",), f"{self.resync_interval} rewrites every node's NAT rules more than once a second; the agent's default is 60s")

    def on_cluster(self, cluster: ClusterSpec) -> Findings:
        """What GKE's own agent means for this one."""
        if cluster.distribution != "gke":
            return
        if self.on_existing == "fail":
            yield warning(
                ("onExisting",),
                (
                    "GKE runs ip-masq-agent itself on Autopilot and on some Standard clusters (network policy enforcement, "
                    "a Pod range outside 10.0.0.0/8); where it does, creating it fails with AlreadyExists: check with "
                    "kubectl -n kube-system get daemonset ip-masq-agent, and set onExisting: adopt if it is there"
                ),
            )
        elif self.node_selector:
            labels = ", ".join(f"{k}={v}" for k, v in sorted(self.node_selector.items()))
            yield warning(
                ("nodeSelector",),
                f"adopting GKE's agent puts this node selector on it: nodes without {labels} lose their agent; label them, or set nodeSelector: {{}}",
            )

    def config(self) -> dict[str, Any]:
        """The agent's config file: the keys that are set, in the agent's order. A list that is an
        Output, or holds one, is placed as it is (``agent_config`` resolves it)."""
        found: dict[str, Any] = {}
        cidrs = self.non_masquerade_cidrs
        if cidrs is not None:
            found["nonMasqueradeCIDRs"] = cidrs if isinstance(cidrs, pulumi.Output) else list(cidrs)
        if self.cidr_limit is not None:
            found["cidrLimit"] = self.cidr_limit
        if self.masq_link_local is not None:
            found["masqLinkLocal"] = self.masq_link_local
        if self.masq_link_local_ipv6 is not None:
            found["masqLinkLocalIPv6"] = self.masq_link_local_ipv6
        if self.resync_interval is not None:
            found["resyncInterval"] = self.resync_interval
        return found

    def effective_non_masquerade_cidrs(self) -> CidrsInput:
        """What the agent will not masquerade besides link-local: the list (Outputs as given), or its default."""
        if self.non_masquerade_cidrs is not None:
            return self.non_masquerade_cidrs
        return RFC1918 + RESERVED if self.nomasq_all_reserved_ranges else RFC1918


def list_problems(cidrs: Sequence[str | pulumi.Output[str]], cidr_limit: int | None, enable_ipv6: bool) -> Findings:
    """The agent's validate() on the list: at most cidrLimit entries, and no IPv6 one without
    --enable-ipv6. An entry that is still an Output is left to the check of the resolved list."""
    limit = cidr_limit if cidr_limit is not None else CIDR_LIMIT
    if len(cidrs) > limit:
        yield Finding(("nonMasqueradeCIDRs",), f"lists {len(cidrs)} CIDRs; the agent takes at most {limit} (cidrLimit); merge ranges, or raise cidrLimit")
    if not enable_ipv6:
        for index, cidr in enumerate(cidrs):
            if isinstance(cidr, str) and ipaddress.ip_network(cidr).version == 6:
                yield Finding(("nonMasqueradeCIDRs", index), f"{cidr} is IPv6, which the agent refuses unless it writes IPv6 rules; set enableIPv6: true")


def _repeat_warning(cidrs: Sequence[str | pulumi.Output[str]], index: int, first: int) -> Finding:
    return warning(("nonMasqueradeCIDRs", index), f"{cidrs[index]} is listed already (nonMasqueradeCIDRs[{first}])")


def agent_config(args: IpMasqArgs) -> str | pulumi.Output[str]:
    """The ConfigMap's ``config``: a YAML document of the set keys (``{}`` when none is: all defaults).
    An Output when nonMasqueradeCIDRs is one or holds one; the rules across the list run on the
    resolved list there and fail the deployment with the plain value's messages, under the key
    path ``IpMasqArgs.nonMasqueradeCIDRs...``; a CIDR listed twice is a warning of the deployment."""
    config = args.config()
    cidrs = args.non_masquerade_cidrs
    if cidrs is None or not (isinstance(cidrs, pulumi.Output) or any(is_output(cidr) for cidr in cidrs)):
        return _yaml(config)
    listed: pulumi.Output[Sequence[str]]
    if isinstance(cidrs, pulumi.Output):
        listed, late = cidrs, None  # every entry comes from the Output
    else:
        listed, late = pulumi.Output.all(*cidrs), {index for index, cidr in enumerate(cidrs) if is_output(cidr)}
    at = IpMasqArgs.__name__

    def write(resolved: Sequence[str]) -> str:
        raise_problems(prefixed((at,), list_problems(resolved, args.cidr_limit, args.enable_ipv6)))
        for index, first in repeated_networks(resolved):
            # Two plain entries are a repeat ``warnings`` reports already; this reports the rest.
            if late is None or index in late or first in late:
                repeat = _repeat_warning(resolved, index, first)
                pulumi.log.warn(f"{dotted((at, *repeat.path))}: {repeat.message}")
        return _yaml({**config, "nonMasqueradeCIDRs": list(resolved)})

    return listed.apply(write)


def _yaml(config: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(config), sort_keys=False, default_flow_style=False, allow_unicode=True)


@dataclass(frozen=True)
class IpMasqObjects(Bundle):
    config_map: Manifest
    """The agent's config file, under the key ``config``."""
    daemon_set: Manifest


def build_ip_masq(args: IpMasqArgs, environment: str | None = None) -> IpMasqObjects:
    selector = {"k8s-app": NAME}
    flags = [f"--masq-chain={MASQ_CHAIN}"]
    if args.nomasq_all_reserved_ranges:
        flags.append("--nomasq-all-reserved-ranges")
    if args.enable_ipv6:
        flags.append("--enable-ipv6")
    resources: dict[str, Any] = {"requests": {k: q.text for k, q in args.resources.requests.items()}}
    if args.resources.limits:
        resources["limits"] = {k: q.text for k, q in args.resources.limits.items()}
    return IpMasqObjects(
        config_map={
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": object_meta(NAME, NAMESPACE, environment),
            "data": {"config": agent_config(args)},
        },
        daemon_set={
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": object_meta(NAME, NAMESPACE, environment, selector),
            "spec": {
                "selector": {"matchLabels": dict(selector)},
                "template": {
                    "metadata": {"labels": dict(selector)},
                    "spec": {
                        "priorityClassName": "system-node-critical",
                        "hostNetwork": True,  # the rules go in the node's own nat table
                        "automountServiceAccountToken": False,
                        "nodeSelector": {"kubernetes.io/os": "linux", **dict(sorted(args.node_selector.items()))},
                        "tolerations": [
                            {"effect": "NoSchedule", "operator": "Exists"},
                            {"effect": "NoExecute", "operator": "Exists"},
                            {"key": "CriticalAddonsOnly", "operator": "Exists"},
                        ],
                        "containers": [
                            {
                                "name": NAME,
                                "image": args.image,
                                "args": flags,
                                "resources": resources,
                                "securityContext": {"privileged": False, "capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
                                "volumeMounts": [{"name": "config", "mountPath": CONFIG_DIR}],
                            }
                        ],
                        "volumes": [
                            {
                                "name": "config",
                                "configMap": {"name": NAME, "optional": True, "items": [{"key": "config", "path": CONFIG_FILE}]},
                            }
                        ],
                    },
                },
            },
        },
    )


class IpMasqAgent(pulumi.ComponentResource):
    """ip-masq-agent on the labelled Linux nodes, configured by its ConfigMap."""

    config_map: k8s.core.v1.ConfigMap | k8s.core.v1.ConfigMapPatch
    daemon_set: k8s.apps.v1.DaemonSet | k8s.apps.v1.DaemonSetPatch
    """Each child is the object itself, or with ``onExisting: adopt`` a patch of the cluster's own."""

    def __init__(
        self,
        resource_name: str,
        args: IpMasqArgs | IpMasqArgsDict,
        opts: pulumi.ResourceOptions | None = None,
        *,
        environment: str | None = None,
    ) -> None:
        """Its children are named ``<resource_name>/ip-masq-agent``.

        ``environment``: the stack's name for the clusterstack.io/environment label (default: the running
        stack's), one value for a whole program, so not a setting of this component."""
        super().__init__("clusterstack:network:IpMasqAgent", resource_name, None, opts)
        spec = args_for(IpMasqArgs, args, "IpMasqAgent", resource_name)
        objects = build_ip_masq(spec, stack_environment(environment))
        child = AddOnChildren(resource_name, pulumi.ResourceOptions(parent=self), spec.on_existing).add

        self.config_map = child(objects.config_map, k8s.core.v1.ConfigMap, k8s.core.v1.ConfigMapPatch)
        self.daemon_set = child(objects.daemon_set, k8s.apps.v1.DaemonSet, k8s.apps.v1.DaemonSetPatch)
        self.register_outputs({"configMap": self.config_map.metadata.name, "daemonSet": self.daemon_set.metadata.name})
