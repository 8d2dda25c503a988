"""Every rule the API server applies to a namespace, ResourceQuota and LimitRange rejects here first.

Each case is a tenant spec and the one message (key path: what is wrong) loading it must produce.
The rules are those of pkg/apis/core/validation (ValidateLimitRange, ValidateResourceQuotaSpec) and
of apimachinery's name and label syntax.
"""

import pytest

from tests.helpers import STACK_FILE, load, problems, tenant_problems

ORDER = "(the API server requires min ≤ defaultRequest ≤ default ≤ max)"


def container(**fields):
    return {"limits": {"container": fields}}


LIMIT_RANGE_CASES = [
    pytest.param(container(min={"cpu": "2"}, max={"cpu": "1"}), f"limits.container.min.cpu: 2 is above max 1 {ORDER}", id="min-above-max"),
    pytest.param(container(default={"cpu": 2}, max={"cpu": 1}), f"limits.container.default.cpu: 2 is above max 1 {ORDER}", id="default-above-max"),
    pytest.param(
        container(min={"cpu": "500m"}, defaultRequest={"cpu": "200m"}, default={"cpu": "1"}),
        f"limits.container.min.cpu: 500m is above defaultRequest 200m {ORDER}",
        id="min-above-default-request",
    ),
    pytest.param(
        container(defaultRequest={"memory": "1Gi"}, default={"memory": "512Mi"}),
        f"limits.container.defaultRequest.memory: 1Gi is above default 512Mi {ORDER}",
        id="default-request-above-default",
    ),
    pytest.param(
        container(min={"cpu": "1"}, default={"cpu": "500m"}, defaultRequest={"cpu": "1"}),
        [
            f"limits.container.defaultRequest.cpu: 1 is above default 500m {ORDER}",
            f"limits.container.min.cpu: 1 is above default 500m {ORDER}",
        ],
        id="min-above-default",
    ),
    pytest.param(
        container(defaultRequest={"cpu": "2"}, max={"cpu": "1"}),
        f"limits.container.defaultRequest.cpu: 2 is above max 1 {ORDER}",
        id="default-request-above-max",
    ),
    pytest.param(
        container(min={"cpu": "1"}, default={"cpu": "500m"}),
        f"limits.container.min.cpu: 1 is above default 500m {ORDER}",
        id="defaulted-request-from-default-below-min",
    ),
    pytest.param(
        container(maxLimitRequestRatio={"cpu": "0.5"}),
        "limits.container.maxLimitRequestRatio.cpu: 0.5 is below 1; a limit is never below its request, so the ratio must be 1 or more",
        id="ratio-below-one",
    ),
    pytest.param(
        container(min={"cpu": "1"}, max={"cpu": "2"}, maxLimitRequestRatio={"cpu": "3"}),
        "limits.container.maxLimitRequestRatio.cpu: 3 is above max/min = 2 (max 2, min 1); no container could reach it",
        id="ratio-above-max-over-min",
    ),
    pytest.param(
        {"limits": {"pod": {"default": {"cpu": "1"}}}},
        "limits.pod.default: is not allowed in a pod entry (defaults apply per container): move it to container.default",
        id="pod-default",
    ),
    pytest.param(
        {"limits": {"pod": {"defaultRequest": {"cpu": "1"}}}},
        "limits.pod.defaultRequest: is not allowed in a pod entry (defaults apply per container): move it to container.defaultRequest",
        id="pod-default-request",
    ),
    pytest.param(
        {"limits": {"persistentVolumeClaim": {"maxLimitRequestRatio": {"storage": "2"}}}},
        "limits.persistentVolumeClaim: needs min.storage or max.storage (the API server requires one of them)",
        id="pvc-without-storage-bounds",
    ),
    pytest.param(
        {"limits": {"persistentVolumeClaim": {"max": {"storage": "1Gi", "cpu": "1"}}}},
        "limits.persistentVolumeClaim.max.cpu: is not a claim resource: a persistentVolumeClaim entry limits storage",
        id="pvc-with-cpu",
    ),
    pytest.param(
        container(max={"storage": "1Gi"}),
        "limits.container.max.storage: is not a container resource: use cpu, memory, ephemeral-storage, hugepages-<size> or an extended resource such as nvidia.com/gpu",
        id="container-with-storage",
    ),
    pytest.param(
        {"limits": {"pod": {"max": {"pods": "1"}}}},
        "limits.pod.max.pods: is not a container resource: use cpu, memory, ephemeral-storage, hugepages-<size> or an extended resource such as nvidia.com/gpu",
        id="pod-with-pods",
    ),
    pytest.param(
        container(default={"hugepages-2Mi": "1Gi"}, defaultRequest={"hugepages-2Mi": "512Mi"}),
        "limits.container.defaultRequest.hugepages-2Mi: 512Mi differs from default 1Gi; hugepages-2Mi cannot be overcommitted, so default and defaultRequest must be equal",
        id="hugepages-overcommit",
    ),
    pytest.param(
        container(default={"nvidia.com/gpu": "2"}, defaultRequest={"nvidia.com/gpu": "1"}),
        "limits.container.defaultRequest.nvidia.com/gpu: 1 differs from default 2; nvidia.com/gpu cannot be overcommitted, so default and defaultRequest must be equal",
        id="extended-overcommit",
    ),
    pytest.param(
        container(max={"hugepages-2Mi": "1Gi"}, defaultRequest={"hugepages-2Mi": "512Mi"}),
        "limits.container.defaultRequest.hugepages-2Mi: 512Mi differs from default 1Gi (taken from max, as the API server defaults it); "
        "hugepages-2Mi cannot be overcommitted, so default and defaultRequest must be equal",
        id="hugepages-overcommit-after-defaulting",
    ),
    pytest.param({"limits": {}}, "limits: has no entries: set container, pod or persistentVolumeClaim (or remove limits)", id="empty-limits"),
]


@pytest.mark.parametrize(("spec", "message"), LIMIT_RANGE_CASES)
def test_limit_range_rules(spec, message):
    assert tenant_problems(**spec) == (message if isinstance(message, list) else [message])


QUOTA_CASES = [
    pytest.param({"quota": {"request.cpu": "1"}}, "quota.request.cpu: is not a quota resource; did you mean requests.cpu?", id="typo"),
    pytest.param({"quota": {"pod": "1"}}, "quota.pod: is not a quota resource; did you mean pods?", id="singular"),
    pytest.param({"quota": {"requests.cpu": "2 cores"}}, "quota.requests.cpu: '2 cores' is not a Kubernetes quantity (examples: \"500m\", \"2\", \"1.5\", \"128Mi\", \"1Gi\", \"1e3\")", id="2-cores"),
    pytest.param({"quota": {"requests.memory": "1GGi"}}, "quota.requests.memory: '1GGi' is not a Kubernetes quantity (examples: \"500m\", \"2\", \"1.5\", \"128Mi\", \"1Gi\", \"1e3\")", id="1GGi"),
    pytest.param({"quota": {"limits.cpu": "-1"}}, "quota.limits.cpu: -1 is negative; quantities here must be 0 or more", id="negative"),
    pytest.param({"quota": {"pods": "1.5"}}, "quota.pods: 1.5 is not a whole number; pods counts whole units", id="fractional-pods"),
    pytest.param({"quota": {"services": "500m"}}, "quota.services: 500m is not a whole number; services counts whole units", id="milli-services"),
    pytest.param({"quota": {"count/deployments.apps": "2.5"}}, "quota.count/deployments.apps: 2.5 is not a whole number; count/deployments.apps counts whole units", id="fractional-count"),
    pytest.param({"quota": {"requests.nvidia.com/gpu": "0.5"}}, "quota.requests.nvidia.com/gpu: 0.5 is not a whole number; requests.nvidia.com/gpu counts whole units", id="fractional-extended"),
    pytest.param({"quota": {"count/Deployments!": "1"}}, "quota.count/Deployments!: is not a qualified resource name: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', 'my.name', '123-abc'); did you mean count/deployments.apps?", id="bad-qualified"),
    pytest.param(
        {"quotas": [{"name": "be", "hard": {"requests.cpu": "1"}, "scopes": ["BestEffort"]}]},
        "quotas[0].hard.requests.cpu: scope BestEffort cannot track requests.cpu; it applies only to pods",
        id="best-effort-compute",
    ),
    pytest.param(
        {"quotas": [{"name": "t", "hard": {"services": "1"}, "scopes": ["Terminating"]}]},
        "quotas[0].hard.services: scope Terminating cannot track services; it applies only to pods and cpu/memory requests and limits",
        id="terminating-services",
    ),
    pytest.param(
        {"quotas": [{"name": "c", "hard": {"pods": "1"}, "scopes": ["BestEffort", "NotBestEffort"]}]},
        "quotas[0].scopes: BestEffort and NotBestEffort conflict: no pod matches both",
        id="best-effort-conflict",
    ),
    pytest.param(
        {"quotas": [{"name": "c", "hard": {"pods": "1"}, "scopes": ["Terminating", "NotTerminating"]}]},
        "quotas[0].scopes: Terminating and NotTerminating conflict: no pod matches both",
        id="terminating-conflict",
    ),
    pytest.param(
        {"quotas": [{"name": "c", "hard": {"pods": "1"}, "scopes": ["Sometimes"]}]},
        "quotas[0].scopes[0]: must be one of 'Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass' or 'CrossNamespacePodAffinity', not 'Sometimes'",
        id="unknown-scope",
    ),
    pytest.param(
        {"quotas": [{"name": "p", "hard": {"pods": "1"}, "scopeSelector": {"matchExpressions": [{"scopeName": "PriorityClass", "operator": "In"}]}}]},
        "quotas[0].scopeSelector.matchExpressions[0].values: operator In needs at least one value",
        id="in-without-values",
    ),
    pytest.param(
        {"quotas": [{"name": "p", "hard": {"pods": "1"}, "scopeSelector": {"matchExpressions": [{"scopeName": "PriorityClass", "operator": "Exists", "values": ["high"]}]}}]},
        "quotas[0].scopeSelector.matchExpressions[0].values: operator Exists takes no values; remove them",
        id="exists-with-values",
    ),
    pytest.param(
        {"quotas": [{"name": "p", "hard": {"pods": "1"}, "scopeSelector": {"matchExpressions": [{"scopeName": "Terminating", "operator": "In", "values": ["x"]}]}}]},
        "quotas[0].scopeSelector.matchExpressions[0].operator: scope Terminating only takes operator Exists",
        id="non-priority-scope-operator",
    ),
    pytest.param(
        {"quotas": [{"name": "p", "hard": {"requests.memory": "1Gi"}, "scopeSelector": {"matchExpressions": [{"scopeName": "BestEffort", "operator": "Exists"}]}}]},
        "quotas[0].hard.requests.memory: scope BestEffort cannot track requests.memory; it applies only to pods",
        id="selector-scope-counts",
    ),
    pytest.param(
        {"quota": {"pods": "1"}, "quotas": [{"name": "tenant-quota", "hard": {"pods": "2"}}]},
        "quotas[0].name: tenant-quota is already used by another quota in this namespace",
        id="duplicate-name",
    ),
]


@pytest.mark.parametrize(("spec", "message"), QUOTA_CASES)
def test_resource_quota_rules(spec, message):
    assert tenant_problems(**spec) == [message]


NAME_CASES = [
    pytest.param({"labels": {"team": True}}, 'labels.team: true is not a string; quote it in YAML ("true")', id="bool-label"),
    pytest.param({"labels": {"bad key!": "x"}}, "labels.bad key!: 'bad key!' is not a valid label key: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', 'my.name', '123-abc')", id="label-key"),
    pytest.param({"labels": {"Example.com/team": "x"}}, "labels.Example.com/team: 'Example.com/team' is not a valid label key: prefix part must be a DNS-1123 subdomain: lower case letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. 'example.com')", id="label-prefix"),
    pytest.param({"labels": {"team": "-payments"}}, "labels.team: '-payments' is not a valid label value: must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', 'my_value', '12345')", id="label-value"),
    pytest.param({"labels": {"team": "x" * 64}}, f"labels.team: '{'x' * 64}' is not a valid label value: must be no more than 63 characters", id="label-value-length"),
    pytest.param({"annotations": {"/x": "y"}}, "annotations./x: '/x' is not a valid annotation key: prefix part must be non-empty", id="annotation-key"),
    pytest.param({"labels": {"app.kubernetes.io/managed-by": "me"}}, "labels.app.kubernetes.io/managed-by: is set by clusterstack; remove it from labels", id="reserved-label"),
    pytest.param(
        {"podSecurity": "restricted", "labels": {"pod-security.kubernetes.io/enforce": "baseline"}},
        "labels.pod-security.kubernetes.io/enforce: conflicts with podSecurity, which sets the Pod Security labels (a level per mode, and each "
        "mode's version with version, enforceVersion, auditVersion, warnVersion); remove one of them",
        id="psa-label-conflict",
    ),
    pytest.param({"podSecurity": "strict"}, "podSecurity: 'strict' is not a Pod Security level: use privileged, baseline or restricted", id="psa-level"),
    pytest.param({"podSecurity": {"enforce": "restricted", "version": "1.34"}}, "podSecurity.version: '1.34' is not a Pod Security version: use latest or v1.N (e.g. v1.34)", id="psa-version"),
    pytest.param({"qouta": {"pods": "1"}}, "qouta: unknown key; did you mean quota?", id="unknown-key"),
    pytest.param({"limits": {"container": {"defualt": {"cpu": "1"}}}}, "limits.container.defualt: unknown key; did you mean default?", id="unknown-nested-key"),
]


@pytest.mark.parametrize(("spec", "message"), NAME_CASES)
def test_name_and_key_rules(spec, message):
    assert tenant_problems(**spec) == [message]


@pytest.mark.parametrize("name", ["Payments", "team_a", "-team", "a" * 64, "team.a"])
def test_namespace_names_are_dns_labels(name):
    found = problems({name: {}})
    assert len(found) == 1
    assert found[0].startswith(f"{STACK_FILE}: clusterstack:namespaces.{name}: {name!r} is not a valid name: ")


def test_all_errors_are_reported_together():
    found = problems(
        {
            "a": {"quota": {"pod": "1"}},
            "b": {"limits": {"container": {"default": {"cpu": "2"}, "max": {"cpu": "1"}}}},
            "c": {"qouta": {}},
        }
    )
    assert len(found) == 3


def test_defaults_are_validated_but_only_what_was_written_is_kept():
    args = load({"team": {"limits": {"container": {"min": {"cpu": "200m"}, "max": {"cpu": "800m"}}}}}).args
    entry = args.namespaces["team"].limits.container
    assert entry.default == {}
    assert entry.default_request == {}


QUOTA_TRAPS = [
    ({"quota": {"limits.cpu": "2"}}, "limits.cpu", "no LimitRange default for cpu"),
    ({"quota": {"requests.memory": "1Gi"}}, "requests.memory", "no LimitRange defaultRequest for memory"),
    ({"quota": {"cpu": "1"}}, "cpu", "no LimitRange defaultRequest for cpu"),
    ({"quotas": [{"name": "q", "hard": {"limits.memory": "1Gi"}}]}, "hard.limits.memory", "no LimitRange default for memory"),
]


@pytest.mark.parametrize(("spec", "key", "start"), QUOTA_TRAPS)
def test_compute_quota_without_a_default_warns(spec, key, start):
    warnings = [str(w) for w in load({"team": spec}).warnings]
    assert len(warnings) == 1
    prefix = "quotas[0]." if "quotas" in spec else "quota."
    assert warnings[0].startswith(f"{STACK_FILE}: clusterstack:namespaces.team.{prefix}{key}: {start}")
    assert "failed quota: must specify" in warnings[0]


@pytest.mark.parametrize(
    "limits",
    [
        {"container": {"default": {"cpu": "1"}}},
        {"container": {"max": {"cpu": "1"}}},  # the API server copies max into default
    ],
)
def test_a_default_limit_silences_the_warning(limits):
    assert load({"team": {"quota": {"limits.cpu": "4"}, "limits": limits}}).warnings == []


def test_a_default_request_comes_from_min_too():
    limits = {"container": {"min": {"memory": "64Mi"}}}
    assert load({"team": {"quota": {"requests.memory": "1Gi"}, "limits": limits}}).warnings == []


def test_a_quota_may_scope_to_the_priority_classes_every_cluster_has():
    """system-cluster-critical and system-node-critical exist on every cluster (pkg/apis/scheduling
    types.go), and the system- prefix cannot be declared, so naming them needs no declaration."""
    selector = {"matchExpressions": [{"scopeName": "PriorityClass", "operator": "In", "values": ["system-node-critical", "system-cluster-critical", "hgh"]}]}
    assert tenant_problems(quotas=[{"name": "critical", "hard": {"pods": "10"}, "scopeSelector": selector}]) == [
        ("quotas[0].scopeSelector.matchExpressions[0].values[2]: names PriorityClass hgh, which clusterstack:priorityClasses does not declare and "
        "clusterstack:cluster.existing.priorityClasses does not list: declare it there, or list it as one the cluster has")
    ]
