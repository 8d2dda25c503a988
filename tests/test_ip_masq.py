"""IpMasqAgent: the DaemonSet against upstream's facts, the config file the agent reads (only the keys
that are set, read back as the agent would), the strict Kubernetes schemas, every rejection with its
key path and fix, the warnings, and the component under Pulumi mocks (created, or adopted as patches),
with Outputs where a program passes them (a VPC's CIDR block, a mirrored image) checked when they resolve
by the plain values' rules and messages.

Upstream's facts are stated here so they run in any checkout: kubernetes-sigs/ip-masq-agent
``cmd/ip-masq-agent/ip-masq-agent.go`` (config keys, defaults, validation) and ``ip-masq-agent.yaml``
(container, volume), kubernetes/kubernetes ``cluster/addons/ip-masq-agent/ip-masq-agent.yaml``
(priority class, tolerations, node selector, arguments, requests)."""

from __future__ import annotations

import gc

import pulumi
import pytest
import yaml
from pydantic import ValidationError

from clusterstack.components.cluster import ClusterSpec
from clusterstack.components.ip_masq import (
    RESERVED,
    RFC1918,
    IpMasqAgent,
    IpMasqArgs,
    IpMasqArgsDict,
    build_ip_masq,
)
from clusterstack.components.model import ArgsError
from clusterstack.components.pydantic_errors import describe
from clusterstack.kube.paths import KeyPath, dotted
from clusterstack.kube.schema import schema_problems
from clusterstack.testing import run

EVERY_KEY: IpMasqArgsDict = {
    "nonMasqueradeCIDRs": ["10.0.0.0/8", "172.16.0.0/12", "fd00::/8"],
    "cidrLimit": 10,
    "masqLinkLocal": True,
    "masqLinkLocalIPv6": False,
    "resyncInterval": "1m30s",
    "enableIPv6": True,
}


def ip_masq_spec(**overrides) -> dict:
    """A valid ``clusterstack:ipMasq`` as a stack file writes it; keyword arguments replace its keys."""
    spec: dict = {"nonMasqueradeCIDRs": ["10.0.0.0/8"], "resyncInterval": "60s"}
    spec.update(overrides)
    return spec


def problems_of(spec: dict) -> list[tuple[KeyPath, str]]:
    with pytest.raises(ValidationError) as caught:
        IpMasqArgs.model_validate(spec)
    return [(found.path, found.message) for found in describe(caught.value, IpMasqArgs)]


def warnings(args: IpMasqArgs, cluster: ClusterSpec | None = None) -> list[tuple[KeyPath, str]]:
    """What a stack's ipMasq is warned of: the model's own warnings, then those on ``cluster``."""
    found = [*args.warnings(), *(args.on_cluster(cluster) if cluster is not None else ())]
    return [(finding.path, finding.message) for finding in found]


def pod_spec(args: IpMasqArgs) -> dict:
    return build_ip_masq(args).daemon_set["spec"]["template"]["spec"]


def agent_reads(args: IpMasqArgs) -> dict:
    """The config as the agent reads it: the ConfigMap's ``config`` key, parsed as YAML."""
    return yaml.safe_load(build_ip_masq(args).config_map["data"]["config"])


# --- Upstream's facts -------------------------------------------------------------------------------


def test_the_daemon_set_is_upstreams_agent():
    objects = build_ip_masq(IpMasqArgs(), "prod")
    daemon_set = objects.daemon_set
    assert (daemon_set["metadata"]["name"], daemon_set["metadata"]["namespace"]) == ("ip-masq-agent", "kube-system")
    assert daemon_set["metadata"]["labels"] == {
        "k8s-app": "ip-masq-agent",
        "app.kubernetes.io/managed-by": "clusterstack",
        "clusterstack.io/environment": "prod",
    }
    assert daemon_set["spec"]["selector"] == {"matchLabels": {"k8s-app": "ip-masq-agent"}}
    assert daemon_set["spec"]["template"]["metadata"] == {"labels": {"k8s-app": "ip-masq-agent"}}
    pod = daemon_set["spec"]["template"]["spec"]
    assert (pod["priorityClassName"], pod["hostNetwork"], pod["automountServiceAccountToken"]) == ("system-node-critical", True, False)
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux", "node.kubernetes.io/masq-agent-ds-ready": "true"}
    assert pod["tolerations"] == [
        {"effect": "NoSchedule", "operator": "Exists"},
        {"effect": "NoExecute", "operator": "Exists"},
        {"key": "CriticalAddonsOnly", "operator": "Exists"},
    ]
    assert pod["volumes"] == [
        {"name": "config", "configMap": {"name": "ip-masq-agent", "optional": True, "items": [{"key": "config", "path": "ip-masq-agent"}]}}
    ]
    assert pod["containers"] == [
        {
            "name": "ip-masq-agent",
            "image": "registry.k8s.io/networking/ip-masq-agent:v2.12.0",
            "args": ["--masq-chain=IP-MASQ", "--nomasq-all-reserved-ranges"],
            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
            "securityContext": {"privileged": False, "capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
            "volumeMounts": [{"name": "config", "mountPath": "/etc/config"}],
        }
    ]
    config_map = objects.config_map
    assert (config_map["metadata"]["name"], config_map["metadata"]["namespace"]) == ("ip-masq-agent", "kube-system")
    assert config_map["data"] == {"config": "{}\n"}  # every key left to the agent's defaults


def test_the_agents_default_list_follows_the_reserved_ranges_flag():
    assert IpMasqArgs().effective_non_masquerade_cidrs() == (*RFC1918, *RESERVED)
    assert IpMasqArgs(nomasq_all_reserved_ranges=False).effective_non_masquerade_cidrs() == ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
    assert "--nomasq-all-reserved-ranges" not in pod_spec(IpMasqArgs(nomasq_all_reserved_ranges=False))["containers"][0]["args"]
    assert IpMasqArgs(non_masquerade_cidrs=[]).effective_non_masquerade_cidrs() == ()


# --- The config file ------------------------------------------------------------------------------


def test_the_config_holds_every_key_that_is_set_in_the_agents_order():
    args = IpMasqArgs.model_validate(EVERY_KEY)
    text = build_ip_masq(args).config_map["data"]["config"]
    assert yaml.safe_load(text) == {
        "nonMasqueradeCIDRs": ["10.0.0.0/8", "172.16.0.0/12", "fd00::/8"],
        "cidrLimit": 10,
        "masqLinkLocal": True,
        "masqLinkLocalIPv6": False,
        "resyncInterval": "1m30s",
    }
    assert [line.split(":")[0] for line in text.splitlines() if not line.startswith("-")] == [
        "nonMasqueradeCIDRs",
        "cidrLimit",
        "masqLinkLocal",
        "masqLinkLocalIPv6",
        "resyncInterval",
    ]
    assert build_ip_masq(IpMasqArgs.model_validate(EVERY_KEY)) == build_ip_masq(args)  # the same input, the same objects


@pytest.mark.parametrize(
    ("given", "read"),
    [
        ({"nonMasqueradeCIDRs": ["10.0.0.0/8"]}, {"nonMasqueradeCIDRs": ["10.0.0.0/8"]}),
        ({"nonMasqueradeCIDRs": []}, {"nonMasqueradeCIDRs": []}),  # masquerade all but link-local
        ({"cidrLimit": 0}, {"cidrLimit": 0}),
        ({"masqLinkLocal": False}, {"masqLinkLocal": False}),
        ({"resyncInterval": "500ms"}, {"resyncInterval": "500ms"}),
        ({"enableIPv6": True, "masqLinkLocalIPv6": True}, {"masqLinkLocalIPv6": True}),
        ({"enableIPv6": True, "nonMasqueradeCIDRs": ["::/0"]}, {"nonMasqueradeCIDRs": ["::/0"]}),
    ],
)
def test_a_key_is_written_only_when_set(given, read):
    assert agent_reads(IpMasqArgs.model_validate(given)) == read


def test_ipv6_adds_the_agents_flag():
    assert pod_spec(IpMasqArgs(enable_ipv6=True))["containers"][0]["args"] == ["--masq-chain=IP-MASQ", "--nomasq-all-reserved-ranges", "--enable-ipv6"]


def test_node_selector_and_resources_may_be_changed():
    pod = pod_spec(IpMasqArgs(node_selector={}, resources={"requests": {"cpu": "5m"}, "limits": {"memory": "32Mi"}}))
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["containers"][0]["resources"] == {"requests": {"cpu": "5m"}, "limits": {"memory": "32Mi"}}


@pytest.mark.parametrize("spec", [{}, EVERY_KEY, {"nodeSelector": {}, "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}}}])
@pytest.mark.parametrize("version", ["1.30", "1.34"])
def test_the_objects_pass_the_strict_schemas(spec, version):
    objects = build_ip_masq(IpMasqArgs.model_validate(spec), "prod")
    for manifest in objects.all():
        assert list(schema_problems(manifest, version)) == []


# --- What the agent refuses, refused early ----------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "path", "fragment"),
    [
        (
            ip_masq_spec(nonMasqueradeCIDRs=["10.0.0.0/8", "10.1.2.3/16"]),
            ("nonMasqueradeCIDRs", 1),
            "has host bits set, and the agent takes only CIDRs aligned to their block; did you mean 10.1.0.0/16?",
        ),
        (ip_masq_spec(nonMasqueradeCIDRs=["10.0.0.0"]), ("nonMasqueradeCIDRs", 0), "is an address, not a CIDR; did you mean 10.0.0.0/32?"),
        (ip_masq_spec(nonMasqueradeCIDRs=["10.0.0.0/33"]), ("nonMasqueradeCIDRs", 0), "has prefix length '33'; write the number of bits, 0-32"),
        (ip_masq_spec(nonMasqueradeCIDRs=["10.0.0.0/255.0.0.0"]), ("nonMasqueradeCIDRs", 0), "has prefix length '255.0.0.0'"),
        (ip_masq_spec(nonMasqueradeCIDRs=["ten/8"]), ("nonMasqueradeCIDRs", 0), "'ten/8' is not a CIDR (e.g. 10.0.0.0/8, fd00::/8)"),
        (ip_masq_spec(nonMasqueradeCIDRs=["010.0.0.0/8"]), ("nonMasqueradeCIDRs", 0), "is not a CIDR"),  # Go refuses leading zeros too
        (ip_masq_spec(nonMasqueradeCIDRs=["fe80::%eth0/10"], enableIPv6=True), ("nonMasqueradeCIDRs", 0), "has a zone"),
        (
            ip_masq_spec(nonMasqueradeCIDRs=["::ffff:10.0.0.0/104"], enableIPv6=True),
            ("nonMasqueradeCIDRs", 0),
            "is an IPv4-mapped IPv6 CIDR, which the agent puts in its IPv4 rules, where iptables refuses it; write 10.0.0.0/8",
        ),
        (
            ip_masq_spec(nonMasqueradeCIDRs=["10.0.0.0/8", "fd00::/8"]),
            ("nonMasqueradeCIDRs", 1),
            "fd00::/8 is IPv6, which the agent refuses unless it writes IPv6 rules; set enableIPv6: true",
        ),
        (
            ip_masq_spec(nonMasqueradeCIDRs=["10.0.0.0/8", "192.168.0.0/16"], cidrLimit=1),
            ("nonMasqueradeCIDRs",),
            "lists 2 CIDRs; the agent takes at most 1 (cidrLimit)",
        ),
        (ip_masq_spec(nonMasqueradeCIDRs=[f"10.{i}.0.0/16" for i in range(65)]), ("nonMasqueradeCIDRs",), "lists 65 CIDRs; the agent takes at most 64"),
        (ip_masq_spec(cidrLimit=-1), ("cidrLimit",), "must be at least 0"),
        (ip_masq_spec(resyncInterval="60"), ("resyncInterval",), "'60' has no unit; the agent reads a Go duration: did you mean 60s?"),
        (ip_masq_spec(resyncInterval=60), ("resyncInterval",), "60 has no unit; the agent reads a Go duration: did you mean 60s?"),
        (ip_masq_spec(resyncInterval="1d"), ("resyncInterval",), "'1d' has the unit 'd'; Go durations take ns, us (µs), ms, s, m and h"),
        (ip_masq_spec(resyncInterval="1 minute"), ("resyncInterval",), "has the unit ' minute'"),
        (ip_masq_spec(resyncInterval="s"), ("resyncInterval",), "'s' is not a Go duration"),
        (ip_masq_spec(resyncInterval=""), ("resyncInterval",), "'' is not a Go duration"),
        (ip_masq_spec(resyncInterval="0s"), ("resyncInterval",), "'0s' is not positive; the agent would rewrite its rules without pausing"),
        (ip_masq_spec(resyncInterval="-5s"), ("resyncInterval",), "is not positive"),
        (ip_masq_spec(resyncInterval="0.1ns"), ("resyncInterval",), "is not positive"),  # Go truncates it to 0
        (ip_masq_spec(resyncInterval="3000000h"), ("resyncInterval",), "is longer than the longest Go duration"),
        (ip_masq_spec(masqLinkLocal="sometimes"), ("masqLinkLocal",), "must be true or false"),
        (ip_masq_spec(image="registry.k8s.io/networking/ip-masq-agent: v2"), ("image",), "is not an image reference"),
        (ip_masq_spec(onExisting="replace"), ("onExisting",), "must be one of 'fail' or 'adopt'"),
        (ip_masq_spec(nodeSelector={"bad key!": "x"}), ("nodeSelector", "bad key!"), "is not a valid label key"),
        (
            ip_masq_spec(resources={"requests": {"memory": "64Mi"}, "limits": {"memory": "32Mi"}}),
            ("resources", "requests", "memory"),
            "must be less than or equal to memory limit",
        ),
        (ip_masq_spec(nonMasqueradeCidrs=["10.0.0.0/8"]), ("nonMasqueradeCidrs",), "unknown key; did you mean nonMasqueradeCIDRs?"),
        (ip_masq_spec(masqLinkLocalIpv6=True), ("masqLinkLocalIpv6",), "unknown key; did you mean masqLinkLocalIPv6?"),
    ],
)
def test_each_rejection_names_its_key_and_the_fix(spec, path, fragment):
    found = problems_of(spec)
    assert any(at == path and fragment in message for at, message in found), found


def test_every_bad_cidr_is_reported_at_once():
    found = problems_of(ip_masq_spec(nonMasqueradeCIDRs=["10.0.0.1/8", "10.0.0.0/8", "bad"]))
    assert [at for at, _ in found] == [("nonMasqueradeCIDRs", 0), ("nonMasqueradeCIDRs", 2)]


def test_the_args_take_python_keywords_and_stack_spelling_alike():
    by_keyword = IpMasqArgs(
        non_masquerade_cidrs=["10.0.0.0/8", "172.16.0.0/12", "fd00::/8"],
        cidr_limit=10,
        masq_link_local=True,
        masq_link_local_ipv6=False,
        resync_interval="1m30s",
        enable_ipv6=True,
    )
    assert by_keyword == IpMasqArgs.model_validate(EVERY_KEY)


# --- Warnings ---------------------------------------------------------------------------------------


def test_settings_without_effect_and_a_busy_resync_warn():
    args = IpMasqArgs(non_masquerade_cidrs=["10.0.0.0/8", "10.0.0.0/8"], masq_link_local_ipv6=True, nomasq_all_reserved_ranges=False, resync_interval="100ms")
    assert warnings(args) == [
        (("masqLinkLocalIPv6",), "has no effect: the agent writes IPv6 rules only with enableIPv6: true"),
        (("nomasqAllReservedRanges",), "has no effect: it only changes the default list, and nonMasqueradeCIDRs is set"),
        (("nonMasqueradeCIDRs", 1), "10.0.0.0/8 is listed already (nonMasqueradeCIDRs[0])"),
        (("resyncInterval",), "100ms rewrites every node's NAT rules more than once a second; the agent's default is 60s"),
    ]
    assert warnings(IpMasqArgs.model_validate(EVERY_KEY)) == []


def test_gke_runs_its_own_agent():
    gke = ClusterSpec(distribution="gke")
    [(path, message)] = warnings(IpMasqArgs(), gke)
    assert path == ("onExisting",)
    assert "creating it fails with AlreadyExists" in message
    assert "set onExisting: adopt" in message
    [(path, message)] = warnings(IpMasqArgs(on_existing="adopt"), gke)
    assert path == ("nodeSelector",)
    assert "nodes without node.kubernetes.io/masq-agent-ds-ready=true lose their agent" in message
    assert warnings(IpMasqArgs(on_existing="adopt", node_selector={}), gke) == []
    assert warnings(IpMasqArgs(), ClusterSpec(distribution="kubeadm")) == []


# --- Under Pulumi mocks -----------------------------------------------------------------------------


@pytest.mark.pulumi(project="p", stack="s")
@pulumi.runtime.test
def test_the_component_registers_its_config_map_and_daemon_set(pulumi_mocks):
    agent = IpMasqAgent("masq", {"nonMasqueradeCIDRs": ["10.0.0.0/8"]}, environment="prod")
    assert (type(agent.config_map).__name__, type(agent.daemon_set).__name__) == ("ConfigMap", "DaemonSet")

    def check(_: object) -> None:
        recording = pulumi_mocks.recording()
        [component] = recording.of_type("clusterstack:network:IpMasqAgent")
        children = {(r.type, r.name) for r in recording.children_of(component)}
        assert children == {("kubernetes:core/v1:ConfigMap", "masq/ip-masq-agent"), ("kubernetes:apps/v1:DaemonSet", "masq/ip-masq-agent")}
        config_map = recording.of_type("kubernetes:core/v1:ConfigMap")[0]
        assert yaml.safe_load(config_map.inputs["data"]["config"]) == {"nonMasqueradeCIDRs": ["10.0.0.0/8"]}

    return pulumi.Output.all(agent.config_map.urn, agent.daemon_set.urn).apply(check)


@pytest.mark.pulumi(project="p", stack="s")
@pulumi.runtime.test
def test_adopting_registers_server_side_apply_patches(pulumi_mocks):
    agent = IpMasqAgent("masq", IpMasqArgs(on_existing="adopt"))
    assert (type(agent.config_map).__name__, type(agent.daemon_set).__name__) == ("ConfigMapPatch", "DaemonSetPatch")

    def check(_: object) -> None:
        recording = pulumi_mocks.recording()
        patches = {(r.type, r.name): r for r in recording.resources if r.custom}
        assert set(patches) == {("kubernetes:core/v1:ConfigMapPatch", "masq/ip-masq-agent"), ("kubernetes:apps/v1:DaemonSetPatch", "masq/ip-masq-agent")}
        for patch in patches.values():
            assert patch.inputs["metadata"]["annotations"]["pulumi.com/patchFieldManager"] == "clusterstack"

    return pulumi.Output.all(agent.config_map.urn, agent.daemon_set.urn).apply(check)


def test_the_component_refuses_bad_args_before_registering_anything(pulumi_mocks):
    with pytest.raises(ArgsError, match=r"^IpMasqAgent \"masq\": nonMasqueradeCIDRs\[0\]: '10\.0\.0\.1/8' has host bits set"):
        IpMasqAgent("masq", {"nonMasqueradeCIDRs": ["10.0.0.1/8"]})
    assert [r for r in pulumi_mocks.recording().resources if r.custom] == []


# --- Outputs from other resources ------------------------------------------------------------------
# Each spec is built inside the program it runs in: an Output belongs to the run that resolves it.


def deployed(program) -> tuple[dict, dict]:
    """The agent's config file as written into the ConfigMap, parsed, and the DaemonSet's container,
    after ``program`` ran under the mocks."""
    recording = run(program)
    [config_map] = recording.of_type("kubernetes:core/v1:ConfigMap")
    [daemon_set] = recording.of_type("kubernetes:apps/v1:DaemonSet")
    [container] = daemon_set.inputs["spec"]["template"]["spec"]["containers"]
    return yaml.safe_load(config_map.inputs["data"]["config"]), container


def output(value):
    return pulumi.Output.from_input(value)


def failure(program) -> str:
    """The error ``program``'s run fails with, as the deployment would. The run leaves futures holding
    it, which the SDK keeps until the next run starts; they are released and collected here, where
    pytest captures asyncio's "never retrieved" report of them, not at the end of the session."""
    with pytest.raises(ValueError, match=r"IpMasqArgs\.") as caught:  # each names the Args, as the deployment's error does
        run(program)
    message = str(caught.value)
    del caught
    run(lambda: None)
    gc.collect()
    return message


@pytest.mark.parametrize(
    "cidrs",
    [
        lambda: ["10.0.0.0/8", output("172.31.0.0/16")],  # vpc.cidr_block beside a plain range
        lambda: output(["10.0.0.0/8", "172.31.0.0/16"]),  # the whole list from another resource
    ],
    ids=["entry", "list"],
)
def test_a_cidr_block_from_another_resource_reaches_the_config(cidrs):
    def program() -> None:
        args = IpMasqArgs(non_masquerade_cidrs=cidrs(), cidr_limit=2, resync_interval="30s")
        assert isinstance(build_ip_masq(args).config_map["data"]["config"], pulumi.Output)
        IpMasqAgent("masq", args)

    config, _ = deployed(program)
    assert config == {"nonMasqueradeCIDRs": ["10.0.0.0/8", "172.31.0.0/16"], "cidrLimit": 2, "resyncInterval": "30s"}


def test_an_image_from_a_registry_mirror_reaches_the_daemon_set():
    mirrored = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ip-masq-agent:v2.12.6"
    _, container = deployed(lambda: IpMasqAgent("masq", {"image": output(mirrored)}))
    assert container["image"] == mirrored


@pytest.mark.parametrize(
    ("spec", "plain"),
    [
        (lambda: {"nonMasqueradeCIDRs": ["10.0.0.0/8", output("10.0.0.1/8")]}, {"nonMasqueradeCIDRs": ["10.0.0.0/8", "10.0.0.1/8"]}),
        (lambda: {"nonMasqueradeCIDRs": output(["10.0.0.0/8", "10.0.0.0"])}, {"nonMasqueradeCIDRs": ["10.0.0.0/8", "10.0.0.0"]}),
        (lambda: {"image": output("registry.example.com/ip-masq-agent: v2")}, {"image": "registry.example.com/ip-masq-agent: v2"}),
    ],
    ids=["entry", "list", "image"],
)
def test_a_bad_value_from_an_output_fails_with_the_plain_values_message(spec, plain):
    [(_, message)] = problems_of(plain)
    assert message in failure(lambda: IpMasqAgent("masq", spec()))


@pytest.mark.parametrize(
    ("spec", "plain"),
    [
        (lambda: {"nonMasqueradeCIDRs": ["10.0.0.0/8", output("fd00::/8")]}, {"nonMasqueradeCIDRs": ["10.0.0.0/8", "fd00::/8"]}),
        (
            lambda: {"nonMasqueradeCIDRs": output(["10.0.0.0/8", "192.168.0.0/16"]), "cidrLimit": 1},
            {"nonMasqueradeCIDRs": ["10.0.0.0/8", "192.168.0.0/16"], "cidrLimit": 1},
        ),
    ],
    ids=["ipv6", "cidrLimit"],
)
def test_the_rules_across_the_list_run_on_the_resolved_list(spec, plain):
    """The same key path and message as the plain list's, under the Args' name."""
    [(path, message)] = problems_of(plain)
    assert failure(lambda: IpMasqAgent("masq", spec())).endswith(f"{dotted(('IpMasqArgs', *path))}: {message}")


def test_a_count_or_an_ipv6_cidr_known_at_once_still_fails_at_once():
    def program() -> None:
        with pytest.raises(ValidationError, match="lists 2 CIDRs; the agent takes at most 1"):
            IpMasqArgs(non_masquerade_cidrs=["10.0.0.0/8", output("192.168.0.0/16")], cidr_limit=1)
        with pytest.raises(ValidationError, match="fd00::/8 is IPv6"):
            IpMasqArgs(non_masquerade_cidrs=["fd00::/8", output("10.0.0.0/8")])

    assert run(program).resources == []


def test_a_repeat_through_an_output_is_a_warning_of_the_deployment(monkeypatch):
    logged: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *_, **__: logged.append(message))
    found: list = []

    def program() -> None:
        args = IpMasqArgs(non_masquerade_cidrs=["10.0.0.0/8", output("10.0.0.0/8"), "172.16.0.0/12", "172.16.0.0/12"])
        found.extend(warnings(args))  # the plain repeat, now; the Output's, when it resolves
        found.extend(warnings(IpMasqArgs(non_masquerade_cidrs=output(["10.0.0.0/8", "10.0.0.0/8"]))))
        IpMasqAgent("masq", args)

    config, _ = deployed(program)
    assert config == {"nonMasqueradeCIDRs": ["10.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "172.16.0.0/12"]}
    assert found == [(("nonMasqueradeCIDRs", 3), "172.16.0.0/12 is listed already (nonMasqueradeCIDRs[2])")]
    assert logged == ["IpMasqArgs.nonMasqueradeCIDRs[1]: 10.0.0.0/8 is listed already (nonMasqueradeCIDRs[0])"]
