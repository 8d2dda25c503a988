"""When pulumi-kubernetes replaces an object instead of updating it in place, so that the embedded
engine's plan shows the same kind of change ``pulumi preview`` would.

The rules are the provider's, not the API server's: pulumi-kubernetes replaces on the fields its
``forceNew`` table lists (provider/pkg/provider/diff.go, ``forceNewProperties``, lines 23-38, and the
table at lines 45-250 of v4.32.0), which is both more (a ConfigMap's ``data``, a Job's
``parallelism``, a Pod's containers) and less (a ResourceQuota's ``scopeSelector``, a policy/v1
PodDisruptionBudget) than what the API server refuses to change. Objects that are explicitly named,
as every object clusterstack builds is, are deleted before they are created again
(provider/pkg/provider/provider.go, ``Diff``, lines 1645-1660).

The program's own rules (``replaceOnChanges``, ``deleteBeforeReplace``) are read in
clusterstack/program/options.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..kube.kinds import ObjectKey

Path = tuple[str, ...]
"""A field path; ``*`` stands for any list index."""


def _selector(path: Path) -> tuple[Path, ...]:
    """labelSelectorForceNewProperties (diff.go 243-250): the selector and every part of it."""
    return (path,)


def _container(path: Path) -> tuple[Path, ...]:
    """containerForceNewProperties (diff.go 214-241)."""
    fields = (
        "args", "command", "env", "image", "imagePullPolicy", "lifecycle", "livenessProbe", "ports", "readinessProbe", "resources",
        "securityContext", "stdin", "stdinOnce", "terminationMessagePath", "terminationMessagePolicy", "tty", "volumeDevices",
        "volumeMounts", "workingDir",
    )  # fmt: skip
    return tuple((*path, "*", field) for field in fields)


_POD_SPEC = (
    "affinity", "automountServiceAccountToken", "dnsConfig", "dnsPolicy", "enableServiceLinks", "hostAliases", "hostIPC",
    "hostNetwork", "hostPID", "hostname", "imagePullSecrets", "nodeName", "nodeSelector", "overhead", "preemptionPolicy",
    "priority", "priorityClassName", "readinessGates", "restartPolicy", "runtimeClassName", "schedulerName", "securityContext",
    "serviceAccount", "serviceAccountName", "shareProcessNamespace", "subdomain", "terminationGracePeriodSeconds", "volumes",
)  # fmt: skip
_PV_SOURCES = (
    "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi", "fc", "flexVolume", "flocker",
    "gcePersistentDisk", "glusterfs", "hostPath", "iscsi", "local", "nfs", "photonPersistentDisk", "portworxVolume",
    "quobyte", "rbd", "scaleIO", "storageos", "vsphereVolume",
)  # fmt: skip
_STATEFUL_SET = (
    ("spec", "podManagementPolicy"),
    ("spec", "revisionHistoryLimit"),
    ("spec", "serviceName"),
    ("spec", "volumeClaimTemplates"),
    *_selector(("spec", "selector")),
)

FORCE_NEW: Mapping[tuple[str, str], tuple[Path, ...]] = {
    ("apps", "StatefulSet"): _STATEFUL_SET,
    ("apps", "DaemonSet"): _selector(("spec", "selector")),
    ("apps", "Deployment"): _selector(("spec", "selector")),
    ("", "PersistentVolume"): tuple(("spec", source) for source in _PV_SOURCES),
    ("", "PersistentVolumeClaim"): (("spec", "accessModes"), ("spec", "storageClassName"), ("spec", "volumeName"), *_selector(("spec", "selector"))),
    ("", "Pod"): (
        *(("spec", field) for field in _POD_SPEC),
        *_container(("spec", "containers")),
        *_container(("spec", "initContainers")),
    ),
    ("", "ResourceQuota"): (("spec", "scopes"),),
    ("", "Service"): (("spec", "clusterIP"),),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): (("roleRef",),),
    ("rbac.authorization.k8s.io", "RoleBinding"): (("roleRef",),),
    ("storage.k8s.io", "StorageClass"): (("parameters",), ("provisioner",)),
    ("batch", "Job"): (("spec", "completions"), ("spec", "parallelism"), ("spec", "template"), *_selector(("spec", "selector"))),
}
"""pulumi-kubernetes' forceNew table for the current API versions (apps/v1, v1, rbac/v1,
storage.k8s.io/v1, batch/v1). policy/v1 PodDisruptionBudget is not in it (only v1beta1 was)."""

_CONFIG_MAP_DATA: tuple[Path, ...] = (("binaryData",), ("data",))
_SECRET_DATA: tuple[Path, ...] = (("data",), ("stringData",))


@dataclass(frozen=True)
class ProviderSettings:
    """The pulumi-kubernetes provider settings that change the kind of a change."""

    enable_config_map_mutable: bool = False
    """``kubernetes:enableConfigMapMutable``: ConfigMap data updates in place instead of replacing."""
    enable_secret_mutable: bool = False
    """``kubernetes:enableSecretMutable``: Secret data updates in place instead of replacing."""

    @classmethod
    def from_config(cls, values: Mapping[str, Any]) -> ProviderSettings:
        """From a provider's settings: the stack's ``kubernetes:*`` config, or a Provider's inputs."""

        def flag(*names: str) -> bool:
            for name in names:
                value = values.get(name)
                if value is not None:
                    return value is True or (isinstance(value, str) and value.lower() == "true")
            return False

        return cls(
            enable_config_map_mutable=flag("kubernetes:enableConfigMapMutable", "enableConfigMapMutable"),
            enable_secret_mutable=flag("kubernetes:enableSecretMutable", "enableSecretMutable"),
        )


def force_new_fields(key: ObjectKey, after: Mapping[str, Any], settings: ProviderSettings) -> tuple[Path, ...]:
    """The fields whose change replaces the object (diff.go ``forceNewProperties``, on the new inputs)."""
    immutable = after.get("immutable") is True
    if key.group == "" and key.kind == "Secret":
        if not settings.enable_secret_mutable or immutable:
            return (("type",), *_SECRET_DATA)
        return (("type",),)
    if key.group == "" and key.kind == "ConfigMap":
        return _CONFIG_MAP_DATA if not settings.enable_config_map_mutable or immutable else ()
    return FORCE_NEW.get((key.group, key.kind), ())


def replace_reasons(
    key: ObjectKey, after: Mapping[str, Any], changed: list[tuple[str | int, ...]], settings: ProviderSettings
) -> tuple[str, ...]:
    """The force-new fields among ``changed`` (dotted, in the table's order)."""
    reasons = []
    for field in force_new_fields(key, after, settings):
        if any(_within(path, field) for path in changed):
            reasons.append(".".join(part for part in field if part != "*"))
    return tuple(dict.fromkeys(reasons))


def _within(path: tuple[str | int, ...], field: Path) -> bool:
    """A change at ``path`` touches ``field``: it is inside it, or replaces a whole map holding it."""
    return all(want in ("*", part) for want, part in zip(field, path, strict=False))
