"""Tenant access: who administers, edits and views a tenant namespace, and the namespace's ServiceAccounts.

Pages: "Share a Cluster with Namespaces" (each team in its namespace, kept there by RBAC) and
"Production environment" (user-facing roles: bind the built-in ClusterRoles ``admin``, ``edit`` and
``view`` in each namespace rather than writing roles of your own). Each role is one RoleBinding,
``tenant-admins``, ``tenant-editors``, ``tenant-viewers``, to its ClusterRole.

What the API server checks on a subject (``ValidateRoleBindingSubject``,
kubernetes/pkg/apis/rbac/validation/validation.go): a User's or Group's name is not empty ("user
name cannot be empty"), and nothing more, since names come from whatever authenticator the cluster
uses; a ServiceAccount's name is a DNS subdomain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypedDict, get_args

import pulumi
from pydantic import AfterValidator, Field, model_validator
from typing_extensions import Required

from ..kube.findings import Finding, Findings, warning
from ..kube.manifest import Manifest
from ..kube.paths import KeyPath
from .labels import object_meta
from .model import AnnotationsInput, DnsLabel, DnsSubdomain, Model, deferred

Role = Literal["admins", "editors", "viewers"]
ROLES: tuple[Role, ...] = get_args(Role)
CLUSTER_ROLES: dict[Role, str] = {"admins": "admin", "editors": "edit", "viewers": "view"}
"""Each role's built-in ClusterRole (the user-facing roles of "Using RBAC Authorization")."""
RBAC_GROUP = "rbac.authorization.k8s.io"
SERVICE_ACCOUNT_USER = "system:serviceaccount:"


def _shown(account: str | ServiceAccountRef) -> str:
    return account if isinstance(account, str) else f"{account.namespace}/{account.name}"


def binding_name(role: Role) -> str:
    return f"tenant-{role}"


def _subject_name(kind: str) -> AfterValidator:
    def check(value: str) -> str:
        if not value:
            raise ValueError(f"{kind} name cannot be empty")
        return value

    return AfterValidator(check)


if TYPE_CHECKING:
    UserNameInput = str | pulumi.Output[str]
    GroupNameInput = str | pulumi.Output[str]
else:
    UserName = Annotated[str, _subject_name("user")]
    GroupName = Annotated[str, _subject_name("group")]
    UserNameInput = Annotated[UserName, deferred(UserName)]
    GroupNameInput = Annotated[GroupName, deferred(GroupName)]
"""A group or user name, or an Output of one (an Entra ID group's object ID, an IAM role's ARN)."""


_BROAD_GROUPS = {
    "system:authenticated": "every authenticated identity, every ServiceAccount of every namespace included",
    "system:unauthenticated": "anonymous requests",
    "system:serviceaccounts": "every ServiceAccount of every namespace",
    "system:masters": "cluster administrators, who hold everything already (the group bypasses RBAC)",
}
"""Groups Kubernetes assigns itself ("Using RBAC Authorization", default roles and subjects), and who is in them."""


# <generated from the fields of ServiceAccountRef by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class ServiceAccountRefArgsDict(TypedDict, total=False):
    """``ServiceAccountRef`` as a dict, in the stack files' spelling."""

    name: Required[DnsSubdomain]
    namespace: Required[DnsLabel]
# </generated>


class ServiceAccountRef(Model):
    """A ServiceAccount of another namespace (a CI runner's, a GitOps controller's)."""

    name: DnsSubdomain
    namespace: DnsLabel

    # <generated from the fields of ServiceAccountRef by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(self, *, name: DnsSubdomain, namespace: DnsLabel) -> None: ...
    # </generated>


# <generated from the fields of Subjects by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class SubjectsArgsDict(TypedDict, total=False):
    """``Subjects`` as a dict, in the stack files' spelling."""

    groups: Sequence[GroupNameInput]
    users: Sequence[UserNameInput]
    serviceAccounts: Sequence[DnsSubdomain | ServiceAccountRef | ServiceAccountRefArgsDict]
# </generated>


class Subjects(Model):
    """Who holds one role in the namespace."""

    groups: tuple[GroupNameInput, ...] = ()
    """Group names as the cluster's authenticator reports them (an OIDC groups claim, a certificate's O)."""
    users: tuple[UserNameInput, ...] = ()
    """User names as the cluster's authenticator reports them (an OIDC username claim, a certificate's CN)."""
    service_accounts: tuple[DnsSubdomain | ServiceAccountRef, ...] = ()
    """ServiceAccounts of this namespace by name (declared under ``access.serviceAccounts``, or
    ``default``), or of another as ``{name, namespace}``."""

    # <generated from the fields of Subjects by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, groups: Sequence[GroupNameInput] = (), users: Sequence[UserNameInput] = (),
            service_accounts: Sequence[DnsSubdomain | ServiceAccountRef | ServiceAccountRefArgsDict] = (),
        ) -> None: ...
    # </generated>

    def _problems(self) -> Findings:
        for field in ("groups", "users", "serviceAccounts"):
            names: tuple[str | ServiceAccountRef | pulumi.Output[str], ...] = getattr(self, "service_accounts" if field == "serviceAccounts" else field)
            for index, name in enumerate(names):
                if not isinstance(name, pulumi.Output) and name in names[:index]:
                    yield Finding((field, index), f"{_shown(name)} is listed twice")

    def subjects(self, namespace: Any) -> list[dict[str, Any]]:
        """The RoleBinding's subjects: groups, then users, then ServiceAccounts, each in the order given."""
        found: list[dict[str, Any]] = [{"kind": "Group", "apiGroup": RBAC_GROUP, "name": name} for name in self.groups]
        found += [{"kind": "User", "apiGroup": RBAC_GROUP, "name": name} for name in self.users]
        found += [
            {"kind": "ServiceAccount", "name": account, "namespace": namespace}
            if isinstance(account, str)
            else {"kind": "ServiceAccount", "name": account.name, "namespace": account.namespace}
            for account in self.service_accounts
        ]
        return found

    def is_empty(self) -> bool:
        return not (self.groups or self.users or self.service_accounts)


# <generated from the fields of ServiceAccountArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class ServiceAccountArgsDict(TypedDict, total=False):
    """``ServiceAccountArgs`` as a dict, in the stack files' spelling."""

    annotations: AnnotationsInput
    automountToken: bool
    imagePullSecrets: Sequence[DnsSubdomain]
# </generated>


class ServiceAccountArgs(Model):
    """One of the namespace's ServiceAccounts."""

    annotations: AnnotationsInput = Field(default_factory=dict)
    """For instance a cloud identity: eks.amazonaws.com/role-arn, iam.gke.io/gcp-service-account."""
    automount_token: bool | None = None
    """automountServiceAccountToken; None: Kubernetes' default (mounted). ``false`` keeps the token out of
    pods that do not call the API (the production-environment page's advice)."""
    image_pull_secrets: tuple[DnsSubdomain, ...] = ()
    """Secrets in the namespace its pods pull images with."""

    # <generated from the fields of ServiceAccountArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, annotations: AnnotationsInput = ..., automount_token: bool | None = None, image_pull_secrets: Sequence[DnsSubdomain] = (),
        ) -> None: ...
    # </generated>


# <generated from the fields of TenantAccess by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class TenantAccessArgsDict(TypedDict, total=False):
    """``TenantAccess`` as a dict, in the stack files' spelling."""

    admins: Subjects | SubjectsArgsDict
    editors: Subjects | SubjectsArgsDict
    viewers: Subjects | SubjectsArgsDict
    serviceAccounts: Mapping[DnsSubdomain, ServiceAccountArgs | ServiceAccountArgsDict] | Sequence[str]
# </generated>


class TenantAccess(Model):
    """``namespaces.<name>.access``: the namespace's role holders and its ServiceAccounts."""

    admins: Subjects | None = None
    """Bound to ClusterRole ``admin``: everything in the namespace, including its RoleBindings, but not
    its quota or the namespace itself."""
    editors: Subjects | None = None
    """Bound to ClusterRole ``edit``: read and write workloads, Services, ConfigMaps and Secrets; no RBAC."""
    viewers: Subjects | None = None
    """Bound to ClusterRole ``view``: read most objects; not Secrets."""
    service_accounts: dict[DnsSubdomain, ServiceAccountArgs] = Field(default_factory=dict)
    """ServiceAccounts by name; a list of names is short for each with default settings."""

    # <generated from the fields of TenantAccess by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, admins: Subjects | SubjectsArgsDict | None = None, editors: Subjects | SubjectsArgsDict | None = None,
            viewers: Subjects | SubjectsArgsDict | None = None,
            service_accounts: Mapping[DnsSubdomain, ServiceAccountArgs | ServiceAccountArgsDict] | Sequence[str] = ...,
        ) -> None: ...
    # </generated>

    @model_validator(mode="before")
    @classmethod
    def _names_list(cls, data: Any) -> Any:
        """``serviceAccounts: [deployer]`` is short for ``serviceAccounts: {deployer: {}}``."""
        if isinstance(data, Mapping):
            key = "serviceAccounts" if "serviceAccounts" in data else "service_accounts"
            names = data.get(key)
            if isinstance(names, (list, tuple)) and all(isinstance(name, str) for name in names):
                duplicates = sorted({name for name in names if names.count(name) > 1})
                if duplicates:
                    raise ValueError(f"serviceAccounts lists {', '.join(duplicates)} twice")
                return {**data, key: {name: {} for name in names}}
        return data

    def roles(self) -> list[tuple[Role, Subjects]]:
        """The roles someone holds, in the order admins, editors, viewers."""
        return [(role, subjects) for role in ROLES if (subjects := getattr(self, role)) is not None and not subjects.is_empty()]

    def _problems(self) -> Findings:
        declared = set(self.service_accounts) | {"default"}
        for role, subjects in self.roles():
            for index, name in enumerate(subjects.service_accounts):
                if isinstance(name, str) and name not in declared:
                    yield Finding(
                        (role, "serviceAccounts", index),
                        f"{name} is not one of this namespace's ServiceAccounts; declare it under access.serviceAccounts",
                    )

    def warnings(self) -> Findings:
        """Valid names that will not match anyone as written, and roles given twice."""
        held: dict[tuple[str, str], Role] = {}
        for role, subjects in self.roles():
            for field, kind, names in (("groups", "Group", subjects.groups), ("users", "User", subjects.users)):
                for index, name in enumerate(names):
                    if not isinstance(name, str):
                        continue  # an Output: its value is not known until it resolves
                    at: KeyPath = (role, field, index)
                    if name != name.strip():
                        yield warning(at, f"{name!r} begins or ends with whitespace, which no authenticator reports; remove it")
                    if kind == "User" and name.startswith(SERVICE_ACCOUNT_USER):
                        account_namespace, _, account = name.removeprefix(SERVICE_ACCOUNT_USER).partition(":")
                        yield warning(
                            at,
                            (f"{name} is a ServiceAccount's user name; list it under serviceAccounts instead, "
                            f"as {{name: {account}, namespace: {account_namespace}}} (or {account} when it is this namespace's)"),
                        )
                    if kind == "Group" and name in _BROAD_GROUPS:
                        yield warning(at, f"{name} is {_BROAD_GROUPS[name]}: all of them get {CLUSTER_ROLES[role]} in this namespace")
                    stronger = held.get((kind, name))
                    if stronger is not None:
                        yield warning(at, f"{name} is already in {stronger}, whose ClusterRole includes everything {role} may do")
                    else:
                        held[(kind, name)] = role


def build_access(access: TenantAccess, namespace: str | pulumi.Output[str], environment: str | None = None) -> tuple[list[Manifest], list[Manifest]]:
    """The namespace's ServiceAccounts (by name) and its RoleBindings (admins, editors, viewers)."""
    accounts: list[Manifest] = []
    for name, args in sorted(access.service_accounts.items()):
        account: Manifest = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": object_meta(name, namespace, environment, None, args.annotations)}
        if args.automount_token is not None:
            account["automountServiceAccountToken"] = args.automount_token
        if args.image_pull_secrets:
            account["imagePullSecrets"] = [{"name": secret} for secret in args.image_pull_secrets]
        accounts.append(account)
    bindings: list[Manifest] = [
        {
            "apiVersion": f"{RBAC_GROUP}/v1",
            "kind": "RoleBinding",
            "metadata": object_meta(binding_name(role), namespace, environment),
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": CLUSTER_ROLES[role]},
            "subjects": subjects.subjects(namespace),
        }
        for role, subjects in access.roles()
    ]
    return accounts, bindings
