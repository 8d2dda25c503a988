"""PriorityClasses and StorageClasses: built as the API expects them and checked as the API server checks
them (pkg/apis/storage/validation: a provisioner is a qualified name, parameters have limits),
registered by the platform with replaceOnChanges for the fields the API server will not update, and
named by the quotas that count against them."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from clusterstack.components import ClusterClasses
from clusterstack.components.classes import DEFAULT_CLASS_ANNOTATION, MAX_PARAMETERS, MAX_PARAMETERS_SIZE, PriorityClassArgs, StorageClassArgs, build_classes
from clusterstack.components.model import Invalid
from clusterstack.kube.schema import schema_problems
from clusterstack.testing import run
from tests.helpers import STACK_FILE, load, problems


def test_classes_are_built_whole_and_pass_the_strict_schemas():
    objects = build_classes(
        {"high": PriorityClassArgs(value=100000, description="front of the queue")},
        {"gold": StorageClassArgs(provisioner="ebs.csi.aws.com", parameters={"type": "io2"}, default=True)},
        "prod",
    )
    [priority] = objects.priority_classes
    [storage] = objects.storage_classes
    assert (priority["value"], priority["globalDefault"], priority["preemptionPolicy"]) == (100000, False, "PreemptLowerPriority")
    assert storage["metadata"]["annotations"] == {DEFAULT_CLASS_ANNOTATION: "true"}
    assert (storage["reclaimPolicy"], storage["volumeBindingMode"], storage["parameters"]) == ("Delete", "WaitForFirstConsumer", {"type": "io2"})
    for version in ("1.30", "1.34"):
        assert list(schema_problems(priority, version)) == []
        assert list(schema_problems(storage, version)) == []


def test_the_platform_declares_them_and_quotas_may_name_them():
    loaded = load(
        {"team": {"quota": {"gold.storageclass.storage.k8s.io/requests.storage": "1Ti"}}},
        priorityClasses={"high": {"value": 1000}},
        storageClasses={"gold": {"provisioner": "ebs.csi.aws.com"}},
    )
    assert set(loaded.args.priority_classes) == {"high"}


def test_a_class_the_cluster_already_has_may_be_named_when_listed_as_existing():
    loaded = load({"team": {"quota": {"fast.storageclass.storage.k8s.io/persistentvolumeclaims": "3"}}}, cluster={"existing": {"storageClasses": ["fast"]}})
    assert loaded.args.cluster.existing.storage_classes == ("fast",)


@pytest.mark.pulumi(project="p", stack="s")
@pulumi.runtime.test
def test_the_component_registers_a_child_per_class(pulumi_mocks):
    classes = ClusterClasses("classes", {"high": {"value": 10}}, {"gold": {"provisioner": "ebs.csi.aws.com"}})
    assert set(classes.priority_classes) == {"high"}

    def check(_: object) -> None:
        names = {(r.type, r.name) for r in pulumi_mocks.recording().resources}
        assert ("kubernetes:scheduling.k8s.io/v1:PriorityClass", "classes/high") in names
        assert ("kubernetes:storage.k8s.io/v1:StorageClass", "classes/gold") in names

    return pulumi.Output.all(classes.priority_classes["high"].urn, classes.storage_classes["gold"].urn).apply(check)


def test_the_component_refuses_two_defaults():
    with pytest.raises(Invalid, match="only one StorageClass may be the default"):
        ClusterClasses("c", None, {"a": {"provisioner": "x.io", "default": True}, "b": {"provisioner": "y.io", "default": True}})


@pytest.mark.pulumi(project="p", stack="s")
@pulumi.runtime.test
def test_the_classes_are_replaced_on_the_fields_the_api_server_will_not_update(pulumi_mocks):
    """ValidatePriorityClassUpdate (value, preemptionPolicy) and ValidateStorageClassUpdate (reclaimPolicy,
    volumeBindingMode; parameters and provisioner pulumi-kubernetes replaces on by itself): registered
    with replaceOnChanges, and deleteBeforeReplace, since a class keeps its name."""
    classes = ClusterClasses("classes", {"high": {"value": 10}}, {"gold": {"provisioner": "ebs.csi.aws.com"}})

    def check(_: object) -> None:
        recording = pulumi_mocks.recording()
        priority, storage = recording.named("classes/high"), recording.named("classes/gold")
        assert (priority.replace_on_changes, priority.delete_before_replace) == (("value", "preemptionPolicy"), True)
        assert (storage.replace_on_changes, storage.delete_before_replace) == (("reclaimPolicy", "volumeBindingMode"), True)
        assert recording.named("classes").replace_on_changes == ()

    return pulumi.Output.all(classes.priority_classes["high"].urn, classes.storage_classes["gold"].urn).apply(check)


@pytest.mark.parametrize("provisioner", ["kubernetes.io/no-provisioner", "kubernetes.io/aws-ebs", "ebs.csi.aws.com", "pd.csi.storage.gke.io", "Example.COM/NFS"])
def test_a_provisioner_is_a_qualified_name_in_lower_case(provisioner):
    """validateProvisioner: ValidateQualifiedName(strings.ToLower(provisioner)); the name keeps its case."""
    assert build_classes({}, {"c": StorageClassArgs(provisioner=provisioner)}).storage_classes[0]["provisioner"] == provisioner


@pytest.mark.parametrize(
    ("provisioner", "reason"),
    [
        ("ebs csi", "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"),
        ("kubernetes.io/", "name part must be non-empty"),
        ("/no-provisioner", "prefix part must be non-empty"),
        ("a_b.io/x", "prefix part must be a DNS-1123 subdomain"),
        ("x" * 64, "name part must be no more than 63 characters"),
    ],
)
def test_a_provisioner_the_api_server_refuses_is_refused(provisioner, reason):
    [found] = problems(storageClasses={"gold": {"provisioner": provisioner}})
    assert found.startswith(f"{STACK_FILE}: clusterstack:storageClasses.gold.provisioner: {provisioner!r} is not a valid provisioner: {reason}")
    assert found.endswith("(a qualified name, checked in lower case: 'ebs.csi.aws.com', 'kubernetes.io/no-provisioner')")


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"": "x"}, 'Invalid value: "": field can not be empty. (give the parameter its key, or remove it)'),
        ({f"k{i}": "v" for i in range(MAX_PARAMETERS + 1)}, "Too long: may not be more than 512 parameters (these are 513)"),
        ({"a": "x" * MAX_PARAMETERS_SIZE}, "Too long: may not be more than 262144 bytes, keys and values together (these are 262145)"),
    ],
)
def test_parameters_within_the_api_servers_limits(parameters, message):
    """validateParameters: at most 512 (maxProvisionerParameterLen), no empty key, at most 256 KiB of keys
    and values (maxProvisionerParameterSize)."""
    assert problems(storageClasses={"gold": {"provisioner": "ebs.csi.aws.com", "parameters": parameters}}) == [
        f"{STACK_FILE}: clusterstack:storageClasses.gold.parameters: {message}"
    ]
    StorageClassArgs(provisioner="ebs.csi.aws.com", parameters={f"k{i}": "v" for i in range(MAX_PARAMETERS)})


class KmsKey(pulumi.CustomResource):
    """Another package's resource whose output a StorageClass parameter takes."""

    arn: pulumi.Output[str]

    def __init__(self, name: str) -> None:
        super().__init__("aws:kms/key:Key", name, {"arn": None, "description": "volume encryption"})


class AnsweringWithAnArn(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == "aws:kms/key:Key":
            return "key-1", {**args.inputs, "arn": "arn:aws:kms:eu-west-1:111122223333:key/key-1"}
        return args.name, dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def test_a_parameter_may_be_an_output_of_another_resource():
    def program() -> None:
        key = KmsKey("volumes")
        ClusterClasses("classes", None, {"encrypted": StorageClassArgs(provisioner="ebs.csi.aws.com", parameters={"type": "gp3", "kmsKeyId": key.arn})})

    [storage] = run(program, mocks=AnsweringWithAnArn()).of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert storage.inputs["parameters"] == {"type": "gp3", "kmsKeyId": "arn:aws:kms:eu-west-1:111122223333:key/key-1"}


def test_a_parameter_from_an_output_must_resolve_to_a_string():
    def program() -> None:
        iops = pulumi.Output.from_input(10)
        ClusterClasses("classes", None, {"gold": {"provisioner": "ebs.csi.aws.com", "parameters": {"iopsPerGB": iops}}})  # type: ignore[dict-item]  # the wrong type is what the test checks

    with pytest.raises(ValueError, match=r"StorageClassArgs\.parameters: 10 is not a string"):
        run(program)
