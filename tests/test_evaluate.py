"""Evaluation runs the real __main__.py under the mock runtime and collects every Kubernetes object, with
the resource options that decide how the plan replaces it."""

import textwrap

import pytest

from clusterstack.components import build_platform
from clusterstack.components.tenant import TenantNamespaceArgs
from clusterstack.errors import ClusterstackError
from clusterstack.kube.kinds import ObjectKey
from clusterstack.program import _sdk
from clusterstack.program.evaluate import Evaluation, _whole_numbers, evaluate_stack
from clusterstack.program.loader import hand_over
from clusterstack.program.options import ReplaceOptions
from clusterstack.stack.files import parse_stack, program_config, read_stack_source
from clusterstack.stack.project import Project
from clusterstack.stack.spec import load_spec
from tests.conftest import REPO


def test_collects_the_objects_with_their_components_in_apply_order(make_project):
    root = make_project({"dev": {"config": {"clusterstack:namespaces": {"b": {"quota": {"pods": "1"}}, "a": {"limits": {"pod": {"max": {"cpu": "1"}}}}}}}})
    evaluation = evaluate_stack(Project.load(root), "dev")
    assert [(d.key, d.type, d.name, str(d.component)) for d in evaluation.objects] == [
        (ObjectKey("", "Namespace", "", "a"), "kubernetes:core/v1:Namespace", "platform/a", "TenantNamespace platform/a"),
        (ObjectKey("", "Namespace", "", "b"), "kubernetes:core/v1:Namespace", "platform/b", "TenantNamespace platform/b"),
        (ObjectKey("", "ResourceQuota", "b", "tenant-quota"), "kubernetes:core/v1:ResourceQuota", "platform/b/tenant-quota", "TenantNamespace platform/b"),
        (ObjectKey("", "LimitRange", "a", "tenant-limits"), "kubernetes:core/v1:LimitRange", "platform/a/tenant-limits", "TenantNamespace platform/a"),
    ]
    assert evaluation.outputs == {"kubernetesVersion": "1.34", "namespaces": ["a", "b"]}
    assert evaluation.objects[0].manifest["metadata"]["labels"]["clusterstack.io/environment"] == "dev"


def test_the_same_object_declared_twice_is_an_error_naming_both(make_project):
    root = make_project({"dev": {"config": {"clusterstack:namespaces": {"payments": {}}}}})
    main = root / "__main__.py"
    main.write_text(
        main.read_text()
        + textwrap.dedent(
            """
            import pulumi_kubernetes as k8s
            k8s.core.v1.Namespace("extra-payments", metadata={"name": "payments"})
            """
        )
    )
    with pytest.raises(ClusterstackError) as caught:
        evaluate_stack(Project.load(root), "dev")
    [problem] = caught.value.problems
    assert "Namespace payments is declared twice" in str(problem)
    assert "platform/payments in TenantNamespace platform/payments" in str(problem)
    assert "extra-payments in (program)" in str(problem)


def test_a_failing_program_is_reported_without_a_traceback(make_project):
    root = make_project({"dev": {"config": {}}})
    (root / "__main__.py").write_text("raise RuntimeError('boom')\n")
    with pytest.raises(ClusterstackError, match=r"__main__\.py:1: the program failed: RuntimeError: boom"):
        evaluate_stack(Project.load(root), "dev")


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_components_register_exactly_what_the_pure_builders_build(stack):
    """ClusterPlatform (registering) and build_platform (pure) compose the same blocks; they must agree."""
    evaluation = evaluate_stack(Project.load(REPO), stack)
    built = build_platform(load_spec(evaluation.config).args, stack)
    assert sorted((d.manifest for d in evaluation.objects), key=lambda m: ObjectKey.of(m).sort_key()) == sorted(
        built, key=lambda m: ObjectKey.of(m).sort_key()
    )


def test_a_secret_input_is_collected_as_its_value_kept_aside(make_project):
    """pulumi-kubernetes makes a Secret's data secret; the manifest holds [secret] in its place, and
    the value (not the SDK's marker) is kept aside, for a target that opted in (engine/secrets.py)."""
    root = make_project({"dev": {"config": {"clusterstack:namespaces": {"payments": {}}}}})
    main = root / "__main__.py"
    main.write_text(
        main.read_text()
        + textwrap.dedent(
            """
            import pulumi_kubernetes as k8s
            k8s.core.v1.Secret("db", metadata={"name": "db", "namespace": "payments"},
                               string_data={"password": pulumi.Output.secret("hunter2"), "user": "app"})
            """
        )
    )
    [secret] = [d for d in evaluate_stack(Project.load(root), "dev").objects if d.key.kind == "Secret"]
    assert secret.manifest == {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "payments"}, "stringData": "[secret]"}
    assert secret.secret_values == {"stringData": {"password": "hunter2", "user": "app"}}


def _with_extra(root, source: str) -> None:
    main = root / "__main__.py"
    main.write_text(main.read_text() + textwrap.dedent(source))


def test_the_options_that_decide_a_replacement_are_collected_and_cached(make_project):
    """replaceOnChanges and deleteBeforeReplace reach the plan from the evaluation (and from its cache)."""
    root = make_project({"dev": {"config": {"clusterstack:priorityClasses": {"high": {"value": 10}}, "clusterstack:namespaces": {"payments": {}}}}})
    _with_extra(
        root,
        """
        import pulumi_kubernetes as k8s
        k8s.core.v1.ConfigMap("settings", metadata={"name": "settings", "namespace": "payments"}, data={"a": "1"},
                              opts=pulumi.ResourceOptions(replace_on_changes=["binary_data", "metadata.labels"]))
        """,
    )
    evaluation = evaluate_stack(Project.load(root), "dev")
    high, settings = ObjectKey("scheduling.k8s.io", "PriorityClass", "", "high"), ObjectKey("", "ConfigMap", "payments", "settings")
    assert evaluation.replace_options() == {
        high: ReplaceOptions(("value", "preemptionPolicy"), delete_before_replace=True),
        settings: ReplaceOptions(("binaryData", "metadata.labels")),
    }
    assert Evaluation.from_json(evaluation.to_json(), evaluation.stack, evaluation.read_config).replace_options() == evaluation.replace_options()


def test_a_replace_on_changes_path_the_pulumi_engine_cannot_parse_is_an_error(make_project):
    root = make_project({"dev": {"config": {"clusterstack:namespaces": {"payments": {}}}}})
    _with_extra(
        root,
        """
        import pulumi_kubernetes as k8s
        k8s.core.v1.ConfigMap("settings", metadata={"name": "settings", "namespace": "payments"}, data={"a": "1"},
                              opts=pulumi.ResourceOptions(replace_on_changes=["data[a"]))
        """,
    )
    with pytest.raises(ClusterstackError) as caught:
        evaluate_stack(Project.load(root), "dev")
    [problem] = caught.value.problems
    assert str(problem) == (
        "__main__.py: settings in (program): replaceOnChanges 'data[a' is not a property path (missing closing bracket in array index); "
        """write one as 'value', 'spec.selector', 'data["a.b"]' or '*'"""
    )


def test_the_spec_and_the_parsed_stack_are_let_go_once_the_program_has_run(monkeypatch):
    """The run's context outlives the run (the Outputs the program made keep copies of it), so the
    spec handed over in it is released when the run is over, and the evaluator drops its own and the
    parsed stack: at 10,000 namespaces 60 MiB the plan does not need. What the evaluation needs of
    the spec (warnings, target, Kubernetes version) it keeps."""
    from clusterstack.program import loader
    from clusterstack.program.evaluate import Evaluator

    handed: list[loader.HandOver] = []
    original = loader.hand_over

    def recording(*args):
        variable, value = original(*args)
        handed.append(value)
        return variable, value

    monkeypatch.setattr(loader, "hand_over", recording)
    evaluator = Evaluator(Project.load(REPO), "dev")
    spec = evaluator.spec
    assert spec is not None
    values = evaluator.config.merged()
    evaluation = evaluator.evaluate()
    (handover,) = handed
    assert handover.spec is None
    assert evaluator.spec is None
    assert evaluation.kubernetes_version == spec.args.cluster.kubernetes_version
    assert evaluator.target == evaluation.target == spec.args.target.settings()
    assert evaluator.warnings == evaluation.warnings == spec.warnings
    assert evaluation.objects
    # The parsed stack went too; asked for (reach does), it is parsed again from the bytes read.
    assert evaluator._config is None
    assert evaluation.config.merged() == values


def test_tenants_written_alike_are_validated_once_and_each_failure_is_still_named(make_project):
    """load_spec validates each way a tenant is written once (components/model.py, ``validated_once``):
    tenants written alike are one model, others their own; a bad tenant is refused at its own key
    each time it appears; outside load_spec nothing is shared."""
    alike = {"quota": {"pods": "10"}, "networkPolicy": {"defaultDeny": ["Ingress"]}}
    root = make_project({"dev": {"config": {"clusterstack:namespaces": {"a": alike, "b": dict(alike), "c": {**alike, "quota": {"pods": 10}}}}}})
    project = Project.load(root)
    namespaces = load_spec(parse_stack(project, read_stack_source(project, "dev"))).args.namespaces
    assert namespaces["a"] is namespaces["b"]
    assert namespaces["c"] is not namespaces["a"]  # 10 and "10": two spellings, each validated
    assert namespaces["c"] == namespaces["a"]
    assert TenantNamespaceArgs.model_validate(alike) is not TenantNamespaceArgs.model_validate(alike)

    bad = {"limits": {"container": {"min": {"cpu": "2"}, "max": {"cpu": "1"}}}}
    root = make_project({"dev": {"config": {"clusterstack:namespaces": {"x": bad, "y": dict(bad)}}}})
    project = Project.load(root)
    with pytest.raises(ClusterstackError) as caught:
        load_spec(parse_stack(project, read_stack_source(project, "dev")))
    paths = [problem.path for problem in caught.value.problems]
    assert any(path.startswith("clusterstack:namespaces.x.limits") for path in paths)
    assert any(path.startswith("clusterstack:namespaces.y.limits") for path in paths)


def test_whole_numbers_are_restored_where_the_run_says_numbers_are_and_nowhere_else():
    """``collect`` turns doubles back into integers only in the properties the fast path found numbers
    in (``Registration.numbers``); the result is what looking through every property gives."""
    inputs = {"metadata": {"name": "n", "labels": {"a": "b"}}, "spec": {"ports": [{"port": 53.0, "protocol": "UDP"}], "ratio": 1.5}, "replicas": 2.0}
    everywhere = _whole_numbers(inputs)
    assert everywhere == {"metadata": {"name": "n", "labels": {"a": "b"}}, "spec": {"ports": [{"port": 53, "protocol": "UDP"}], "ratio": 1.5}, "replicas": 2}
    assert type(everywhere["spec"]["ports"][0]["port"]) is int
    assert _whole_numbers(inputs, frozenset({"spec", "replicas"})) == everywhere
    assert _whole_numbers(inputs, frozenset()) is inputs  # no numbers: the registration's own dict
    assert _whole_numbers(inputs, frozenset({"spec"}))["replicas"] == 2.0  # only where it was told


def test_the_fast_path_knows_which_properties_hold_numbers(make_project):
    root = make_project({"dev": {"config": {"clusterstack:namespaces": {"a": {"networkPolicy": {"allowDNS": True}, "quota": {"pods": "1"}}}}}})
    project = Project.load(root)
    config = parse_stack(project, read_stack_source(project, "dev"))
    given = program_config(project, config.stack_layer)
    variable, handed = hand_over(project.root, "dev", load_spec(config))
    run = _sdk.run_program(
        project.main, project=project.name, stack="dev", config=given.values, secret_keys=given.secret_keys, inherit=[(variable, handed)], path="fast"
    )
    assert run.path == "fast"
    numbers = {r.name: r.numbers for r in run.registrations if r.type.startswith("kubernetes:")}
    assert numbers["platform/a/allow-dns"] == frozenset({"spec"})  # the DNS ports
    assert numbers["platform/a"] == frozenset()
    assert numbers["platform/a/tenant-quota"] == frozenset()
