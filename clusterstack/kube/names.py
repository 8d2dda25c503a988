"""Name and label syntax, as k8s.io/apimachinery/pkg/util/validation checks it.

Each check returns the reasons a value is invalid (an empty list when it is valid), phrased to
follow the value in a message: "payments_v2" "must consist of lower case alphanumeric …".
"""

from __future__ import annotations

import re

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = _QUALIFIED_NAME


def _label(value: str, pattern: re.Pattern[str], rule: str) -> list[str]:
    problems = []
    if len(value) > 63:
        problems.append("must be no more than 63 characters")
    if not pattern.match(value):
        problems.append(rule)
    return problems


def dns1123_label(value: str) -> list[str]:
    """Namespace names and most object names that are a single DNS label."""
    return _label(
        value,
        _DNS1123_LABEL,
        "must be a DNS-1123 label: lower case letters, digits and '-', starting and ending with a letter or digit (e.g. 'payments', 'team-a')",
    )


_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def dns1035_label(value: str) -> list[str]:
    """Service names: a DNS label that starts with a letter (ValidateServiceName)."""
    return _label(
        value,
        _DNS1035_LABEL,
        "must be a DNS-1035 label: lower case letters, digits and '-', starting with a letter "
        "and ending with a letter or digit (e.g. 'web', 'checkout-lb')",
    )


RESERVED_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def reserved_namespace(value: str) -> str | None:
    """Why a namespace is not a tenant's to take: Kubernetes' own (``default``, ``kube-*``)."""
    if value in RESERVED_NAMESPACES or value.startswith("kube-"):
        return (
            f"{value!r} is a namespace of Kubernetes itself (default and kube-* are reserved for the system); "
            "give the tenant a namespace of its own"
        )
    return None


def dns1123_subdomain(value: str) -> list[str]:
    """Most object names: DNS labels joined by dots, at most 253 characters."""
    problems = []
    if len(value) > 253:
        problems.append("must be no more than 253 characters")
    if not _DNS1123_SUBDOMAIN.match(value):
        problems.append(
            "must be a DNS-1123 subdomain: lower case letters, digits, '-' and '.', "
            "starting and ending with a letter or digit (e.g. 'example.com')"
        )
    return problems


def qualified_name(value: str) -> list[str]:
    """Label and annotation keys, resource names: an optional DNS-subdomain prefix, '/', a name."""
    prefix, slash, name = value.rpartition("/")
    problems: list[str] = []
    if slash:
        if not prefix:
            return ["prefix part must be non-empty"]
        problems.extend(f"prefix part {reason}" for reason in dns1123_subdomain(prefix))
    if not name:
        problems.append("name part must be non-empty")
    elif len(name) > 63:
        problems.append("name part must be no more than 63 characters")
    elif not _QUALIFIED_NAME.match(name):
        problems.append(
            "name part must consist of alphanumeric characters, '-', '_' or '.', "
            "and must start and end with an alphanumeric character (e.g. 'MyName', 'my.name', '123-abc')"
        )
    return problems


def label_value(value: str) -> list[str]:
    """Label values may be empty; otherwise at most 63 characters of [A-Za-z0-9_.-], alphanumeric at the ends."""
    if value == "":
        return []
    problems = []
    if len(value) > 63:
        problems.append("must be no more than 63 characters")
    if not _LABEL_VALUE.match(value):
        problems.append(
            "must consist of alphanumeric characters, '-', '_' or '.', "
            "and must start and end with an alphanumeric character (e.g. 'MyValue', 'my_value', '12345')"
        )
    return problems


SYSTEM_PRIORITY_CLASSES = ("system-cluster-critical", "system-node-critical")
"""The PriorityClasses every cluster has (pkg/apis/scheduling/types.go: SystemClusterCritical,
SystemNodeCritical, created by the API server at start); the ``system-`` prefix is theirs."""
