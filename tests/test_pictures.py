"""Reachability as Mermaid and DOT text (clusterstack/analysis/pictures.py): one node per namespace and
per special destination, each classified by the label reach.py gives it; an edge per allowed pair with
its ports; opened and closed flows highlighted with a legend; every label escaped; the same input gives
the same bytes."""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from xml.etree import ElementTree

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
    check_mermaid(text)
    lines = text.splitlines()
    assert len([line for line in lines if re.match(r"  n\d+[\[(/{]", line)]) == 2
    assert len([line for line in lines if "-->" in line]) == 1
    strings = re.findall(r'"([^"]*)"', text)
    assert len(strings) == 3
    assert all(not set(string) & set('<>&#|`\n\x00') for string in strings)
    assert any("‹script›" in string and "call alert(1)" in string for string in strings)  # look-alikes, still legible
    dot = pictures.dot([reach.Flow(source, destination, "TCP", 80)])
    assert '\\"];click' in dot
    assert "\\\\l" in dot
    assert len([line for line in dot.splitlines() if " -> " in line]) == 1


# The subset of Mermaid's flowchart grammar pictures.py emits (https://mermaid.js.org/syntax/flowchart.html;
# the jison grammar, packages/mermaid/src/diagrams/flowchart/parser/flow.jison): a header, node
# declarations in one of five shapes, labelled links of three strokes, one legend subgraph, classDef,
# class and linkStyle statements. Quoted text holds none of the characters pictures.py replaces.
_STRING = r'"[^"#<>&|`\x00-\x1f]*"'
_SHAPES = [(r"\[", r"\]"), (r"\(\[", r"\]\)"), (r"\[/", r"/\]"), (r"\(\(", r"\)\)"), (r"\{\{", r"\}\}")]
_NODE = re.compile(r"  (n\d+)(?:" + "|".join(f"{o}{_STRING}{c}" for o, c in _SHAPES) + r")")
_LINK = re.compile(rf"  (n\d+) (?:-->|==>|-\.->)\|{_STRING}\| (n\d+)")
_LEGEND = re.compile(rf"    legend_(opened|closed)\[{_STRING}\]:::\1")
_CLASS_DEF = re.compile(r"  classDef (\w+) [\w-]+:[#\w.-]+(?:,[\w-]+:[#\w. -]+)*")
_CLASS = re.compile(r"  class (n\d+(?:,n\d+)*) (namespace|dns|cidr|internet|metadata)")
_LINK_STYLE = re.compile(r"  linkStyle (\d+(?:,\d+)*) [\w-]+:[#\w.-]+(?:,[\w-]+:[#\w. -]+)*")


def check_mermaid(text: str) -> None:
    """Fails unless ``text`` is in the subset: every line one statement, every node used declared
    once, every class defined, every linkStyle index a link's."""
    lines = text.splitlines()
    assert text.endswith("\n")
    assert lines[0] == "flowchart LR"
    declared: list[str] = []
    used: set[str] = set()
    links = 0
    defined: set[str] = set()
    classes: set[str] = set()
    styled: set[int] = set()
    in_legend = False
    for line in lines[1:]:
        if node := _NODE.fullmatch(line):
            declared.append(node.group(1))
        elif link := _LINK.fullmatch(line):
            used |= {link.group(1), link.group(2)}
            links += 1
        elif line == '  subgraph legend["legend"]' and not in_legend:
            in_legend = True
        elif in_legend and (legend := _LEGEND.fullmatch(line)):
            classes.add(legend.group(1))
        elif line == "  end" and in_legend:
            in_legend = False
        elif class_def := _CLASS_DEF.fullmatch(line):
            defined.add(class_def.group(1))
        elif assigned := _CLASS.fullmatch(line):
            used |= set(assigned.group(1).split(","))
            classes.add(assigned.group(2))
        elif style := _LINK_STYLE.fullmatch(line):
            styled |= {int(n) for n in style.group(1).split(",")}
        else:
            raise AssertionError(f"not in the Mermaid subset: {line!r}")
    assert not in_legend
    assert len(declared) == len(set(declared))
    assert used <= set(declared)
    assert classes <= defined
    assert all(index < links for index in styled)


GRAPHVIZ_MISSING = "Graphviz is not installed (Debian: apt-get install graphviz): DOT is not checked by its parser"


def check_dot(text: str) -> bool:
    """Graphviz's own parser and layout (``dot -Tsvg``) read ``text`` and draw a node per declared
    node; False, having checked nothing, where Graphviz is not installed (the caller's other checks go
    on; a test of DOT alone skips with GRAPHVIZ_MISSING)."""
    dot_binary = shutil.which("dot")
    if dot_binary is None:
        return False
    drawn = subprocess.run([dot_binary, "-Tsvg"], input=text, capture_output=True, text=True, timeout=120, check=False)
    assert drawn.returncode == 0, drawn.stderr
    assert drawn.stderr == ""
    root = ElementTree.fromstring(drawn.stdout)
    titles = [t.text or "" for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "node" for t in g.iter("{http://www.w3.org/2000/svg}title")]
    assert sorted(titles) == sorted(re.findall(r"^  +(\w+) \[label=", text, re.MULTILINE))
    return True


def test_the_mermaid_subset_check_refuses_what_mermaid_would():
    good = pictures.mermaid([reach.Flow("a", "b", "TCP", 80)])
    check_mermaid(good)
    for broken in (good.replace('"b"', '"b'), good.replace("-->", "->"), good + "  n9 --> n0\n", good.replace("class n0,n1", "class n0,n7")):
        with pytest.raises(AssertionError):
            check_mermaid(broken)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_shipped_stack_is_valid_mermaid_and_dot(stack):
    current = facts(stack)
    flows, ends = reach.matrix(current), pictures.endpoints(current)
    check_mermaid(pictures.mermaid(flows, endpoints=ends))
    opened, closed = reach.changes(facts("dev"), current)
    check_mermaid(pictures.mermaid(flows, opened, closed, ends))
    check_dot(pictures.dot(flows, opened, closed, ends))


def test_graphviz_draws_a_hostile_label_as_text():
    if not check_dot(pictures.dot([reach.Flow(f"a/app={HOSTILE}", "b", "TCP", 80)])):
        pytest.skip(GRAPHVIZ_MISSING)


MERMAID_PARSER = REPO / ".ci" / "mermaid"


def _mermaid_parser_missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed: Mermaid's own parser cannot run (the grammar subset is still checked)"
    if not (MERMAID_PARSER / "node_modules" / "mermaid").is_dir():
        return "Mermaid's parser is not installed: run `npm ci` in .ci/mermaid (.ci/run does, where npm is)"
    return None


@pytest.mark.skipif(_mermaid_parser_missing() is not None, reason=str(_mermaid_parser_missing()))
def test_mermaids_own_parser_reads_every_chart(tmp_path):
    """mermaid.parse (the npm package, run with node; .ci/mermaid/parse.mjs) reads the chart of every
    shipped stack, of a change, and of hostile labels as a flowchart, and refuses a broken one."""
    charts = {"broken": "flowchart LR\n  n0[\"a\n  n0 -->|x| \n", "empty": pictures.mermaid([])}  # a plan that opens nothing
    for stack in ("dev", "staging", "prod"):
        current = facts(stack)
        charts[stack] = pictures.mermaid(reach.matrix(current), endpoints=pictures.endpoints(current))
    charts["change"] = pictures.mermaid((), *reach.changes(facts("dev"), facts("prod")))
    for i, where in enumerate((f"a/app={HOSTILE}", f"{HOSTILE} (x)", "end", "a/app=end")):
        charts[f"hostile-{i}"] = pictures.mermaid([reach.Flow(where, "b", "TCP", 80), reach.Flow("b", where, "", None)])
    files = []
    for name, chart in charts.items():
        (tmp_path / f"{name}.mmd").write_text(chart)
        files.append(str(tmp_path / f"{name}.mmd"))
    parsed = subprocess.run(["node", str(MERMAID_PARSER / "parse.mjs"), *files], capture_output=True, text=True, timeout=300, check=False)
    results = dict(line.split(": ", 1) for line in parsed.stdout.splitlines())
    assert parsed.returncode == 1, parsed.stderr  # the broken chart
    assert results.pop(str(tmp_path / "broken.mmd")).startswith("error:")
    assert results == {path: "flowchart-v2" for path in files if not path.endswith("broken.mmd")}


def _browser() -> str | None:
    return next((found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name)) is not None), None)


@pytest.mark.skipif(
    _browser() is None or _mermaid_parser_missing() is not None,
    reason="needs a headless browser (Debian: apt-get install chromium) and Mermaid's npm package (.ci/mermaid)",
)
def test_mermaid_draws_the_chart_in_a_real_browser(tmp_path):
    """Mermaid's own renderer (its browser bundle from .ci/mermaid, loaded from disk; securityLevel
    strict, as GitHub runs it) in headless chromium draws a node of each kind's class per node, an edge
    label per edge, and a hostile label as text: the page's only scripts are the two it was given."""
    browser = _browser()
    assert browser is not None
    dev, prod = facts("dev"), facts("prod")
    opened, closed = reach.changes(dev, prod)
    hostile = reach.Flow(f"a/app={HOSTILE}", "b", "TCP", 80)
    drawn = pictures.picture([hostile], opened, closed, pictures.endpoints(dev) + pictures.endpoints(prod))
    bundle = MERMAID_PARSER / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
    page = tmp_path / "chart.html"
    page.write_text(
        f'<!DOCTYPE html><html><body><pre class="mermaid">\n{pictures.mermaid_text(drawn)}</pre>'
        f'<script src="{bundle.as_uri()}"></script><script>mermaid.initialize({{startOnLoad: true, securityLevel: "strict"}});</script></body></html>'
    )
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files", "--virtual-time-budget=10000", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=True).stdout
    kinds = re.findall(r'<g class="node default (\w+)"', dom)
    assert sorted(kinds) == sorted([node.kind for node in drawn.nodes] + ["opened", "closed"])  # the legend's two
    labels = re.findall(r'<span\b[^>]*\sclass="edgeLabel"[^>]*><p>(.*?)</p>', dom)
    assert len(labels) == len(drawn.edges)
    assert "+ TCP 8080 to app=payments-api" in labels
    assert "+ any port to app=checkout; any port from app=checkout" in labels  # no entity code left over
    assert len(re.findall(r"<script", dom)) == 2
    assert "‹script›" in dom  # the hostile label, drawn as text


def _chart_of(edges: int) -> tuple[pictures.Picture, str]:
    drawn = pictures.picture([reach.Flow(f"ns-{i:04d}", "kube-dns (kube-system/k8s-app=kube-dns)", "UDP", 53) for i in range(edges)])
    return drawn, pictures.mermaid_text(drawn)


def test_a_chart_past_mermaids_limits_is_named_too_large():
    at_limit, text = _chart_of(pictures.MERMAID_MAX_EDGES)
    assert pictures.mermaid_too_large(at_limit, text) is None
    past, text = _chart_of(pictures.MERMAID_MAX_EDGES + 1)
    assert pictures.mermaid_too_large(past, text) == "501 edges, and Mermaid draws at most 500 (its maxEdges)"
    few, text = _chart_of(2)
    assert pictures.mermaid_too_large(few, text + "%%" + "x" * pictures.MERMAID_MAX_TEXT) is not None


@pytest.mark.skipif(_mermaid_parser_missing() is not None, reason=str(_mermaid_parser_missing()))
def test_mermaids_own_parser_refuses_the_chart_the_limit_refuses(tmp_path):
    """MERMAID_MAX_EDGES is Mermaid's own: its parser reads a chart of that many edges and refuses one
    more ("Edge limit exceeded")."""
    files = []
    for edges in (pictures.MERMAID_MAX_EDGES, pictures.MERMAID_MAX_EDGES + 1):
        files.append(tmp_path / f"{edges}.mmd")
        files[-1].write_text(_chart_of(edges)[1])
    parsed = subprocess.run(["node", str(MERMAID_PARSER / "parse.mjs"), *map(str, files)], capture_output=True, text=True, timeout=300, check=False)
    results = dict(line.split(": ", 1) for line in parsed.stdout.splitlines())
    assert results[str(files[0])] == "flowchart-v2"
    assert "Edge limit exceeded" in results[str(files[1])]
