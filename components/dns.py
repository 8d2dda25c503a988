"""``clusterstack:dns``: the cluster DNS add-ons, each optional."""

from __future__ import annotations

from typing import Optional

from .dns_autoscaler import DnsAutoscalerArgs
from .model import Model
from .nodelocaldns import NodeLocalDnsArgs


class DnsArgs(Model):
    autoscaler: Optional[DnsAutoscalerArgs] = None
    """cluster-proportional-autoscaler for CoreDNS; unset: not deployed."""
    node_local: Optional[NodeLocalDnsArgs] = None
    """NodeLocal DNSCache; unset: not deployed."""
