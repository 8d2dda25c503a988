"""Stack files: common.yaml under the stack's file, Pulumi's own keys tolerated, secrets refused,
and every error attributed to the file that holds the offending key."""

import pytest

from clusterstack.errors import ClusterstackError
from clusterstack.stack.files import deep_merge, read_stack
from clusterstack.stack.project import Project
from clusterstack.stack.spec import load_spec


def test_deep_merge_merges_maps_and_replaces_lists_and_scalars():
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 1, "c": {"k": 1}}
    override = {"a": {"y": [3], "z": 2}, "b": 2, "c": None}
    assert deep_merge(base, override) == {"a": {"x": 1, "y": [3], "z": 2}, "b": 2, "c": None}


def test_the_stack_file_overrides_common_yaml(make_project):
    root = make_project(
        {"dev": {"config": {"clusterstack:cluster": {"kubeProxyMode": "ipvs"}, "clusterstack:namespaces": {"b": {"quota": {"pods": "2"}}}}}},
        common={"config": {"clusterstack:cluster": {"kubernetesVersion": "1.30", "domain": "corp.local"}, "clusterstack:namespaces": {"a": {}, "b": {"quota": {"pods": "1", "services": "1"}}}}},
    )
    args = load_spec(read_stack(Project.load(root), "dev")).args
    assert args.cluster.kubernetes_version == "1.30"
    assert args.cluster.domain == "corp.local"
    assert args.cluster.kube_proxy_mode == "ipvs"
    assert sorted(args.namespaces) == ["a", "b"]
    assert {k: v.text for k, v in args.namespaces["b"].quota.items()} == {"pods": "2", "services": "1"}


def test_pulumi_keys_are_tolerated_and_bare_keys_belong_to_the_project(make_project):
    root = make_project(
        {
            "dev": {
                "encryptionsalt": "v1:abc",
                "secretsprovider": "passphrase",
                "environment": ["shared"],
                "config": {"namespaces": {"a": {}}, "kubernetes:context": "kind-dev"},
            }
        }
    )
    assert list(load_spec(read_stack(Project.load(root), "dev")).args.namespaces) == ["a"]


def _errors(root, stack="dev") -> list[str]:
    with pytest.raises(ClusterstackError) as caught:
        load_spec(read_stack(Project.load(root), stack))
    return [str(p) for p in caught.value.problems]


def test_a_secure_value_is_a_clear_error(make_project):
    root = make_project({"dev": "config:\n  clusterstack:namespaces:\n    a:\n      annotations:\n        token:\n          secure: v1:AAAA\n"})
    assert _errors(root) == [
        ("stacks/Pulumi.dev.yaml: clusterstack:namespaces.a.annotations.token: is a Pulumi secret (secure:); no clusterstack "
        "setting takes a secret (the platform's objects would carry it in plain text): write the value in plain text")
    ]


def test_unknown_file_and_config_keys_suggest_the_closest(make_project):
    root = make_project({"dev": {"confg": {}, "config": {"clusterstack:namespace": {}}}})
    assert _errors(root) == ["stacks/Pulumi.dev.yaml: confg: is not a stack file key; did you mean config?"]
    root = make_project({"dev": {"config": {"clusterstack:namespace": {}}}})
    assert _errors(root) == ["stacks/Pulumi.dev.yaml: clusterstack:namespace: unknown key; did you mean namespaces?"]


def test_errors_name_the_file_that_holds_the_key(make_project):
    root = make_project(
        {"prod": {"config": {"clusterstack:namespaces": {"payments": {"limits": {"container": {"default": {"cpu": "2"}}}}}}}},
        common={"config": {"clusterstack:namespaces": {"payments": {"limits": {"container": {"max": {"cpu": "1"}}}}, "shared": {"quota": {"pod": "1"}}}}},
    )
    assert _errors(root, "prod") == [
        ("stacks/Pulumi.prod.yaml: clusterstack:namespaces.payments.limits.container.default.cpu: 2 is above max 1 "
        "(the API server requires min ≤ defaultRequest ≤ default ≤ max)"),
        "stacks/common.yaml: clusterstack:namespaces.shared.quota.pod: is not a quota resource; did you mean pods?",
    ]


def test_broken_yaml_and_missing_stacks(make_project):
    root = make_project({"dev": "config: {a: [1,\n"})
    errors = _errors(root)
    assert len(errors) == 1
    assert errors[0].startswith("stacks/Pulumi.dev.yaml: is not valid YAML:")
    assert _errors(root, "qa") == ["stacks/Pulumi.qa.yaml: no such stack file; stacks in stacks/: dev"]


def test_a_version_written_as_a_number_is_explained(make_project):
    root = make_project({"dev": "config:\n  clusterstack:cluster: {kubernetesVersion: 1.30}\n"})
    assert _errors(root) == [
        ('stacks/Pulumi.dev.yaml: clusterstack:cluster.kubernetesVersion: 1.3 was read as a number; quote the version, '
        'e.g. "1.30" (1.30 unquoted reads as 1.3)')
    ]


def test_null_removes_a_default_from_common_yaml(make_project):
    root = make_project(
        {"dev": {"config": {"clusterstack:dns": {"autoscaler": {"linear": None, "ladder": {"nodesToReplicas": [[1, 1], [10, 3]]}}}}}},
        common={"config": {"clusterstack:dns": {"autoscaler": {"linear": {"nodesPerReplica": 16}}}}},
    )
    autoscaler = load_spec(read_stack(Project.load(root), "dev")).args.dns.autoscaler
    assert autoscaler.mode == "ladder"
