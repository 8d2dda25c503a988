"""No name the API server would refuse passes: a final newline is refused wherever a stack file names
something, every object clusterstack renders passes the API server's name rules for its kind, and no
pattern in the package can match before a final newline again.

kubernetes-validate does not close this gap by itself: its schemas carry no name syntax, so it admits
a Namespace named ``"payments\\n"`` (test_kubernetes_validate_admits_a_newline_name).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from clusterstack.kube import names
from clusterstack.kube.schema import schema_problems
from clusterstack.program.evaluate import evaluate_stack
from clusterstack.stack.project import Project
from tests import helpers
from tests.conftest import REPO
from tests.sources import source_modules

Validator = Callable[[str], list[str]]

# metadata.name per kind, as each kind's ValidateObjectMeta is called (pkg/apis/*/validation/validation.go):
# ValidateNamespaceName (DNS-1123 label), ValidateServiceName (DNS-1035 label), ValidateRBACName
# (path.IsValidPathSegmentName); every other kind clusterstack renders takes a DNS-1123 subdomain.
NAME_RULES: Mapping[str, Validator] = {
    "Namespace": names.dns1123_label,
    "Service": names.dns1035_label,
    "Role": names.path_segment_name,
    "RoleBinding": names.path_segment_name,
    "ClusterRole": names.path_segment_name,
    "ClusterRoleBinding": names.path_segment_name,
}


def _name_problems(manifest: Mapping[str, Any]) -> Iterator[str]:
    """Every name in ``manifest`` the API server would refuse, as ``path: value: reasons``."""
    metadata = manifest.get("metadata", {})
    checks: list[tuple[str, str, Validator]] = [("metadata.name", metadata.get("name", ""), NAME_RULES.get(manifest["kind"], names.dns1123_subdomain))]
    if "namespace" in metadata:
        checks.append(("metadata.namespace", metadata["namespace"], names.dns1123_label))
    for key, value in metadata.get("labels", {}).items():
        checks += [(f"metadata.labels[{key}]", key, names.qualified_name), (f"metadata.labels[{key}]", value, names.label_value)]
    # ValidateAnnotations checks the lower-cased key (apimachinery/pkg/api/validation/objectmeta.go).
    checks += [(f"metadata.annotations[{key}]", key.lower(), names.qualified_name) for key in metadata.get("annotations", {})]
    if manifest["kind"] == "ConfigMap":
        checks += [(f"data[{key}]", key, names.config_map_key) for key in manifest.get("data", {})]
    pod = manifest.get("spec", {}).get("template", {}).get("spec", {})
    for group in ("initContainers", "containers"):
        for index, container in enumerate(pod.get(group, [])):
            checks.append((f"{group}[{index}].name", container["name"], names.dns1123_label))
            checks += [(f"{group}[{index}].ports", port["name"], names.port_name) for port in container.get("ports", []) if "name" in port]
    checks += [(f"volumes[{index}].name", volume["name"], names.dns1123_label) for index, volume in enumerate(pod.get("volumes", []))]
    if manifest["kind"] == "Service":
        for index, port in enumerate(manifest["spec"].get("ports", [])):
            if "name" in port:
                checks.append((f"spec.ports[{index}].name", port["name"], names.dns1123_label))
            if isinstance(port.get("targetPort"), str):
                checks.append((f"spec.ports[{index}].targetPort", port["targetPort"], names.port_name))
    for path, value, validator in checks:
        if reasons := validator(value):
            yield f"{path}: {value!r}: {'; '.join(reasons)}"


SHIPPED = [(REPO, stack) for stack in ("dev", "staging", "prod")] + [
    (REPO / "examples" / "team-app", stack) for stack in ("dev", "staging", "prod")
] + [(REPO / "examples" / "two-clusters", "dev")]


@pytest.mark.parametrize(("root", "stack"), SHIPPED, ids=[f"{root.name}-{stack}" for root, stack in SHIPPED])
def test_every_rendered_object_passes_the_name_rules(root, stack):
    objects = evaluate_stack(Project.load(root), stack).objects
    assert len({d.key.kind for d in objects}) >= 5
    found = {str(d.key): problems for d in objects if (problems := list(_name_problems(d.manifest)))}
    assert found == {}


def test_the_name_check_can_fail():
    bad = {
        "kind": "RoleBinding",
        "metadata": {"name": "a/b", "namespace": "Payments", "labels": {"team\n": "x"}, "annotations": {"Example.com/-x": ""}},
    }
    assert [problem.split(":")[0] for problem in _name_problems(bad)] == [
        "metadata.name", "metadata.namespace", "metadata.labels[team\n]", "metadata.annotations[Example.com/-x]"
    ]


# Each stack value that names something, with a final newline: validate refuses it where it is written.
NEWLINE_CASES = [
    ({"namespaces": {"payments\n": helpers.namespace_spec()}}, "clusterstack:namespaces.payments\n", "DNS-1123 label"),
    ({"namespaces": {"team": helpers.namespace_spec(labels={"team\n": "a"})}}, "clusterstack:namespaces.team.labels", "label key"),
    ({"namespaces": {"team": helpers.namespace_spec(labels={"team": "payments\n"})}}, "clusterstack:namespaces.team.labels", "label value"),
    ({"namespaces": {"team": helpers.namespace_spec(annotations={"example.com/owner\n": "a"})}}, "clusterstack:namespaces.team.annotations", "annotation key"),
    ({"priorityClasses": {"high\n": {"value": 1000}}}, "clusterstack:priorityClasses.high\n", "DNS-1123 subdomain"),
]


@pytest.mark.parametrize(("values", "where", "what"), NEWLINE_CASES, ids=[case[2] for case in NEWLINE_CASES])
def test_validate_refuses_a_name_with_a_final_newline(values, where, what):
    problems = helpers.problems(**values)
    assert problems, "a name with a final newline passed"
    assert any(where in problem and what in problem for problem in problems), problems


def test_validate_refuses_versions_with_a_final_newline():
    assert helpers.problems(cluster={"kubernetesVersion": "1.34\n"})
    assert helpers.problems({"team": helpers.namespace_spec(podSecurity={"enforce": "restricted", "enforceVersion": "v1.34\n"})})


def test_kubernetes_validate_admits_a_newline_name():
    """The gap the name validators close: the official schemas (kubernetes-validate, strict) carry
    no name syntax, so a Namespace the API server refuses passes them."""
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments\n"}}
    assert list(schema_problems(namespace)) == []
    assert names.dns1123_label("payments\n") != []


def _patterns() -> Iterator[tuple[str, int, str]]:
    """Every regular expression literal the package compiles or matches with."""
    for _, path in source_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
                and node.func.attr in ("compile", "match", "search", "fullmatch")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                yield str(path.relative_to(REPO)), node.lineno, node.args[0].value


def test_no_pattern_ends_with_a_dollar_anchor():
    """``$`` matches before a final newline in Python; clusterstack's patterns are whole-value
    matches (``fullmatch``) or end with ``\\Z``."""
    patterns = list(_patterns())
    assert len(patterns) > 15
    assert [(path, line) for path, line, pattern in patterns if pattern.rstrip().endswith("$") and not pattern.rstrip().endswith("\\$")] == []
