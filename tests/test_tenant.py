"""The tenant builder: whole rendered objects for the spec, and each worked example of the seed pages.

The seed pages (Configure Default/Min/Max CPU and Memory, Memory and CPU Quotas, Pod Quota, Quotas
for API Objects, Limit Storage Consumption) are written as clusterstack stacks here and must render
the objects those pages create, in the API's shape (the pages' YAML is sometimes mangled: a
LimitRange item without ``type``, ``type: Core``; the API's shape wins).
"""

from clusterstack.components import TenantNamespaceArgs, build_tenant
from clusterstack.components.limits import defaulted
from tests.helpers import load, namespace_spec

STANDARD = {"app.kubernetes.io/managed-by": "clusterstack", "clusterstack.io/environment": "test"}


def render(namespace: str, spec: dict) -> dict[tuple[str, str], dict]:
    # The classes the examples' quotas name exist in the cluster (validate refuses a quota on an unknown one).
    args = load({namespace: spec}, cluster={"existing": {"priorityClasses": ["high"], "storageClasses": ["gold"]}}).args
    return {(o["kind"], o["metadata"]["name"]): o for o in build_tenant(namespace, args.namespaces[namespace], "test").all()}


def limit_items(namespace: str, spec: dict) -> list[dict]:
    return render(namespace, spec)[("LimitRange", "tenant-limits")]["spec"]["limits"]


def test_the_issue_example_renders_whole_objects():
    spec = {
        "labels": {"team": "payments"},
        "annotations": {"owner": "payments@example.com"},
        "podSecurity": "restricted",
        "quota": {"requests.cpu": "8", "limits.memory": "16Gi", "pods": "50", "count/deployments.apps": "20"},
        "quotas": [
            {
                "name": "high-priority",
                "hard": {"pods": "10"},
                "scopeSelector": {"matchExpressions": [{"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]},
            }
        ],
        "limits": {
            "container": {
                "min": {"cpu": "100m"},
                "max": {"cpu": "2", "memory": "4Gi"},
                "default": {"cpu": "500m", "memory": "512Mi"},
                "defaultRequest": {"cpu": "250m", "memory": "256Mi"},
                "maxLimitRequestRatio": {"cpu": "4"},
            },
            "pod": {"max": {"cpu": "4"}},
            "persistentVolumeClaim": {"min": {"storage": "1Gi"}, "max": {"storage": "20Gi"}},
        },
    }
    objects = render("payments", spec)
    assert list(objects) == [
        ("Namespace", "payments"),
        ("ResourceQuota", "tenant-quota"),
        ("ResourceQuota", "high-priority"),
        ("LimitRange", "tenant-limits"),
    ]
    assert objects[("Namespace", "payments")] == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "payments",
            "labels": {
                "team": "payments",
                **{f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")},
                **{f"pod-security.kubernetes.io/{mode}-version": "latest" for mode in ("enforce", "audit", "warn")},
                **STANDARD,
            },
            "annotations": {"owner": "payments@example.com"},
        },
    }
    assert objects[("ResourceQuota", "tenant-quota")] == {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "tenant-quota", "namespace": "payments", "labels": STANDARD},
        "spec": {"hard": {"requests.cpu": "8", "limits.memory": "16Gi", "pods": "50", "count/deployments.apps": "20"}},
    }
    assert objects[("ResourceQuota", "high-priority")]["spec"] == {
        "hard": {"pods": "10"},
        "scopeSelector": {"matchExpressions": [{"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]},
    }
    assert objects[("LimitRange", "tenant-limits")] == {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "tenant-limits", "namespace": "payments", "labels": STANDARD},
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "min": {"cpu": "100m"},
                    "max": {"cpu": "2", "memory": "4Gi"},
                    "default": {"cpu": "500m", "memory": "512Mi"},
                    "defaultRequest": {"cpu": "250m", "memory": "256Mi"},
                    "maxLimitRequestRatio": {"cpu": "4"},
                },
                {"type": "Pod", "max": {"cpu": "4"}},
                {"type": "PersistentVolumeClaim", "min": {"storage": "1Gi"}, "max": {"storage": "20Gi"}},
            ]
        },
    }


def test_a_bare_tenant_is_just_a_namespace():
    objects = build_tenant("sandbox", TenantNamespaceArgs(), environment=None).all()
    assert objects == [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "sandbox", "labels": {"app.kubernetes.io/managed-by": "clusterstack"}}}
    ]


def test_pod_security_modes_and_version():
    labels = render("team", namespace_spec(podSecurity={"enforce": "baseline", "warn": "restricted", "version": "v1.34"}))[
        ("Namespace", "team")
    ]["metadata"]["labels"]
    assert {k: v for k, v in labels.items() if k.startswith("pod-security")} == {
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/enforce-version": "v1.34",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "v1.34",
    }


def test_quantities_render_as_written():
    objects = render("team", {"quota": {"requests.cpu": 1, "requests.memory": "1024Mi"}, "limits": {"container": {"default": {"cpu": 0.5, "memory": "1Gi"}, "defaultRequest": {"cpu": "500m", "memory": "1Gi"}}}})
    assert objects[("ResourceQuota", "tenant-quota")]["spec"]["hard"] == {"requests.cpu": "1", "requests.memory": "1024Mi"}
    assert objects[("LimitRange", "tenant-limits")]["spec"]["limits"][0]["default"] == {"cpu": "0.5", "memory": "1Gi"}


# --- The seed pages' worked examples -------------------------------------------------------------


def test_seed_min_max_cpu_constraints():
    # cpu-constraints.yaml: min 200m, max 800m; the page shows the API server defaulting both to 800m.
    spec = {"limits": {"container": {"min": {"cpu": "200m"}, "max": {"cpu": "800m"}}}}
    assert limit_items("constraints-cpu-example", spec) == [{"type": "Container", "min": {"cpu": "200m"}, "max": {"cpu": "800m"}}]
    entry = load({"constraints-cpu-example": spec}).args.namespaces["constraints-cpu-example"].limits.container
    assert entry is not None
    applied = {field: {r: v.quantity.text for r, v in values.items()} for field, values in defaulted(entry).items()}
    assert applied == {"min": {"cpu": "200m"}, "max": {"cpu": "800m"}, "default": {"cpu": "800m"}, "defaultRequest": {"cpu": "800m"}}


def test_seed_min_max_memory_constraints():
    spec = {"limits": {"container": {"min": {"memory": "500Mi"}, "max": {"memory": "1Gi"}}}}
    assert limit_items("constraints-mem-example", spec) == [{"type": "Container", "min": {"memory": "500Mi"}, "max": {"memory": "1Gi"}}]
    entry = load({"constraints-mem-example": spec}).args.namespaces["constraints-mem-example"].limits.container
    assert entry is not None
    assert {r: v.quantity.text for r, v in defaulted(entry)["default"].items()} == {"memory": "1Gi"}
    assert {r: v.quantity.text for r, v in defaulted(entry)["defaultRequest"].items()} == {"memory": "1Gi"}


def test_seed_default_memory_request_and_limit():
    # memory-defaults.yaml omits ``type``; a LimitRange item needs it, and defaults are per Container.
    spec = {"limits": {"container": {"default": {"memory": "512Mi"}, "defaultRequest": {"memory": "256Mi"}}}}
    assert limit_items("default-mem-example", spec) == [
        {"type": "Container", "default": {"memory": "512Mi"}, "defaultRequest": {"memory": "256Mi"}}
    ]


def test_seed_default_cpu_request_and_limit():
    # cpu-defaults.yaml is mangled in the seed (``type: Core`` nested under default); the API shape is this.
    spec = {"limits": {"container": {"default": {"cpu": 1}, "defaultRequest": {"cpu": 0.5}}}}
    assert limit_items("default-cpu-example", spec) == [{"type": "Container", "default": {"cpu": "1"}, "defaultRequest": {"cpu": "0.5"}}]


def test_seed_memory_and_cpu_quota():
    spec = {"quotas": [{"name": "mem-cpu-demo", "hard": {"requests.cpu": "1", "requests.memory": "1Gi", "limits.cpu": "2", "limits.memory": "2Gi"}}]}
    quota = render("quota-mem-cpu-example", spec)[("ResourceQuota", "mem-cpu-demo")]
    assert quota["spec"] == {"hard": {"requests.cpu": "1", "requests.memory": "1Gi", "limits.cpu": "2", "limits.memory": "2Gi"}}
    # The page's namespace has no LimitRange: every pod must state all four, which clusterstack warns about.
    warnings = [str(w) for w in load({"quota-mem-cpu-example": spec}).warnings]
    assert [w.split(": ")[1].rsplit(".", 2)[-2:] for w in warnings] == [
        ["requests", "cpu"],
        ["requests", "memory"],
        ["limits", "cpu"],
        ["limits", "memory"],
    ]


def test_seed_pod_quota():
    spec = {"quotas": [{"name": "pod-demo", "hard": {"pods": "2"}}]}
    assert render("quota-pod-example", spec)[("ResourceQuota", "pod-demo")]["spec"] == {"hard": {"pods": "2"}}


def test_seed_quota_for_api_objects():
    spec = {"quotas": [{"name": "object-quota-demo", "hard": {"persistentvolumeclaims": "1", "services.loadbalancers": "2", "services.nodeports": "0"}}]}
    assert render("quota-object-example", spec)[("ResourceQuota", "object-quota-demo")]["spec"] == {
        "hard": {"persistentvolumeclaims": "1", "services.loadbalancers": "2", "services.nodeports": "0"}
    }


def test_seed_storage_limits_and_quota():
    # The page's LimitRange lost its ``storage:`` keys in the seed; claims are limited by storage.
    spec = {
        "limits": {"persistentVolumeClaim": {"min": {"storage": "1Gi"}, "max": {"storage": "2Gi"}}},
        "quotas": [{"name": "storagequota", "hard": {"persistentvolumeclaims": "5", "requests.storage": "5Gi"}}],
    }
    objects = render("storage-example", spec)
    assert objects[("LimitRange", "tenant-limits")]["spec"] == {
        "limits": [{"type": "PersistentVolumeClaim", "min": {"storage": "1Gi"}, "max": {"storage": "2Gi"}}]
    }
    assert objects[("ResourceQuota", "storagequota")]["spec"] == {"hard": {"persistentvolumeclaims": "5", "requests.storage": "5Gi"}}


def test_storage_class_quotas_and_scopes():
    spec = {
        "quota": {"gold.storageclass.storage.k8s.io/requests.storage": "500Gi", "gold.storageclass.storage.k8s.io/persistentvolumeclaims": "10"},
        "quotas": [{"name": "best-effort", "hard": {"pods": "5"}, "scopes": ["BestEffort"]}],
    }
    objects = render("team", spec)
    assert objects[("ResourceQuota", "best-effort")]["spec"] == {"hard": {"pods": "5"}, "scopes": ["BestEffort"]}
    assert objects[("ResourceQuota", "tenant-quota")]["spec"]["hard"]["gold.storageclass.storage.k8s.io/requests.storage"] == "500Gi"
