"""The plan function, in tables: each action, each normalisation, each replace field (the provider's and the
program's replaceOnChanges), the order, the guard."""

import copy

import pytest

from clusterstack.engine.plan import MISSING, Change, UnsafePlan, destroy_plan, normalize, plan
from clusterstack.engine.state import Entry, State
from clusterstack.kube.kinds import ObjectKey
from clusterstack.kube.lifecycle import Deletion
from clusterstack.program.options import ReplaceOptions


def manifest(kind="ResourceQuota", name="q", namespace="team", api="v1", **body) -> dict:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": api, "kind": kind, "metadata": meta, **body}


def entry(m: dict, component="TenantNamespace team") -> Entry:
    return Entry(ObjectKey.of(m), component, m)


def desired(*manifests) -> dict:
    return {ObjectKey.of(m): entry(m) for m in manifests}


def state(*manifests) -> State:
    return State("lineage", 1, {ObjectKey.of(m): entry(m) for m in manifests})


QUOTA = manifest(spec={"hard": {"pods": "10", "requests.cpu": "1", "requests.memory": "1Gi"}})


def test_create_update_delete_and_no_op():
    namespace = manifest("Namespace", "team", None)
    old = manifest("LimitRange", "gone")
    changed = copy.deepcopy(QUOTA)
    changed["spec"]["hard"]["pods"] = "20"
    result = plan(desired(namespace, changed), state(QUOTA, old))
    assert [(c.action, str(c.key)) for c in result.changes] == [
        ("create", "Namespace team"),
        ("update", "ResourceQuota team/q"),
        ("delete", "LimitRange team/gone"),
    ]
    [update] = [c for c in result.changes if c.action == "update"]
    assert [(f.dotted, f.before, f.after) for f in update.fields] == [("spec.hard.pods", "10", "20")]
    assert result.summary() == "Plan: 1 to add, 1 to change, 1 to destroy."
    assert plan(desired(QUOTA), state(QUOTA)).summary() == "No changes."
    assert plan(desired(QUOTA), state(QUOTA)).unchanged == 1


def test_added_and_removed_fields_show_as_absent():
    before = manifest(spec={"hard": {"pods": "10"}})
    after = manifest(spec={"hard": {"pods": "10", "services": "5"}})
    [change] = plan(desired(after), state(before)).changes
    assert [(f.dotted, f.before, f.after) for f in change.fields] == [("spec.hard.services", MISSING, "5")]
    [change] = plan(desired(before), state(after)).changes
    assert [(f.dotted, f.before, f.after) for f in change.fields] == [("spec.hard.services", "5", MISSING)]


@pytest.mark.parametrize(
    ("written", "applied"),
    [
        ({"requests.cpu": "1000m"}, {"requests.cpu": "1"}),
        ({"requests.memory": "1Gi"}, {"requests.memory": "1024Mi"}),
        ({"requests.cpu": "0.5"}, {"requests.cpu": "500m"}),
        ({"requests.cpu": 2}, {"requests.cpu": "2"}),
        ({"pods": "1e1"}, {"pods": "10"}),
    ],
)
def test_quantities_compare_by_value(written, applied):
    assert not plan(desired(manifest(spec={"hard": written})), state(manifest(spec={"hard": applied}))).changes


def test_limit_range_and_container_quantities_compare_by_value():
    def limits(cpu):
        return manifest("LimitRange", spec={"limits": [{"type": "Container", "default": {"cpu": cpu}, "max": {"memory": "1Gi"}}]})

    def deployment(memory):
        return manifest("Deployment", "d", api="apps/v1", spec={"template": {"spec": {"containers": [{"name": "c", "resources": {"limits": {"memory": memory}}}]}}})

    assert not plan(desired(limits("1000m")), state(limits("1"))).changes
    assert not plan(desired(deployment("1Gi")), state(deployment("1073741824"))).changes
    assert plan(desired(deployment("1Gi")), state(deployment("1G"))).changes


def test_a_label_that_looks_like_a_quantity_is_still_a_string():
    def labelled(value):
        return manifest("Namespace", "team", None, metadata={"name": "team", "labels": {"size": value}})

    assert plan(desired(labelled("1000m")), state(labelled("1"))).changes


@pytest.mark.parametrize("written", [8080, "8080"])
def test_integer_or_string_ports(written):
    def service(port):
        return manifest("Service", "s", spec={"ports": [{"port": 80, "targetPort": port}]})

    assert not plan(desired(service(written)), state(service(8080))).changes
    assert plan(desired(service("http")), state(service(8080))).changes


def test_empty_and_absent_maps_and_lists_and_key_order_are_equal():
    a = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n", "labels": {}}, "data": {"a": "1", "b": "2"}}
    b = {"kind": "ConfigMap", "data": {"b": "2", "a": "1"}, "metadata": {"namespace": "n", "name": "c", "annotations": {}}, "binaryData": None, "apiVersion": "v1"}
    assert not plan(desired(a), state(b)).changes
    assert normalize({"x": [], "y": {}, "z": None, "w": 1.0}) == {"w": 1}


def test_a_mutable_field_of_the_same_kind_is_an_update():
    before = manifest("Deployment", "d", api="apps/v1", spec={"selector": {"matchLabels": {"app": "a"}}, "replicas": 1})
    after = manifest("Deployment", "d", api="apps/v1", spec={"selector": {"matchLabels": {"app": "a"}}, "replicas": 2})
    assert plan(desired(after), state(before)).changes[0].action == "update"


def test_creates_run_in_kind_order_and_deletes_in_reverse():
    objects = [
        manifest("NetworkPolicy", "p", api="networking.k8s.io/v1"),
        manifest("Deployment", "d", api="apps/v1"),
        manifest("ConfigMap", "c"),
        manifest("ClusterRoleBinding", "b", None, api="rbac.authorization.k8s.io/v1"),
        manifest("ClusterRole", "r", None, api="rbac.authorization.k8s.io/v1"),
        manifest("ServiceAccount", "sa"),
        manifest("Namespace", "team", None),
        manifest("CustomResourceDefinition", "crd", None, api="apiextensions.k8s.io/v1"),
    ]
    expected = ["CustomResourceDefinition", "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "NetworkPolicy"]
    assert [c.key.kind for c in plan(desired(*objects), None).changes] == expected
    assert [c.key.kind for c in destroy_plan(state(*objects)).changes] == list(reversed(expected))


def test_deleting_a_namespace_is_unsafe():
    namespace = manifest("Namespace", "team", None)
    result = plan(desired(), state(namespace, QUOTA))
    assert result.unsafe
    assert result.namespace_deletions == ["team"]
    assert not plan(desired(namespace), state(namespace, QUOTA)).unsafe


def test_an_unsafe_plan_refuses_itself_unless_allowed():
    """octoDNS-style: the plan raises its own named error; the override is explicit."""
    result = plan(desired(), state(manifest("Namespace", "team", None)))
    with pytest.raises(UnsafePlan, match="deletes namespace\\(s\\) team, and with them everything inside"):
        result.check_safe(allow_namespace_deletion=False)
    result.check_safe(allow_namespace_deletion=True)
    plan(desired(QUOTA), None).check_safe(allow_namespace_deletion=False)
    many = plan(desired(), state(*(manifest("Namespace", f"team-{i:02d}", None) for i in range(25))))
    with pytest.raises(UnsafePlan, match=r"deletes namespace\(s\) team-00, team-01, .*, team-19 and 5 more, and with them"):
        many.check_safe(allow_namespace_deletion=False)


@pytest.mark.parametrize(
    ("tampered", "reason"),
    [
        ({"action": "create", "after": None}, "a create of ResourceQuota team/q must have an object after and none before"),
        ({"action": "delete"}, "a delete of ResourceQuota team/q must have an object before and none after"),
        ({"action": "upsert"}, "unknown action 'upsert'"),
    ],
)
def test_a_change_read_back_must_be_whole(tampered, reason):
    """A saved plan is applied as written, so a change without the object it writes is refused on reading,
    before anything could record an empty object in state."""
    [change] = plan(desired(QUOTA), None).changes
    assert Change.from_json(change.to_json()) == change
    with pytest.raises(ValueError, match=reason):
        Change.from_json({**change.to_json(), **tampered})


PRIORITY_CLASS = manifest("PriorityClass", "high", None, api="scheduling.k8s.io/v1", value=1000, preemptionPolicy="PreemptLowerPriority", description="a")
AS_CLASSES_REGISTER_IT = ReplaceOptions(("value", "preemptionPolicy"), delete_before_replace=True)


def _change(before: dict, after: dict, options: ReplaceOptions | None) -> Change:
    key = ObjectKey.of(after)
    [change] = plan(desired(after), state(before), options={key: options} if options is not None else None).changes
    return change


def test_a_change_replace_on_changes_covers_is_a_replacement_naming_the_field():
    """Pulumi's step generator makes it a replacement (applyReplaceOnChanges); the program's
    deleteBeforeReplace makes it delete first."""
    change = _change(PRIORITY_CLASS, {**PRIORITY_CLASS, "value": 2000}, AS_CLASSES_REGISTER_IT)
    assert (change.action, change.replace_reasons, change.delete_before_replace) == ("replace", ("value",), True)
    assert [(f.dotted, f.before, f.after) for f in change.fields] == [("value", 1000, 2000)]
    assert plan(desired({**PRIORITY_CLASS, "value": 2000}), state(PRIORITY_CLASS), options={ObjectKey.of(PRIORITY_CLASS): AS_CLASSES_REGISTER_IT}).counts() == (1, 0, 1)


def test_a_change_it_does_not_cover_is_an_update():
    change = _change(PRIORITY_CLASS, {**PRIORITY_CLASS, "description": "b"}, AS_CLASSES_REGISTER_IT)
    assert (change.action, change.replace_reasons, change.delete_before_replace) == ("update", (), False)


def test_without_the_option_a_value_change_is_an_update_as_pulumi_kubernetes_alone_would_make_it():
    assert _change(PRIORITY_CLASS, {**PRIORITY_CLASS, "value": 2000}, None).action == "update"


def test_without_delete_before_replace_the_replacement_creates_first():
    """pulumi-kubernetes asks to delete first only for its own forceNew fields (provider.go Diff: the
    DiffRequest carries no replaceOnChanges), so the option alone creates the new object first."""
    change = _change(PRIORITY_CLASS, {**PRIORITY_CLASS, "value": 2000}, ReplaceOptions(("value",)))
    assert (change.action, change.delete_before_replace) == ("replace", False)


def test_the_providers_reasons_come_first_and_still_delete_first():
    before = manifest("StorageClass", "gold", None, api="storage.k8s.io/v1", provisioner="a.io", reclaimPolicy="Delete", parameters={"type": "gp3"})
    after = {**before, "reclaimPolicy": "Retain", "parameters": {"type": "io2"}}
    change = _change(before, after, ReplaceOptions(("reclaimPolicy", "volumeBindingMode")))
    assert (change.action, change.replace_reasons, change.delete_before_replace) == ("replace", ("parameters", "reclaimPolicy"), True)


def test_any_change_under_a_wildcard_replaces_but_how_the_object_is_held_does_not():
    labelled = {**PRIORITY_CLASS, "metadata": {"name": "high", "labels": {"team": "a"}}}
    assert _change(PRIORITY_CLASS, labelled, ReplaceOptions(("*",))).replace_reasons == ("metadata",)
    protected = Entry(ObjectKey.of(PRIORITY_CLASS), "ClusterClasses classes", PRIORITY_CLASS, deletion="protect")
    [change] = plan({protected.key: protected}, state(PRIORITY_CLASS), options={protected.key: ReplaceOptions(("*",))}).changes
    assert (change.action, [f.dotted for f in change.fields]) == ("update", ["(deletion)"])


def test_only_the_new_programs_options_count():
    """step_generator.go applies the goal's ReplaceOnChanges, so nothing of it is kept in state: the
    same edit is an update once the program no longer asks for the option."""
    after = {**PRIORITY_CLASS, "value": 2000}
    assert _change(PRIORITY_CLASS, after, AS_CLASSES_REGISTER_IT).action == "replace"
    assert _change(PRIORITY_CLASS, after, ReplaceOptions()).action == "update"
    assert "replaceOnChanges" not in entry(PRIORITY_CLASS).to_json()


def _held(m: dict, deletion: Deletion) -> State:
    key = ObjectKey.of(m)
    return State("lineage", 1, {key: Entry(key, "ClusterClasses classes", m, deletion=deletion)})


def test_unprotecting_and_replacing_in_one_run_is_allowed_and_state_takes_the_new_holding():
    """step_generator.go: "we do allow unprotecting and replacing to happen in a single update cycle";
    the new state holds the new options (step.go: the replacement's new goal)."""
    after = {**PRIORITY_CLASS, "value": 2000}
    key = ObjectKey.of(after)
    released = {key: Entry(key, "ClusterClasses classes", after, deletion="delete")}
    the_plan = plan(released, _held(PRIORITY_CLASS, "protect"), options={key: AS_CLASSES_REGISTER_IT})
    [change] = the_plan.changes
    assert (change.action, change.deletion, change.replaced_deletion) == ("replace", "delete", "protect")
    assert the_plan.protected_deletions == []
    the_plan.check_safe(allow_namespace_deletion=False)
    assert Change.from_json(change.to_json()) == change

    still = {key: Entry(key, "ClusterClasses classes", after, deletion="protect")}
    refused = plan(still, _held(PRIORITY_CLASS, "protect"), options={key: AS_CLASSES_REGISTER_IT})
    with pytest.raises(UnsafePlan, match=r"is protected and cannot be replaced: its protection comes from the protect option given to"):
        refused.check_safe(allow_namespace_deletion=True)


def test_an_explicit_delete_before_replace_false_creates_first_even_where_the_provider_would_delete_first():
    """step_generator.go: the program's deleteBeforeReplace, when defined (deleteBeforeReplaceDefined),
    overrides the provider's answer; unset, pulumi-kubernetes deletes a named object first."""
    before = manifest("ConfigMap", "settings", "team", data={"a": "1"})
    after = {**before, "data": {"a": "2"}}
    assert _change(before, after, None).delete_before_replace is True
    assert _change(before, after, ReplaceOptions(delete_before_replace=False)).delete_before_replace is False


def test_the_plan_text_says_which_kind_of_refusal_it_is():
    from clusterstack.cli.show import plan_text

    after = {**PRIORITY_CLASS, "value": 2000}
    key = ObjectKey.of(after)
    still = {key: Entry(key, "ClusterClasses classes", after, deletion="protect")}
    text = plan_text(plan(still, _held(PRIORITY_CLASS, "protect"), options={key: AS_CLASSES_REGISTER_IT}))
    assert "REFUSED: PriorityClass.scheduling.k8s.io high is protected and cannot be deleted or replaced" in text
    assert "UNSAFE: deletes namespace(s)" not in text
    assert "namespace(s)" in plan_text(plan({}, state(manifest("Namespace", "team", None))))
