"""``clusterstack:dns``: the cluster DNS add-ons, each optional."""

from __future__ import annotations

from .dns_autoscaler import DnsAutoscalerArgs
from .model import Model
from .nodelocaldns import NodeLocalDnsArgs


class DnsArgs(Model):
    autoscaler: DnsAutoscalerArgs | None = None
    """cluster-proportional-autoscaler for CoreDNS; unset: not deployed."""
    node_local: NodeLocalDnsArgs | None = None
    """NodeLocal DNSCache; unset: not deployed."""
