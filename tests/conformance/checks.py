"""The admission suite's checker: each case of ``admission.yaml`` run against clusterstack's model of the
API server, and the disagreements it finds (none when the model agrees with upstream).

A case is built into the same objects ``clusterstack admit`` reads (LimitRange and ResourceQuota
manifests, quotas' status.used as ``--usage`` gives it), so the suite exercises the real path."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from clusterstack.analysis import admission
from clusterstack.kube.quantity import Quantity
from tests.conformance import suite

DATA = Path(__file__).with_name("admission.yaml")
NAMESPACE = "test"
DEFAULT_SELECTORS = [
    {"scopeName": "Terminating"},
    {"scopeName": "NotTerminating"},
    {"scopeName": "BestEffort"},
    {"scopeName": "NotBestEffort"},
    {"scopeName": "PriorityClass", "operator": "In", "values": ["class1"]},
    {"scopeName": "CrossNamespacePodAffinity"},
]


def _usage(case: Mapping[str, Any]) -> list[str]:
    spec, kind = case["spec"], case["kind"]
    if kind == "Pod":
        actual = admission.pod_usage(spec)
    elif kind == "PersistentVolumeClaim":
        actual = admission.claim_usage(spec, {})
    else:
        actual = admission.service_usage(spec)
    return _compare("usage", case["usage"], actual)


def _totals(case: Mapping[str, Any]) -> list[str]:
    shape = admission.pod_shape(case["spec"], api_defaults=False)
    requests, limits = admission.pod_requests_and_limits(shape, overhead=case.get("overhead", "included") == "included")
    problems = _compare("requests", case["requests"], requests) if "requests" in case else []
    return problems + (_compare("limits", case["limits"], limits) if "limits" in case else [])


def _constraints(case: Mapping[str, Any]) -> list[str]:
    actual = admission.must_specify(admission.pod_constraints(admission.pod_shape(case["spec"])), case["required"])
    return [] if actual == case["error"] else [f"constraints: expected {case['error']!r}, got {actual!r}"]


def _scopes(case: Mapping[str, Any]) -> list[str]:
    shape = admission.pod_shape(case["spec"])
    matched = []
    for selector in case.get("selectors", DEFAULT_SELECTORS):
        rule = admission.QuotaRule("q", {}, (), ((selector["scopeName"], selector.get("operator", ""), tuple(selector.get("values", ()))),))
        if admission.pod_matches(rule.scopes, rule.selector, shape):
            matched.append(selector["scopeName"])
    return [] if matched == case["match"] else [f"scopes: expected {case['match']}, got {matched}"]


def _limitranger(case: Mapping[str, Any]) -> list[str]:
    ranges = case["ranges"] if "ranges" in case else [[case["range"]]]
    limit_ranges = [
        {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": f"abc-{index}", "namespace": NAMESPACE}, "spec": {"limits": items}}
        for index, items in enumerate(ranges)
    ]
    space = admission.namespaces_of([_namespace(), *limit_ranges])
    name = case["source"][2]
    if case.get("defaults_only"):
        shape = admission.pod_shape(_pod(name, case["pod"])["spec"])
        admission.apply_defaults(shape, space[NAMESPACE].limit_ranges)
        return _defaulted(case["defaulted"], shape.containers)
    manifest = _pod(name, case["pod"]) if "pod" in case else _claim(name, case["claim"])
    if "in_a_cluster" in case:
        # Upstream's verdict with its LimitRange as the unit test builds it (no API defaults), then the
        # cluster's with the LimitRange as the API server stores it.
        as_built = admission.Namespace(limit_ranges=[tuple(_as_built(item) for item in items) for items in ranges])
        problems = [f"as upstream's test builds the LimitRange: {p}" for p in _verdict(case, admission.Admission({NAMESPACE: as_built}).admit(manifest))]
        verdict = admission.Admission(space).admit(manifest)
        return problems + [f"in a cluster: {p}" for p in _verdict(case["in_a_cluster"], verdict)]
    verdict = admission.Admission(space).admit(manifest)
    problems = _verdict(case, verdict)
    if "defaulted" in case and verdict.admitted:
        shape = admission.pod_shape(manifest["spec"])
        admission.apply_defaults(shape, space[NAMESPACE].limit_ranges)
        problems += _defaulted(case["defaulted"], shape.containers)
    return problems


def _quota(case: Mapping[str, Any]) -> list[str]:
    quotas = [
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": quota["name"], "namespace": NAMESPACE},
            "spec": {key: quota[key] for key in ("hard", "scopes", "scopeSelector") if key in quota},
        }
        for quota in case["quotas"]
    ]
    used = [{"kind": "ResourceQuota", "metadata": {"name": q["name"], "namespace": NAMESPACE}, "status": {"used": q.get("used", {})}} for q in case["quotas"]]
    space = admission.namespaces_of([_namespace(), *quotas], used)
    classes = admission.Classes(priority=admission.Classes().priority | {o["pod"]["priorityClassName"] for o in case["objects"] if "priorityClassName" in o.get("pod", {})})
    admitter = admission.Admission(space, classes)
    name = case["source"][2].split(" ")[0]
    problems = []
    for number, entry in enumerate(case["objects"], 1):
        manifest = _pod(name, entry["pod"]) if "pod" in entry else _claim(name, entry["claim"])
        if case.get("quota_only"):
            refusal = admitter.quota(NAMESPACE, admission.claim_usage(manifest["spec"], manifest["metadata"]))
            verdict = admission.Verdict(manifest["kind"], NAMESPACE, name, refusal is None, [refusal] if refusal is not None else [])
        else:
            verdict = admitter.admit(manifest)
        problems += [f"object {number}: {problem}" for problem in _verdict(entry, verdict)]
    for quota_name, expected in (case.get("used") or {}).items():
        actual = space[NAMESPACE].used.get(quota_name, {})
        problems += _compare(f"used[{quota_name}]", expected, {key: actual.get(key, admission.ZERO) for key in expected})
    return problems


# --- Building upstream's objects ---------------------------------------------------------------------


def _namespace() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}


def _pod(name: str, shorthand: Mapping[str, Any]) -> dict[str, Any]:
    """validPod(name, n, resources), validPodInit(pod, init...), withRestartableInitContainer(...)."""
    resources = {key: dict(shorthand[key]) for key in ("requests", "limits") if shorthand.get(key)}
    containers = [{"name": f"foo-{i}", "image": f"foo:V{i}", "resources": resources} for i in range(shorthand.get("containers", 0))]
    init = [{"name": f"foo-{i}", "image": f"foo:V{i}", "resources": dict(r)} for i, r in enumerate(shorthand.get("init", []))]
    init += [
        {"name": f"foo-{len(init) + i}", "image": "foo", "restartPolicy": "Always", "resources": dict(r)}
        for i, r in enumerate(shorthand.get("sidecars", []))
    ]
    spec: dict[str, Any] = {"containers": containers}
    if init:
        spec["initContainers"] = init
    for key in ("priorityClassName", "activeDeadlineSeconds"):
        if key in shorthand:
            spec[key] = shorthand[key]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NAMESPACE}, "spec": spec}


def _as_built(item: Mapping[str, Any]) -> admission.LimitItem:
    """createLimitRange's item, converted to v1 but not defaulted."""

    def parsed(key: str) -> admission.Resources:
        return {resource: admission.Amount.parse(value) for resource, value in (item.get(key) or {}).items()}

    return admission.LimitItem(item["type"], parsed("min"), parsed("max"), parsed("default"), parsed("defaultRequest"), parsed("maxLimitRequestRatio"))


def _claim(name: str, shorthand: Mapping[str, Any]) -> dict[str, Any]:
    """validPersistentVolumeClaim(name, getVolumeResourceRequirements(getStorageResourceList(storage), {}))."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"resources": {"requests": {"storage": shorthand["storage"]}}},
    }


# --- Comparing -----------------------------------------------------------------------------------------


def _value(raw: Any) -> Fraction:
    return Quantity.parse(str(raw)).value


def _compare(what: str, expected: Mapping[str, Any], actual: Mapping[str, admission.Amount]) -> list[str]:
    """Equal by value and by key set (quota.Equals)."""
    problems = []
    for key in sorted(set(expected) | set(actual)):
        if key not in actual:
            problems.append(f"{what}: {key} expected {expected[key]}, missing")
        elif key not in expected:
            problems.append(f"{what}: {key} not expected, got {actual[key]}")
        elif _value(expected[key]) != actual[key].value:
            problems.append(f"{what}: {key} expected {expected[key]}, got {actual[key]}")
    return problems


def _verdict(expected: Mapping[str, Any], verdict: admission.Verdict) -> list[str]:
    if verdict.admitted != expected["admitted"]:
        return [f"expected {'admitted' if expected['admitted'] else 'refused'}, got {'admitted' if verdict.admitted else 'refused'} {verdict.reasons}"]
    message = expected.get("message")
    if message is None:
        return []
    reason = verdict.reasons[0] if verdict.reasons else ""
    if reason == message or reason.endswith(f" is forbidden: {message}"):
        return []
    return [f"expected the message {message!r}, got {reason!r}"]


def _defaulted(expected: Mapping[str, Any], containers: list[admission.Container]) -> list[str]:
    problems = []
    for container in containers:
        key = f"init {container.name}" if container.init else container.name
        if key not in expected:
            continue
        for which in ("requests", "limits"):
            problems += _compare(f"defaulted[{key}].{which}", expected[key].get(which, {}), getattr(container, which))
    return problems


CHECKER = suite.Checker(DATA, {
    "usage": _usage,
    "constraints": _constraints,
    "scopes": _scopes,
    "limitranger": _limitranger,
    "quota": _quota,
    "totals": _totals,
})
load, cases, disagreements, run_suite = CHECKER.load, CHECKER.cases, CHECKER.disagreements, CHECKER.run_suite
case_id = suite.case_id
