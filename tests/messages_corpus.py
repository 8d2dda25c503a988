"""Generated stacks that draw many errors and warnings at once, and every message each draws, in order.

tests/data/findings/messages.jsonl holds what the code before the one finding type (commit 69695ed)
printed for each of these stacks: test_findings.py checks the code prints exactly that still, the
messages and their order. The stacks mix, per part, settings that draw warnings (the part's own, the
cluster's) with, now and then, one that draws an error, so the rules meet in every order.

Re-record only to add stacks, with the code a record must hold (never to make a change pass):
``python -m tests.messages_corpus > tests/data/findings/messages.jsonl``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

from clusterstack.errors import ClusterstackError
from clusterstack.stack.files import Layer, StackConfig
from clusterstack.stack.spec import load_spec

COUNT = 150
SEED = 22
_DNS = ("coredns", "nodeLocal", "autoscaler")
_POOLS: dict[str, tuple[list[Any], list[Any]]] = {
    "cluster": (
        [{}, {"distribution": "eks"}, {"kubeProxyMode": "ipvs"}, {"kubernetesVersion": "1.26"}, {"networkPlugin": "flannel"},
         {"distribution": "eks", "kubeProxyMode": "ipvs", "kubernetesVersion": "1.26"}],
        [{"distribution": "gke"}, {"distribution": "aks"}, {"kubernetesVersion": "1.25"}, {"domain": "corp.internal"}, {"dnsServiceIP": "169.254.20.10"}],
    ),
    "coredns": (
        [None, {}, {"pdb": {"maxUnavailable": 0}}, {"pdb": {"maxUnavailable": 0, "unhealthyPodEvictionPolicy": "AlwaysAllow"}}, {"pdb": {}},
         {"upstreamServers": ["tls://9.9.9.9"], "stubDomains": {"consul.local": ["10.0.0.1"]}},
         {"serverBlocks": [{"zones": ["example.internal"], "port": 5353, "plugins": ["errors", "foo"]}]}],
        [{"stubDomains": {"cluster.local": ["10.0.0.1"]}}, {"serverBlocks": [{"zones": ["svc.cluster.local"], "plugins": ["errors"]}]}],
    ),
    "nodeLocal": (
        [None, {}, {"memoryLimit": "8Mi"}, {"upstreamServers": ["tls://1.1.1.1"], "stubDomains": {"consul.local": ["10.0.0.2"]}}, {"onExisting": "adopt"}],
        [{"localIP": "fd00::10"}, {"stubDomains": {"cluster.local": ["10.0.0.1"]}}],
    ),
    "autoscaler": (
        [None, {"linear": {"coresPerReplica": 256}}, {"ladder": {"nodesToReplicas": [[0, 0], [1, 2]]}}],
        [{"linear": {"coresPerReplica": 256}, "ladder": {"nodesToReplicas": [[0, 1]]}}],
    ),
    "ipMasq": (
        [None, {}, {"masqLinkLocalIPv6": True}, {"nonMasqueradeCIDRs": ["10.0.0.0/8", "10.0.0.0/8"], "resyncInterval": "10ms"},
         {"onExisting": "adopt", "nodeSelector": {"a": "b"}}],
        [{"nonMasqueradeCIDRs": ["fd00::/8"]}],
    ),
    "namespaces": (
        [{}, {"team": {"quota": {"requests.cpu": "4"}, "networkPolicy": {"defaultDeny": ["Ingress"], "allowFrom": [{"namespace": "tem"}]}}},
         {"team": {"podSecurity": {"enforce": "restricted", "version": "v1.99"}, "access": {"editors": {"groups": ["system:authenticated"]}}}},
         {"a": {"networkPolicy": {"defaultDeny": ["Ingress", "Egress"], "allowDNS": True, "allowTo": [{"namespace": "b", "ports": [{"port": 80}]}]}},
          "b": {"networkPolicy": {"defaultDeny": ["Ingress"]}}}],
        [{"team": {"limits": {"container": {"min": {"cpu": "64"}}}, "quota": {"limits.cpu": "1"}}}, {"Bad": {}}],
    ),
    "existingNamespaces": ([{}, {"default": {"podSecurity": {"enforce": "baseline", "version": "v1.99"}}}], [{"kube-system": {"podSecurity": "restricted"}}]),
}
"""Per key: settings that draw warnings (or nothing), and settings that draw an error."""


def stacks() -> Iterator[dict[str, Any]]:
    """``COUNT`` stacks' ``clusterstack:`` values, the same on every run."""
    rng = random.Random(SEED)
    for _ in range(COUNT):
        values: dict[str, Any] = {}
        for key, (fine, wrong) in _POOLS.items():
            value = rng.choice(wrong) if wrong and rng.random() < 0.05 else rng.choice(fine)
            if value is not None and key in _DNS:
                values.setdefault("dns", {})[key] = value
            elif value is not None:
                values[key] = value
        yield values


def messages(values: dict[str, Any]) -> list[str]:
    """What loading the stack prints: its errors, or its warnings, in order."""
    config = {"kubernetes:context": "test", **{f"clusterstack:{key}": value for key, value in values.items()}}
    try:
        loaded = load_spec(StackConfig("test", (Layer("stacks/Pulumi.test.yaml", config),)))
    except ClusterstackError as error:
        return [f"error: {problem}" for problem in error.problems]
    return [f"warning: {found}" for found in loaded.warnings]


if __name__ == "__main__":
    for values in stacks():
        print(json.dumps(messages(values)))
