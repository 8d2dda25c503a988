"""``clusterstack:dns``: the cluster DNS add-ons, each optional."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from .coredns import CoreDnsArgs, CoreDnsArgsDict
from .dns_autoscaler import DnsAutoscalerArgs, DnsAutoscalerArgsDict
from .model import Model
from .nodelocaldns import NodeLocalDnsArgs, NodeLocalDnsArgsDict


# <generated from the fields of DnsArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class DnsArgsDict(TypedDict, total=False):
    """``DnsArgs`` as a dict, in the stack files' spelling."""

    autoscaler: DnsAutoscalerArgs | DnsAutoscalerArgsDict
    nodeLocal: NodeLocalDnsArgs | NodeLocalDnsArgsDict
    coredns: CoreDnsArgs | CoreDnsArgsDict
# </generated>


class DnsArgs(Model):
    autoscaler: DnsAutoscalerArgs | None = None
    """cluster-proportional-autoscaler for CoreDNS; unset: not deployed."""
    node_local: NodeLocalDnsArgs | None = None
    """NodeLocal DNSCache; unset: not deployed."""
    coredns: CoreDnsArgs | None = None
    """The cluster's own CoreDNS: its Corefile (stub domains, upstreams, cache, further server blocks)
    and a PodDisruptionBudget; unset: left as the cluster has it."""

    # <generated from the fields of DnsArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, autoscaler: DnsAutoscalerArgs | DnsAutoscalerArgsDict | None = None, node_local: NodeLocalDnsArgs | NodeLocalDnsArgsDict | None = None,
            coredns: CoreDnsArgs | CoreDnsArgsDict | None = None,
        ) -> None: ...
    # </generated>
