"""The fast evaluation path gives exactly what the Pulumi SDK's own path gives.

Every shipped stack, every example and a set of programs written to exercise what the fast path
declines (Outputs between resources, transformations, secrets, other packages) or takes with care
(explicit providers, provider maps, aliases, protect inherited three components deep, replaceOnChanges
paths the SDK translates, input types, numbers, tuples, None) run both ways; their registrations (URN, type, name, parent, inputs,
provider, aliases, options) and stack outputs must be the same bytes. clusterstack/program/_sdk/fast.py
says what it relies on; tests/test_sdk.py pins each internal.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import textwrap
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from click.testing import CliRunner
from pulumi.runtime import rpc

from clusterstack.cli import cli
from clusterstack.program import _sdk, evalpath
from clusterstack.program._sdk import fast
from clusterstack.program.loader import hand_over
from clusterstack.stack.files import pulumi_config, read_stack
from clusterstack.stack.project import Project
from clusterstack.stack.spec import load_spec
from tests.conftest import REPO


def canonical(run: _sdk.ProgramRun) -> str:
    """A run as bytes: registrations in URN order (the order they reach the monitor differs between
    the paths, and between two SDK runs: they register concurrently), every field; the outputs, which must be plain JSON (an unresolved Output fails here)."""
    registrations = [
        {
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "parent": r.parent,
            "custom": r.custom,
            "inputs": r.inputs,
            "provider": r.provider,
            "aliases": [dataclasses.asdict(alias) for alias in r.aliases],
            "protect": r.protect,
            "retain_on_delete": r.retain_on_delete,
            "delete_before_replace": r.delete_before_replace,
            "replace_on_changes": list(r.replace_on_changes),
            "ignore_changes": list(r.ignore_changes),
            "custom_timeouts": list(r.custom_timeouts),
            "secrets": sorted(r.secrets),
        }
        for r in sorted(run.registrations, key=lambda r: (r.urn, json.dumps(r.inputs, sort_keys=True)))
    ]
    duplicates = sorted(d.urn for d in run.duplicates)
    outputs = {"values": _sdk.revealed(run.outputs), "shown": _sdk.masked(run.outputs)}  # which exports are secret, too
    return json.dumps({"registrations": registrations, "outputs": outputs, "duplicates": duplicates}, sort_keys=True)


def both_ways(runner: Any) -> tuple[_sdk.ProgramRun, _sdk.ProgramRun]:
    """``runner(path)`` on the fast path and on the SDK's; the same bytes, or a failed test."""
    quick, sdk = runner("fast"), runner("sdk")
    assert quick.path == "fast"
    assert sdk.path == "sdk"
    assert sdk.declined == {}
    assert canonical(quick) == canonical(sdk)
    return quick, sdk


def _shipped(root: Path, stack: str, path: fast.Mode) -> _sdk.ProgramRun:
    project = Project.load(root)
    config = read_stack(project, stack)
    spec = load_spec(config)
    return _sdk.run_program(
        project.main,
        project=project.name,
        stack=stack,
        config=pulumi_config(config.stack_layer),
        inherit=[hand_over(project.root, stack, spec)],
        path=path,
    )


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_shipped_stacks(stack):
    quick, _ = both_ways(lambda path: _shipped(REPO, stack, path))
    assert quick.declined == {}, "every resource of the shipped stacks is one the fast path takes"


def _example(name: str, stack: str, path: fast.Mode) -> _sdk.ProgramRun:
    root = REPO / "examples" / name
    config = yaml.safe_load((root / f"Pulumi.{stack}.yaml").read_text())["config"]
    from clusterstack.stack.files import as_pulumi_config

    return _sdk.run_program(root / "__main__.py", project=name, stack=stack, config=as_pulumi_config(config), path=path)


@pytest.mark.parametrize(("example", "stack"), [("team-app", "dev"), ("team-app", "staging"), ("team-app", "prod"), ("two-clusters", "dev")])
def test_the_examples(example, stack):
    both_ways(lambda path: _example(example, stack, path))


def test_a_generated_stack_of_a_hundred_namespaces(make_project):
    tenant = {
        "labels": {"team": "t"},
        "podSecurity": "baseline",
        "quota": {"requests.cpu": "4", "pods": "40"},
        "limits": {"container": {"default": {"cpu": "500m"}, "defaultRequest": {"cpu": "100m"}}},
        "networkPolicy": {"defaultDeny": ["Ingress", "Egress"], "allowDNS": True, "allowSameNamespace": True},
    }
    namespaces = {f"team-{i:03d}": tenant for i in range(100)}
    root = make_project({"many": {"config": {"clusterstack:namespaces": namespaces, "clusterstack:dns": {"nodeLocal": {}}}}})
    quick, _ = both_ways(lambda path: _shipped(root, "many", path))
    assert len(quick.registrations) > 600
    assert quick.declined == {}


def test_a_released_run_gives_the_same_and_leaves_its_resources_to_reference_counting(make_project):
    """``release=True`` (the CLI's evaluation) empties the resources the fast path registered once the
    run is over. The run's result is the same bytes, and the cycles between resources and their
    Outputs, which only the cyclic collector frees (the CLI turns it off), are gone with them: what is
    left for the collector is a fraction of what a run that keeps them leaves (about a third here)."""
    tenant = {"quota": {"pods": "4"}, "networkPolicy": {"defaultDeny": ["Ingress"], "allowSameNamespace": True}}
    root = make_project({"many": {"config": {"clusterstack:namespaces": {f"team-{i:02d}": tenant for i in range(40)}}}})
    project = Project.load(root)
    config = read_stack(project, "many")

    def garbage_after(release: bool) -> tuple[str, int]:
        spec = load_spec(config)
        gc.collect()
        gc.disable()
        try:
            run = _sdk.run_program(
                project.main, project=project.name, stack="many", config=pulumi_config(config.stack_layer),
                inherit=[hand_over(project.root, "many", spec)], path="fast", release=release,
            )  # fmt: skip
            result = canonical(run)
            del run, spec
            return result, gc.collect()
        finally:
            gc.enable()

    kept, left_kept = garbage_after(release=False)
    released, left_released = garbage_after(release=True)
    assert released == kept
    assert left_released * 2 < left_kept, (left_released, left_kept)


KITCHEN_SINK = """
import pulumi
import pulumi_kubernetes as k8s


class Leaf(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("test:index:Leaf", name, None, opts)
        meta = k8s.meta.v1.ObjectMetaArgs(name=name, namespace="ns", labels={"tier": "leaf"})
        self.map = k8s.core.v1.ConfigMap(f"{name}/map", metadata=meta, data={"k": "v"}, opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"name": self.map.metadata.name})


class Middle(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("test:index:Middle", name, None, opts)
        self.leaves = [Leaf(f"{name}-{i}", pulumi.ResourceOptions(parent=self)) for i in range(2)]
        self.register_outputs({})


class Top(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("test:index:Top", name, {"size": 2}, opts)
        self.middle = Middle(f"{name}-middle", pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(name="old-middle")]))
        self.register_outputs({"leaves": [leaf.map.metadata.name for leaf in self.middle.leaves]})


east = k8s.Provider("east", context="east")
top = Top("top", pulumi.ResourceOptions(providers=[east], protect=True, replace_on_changes=["size"]))
ns = k8s.core.v1.Namespace(
    "ns",
    metadata={"name": "ns", "labels": {"team": "web"}},
    opts=pulumi.ResourceOptions(
        provider=east,
        aliases=[
            pulumi.Alias(name="old-ns"),
            pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE),
            pulumi.Alias(name="older", type_="kubernetes:core/v1:Namespace", stack="other", project="elsewhere"),
            "urn:pulumi:stack::project::kubernetes:core/v1:Namespace::oldest",
        ],
        retain_on_delete=True,
    ),
)
between = k8s.core.v1.ConfigMap(
    "between",
    metadata={"name": "between", "namespace": ns.metadata.name},
    data={"upper": ns.metadata.name.apply(lambda name: name.upper())},
)
k8s.core.v1.ConfigMap(
    "after",
    metadata={"name": "after", "namespace": "ns"},
    data={"n": "1"},
    opts=pulumi.ResourceOptions(depends_on=[between, top], delete_before_replace=True, replace_on_changes=["data", "binary_data", "metadata.labels"]),
)


def label(args):
    props = dict(args.props)
    props["metadata"] = {**props["metadata"], "labels": {"transformed": "yes"}}
    return pulumi.ResourceTransformationResult(props, args.opts)


k8s.core.v1.ConfigMap("transformed", metadata={"name": "t", "namespace": "ns"}, opts=pulumi.ResourceOptions(transformations=[label]))
k8s.apiextensions.CustomResource(
    "certificate",
    api_version="cert-manager.io/v1",
    kind="Certificate",
    metadata={"name": "web", "namespace": "ns"},
    spec={"secretName": "web-tls", "dnsNames": ["web.example.com"], "duration": "2160h", "renewBefore": None},
)
secret = k8s.core.v1.Secret("secret", metadata={"name": "db", "namespace": "ns"}, string_data={"password": pulumi.Output.secret("hunter2")})
web = k8s.apps.v1.Deployment(
    "web",
    metadata={"name": "web", "namespace": "ns", "annotations": None},
    spec={
        "replicas": 3,
        "progressDeadlineSeconds": 600.0,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": ({"name": "web", "image": "nginx", "args": ["a", None], "ports": [{"containerPort": 8080}]},)},
        },
    },
)
k8s.core.v1.ConfigMap("underscores", metadata={"name": "u", "namespace": "ns"}, data={"some_key": "v"})
k8s.core.v1.ConfigMap("protected", metadata={"name": "p", "namespace": "ns"}, opts=pulumi.ResourceOptions(parent=top))
pulumi.CustomResource("random:index/randomId:RandomId", "id", {"byteLength": 8})
pulumi.export("nested", {"names": [ns.metadata.name, between.metadata.name], "replicas": web.spec.replicas, "plain": {"n": 1}})
pulumi.export("secretName", secret.metadata.name)
pulumi.export("urn", ns.urn)
"""


def _program(tmp_path: Path, source: str) -> Path:
    main = tmp_path / "__main__.py"
    main.write_text(textwrap.dedent(source))
    return main


def test_a_program_that_exercises_every_branch(tmp_path):
    main = _program(tmp_path, KITCHEN_SINK)
    quick, _ = both_ways(lambda path: _sdk.run_program(main, project="sink", stack="dev", config={}, path=path))
    assert set(quick.declined) == {
        "an Output that has not resolved",  # between (a lifted Output), the Secret (pulumi-kubernetes makes its data secret)
        "the transformations option",
        "a key the SDK may rename",
        "a custom resource of another package",
    }
    taken = len(quick.registrations) - sum(quick.declined.values())
    assert taken >= 12, "the components, the provider, the Namespace, the leaves and the Deployment go the fast way"
    [secret] = [r for r in quick.registrations if r.name == "secret"]
    assert secret.inputs["stringData"] == {"password": "hunter2"}, "a secret input is its value, not the SDK's marker"
    assert secret.secrets == {"stringData"}
    [after] = [r for r in quick.registrations if r.name == "after"]
    assert after.replace_on_changes == ("data", "binaryData", "metadata.labels"), "a Python name of the input type is translated, as the SDK does"
    assert next(r for r in quick.registrations if r.name == "top").replace_on_changes == ("size",)


class Answering(pulumi.runtime.Mocks):
    """A mock that answers like a provider: with state beyond the inputs, and an empty ID for one."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == "kubernetes:core/v1:Namespace":
            return args.name, {**args.inputs, "status": {"phase": "Active"}}
        if args.typ == "kubernetes:core/v1:ConfigMap":  # a secret output, marked as a provider marks it
            return "", {**args.inputs, "immutable": False, "binaryData": {rpc._special_sig_key: rpc._special_secret_sig, "value": {"b": "Yg=="}}}
        if args.typ == "kubernetes:apps/v1:Deployment":
            return args.name, {**args.inputs, "status": {"readyReplicas": 3, "conditions": [{"type": "Available", "status": "True"}]}}
        if args.typ == "random:index/randomId:RandomId":
            return "abcd", {"hex": "abcd"}
        return args.name, dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def test_mocks_that_answer_with_more_than_the_inputs(tmp_path):
    program = KITCHEN_SINK + textwrap.dedent("""
        phase = ns.status.apply(lambda status: status.phase)
        pulumi.export("phase", phase)
        pulumi.export("ready", web.status.apply(lambda status: status.ready_replicas))
        pulumi.export("mapId", between.id)
        pulumi.export("binary", top.middle.leaves[0].map.binary_data)
    """)
    main = _program(tmp_path, program)
    quick, _ = both_ways(lambda path: _sdk.run_program(main, project="sink", stack="dev", config={}, mocks=Answering(), path=path))
    assert quick.outputs["phase"] == "Active"
    assert quick.outputs["ready"] == 3
    assert _sdk.masked(quick.outputs)["binary"] == "[secret]", "an export of a secret output is kept as Pulumi shows it, never its value"


def test_stack_transformations_send_everything_the_sdk_way(tmp_path):
    main = _program(
        tmp_path,
        """
        import pulumi
        import pulumi_kubernetes as k8s

        def label(args):
            return pulumi.ResourceTransformationResult(args.props, args.opts)

        pulumi.runtime.register_stack_transformation(label)
        k8s.core.v1.Namespace("ns", metadata={"name": "ns"})
        """,
    )
    quick, _ = both_ways(lambda path: _sdk.run_program(main, project="p", stack="s", config={}, path=path))
    assert quick.declined == {"stack transformations": 1}


def test_transforms_and_inherited_retain_give_the_same_bytes_both_ways(tmp_path):
    """``transforms`` (the option, and a stack transform) send resources the SDK's way, where goals.py
    runs them as the engine does; retainOnDelete on a component reaches its children on both."""
    main = _program(
        tmp_path,
        """
        import pulumi
        import pulumi_kubernetes as k8s

        def annotate(args):
            if not args.custom:
                return None
            metadata = {**args.props["metadata"], "annotations": {"by": args.name}}
            return pulumi.ResourceTransformResult({**args.props, "metadata": metadata}, args.opts)

        kept = pulumi.ComponentResource("test:index:Kept", "kept", None, pulumi.ResourceOptions(retain_on_delete=True))
        k8s.core.v1.ConfigMap("plain", metadata={"name": "plain", "namespace": "ns"}, opts=pulumi.ResourceOptions(parent=kept))
        group = pulumi.ComponentResource("test:index:Group", "group", None, pulumi.ResourceOptions(transforms=[annotate]))
        k8s.core.v1.ConfigMap("child", metadata={"name": "child", "namespace": "ns"}, opts=pulumi.ResourceOptions(parent=group))
        pulumi.runtime.register_resource_transform(annotate)
        k8s.core.v1.Namespace("ns", metadata={"name": "ns"})
        """,
    )
    quick, _ = both_ways(lambda path: _sdk.run_program(main, project="p", stack="s", config={}, path=path))
    assert quick.declined == {"the transforms option": 1, "a parent registered the SDK's way": 1, "stack transformations": 1}
    by_name = {r.name: r for r in quick.registrations}
    assert by_name["plain"].retain_on_delete
    assert "annotations" not in by_name["plain"].inputs["metadata"]
    assert by_name["child"].inputs["metadata"]["annotations"] == {"by": "child"}
    assert by_name["ns"].inputs["metadata"]["annotations"] == {"by": "ns"}


def test_a_failing_output_fails_the_run_both_ways(tmp_path):
    main = _program(
        tmp_path,
        """
        import pulumi

        class Box(pulumi.ComponentResource):
            def __init__(self, name):
                super().__init__("test:index:Box", name)
                self.register_outputs({"broken": pulumi.Output.from_input(1).apply(lambda _: 1 / 0)})

        Box("box")
        """,
    )
    for path in ("fast", "sdk"):
        with pytest.raises(ZeroDivisionError):
            _sdk.run_program(main, project="p", stack="s", config={}, path=path)


def test_duplicate_urns_are_caught_both_ways(tmp_path):
    main = _program(
        tmp_path,
        """
        import pulumi_kubernetes as k8s
        k8s.core.v1.Namespace("ns", metadata={"name": "a"})
        k8s.core.v1.Namespace("ns", metadata={"name": "b"})
        """,
    )
    quick, _ = both_ways(lambda path: _sdk.run_program(main, project="p", stack="s", config={}, path=path))
    assert [d.urn for d in quick.duplicates] == ["urn:pulumi:s::p::kubernetes:core/v1:Namespace::ns"]


def test_render_is_byte_identical_on_either_path(monkeypatch):
    outputs = {}
    for path in ("fast", "sdk"):
        monkeypatch.setenv(fast.EVAL_ENV, path)
        result = CliRunner().invoke(cli, ["--project-dir", str(REPO), "render", "-s", "prod"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        outputs[path] = result.stdout
    assert outputs["fast"] == outputs["sdk"]


def test_the_fast_path_is_on_only_where_it_was_proven(monkeypatch):
    monkeypatch.delenv(evalpath.EVAL_ENV, raising=False)
    assert evalpath.mode() == ("fast" if version("pulumi") in evalpath.PROVEN_ON else "sdk")
    monkeypatch.setattr(evalpath, "version", lambda package: "3.999.0")
    assert evalpath.mode() == "sdk", "an SDK the fast path was not proven on takes the SDK's path"
    monkeypatch.setenv(evalpath.EVAL_ENV, "fast")
    assert evalpath.mode() == "fast"
    monkeypatch.setenv(evalpath.EVAL_ENV, "sdk")
    monkeypatch.setattr(evalpath, "version", lambda package: min(evalpath.PROVEN_ON))
    assert evalpath.mode() == "sdk"


def test_an_unproven_sdk_is_said_once_on_stderr(monkeypatch, capsys):
    monkeypatch.delenv(evalpath.EVAL_ENV, raising=False)
    monkeypatch.setattr(evalpath, "version", lambda package: "3.998.0")
    assert [evalpath.mode(), evalpath.mode()] == ["sdk", "sdk"]
    [notice] = capsys.readouterr().err.splitlines()
    assert notice.startswith("clusterstack: notice: pulumi 3.998.0 is not a version the fast evaluation path was proven on (3.260.0 to 3.272.0)")
    assert "CLUSTERSTACK_EVAL=fast" in notice


def test_the_proven_versions_start_at_the_lowest_pyproject_admits():
    """Every release the declared range admits, from its lowest, is one the proofs ran on; the locked
    one among them. (A wider range needs the proofs on the new releases first.)"""
    from importlib.metadata import requires

    from packaging.requirements import Requirement

    [pulumi_requirement] = [Requirement(r) for r in requires("clusterstack") or [] if Requirement(r).name == "pulumi"]
    lowest = min(evalpath.PROVEN_ON, key=lambda v: tuple(map(int, v.split("."))))
    assert pulumi_requirement.specifier.contains(lowest)
    assert not pulumi_requirement.specifier.contains("3.259.0"), "the range admits a release below the proven ones"
    assert version("pulumi") in evalpath.PROVEN_ON


def test_every_resource_option_is_classified():
    """A ResourceOptions field the fast path has not been taught about would be silently ignored."""
    import inspect

    fields = set(inspect.signature(pulumi.ResourceOptions.__init__).parameters) - {"self"}
    # Every option of this SDK is classified; the sets may also name options of newer SDKs in the
    # proven range (state_migrations came after 3.260.0).
    assert fields <= fast.OPTIONS_TAKEN | fast.OPTIONS_UNSEEN | fast.OPTIONS_DECLINED
    assert not fast.OPTIONS_TAKEN & fast.OPTIONS_UNSEEN
    assert not fast.OPTIONS_TAKEN & fast.OPTIONS_DECLINED
