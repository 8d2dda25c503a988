"""clusterstack/adopt/dns.py (with dns_coredns.py and dns_node_local.py): a cluster's DNS add-ons back
to the stack's ``dns`` (autoscaler, nodeLocal, coredns) and the ``cluster`` facts they reveal.

What this verifies:

- the round trip: the DNS objects (as rendered, as the API server returns them, and as the import
  normalises them) of every shipped stack, of the two-clusters example (per cluster)
  and of stacks that set every DNS field (ladder and linear, IPVS and iptables, IPv6, stub domains,
  upstreams, server blocks, a disruption budget, a cluster domain of its own) map back to the values
  that rendered them, with no note;
- real inputs (tests/data/live/cluster/README.md cites each): the upstream sample manifests, AKS's,
  EKS's and minikube's Corefiles; what the distribution ships (its Corefile, CoreDNS, the kube-dns
  Service, an add-on clusterstack did not make) is adopted, not created, each with its note, and what
  the stack would change or cannot hold is a note on the object and field;
- bad input (a Corefile that does not parse, parameters that are not JSON, a malformed quantity, an
  object of the wrong shape anywhere) is a note naming the object and field, never a traceback.
"""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from clusterstack.adopt.cluster import map_cluster
from clusterstack.adopt.dns import map_dns
from clusterstack.adopt.dump import LiveObject, load
from clusterstack.adopt.importer import read
from clusterstack.components.dns import DnsArgs
from clusterstack.stack.files import read_stack
from clusterstack.stack.project import Project
from clusterstack.stack.spec import StackSpec, load_spec
from clusterstack.testing import run_program
from tests import helpers

REPO = Path(__file__).resolve().parent.parent
LIVE = REPO / "tests" / "data" / "live" / "cluster"


def _dns(values: dict[str, Any] | DnsArgs) -> dict[str, Any]:
    """The DNS settings as they act: a disruption budget by the one bound it sets (no bound is
    ``maxUnavailable: 1``, components/coredns_args.py)."""
    args = values if isinstance(values, DnsArgs) else DnsArgs.model_validate(values)
    dumped = args.model_dump()
    if args.coredns is not None and args.coredns.pdb is not None:
        pdb = args.coredns.pdb
        dumped["coredns"]["pdb"] = (pdb.budget, pdb.unhealthy_pod_eviction_policy, pdb.on_existing)
    return dumped


def _same(fragment: dict[str, Any], args: StackSpec) -> None:
    """The fragment's dns says what the stack says (as the stack's models read both), and each cluster
    fact it gives is the stack's."""
    assert _dns(fragment.get("dns", {})) == _dns(args.dns)
    cluster = args.cluster.model_dump(by_alias=True)
    assert {key: cluster[key] for key in fragment.get("cluster", {})} == fragment.get("cluster", {})


@pytest.mark.parametrize("through", helpers.THROUGH)
@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_shipped_stack_maps_back_to_its_own_dns(stack, through):
    args = load_spec(read_stack(Project.load(REPO), stack)).args
    fragment, notes = map_dns(helpers.rendered(args, stack, helpers.THROUGH[through]))
    _same(fragment, args)
    assert notes == []
    if stack == "prod":  # as a person writes it: what the stack leaves to defaults is left out
        assert fragment["dns"]["coredns"] == {"stubDomains": {"consul.local": ["10.150.0.1"]}, "pdb": {"unhealthyPodEvictionPolicy": "AlwaysAllow"}}
        assert fragment["dns"]["nodeLocal"] == {"stubDomains": {"consul.local": ["10.150.0.1"]}, "memoryLimit": "200Mi"}


def test_the_two_clusters_example_maps_back_cluster_by_cluster():
    recording = run_program(REPO / "examples" / "two-clusters", stack="dev")
    clusters: dict[str, list[LiveObject]] = defaultdict(list)
    for resource in recording.resources:
        if resource.custom and resource.type.startswith("kubernetes:") and not resource.type.startswith("pulumi:providers"):
            clusters[resource.provider.split("::")[-2]].append(LiveObject(resource.name, resource.inputs))
    found = {}
    for provider, objects in clusters.items():
        fragment, notes = map_dns(objects)
        assert notes == []
        found[provider.rsplit(":", 1)[-1]] = fragment
    autoscaler = {"linear": {"coresPerReplica": 256, "nodesPerReplica": 16, "min": 2}}
    assert found == {"eu": {"dns": {"autoscaler": autoscaler, "nodeLocal": {}}}, "us": {"dns": {"autoscaler": autoscaler}}}


EVERY_FIELD: list[dict[str, Any]] = [
    {
        "dns": {
            "autoscaler": {
                "target": "Deployment/kube-dns", "image": "mirror.example.com/cpa:1.9.0", "nodeLabels": {"pool": "general", "tier": "system"},
                "pollPeriodSeconds": 30, "resources": {"requests": {"cpu": "50m", "memory": "20Mi"}, "limits": {"memory": "40Mi"}},
                "ladder": {"coresToReplicas": [[1, 1], [64, 3], [512, 5]], "nodesToReplicas": [[1, 1], [2, 2]], "includeUnschedulableNodes": True},
            },
            "nodeLocal": {
                "localIP": "169.254.25.10", "upstreamServers": ["1.1.1.1", "tls://9.9.9.9"], "stubDomains": {"consul.local": ["10.150.0.1:8600"], "corp.example": ["10.0.0.53"]},
                "memoryLimit": "256Mi", "image": "mirror.example.com/node-cache:1.26.4", "clusterProtocol": "prefer_udp",
                "cache": {"successCapacity": 4096, "successTTL": 60, "denialCapacity": 1024, "denialTTL": 10},
            },
            "coredns": {
                "stubDomains": {"consul.local": ["10.150.0.1:8600"], "corp.example": ["10.0.0.53"]},
                "upstreamServers": ["1.1.1.1", "tls://9.9.9.9"],
                "cache": 60,
                "serverBlocks": [
                    {"zones": ["example.internal", "example.test"], "port": 5353, "plugins": ["errors", "log", "forward . 10.0.0.53 {\n    force_tcp\n}"]},
                    {"zones": ["legacy.example"], "plugins": ["errors", "cache 10", "forward . 10.0.0.54"]},
                ],
                "pdb": {"minAvailable": "50%"},
            },
        },
        "cluster": {"domain": "corp.local", "dnsServiceIP": "10.100.0.10", "kubeProxyMode": "ipvs"},
    },
    {
        "dns": {"autoscaler": {"linear": {"nodesPerReplica": 8.5, "max": 10}}, "nodeLocal": {"localIP": "fd00::10"}},
        "cluster": {"dnsServiceIP": "fd00:10:96::a"},
    },
    {"dns": {"nodeLocal": {}}},
    {"dns": {"coredns": {"pdb": {}}}},
]


@pytest.mark.parametrize("values", EVERY_FIELD, ids=["every-field-ipvs", "ipv6-iptables", "defaults", "budget-alone"])
@pytest.mark.parametrize("through", helpers.THROUGH)
def test_a_stack_setting_every_dns_field_maps_back_to_itself(values, through):
    args = helpers.load(**values).args
    fragment, notes = map_dns(helpers.rendered(args, through=helpers.THROUGH[through]))
    _same(fragment, args)
    assert notes == []
    assert fragment == values  # as written: nothing added, nothing lost
    assert helpers.problems(**fragment) == []


def test_coredns_set_to_kubeadm_s_own_corefile_maps_back_to_unset():
    """``dns.coredns: {}`` writes kubeadm's Corefile, which every kubeadm cluster has: the two cannot be
    told apart, so it maps to the distribution's Corefile, adopted (the cluster keeps the same text)."""
    args = helpers.load(dns={"coredns": {}}).args
    fragment, notes = map_dns(helpers.rendered(args))
    assert fragment == {}
    [found] = notes
    assert (found.object, found.field, found.outcome) == ("ConfigMap kube-system/coredns (render#0)", "data.Corefile", "adopted")
    assert "stays unset" in found.reason
    assert "rewrite" not in found.reason


def test_the_upstream_node_local_sample_filled_in_as_the_page_says_is_adopted_whole():
    objects = load([LIVE / "nodelocaldns-iptables.yaml"])
    fragment, notes = map_dns(objects)
    assert fragment == {"dns": {"nodeLocal": {"onExisting": "adopt"}}}
    assert [(n.object, n.outcome) for n in notes] == [(objects[3].describe(), "adopted")]
    assert "addonmanager.kubernetes.io/mode: Reconcile" in notes[0].reason


def test_the_upstream_sample_with_its_placeholders_is_no_running_cache():
    fragment, notes = map_dns(load([LIVE / "nodelocaldns-sample.yaml"]))
    assert fragment == {}
    [found] = notes
    assert (found.field, found.outcome) == ("data.Corefile", "unfit")
    assert "__PILLAR__LOCAL__DNS__" in found.reason


def test_the_upstream_autoscaler_maps_from_its_default_params():
    """The page's manifest has no ConfigMap: the autoscaler writes one from --default-params."""
    fragment, notes = map_dns(load([LIVE / "dns-horizontal-autoscaler.yaml"]))
    assert fragment == {"dns": {"autoscaler": {
        "onExisting": "adopt", "linear": {"coresPerReplica": 256, "nodesPerReplica": 16, "preventSinglePointFailure": True, "includeUnschedulableNodes": True},
    }}}
    assert [(n.outcome, n.field) for n in notes] == [("adopted", ""), ("unfit", "spec.template.spec.containers[0].command")]
    assert notes[1].reason.startswith('the stack\'s Deployment drops "--default-params={')
    assert helpers.problems(**fragment) == []


def test_aks_keeps_its_corefile_and_its_own_autoscaler():
    fragment, notes = map_dns(load([LIVE / "aks-coredns.yaml"]))
    assert fragment == {}
    by_object = {n.object.split(" (")[0]: n for n in notes}
    assert sorted(by_object) == ["ConfigMap kube-system/coredns", "ConfigMap kube-system/coredns-autoscaler"]
    corefile = by_object["ConfigMap kube-system/coredns"]
    assert (corefile.field, corefile.outcome) == ("data.Corefile", "adopted")
    assert "drops 'import custom/*.override'" in corefile.reason
    assert "drops 'import custom/*.server'" in corefile.reason
    assert by_object["ConfigMap kube-system/coredns-autoscaler"].outcome == "unfit"


def test_minikube_s_corefile_is_adopted_and_its_hosts_block_named():
    fragment, notes = map_dns(load([LIVE / "minikube-coredns.yaml"]))
    assert fragment == {}
    [found] = notes
    assert found.outcome == "adopted"
    assert "drops 'hosts {" in found.reason
    assert "max_concurrent" not in found.reason


def test_an_eks_block_of_its_own_becomes_a_server_block_and_the_main_block_s_changes_are_noted():
    fragment, notes = map_dns(load([LIVE / "eks-lab-coredns.yaml"]))
    assert fragment == {"dns": {"coredns": {"serverBlocks": [{"zones": ["lab.internal"], "plugins": ["forward . 8.8.8.8"]}]}}}
    assert [(n.field, n.outcome) for n in notes] == [("data.Corefile", "unfit")] * 2
    assert sorted(n.reason.split(": the stack's Corefile ")[1].split(" to ")[0] for n in notes) == ["changes 'forward . /etc/resolv.conf'", "changes 'health'"]
    assert helpers.problems(**fragment) == []


def _configmap(name: str, data: dict[str, str], namespace: str = "kube-system", **metadata: Any) -> LiveObject:
    return LiveObject(f"dump.yaml#{name}", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace, **metadata}, "data": data})


KUBEADM_MAIN = """.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
"""


def test_the_cluster_s_coredns_objects_are_adopted_and_the_kube_dns_ip_read():
    objects = [
        LiveObject("dump.yaml#0", {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "coredns", "namespace": "kube-system"}, "spec": {}}),
        LiveObject("dump.yaml#1", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kube-dns", "namespace": "kube-system"}, "spec": {"clusterIP": "172.20.0.10"}}),
        _configmap("coredns", {"Corefile": KUBEADM_MAIN + "consul.local:53 {\n    errors\n    cache 30\n    forward . 10.150.0.1\n}\n"}),
    ]
    fragment, notes = map_dns(objects)
    assert fragment == {"dns": {"coredns": {"stubDomains": {"consul.local": ["10.150.0.1"]}}}, "cluster": {"dnsServiceIP": "172.20.0.10"}}
    assert sorted((n.object.split(" (")[0], n.outcome) for n in notes) == [("Deployment kube-system/coredns", "adopted"), ("Service kube-system/kube-dns", "adopted")]


@pytest.mark.parametrize(
    ("corefile", "words"),
    [
        (".:53 {\n    errors\n", "never closed"),
        (".:53 {\n    errors\n}\n}\n", "closes no {"),
        ("consul.local:53 {\n    forward . 10.0.0.1\n}\n", "0 server blocks for .:53"),
    ],
    ids=["unclosed", "extra-brace", "no-main-block"],
)
def test_a_corefile_coredns_would_refuse_is_a_note_never_a_traceback(corefile, words):
    fragment, notes = map_dns([_configmap("coredns", {"Corefile": corefile})])
    assert fragment == {}
    [found] = notes
    assert (found.object, found.field, found.outcome) == ("ConfigMap kube-system/coredns (dump.yaml#coredns)", "data.Corefile", "unfit")
    assert words in found.reason


def test_a_corefile_block_the_stack_refuses_on_this_cluster_is_dropped_with_its_reason():
    corefile = KUBEADM_MAIN + "cluster.local:53 {\n    errors\n    cache 30\n    forward . 10.0.0.1\n}\nsvc.cluster.local:53 {\n    log\n}\n"
    fragment, notes = map_dns([_configmap("coredns", {"Corefile": corefile})])
    assert fragment == {"dns": {"coredns": {}}}
    assert sorted(n.reason.split(":")[0] for n in notes) == ["the server block for svc.cluster.local", "the stub domain cluster.local"]


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"linear": '{"coresPerReplica": 256,'}, "data.linear", "is not JSON"),
        ({"linear": "[256, 16]"}, "data.linear", "JSON list"),
        ({"linear": '{"coresPerReplica": 256}', "ladder": '{"nodesToReplicas": [[1, 1]]}'}, "data", "linear and ladder"),
        ({"linear": '{"coresPerReplica": 256, "minReplicas": 2}'}, "data.linear.minReplicas", "no setting"),
        ({"linear": '{"min": 2}'}, "linear", "coresPerReplica or nodesPerReplica"),
        ({"ladder": '{"coresToReplicas": [[64, 3], [1, 1]]}'}, "ladder.coresToReplicas[1]", "strictly increasing"),
    ],
    ids=["not-json", "not-an-object", "both-modes", "unknown-key", "no-ratio", "ladder-not-increasing"],
)
def test_malformed_autoscaler_parameters_are_a_note_naming_object_and_field(data, field, words):
    _, notes = map_dns([_configmap("kube-dns-autoscaler", data)])
    found = [n for n in notes if n.field == field]
    assert len(found) == 1, notes
    assert found[0].object == "ConfigMap kube-system/kube-dns-autoscaler (dump.yaml#kube-dns-autoscaler)"
    assert found[0].outcome == "unfit"
    assert words in found[0].reason


def _node_local(**changes: Any) -> list[LiveObject]:
    objects = load([LIVE / "nodelocaldns-iptables.yaml"])
    [daemon_set] = [o for o in objects if o.kind == "DaemonSet"]
    daemon_set.body["spec"]["template"]["spec"]["containers"][0]["resources"].update(changes)
    return objects


def test_a_malformed_memory_limit_is_a_note_naming_the_field():
    fragment, notes = map_dns(_node_local(limits={"memory": "2 gigs"}))
    assert fragment == {}
    [found] = [n for n in notes if n.outcome == "unfit"]
    assert (found.field, found.outcome) == ("memoryLimit", "unfit")
    assert "2 gigs" in found.reason
    assert found.object.startswith("ConfigMap kube-system/node-local-dns")


def test_a_node_local_cache_written_otherwise_is_mapped_with_each_difference_noted():
    objects = _node_local(limits={"memory": "128Mi", "cpu": "100m"})
    [config_map] = [o for o in objects if o.kind == "ConfigMap"]
    config_map.body["data"]["Corefile"] = config_map.body["data"]["Corefile"].replace("cache 30\n    reload", "cache 60\n    log\n    reload", 1)
    fragment, notes = map_dns(objects)
    assert fragment == {"dns": {"nodeLocal": {"memoryLimit": "128Mi", "onExisting": "adopt"}}}
    assert sorted((n.field, n.reason) for n in notes if n.outcome == "unfit") == [
        ("data.Corefile", "the block in-addr.arpa:53: the stack's Corefile changes 'cache 60' to 'cache 30'"),
        ("data.Corefile", "the block in-addr.arpa:53: the stack's Corefile drops 'log'"),
        ("spec.template.spec.containers[0].resources.limits.cpu", 'the stack\'s DaemonSet does not set it (the cluster has "100m")'),
    ]


def test_gke_s_kube_dns_configuration_is_noted_a_malformed_key_said_so():
    fragment, notes = map_dns([_configmap("kube-dns", {"stubDomains": '{"acme.local": ["1.2.3.4"]}', "upstreamNameservers": '["8.8.8.8"'})])
    assert fragment == {}
    assert sorted((n.field, n.outcome, "not JSON" in n.reason) for n in notes) == [("data.stubDomains", "unfit", False), ("data.upstreamNameservers", "unfit", True)]


def test_aks_s_own_autoscaler_is_not_taken_over():
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "coredns-autoscaler", "namespace": "kube-system"},
        "spec": {"template": {"spec": {"containers": [{"name": "autoscaler", "image": "mcr.microsoft.com/oss/kubernetes/autoscaler/cluster-proportional-autoscaler:v1.8.8",
                 "command": ["/cluster-proportional-autoscaler", "--namespace=kube-system", "--configmap=coredns-autoscaler", "--target=Deployment/coredns"]}]}}},
    }
    fragment, notes = map_dns([LiveObject("dump.yaml", deployment), *load([LIVE / "aks-coredns.yaml"])])
    assert "autoscaler" not in fragment.get("dns", {})
    assert "Deployment kube-system/coredns-autoscaler (dump.yaml)" in {n.object for n in notes if n.outcome == "unfit"}


def _paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [at] if at else []
    if isinstance(value, dict):
        found += [path for key, inner in value.items() for path in _paths(inner, (*at, key))]
    elif isinstance(value, list):
        found += [path for index, inner in enumerate(value) for path in _paths(inner, (*at, index))]
    return found


def test_an_object_of_any_shape_gives_notes_never_a_traceback():
    """Every field of every cluster-wide object of the prod render and the real dumps, in turn, holding
    a string, a number, a list or nothing at all: both mappers answer."""
    args = load_spec(read_stack(Project.load(REPO), "prod")).args
    mapped = {"PriorityClass", "StorageClass", "ConfigMap", "Deployment", "DaemonSet", "PodDisruptionBudget", "Service"}
    objects = [o for o in helpers.rendered(args, "prod") if o.kind in mapped and o.namespace in ("", "kube-system")]
    objects += load([LIVE / "aks-coredns.yaml", LIVE / "nodelocaldns-iptables.yaml", LIVE / "dns-horizontal-autoscaler.yaml"])
    tried = 0
    for index, live in enumerate(objects):
        for path in _paths(live.body):
            if path[0] in ("apiVersion", "kind") or path in (("metadata",), ("metadata", "name"), ("metadata", "namespace")):
                continue  # the loader refuses an object without them
            wrong: Any
            for wrong in ("x", 7, [], None):
                body = copy.deepcopy(live.body)
                holder = body
                for key in path[:-1]:
                    holder = holder[key]
                holder[path[-1]] = wrong
                changed = [*objects[:index], LiveObject(live.source, body), *objects[index + 1:]]
                for mapper in (map_cluster, map_dns):
                    fragment, notes = mapper(changed)
                    json.dumps(fragment)  # plain data, ready for the stack file
                    assert all(note.object.endswith(")") for note in notes)  # each names its object and where it was read
                tried += 1
    assert tried > 1000


@pytest.mark.parametrize(
    ("name", "data", "field", "words"),
    [
        ("coredns", {"Corefile": ".:53 " + "a {\n" * 5000}, "data.Corefile", "5000 levels of braces"),
        ("coredns", {"Corefile": ".:53 {\n" + "a {\n" * 600 + "}\n" * 601}, "data.Corefile", "601 levels of braces"),
        ("node-local-dns", {"Corefile": "cluster.local:53 " + "a {\n" * 5000}, "data.Corefile", "5000 levels of braces"),
        ("kube-dns-autoscaler", {"linear": "[" * 100_000}, "data.linear", "nests too deep"),
        ("kube-dns", {"stubDomains": "[" * 100_000}, "data.stubDomains", "nests too deep"),
    ],
    ids=["corefile-unclosed", "corefile-deep-but-closed", "node-local", "parameters", "kube-dns"],
)
def test_a_value_nested_past_python_s_recursion_is_a_note(name, data, field, words):
    """A hostile dump cannot make the import fail with RecursionError's traceback."""
    _, notes = map_dns([_configmap(name, data)])
    found = [n for n in notes if n.field == field]
    assert len(found) == 1, notes
    assert words in found[0].reason


@pytest.mark.parametrize("dump", sorted(path.name for path in LIVE.glob("*.yaml")))
def test_each_real_dump_imports_through_the_importer_into_a_valid_stack(dump):
    """clusterstack import's own reading (adopt/importer.py: normalise, then every mapper) of each real
    dump: a stack that validates, and a report (each dump has something adopted or not imported)."""
    imported = read(load([LIVE / dump]))
    assert helpers.problems(**imported.values) == []
    assert imported.notes != []


def test_each_object_of_an_add_on_the_stack_writes_otherwise_is_noted_field_by_field():
    """The autoscaler's ClusterRole without the configmaps rule upstream still carries: the stack's has it."""
    objects = load([LIVE / "dns-horizontal-autoscaler.yaml"])
    [role] = [o for o in objects if o.kind == "ClusterRole"]
    role.body["rules"] = role.body["rules"][:3]
    _, notes = map_dns(objects)
    [found] = [n for n in notes if n.object == role.describe()]
    assert (found.field, found.outcome) == ("rules", "unfit")
    assert found.reason.startswith("the stack's ClusterRole has [")


def test_a_cache_the_stack_refuses_on_the_cluster_its_corefile_describes_is_a_note():
    """A cache bound to the kube-dns IP itself (localIP = dnsServiceIP) is no NodeLocal DNSCache the stack can write."""
    objects = load([LIVE / "nodelocaldns-iptables.yaml"])
    [config_map] = [o for o in objects if o.kind == "ConfigMap"]
    config_map.body["data"]["Corefile"] = config_map.body["data"]["Corefile"].replace("10.96.0.10", "169.254.20.10")
    fragment, notes = map_dns(objects)
    assert fragment == {}
    assert any(n.object == config_map.describe() and "is the kube-dns Service IP" in n.reason for n in notes)


def test_a_cache_bound_to_what_is_no_address_is_a_note():
    objects = load([LIVE / "nodelocaldns-iptables.yaml"])
    [config_map] = [o for o in objects if o.kind == "ConfigMap"]
    config_map.body["data"]["Corefile"] = config_map.body["data"]["Corefile"].replace("10.96.0.10", "kube-dns.local")
    fragment, notes = map_dns(objects)
    assert fragment == {}
    assert [n.field for n in notes if n.outcome == "unfit"] == ["data.Corefile.dnsServiceIP"]


def test_dns_objects_that_disagree_on_a_cluster_fact_are_noted():
    corefile = KUBEADM_MAIN.replace("kubernetes cluster.local", "kubernetes corp.local") + "consul.local:53 {\n    errors\n    cache 30\n    forward . 10.150.0.1\n}\n"
    objects = [*load([LIVE / "nodelocaldns-iptables.yaml"]), _configmap("coredns", {"Corefile": corefile})]
    fragment, notes = map_dns(objects)
    assert "domain" not in fragment.get("cluster", {})  # the cache's cluster.local, kubeadm's default, is kept
    [found] = [n for n in notes if "gives cluster.domain" in n.reason]
    assert (found.object, found.field) == ("ConfigMap kube-system/coredns (dump.yaml#coredns)", "data.Corefile")


def _budget(labels: dict[str, str] | None = None) -> LiveObject:
    metadata: dict[str, Any] = {"name": "coredns", "namespace": "kube-system", **({"labels": labels} if labels else {})}
    spec = {"maxUnavailable": 1, "selector": {"matchLabels": {"k8s-app": "kube-dns"}}}
    return LiveObject("dump.yaml#pdb", {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": metadata, "spec": spec})


def test_eks_s_budget_beside_its_own_corefile_is_left_as_it_is():
    """EKS's CoreDNS add-on ships PodDisruptionBudget kube-system/coredns: with the distribution's Corefile, both stay the cluster's."""
    fragment, notes = map_dns([_configmap("coredns", {"Corefile": KUBEADM_MAIN}), _budget({"eks.amazonaws.com/component": "coredns"})])
    assert fragment == {}
    assert [(n.object.split(" (")[0], n.outcome) for n in notes] == [
        ("ConfigMap kube-system/coredns", "adopted"), ("PodDisruptionBudget kube-system/coredns", "adopted"),
    ]


def test_eks_s_budget_beside_a_corefile_of_the_stack_s_is_adopted():
    corefile = KUBEADM_MAIN + "consul.local:53 {\n    errors\n    cache 30\n    forward . 10.150.0.1\n}\n"
    fragment, notes = map_dns([_configmap("coredns", {"Corefile": corefile}), _budget()])
    assert fragment == {"dns": {"coredns": {"stubDomains": {"consul.local": ["10.150.0.1"]}, "pdb": {"onExisting": "adopt"}}}}
    assert [(n.object.split(" (")[0], n.outcome) for n in notes] == [("PodDisruptionBudget kube-system/coredns", "adopted")]
    assert helpers.problems(**fragment) == []


def test_a_tenant_s_configmap_with_a_key_named_linear_is_not_taken_for_an_autoscaler_s():
    _, notes = map_dns([_configmap("settings", {"linear": "{}"}, namespace="shop"), _configmap("typha-autoscaler", {"ladder": "{}"})])
    assert [n.object for n in notes] == ["ConfigMap kube-system/typha-autoscaler (dump.yaml#typha-autoscaler)"]
