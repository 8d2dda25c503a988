"""The environments: the stacks say what each environment promises, diff shows how they differ, and
the published stack schema is generated from the spec types and checks every stack file."""

import json
import re
import subprocess
import sys

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from referencing import Registry, Resource

from clusterstack.cli import cli
from clusterstack.stack.files import Layer, StackConfig, read_stack
from clusterstack.stack.project import Project
from clusterstack.stack.schema import STACK_FILE_SCHEMA_FILE, VALUES_SCHEMA_FILE, stack_file_schema, values_schema
from clusterstack.stack.spec import load_spec
from tests.conftest import REPO

STACK_FILES = sorted((REPO / "stacks").glob("*.yaml"))


def spec(stack: str):
    return load_spec(read_stack(Project.load(REPO), stack)).args


def run(*args):
    result = CliRunner().invoke(cli, ["--project-dir", str(REPO), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_prod_promises_what_production_needs():
    prod = spec("prod")
    for name, tenant in prod.namespaces.items():
        assert (tenant.pod_security.enforce, tenant.pod_security.audit, tenant.pod_security.warn) == ("restricted",) * 3, name
        assert set(tenant.network_policy.default_deny) == {"Ingress", "Egress"}, name
        assert tenant.network_policy.allow_dns, name
        assert tenant.pod_security.version_of("enforce") == f"v{prod.cluster.kubernetes_version}", name  # pinned; audit and warn at latest
        assert tenant.access is not None, name
        assert tenant.access.admins is not None, name
        assert tenant.access.admins.groups, name
    assert prod.existing_namespaces["kube-system"].pod_security.enforce == "privileged"
    assert prod.dns.coredns.pdb is not None
    assert prod.cluster.node_pools
    assert prod.dns.node_local is not None
    linear = prod.dns.autoscaler.linear
    assert linear.prevent_single_point_failure
    assert linear.min >= 2
    assert prod.load_balancers
    for balancer in prod.load_balancers.values():
        assert balancer.internal
        assert balancer.source_ranges
        assert balancer.external_traffic_policy == "Local"


def test_dev_is_permissive_and_small():
    dev = spec("dev")
    assert all(t.network_policy is None for t in dev.namespaces.values())
    assert all(t.pod_security.enforce != "restricted" for t in dev.namespaces.values())
    assert dev.dns.node_local is None
    assert dev.dns.autoscaler.linear.min == 1


def test_staging_is_prod_shaped():
    staging, prod = spec("staging"), spec("prod")
    assert staging.dns.node_local is not None
    assert staging.load_balancers.keys() == prod.load_balancers.keys()
    assert all(t.pod_security.enforce == "restricted" and t.network_policy.allow_dns for t in staging.namespaces.values())


def test_diff_shows_how_dev_and_prod_differ():
    text = run("diff", "dev", "prod")
    assert text.startswith("--- dev\n+++ prod\n")
    assert "  + DaemonSet.apps kube-system/node-local-dns" in text
    assert "  + NetworkPolicy.networking.k8s.io payments/default-deny" in text
    assert 'metadata.labels.pod-security.kubernetes.io/enforce: "baseline" | "restricted"' in text
    assert 'spec.hard.pods: "30" | "200"' in text
    assert "clusterstack.io/environment" not in text  # differs on every object by design
    # The rest of the baseline, which prod declares and dev does not (issue 15).
    for shown in (
        "  + PriorityClass.scheduling.k8s.io high",
        "  + StorageClass.storage.k8s.io gold",
        "  + RoleBinding.rbac.authorization.k8s.io payments/tenant-admins",
        "  + ConfigMap kube-system/coredns",
        "  + PodDisruptionBudget.policy kube-system/coredns",
        "  + Namespace kube-system",
    ):
        assert shown in text, shown


def test_prod_declares_the_rest_of_the_baseline_and_every_object_passes_the_strict_schemas(tmp_path):
    """Issue 15's acceptance: the PriorityClass high, the StorageClass gold, RoleBindings per tenant and
    the CoreDNS patch are rendered, and every object passes the strict schemas of 1.30 and 1.34."""
    objects = [o for o in yaml.safe_load_all(run("render", "-s", "prod")) if o]
    names = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects}
    assert {("PriorityClass", None, "high"), ("StorageClass", None, "gold"), ("ConfigMap", "kube-system", "coredns")} <= names
    assert ("PodDisruptionBudget", "kube-system", "coredns") in names
    for tenant in spec("prod").namespaces:
        assert {("RoleBinding", tenant, f"tenant-{role}") for role in ("admins", "editors", "viewers")} <= names, tenant
    for version in ("1.30", "1.34"):
        assert f"prod: {len(objects)} objects valid against the Kubernetes {version} schemas (strict)" in run(
            "validate", "-s", "prod", "--kubernetes-version", version
        )
    assert "  + ConfigMap kube-system/coredns  [patch of the cluster's own object: only its fields]" in run("preview", "-s", "prod", "--state-dir", str(tmp_path))


def test_diff_as_json():
    document = json.loads(run("diff", "dev", "prod", "--json"))
    assert (document["first"], document["second"]) == ("dev", "prod")
    assert "DaemonSet.apps kube-system/node-local-dns" in document["onlyInSecond"]
    assert "Namespace sandbox" in document["onlyInFirst"]
    quota = next(d for d in document["different"] if d["identity"] == "ResourceQuota payments/tenant-quota")
    assert {"path": "spec.hard.pods", "dev": "30", "prod": "200"} in quota["fields"]
    assert json.loads(run("diff", "prod", "prod", "--json"))["different"] == []


def test_the_published_schemas_are_generated_from_the_spec_types():
    assert json.loads((REPO / "stacks" / VALUES_SCHEMA_FILE).read_text()) == values_schema()
    assert json.loads((REPO / "stacks" / STACK_FILE_SCHEMA_FILE).read_text()) == stack_file_schema()
    assert json.loads(run("schema")) == values_schema()
    assert set(values_schema()["properties"]) == {"cluster", "namespaces", "namespaceDeletion", "dns", "loadBalancers", "target", "priorityClasses", "storageClasses",
        "existingNamespaces", "ipMasq",
    }


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_the_schema_validates_every_stack_file(path):
    document = yaml.safe_load(path.read_text())
    values = {key.removeprefix("clusterstack:"): value for key, value in document["config"].items() if key.startswith("clusterstack:")}
    jsonschema.validate(values, values_schema())
    registry = Registry().with_resource(VALUES_SCHEMA_FILE, Resource.from_contents(values_schema()))
    jsonschema.Draft202012Validator(stack_file_schema(), registry=registry).validate(document)


@pytest.mark.parametrize(
    "values",
    [
        {"namespaces": {"payments": {"qouta": {"pods": "1"}}}},
        {"namespace": {}},
        {"namespaces": {"payments": {"podSecurity": "strictest"}}},
        {"dns": {"autoscaler": {"linear": {"coresPerReplica": "256"}}}},
    ],
)
def test_the_schema_refuses_what_validate_refuses(values):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(values, values_schema())


def test_a_stack_file_holds_only_overrides_so_nothing_is_required():
    jsonschema.validate({"loadBalancers": {"web": {"ports": [{"port": 80}]}}}, values_schema())


def test_the_docs_stack_example_is_a_valid_stack_naming_every_key():
    """The manual's "Every key, in one example" (docs/stack-files.md) is what users copy: it loads
    without an error, and it shows every top-level key the schema publishes."""
    text = (REPO / "docs" / "stack-files.md").read_text()
    start = text.index("## Every key, in one example")
    section = text[start : text.index("\n## ", start + 1)]
    [block] = re.findall(r"```yaml\n(.*?)```", section, flags=re.DOTALL)
    config = yaml.safe_load(block)["config"]
    load_spec(StackConfig("docs", (Layer("docs/stack-files.md", config),)))
    assert {key.removeprefix("clusterstack:") for key in config if key.startswith("clusterstack:")} == set(values_schema()["properties"])


def test_the_schema_command_prints_the_published_schema_from_a_fresh_process():
    """The command turns the models' field docstrings off for every command but this one (they cost
    start-up and serve only as the schema's descriptions): a real process must still print them."""
    printed = subprocess.run([sys.executable, "-m", "clusterstack", "schema"], capture_output=True, text=True, check=True, cwd=REPO, timeout=120)
    assert json.loads(printed.stdout) == json.loads((REPO / "stacks" / VALUES_SCHEMA_FILE).read_text())
    assert "description" in json.dumps(json.loads(printed.stdout)["properties"]["namespaces"])
