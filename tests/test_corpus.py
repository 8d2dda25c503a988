"""A corpus of bad and contradictory stacks, each run through every command that reads a stack.

Each case is a stack file (text or raw bytes), the fragment of the message it must draw, and the key
path the message must name. Every command must exit 1, name the stack file and the key, print no
traceback, and leave the project exactly as it was (no state directory, no target, no cache). The
warnings at the end are contradictions the cluster would not refuse outright: validate exits 0 and
names both keys. Add a case for every new class of mistake.
"""

from __future__ import annotations

import pytest

from tests.test_engine import cs

GOOD_TENANT = "      quota: {pods: '10'}\n"


def stack(body: str) -> str:
    return "config:\n" + body


ERRORS: list[tuple[str, str | bytes, str, str]] = [
    # (id, stack file, message fragment, key path)
    ("latin-1", "config:\n  clusterstack:namespaces:\n    café: {}\n".encode("latin-1"), "is not UTF-8 text (byte 42", ""),
    ("utf-16", "config: {}\n".encode("utf-16"), "is not UTF-8 text (byte 0", ""),
    ("binary garbage", bytes(range(128, 256)), "is not UTF-8 text", ""),
    ("broken yaml", stack("  clusterstack:namespaces: [a, b\n"), "is not valid YAML: line 3, column 1", ""),
    ("duplicate namespace", stack("  clusterstack:namespaces:\n    a: {}\n    a: {}\n"), "appears twice in one map (lines 3 and 4)", "clusterstack:namespaces.a"),
    ("duplicate config key", stack("  clusterstack:namespaces: {}\n  clusterstack:namespaces: {}\n"), "appears twice", "clusterstack:namespaces"),
    ("boolean key", stack("  clusterstack:namespaces:\n    no: {}\n"), "which YAML reads as a boolean; quote it", "clusterstack:namespaces"),
    ("number key", stack("  clusterstack:namespaces:\n    1: {}\n"), "which YAML reads as a number", "clusterstack:namespaces"),
    ("null key", stack("  clusterstack:namespaces:\n    ~: {}\n"), "which YAML reads as null", "clusterstack:namespaces"),
    ("huge number", stack("  clusterstack:dns:\n    autoscaler: {linear: {min: " + "9" * 5000 + "}}\n"), "is a number of 5000 digits", "clusterstack:dns.autoscaler.linear.min"),
    ("deep nesting", stack("  clusterstack:namespaces: " + "[" * 3000 + "]" * 3000 + "\n"), "is not valid YAML", ""),
    ("binary value", stack("  clusterstack:namespaces:\n    a: {labels: {x: !!binary aGVsbG8=}}\n"), "is binary data", "clusterstack:namespaces.a.labels.x"),
    ("date value", stack("  clusterstack:namespaces:\n    a: {annotations: {since: 2024-01-01}}\n"), "is a date", "clusterstack:namespaces.a.annotations.since"),
    ("infinite ratio", stack("  clusterstack:dns:\n    autoscaler: {linear: {coresPerReplica: .inf}}\n"), "a setting takes a finite number", "clusterstack:dns.autoscaler.linear.coresPerReplica"),
    ("absurd min", stack("  clusterstack:dns:\n    autoscaler: {linear: {coresPerReplica: 256, min: 99999999999}}\n"), "2147483647", "clusterstack:dns.autoscaler.linear.min"),
    ("unsupported version", stack("  clusterstack:cluster: {kubernetesVersion: '1.99'}\n"), "Kubernetes 1.99 has no bundled schemas", "clusterstack:cluster.kubernetesVersion"),
    ("ipv6 zone id", stack("  clusterstack:cluster: {dnsServiceIP: 'fe80::a%eth0'}\n"), "has a zone id", "clusterstack:cluster.dnsServiceIP"),
    (
        "alias bomb of long strings",
        stack("  l0: &l0 '" + "x" * 1000 + "'\n  l1: &l1 [" + ", ".join(["*l0"] * 20) + "]\n  l2: &l2 [" + ", ".join(["*l1"] * 20) + "]\n  l3: [" + ", ".join(["*l2"] * 20) + "]\n"),
        "bytes of text through its YAML aliases (at most 4,194,304, 4 MiB)",
        "",
    ),
    (
        "namespace name over 63 characters",
        stack("  clusterstack:namespaces:\n    " + "a" * 64 + ": {}\n"),
        "must be no more than 63 characters",
        "",  # the key path holds the long name itself, shortened in the message
    ),
    (
        "priority class name over 253 characters",
        stack("  clusterstack:priorityClasses:\n    " + "p" * 254 + ": {value: 1000}\n"),
        "must be no more than 253 characters",
        "",
    ),
    ("huge annotations", stack("  clusterstack:namespaces:\n    a: {annotations: {big: '" + "x" * 300_000 + "'}}\n"), "Too long: must have at most 262144 bytes", "clusterstack:namespaces.a.annotations"),
    (
        "autoscaler request above limit",
        stack("  clusterstack:dns:\n    autoscaler: {linear: {coresPerReplica: 256}, resources: {requests: {cpu: 500m}, limits: {cpu: 100m}}}\n"),
        "must be less than or equal to cpu limit",
        "clusterstack:dns.autoscaler.resources.requests.cpu",
    ),
    (
        "raw policy type",
        stack("  clusterstack:namespaces:\n    a:\n      networkPolicy: {policies: [{name: raw, spec: {podSelector: {}, policyTypes: [Sideways]}}]}\n"),
        "Unsupported value: 'Sideways'",
        "clusterstack:namespaces.a.networkPolicy.policies[0].spec.policyTypes[0]",
    ),
    (
        "raw policy numeric string port",
        stack("  clusterstack:namespaces:\n    a:\n      networkPolicy: {policies: [{name: raw, spec: {podSelector: {}, ingress: [{ports: [{port: '80'}]}]}}]}\n"),
        "a number goes unquoted",
        "clusterstack:namespaces.a.networkPolicy.policies[0].spec.ingress[0].ports[0].port",
    ),
    (
        "raw policy bad cidr",
        stack("  clusterstack:namespaces:\n    a:\n      networkPolicy: {policies: [{name: raw, spec: {podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0.300/8}}]}]}}]}\n"),
        "is not a CIDR",
        "clusterstack:namespaces.a.networkPolicy.policies[0].spec.egress[0].to[0].ipBlock.cidr",
    ),
    (
        "service name starting with a digit",
        stack("  clusterstack:namespaces:\n    a:\n" + GOOD_TENANT + "  clusterstack:loadBalancers:\n    1web: {namespace: a, selector: {app: web}, ports: [{port: 80}]}\n"),
        "is not a Service name",
        "clusterstack:loadBalancers.1web",
    ),
    (
        "rule named like a generated policy",
        stack("  clusterstack:namespaces:\n    a:\n      networkPolicy: {defaultDeny: [Ingress], allowFrom: [{name: default-deny, namespace: b}]}\n    b: {}\n"),
        "is the name of the policy defaultDeny makes",
        "clusterstack:namespaces.a.networkPolicy.allowFrom[0].name",
    ),
    (
        "rule named like a load balancer's policy",
        stack(
            "  clusterstack:namespaces:\n    a:\n      networkPolicy: {defaultDeny: [Ingress], allowFrom: [{name: allow-lb-web, namespace: b}]}\n    b: {}\n"
            "  clusterstack:loadBalancers:\n    web: {namespace: a, selector: {app: web}, ports: [{port: 80}]}\n"
        ),
        "allow-lb-web is the name of the policy loadBalancers.web makes",
        "clusterstack:namespaces.a.networkPolicy.allowFrom[0].name",
    ),
    ("system namespace as a tenant", stack("  clusterstack:namespaces:\n    kube-system: {}\n"), "is a namespace of Kubernetes itself", "clusterstack:namespaces.kube-system"),
    ("default namespace as a tenant", stack("  clusterstack:namespaces:\n    default: {}\n"), "is a namespace of Kubernetes itself", "clusterstack:namespaces.default"),
    (
        "load balancer over the quota",
        stack(
            "  clusterstack:namespaces:\n    a: {quota: {services.loadbalancers: '0'}}\n"
            "  clusterstack:loadBalancers:\n    web: {namespace: a, selector: {app: web}, ports: [{port: 80}]}\n"
        ),
        "allows 0 Services of type LoadBalancer (namespaces.a.quota.services.loadbalancers)",
        "clusterstack:loadBalancers.web.namespace",
    ),
    (
        "limit minimum above the quota",
        stack("  clusterstack:namespaces:\n    a: {quota: {requests.cpu: '1'}, limits: {container: {min: {cpu: '2'}}}}\n"),
        "is above the namespace's quota quota.requests.cpu",
        "clusterstack:namespaces.a.limits.container.min.cpu",
    ),
    (
        "claim minimum above the quota",
        stack("  clusterstack:namespaces:\n    a: {quota: {requests.storage: 5Gi}, limits: {persistentVolumeClaim: {min: {storage: 10Gi}}}}\n"),
        "no claim could be admitted",
        "clusterstack:namespaces.a.limits.persistentVolumeClaim.min.storage",
    ),
    ("target in the project root", stack("  clusterstack:target: {path: ''}\n"), "is the project's own directory", "clusterstack:target.path"),
    ("target climbing back to the project", stack("  clusterstack:target: {path: deploy/..}\n"), "is the project's own directory", "clusterstack:target.path"),
    ("target that is a file", stack("  clusterstack:target: {path: Pulumi.yaml}\n"), "is a file; the target is a directory", "clusterstack:target.path"),
    # What the engine may write in and clean up: never above the project, in .git, the state or the stacks (issue 20).
    ("target above the project", stack("  clusterstack:target: {path: ..}\n"), "holds the project's directory", "clusterstack:target.path"),
    ("target beside the project", stack("  clusterstack:target: {path: ../x}\n"), "is outside the project", "clusterstack:target.path"),
    ("target at the root", stack("  clusterstack:target: {path: /, allowOutsideProject: true}\n"), "holds the project's directory", "clusterstack:target.path"),
    ("target in /etc even when allowed", stack("  clusterstack:target: {path: /etc/x, allowOutsideProject: true}\n"), "among the operating system's directories", "clusterstack:target.path"),
    ("target in .git", stack("  clusterstack:target: {path: .git/deploy}\n"), "inside a git repository's .git directory", "clusterstack:target.path"),
    ("target in the state directory", stack("  clusterstack:target: {path: .clusterstack}\n"), "clusterstack's state directory", "clusterstack:target.path"),
    ("target holding the stack files", stack("  clusterstack:target: {path: stacks}\n"), "the stack files' directory", "clusterstack:target.path"),
    (
        "undeclared priority class",
        stack(
            "  clusterstack:namespaces:\n    a:\n      quotas: [{name: high, hard: {pods: '5'}, scopeSelector: {matchExpressions: "
            "[{scopeName: PriorityClass, operator: In, values: [high]}]}}]\n"
        ),
        "names PriorityClass high, which clusterstack:priorityClasses does not declare and clusterstack:cluster.existing.priorityClasses does not list",
        "clusterstack:namespaces.a.quotas[0].scopeSelector.matchExpressions[0].values[0]",
    ),
    (
        "undeclared storage class",
        stack("  clusterstack:namespaces:\n    a: {quota: {gold.storageclass.storage.k8s.io/requests.storage: 1Ti}}\n"),
        "limits StorageClass gold, which clusterstack:storageClasses does not declare",
        "clusterstack:namespaces.a.quota.gold.storageclass.storage.k8s.io/requests.storage",
    ),
    ("system- priority class", stack("  clusterstack:priorityClasses:\n    system-mine: {value: 10}\n"), "the system- prefix is reserved", "clusterstack:priorityClasses.system-mine"),
    (
        "two global defaults",
        stack("  clusterstack:priorityClasses:\n    a: {value: 1, globalDefault: true}\n    b: {value: 2, globalDefault: true}\n"),
        "only one PriorityClass may be the global default; a already is",
        "clusterstack:priorityClasses.b.globalDefault",
    ),
    (
        "two default storage classes",
        stack("  clusterstack:storageClasses:\n    a: {provisioner: x.example.com, default: true}\n    b: {provisioner: y.example.com, default: true}\n"),
        "only one StorageClass may be the default; a already is",
        "clusterstack:storageClasses.b.default",
    ),
    ("priority above a billion", stack("  clusterstack:priorityClasses:\n    top: {value: 2000000000}\n"), "must be at most 1000000000", "clusterstack:priorityClasses.top.value"),
    (
        "empty user name",
        stack("  clusterstack:namespaces:\n    a:\n      access: {admins: {users: ['']}}\n"),
        "user name cannot be empty",
        "clusterstack:namespaces.a.access.admins.users[0]",
    ),
    (
        "undeclared service account in a role",
        stack("  clusterstack:namespaces:\n    a:\n      access: {editors: {serviceAccounts: [deployer]}}\n"),
        "deployer is not one of this namespace's ServiceAccounts; declare it under access.serviceAccounts",
        "clusterstack:namespaces.a.access.editors.serviceAccounts[0]",
    ),
    (
        "egress denied without DNS",
        stack("  clusterstack:namespaces:\n    a: {networkPolicy: {defaultDeny: [Egress]}}\n"),
        "every name lookup in the namespace would fail",
        "clusterstack:namespaces.a.networkPolicy.allowDNS",
    ),
]

WARNINGS: list[tuple[str, str, str, str]] = [
    (
        "undeclared namespace in a rule",
        stack(
            "  clusterstack:namespaces:\n    checkout:\n      networkPolicy: {defaultDeny: [Egress], allowDNS: true, allowTo: [{namespace: paymnts}]}\n"
            "    payments: {}\n"
        ),
        "paymnts is not one of clusterstack:namespaces; did you mean payments?",
        "clusterstack:namespaces.checkout.networkPolicy.allowTo[0].namespace",
    ),
    (
        "one-sided rule",
        stack(
            "  clusterstack:namespaces:\n    checkout:\n      networkPolicy: {allowTo: [{namespace: payments}]}\n"
            "    payments:\n      networkPolicy: {defaultDeny: [Ingress]}\n"
        ),
        "checkout may send to payments (TCP 61234), but payments's policies (payments/default-deny) drop it there: add {namespace: checkout} to namespaces.payments.networkPolicy.allowFrom",
        "clusterstack:namespaces.checkout.networkPolicy.allowTo[0].namespace",
    ),
    (
        "a viewer who already edits",
        stack("  clusterstack:namespaces:\n    a:\n      access: {editors: {groups: [devs]}, viewers: {groups: [devs]}}\n"),
        "devs is already in editors, whose ClusterRole includes everything viewers may do",
        "clusterstack:namespaces.a.access.viewers.groups[0]",
    ),
    (
        "egress to the metadata address",
        stack("  clusterstack:namespaces:\n    a:\n      networkPolicy: {defaultDeny: [Egress], allowDNS: true, allowTo: [{cidr: 0.0.0.0/0}]}\n"),
        "includes 169.254.169.254, the cloud metadata service",
        "clusterstack:namespaces.a.networkPolicy.allowTo[0].cidr",
    ),
]

COMMANDS = [
    ("validate", "-s", "dev"),
    ("render", "-s", "dev"),
    ("preview", "-s", "dev"),
    ("up", "-s", "dev", "--yes"),
    ("diff", "dev", "dev"),
    ("dns", "forecast", "-s", "dev"),
]


def _files(root):
    return {path: path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def _project(make_project, content: str | bytes):
    root = make_project({"dev": "config: {}\n"})
    (root / "stacks" / "Pulumi.dev.yaml").write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


@pytest.mark.parametrize(("content", "fragment", "key"), [case[1:] for case in ERRORS], ids=[case[0] for case in ERRORS])
def test_every_command_refuses_it_the_same_way_and_writes_nothing(make_project, content, fragment, key):
    root = _project(make_project, content)
    before = _files(root)
    for command in COMMANDS:
        result = cs(root, *command)
        assert result.exit_code == 1, (command, result.output)
        assert "Traceback" not in result.output
        errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
        assert any(fragment in line for line in errors), (command, result.output[:2000])
        assert any(line.startswith("error: stacks/Pulumi.dev.yaml: " + (f"{key}: " if key else "")) for line in errors), (command, result.output[:2000])
        assert max(len(line) for line in errors) < 2000, "a long value is cut in the message"
    assert _files(root) == before, "nothing is written, by any command"


@pytest.mark.parametrize(("content", "fragment", "key"), [case[1:] for case in WARNINGS], ids=[case[0] for case in WARNINGS])
def test_a_judgement_call_is_a_warning_naming_the_keys(make_project, content, fragment, key):
    root = _project(make_project, content)
    result = cs(root, "validate", "-s", "dev")
    assert result.exit_code == 0, result.output
    assert f"warning: stacks/Pulumi.dev.yaml: {key}: " in result.output
    assert fragment in result.output


def test_a_priority_class_name_of_253_characters_is_valid(make_project):
    """The API server admits a PriorityClass name up to 253 characters (a DNS-1123 subdomain:
    k8s.io/apimachinery/pkg/util/validation/validation.go, DNS1123SubdomainMaxLength), so validate does."""
    name = ".".join(["p" * 63] * 4)[:253]
    root = _project(make_project, stack("  clusterstack:priorityClasses:\n    " + name + ": {value: 1000}\n"))
    result = cs(root, "validate", "-s", "dev")
    assert result.exit_code == 0, result.output
