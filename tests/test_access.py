"""Tenant access: RoleBindings to the built-in admin, edit and view ClusterRoles, and the namespace's
ServiceAccounts, built as the API server admits them and registered by TenantNamespace.

The API server's rule for a subject is ValidateRoleBindingSubject
(kubernetes/pkg/apis/rbac/validation/validation.go): a User or Group needs a non-empty name and
nothing more; a ServiceAccount's name is a DNS subdomain. That ``view`` is part of ``edit`` and
``edit`` of ``admin`` is the aggregation in plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go
(``view`` carries the aggregate-to-edit label, ``edit`` the aggregate-to-admin one).
"""

from __future__ import annotations

import pulumi
import pytest
from pydantic import ValidationError

from clusterstack.components import TenantAccess, TenantNamespace, TenantNamespaceArgs, build_access, build_tenant
from clusterstack.kube.schema import schema_problems
from clusterstack.testing import run

PAYMENTS = {
    "admins": {"groups": ["payments-leads"]},
    "editors": {"groups": ["payments-devs"], "serviceAccounts": ["deployer"]},
    "viewers": {"groups": ["sre"], "users": ["auditor@example.com"]},
    "serviceAccounts": {"deployer": {"automountToken": False, "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/deployer"}}, "batch": {}},
}


def test_each_role_is_one_binding_to_its_cluster_role_with_subjects_in_the_order_given():
    accounts, bindings = build_access(TenantAccess.model_validate(PAYMENTS), "payments", "prod")
    assert [(b["metadata"]["name"], b["roleRef"]["name"]) for b in bindings] == [
        ("tenant-admins", "admin"),
        ("tenant-editors", "edit"),
        ("tenant-viewers", "view"),
    ]
    assert bindings[1]["subjects"] == [
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "payments-devs"},
        {"kind": "ServiceAccount", "name": "deployer", "namespace": "payments"},
    ]
    assert [a["metadata"]["name"] for a in accounts] == ["batch", "deployer"]
    assert accounts[1]["automountServiceAccountToken"] is False
    assert "automountServiceAccountToken" not in accounts[0]
    for manifest in accounts + bindings:
        assert manifest["metadata"]["namespace"] == "payments"
        for version in ("1.30", "1.34"):
            assert list(schema_problems(manifest, version)) == []


def test_a_role_nobody_holds_makes_no_binding_and_a_list_of_names_declares_accounts():
    access = TenantAccess.model_validate({"viewers": {}, "editors": {"users": ["ana"]}, "serviceAccounts": ["ci", "batch"]})
    accounts, bindings = build_access(access, "team")
    assert [b["metadata"]["name"] for b in bindings] == ["tenant-editors"]
    assert [a["metadata"]["name"] for a in accounts] == ["batch", "ci"]


def test_the_tenant_carries_its_access_after_its_policies():
    objects = build_tenant("payments", TenantNamespaceArgs.model_validate({"access": PAYMENTS}), "prod")
    kinds = [o["kind"] for o in objects.all()]
    assert kinds == ["Namespace", "ServiceAccount", "ServiceAccount", "RoleBinding", "RoleBinding", "RoleBinding"]


@pytest.mark.parametrize(
    ("access", "fragment"),
    [
        ({"admins": {"users": [""]}}, "user name cannot be empty"),
        ({"admins": {"groups": [""]}}, "group name cannot be empty"),
        ({"admins": {"serviceAccounts": ["Deployer"]}}, "must be a DNS-1123 subdomain"),
        ({"editors": {"serviceAccounts": ["deployer"]}}, "deployer is not one of this namespace's ServiceAccounts"),
        ({"viewers": {"groups": ["a", "a"]}}, r"groups\[1\]: a is listed twice"),
        ({"serviceAccounts": ["ci", "ci"]}, "serviceAccounts lists ci twice"),
        ({"owners": {"groups": ["a"]}}, "owners"),
    ],
)
def test_subjects_the_api_server_would_refuse_are_refused(access, fragment):
    with pytest.raises(ValidationError, match=fragment):
        TenantAccess.model_validate(access)


def test_the_default_service_account_may_hold_a_role_without_being_declared():
    _, [binding] = build_access(TenantAccess.model_validate({"viewers": {"serviceAccounts": ["default"]}}), "team")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "default", "namespace": "team"}]


def test_names_no_authenticator_reports_and_roles_held_twice_are_warned_about():
    access = TenantAccess.model_validate(
        {
            "admins": {"users": ["ana"]},
            "editors": {"users": ["ana", " bob"]},
            "viewers": {"users": ["system:serviceaccount:team:ci"]},
        }
    )
    warnings = {found.path: found.message for found in access.warnings()}
    assert warnings[("editors", "users", 0)] == "ana is already in admins, whose ClusterRole includes everything editors may do"
    assert "begins or ends with whitespace" in warnings[("editors", "users", 1)]
    assert warnings[("viewers", "users", 0)] == (
        "system:serviceaccount:team:ci is a ServiceAccount's user name; list it under serviceAccounts instead, "
        "as {name: ci, namespace: team} (or ci when it is this namespace's)"
    )


def test_a_tenant_registers_its_bindings_and_accounts_as_children():
    def program() -> None:
        TenantNamespace("payments", TenantNamespaceArgs.model_validate({"access": PAYMENTS}))

    recording = run(program)
    bindings = recording.of_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
    assert sorted(b.name for b in bindings) == ["payments/tenant-admins", "payments/tenant-editors", "payments/tenant-viewers"]
    [component] = recording.of_type("clusterstack:tenant:TenantNamespace")
    assert all(b.parent == component.urn for b in bindings)
    accounts = recording.of_type("kubernetes:core/v1:ServiceAccount")
    assert sorted(a.name for a in accounts) == ["payments/batch", "payments/deployer"]


def test_a_namespace_name_from_an_output_reaches_the_service_account_subjects():
    def program() -> None:
        name = pulumi.Output.from_input("shop-eu")
        TenantNamespace("shop", TenantNamespaceArgs(name=name, access={"editors": {"serviceAccounts": ["deployer"]}, "serviceAccounts": ["deployer"]}))

    recording = run(program)
    [binding] = recording.of_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
    assert binding.inputs["metadata"]["namespace"] == "shop-eu"
    assert binding.inputs["subjects"] == [{"kind": "ServiceAccount", "name": "deployer", "namespace": "shop-eu"}]


def test_a_service_account_of_another_namespace_is_named_with_its_namespace():
    access = TenantAccess.model_validate({"editors": {"serviceAccounts": [{"name": "argocd-application-controller", "namespace": "argocd"}, "default"]}})
    _, [binding] = build_access(access, "team")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "argocd-application-controller", "namespace": "argocd"},
        {"kind": "ServiceAccount", "name": "default", "namespace": "team"},
    ]
    with pytest.raises(ValidationError, match="argocd/ci is listed twice"):
        TenantAccess.model_validate({"editors": {"serviceAccounts": [{"name": "ci", "namespace": "argocd"}, {"name": "ci", "namespace": "argocd"}]}})


@pytest.mark.parametrize("group", ["system:authenticated", "system:unauthenticated", "system:serviceaccounts", "system:masters"])
def test_groups_kubernetes_fills_itself_are_warned_about(group):
    [found] = TenantAccess.model_validate({"editors": {"groups": [group]}}).warnings()
    assert found.path == ("editors", "groups", 0)
    assert found.message.startswith(f"{group} is ")
    assert found.message.endswith("all of them get edit in this namespace")


def test_group_names_and_annotations_may_come_from_other_resources():
    """An Entra ID group's object ID (AKS), an IAM role's ARN (EKS IRSA): Outputs, checked when they resolve."""

    def program(group: str) -> None:
        TenantNamespace(
            "shop",
            TenantNamespaceArgs(
                access={
                    "admins": {"groups": [pulumi.Output.from_input(group)]},
                    "serviceAccounts": {"deployer": {"annotations": {"eks.amazonaws.com/role-arn": pulumi.Output.from_input("arn:aws:iam::1:role/d")}}},
                }
            ),
        )

    recording = run(lambda: program("0b3f5a2e-entra-group"))
    [binding] = recording.of_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
    assert binding.inputs["subjects"] == [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "0b3f5a2e-entra-group"}]
    [account] = recording.of_type("kubernetes:core/v1:ServiceAccount")
    assert account.inputs["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/d"}
    with pytest.raises(ValueError, match="group name cannot be empty"):
        run(lambda: program(""))
