"""Pods and the workloads that template them, as the API server defaults them (defaults.py's part
for them): containers, probes, volumes and the pod spec (pkg/apis/core/v1/defaults.go), Deployments,
DaemonSets, StatefulSets and ReplicaSets (pkg/apis/apps/v1/defaults.go), ReplicationControllers,
Jobs and CronJobs. Each rule takes ``fill``: True fills the default in, False drops a value equal to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .quantity import Quantity, QuantityError, api_string, format_of, round_up_milli

Body = dict[str, Any]

TERMINATION_MESSAGE_PATH = "/dev/termination-log"
"""v1.TerminationMessagePathDefault."""
DEFAULT_GRACE_PERIOD = 30
"""v1.DefaultTerminationGracePeriodSeconds."""
DEFAULT_SCHEDULER = "default-scheduler"
"""v1.DefaultSchedulerName."""
DEFAULT_MODE = 0o644
"""SecretVolumeSourceDefaultMode, ConfigMapVolumeSourceDefaultMode, DownwardAPIVolumeSourceDefaultMode,
ProjectedVolumeSourceDefaultMode: 0644 (420)."""
PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
"""SetDefaults_Probe."""
_RESOURCE_LISTS = ("requests", "limits")


def as_map(value: Any) -> Body:
    """``value`` when it is a map; else an empty throwaway one. A malformed part of an object (a
    hand-edited dump: ``ports: true``) is left as it is, for validation to name, never a crash."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list; else an empty one (as ``as_map``)."""
    return value if isinstance(value, list) else []


def fill_in(target: Body, key: str, value: Any) -> None:
    """Set ``key`` when it is absent or empty (Go's zero value: "" or a nil pointer)."""
    if target.get(key) in (None, ""):
        target[key] = value


def drop(target: Body, key: str, value: Any) -> None:
    if key in target and target[key] == value:
        del target[key]


# --- Quantities ------------------------------------------------------------------------------------


def stored_quantity(value: Any) -> Any:
    """SetDefaults_ResourceList: rounded up to a thousandth, then written as Quantity.String() does
    (one spelling per value and format: "1000m" is stored as "1"). Not a quantity: left as it is,
    for validation to report."""
    try:
        parsed = Quantity.parse(value)
    except QuantityError:
        return value
    return api_string(round_up_milli(parsed.value), format_of(parsed.text))


def stored_list(resources: Any) -> Any:
    if not isinstance(resources, Mapping):
        return resources
    return {name: stored_quantity(value) for name, value in resources.items()}


def same_quantity(a: Any, b: Any) -> bool:
    try:
        return Quantity.parse(a) == Quantity.parse(b)
    except QuantityError:
        return bool(a == b)


# --- Pods: containers, probes, volumes, the pod spec -----------------------------------------------


def default_pull_policy(image: str) -> str:
    """SetDefaults_Container: Always for the tag ``latest`` (which an image without tag or digest
    has: parsers.ParseImageName), IfNotPresent otherwise."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.partition(":")[2] if ":" in last else ""
    if not tag and not digest:
        tag = "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _probe_actions(probe: Body, fill: bool) -> None:
    for key, value in PROBE_DEFAULTS.items():
        (fill_in if fill else drop)(probe, key, value)
    get = probe.get("httpGet")
    if isinstance(get, dict):  # SetDefaults_HTTPGetAction
        (fill_in if fill else drop)(get, "path", "/")
        (fill_in if fill else drop)(get, "scheme", "HTTP")


def _container(container: Body, fill: bool) -> None:
    step = fill_in if fill else drop
    image = container.get("image")
    if isinstance(image, str):
        step(container, "imagePullPolicy", default_pull_policy(image))
    step(container, "terminationMessagePath", TERMINATION_MESSAGE_PATH)
    step(container, "terminationMessagePolicy", "File")
    for port in as_list(container.get("ports")):
        if isinstance(port, dict):
            step(port, "protocol", "TCP")  # ContainerPort.Protocol: +default="TCP" (zz_generated.defaults.go)
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        if isinstance(container.get(probe), dict):
            _probe_actions(container[probe], fill)
    for env in as_list(container.get("env")):
        field_ref = as_map(env.get("valueFrom")).get("fieldRef") if isinstance(env, dict) else None
        if isinstance(field_ref, dict):
            step(field_ref, "apiVersion", "v1")  # SetDefaults_ObjectFieldSelector
    resources = container.get("resources")
    if isinstance(resources, dict):
        for name in _RESOURCE_LISTS:
            if name in resources:
                resources[name] = stored_list(resources[name])


def _volume(volume: Body, fill: bool) -> None:
    step = fill_in if fill else drop
    for source in ("secret", "configMap", "downwardAPI", "projected"):
        if isinstance(volume.get(source), dict):
            step(volume[source], "defaultMode", DEFAULT_MODE)
    if isinstance(volume.get("hostPath"), dict) and fill:
        fill_in(volume["hostPath"], "type", "")  # SetDefaults_HostPathVolumeSource: HostPathUnset is ""
    elif isinstance(volume.get("hostPath"), dict):
        drop(volume["hostPath"], "type", "")


def _pod_spec(spec: Body, fill: bool) -> None:
    """SetDefaults_PodSpec (not SetDefaults_Pod: that one is for Pods only, not templates)."""
    step = fill_in if fill else drop
    step(spec, "dnsPolicy", "ClusterFirst")
    step(spec, "restartPolicy", "Always")
    if fill:
        if spec.get("securityContext") is None:
            spec["securityContext"] = {}
    else:
        drop(spec, "securityContext", {})
    step(spec, "terminationGracePeriodSeconds", DEFAULT_GRACE_PERIOD)
    step(spec, "schedulerName", DEFAULT_SCHEDULER)
    for field in ("containers", "initContainers", "ephemeralContainers"):
        for container in as_list(spec.get(field)):
            if isinstance(container, dict):
                _container(container, fill)
    for volume in as_list(spec.get("volumes")):
        if isinstance(volume, dict):
            _volume(volume, fill)


def _template(body: Body, fill: bool, *path: str, value: bool = True) -> None:
    """The pod template under ``path``: its spec defaulted, and ``metadata.creationTimestamp: null``,
    which every kubectl output of a template shows (an empty metav1.Time), dropped. Where the
    template is a value in Go (``value``: every workload's but a ReplicationController's), a missing
    one is defaulted as an empty one is, and an undefaulted one left empty goes."""
    parent: Any = body
    for part in path[:-1]:
        parent = parent.setdefault(part, {}) if fill and value and isinstance(parent, dict) else (parent.get(part) if isinstance(parent, dict) else None)
    if not isinstance(parent, dict):
        return
    if fill and value and parent.get(path[-1]) is None:
        parent[path[-1]] = {}
    template = parent.get(path[-1])
    if not isinstance(template, dict):
        return
    meta = template.get("metadata")
    if isinstance(meta, dict) and "creationTimestamp" in meta and meta["creationTimestamp"] is None:
        del meta["creationTimestamp"]
        if not meta:
            del template["metadata"]
    if fill and value and template.get("spec") is None:
        template["spec"] = {}
    if isinstance(template.get("spec"), dict):
        _pod_spec(template["spec"], fill)
        if not fill and not template["spec"]:
            del template["spec"]
    if not fill and not template:
        del parent[path[-1]]


# --- Kinds ------------------------------------------------------------------------------------------


def spec_of(body: Body, fill: bool) -> Body:
    """The object's spec to default (made when missing: every kind here has a value-typed spec), or
    to undefault (a throwaway map when there is none, so there is nothing to drop)."""
    spec = body.get("spec")
    if isinstance(spec, dict):
        found: Body = spec
        return found
    made: Body = {}
    if fill:
        body["spec"] = made
    return made


def _rolling(strategy: Body, defaults: Mapping[str, Any], fill: bool) -> None:
    """DeploymentStrategy and DaemonSetUpdateStrategy: RollingUpdate, with its two bounds."""
    if fill:
        fill_in(strategy, "type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            if strategy.get("rollingUpdate") is None:
                strategy["rollingUpdate"] = {}
            rolling = as_map(strategy["rollingUpdate"])
            for key, value in defaults.items():
                fill_in(rolling, key, value)
        return
    held = strategy.get("rollingUpdate")
    if isinstance(held, dict):
        for key, value in defaults.items():
            drop(held, key, value)
        if not held:
            del strategy["rollingUpdate"]
    if "rollingUpdate" not in strategy:
        drop(strategy, "type", "RollingUpdate")


def deployment(body: Body, fill: bool) -> None:
    """SetDefaults_Deployment (apps/v1)."""
    spec = spec_of(body, fill)
    step = fill_in if fill else drop
    step(spec, "replicas", 1)
    step(spec, "revisionHistoryLimit", 10)
    step(spec, "progressDeadlineSeconds", 600)
    strategy = spec.setdefault("strategy", {}) if fill else spec.get("strategy")
    if isinstance(strategy, dict):
        _rolling(strategy, {"maxUnavailable": "25%", "maxSurge": "25%"}, fill)
        if not fill and not strategy:
            del spec["strategy"]
    _template(spec, fill, "template")


def daemon_set(body: Body, fill: bool) -> None:
    """SetDefaults_DaemonSet (apps/v1)."""
    spec = spec_of(body, fill)
    (fill_in if fill else drop)(spec, "revisionHistoryLimit", 10)
    strategy = spec.setdefault("updateStrategy", {}) if fill else spec.get("updateStrategy")
    if isinstance(strategy, dict):
        _rolling(strategy, {"maxUnavailable": 1, "maxSurge": 0}, fill)
        if not fill and not strategy:
            del spec["updateStrategy"]
    _template(spec, fill, "template")


def stateful_set(body: Body, fill: bool) -> None:
    """SetDefaults_StatefulSet (apps/v1): the update strategy RollingUpdate with partition 0, without
    the retention policy the StatefulSetAutoDeletePVC feature gate adds."""
    spec = spec_of(body, fill)
    step = fill_in if fill else drop
    step(spec, "podManagementPolicy", "OrderedReady")
    strategy = spec.setdefault("updateStrategy", {}) if fill else spec.get("updateStrategy")
    if isinstance(strategy, dict) and fill:
        if strategy.get("type") in (None, ""):
            strategy["type"] = "RollingUpdate"
            if strategy.get("rollingUpdate") is None:
                strategy["rollingUpdate"] = {}
        if strategy["type"] == "RollingUpdate" and isinstance(strategy.get("rollingUpdate"), dict):
            fill_in(strategy["rollingUpdate"], "partition", 0)
    elif isinstance(strategy, dict):
        if isinstance(strategy.get("rollingUpdate"), dict):
            drop(strategy["rollingUpdate"], "partition", 0)
            if not strategy["rollingUpdate"]:
                del strategy["rollingUpdate"]
        if "rollingUpdate" not in strategy:
            drop(strategy, "type", "RollingUpdate")
        if not strategy:
            del spec["updateStrategy"]
    step(spec, "replicas", 1)
    step(spec, "revisionHistoryLimit", 10)
    _template(spec, fill, "template")


def pod(body: Body, fill: bool) -> None:
    """SetDefaults_PodSpec and SetDefaults_Pod: enableServiceLinks, and each container's requests
    from its limits where it gives none (a Pod's only: a template keeps what it says)."""
    spec = spec_of(body, fill)
    _pod_spec(spec, fill)
    (fill_in if fill else drop)(spec, "enableServiceLinks", True)
    for field in ("containers", "initContainers"):
        for container in as_list(spec.get(field)):
            resources = container.get("resources") if isinstance(container, dict) else None
            if not isinstance(resources, dict) or not isinstance(resources.get("limits"), dict):
                continue
            requests = dict(as_map(resources.get("requests")))
            for key, value in resources["limits"].items():
                if fill:
                    requests.setdefault(key, value)
                elif key in requests and same_quantity(requests[key], value):
                    del requests[key]
            if requests:
                resources["requests"] = requests
            else:
                resources.pop("requests", None)


def replica_set(body: Body, fill: bool) -> None:
    """SetDefaults_ReplicaSet (apps/v1)."""
    spec = spec_of(body, fill)
    (fill_in if fill else drop)(spec, "replicas", 1)
    _template(spec, fill, "template")


def replication_controller(body: Body, fill: bool) -> None:
    """SetDefaults_ReplicationController: its replicas are defaulted declaratively (1); its template
    is a pointer, so a missing one stays missing."""
    spec = spec_of(body, fill)
    (fill_in if fill else drop)(spec, "replicas", 1)
    _template(spec, fill, "template", value=False)


def job(body: Body, fill: bool) -> None:
    _template(body, fill, "spec", "template")


def cron_job(body: Body, fill: bool) -> None:
    _template(body, fill, "spec", "jobTemplate", "spec", "template")

