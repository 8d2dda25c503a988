"""clusterstack/adopt/cluster.py: a cluster's PriorityClasses, StorageClasses and ip-masq-agent back to
the stack's ``priorityClasses``, ``storageClasses``, ``ipMasq`` and ``cluster.existing``.

What this verifies:

- the round trip: every shipped stack's cluster-wide objects, rendered (as the program declares
  them, as the API server returns them, and as the import normalises them), map back to the stack's own
  values (equal once validated: defaults the stack writes out or leaves out are the same), with no
  note; so does a stack that sets every field of each class and of the agent;
- what the API server defaults is read as the API server reads it (a StorageClass without
  ``volumeBindingMode`` binds Immediate, pkg/apis/storage/v1/defaults.go);
- what the cluster ships is adopted, never created: Kubernetes' own PriorityClasses, every
  ``system-`` class, the addon manager's classes, EKS's gp2 and kind's standard (real dumps, cited in
  tests/data/live/cluster/README.md), each with its note;
- the default class by either annotation, "true" exactly (pkg/apis/storage/util/helpers.go,
  IsDefaultAnnotation); a second default noted;
- what the stack cannot express is a note naming the object and field, never dropped in silence, and
  a value the stack refuses (a class value above one billion, a malformed quantity, a config that is
  not YAML) a note too, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clusterstack.adopt.cluster import map_cluster
from clusterstack.adopt.dump import LiveObject, load
from clusterstack.components.classes import PriorityClassArgs, StorageClassArgs
from clusterstack.components.ip_masq import IpMasqArgs, build_ip_masq
from clusterstack.stack.files import read_stack
from clusterstack.stack.project import Project
from clusterstack.stack.spec import StackSpec, load_spec
from tests import helpers

REPO = Path(__file__).resolve().parent.parent
LIVE = REPO / "tests" / "data" / "live" / "cluster"


def _same(fragment: dict[str, Any], args: StackSpec) -> None:
    """The fragment says what the stack says, compared as the stack's models read both."""
    assert {n: PriorityClassArgs.model_validate(v).model_dump() for n, v in fragment.get("priorityClasses", {}).items()} == {
        n: a.model_dump() for n, a in args.priority_classes.items()
    }
    assert {n: StorageClassArgs.model_validate(v).model_dump() for n, v in fragment.get("storageClasses", {}).items()} == {
        n: a.model_dump() for n, a in args.storage_classes.items()
    }
    ip_masq = fragment.get("ipMasq")
    assert (IpMasqArgs.model_validate(ip_masq).model_dump() if ip_masq is not None else None) == (
        args.ip_masq.model_dump() if args.ip_masq is not None else None
    )


@pytest.mark.parametrize("through", helpers.THROUGH)
@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_shipped_stack_maps_back_to_its_own_classes(stack, through):
    args = load_spec(read_stack(Project.load(REPO), stack)).args
    fragment, notes = map_cluster(helpers.rendered(args, stack, helpers.THROUGH[through]))
    _same(fragment, args)
    assert notes == []
    if stack == "prod":  # written as the stack file writes it: defaults left out
        assert fragment == {
            "priorityClasses": {"high": {"value": 100000, "description": "Customer-facing workloads; the high-priority quota reserves them a share."}},
            "storageClasses": {
                "gold": {"provisioner": "ebs.csi.aws.com", "parameters": {"type": "io2", "iopsPerGB": "50"}, "reclaimPolicy": "Retain", "allowVolumeExpansion": True},
                "standard": {"provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3"}, "allowVolumeExpansion": True, "default": True},
            },
        }


EVERY_FIELD = {
    "priorityClasses": {
        "batch": {"value": -5, "preemptionPolicy": "Never", "description": "waits, never evicts"},
        "critical": {"value": 1_000_000_000, "globalDefault": True},
    },
    "storageClasses": {
        "fast": {"provisioner": "pd.csi.storage.gke.io", "parameters": {"type": "pd-ssd"}, "volumeBindingMode": "Immediate", "reclaimPolicy": "Retain"},
        "local": {"provisioner": "kubernetes.io/no-provisioner", "default": True},
    },
    "ipMasq": {
        "nonMasqueradeCIDRs": ["10.0.0.0/8", "fd00::/8"],
        "cidrLimit": 10,
        "masqLinkLocal": True,
        "masqLinkLocalIPv6": True,
        "resyncInterval": "1m30s",
        "enableIPv6": True,
        "nodeSelector": {"pool": "general"},
        "image": "mirror.example.com/ip-masq-agent:v2.12.6",
        "resources": {"requests": {"cpu": "20m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
    },
}


@pytest.mark.parametrize("values", [EVERY_FIELD, {"ipMasq": {}}, {"ipMasq": {"nomasqAllReservedRanges": False, "nodeSelector": {}}}], ids=["every-field", "agent-defaults", "agent-off-defaults"])
@pytest.mark.parametrize("through", helpers.THROUGH)
def test_a_stack_setting_every_field_maps_back_to_itself(values, through):
    args = helpers.load(**values).args
    fragment, notes = map_cluster(helpers.rendered(args, through=helpers.THROUGH[through]))
    _same(fragment, args)
    assert notes == []
    assert {key: fragment[key] for key in values} == values  # as written: nothing added, nothing lost


def _class(kind: str, name: str, **fields: Any) -> LiveObject:
    api = "scheduling.k8s.io/v1" if kind == "PriorityClass" else "storage.k8s.io/v1"
    metadata = fields.pop("metadata", {})
    return LiveObject("dump.yaml", {"apiVersion": api, "kind": kind, "metadata": {"name": name, **metadata}, **fields})


def test_a_class_read_back_without_defaulted_fields_is_read_as_the_api_server_defaults_it():
    fragment, notes = map_cluster([_class("StorageClass", "plain", provisioner="ebs.csi.aws.com"), _class("PriorityClass", "mid", value=10)])
    assert fragment == {
        "storageClasses": {"plain": {"provisioner": "ebs.csi.aws.com", "volumeBindingMode": "Immediate", "onExisting": "adopt"}},
        "priorityClasses": {"mid": {"value": 10, "onExisting": "adopt"}},
    }
    assert [(n.outcome, n.field) for n in notes] == [("adopted", "")] * 2


def test_a_class_clusterstack_did_not_make_is_taken_over_not_created():
    """onExisting: adopt (pulumi-kubernetes' import option, docs/engine/live.md): creating it would fail
    with AlreadyExists. A class carrying clusterstack's label is the stack's own already."""
    own = {"labels": {"app.kubernetes.io/managed-by": "clusterstack", "clusterstack.io/environment": "prod"}}
    fragment, notes = map_cluster([_class("PriorityClass", "made-by-hand", value=10), _class("PriorityClass", "ours", value=20, metadata=own)])
    assert fragment == {"priorityClasses": {"made-by-hand": {"value": 10, "onExisting": "adopt"}, "ours": {"value": 20}}}
    [found] = notes
    assert (found.object, found.outcome) == ("PriorityClass made-by-hand (dump.yaml)", "adopted")
    assert "import option" in found.reason


def test_what_the_cluster_ships_is_listed_as_existing_and_adopted_never_created():
    objects = [
        _class("PriorityClass", "system-cluster-critical", value=2000000000),
        _class("PriorityClass", "system-node-critical", value=2000001000),
        _class("PriorityClass", "system-something", value=5),
        _class("PriorityClass", "gke-low", value=-1, metadata={"labels": {"addonmanager.kubernetes.io/mode": "Reconcile"}}),
        _class("StorageClass", "standard", provisioner="rancher.io/local-path", metadata={"annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}),
        *load([LIVE / "eks-gp2.yaml", LIVE / "gke-standard-rwo.yaml"]),
    ]
    fragment, notes = map_cluster(objects)
    assert fragment == {"cluster": {"existing": {"priorityClasses": ["gke-low", "system-something"], "storageClasses": ["gp2", "standard", "standard-rwo"]}}}
    assert {(n.object.split(" (")[0], n.outcome) for n in notes} == {
        ("PriorityClass system-cluster-critical", "adopted"),
        ("PriorityClass system-node-critical", "adopted"),
        ("PriorityClass system-something", "adopted"),
        ("PriorityClass gke-low", "adopted"),
        ("StorageClass standard", "adopted"),
        ("StorageClass gp2", "adopted"),
        ("StorageClass standard-rwo", "adopted"),
    }
    [rwo] = [n for n in notes if "standard-rwo" in n.object]
    assert "default class" in rwo.reason
    assert "addonmanager.kubernetes.io/mode: EnsureExists" in rwo.reason
    [gp2] = [n for n in notes if "gp2" in n.object]
    assert "default class" not in gp2.reason  # its annotation says "false"
    assert helpers.problems(**fragment) == []


def test_the_default_class_by_either_annotation_true_exactly_and_one_only():
    beta = {"annotations": {"storageclass.beta.kubernetes.io/is-default-class": "true"}}
    fragment, notes = map_cluster([
        _class("StorageClass", "a-old", provisioner="ebs.csi.aws.com", metadata=beta),
        _class("StorageClass", "b-new", provisioner="ebs.csi.aws.com", metadata={"annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}),
        _class("StorageClass", "c-yes", provisioner="ebs.csi.aws.com", metadata={"annotations": {"storageclass.kubernetes.io/is-default-class": "yes"}}),
    ])
    classes = fragment["storageClasses"]
    assert [name for name, values in classes.items() if values.get("default")] == ["a-old"]
    assert sorted((n.object.split(" (")[0], n.field, n.outcome) for n in notes if n.outcome == "unfit") == [
        ("StorageClass a-old", "metadata.annotations.storageclass.beta.kubernetes.io/is-default-class", "unfit"),
        ("StorageClass b-new", "metadata.annotations.storageclass.kubernetes.io/is-default-class", "unfit"),
        ("StorageClass c-yes", "metadata.annotations.storageclass.kubernetes.io/is-default-class", "unfit"),
    ]
    assert helpers.problems(**fragment) == []


def test_what_the_stack_cannot_express_is_a_note_on_its_field():
    fragment, notes = map_cluster([
        _class(
            "StorageClass", "nfs", provisioner="nfs.csi.k8s.io", mountOptions=["nfsvers=4.1"],
            allowedTopologies=[{"matchLabelExpressions": [{"key": "zone", "values": ["a"]}]}],
            metadata={"labels": {"team": "storage"}, "annotations": {"owner": "storage@example.com", "kubectl.kubernetes.io/last-applied-configuration": "{}"}},
        ),
    ])
    assert fragment == {"storageClasses": {"nfs": {"provisioner": "nfs.csi.k8s.io", "volumeBindingMode": "Immediate", "onExisting": "adopt"}}}
    assert sorted((n.field, n.outcome) for n in notes if n.outcome == "unfit") == [
        ("allowedTopologies", "unfit"),
        ("metadata.annotations.owner", "unfit"),
        ("metadata.labels.team", "unfit"),
        ("mountOptions", "unfit"),
    ]
    assert all(n.object == "StorageClass nfs (dump.yaml)" for n in notes)


@pytest.mark.parametrize(
    ("live", "field", "words"),
    [
        (_class("PriorityClass", "huge", value=2_000_000_000), "value", "at most 1000000000"),
        (_class("PriorityClass", "text", value="high"), "value", "whole number"),
        (_class("StorageClass", "bad", provisioner="not a provisioner!"), "provisioner", "not a valid provisioner"),
        (_class("StorageClass", "odd", provisioner="ebs.csi.aws.com", reclaimPolicy="Recycle"), "reclaimPolicy", "Delete"),
    ],
    ids=["value-above-user-range", "value-not-a-number", "provisioner", "reclaim-policy"],
)
def test_a_value_the_stack_refuses_is_a_note_naming_object_and_field(live, field, words):
    fragment, notes = map_cluster([live])
    assert fragment == {}
    [found] = [n for n in notes if n.outcome == "unfit"]
    assert (found.object, found.field, found.outcome) == (live.describe(), field, "unfit")
    assert words in found.reason


def _agent(config: Any = None, args: list[str] | None = None, labels: dict[str, str] | None = None) -> list[LiveObject]:
    meta = {"name": "ip-masq-agent", "namespace": "kube-system", **({"labels": labels} if labels else {})}
    objects = []
    if config is not None:
        objects.append(LiveObject("dump.yaml#0", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"config": config}}))
    if args is not None:
        # The stack's own agent with another image and these flags: what differs is only what a test says.
        daemon_set = build_ip_masq(IpMasqArgs()).daemon_set
        daemon_set["spec"]["template"]["spec"]["containers"][0].update(image="gke.gcr.io/ip-masq-agent:v2.9.3", args=args)
        objects.append(LiveObject("dump.yaml#1", {**daemon_set, "metadata": meta}))
    return objects


def test_gke_s_own_agent_is_adopted_with_its_config():
    """GKE's ip-masq-agent ConfigMap, as its "Configuring an IP masquerade agent" page shows it."""
    fragment, notes = map_cluster(_agent(
        "nonMasqueradeCIDRs:\n  - 10.0.0.0/8\nmasqLinkLocal: false\nresyncInterval: 60s\n",
        ["--masq-chain=IP-MASQ", "--nomasq-all-reserved-ranges"],
        {"addonmanager.kubernetes.io/mode": "Reconcile"},
    ))
    assert fragment == {"ipMasq": {
        "nonMasqueradeCIDRs": ["10.0.0.0/8"], "masqLinkLocal": False, "resyncInterval": "60s",
        "image": "gke.gcr.io/ip-masq-agent:v2.9.3", "onExisting": "adopt",
    }}
    assert [(n.outcome, n.field) for n in notes] == [("adopted", "")]
    assert helpers.problems(**fragment) == []


@pytest.mark.parametrize(
    ("config", "field", "words"),
    [
        ("nonMasqueradeCIDRs: [10.0.0.0/8", "data.config", "is not YAML"),
        ("- 10.0.0.0/8\n", "data.config", "not the agent's map"),
        ("resyncInterval: soon\n", "resyncInterval", "duration"),
        ("nonMasqueradeCIDRs: [10.0.0.0/33]\n", "nonMasqueradeCIDRs[0]", "10.0.0.0/33"),
        ("masqEverything: true\n", "data.config.masqEverything", "no setting"),
    ],
    ids=["not-yaml", "not-a-map", "bad-duration", "bad-cidr", "unknown-key"],
)
def test_a_malformed_agent_config_is_a_note_never_a_traceback(config, field, words):
    _, notes = map_cluster(_agent(config, ["--masq-chain=IP-MASQ", "--nomasq-all-reserved-ranges"]))
    found = [n for n in notes if n.field == field]
    assert len(found) == 1, notes
    assert found[0].outcome == "unfit"
    assert words in found[0].reason
    assert found[0].object.startswith("ConfigMap kube-system/ip-masq-agent")


def test_an_agent_flag_the_stack_does_not_write_is_noted():
    _, notes = map_cluster(_agent("{}", ["--masq-chain=IP-MASQ-AGENT", "--nomasq-all-reserved-ranges"]))
    assert [(n.field, n.outcome, n.reason) for n in notes if n.outcome == "unfit"] == [
        ("spec.template.spec.containers[0].args", "unfit", 'the stack\'s DaemonSet drops "--masq-chain=IP-MASQ-AGENT", adds "--masq-chain=IP-MASQ"')
    ]


def test_what_the_stack_s_agent_writes_otherwise_is_noted_field_by_field():
    objects = _agent("{}", ["--masq-chain=IP-MASQ", "--nomasq-all-reserved-ranges"])
    spec = objects[1].body["spec"]["template"]["spec"]
    spec["tolerations"] = spec["tolerations"][:1]
    spec["hostNetwork"] = False
    _, notes = map_cluster(objects)
    unfit = [(n.field, n.reason) for n in notes if n.outcome == "unfit"]
    assert [field for field, _ in unfit] == ["spec.template.spec.hostNetwork", "spec.template.spec.tolerations"]
    assert unfit[0][1] == "the stack's DaemonSet has true (the cluster has false)"
    assert unfit[1][1].endswith('(the cluster has [{"effect": "NoSchedule", "operator": "Exists"}])')


def test_an_agent_config_nested_past_python_s_recursion_is_a_note():
    _, notes = map_cluster(_agent("[" * 100_000, ["--masq-chain=IP-MASQ", "--nomasq-all-reserved-ranges"]))
    [found] = [n for n in notes if n.field == "data.config"]
    # libyaml stops at 1,000 levels; PyYAML's own parser (where PyYAML is built without libyaml) recurses
    assert "exceeded maximum nesting depth, line 1, column 1001" in found.reason or "nests too deep" in found.reason


def test_an_agent_without_the_reserved_ranges_flag_and_a_list_of_its_own_draws_no_warning():
    """--nomasq-all-reserved-ranges only changes the default list: with nonMasqueradeCIDRs set, leaving it
    out of the stack is the same agent, and spares validate's "has no effect" warning."""
    fragment, _ = map_cluster(_agent("nonMasqueradeCIDRs: [10.0.0.0/8]\n", ["--masq-chain=IP-MASQ"]))
    assert fragment == {"ipMasq": {"nonMasqueradeCIDRs": ["10.0.0.0/8"], "image": "gke.gcr.io/ip-masq-agent:v2.9.3", "onExisting": "adopt"}}
    assert [str(w) for w in helpers.load(**fragment).warnings if "nomasqAllReservedRanges" in str(w)] == []
    fragment, _ = map_cluster(_agent(None, ["--masq-chain=IP-MASQ"]))
    assert fragment["ipMasq"]["nomasqAllReservedRanges"] is False  # without a list of its own, the flag's absence matters
