"""Reachability as Mermaid and DOT text (clusterstack/analysis/pictures.py): one node per namespace and
per special destination, each classified by the label reach.py gives it; an edge per allowed pair with
its ports; opened and closed flows highlighted with a legend; every label escaped; the same input gives
the same bytes."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from clusterstack.analysis import pictures, reach
from clusterstack.program.evaluate import evaluate_stack
from clusterstack.stack.project import Project
from tests.conftest import REPO

HOSTILE = 'evil"];click n0 call alert(1)%%<script>#x;`*_\\l\n}'


@cache
def facts(stack: str, root: Path = REPO) -> reach.Facts:
    evaluation = evaluate_stack(Project.load(root), stack)
    return reach.facts_of([d.manifest for d in evaluation.objects], evaluation.config)


def test_every_destination_reach_names_is_drawn_as_its_kind():
    """The labels reach.Facts.targets() gives (prod has every kind: NodeLocal DNSCache, CIDRs) land on
    the node kind they are; a labelled pod folds into its namespace's node."""
    kinds = {label: pictures.node_of(label)[0].kind for label in pictures.endpoints(facts("prod"))}
    assert kinds == {
        "analytics": "namespace",
        "checkout": "namespace",
        "checkout/app=checkout": "namespace",
        "default": "namespace",
        "kube-system": "namespace",
        "kube-system/k8s-app=kube-dns": "namespace",
        "kube-system/k8s-app=node-local-dns": "namespace",
        "payments": "namespace",
        "payments/app=payments-api": "namespace",
        "kube-dns (kube-system/k8s-app=kube-dns)": "dns",
        "node-local-dns 169.254.20.10": "dns",
        "kube-dns ClusterIP 10.96.0.10 (answered by node-local-dns)": "dns",
        "10.30.0.0/16 (10.30.0.1)": "cidr",
        "203.0.113.0/24 (203.0.113.1)": "cidr",
        "10.20.0.0/16 (10.20.0.1)": "cidr",
        "the internet (198.51.100.10)": "internet",
        "cloud metadata 169.254.169.254": "metadata",
    }
    assert pictures.node_of("checkout/app=checkout") == (pictures.Node(0, "checkout", "namespace"), "app=checkout")


def test_prod_as_mermaid_names_each_namespace_once_and_labels_edges_with_ports():
    prod = facts("prod")
    text = pictures.mermaid(reach.matrix(prod), endpoints=pictures.endpoints(prod))
    assert text == pictures.mermaid(reach.matrix(prod), endpoints=pictures.endpoints(prod))
    nodes = dict(re.findall(r'^  (n\d+)[\[({]+/?"([^"]*)"', text, re.MULTILINE))
    assert sorted(nodes.values()) == sorted(
        ["analytics", "checkout", "default", "kube-system", "payments", "kube-dns (kube-system/k8s-app=kube-dns)", "node-local-dns 169.254.20.10", "kube-dns ClusterIP 10.96.0.10 (answered by node-local-dns)", "10.30.0.0/16 (10.30.0.1)", "203.0.113.0/24 (203.0.113.1)", "10.20.0.0/16 (10.20.0.1)", "the internet (198.51.100.10)", "cloud metadata 169.254.169.254"]
    )
    ids = {name: node for node, name in nodes.items()}
    # checkout reaches payments only at its API pods on 8080; nothing reaches the internet from a tenant.
    assert f'  {ids["checkout"]} -->|"TCP 8080 to app=payments-api"| {ids["payments"]}' in text.splitlines()
    assert f'  {ids["payments"]} -->|"TCP 5432"| {ids["10.20.0.0/16 (10.20.0.1)"]}' in text.splitlines()
    assert not re.search(rf'  {ids["checkout"]} --.*\| {ids["the internet (198.51.100.10)"]}$', text, re.MULTILINE)
    assert "linkStyle" not in text
    assert "legend" not in text


def test_a_namespace_that_reaches_nothing_is_still_drawn():
    lonely = reach.Flow("a", "a", "TCP", 80)
    text = pictures.mermaid([lonely], endpoints=["a", "b", "cloud metadata 169.254.169.254"])
    assert '  n1["b"]' in text
    assert '{{"cloud metadata 169.254.169.254"}}' in text
    assert text.count("-->") == 1


def test_a_port_allowed_to_the_whole_namespace_is_not_repeated_for_its_labelled_pods():
    flows = [
        reach.Flow("a", "b", "TCP", 443),
        reach.Flow("a", "b/app=x", "TCP", 443),
        reach.Flow("a/app=y", "b/app=x", "TCP", 443),
        reach.Flow("a", "b/app=x", "TCP", 8080),
        reach.Flow("a/app=y", "b", "", None),
    ]
    [edge] = pictures.picture(flows).edges
    assert edge.ports == ("TCP 443", "TCP 8080 to app=x", "any port from app=y")


def test_a_change_is_highlighted_with_a_legend():
    """dev → prod closes sandbox's flows (prod has no sandbox) and opens prod's DNS rules."""
    opened, closed = reach.changes(facts("dev"), facts("prod"))
    text = pictures.mermaid((), opened, closed)
    lines = text.splitlines()
    assert any(line.endswith("]:::opened") for line in lines)
    assert any(line.endswith("]:::closed") for line in lines)
    thick = [line for line in lines if "==>" in line]
    dotted = [line for line in lines if "-.->" in line]
    assert len(thick) + len(dotted) == len([line for line in lines if "|" in line])
    assert all('|"+ ' in line for line in thick)
    assert all('|"- ' in line for line in dotted)
    [green] = [line for line in lines if line.startswith("  linkStyle") and "#1a7f37" in line]
    [red] = [line for line in lines if line.startswith("  linkStyle") and "#cf222e" in line]
    assert len(green.split()[1].split(",")) == len(thick)
    assert len(red.split()[1].split(",")) == len(dotted)
    dot = pictures.dot((), opened, closed)
    assert dot.count("style=bold") == len(thick)
    assert dot.count("style=dashed") == len(dotted)
    assert "legend_opened" in dot
    assert "legend_closed" in dot


@pytest.mark.parametrize("where", ["source", "destination"])
def test_no_label_can_inject_into_the_chart(where):
    """Label values are the stack author's: whatever they hold stays inside one quoted string, and the
    chart keeps its shape (two nodes, one edge)."""
    source, destination = (f"a/app={HOSTILE}", "b") if where == "source" else ("a", f"b/app={HOSTILE}")
    text = pictures.mermaid([reach.Flow(source, destination, "TCP", 80)])
    lines = text.splitlines()
    assert len([line for line in lines if re.match(r"  n\d+[\[(/{]", line)]) == 2
    assert len([line for line in lines if "-->" in line]) == 1
    strings = re.findall(r'"([^"]*)"', text)
    bare = [re.sub(r"#\d+;", "", string) for string in strings]  # entity codes are the only escapes
    assert len(strings) == 3
    assert all(not set(string) & set("<>[]{}`*_\\;#%\n") for string in bare)
    assert any("#34;" in string and "#60;script#62;" in string for string in strings)
    dot = pictures.dot([reach.Flow(source, destination, "TCP", 80)])
    assert '\\"];click' in dot
    assert "\\\\l" in dot
    assert len([line for line in dot.splitlines() if " -> " in line]) == 1
