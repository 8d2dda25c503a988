"""Name and label syntax, as k8s.io/apimachinery/pkg/util/validation checks it.

One validator per kind of name the API server knows: DNS-1123 labels and subdomains, DNS-1035
labels, qualified names (label and annotation keys), label values, path segment names (RBAC
objects), port names (IANA service names) and ConfigMap keys. Each returns the reasons a value is
invalid (an empty list when it is valid), phrased to follow the value in a message: "payments_v2"
"must consist of lower case alphanumeric …".

Every pattern must match the whole value (``fullmatch``): Go's regexp anchors ``^…$`` at the very
end of the text, where Python's ``$`` also matches before a final newline, so ``re.match`` would
take ``"payments\n"`` for a valid name (tests/test_names.py).
"""

from __future__ import annotations

import re

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = _QUALIFIED_NAME


def _label(value: str, pattern: re.Pattern[str], rule: str) -> list[str]:
    problems = []
    if len(value) > 63:
        problems.append("must be no more than 63 characters")
    if not pattern.fullmatch(value):
        problems.append(rule)
    return problems


def dns1123_label(value: str) -> list[str]:
    """Namespace names and most object names that are a single DNS label."""
    return _label(
        value,
        _DNS1123_LABEL,
        "must be a DNS-1123 label: lower case letters, digits and '-', starting and ending with a letter or digit (e.g. 'payments', 'team-a')",
    )


_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")


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
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
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
    elif not _QUALIFIED_NAME.fullmatch(name):
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
    if not _LABEL_VALUE.fullmatch(value):
        problems.append(
            "must consist of alphanumeric characters, '-', '_' or '.', "
            "and must start and end with an alphanumeric character (e.g. 'MyValue', 'my_value', '12345')"
        )
    return problems


SYSTEM_PRIORITY_CLASSES = ("system-cluster-critical", "system-node-critical")
"""The PriorityClasses every cluster has (pkg/apis/scheduling/types.go: SystemClusterCritical,
SystemNodeCritical, created by the API server at start); the ``system-`` prefix is theirs."""


def path_segment_name(value: str) -> list[str]:
    """RBAC objects' names (Role, RoleBinding, ClusterRole, ClusterRoleBinding: ValidateRBACName is
    path.IsValidPathSegmentName, k8s.io/apimachinery/pkg/api/validation/path/name.go): anything
    that can be one segment of a URL path."""
    if value in (".", ".."):
        return [f"may not be {value!r}"]
    return [f"may not contain {part!r}" for part in ("/", "%") if part in value]


_PORT_NAME_CHARSET = re.compile(r"[-a-z0-9]+")


def port_name(value: str) -> list[str]:
    """Container and Service port names: IANA service names (IsValidPortName, RFC 6335 5.1)."""
    problems = []
    if len(value) > 15:
        problems.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARSET.fullmatch(value):
        problems.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search(r"[a-z]", value):
        problems.append("must contain at least one letter (a-z)")
    if "--" in value:
        problems.append("must not contain consecutive hyphens")
    if value.startswith("-") or value.endswith("-"):
        problems.append("must not begin or end with a hyphen")
    return problems


_CONFIG_MAP_KEY = re.compile(r"[-._a-zA-Z0-9]+")


def config_map_key(value: str) -> list[str]:
    """Keys of a ConfigMap's or Secret's data (IsConfigMapKey): a file name in a mounted volume."""
    problems = []
    if len(value) > 253:
        problems.append("must be no more than 253 characters")
    if not _CONFIG_MAP_KEY.fullmatch(value):
        problems.append("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name')")
    if value in (".", ".."):
        problems.append(f"must not be {value!r}")
    elif value.startswith(".."):
        problems.append("must not start with '..'")
    return problems
