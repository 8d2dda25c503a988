"""clusterstack admit: the API server's verdict on a workload, offline.

The cases are the worked examples of the seed pages (../shared/seeds/000_02d495e8f56c06ce.txt: "Configure
Minimum and Maximum CPU Constraints", "... Memory Constraints", "Configure Default CPU Requests and
Limits", "Configure Default Memory Requests and Limits", "Configure Memory and CPU Quotas", "Configure a Pod Quota", "Limit Storage Consumption"), with
each page's manifest and the verdict it prints; where the seed's text is mangled or contradicts its own
output, the manifest is upstream's (kubernetes/website content/en/examples/admin/resource/) and the
test says so. Messages are worded as v1.34 words them: the pages still print an old trailing ".".
Then each LimitRanger and quota rule in a table."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
import yaml

from clusterstack.analysis.admission import Admission
from clusterstack.analysis.admitted import claim_usage, namespaces_of
from clusterstack.analysis.quantities import Amount, BadObject
from tests.test_engine import cs

STACK = """\
config:
  clusterstack:namespaces:
    constraints-cpu-example:
      limits: {container: {max: {cpu: 800m}, min: {cpu: 200m}}}
    constraints-mem-example:
      limits: {container: {max: {memory: 1Gi}, min: {memory: 500Mi}}}
    default-cpu-example:
      limits: {container: {default: {cpu: "1"}, defaultRequest: {cpu: "0.5"}}}
    default-mem-example:
      limits: {container: {default: {memory: 512Mi}, defaultRequest: {memory: 256Mi}}}
    quota-mem-cpu-example:
      quotas: [{name: mem-cpu-demo, hard: {requests.cpu: "1", requests.memory: 1Gi, limits.cpu: "2", limits.memory: 2Gi}}]
    quota-pod-example:
      quotas: [{name: pod-demo, hard: {pods: "2"}}]
    storage-example:
      limits: {persistentVolumeClaim: {max: {storage: 2Gi}, min: {storage: 1Gi}}}
      quotas: [{name: storagequota, hard: {persistentvolumeclaims: "5", requests.storage: 5Gi}}]
    ratio-example:
      limits:
        container: {maxLimitRequestRatio: {cpu: "2"}}
        pod: {max: {memory: 1Gi}}
    must-specify-example:
      quotas: [{name: compute, hard: {requests.cpu: "4", limits.memory: 4Gi}}]
"""


def pod(name: str, namespace: str, requests: dict | None = None, limits: dict | None = None, **spec) -> dict:
    resources = {key: value for key, value in (("requests", requests), ("limits", limits)) if value}
    container = {"name": f"{name}-ctr", "image": "nginx", **({"resources": resources} if resources else {})}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace}, "spec": {"containers": [container], **spec}}


def claim(name: str, storage: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "storage-example"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": storage}}},
    }


@pytest.fixture
def project(make_project):
    return make_project({"dev": STACK})


def admit(project, tmp_path, *objects, usage=None):
    path = tmp_path / "objects.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    args = ["admit", "-s", "dev", "-f", str(path), "--json"]
    if usage is not None:
        (tmp_path / "usage.yaml").write_text(yaml.safe_dump(usage))
        args += ["--usage", str(tmp_path / "usage.yaml")]
    result = cs(project, *args)
    assert result.exit_code in (0, 1), result.output
    verdicts = json.loads(result.stdout)
    assert result.exit_code == (0 if all(v["admitted"] for v in verdicts) else 1)
    return verdicts


def test_cpu_constraints(project, tmp_path):
    """Seed lines 344-633. The LimitRange's cpu: key is lost in the seed (L377-387); upstream cpu-constraints.yaml."""
    verdicts = admit(
        project,
        tmp_path,
        pod("constraints-cpu-demo", "constraints-cpu-example", {"cpu": "500m"}, {"cpu": "800m"}),
        pod("constraints-cpu-demo-2", "constraints-cpu-example", {"cpu": "500m"}, {"cpu": "1.5"}),
        pod("constraints-cpu-demo-3", "constraints-cpu-example", {"cpu": "100m"}, {"cpu": "800m"}),
        pod("constraints-cpu-demo-4", "constraints-cpu-example"),
    )
    assert [v["admitted"] for v in verdicts] == [True, False, False, True]
    assert verdicts[1]["reasons"] == ['pods "constraints-cpu-demo-2" is forbidden: maximum cpu usage per Container is 800m, but limit is 1500m']
    assert verdicts[2]["reasons"] == ['pods "constraints-cpu-demo-3" is forbidden: minimum cpu usage per Container is 200m, but request is 100m']
    assert verdicts[3]["defaulted"] == {"constraints-cpu-demo-4-ctr": {"requests": {"cpu": "800m"}, "limits": {"cpu": "800m"}}}


def test_memory_constraints(project, tmp_path):
    """Seed lines 1298-1560; its demo and demo-2/-3 manifests are truncated there: upstream's."""
    verdicts = admit(
        project,
        tmp_path,
        pod("constraints-mem-demo", "constraints-mem-example", {"memory": "600Mi"}, {"memory": "800Mi"}),
        pod("constraints-mem-demo-2", "constraints-mem-example", {"memory": "800Mi"}, {"memory": "1.5Gi"}),
        pod("constraints-mem-demo-3", "constraints-mem-example", {"memory": "100Mi"}, {"memory": "800Mi"}),
        pod("constraints-mem-demo-4", "constraints-mem-example"),
    )
    assert [v["admitted"] for v in verdicts] == [True, False, False, True]
    assert verdicts[1]["reasons"] == ['pods "constraints-mem-demo-2" is forbidden: maximum memory usage per Container is 1Gi, but limit is 1536Mi']
    assert verdicts[2]["reasons"] == ['pods "constraints-mem-demo-3" is forbidden: minimum memory usage per Container is 500Mi, but request is 100Mi']
    assert verdicts[3]["defaulted"] == {"constraints-mem-demo-4-ctr": {"requests": {"memory": "1Gi"}, "limits": {"memory": "1Gi"}}}


def test_default_memory(project, tmp_path):
    """Seed lines 2222-2450. Its LimitRange lacks type: Container (the API server would refuse it); its
    demo-3 requests 512Mi but prints 128Mi (L2403): upstream memory-defaults-pod-3.yaml requests 128Mi."""
    verdicts = admit(
        project,
        tmp_path,
        pod("default-mem-demo", "default-mem-example"),
        pod("default-mem-demo-2", "default-mem-example", None, {"memory": "1Gi"}),
        pod("default-mem-demo-3", "default-mem-example", {"memory": "128Mi"}),
    )
    assert all(v["admitted"] for v in verdicts)
    assert [v["defaulted"] for v in verdicts] == [
        {"default-mem-demo-ctr": {"requests": {"memory": "256Mi"}, "limits": {"memory": "512Mi"}}},
        {"default-mem-demo-2-ctr": {"requests": {"memory": "1Gi"}, "limits": {"memory": "1Gi"}}},  # the request is the limit, not defaultRequest
        {"default-mem-demo-3-ctr": {"requests": {"memory": "128Mi"}, "limits": {"memory": "512Mi"}}},
    ]
    [above] = admit(project, tmp_path, pod("too-big", "default-mem-example", {"memory": "1Gi"}))
    assert above["reasons"] == [
        'Pod "too-big" is invalid: spec.containers[0].resources.requests: Invalid value: "1Gi": must be less than or equal to memory limit of 512Mi'
    ]


def test_default_cpu(project, tmp_path):
    """Seed lines ~11660-11815. Its LimitRange is mangled (type: Core, defaultRequest nested under
    default: the API server would refuse it); its demo-3 requests "1" but prints 750m: upstream's
    cpu-defaults.yaml (type: Container) and cpu-defaults-pod-3.yaml (requests 0.75)."""
    verdicts = admit(
        project,
        tmp_path,
        pod("default-cpu-demo", "default-cpu-example"),
        pod("default-cpu-demo-2", "default-cpu-example", None, {"cpu": "1"}),
        pod("default-cpu-demo-3", "default-cpu-example", {"cpu": "0.75"}),
    )
    assert [v["defaulted"] for v in verdicts] == [
        {"default-cpu-demo-ctr": {"requests": {"cpu": "500m"}, "limits": {"cpu": "1"}}},
        {"default-cpu-demo-2-ctr": {"requests": {"cpu": "1"}, "limits": {"cpu": "1"}}},
        {"default-cpu-demo-3-ctr": {"requests": {"cpu": "750m"}, "limits": {"cpu": "1"}}},
    ]


def test_memory_and_cpu_quota(project, tmp_path):
    """Seed lines ~4080-4235. Its first Pod (L4145) asks 1 CPU and 1Gi yet its printed usage (L4178) is
    upstream's quota-mem-cpu-pod.yaml: 400m and 600Mi requests, 800m and 800Mi limits."""
    first = pod("quota-mem-cpu-demo", "quota-mem-cpu-example", {"cpu": "400m", "memory": "600Mi"}, {"cpu": "800m", "memory": "800Mi"})
    second = pod("quota-mem-cpu-demo-2", "quota-mem-cpu-example", {"cpu": "400m", "memory": "700Mi"}, {"cpu": "800m", "memory": "1Gi"})
    verdicts = admit(project, tmp_path, first, second)
    assert verdicts[0]["admitted"]
    assert verdicts[1]["reasons"] == [
        ('pods "quota-mem-cpu-demo-2" is forbidden: exceeded quota: mem-cpu-demo, requested: requests.memory=700Mi, used: requests.memory=600Mi, '
        "limited: requests.memory=1Gi")
    ]


def test_the_used_amounts_can_come_from_the_cluster(project, tmp_path):
    second = pod("quota-mem-cpu-demo-2", "quota-mem-cpu-example", {"cpu": "400m", "memory": "700Mi"}, {"cpu": "800m", "memory": "1Gi"})
    usage = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "kind": "ResourceQuota",
                "metadata": {"name": "mem-cpu-demo", "namespace": "quota-mem-cpu-example"},
                "status": {"used": {"limits.cpu": "800m", "limits.memory": "800Mi", "requests.cpu": "400m", "requests.memory": "600Mi"}},
            }
        ],
    }
    [verdict] = admit(project, tmp_path, second, usage=usage)
    assert verdict["reasons"][0].endswith("exceeded quota: mem-cpu-demo, requested: requests.memory=700Mi, used: requests.memory=600Mi, limited: requests.memory=1Gi")


def test_pod_quota(project, tmp_path):
    """Seed lines 1916-2040: a Deployment of three replicas under pods: "2"; its third Pod is refused
    (the seed's output is truncated mid-message; the body is the API server's)."""
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "pod-quota-demo", "namespace": "quota-pod-example"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"purpose": "quota-demo"}},
            "template": {"metadata": {"labels": {"purpose": "quota-demo"}}, "spec": {"containers": [{"name": "pod-quota-demo", "image": "nginx"}]}},
        },
    }
    [verdict] = admit(project, tmp_path, deployment)
    assert not verdict["admitted"]
    assert verdict["reasons"] == ['pod 3 of 3: pods "pod-quota-demo-…" is forbidden: exceeded quota: pod-demo, requested: pods=1, used: pods=2, limited: pods=2']


def test_storage_limits_and_quota(project, tmp_path):
    """Seed lines 2881-2948 (no printed verdicts; its LimitRange lost storage: and has min 2Gi: upstream's 1Gi)."""
    verdicts = admit(project, tmp_path, claim("big", "10Gi"), claim("small", "500Mi"), claim("a", "2Gi"), claim("b", "2Gi"), claim("c", "2Gi"))
    assert [v["admitted"] for v in verdicts] == [False, False, True, True, False]
    assert verdicts[0]["reasons"] == ['persistentvolumeclaims "big" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 10Gi']
    assert verdicts[1]["reasons"] == ['persistentvolumeclaims "small" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi']
    assert verdicts[4]["reasons"] == [
        'persistentvolumeclaims "c" is forbidden: exceeded quota: storagequota, requested: requests.storage=2Gi, used: requests.storage=4Gi, limited: requests.storage=5Gi'
    ]


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (pod("r", "ratio-example", {"cpu": "100m"}, {"cpu": "400m"}), "cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000"),
        (pod("r", "ratio-example", None, None), "cpu max limit to request ratio per Container is 2, but no request is specified or request is 0"),
        (pod("r", "ratio-example", {"cpu": "1"}, {"cpu": "1", "memory": "2Gi"}), "maximum memory usage per Pod is 1Gi, but limit is 2Gi"),
        (pod("m", "must-specify-example"), "failed quota: compute: must specify limits.memory for: m-ctr; requests.cpu for: m-ctr"),
    ],
    ids=["limit-to-request ratio", "ratio without a request", "pod aggregate maximum", "must specify"],
)
def test_each_rule(project, tmp_path, obj, expected):
    [verdict] = admit(project, tmp_path, obj)
    assert not verdict["admitted"]
    assert expected in verdict["reasons"][0]


def test_several_limit_range_problems_are_one_aggregated_message(project, tmp_path):
    """utilerrors.NewAggregate: one message bare, more in brackets, joined by ", "."""
    [verdict] = admit(project, tmp_path, pod("r", "ratio-example", {"cpu": "100m"}, {"cpu": "400m"}))
    assert verdict["reasons"] == [
        ('pods "r" is forbidden: [cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000, '
        "maximum memory usage per Pod is 1Gi.  No limit is specified]")
    ]


def test_an_undeclared_namespace_is_a_user_error(project, tmp_path):
    path = tmp_path / "pod.yaml"
    path.write_text(yaml.safe_dump(pod("p", "nowhere")))
    result = cs(project, "admit", "-s", "dev", "-f", str(path))
    assert result.exit_code == 1
    assert f"error: {path}: Pod nowhere/p: namespace nowhere is not one the stack declares" in result.output


def test_quantities_print_as_the_api_server_prints_them():
    """k8s.io/apimachinery/pkg/api/resource: canonical text in the format the first operand had."""
    assert [str(Amount.parse(text)) for text in ("1.5", "0.5Gi", "1000", "1.5G", "129e6", "0.1m")] == ["1500m", "512Mi", "1k", "1500M", "129e6", "1m"]
    assert str(Amount.parse("600Mi") + Amount.parse("700Mi")) == "1300Mi"
    assert str(Amount.parse("500M") + Amount.parse("200Mi")) == "709715200"
    assert str(Amount(Fraction(0)) + Amount.parse("1Gi")) == "1Gi"


CLASSES = """\
config:
  clusterstack:priorityClasses:
    standard: {value: 1000, globalDefault: true}
    high: {value: 100000}
  clusterstack:storageClasses:
    gold: {provisioner: ebs.csi.aws.com, default: true}
  clusterstack:cluster: {existing: {priorityClasses: [batch-low]}}
  clusterstack:namespaces:
    team:
      quotas:
        - {name: high-pods, hard: {pods: "1"}, scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: In, values: [high]}]}}
        - {name: standard-pods, hard: {pods: "1"}, scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: In, values: [standard]}]}}
        - {name: gold, hard: {gold.storageclass.storage.k8s.io/persistentvolumeclaims: "1"}}
"""


def test_the_priority_and_default_storage_class_plugins_run_before_the_quota(make_project, tmp_path):
    """Priority (plugin/pkg/admission/priority/admission.go) gives a pod without a class the
    globalDefault one and refuses a class the cluster lacks, with its 403; DefaultStorageClass gives a
    claim without storageClassName the default class (an explicit "" keeps none). Both mutate before
    ResourceQuota, so PriorityClass-scoped and per-class quotas count what they set."""
    project = make_project({"dev": CLASSES})

    def team(obj: dict) -> dict:
        obj["metadata"]["namespace"] = "team"
        return obj

    unnamed = [team(pod(f"plain-{i}", "team")) for i in (1, 2)]
    verdicts = admit(project, tmp_path, *unnamed)
    assert [v["admitted"] for v in verdicts] == [True, False]
    assert 'exceeded quota: standard-pods, requested: pods=1, used: pods=1, limited: pods=1' in verdicts[1]["reasons"][0]

    named = [team(pod("high", "team", priorityClassName="high")), team(pod("low", "team", priorityClassName="batch-low"))]
    named.append(team(pod("typo", "team", priorityClassName="hihg")))
    verdicts = admit(project, tmp_path, *named)
    assert [v["admitted"] for v in verdicts] == [True, True, False]
    assert verdicts[2]["reasons"] == ['pods "typo" is forbidden: no PriorityClass with name hihg was found']

    claims = [team(claim(f"data-{i}", "1Gi")) for i in (1, 2)]
    claims.append(team(claim("unclassed", "1Gi")))
    claims[2]["spec"]["storageClassName"] = ""
    verdicts = admit(project, tmp_path, *claims)
    assert [v["admitted"] for v in verdicts] == [True, False, True]
    assert "exceeded quota: gold" in verdicts[1]["reasons"][0]

    beta = [team(claim(f"beta-{i}", "1Gi")) for i in (1, 2)]
    for obj in beta:  # the beta annotation, even empty, counts as a class (PersistentVolumeClaimHasClass)
        obj["metadata"]["annotations"] = {"volume.beta.kubernetes.io/storage-class": ""}
    assert [v["admitted"] for v in admit(project, tmp_path, *beta)] == [True, True]


# --- Disagreements with upstream, each fixed and pinned ------------------------------------------------

POD_LEVEL = """\
config:
  clusterstack:namespaces:
    team:
      quotas: [{name: compute, hard: {requests.cpu: "2", requests.memory: 2Gi, limits.cpu: "4", limits.memory: 4Gi}}]
"""


def _pod_level(name: str, requests: dict, limits: dict) -> dict:
    obj = pod(name, "team")
    obj["spec"]["resources"] = {"requests": requests, "limits": limits}
    obj["spec"]["containers"].append({"name": "sidecar", "image": "envoy"})
    return obj


def test_pod_level_resources_satisfy_must_specify_and_are_what_quota_charges(make_project, tmp_path):
    """pkg/quota/v1/evaluator/core/pods.go Constraints: the must-specify check is skipped when
    PodLevelResources is on (beta, on by default since 1.34) and IsPodLevelResourcesSet;
    pods_test.go TestPodConstraintsFunc "pod-level resource set, container-level required resources
    missing"; TestPodEvaluatorUsage "pod-level CPU": the pod-level values are charged."""
    project = make_project({"dev": POD_LEVEL})
    first = _pod_level("first", {"cpu": "1500m", "memory": "1Gi"}, {"cpu": "3", "memory": "2Gi"})
    second = _pod_level("second", {"cpu": "1", "memory": "1Gi"}, {"cpu": "1", "memory": "1Gi"})
    verdicts = admit(project, tmp_path, first, second)
    assert verdicts[0]["admitted"]
    assert verdicts[1]["reasons"] == [
        'pods "second" is forbidden: exceeded quota: compute, requested: requests.cpu=1, used: requests.cpu=1500m, limited: requests.cpu=2'
    ]


NEGATIVE = """\
config:
  clusterstack:namespaces:
    team:
      quotas: [{name: storage, hard: {requests.storage: 10Gi, requests.cpu: "2"}}]
"""


def test_negative_quantities_are_refused_as_the_api_server_refuses_them_and_charge_nothing(make_project, tmp_path):
    """pkg/apis/core/validation: ValidatePersistentVolumeClaimSpec wants storage > 0 ("must be greater
    than zero"), ValidateResourceRequirements every quantity >= 0 ("must be greater than or equal to 0").
    A refused object charges nothing, so the next oversized claim is still refused (before the fix the
    -1Gi claim was admitted and lowered the namespace's usage)."""
    project = make_project({"dev": NEGATIVE})
    negative = claim("negative", "-1Gi")
    big = claim("big", "10Gi")
    bigger = claim("bigger", "1Gi")
    for obj in (negative, big, bigger):
        obj["metadata"]["namespace"] = "team"
    cpu = pod("minus", "team", {"cpu": "-2"}, {"cpu": "1"})
    verdicts = admit(project, tmp_path, negative, big, bigger, cpu)
    assert [v["admitted"] for v in verdicts] == [False, True, False, False]
    assert verdicts[0]["reasons"] == [
        'PersistentVolumeClaim "negative" is invalid: spec.resources[storage]: Invalid value: "-1Gi": must be greater than zero'
    ]
    assert "exceeded quota: storage, requested: requests.storage=1Gi, used: requests.storage=10Gi" in verdicts[2]["reasons"][0]
    assert verdicts[3]["reasons"] == [
        'Pod "minus" is invalid: spec.containers[0].resources.requests[cpu]: Invalid value: "-2": must be greater than or equal to 0'
    ]


def test_quota_admission_has_its_own_guard_against_negative_usage():
    """k8s.io/apiserver pkg/admission/plugin/resourcequota/controller.go checkRequest, and
    plugin/pkg/admission/resourcequota/admission_test.go TestAdmitRejectsNegativeUsage: whatever gets past
    validation, a negative usage is refused by the quota itself."""
    objects = [
        {"kind": "Namespace", "metadata": {"name": "test"}},
        {"kind": "ResourceQuota", "metadata": {"name": "quota", "namespace": "test"}, "spec": {"hard": {"requests.storage": "100Gi"}}},
    ]
    admitter = Admission(namespaces_of(objects))
    usage = claim_usage({"resources": {"requests": {"storage": "-1Gi"}}}, {})
    assert admitter.quota("test", usage) == "quota usage is negative for resource(s): requests.storage"
    assert admitter.namespaces["test"].used == {}


def _limit_range(name: str, *items: dict) -> dict:
    return {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": name, "namespace": "team"}, "spec": {"limits": list(items)}}


def test_each_limit_range_applies_in_turn():
    """plugin/pkg/admission/limitranger/admission.go: Admit and Validate run PodMutateLimitFunc and
    PodValidateLimitFunc once per LimitRange object. Defaults come from each (the first to default a
    resource wins); each one's min and max are checked on their own; the first LimitRange with problems
    refuses with all of its own. Before the fix, the LimitRanges' entries were merged into one list, so
    the last default won and problems of several LimitRanges were reported together."""
    objects = [
        {"kind": "Namespace", "metadata": {"name": "team"}},
        _limit_range("a-defaults", {"type": "Container", "default": {"cpu": "500m"}, "defaultRequest": {"cpu": "100m"}}),
        _limit_range("b-bounds", {"type": "Container", "default": {"cpu": "2"}, "defaultRequest": {"cpu": "1"}, "max": {"cpu": "2", "memory": "1Gi"}}),
        _limit_range("c-floor", {"type": "Container", "min": {"memory": "64Mi"}}),
    ]
    admitter = Admission(namespaces_of(objects))
    [plain] = [admitter.admit(pod("plain", "team", None, {"memory": "128Mi"}))]
    assert plain.admitted
    assert plain.defaulted == {"plain-ctr": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}}}
    both = admitter.admit(pod("both", "team", {"memory": "32Mi"}, {"cpu": "3", "memory": "32Mi"}))
    assert both.reasons == ['pods "both" is forbidden: maximum cpu usage per Container is 2, but limit is 3']
    floor = admitter.admit(pod("floor", "team", {"memory": "32Mi"}, {"memory": "32Mi"}))
    assert floor.reasons == ['pods "floor" is forbidden: minimum memory usage per Container is 64Mi, but request is 32Mi']


def test_an_existing_object_is_refused_as_input_not_guessed_at(project, tmp_path):
    """admit models creates: an update's quota delta and LimitRanger's update rules need the stored object."""
    existing = pod("running", "quota-pod-example")
    existing["metadata"]["resourceVersion"] = "4711"
    path = tmp_path / "pod.yaml"
    path.write_text(yaml.safe_dump(existing))
    result = cs(project, "admit", "-s", "dev", "-f", str(path))
    assert result.exit_code == 1
    assert f"error: {path}: Pod quota-pod-example/running: metadata.resourceVersion marks an object the cluster already has" in result.output
    assert "Traceback" not in result.output


def test_overhead_is_a_runtime_classs_to_set_and_is_charged_when_it_is():
    """plugin/pkg/admission/runtimeclass/admission.go: a pod stating spec.overhead without a RuntimeClass
    is refused; with one, quota charges requests plus overhead (pods_test.go TestPodEvaluatorUsage "count
    pod overhead as usage"). A negative overhead is invalid (ValidatePodSpec)."""
    objects = [
        {"kind": "Namespace", "metadata": {"name": "team"}},
        {"kind": "ResourceQuota", "metadata": {"name": "cpu", "namespace": "team"}, "spec": {"hard": {"requests.cpu": "3"}}},
    ]
    admitter = Admission(namespaces_of(objects))
    bare = pod("bare", "team", {"cpu": "1"}, None, overhead={"cpu": "1"})
    assert admitter.admit(bare).reasons == [
        'pods "bare" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead'
    ]
    kata = pod("kata", "team", {"cpu": "1"}, None, overhead={"cpu": "1"}, runtimeClassName="kata")
    assert admitter.admit(kata).admitted
    assert str(admitter.namespaces["team"].used["cpu"]["requests.cpu"]) == "2"
    negative = pod("negative", "team", {"cpu": "1"}, None, overhead={"cpu": "-1"}, runtimeClassName="kata")
    assert admitter.admit(negative).reasons == ['Pod "negative" is invalid: spec.overhead[cpu]: Invalid value: "-1": must be greater than or equal to 0']


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"kind": "Pod", "spec": {"resources": "2 cores", "containers": []}}, "Pod team/x: spec.resources is str, not a map"),
        ({"kind": "Pod", "spec": {"containers": [{"name": "a", "resources": ["cpu"]}]}}, "Pod team/x: spec.containers[0].resources is list, not a map"),
        ({"kind": "Pod", "spec": {"initContainers": "init"}}, "Pod team/x: spec.initContainers is str, not a list of containers"),
        ({"kind": "Pod", "spec": "none"}, "Pod team/x: spec is str, not a map"),
        ({"kind": "PersistentVolumeClaim", "spec": {"resources": "10Gi"}}, "PersistentVolumeClaim team/x: spec.resources is str, not a map"),
        (
            {"kind": "Pod", "spec": {"containers": [{"name": "a", "resources": {"requests": {"cpu": "lots"}}}]}},
            "Pod team/x: spec.containers[0].resources.requests[cpu]: 'lots' is not a Kubernetes quantity",
        ),
        (
            {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "a", "resources": "x"}]}}}}}},
            "CronJob team/x: spec.jobTemplate.spec.template.spec.containers[0].resources is str, not a map",
        ),
        ({"kind": "PersistentVolumeClaim", "spec": {"resources": {"requests": {"storage": "big"}}}}, "PersistentVolumeClaim team/x: spec.resources.requests[storage]: 'big'"),
    ],
    ids=[
        "pod-level resources not a map",
        "container resources a list",
        "init containers a string",
        "spec a string",
        "claim resources a string",
        "bad quantity",
        "a workload's template",
        "a claim's bad quantity",
    ],
)
def test_a_malformed_object_is_a_user_error_naming_the_object_and_key(obj, expected):
    admitter = Admission(namespaces_of([{"kind": "Namespace", "metadata": {"name": "team"}}]))
    with pytest.raises(BadObject) as raised:
        admitter.admit({**obj, "metadata": {"name": "x", "namespace": "team"}})
    assert str(raised.value).startswith(expected)


def test_a_zero_usage_is_still_checked_against_an_overspent_quota():
    """k8s.io/apiserver pkg/admission/plugin/resourcequota/controller.go checkRequest: the object's usage is
    masked by the quota's resource names with its zeros (services.go charges services.loadbalancers=0
    for a ClusterIP Service, services_test.go "clusterip"), so a quota already over its hard limit (it was
    lowered) refuses even an object adding nothing to that resource."""
    objects = [
        {"kind": "Namespace", "metadata": {"name": "team"}},
        {"kind": "ResourceQuota", "metadata": {"name": "lb", "namespace": "team"}, "spec": {"hard": {"services.loadbalancers": "1"}}},
    ]
    used = [{"kind": "ResourceQuota", "metadata": {"name": "lb", "namespace": "team"}, "status": {"used": {"services.loadbalancers": "2"}}}]
    admitter = Admission(namespaces_of(objects, used))
    service = {"kind": "Service", "metadata": {"name": "web", "namespace": "team"}, "spec": {"type": "ClusterIP", "ports": [{"port": 80}]}}
    assert admitter.admit(service).reasons == [
        (
            'services "web" is forbidden: exceeded quota: lb, requested: services.loadbalancers=0, used: services.loadbalancers=2, '
            "limited: services.loadbalancers=1"
        )
    ]
