"""The command line, through click's CliRunner: stacks, render and validate on real project files.

Every user error exits 1 with ``error: <file>: <key>: <what>`` lines, no traceback, and writes nothing.
"""

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from clusterstack.cli import cli

REPO = Path(__file__).resolve().parent.parent
STACKS = ["dev", "prod", "staging"]


def run(*args: str, project: Path = REPO):
    result = CliRunner().invoke(cli, ["--project-dir", str(project), *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_stacks_lists_the_stack_files():
    assert run("stacks").output.split() == STACKS


def test_render_prints_namespaces_first_then_quotas_and_limits():
    result = run("render", "-s", "dev")
    assert result.exit_code == 0
    kinds = [doc["kind"] for doc in yaml.safe_load_all(result.output)]
    assert kinds[0] == "Namespace"
    assert {"Namespace", "ResourceQuota", "LimitRange"} <= set(kinds)
    assert kinds == sorted(kinds, key=["Namespace", "ResourceQuota", "LimitRange"].index)


def test_render_is_deterministic_and_json_parses():
    assert run("render", "-s", "prod").output == run("render", "-s", "prod").output
    listing = json.loads(run("render", "-s", "prod", "--format", "json").output)
    assert listing["kind"] == "List" and len(listing["items"]) > 3


def test_render_to_a_directory_writes_one_file_per_object(tmp_path):
    out = tmp_path / "out"
    result = run("render", "-s", "dev", "-o", str(out))
    assert result.exit_code == 0
    files = sorted(p.name for p in out.iterdir())
    assert "namespace--payments.yaml" in files
    assert "resourcequota--payments--tenant-quota.yaml" in files
    documents = [yaml.safe_load((out / name).read_text()) for name in files]
    assert len(documents) == len(list(yaml.safe_load_all(run("render", "-s", "dev").output)))


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("version", ["1.30", "1.34"])
def test_every_stack_validates_against_the_strict_schemas(stack, version):
    result = run("validate", "-s", stack, "--kubernetes-version", version)
    assert result.exit_code == 0, result.output
    assert f"valid against the Kubernetes {version} schemas (strict)" in result.output


BAD_LIMITS = """\
config:
  clusterstack:namespaces:
    payments:
      limits:
        container: {default: {cpu: "2"}, max: {cpu: "1"}}
"""
BAD_QUOTA = """\
config:
  clusterstack:namespaces:
    payments:
      quota: {requests.cpu: 2 cores}
"""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (BAD_LIMITS, "error: stacks/Pulumi.prod.yaml: clusterstack:namespaces.payments.limits.container.default.cpu: 2 is above max 1"),
        (BAD_QUOTA, "error: stacks/Pulumi.prod.yaml: clusterstack:namespaces.payments.quota.requests.cpu: '2 cores' is not a Kubernetes quantity"),
        ("config:\n  clusterstack:namespaces:\n    payments: {qouta: {pods: '1'}}\n", "did you mean quota?"),
    ],
)
@pytest.mark.parametrize("command", ["validate", "render"])
def test_a_bad_stack_exits_1_names_file_and_key_and_writes_nothing(make_project, tmp_path, content, message, command):
    root = make_project({"prod": content})
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    out = tmp_path / "rendered"
    extra = ["-o", str(out)] if command == "render" else []
    result = run(command, "-s", "prod", *extra, project=root)
    assert result.exit_code == 1
    assert message in result.output
    assert not out.exists()
    assert sorted(p.relative_to(root) for p in root.rglob("*") if "__pycache__" not in p.parts) == [
        p for p in before if "__pycache__" not in p.parts
    ]


def test_warnings_are_printed_but_do_not_fail(make_project):
    root = make_project({"dev": "config:\n  clusterstack:namespaces:\n    team: {quota: {limits.cpu: '4'}}\n"})
    result = run("validate", "-s", "dev", project=root)
    assert result.exit_code == 0
    assert "warning: stacks/Pulumi.dev.yaml: clusterstack:namespaces.team.quota.limits.cpu: no LimitRange default for cpu" in result.output


def test_an_unsupported_kubernetes_version_is_a_clear_error():
    result = run("validate", "-s", "dev", "--kubernetes-version", "1.12")
    assert result.exit_code == 1
    assert "error: Kubernetes 1.12 has no bundled schemas; choose one of 1.25," in result.output


def test_a_directory_without_pulumi_yaml_is_a_clear_error(tmp_path):
    result = run("stacks", project=tmp_path)
    assert result.exit_code == 1
    assert "no Pulumi.yaml here" in result.output


def test_an_object_the_schema_rejects_fails_validate(make_project):
    root = make_project({"dev": {"config": {"clusterstack:namespaces": {"a": {}}}}})
    main = root / "__main__.py"
    main.write_text(
        main.read_text()
        + "\nimport pulumi_kubernetes as k8s\n"
        + "k8s.core.v1.ConfigMap('odd', metadata={'name': 'odd', 'namespace': 'a'}, data={'k': 'v'}, opts=None)\n"
        + "k8s.core.v1.Service('svc', metadata={'name': 'svc', 'namespace': 'a'}, spec={'ports': [{'port': 'http'}]})\n"
    )
    result = run("validate", "-s", "dev", project=root)
    assert result.exit_code == 1
    assert "error: Service a/svc: spec.ports.0.port: 'http' is not of type 'integer' (Kubernetes 1.34 schema)" in result.output
    assert "ConfigMap" not in result.output
