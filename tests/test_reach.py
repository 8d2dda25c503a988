"""clusterstack reach: who can talk to whom under a stack's NetworkPolicies (clusterstack/kube/flows.py,
now the product's), one question at a time, between two stacks, and in the plan."""

from __future__ import annotations

import json
import re

import pytest

from clusterstack.kube.flows import NamedPort, Pod
from tests.conftest import REPO
from tests.test_engine import cs, edit

FORMATS = ["mermaid", "dot", "svg", "html", "matrix", "csv"]


def reach(*args, project=REPO):
    return cs(project, "reach", *args)


def test_prod_reaches_what_its_policies_say_and_no_more():
    """checkout reaches payments-api on 8080 only; every tenant reaches DNS on UDP and TCP 53, at
    kube-dns and at the NodeLocal DNSCache address; no tenant reaches the metadata address."""
    result = reach("-s", "prod", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    flows = report["flows"]
    from_checkout = [f for f in flows if f.startswith("checkout") and "payments" in f.split(" → ")[1]]
    assert sorted({f.split(": ")[1] for f in from_checkout}) == ["TCP 8080"]
    assert all(f.split(" → ")[1].startswith("payments/app=payments-api") for f in from_checkout)
    tenants = ["analytics", "checkout", "payments"]
    for tenant in tenants:
        # kube-dns pods are CoreDNS's, whose container ports name 53 (dns, dns-tcp); the cache is an address.
        assert f"{tenant} → kube-dns (kube-system/k8s-app=kube-dns): TCP 53 (dns-tcp)" in flows
        assert f"{tenant} → kube-dns (kube-system/k8s-app=kube-dns): UDP 53 (dns)" in flows
        assert f"{tenant} → node-local-dns 169.254.20.10: TCP 53" in flows
        assert f"{tenant} → node-local-dns 169.254.20.10: UDP 53" in flows
    # default and kube-system are in the matrix too (prod labels them: existingNamespaces), and no policy
    # of this stack keeps their pods from the metadata address; the tenants' policies do.
    assert not [f for f in flows if "metadata" in f and f.split(" → ")[0].split("/")[0] in tenants]
    assert "default → cloud metadata 169.254.169.254: any port" in flows
    for tenant in tenants:
        assert f"{tenant} → cloud metadata 169.254.169.254: denied" in report["denied"]


def test_one_question_names_the_policies_that_decide():
    allowed = reach("-s", "prod", "--from", "checkout/app=checkout", "--to", "payments/app=payments-api", "--port", "8080", "--json")
    assert allowed.exit_code == 0
    assert json.loads(allowed.stdout) == {"allowed": True, "because": ["checkout/allow-to-payments", "payments/allow-from-checkout"]}
    denied = reach("-s", "prod", "--from", "checkout", "--to", "payments/app=payments-api", "--port", "9090", "--json")
    assert denied.exit_code == 1
    assert json.loads(denied.stdout)["allowed"] is False
    dns = reach("-s", "prod", "--from", "payments", "--to", "169.254.20.10", "--port", "53", "--protocol", "UDP")
    assert dns.exit_code == 0
    assert "allowed (payments/allow-dns)" in dns.output
    unknown = reach("-s", "prod", "--from", "nowhere", "--to", "payments", "--port", "80")
    assert unknown.exit_code == 1
    assert "nowhere is not one of the stack's namespaces" in unknown.output


def test_dev_allows_everything_it_has_no_policy_for():
    flows = json.loads(reach("-s", "dev", "--json").stdout)["flows"]
    assert "payments → the internet (198.51.100.10): any port" in flows


def test_the_flows_another_stack_opens_and_closes():
    result = reach("-s", "dev", "--diff", "prod", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert "payments → the internet (198.51.100.10): any port" in report["closes"]


def test_the_plan_shows_the_reachability_it_changes(make_project):
    stack = """\
config:
  clusterstack:namespaces:
    web:
      networkPolicy: {defaultDeny: [Ingress, Egress], allowDNS: true, allowTo: [{namespace: api, podLabels: {app: api}, ports: [{port: 8080}]}]}
    api:
      networkPolicy: {defaultDeny: [Ingress], allowFrom: [{namespace: web, toPods: {app: api}, ports: [{port: 8080}]}]}
"""
    root = make_project({"dev": stack})
    assert cs(root, "up", "-s", "dev", "--yes").exit_code == 0
    edit(root, "ports: [{port: 8080}]}]}\n    api:", "ports: [{port: 8080}, {port: 9090}]}]}\n    api:")
    edit(root, "toPods: {app: api}, ports: [{port: 8080}]}", "toPods: {app: api}, ports: [{port: 8080}, {port: 9090}]}")
    preview = cs(root, "preview", "-s", "dev")
    assert preview.exit_code == 0, preview.output
    assert "Reachability changes:\n  + web → api/app=api: TCP 9090" in preview.stdout


# --- Named ports: representative pods serve what the stack's workloads name, or a stand-in ---------------


def _named_port_objects():
    """web runs a Deployment whose pods name http (8080/TCP) and dns-cache (5353/UDP); web admits api on
    the port named http, on the UDP port named dns-cache by a TCP rule (which opens nothing: the name is
    UDP's), and on admin, a name no workload declares."""
    namespaces = [{"kind": "Namespace", "metadata": {"name": name}} for name in ("web", "api")]
    deployment = {
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web", "tier": "front"}},
                "spec": {"containers": [{"name": "web", "ports": [{"name": "http", "containerPort": 8080}, {"name": "dns-cache", "containerPort": 5353, "protocol": "UDP"}]}]},
            },
        },
    }
    rule = {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "api"}}}], "ports": [{"port": "http"}, {"protocol": "TCP", "port": "dns-cache"}, {"port": "admin"}]}
    policy = {
        "kind": "NetworkPolicy",
        "metadata": {"name": "web-from-api", "namespace": "web"},
        "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"], "ingress": [rule]},
    }
    return [*namespaces, deployment, policy]


def test_reach_probes_and_shows_the_named_ports_of_the_stacks_workloads():
    from clusterstack.analysis import reach as reachability

    facts = reachability.Facts.of(_named_port_objects(), "10.96.0.10", None)
    web = facts.pod("web", {"app": "web"})
    assert web.ports["http"] == NamedPort(8080, "TCP")
    assert web.ports["dns-cache"] == NamedPort(5353, "UDP")
    assert web.ports["admin"] == NamedPort(reachability.STAND_IN_FIRST, "TCP")  # the only name no workload declares
    flows = [str(f) for f in reachability.matrix(facts) if f.source == "api" and f.destination == "web/app=web"]
    assert flows == ["api → web/app=web: TCP 8080 (http)", f"api → web/app=web: TCP {reachability.STAND_IN_FIRST} (admin, stand-in)"]
    # One question resolves the name on the pod too; the UDP name opened by a TCP rule stays shut both ways.
    api, target = reachability.endpoint("api", facts), reachability.endpoint("web/app=web", facts)
    assert facts.decide(api, target, 8080, "TCP").allowed
    assert not facts.decide(api, target, 5353, "UDP").allowed
    assert not facts.decide(api, target, 5353, "TCP").allowed


def test_host_network_workloads_name_no_pod_ports():
    """A host-network pod (node-local-dns) is its node's address: pod selectors never match it, so its
    ports are no representative pod's."""
    from clusterstack.analysis import reach as reachability

    objects = _named_port_objects()
    objects[2]["spec"]["template"]["spec"]["hostNetwork"] = True
    facts = reachability.Facts.of(objects, "10.96.0.10", None)
    # stand-ins are numbered in name order: admin, dns-cache, http
    assert facts.pod("web", {"app": "web"}).ports["http"] == NamedPort(reachability.STAND_IN_FIRST + 2, "TCP")


def test_a_stack_whose_rules_name_ports_shows_them_opened(make_project):
    """Before, a named-port rule opened nothing in `reach` (representative pods had no ports): the load
    balancer's named targetPort and the tenant's named allowFrom port now show, on stand-ins."""
    stack = """\
config:
  clusterstack:namespaces:
    web:
      networkPolicy: {defaultDeny: [Ingress], allowFrom: [{namespace: api, toPods: {app: web}, ports: [{port: http}]}]}
    api: {}
  clusterstack:loadBalancers:
    web:
      namespace: web
      selector: {app: web}
      ports: [{name: https, port: 443, targetPort: https}]
"""
    root = make_project({"dev": stack})
    result = cs(root, "reach", "-s", "dev", "--json")
    assert result.exit_code == 0, result.output
    flows = json.loads(result.stdout)["flows"]
    assert "api → web/app=web: TCP 62001 (http, stand-in)" in flows
    # The load balancer's policy (externalTrafficPolicy Cluster: any source) admits everyone on its target port.
    assert "api → web/app=web: TCP 62002 (https, stand-in)" in flows
    assert not [f for f in flows if f.startswith("api → web/app=web:") and f.split(": ")[1] not in ("TCP 62001 (http, stand-in)", "TCP 62002 (https, stand-in)")]
    one = cs(root, "reach", "-s", "dev", "--from", "api", "--to", "web/app=web", "--port", "62001", "--json")
    assert json.loads(one.stdout) == {"allowed": True, "because": ["web/allow-from-0"]}


# reach --format: every format over every shipped stack and example, checked by its consumer.

SHIPPED = [
    *[(REPO, stack) for stack in ("dev", "staging", "prod")],
    *[(REPO / "examples" / "team-app", stack) for stack in ("dev", "staging", "prod")],
    (REPO / "examples" / "two-clusters", "dev"),
]


def _drawn(output: str, fmt: str, namespaces: list[str]) -> None:
    """``output`` read by the consumer of ``fmt``, holding each of ``namespaces`` once."""
    import csv
    import io
    from xml.etree import ElementTree

    from tests.test_drawing import SVG, groups
    from tests.test_pictures import check_dot, check_mermaid

    if fmt == "mermaid":
        check_mermaid(output)
        assert sorted(re.findall(r'^  n\d+\["([^"]*)"\]$', output, re.MULTILINE)) == namespaces
    elif fmt == "dot":
        assert sorted(re.findall(r'^  n\d+ \[label="([^"]*)", shape=box', output, re.MULTILINE)) == namespaces
        check_dot(output)
    elif fmt in ("svg", "html"):
        document = output if fmt == "svg" else output.split("<body>\n")[1].split("\n</body>", maxsplit=1)[0]
        root = ElementTree.fromstring(document)
        assert root.tag == f"{SVG}svg"
        assert sorted(g.get("data-name") or "" for g in groups(root, "namespace")) == namespaces
        assert len(groups(root, "legend")) == 1
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(output, newline="")))
        assert sorted(row[0] for row in rows[1:]) == namespaces
        assert {len(row) for row in rows} == {len(rows[0])}
    else:
        assert sorted(line.split()[0] for line in output.splitlines()[1:] if line and line[0] not in " ·") == namespaces


@pytest.mark.parametrize(("root", "stack"), SHIPPED, ids=[f"{root.name}-{stack}" for root, stack in SHIPPED])
def test_every_format_of_every_shipped_stack_is_read_by_its_consumer(root, stack):
    flows = json.loads(reach("-s", stack, "--json", project=root).stdout)["flows"]
    namespaces = sorted({flow.split(" → ")[0].split("/")[0] for flow in flows})
    for fmt in FORMATS:
        result = reach("-s", stack, "--format", fmt, project=root)
        assert result.exit_code == 0, result.output
        _drawn(result.stdout, fmt, namespaces)
        assert reach("-s", stack, "--format", fmt, project=root).stdout == result.stdout  # byte for byte


@pytest.mark.parametrize("fmt", ["mermaid", "dot", "svg", "html", "matrix", "csv"])
def test_diff_highlights_what_another_stack_opens_and_closes_in_every_format(fmt):
    """dev → prod opens checkout → payments-api on 8080 (and closes checkout → payments on any port),
    and closes everything of sandbox, which prod does not have."""
    result = reach("-s", "dev", "--diff", "prod", "--format", fmt)
    assert result.exit_code == 0, result.output
    marks = {
        "mermaid": ('==>|"+ TCP 8080 to app=payments-api"|', '-.->|"- any port"|', "legend_opened"),
        "dot": ('label="+ TCP 8080 to app=payments-api", color="#1a7f37"', 'label="- any port", color="#cf222e"', "legend_closed"),
        "svg": ('class="edge opened" data-from="checkout" data-to="payments"', 'class="edge closed" data-from="sandbox"', "+ opened by the change"),
        "html": ('class="edge opened" data-from="checkout" data-to="payments"', 'class="edge closed" data-from="sandbox"', "- closed by the change"),
        "matrix": ("opened: TCP 8080 to app=payments-api | closed: any port", "closed: any port", "sandbox"),
        "csv": ("opened: TCP 8080 to app=payments-api | closed: any port", "closed: any port", "sandbox"),
    }[fmt]
    for mark in marks:
        assert mark in result.stdout
    _drawn(result.stdout, fmt, ["analytics", "checkout", "default", "kube-system", "payments", "sandbox"])


def test_a_drawn_format_is_not_an_answer_to_a_question():
    for extra in (["--json"], ["--from", "checkout", "--to", "payments", "--port", "80"]):
        result = reach("-s", "prod", "--format", "svg", *extra)
        assert result.exit_code == 1  # the project's exit code for every user error (a usage error too)
        assert "--format svg draws every flow of the stack" in result.output
        assert "<svg" not in result.output


def _ring(size: int) -> dict:
    """A stack of ``size`` tenants in a ring: each admits the one before it on 8080 and sends to the
    one after it; every fifth may reach the internet on 443 and a database network on 5432."""
    namespaces = {}
    for i in range(size):
        before, after = f"team-{(i - 1) % size:02d}", f"team-{(i + 1) % size:02d}"
        allow_to = [{"name": "to-next", "namespace": after, "ports": [{"port": 8080}]}]
        if i % 5 == 0:
            allow_to += [{"name": "to-internet", "cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"], "ports": [{"port": 443}]}, {"name": "to-db", "cidr": "10.20.0.0/16", "ports": [{"port": 5432}]}]
        namespaces[f"team-{i:02d}"] = {
            "labels": {"team": f"t{i}"},
            "networkPolicy": {
                "defaultDeny": ["Ingress", "Egress"],
                "allowDNS": True,
                "allowSameNamespace": True,
                "allowFrom": [{"name": "from-previous", "namespace": before, "ports": [{"port": 8080}]}],
                "allowTo": allow_to,
            },
        }
    return {"config": {"clusterstack:namespaces": namespaces, "clusterstack:dns": {"nodeLocal": {}}}}


def test_a_large_stack_in_every_format(make_project):
    """Forty tenants: every format is read by its consumer, and in the SVG no label meets another."""
    from xml.etree import ElementTree

    from tests.test_drawing import _boxes

    size = 40
    root = make_project({"dev": _ring(size)})
    namespaces = [f"team-{i:02d}" for i in range(size)]
    for fmt in FORMATS:
        result = reach("-s", "dev", "--format", fmt, project=root)
        assert result.exit_code == 0, result.output
        _drawn(result.stdout, fmt, namespaces)
        if fmt == "svg":
            boxes = _boxes(ElementTree.fromstring(result.stdout))
            assert len([b for b in boxes if b[0].startswith("node team-")]) == size
            clashes = [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]]
            assert clashes == []
        if fmt == "mermaid":
            assert '|"TCP 8080"|' in result.stdout
            assert '|"TCP 443"| n' in result.stdout


def test_the_manual_shows_what_reach_draws(make_project):
    """docs/analysis/reach.md's two stacks give, through the CLI, exactly the Mermaid chart and the
    matrix the page shows."""
    page = (REPO / "docs" / "analysis" / "reach.md").read_text()
    blocks = re.findall(r"^```(\w+)\n(.*?)^```$", page, re.MULTILINE | re.DOTALL)
    stacks = {text.split(".")[1]: text for lang, text in blocks if lang == "yaml" and text.startswith("# stacks/Pulumi.")}
    assert sorted(stacks) == ["dev", "prod"]
    [chart] = [text for lang, text in blocks if lang == "mermaid"]
    [matrix] = [text for lang, text in blocks if lang == "text" and text.startswith("from \\ to")]
    root = make_project(stacks)
    assert reach("-s", "dev", "--diff", "prod", "--format", "mermaid", project=root).stdout == chart
    assert reach("-s", "dev", "--format", "matrix", project=root).stdout == matrix


def _every_pair(facts, only=None):
    """The matrix as asked of every pair of source and target: what ``matrix`` must equal."""
    from clusterstack.analysis import reach as reachability

    flows = []
    for label, source in facts.sources():
        for target in facts.targets():
            endpoint = target.endpoint
            if only is not None and source.namespace not in only and not (isinstance(endpoint, Pod) and endpoint.namespace in only):
                continue
            if all(facts.decide(source, endpoint, reachability.UNUSED_PORT, protocol).allowed for protocol in ("TCP", "UDP")):
                flows.append(reachability.Flow(label, target.label, "", None))
                continue
            for protocol, port in sorted(set(facts.probes()) | set(target.probes)):
                if facts.decide(source, endpoint, port, protocol).allowed:
                    flows.append(reachability.Flow(label, target.label, protocol, port, facts.port_name(endpoint, protocol, port)))
    return flows


def _generated_facts(seed):
    from clusterstack.analysis import reach as reachability
    from tests.test_flows import generated_stack, rendered_policies

    built, labels = rendered_policies(generated_stack(seed, rules=5 + seed % 30))
    objects = [{"kind": "Namespace", "metadata": {"name": name, "labels": labels[name]}} for name in built]
    objects += [policy for policies in built.values() for policy in policies]
    return reachability.Facts.of(objects, "10.96.0.10", "169.254.20.10" if seed % 2 else None)


@pytest.mark.parametrize("seed", range(40))
def test_the_matrix_asks_only_about_pairs_that_may_be_allowed_and_misses_none(seed):
    """``matrix`` skips the pairs a default-deny side refuses whatever the port (reach._Reachable);
    on random stacks of every rule shape it equals the matrix asked of every pair, whole and for a
    subset of namespaces (what a plan's flow changes ask)."""
    from clusterstack.analysis import reach as reachability

    facts = _generated_facts(seed)
    assert reachability.matrix(facts) == _every_pair(facts)
    only = set(sorted(facts.namespaces)[seed % 3 :: 2])
    assert reachability.matrix(facts, only) == _every_pair(facts, only)


def test_the_generated_stacks_do_refuse_whole_namespaces():
    """The comparison above means something only if the matrix skips pairs on those stacks, and
    allows some too."""
    from clusterstack.analysis import reach as reachability

    skipped = allowed = 0
    for seed in range(40):
        facts = _generated_facts(seed)
        targets = facts.targets()
        reachable = reachability._Reachable(facts.index(), targets)
        skipped += sum(len(targets) - len(reachable.from_(source, None)) for _, source in facts.sources())
        allowed += len(reachability.matrix(facts))
    assert skipped > 500
    assert allowed > 500


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_shipped_stack_has_the_matrix_of_every_pair(stack):
    from clusterstack.analysis import reach as reachability
    from clusterstack.program.evaluate import evaluate_stack
    from clusterstack.stack.project import Project

    evaluation = evaluate_stack(Project.load(REPO), stack)
    facts = reachability.facts_of([d.manifest for d in evaluation.objects], evaluation.config)
    assert reachability.matrix(facts) == _every_pair(facts)


def test_only_narrows_the_flows_to_those_from_or_to_the_namespaces_named():
    every = json.loads(reach("-s", "prod", "--json").stdout)
    narrowed = json.loads(reach("-s", "prod", "--json", "--only", "check*", "--only", "analytics").stdout)
    touching = {"checkout", "analytics"}
    assert narrowed["flows"] == [f for f in every["flows"] if {f.split(" → ")[0].split("/")[0], f.split(" → ")[1].split(":")[0].split("/")[0]} & touching]
    assert narrowed["denied"] == [d for d in every["denied"] if d.split(" → ")[0].split("/")[0] in touching]
    assert narrowed["flows"] != every["flows"]


def test_only_narrows_every_format_and_the_diff():
    whole = reach("-s", "prod", "--format", "matrix").stdout
    narrowed = reach("-s", "prod", "--format", "matrix", "--only", "payments").stdout
    rows = [line.split()[0] for line in narrowed.splitlines()[1:] if line.strip() and not line.startswith("·")]
    assert rows == ["checkout", "kube-system", "payments"]  # payments, and those reaching it
    assert len(narrowed.splitlines()) < len(whole.splitlines())
    diff = json.loads(reach("-s", "dev", "--diff", "prod", "--json", "--only", "payments").stdout)
    assert diff["closes"]
    assert all("payments" in flow for flow in diff["opens"] + diff["closes"])


def test_only_with_diff_names_a_namespace_either_stack_has():
    """analytics is only prod's, sandbox only dev's: each is one to ask about with --diff."""
    opened = json.loads(reach("-s", "dev", "--diff", "prod", "--json", "--only", "analytics").stdout)
    assert "analytics → analytics: any port" in opened["opens"]
    assert opened["closes"] == []
    closed = json.loads(reach("-s", "dev", "--diff", "prod", "--json", "--only", "sandbox").stdout)
    assert "checkout → sandbox: any port" in closed["closes"]
    assert reach("-s", "dev", "--diff", "prod", "--format", "matrix", "--only", "analytics").exit_code == 0
    assert reach("-s", "dev", "--only", "analytics").exit_code == 1  # dev alone has no analytics


def test_only_with_a_pattern_that_matches_nothing_or_a_question_is_refused():
    nothing = reach("-s", "prod", "--only", "payment")
    assert nothing.exit_code == 1
    assert nothing.output.startswith("error: --only payment: matches none of the stack's namespaces (payments, ")
    question = reach("-s", "prod", "--only", "payments", "--from", "checkout", "--to", "payments", "--port", "80")
    assert question.exit_code == 1  # the project's exit code for every user error (a usage error too)
    assert "--only narrows the flows listed or drawn" in question.output


def test_an_unknown_namespace_lists_the_closest_and_counts_the_rest():
    from clusterstack.analysis import reach as reachability

    names = [f"team-{i:04d}" for i in range(10_000)]
    assert reachability.some_of(names, "team-123") == (
        "team-9123, team-8123, team-7123, team-0000, team-0001, team-0002, team-0003, team-0004, team-0005, team-0006 and 9,990 more"
    )
    assert reachability.some_of(["a", "b"], "zzz") == "a, b"


def test_a_matrix_or_chart_too_large_to_read_is_refused_before_the_flows(monkeypatch):
    from clusterstack.analysis import flowmatrix, pictures
    from clusterstack.analysis import reach as reachability

    monkeypatch.setattr(flowmatrix, "MAX_CELLS", 20)
    asked: list[object] = []

    def matrix(*args: object) -> list[object]:
        asked.append(args)
        return []

    monkeypatch.setattr(reachability, "matrix", matrix)
    for fmt in ("matrix", "csv"):
        refused = reach("-s", "prod", "--format", fmt)
        assert refused.exit_code == 1
        assert refused.output.startswith(f"error: reach --format {fmt}: the matrix would have 5 rows × ")
        assert "narrow it with --only NAMESPACE" in refused.output
    assert asked == []
    monkeypatch.undo()
    monkeypatch.setattr(pictures, "MERMAID_MAX_EDGES", 3)
    chart = reach("-s", "prod", "--format", "mermaid")
    assert chart.exit_code == 1
    assert re.match(r"error: reach --format mermaid: the chart has \d+ edges, and Mermaid draws at most 3 \(its maxEdges\)", chart.output)
    assert reach("-s", "prod", "--format", "mermaid", "--only", "analytics").exit_code == 1
    assert reach("-s", "prod", "--format", "svg").exit_code == 0
