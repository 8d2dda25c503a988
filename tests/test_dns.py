"""DnsAutoscaler and NodeLocalDns: their objects against the upstream manifests, the Corefile in each
kube-proxy mode and for IPv6, every rejection, the warnings, and the components under mocks.

The facts that matter from upstream's manifests (images, arguments, RBAC rules, ports, tolerations,
priority classes) are stated in the tests below, so they run in any checkout. Where the project's
shared reference copies of those manifests sit beside the checkout (``../shared/reference/upstream``),
two more tests compare every field with them; elsewhere those two are skipped, saying so."""

import copy
import json
from pathlib import Path

import pulumi
import pytest
import yaml

from clusterstack.components import (
    ClusterSpec,
    DnsAutoscaler,
    DnsAutoscalerArgs,
    Invalid,
    NodeLocalDns,
    NodeLocalDnsArgs,
    build_dns_autoscaler,
    build_platform,
)
from clusterstack.components.cpa import LinearParamsArgsDict
from clusterstack.components.nodelocaldns import build_node_local_dns, corefile
from tests.helpers import STACK_FILE, load, problems

UPSTREAM = Path(__file__).resolve().parents[2] / "shared" / "reference" / "upstream"
NO_UPSTREAM = "../shared/reference/upstream is not beside this checkout; the upstream facts are still checked by the tests above"
LINEAR: LinearParamsArgsDict = {"coresPerReplica": 256, "nodesPerReplica": 16, "min": 2, "preventSinglePointFailure": True}


def dns_problems(dns: dict, cluster: dict | None = None) -> list[str]:
    prefix = f"{STACK_FILE}: clusterstack:dns."
    found = problems(None, dns=dns, **({"cluster": cluster} if cluster else {}))
    assert all(p.startswith(prefix) for p in found), found
    return [p[len(prefix):] for p in found]


def by_kind_and_name(objects: list[dict]) -> dict[tuple[str, str], dict]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def without_labels(obj: dict) -> dict:
    obj = copy.deepcopy(obj)
    obj["metadata"].pop("labels", None)
    return obj


# --- Upstream's facts ---------------------------------------------------------------------------
# From kubernetes/website content/en/examples/admin/dns/dns-horizontal-autoscaler.yaml and
# kubernetes/kubernetes cluster/addons/dns/nodelocaldns/nodelocaldns.yaml.


def test_the_autoscaler_is_upstreams_cluster_proportional_autoscaler():
    objects = build_dns_autoscaler(DnsAutoscalerArgs(linear=LINEAR), "prod")
    assert objects.cluster_role["rules"] == [
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list", "watch"]},
        {"apiGroups": [""], "resources": ["replicationcontrollers/scale"], "verbs": ["get", "update"]},
        {"apiGroups": ["apps"], "resources": ["deployments/scale", "replicasets/scale"], "verbs": ["get", "update"]},
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "create"]},
    ]
    assert objects.cluster_role_binding["roleRef"] == {"kind": "ClusterRole", "name": "system:kube-dns-autoscaler", "apiGroup": "rbac.authorization.k8s.io"}
    assert objects.cluster_role_binding["subjects"] == [{"kind": "ServiceAccount", "name": "kube-dns-autoscaler", "namespace": "kube-system"}]
    pod = objects.deployment["spec"]["template"]["spec"]
    assert pod["priorityClassName"] == "system-cluster-critical"
    assert pod["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}, "supplementalGroups": [65534], "fsGroup": 65534}
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["tolerations"] == [{"key": "CriticalAddonsOnly", "operator": "Exists"}]
    assert pod["serviceAccountName"] == "kube-dns-autoscaler"
    [container] = pod["containers"]
    assert container["image"] == "registry.k8s.io/cpa/cluster-proportional-autoscaler:1.8.4"
    assert container["resources"] == {"requests": {"cpu": "20m", "memory": "10Mi"}}
    assert container["command"] == [
        "/cluster-proportional-autoscaler", "--namespace=kube-system", "--configmap=kube-dns-autoscaler",
        "--target=Deployment/coredns", "--logtostderr=true", "--v=2",
    ]


def test_node_local_dns_is_upstreams_node_cache():
    objects = build_node_local_dns(NodeLocalDnsArgs(), ClusterSpec(), "prod")
    assert objects.upstream_service["spec"] == {
        "ports": [
            {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
            {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
        ],
        "selector": {"k8s-app": "kube-dns"},
    }
    assert objects.metrics_service["spec"] == {"clusterIP": "None", "ports": [{"name": "metrics", "port": 9253, "targetPort": 9253}], "selector": {"k8s-app": "node-local-dns"}}
    spec = objects.daemon_set["spec"]
    assert spec["updateStrategy"] == {"rollingUpdate": {"maxUnavailable": "10%"}}
    pod = spec["template"]["spec"]
    assert (pod["priorityClassName"], pod["hostNetwork"], pod["dnsPolicy"]) == ("system-node-critical", True, "Default")
    assert pod["tolerations"] == [
        {"key": "CriticalAddonsOnly", "operator": "Exists"},
        {"effect": "NoExecute", "operator": "Exists"},
        {"effect": "NoSchedule", "operator": "Exists"},
    ]
    [container] = pod["containers"]
    assert container["image"] == "registry.k8s.io/dns/k8s-dns-node-cache:1.26.4"
    assert container["args"] == ["-localip", "169.254.20.10,10.96.0.10", "-conf", "/etc/Corefile", "-upstreamsvc", "kube-dns-upstream", "-pidfile", "/tmp/node-cache.pid"]
    assert container["securityContext"] == {"capabilities": {"add": ["NET_ADMIN"]}}
    assert [(p["containerPort"], p["name"], p["protocol"]) for p in container["ports"]] == [(53, "dns", "UDP"), (53, "dns-tcp", "TCP"), (9253, "metrics", "TCP")]
    assert container["livenessProbe"]["httpGet"] == {"host": "169.254.20.10", "path": "/health", "port": 8080}
    assert {v["name"]: v for v in pod["volumes"]}["config-volume"]["configMap"] == {"name": "node-local-dns", "items": [{"key": "Corefile", "path": "Corefile.base"}]}


# --- Against the upstream manifests, field by field ---------------------------------------------


def upstream(name: str, substitutions: dict[str, str]) -> list[dict]:
    text = (UPSTREAM / name).read_text()
    for placeholder, value in substitutions.items():
        text = text.replace(placeholder, value)
    return [doc for doc in yaml.safe_load_all(text) if doc]


@pytest.mark.skipif(not UPSTREAM.is_dir(), reason=NO_UPSTREAM)
def test_node_local_dns_in_iptables_mode_is_upstream_after_substitution():
    """Intended differences: clusterstack's labels instead of the addon-manager's, nothing else."""
    cluster = ClusterSpec()
    ours = by_kind_and_name(build_node_local_dns(NodeLocalDnsArgs(), cluster, "prod").all())
    theirs = upstream(
        "nodelocaldns.yaml",
        {"__PILLAR__LOCAL__DNS__": "169.254.20.10", "__PILLAR__DNS__SERVER__": "10.96.0.10", "__PILLAR__DNS__DOMAIN__": "cluster.local"},
    )
    assert set(ours) == {(o["kind"], o["metadata"]["name"]) for o in theirs}
    for expected in theirs:
        actual = ours[(expected["kind"], expected["metadata"]["name"])]
        assert without_labels(actual) == without_labels(expected)
        upstream_labels = {k: v for k, v in expected["metadata"].get("labels", {}).items() if k not in ("kubernetes.io/cluster-service", "addonmanager.kubernetes.io/mode")}
        assert actual["metadata"]["labels"] == {**upstream_labels, "app.kubernetes.io/managed-by": "clusterstack", "clusterstack.io/environment": "prod"}


@pytest.mark.skipif(not UPSTREAM.is_dir(), reason=NO_UPSTREAM)
def test_dns_autoscaler_is_upstream_plus_its_managed_config_map():
    """Intended differences: the managed parameters ConfigMap replaces --default-params; labels."""
    args = DnsAutoscalerArgs(linear={"coresPerReplica": 256, "nodesPerReplica": 16, "preventSinglePointFailure": True, "includeUnschedulableNodes": True})
    ours = by_kind_and_name(build_dns_autoscaler(args, "prod").all())
    theirs = upstream("dns-horizontal-autoscaler.yaml", {"<SCALE_TARGET>": "Deployment/coredns"})
    assert set(ours) - {(o["kind"], o["metadata"]["name"]) for o in theirs} == {("ConfigMap", "kube-dns-autoscaler")}
    for upstream_object in theirs:
        actual = without_labels(ours[(upstream_object["kind"], upstream_object["metadata"]["name"])])
        expected = without_labels(upstream_object)
        if expected["kind"] == "Deployment":
            command = expected["spec"]["template"]["spec"]["containers"][0]["command"]
            default_params = next(c for c in command if c.startswith("--default-params="))
            command.remove(default_params)
            seeded = json.loads(default_params.split("=", 1)[1])["linear"]
        assert actual == expected
    managed = json.loads(ours[("ConfigMap", "kube-dns-autoscaler")]["data"]["linear"])
    assert {k: v for k, v in managed.items() if k not in ("min", "max")} == seeded
    assert (managed["min"], managed["max"]) == (0, 0)  # the autoscaler's own defaults, written out


def test_the_config_map_holds_exactly_one_mode_as_json():
    linear = build_dns_autoscaler(DnsAutoscalerArgs(linear=LINEAR)).params
    assert linear["kind"] == "ConfigMap"
    assert list(linear["data"]) == ["linear"]
    assert json.loads(linear["data"]["linear"]) == {**LINEAR, "max": 0, "includeUnschedulableNodes": False}
    ladder = build_dns_autoscaler(DnsAutoscalerArgs(ladder={"coresToReplicas": [[1, 1], [64, 3], [512, 5]], "nodesToReplicas": [[1, 1], [2, 2]]})).params
    assert json.loads(ladder["data"]["ladder"]) == {
        "coresToReplicas": [[1, 1], [64, 3], [512, 5]],
        "nodesToReplicas": [[1, 1], [2, 2]],
        "includeUnschedulableNodes": False,
    }


def test_autoscaler_options_reach_its_command_line():
    args = DnsAutoscalerArgs(
        target="deployment/kube-dns", namespace="dns", node_labels={"pool": "system"}, poll_period_seconds=30,
        resources={"requests": {"cpu": "50m"}, "limits": {"memory": "64Mi"}}, linear=LINEAR,
    )
    deployment = build_dns_autoscaler(args).deployment
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == [
        "/cluster-proportional-autoscaler", "--namespace=dns", "--configmap=kube-dns-autoscaler", "--target=Deployment/kube-dns",
        "--logtostderr=true", "--v=2", "--nodelabels=pool=system", "--poll-period-seconds=30",
    ]
    assert container["resources"] == {"requests": {"cpu": "50m"}, "limits": {"memory": "64Mi"}}


def test_nothing_sets_the_dns_deployments_replicas():
    """The DNS Deployment's .spec.replicas belongs to the autoscaler: clusterstack never renders that Deployment."""
    rendered = build_platform(load(None, dns={"autoscaler": {"linear": LINEAR}, "nodeLocal": {}}).args)
    assert not [o for o in rendered if o["kind"] == "Deployment" and o["metadata"]["name"] == "coredns"]
    assert all("replicas" not in o.get("spec", {}) for o in rendered)


# --- The Corefile ------------------------------------------------------------------------------


def test_corefile_in_ipvs_mode_binds_only_the_local_ip_and_forwards_to_kube_dns():
    cluster = ClusterSpec(kube_proxy_mode="ipvs", dns_service_ip="10.0.0.10", domain="corp.local")
    text = corefile(NodeLocalDnsArgs(), cluster)
    assert "bind 169.254.20.10\n" in text
    assert "10.0.0.10 " not in text.replace("forward . 10.0.0.10 {", "")
    assert text.count("forward . 10.0.0.10 {") == 3  # corp.local, in-addr.arpa, ip6.arpa
    assert "__PILLAR__CLUSTER__DNS__" not in text
    assert text.startswith("corp.local:53 {")
    daemonset = build_node_local_dns(NodeLocalDnsArgs(), cluster).daemon_set
    assert daemonset["spec"]["template"]["spec"]["containers"][0]["args"][:2] == ["-localip", "169.254.20.10"]


def test_an_ipvs_stack_states_the_kubelet_cluster_dns():
    loaded = load(None, cluster={"kubeProxyMode": "ipvs"}, dns={"nodeLocal": {}})
    [warning] = [str(w) for w in loaded.warnings]
    assert warning.startswith(f"{STACK_FILE}: clusterstack:dns.nodeLocal.localIP: kube-proxy is in IPVS mode: set every kubelet's clusterDNS (--cluster-dns) to 169.254.20.10")


def test_corefile_for_ipv6_brackets_the_health_address():
    cluster = ClusterSpec(dns_service_ip="fd00:10:96::a")
    text = corefile(NodeLocalDnsArgs(local_ip="fd00::10"), cluster)
    assert "health [fd00::10]:8080" in text
    assert "bind fd00::10 fd00:10:96::a" in text
    args = build_node_local_dns(NodeLocalDnsArgs(local_ip="fd00::10"), cluster).daemon_set["spec"]["template"]["spec"]["containers"][0]
    assert args["args"][1] == "fd00::10,fd00:10:96::a"
    assert args["livenessProbe"]["httpGet"]["host"] == "fd00::10"


def test_stub_domains_and_upstreams_and_tuning():
    args = NodeLocalDnsArgs(
        stub_domains={"consul.local": ["10.150.0.1", "10.150.0.2:8600"]},
        upstream_servers=["1.1.1.1", "8.8.8.8"],
        cluster_protocol="prefer_udp",
        cache={"successCapacity": 20000, "successTTL": 60, "denialCapacity": 5000, "denialTTL": 10},
    )
    text = corefile(args, ClusterSpec())
    assert "consul.local:53 {\n    errors\n    cache 30\n    reload\n    loop\n    bind 169.254.20.10 10.96.0.10\n    forward . 10.150.0.1 10.150.0.2:8600\n    prometheus :9253\n    }\n" in text
    assert text.endswith(".:53 {\n    errors\n    cache 30\n    reload\n    loop\n    bind 169.254.20.10 10.96.0.10\n    forward . 1.1.1.1 8.8.8.8\n    prometheus :9253\n    }\n")
    assert "    cache {\n            success 20000 60\n            denial 5000 10\n    }\n" in text
    assert text.count("            prefer_udp\n") == 3


def test_memory_limit_below_what_the_caches_use_warns():
    # 4 server blocks + one stub domain at ~30 MB each: 128Mi (134 MB) is too little, 200Mi is enough.
    dns = {"nodeLocal": {"stubDomains": {"consul.local": ["10.150.0.1"]}, "memoryLimit": "128Mi"}}
    [warning] = [str(w) for w in load(None, dns=dns).warnings]
    assert "clusterstack:dns.nodeLocal.memoryLimit: 128Mi (134 MB) is below the ~150 MB the caches use when full" in warning
    assert "OOM kill" in warning
    assert load(None, dns={"nodeLocal": {"memoryLimit": "128Mi"}}).warnings == []
    assert load(None, dns={**dns, "nodeLocal": {**dns["nodeLocal"], "memoryLimit": "200Mi"}}).warnings == []
    memory = build_node_local_dns(NodeLocalDnsArgs(memory_limit="200Mi"), ClusterSpec()).daemon_set["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert memory == {"requests": {"cpu": "25m", "memory": "5Mi"}, "limits": {"memory": "200Mi"}}


# --- Rejections --------------------------------------------------------------------------------

REJECTIONS = [
    ({"autoscaler": {}}, ["autoscaler: needs exactly one of linear or ladder (the autoscaler's two control modes)"]),
    ({"autoscaler": {"linear": LINEAR, "ladder": {"nodesToReplicas": [[1, 1]]}}}, ["autoscaler: needs exactly one of linear or ladder (the autoscaler's two control modes)"]),
    ({"autoscaler": {"linear": {"min": 1}}}, ["autoscaler.linear: needs coresPerReplica or nodesPerReplica above 0 (the autoscaler refuses parameters with neither)"]),
    ({"autoscaler": {"linear": {"coresPerReplica": 0, "nodesPerReplica": 0}}}, ["autoscaler.linear: needs coresPerReplica or nodesPerReplica above 0 (the autoscaler refuses parameters with neither)"]),
    ({"autoscaler": {"linear": {"nodesPerReplica": -20}}}, ["autoscaler.linear.nodesPerReplica: must be at least 0, not -20"]),
    ({"autoscaler": {"linear": {"nodesPerReplica": 1, "min": -1}}}, ["autoscaler.linear.min: must be at least 0, not -1"]),
    ({"autoscaler": {"linear": {"nodesPerReplica": 1, "min": 100, "max": 50}}}, ["autoscaler.linear.max: 50 is below min 100; use max ≥ min, or 0 for no maximum"]),
    ({"autoscaler": {"linear": {"coresPerReplica": "whatisthis"}}}, ["autoscaler.linear.coresPerReplica: must be a number, not 'whatisthis'"]),
    ({"autoscaler": {"linear": {"coresPerReplica": "256"}}}, ["autoscaler.linear.coresPerReplica: must be a number, not '256'"]),
    ({"autoscaler": {"linear": {"nodesPerReplica": 1, "min": 1.5}}}, ["autoscaler.linear.min: must be a whole number, not 1.5"]),
    ({"autoscaler": {"ladder": {}}}, ["autoscaler.ladder: needs coresToReplicas or nodesToReplicas: with neither, the autoscaler scales DNS to 0 replicas"]),
    ({"autoscaler": {"ladder": {"coresToReplicas": [[1, 1], [64, 3], [64, 5]]}}}, ["autoscaler.ladder.coresToReplicas[2]: threshold 64 does not increase on 64; thresholds must be strictly increasing"]),
    ({"autoscaler": {"ladder": {"nodesToReplicas": [[2, 2], [1, 1]]}}}, ["autoscaler.ladder.nodesToReplicas[1]: threshold 1 does not increase on 2; thresholds must be strictly increasing"]),
    ({"autoscaler": {"ladder": {"nodesToReplicas": [[1, -200]]}}}, ["autoscaler.ladder.nodesToReplicas[0][1]: must be at least 0, not -200"]),
    ({"autoscaler": {"ladder": {"nodesToReplicas": [[1, 1, 1]]}}}, ["autoscaler.ladder.nodesToReplicas[0]: must have at most 2 item(s), not 3"]),
    ({"autoscaler": {"ladder": {"nodesToReplicas": [["1", 1]]}}}, ["autoscaler.ladder.nodesToReplicas[0][0]: must be a whole number, not '1'"]),
    ({"autoscaler": {"target": "StatefulSet/coredns", "linear": LINEAR}}, ["autoscaler.target: 'StatefulSet/coredns' is not <kind>/<name> with kind Deployment, ReplicationController or ReplicaSet (e.g. Deployment/coredns)"]),
    ({"autoscaler": {"target": "Deployment/CoreDNS", "linear": LINEAR}}, ["autoscaler.target: the target name 'CoreDNS' must be a DNS-1123 subdomain: lower case letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. 'example.com')"]),
    ({"nodeLocal": {"localIP": "10.0.0.10"}}, ["nodeLocal.localIP: 10.0.0.10 is neither link-local (169.254.0.0/16) nor IPv6 unique-local (fd00::/8), e.g. 169.254.20.10 or fd00::10"]),
    ({"nodeLocal": {"localIP": "169.254.20"}}, ["nodeLocal.localIP: '169.254.20' is not an IP address (e.g. 169.254.20.10)"]),
    ({"nodeLocal": {"stubDomains": {"consul_local": ["10.150.0.1"]}}}, ["nodeLocal.stubDomains.consul_local: is not a DNS domain: must be a DNS-1123 subdomain: lower case letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. 'example.com')"]),
    (
        {"nodeLocal": {"stubDomains": {"consul.local": ["10.150.0.300"]}}},
        [
            (
                "nodeLocal.stubDomains.consul.local[0]: '10.150.0.300' is not an IP address, IP:port or [IPv6]:port (after dns:// or tls://, or neither) "
                "or a resolv.conf path (e.g. 10.150.0.1, 10.150.0.1:8600, [fd00::53]:53, tls://1.1.1.1, /etc/resolv.conf)"
            )
        ],
    ),
    ({"nodeLocal": {"stubDomains": {"consul.local": ["10.150.0.1:70000"]}}}, ["nodeLocal.stubDomains.consul.local[0]: '10.150.0.1:70000' has port '70000'; ports are 1-65535"]),
    (
        {"nodeLocal": {"upstreamServers": ["dns.google"]}},
        [
            (
                "nodeLocal.upstreamServers[0]: 'dns.google' is a host name; CoreDNS's forward takes IP addresses (before CoreDNS 1.14.4 it reads "
                "a host name as a file name, and refuses the Corefile): give its IP"
            )
        ],
    ),
    ({"nodeLocal": {"upstreamServers": ["1.1.1.1", "1.1.1.1"]}}, ["nodeLocal.upstreamServers[1]: 1.1.1.1 is listed twice"]),
    ({"nodeLocal": {"stubDomains": {".": ["10.150.0.1"]}}}, ["nodeLocal.stubDomains..: is the root zone, the main server block's: set upstreamServers instead"]),
    ({"nodeLocal": {"cache": {"successTTL": 0}}}, ["nodeLocal.cache.successTTL: must be more than 0, not 0"]),
    ({"nodeLocal": {"cache": {"denialTTL": 2147483648}}}, ["nodeLocal.cache.denialTTL: must be at most 2147483647, not 2147483648"]),
]


@pytest.mark.parametrize(("dns", "expected"), REJECTIONS)
def test_rejections(dns, expected):
    assert dns_problems(dns) == expected


@pytest.mark.parametrize("zone", ["cluster.local", "in-addr.arpa", "IP6.arpa."])
def test_a_stub_domain_may_not_be_a_zone_the_cache_serves_itself(zone):
    """The node-cache already has a block for the cluster domain and both reverse zones: CoreDNS refuses
    a second one ("cannot serve dns://cluster.local.:53 - it is already defined")."""
    served = zone.lower().rstrip(".")
    message = (
        f"nodeLocal.stubDomains.{zone}: {served} is a zone the cache already serves, forwarding it to kube-dns: the node-cache would "
        "refuse its Corefile; forward a domain of your own (e.g. consul.local)"
    )
    assert dns_problems({"nodeLocal": {"stubDomains": {zone: ["10.150.0.1"]}}}) == [message]
    assert dns_problems({"nodeLocal": {"stubDomains": {"legacy.cluster.local": ["10.150.0.1"]}}}) == []


def test_stub_domains_are_written_lower_case_without_the_trailing_dot():
    text = corefile(NodeLocalDnsArgs(stub_domains={"Consul.LOCAL.": ["10.150.0.1"]}), ClusterSpec())
    assert "\nconsul.local:53 {\n" in text
    assert "Consul" not in text


def test_the_local_ip_must_not_be_the_kube_dns_ip_and_must_match_its_family():
    assert dns_problems({"nodeLocal": {"localIP": "169.254.20.10"}}, {"dnsServiceIP": "169.254.20.10"}) == [
        "nodeLocal.localIP: 169.254.20.10 is the kube-dns Service IP (cluster.dnsServiceIP); the cache needs its own link-local address"
    ]
    assert dns_problems({"nodeLocal": {"localIP": "fd00::10"}}) == [
        "nodeLocal.localIP: fd00::10 is IPv6 but cluster.dnsServiceIP 10.96.0.10 is IPv4; in iptables mode the cache binds both, and -localip takes addresses of one family"
    ]
    assert dns_problems({"nodeLocal": {"localIP": "fd00::10"}}, {"kubeProxyMode": "ipvs"}) == []


def test_a_ladder_step_to_zero_replicas_warns():
    [warning] = load(None, dns={"autoscaler": {"ladder": {"nodesToReplicas": [[0, 0], [1, 2]]}}}).warnings
    assert str(warning).endswith("clusterstack:dns.autoscaler.ladder.nodesToReplicas[0]: scales to 0 replicas at 0: no DNS unless the other table asks for more")


# --- Under Pulumi mocks ------------------------------------------------------------------------


@pulumi.runtime.test
def test_dns_components_register_their_objects(pulumi_mocks):
    autoscaler = DnsAutoscaler("dns-autoscaler", DnsAutoscalerArgs(linear=LINEAR))
    cache = NodeLocalDns("node-local-dns", NodeLocalDnsArgs(), cluster=ClusterSpec(kube_proxy_mode="ipvs"))

    def check(values):
        config_map, kubelet_dns = values[:2]
        assert config_map == "kube-dns-autoscaler"
        assert kubelet_dns == "169.254.20.10"
        names = {(r.type, r.name) for r in pulumi_mocks.recording().resources}
        assert ("kubernetes:apps/v1:Deployment", "dns-autoscaler/kube-dns-autoscaler") in names
        assert ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "dns-autoscaler/system:kube-dns-autoscaler") in names
        assert ("kubernetes:apps/v1:DaemonSet", "node-local-dns/node-local-dns") in names
        assert ("kubernetes:core/v1:Service", "node-local-dns/kube-dns-upstream") in names

    assert autoscaler.params.__class__.__name__ == "ConfigMap"
    assert cache.daemon_set.__class__.__name__ == "DaemonSet"
    # Wait on every child the check names: under the SDK's mocks they register concurrently.
    children = [r.urn for r in (autoscaler.params, autoscaler.deployment, autoscaler.cluster_role_binding, cache.config_map, cache.daemon_set, cache.upstream_service)]
    return pulumi.Output.all(autoscaler.config_map, cache.kubelet_cluster_dns, *children).apply(check)


def test_node_local_dns_refuses_its_kube_dns_ip(pulumi_mocks):
    with pytest.raises(Invalid, match="is the kube-dns Service IP"):
        NodeLocalDns("cache", NodeLocalDnsArgs(local_ip="169.254.20.10"), cluster=ClusterSpec(dns_service_ip="169.254.20.10"))
