"""PriorityClasses and StorageClasses: built as the API expects them, registered by the platform, and
named by the quotas that count against them."""

from __future__ import annotations

import pulumi
import pytest

from clusterstack.components import ClusterClasses
from clusterstack.components.classes import DEFAULT_CLASS_ANNOTATION, PriorityClassArgs, StorageClassArgs, build_classes
from clusterstack.components.kube.schema import schema_problems
from clusterstack.components.model import Invalid
from tests.helpers import load


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
        assert schema_problems(priority, version) == []
        assert schema_problems(storage, version) == []


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
