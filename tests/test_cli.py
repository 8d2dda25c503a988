"""The command line, through click's CliRunner: stacks, render and validate on real project files.

Every user error exits 1 with ``error: <file>: <key>: <what>`` lines, no traceback, and writes nothing.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from clusterstack.cli import cli
from clusterstack.kube.kinds import kind_rank

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
    kinds = [doc["kind"] for doc in yaml.safe_load_all(result.stdout)]
    assert kinds[0] == "Namespace"
    assert {"Namespace", "ResourceQuota", "LimitRange"} <= set(kinds)
    assert kinds == sorted(kinds, key=kind_rank)


def test_render_is_deterministic_and_json_parses():
    assert run("render", "-s", "prod").output == run("render", "-s", "prod").output
    listing = json.loads(run("render", "-s", "prod", "--format", "json").stdout)
    assert listing["kind"] == "List"
    assert len(listing["items"]) > 3


def test_render_to_a_directory_writes_one_file_per_object(tmp_path):
    out = tmp_path / "out"
    result = run("render", "-s", "dev", "-o", str(out))
    assert result.exit_code == 0
    files = sorted(p.name for p in out.iterdir())
    assert "namespace--payments.yaml" in files
    assert "resourcequota--payments--tenant-quota.yaml" in files
    documents = [yaml.safe_load((out / name).read_text()) for name in files]
    assert len(documents) == len(list(yaml.safe_load_all(run("render", "-s", "dev").stdout)))


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


def test_render_prod_includes_the_dns_add_ons():
    objects = {(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(run("render", "-s", "prod").stdout)}
    assert {
        ("Deployment", "kube-dns-autoscaler"),
        ("ConfigMap", "kube-dns-autoscaler"),
        ("ClusterRole", "system:kube-dns-autoscaler"),
        ("DaemonSet", "node-local-dns"),
        ("ConfigMap", "node-local-dns"),
        ("Service", "kube-dns-upstream"),
        ("Service", "node-local-dns"),
    } <= objects


def test_dns_forecast_for_one_cluster_size_as_json():
    result = run("dns", "forecast", "-s", "dev", "--nodes", "16", "--cores", "64", "--json")
    assert result.exit_code == 0
    answer = json.loads(result.stdout)
    # dev: nodesPerReplica 16 -> 1 replica, lifted to 2 by preventSinglePointFailure (16 nodes > 1).
    assert (answer["replicas"], answer["fromNodes"], answer["fromCores"], answer["mode"]) == (2, 2, 1, "linear")


def test_dns_forecast_counts_schedulable_nodes_unless_told_otherwise():
    dev = json.loads(run("dns", "forecast", "-s", "dev", "--nodes", "40", "--cores", "160", "--schedulable-nodes", "20", "--schedulable-cores", "80", "--json").stdout)
    prod = json.loads(run("dns", "forecast", "-s", "prod", "--nodes", "40", "--cores", "160", "--schedulable-nodes", "20", "--schedulable-cores", "80", "--json").stdout)
    assert dev["replicas"] == 2  # ceil(20 / 16): dev counts only schedulable nodes
    assert prod["replicas"] == 3  # ceil(40 / 16): prod sets includeUnschedulableNodes


def test_dns_forecast_table_covers_a_range_of_sizes():
    result = run("dns", "forecast", "-s", "prod")
    lines = result.stdout.splitlines()
    assert result.exit_code == 0
    assert lines[1].split()[0] == "nodes"
    assert len(lines) == 2 + 12
    replicas = [int(line.split()[-1]) for line in lines[2:]]
    assert replicas == sorted(replicas)
    assert replicas[0] == 2


def test_dns_forecast_needs_an_autoscaler(make_project):
    root = make_project({"dev": {"config": {}}}, common={"config": {}})
    result = run("dns", "forecast", "-s", "dev", project=root)
    assert result.exit_code == 1
    assert "error: stack dev has no clusterstack:dns.autoscaler; nothing to forecast" in result.output


def test_integers_stay_integers_through_the_pulumi_runtime():
    # Pulumi serialises numbers as doubles; a rendered port must read 8443, not 8443.0.
    output = run("render", "-s", "prod").output
    assert "port: 8443\n" in output
    assert "- 65534\n" in output
    assert ".0\n" not in output


# --- Conventions ------------------------------------------------------------------------------------


def _command(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clusterstack", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120)


def test_a_usage_error_exits_1_because_2_means_changes_present():
    mistyped = _command("preview", "-s", "dev", "--bogus")
    assert mistyped.returncode == 1
    assert "No such option '--bogus'" in mistyped.stderr
    assert _command("nonsense").returncode == 1
    assert _command("preview").returncode == 1  # -s missing


def test_shared_options_go_before_or_after_the_command(tmp_path):
    for args in (["--state-dir", str(tmp_path), "preview", "-s", "dev"], ["preview", "-s", "dev", "--state-dir", str(tmp_path)]):
        result = _command(*args, cwd=tmp_path.parent)  # outside any project: --project-dir must be honoured
        assert result.returncode == 1  # no project here
        after = _command("preview", "-s", "dev", "--project-dir", str(REPO), "--state-dir", str(tmp_path), cwd=tmp_path)
        assert after.returncode == 0, after.stderr
        assert after.stdout.rstrip().endswith("to destroy.")


def test_the_project_is_found_upwards_like_git_finds_its_repository(tmp_path):
    found = _command("--state-dir", str(tmp_path), "preview", "-s", "dev", cwd=REPO / "stacks")
    assert found.returncode == 0, found.stderr
    lost = _command("preview", "-s", "dev", cwd=tmp_path)
    assert lost.returncode == 1
    assert "no Pulumi.yaml here or in any directory above; run clusterstack in a project, or pass --project-dir" in lost.stderr


def test_a_plan_saved_into_a_missing_directory_is_refused_before_anything_runs(tmp_path):
    result = _command("--state-dir", str(tmp_path), "preview", "-s", "dev", "--out", str(tmp_path / "missing" / "dev.plan"))
    assert result.returncode == 1
    assert "error: --out" in result.stderr
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("path", ["fast", "sdk"])
def test_consecutive_runs_print_nothing_but_their_output(tmp_path, path):
    """No asyncio "Exception ignored" noise at exit, on either evaluation path (50 runs of each were
    clean when this was written; five here keep it so)."""
    import os

    environment = {**os.environ, "CLUSTERSTACK_EVAL": path}
    for _ in range(5):
        result = subprocess.run(
            [sys.executable, "-m", "clusterstack", "--state-dir", str(tmp_path), "preview", "-s", "staging", "--no-cache"],
            cwd=REPO, capture_output=True, text=True, check=False, timeout=120, env=environment,
        )
        assert result.returncode == 0, result.stderr
        assert "Exception ignored" not in result.stderr
        assert "Traceback" not in result.stderr
