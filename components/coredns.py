"""CoreDns: the cluster's own CoreDNS, customised: stub domains, upstream servers, the cache TTL,
extra server blocks, and a PodDisruptionBudget for its pods.

The Args are in ``coredns_args`` (with what the cluster's facts refuse), the Corefile in
``coredns_corefile``, servers given as Outputs in ``coredns_servers``, the warnings beside NodeLocal
DNSCache in ``coredns_node_local``; each of their public names is importable from here too.

Every cluster kubeadm (or EKS) made has the ConfigMap kube-system/coredns, so the Corefile is never
created: it is a server-side-apply patch of ``data.Corefile`` alone, taken over from whoever wrote it
(``pulumi.com/patchForce``). CoreDNS's ``reload`` plugin picks a change up within about two minutes
(the page). A Corefile CoreDNS cannot read is logged and the old one kept, until a pod restarts and
then fails to start: hence the checks here, before anything is written.

CoreDNS's replicas belong to the DNS autoscaler (``dns.autoscaler``): nothing here sets them. The
PodDisruptionBudget only bounds voluntary evictions (node drains) of the pods labelled
``k8s-app: kube-dns``. EKS's CoreDNS add-on ships its own PodDisruptionBudget kube-system/coredns
(v1.9.3-eksbuild.6, v1.10.1-eksbuild.3 and later, per EKS's "Manage CoreDNS" page): there, adopt it
(``pdb.onExisting: adopt``). A second budget over the same pods would make every eviction of them fail
("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..kube.findings import Findings, warnings_of
from ..kube.manifest import Bundle, Manifest
from .cluster import ClusterSpec
from .coredns_args import (
    DEFAULT_CACHE_TTL,
    DNS_PORT,
    INT32_MAX,
    KNOWN_PLUGINS,
    METRICS_PORT,
    RESERVED_PORTS,
    UNHEALTHY_POLICY_SINCE,
    CoreDnsArgs,
    CoreDnsArgsDict,
    DisruptionBudget,
    DisruptionBudgetArgsDict,
    IntOrPercent,
    ServerBlock,
    ServerBlockArgsDict,
    UnhealthyPodEvictionPolicy,
    resolved,
)
from .coredns_corefile import CACHE_DISABLE_SINCE, render_corefile
from .coredns_node_local import bypassed_by_node_local
from .coredns_servers import ServerList, Servers, StubDomainsInput, UpstreamServersInput
from .labels import object_meta, stack_environment
from .model import args_for
from .nodelocaldns import NodeLocalDnsArgs
from .register import AddOnChildren, child_name, register_patch

__all__ = [  # the names callers import from here, wherever they are declared
    "CACHE_DISABLE_SINCE",
    "DEFAULT_CACHE_TTL",
    "DNS_PORT",
    "INT32_MAX",
    "KNOWN_PLUGINS",
    "METRICS_PORT",
    "NAME",
    "NAMESPACE",
    "RESERVED_PORTS",
    "SELECTOR",
    "UNHEALTHY_POLICY_SINCE",
    "CoreDns",
    "CoreDnsArgs",
    "CoreDnsArgsDict",
    "CoreDnsObjects",
    "DisruptionBudget",
    "DisruptionBudgetArgsDict",
    "IntOrPercent",
    "ServerBlock",
    "ServerBlockArgsDict",
    "ServerList",
    "Servers",
    "StubDomainsInput",
    "UnhealthyPodEvictionPolicy",
    "UpstreamServersInput",
    "build_coredns",
    "bypassed_by_node_local",
    "render_corefile",
    "resolved",
]

NAME = "coredns"
NAMESPACE = "kube-system"
SELECTOR = {"k8s-app": "kube-dns"}
"""The label on CoreDNS's pods, kept from kube-dns (the page)."""


@dataclass(frozen=True)
class CoreDnsObjects(Bundle):
    corefile: Manifest
    """The ConfigMap kube-system/coredns with only ``data.Corefile``: a patch of the cluster's own. The
    Corefile is an Output when a server list is one."""
    pdb: Manifest | None
    """The PodDisruptionBudget kube-system/coredns; None without ``pdb``."""


def build_coredns(args: CoreDnsArgs, cluster: ClusterSpec, environment: str | None = None) -> CoreDnsObjects:
    pdb: Manifest | None = None
    if args.pdb is not None:
        field, value = args.pdb.budget
        spec: dict[str, Any] = {field: value, "selector": {"matchLabels": dict(SELECTOR)}}
        if args.pdb.unhealthy_pod_eviction_policy is not None:
            spec["unhealthyPodEvictionPolicy"] = args.pdb.unhealthy_pod_eviction_policy
        pdb = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": object_meta(NAME, NAMESPACE, environment), "spec": spec}
    return CoreDnsObjects(
        corefile={
            "apiVersion": "v1",
            "kind": "ConfigMap",
            # Only the Corefile: the ConfigMap is the cluster's, not clusterstack's, so it gets none of
            # clusterstack's labels (which would claim it, and take them from whoever set them).
            "metadata": {"name": NAME, "namespace": NAMESPACE},
            "data": {"Corefile": render_corefile(args, cluster)},
        },
        pdb=pdb,
    )


class CoreDns(pulumi.ComponentResource):
    """The cluster's CoreDNS Corefile (always a patch of kube-system/coredns) and, optionally, a
    PodDisruptionBudget for its pods."""

    corefile: k8s.core.v1.ConfigMapPatch
    """The server-side-apply patch of the ConfigMap kube-system/coredns (``data.Corefile``), retained
    on delete: to go back to kubeadm's Corefile, apply ``dns.coredns: {}`` before removing it."""
    pdb: k8s.policy.v1.PodDisruptionBudget | k8s.policy.v1.PodDisruptionBudgetPatch | None
    """The PodDisruptionBudget, or with ``pdb.onExisting: adopt`` a patch of the cluster's own; None without ``pdb``."""
    corefile_text: pulumi.Output[str]
    """The Corefile as rendered (the component's one output)."""

    def __init__(
        self,
        resource_name: str,
        args: CoreDnsArgs | CoreDnsArgsDict,
        opts: pulumi.ResourceOptions | None = None,
        *,
        cluster: ClusterSpec | None = None,
        environment: str | None = None,
        node_local: NodeLocalDnsArgs | None = None,
    ) -> None:
        """Its children are named ``<resource_name>/coredns``. Inputs beside the Args, each a fact of
        the cluster or program that other components share, not a setting of CoreDNS:

        ``cluster``: the cluster's facts (its domain; kubeadm's defaults when omitted), one ``ClusterSpec``
        for every DNS component. ``node_local``: the sibling NodeLocal DNSCache's Args, if any, which
        sends names outside the cluster domain past CoreDNS: servers from Outputs that it does not share
        are warned about once they resolve (for plain ones, ``CoreDnsArgs.warnings()`` says it).
        ``environment``: the stack's name for the clusterstack.io/environment label (default: the running
        stack's), one value for a whole program, so not a setting of this component."""
        super().__init__("clusterstack:dns:CoreDns", resource_name, None, opts)
        spec = args_for(CoreDnsArgs, args, "CoreDns", resource_name)
        facts = cluster if cluster is not None else ClusterSpec()
        objects = build_coredns(spec, facts, stack_environment(environment))
        children = pulumi.ResourceOptions(parent=self)
        text = objects.corefile["data"]["Corefile"]
        corefile_object = objects.corefile
        if isinstance(text, pulumi.Output):
            # What the warnings passed over, said before the Corefile is written (the patch waits for it).
            text = pulumi.Output.all(text, resolved(spec)).apply(self._warning_of_outputs(spec, facts, node_local))
            corefile_object = {**objects.corefile, "data": {"Corefile": text}}

        # Deleting a patch releases its fields, and data.Corefile is clusterstack's alone once forced:
        # CoreDNS would be left with no Corefile, and fail to start at its next restart. Removing
        # dns.coredns (or a replacement of the patch) leaves the last Corefile in place instead.
        kept = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        corefile = register_patch(corefile_object, kept, child_name(resource_name, corefile_object))
        if not isinstance(corefile, k8s.core.v1.ConfigMapPatch):
            raise TypeError(f"the Corefile registered as {type(corefile).__name__}, not ConfigMapPatch")
        self.corefile = corefile
        self.pdb = None
        if spec.pdb is not None and objects.pdb is not None:
            child = AddOnChildren(resource_name, children, spec.pdb.on_existing).add
            self.pdb = child(objects.pdb, k8s.policy.v1.PodDisruptionBudget, k8s.policy.v1.PodDisruptionBudgetPatch)
        self.corefile_text = pulumi.Output.from_input(text)
        self.register_outputs({"corefile": self.corefile_text})

    def _warning_of_outputs(self, spec: CoreDnsArgs, cluster: ClusterSpec, node_local: NodeLocalDnsArgs | None) -> Callable[[list[Any]], str]:
        """Log the warnings the resolved servers bring (those ``spec.warnings()`` could not give), then pass the Corefile on."""
        said = set(_all_warnings(spec, cluster, node_local))

        def warn(values: list[Any]) -> str:
            text: str = values[0]
            plain: CoreDnsArgs = values[1]
            for found in _all_warnings(plain, cluster, node_local):
                if found not in said:
                    pulumi.log.warn(str(found), resource=self)
            return text

        return warn


def _all_warnings(args: CoreDnsArgs, cluster: ClusterSpec, node_local: NodeLocalDnsArgs | None) -> Findings:
    """Every warning a platform gives its CoreDNS: the cluster's, the model's own, the cache's."""
    yield from warnings_of(args.on_cluster(cluster))
    yield from args.warnings()
    if node_local is not None:
        yield from bypassed_by_node_local(args, node_local, cluster.domain)
