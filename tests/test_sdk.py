"""The Pulumi SDK internals clusterstack relies on (all used in clusterstack/program/_sdk/) still behave as assumed.

If an SDK upgrade breaks one of these, this file says which, and clusterstack/program/_sdk/ is the only place to mend.
"""

import contextvars
import textwrap

import pulumi
import pytest
from pulumi.runtime import config as sdk_config

from clusterstack.program import _sdk


def _program(tmp_path, body: str):
    main = tmp_path / "__main__.py"
    main.write_text(textwrap.dedent(body))
    return main


def test_a_program_runs_with_its_config_and_its_registrations_are_recorded(tmp_path):
    main = _program(
        tmp_path,
        """
        import json
        import pulumi
        import pulumi_kubernetes as k8s

        class Box(pulumi.ComponentResource):
            def __init__(self, name, opts=None):
                super().__init__("test:index:Box", name, None, opts)
                k8s.core.v1.ConfigMap("cm", metadata={"name": "cm", "namespace": "ns"}, data={"k": "v"},
                                      opts=pulumi.ResourceOptions(parent=self))
                self.register_outputs({})

        Box("box")
        k8s.core.v1.Namespace("ns", metadata={"name": "ns"})
        config = pulumi.Config("clusterstack")
        pulumi.export("value", config.require_object("thing")["a"])
        pulumi.export("stack", pulumi.get_stack())
        """,
    )
    run = _sdk.run_program(main, project="clusterstack", stack="dev", config={"clusterstack:thing": '{"a": 1}'})
    assert run.outputs == {"stack": "dev", "value": 1}
    by_name = {r.name: r for r in run.registrations}
    assert set(by_name) == {"box", "cm", "ns"}
    assert by_name["cm"].parent == by_name["box"].urn
    assert by_name["cm"].custom
    assert not by_name["box"].custom
    assert by_name["cm"].inputs == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "ns"}, "data": {"k": "v"}}
    assert by_name["ns"].type == "kubernetes:core/v1:Namespace"


def test_runs_do_not_share_state(tmp_path):
    main = _program(tmp_path, "import pulumi_kubernetes as k8s\nk8s.core.v1.Namespace('ns', metadata={'name': 'ns'})\n")
    first = _sdk.run_program(main, project="p", stack="a", config={})
    second = _sdk.run_program(main, project="p", stack="b", config={})
    assert len(first.registrations) == len(second.registrations) == 1
    assert second.registrations[0].urn.startswith("urn:pulumi:b::p::")


def test_program_config_reads_what_the_pulumi_cli_passes(monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG", '{"clusterstack:cluster": "{}"}')
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", '["clusterstack:cluster"]')
    values, secrets = _sdk.program_config()
    assert values["clusterstack:cluster"] == "{}"
    assert "clusterstack:cluster" in secrets


def test_program_config_reads_what_the_mock_runtime_sets():
    def read():
        sdk_config.set_all_config({"clusterstack:namespaces": "{}"})
        return _sdk.program_config()

    values, _ = contextvars.Context().run(read)
    assert values == {"clusterstack:namespaces": "{}"}


def test_the_stack_trace_hook_exists_and_is_restored(tmp_path):
    from pulumi.runtime import resource

    original = resource._get_stack_trace
    assert callable(original)
    main = _program(tmp_path, "import pulumi_kubernetes as k8s\nk8s.core.v1.Namespace('ns', metadata={'name': 'ns'})\n")
    _sdk.run_program(main, project="p", stack="s", config={})
    assert resource._get_stack_trace is original


def test_a_run_after_a_failed_program_completes(tmp_path):
    """A program that fails leaves tasks behind; the next run in the process neither waits on them nor
    reports their errors (each run has its own event loop and its own set of Outputs to wait for)."""
    bad = _program(tmp_path, "import pulumi_kubernetes as k8s\nk8s.core.v1.Namespace('ns', metadata={'name': 'ns'})\nraise RuntimeError('boom')\n")
    with pytest.raises(RuntimeError, match="boom"):
        _sdk.run_program(bad, project="p", stack="s", config={})
    good = tmp_path / "good.py"
    good.write_text("import pulumi_kubernetes as k8s\nk8s.core.v1.Namespace('ns', metadata={'name': 'ns'})\n")
    assert len(_sdk.run_program(good, project="p", stack="s", config={}).registrations) == 1


def test_a_run_after_a_component_refused_outside_any_run_completes():
    """What a unit test does (a component refused under set_mocks, with its registration in flight) must
    not hang an evaluation later in the same process."""
    from clusterstack.components import TenantNamespace, TenantNamespaceArgs
    from clusterstack.testing import set_mocks

    set_mocks()
    with pytest.raises(ValueError, match="DNS-1123 label"):
        TenantNamespace("Payments", TenantNamespaceArgs())
    run = _sdk.run(lambda: TenantNamespace("payments", TenantNamespaceArgs()), project="p", stack="s", config={})
    assert sorted(r.type for r in run.registrations) == ["clusterstack:tenant:TenantNamespace", "kubernetes:core/v1:Namespace"]


def test_the_settings_the_runs_reset_exist():
    from pulumi.runtime import settings

    assert isinstance(settings.SETTINGS.outputs, set)
    assert hasattr(settings.SETTINGS, "rpc_manager")


def test_exported_outputs_are_resolved_however_deep(tmp_path):
    """A map of lists of Outputs (staging's loadBalancers export is a map of Outputs) comes back as plain values."""
    main = _program(
        tmp_path,
        """
        import pulumi
        import pulumi_kubernetes as k8s
        ns = k8s.core.v1.Namespace("ns", metadata={"name": "ns"})
        pulumi.export("deep", {"a": [ns.metadata.name, {"b": ns.metadata.name.apply(str.upper)}], "c": pulumi.Output.from_input(1)})
        """,
    )
    for path in ("fast", "sdk"):
        assert _sdk.run_program(main, project="p", stack="s", config={}, path=path).outputs == {"deep": {"a": ["ns", {"b": "NS"}], "c": 1}}


def test_the_internals_the_fast_path_uses_are_as_it_expects():
    """clusterstack/program/_sdk/fast.py stands in for these; a change to any of them fails here by name."""
    import inspect

    from pulumi import _types
    from pulumi.output import _OutputData
    from pulumi.resource import ComponentResource, Resource
    from pulumi.runtime import mocks, rpc, settings
    from pulumi.runtime import resource as runtime_resource

    assert list(inspect.signature(Resource.__init__).parameters) == ["self", "t", "name", "custom", "props", "opts", "remote", "dependency", "package_ref"]
    assert list(_OutputData.__dataclass_fields__) == ["resources", "value", "is_known", "is_secret"]
    assert "_data" in pulumi.Output.__annotations__, "an Output's state is one future, _data"
    assert list(inspect.signature(rpc.translate_output_properties).parameters) == [
        "output", "output_transformer", "typ", "transform_using_type_metadata", "path", "return_none_on_dict_type_mismatch"
    ]
    for name in ("input_type_py_to_pulumi_names", "input_type_to_untranslated_dict", "input_type_to_dict", "resource_types", "resource_pulumi_to_py_names", "is_input_type"):
        assert callable(getattr(_types, name)), name
    assert rpc._special_sig_key == "4dabf18193072939515e22adb298388d"
    assert rpc.UNKNOWN == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    assert callable(runtime_resource._pkg_from_type)
    assert callable(settings._get_rpc_manager)
    assert mocks.MockMonitor.ResourceRegistration._fields == ("urn", "id", "state")
    assert inspect.getsource(ComponentResource.register_outputs).count("register_resource_outputs(") == 1
    assert "register_resource(" in inspect.getsource(Resource.__init__), "Resource.__init__ registers through register_resource"


def test_replace_on_changes_reaches_the_monitor_translated_as_the_sdk_translates_it(tmp_path):
    """register_resource sends replaceOnChanges after _translate_replace_on_changes: a whole path that is a
    Python name of the resource's input type becomes its Pulumi name; others are sent as written. The
    fast path copies this (taking.replace_on_changes), so the SDK's own path is what is pinned here."""
    main = _program(
        tmp_path,
        """
        import pulumi
        import pulumi_kubernetes as k8s
        k8s.scheduling.v1.PriorityClass("high", metadata={"name": "high"}, value=10,
                                        opts=pulumi.ResourceOptions(replace_on_changes=["value", "preemption_policy", "metadata.labels", "*"]))
        """,
    )
    [registration] = _sdk.run_program(main, project="p", stack="s", config={}, path="sdk").registrations
    assert registration.replace_on_changes == ("value", "preemptionPolicy", "metadata.labels", "*")
