"""Facts about the target cluster (``clusterstack:cluster``) that the building blocks need."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Literal

from pydantic import Field, field_validator

from .kube.names import dns1123_subdomain
from .kube.schema import DEFAULT_KUBERNETES_VERSION
from .model import Model

_VERSION = re.compile(r"^1\.[0-9]+$")


class ClusterSpec(Model):
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    """The cluster's minor version, "1.N" (quoted in YAML): what ``validate`` checks objects against."""
    domain: str = "cluster.local"
    """The cluster DNS domain (the kubelet's clusterDomain)."""
    dns_service_ip: str = Field("10.96.0.10", alias="dnsServiceIP")
    """The kube-dns Service ClusterIP (kubeadm's default for a 10.96.0.0/12 service range)."""
    kube_proxy_mode: Literal["iptables", "ipvs"] = "iptables"
    network_plugin: Literal["calico", "cilium", "antrea", "kube-router", "flannel", "weave", "romana", "other"] | None = None
    """The CNI, when known: policies on a plugin that enforces none draw a warning."""

    @field_validator("kubernetes_version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError(f'{value!r} was read as a number; quote the version, e.g. "1.30" (1.30 unquoted reads as 1.3)')
        if isinstance(value, str) and not _VERSION.match(value):
            raise ValueError(f'{value!r} is not a Kubernetes minor version: write "1.N", e.g. "1.34"')
        return value

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        reasons = dns1123_subdomain(value)
        if reasons:
            raise ValueError(f"{value!r} is not a DNS domain: {'; '.join(reasons)}")
        return value

    @field_validator("dns_service_ip")
    @classmethod
    def _ip(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address (e.g. 10.96.0.10)") from None
        return value
