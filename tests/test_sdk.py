"""The Pulumi SDK internals clusterstack relies on (all used in clusterstack/_sdk.py) still behave as assumed.

If an SDK upgrade breaks one of these, this file says which, and _sdk.py is the only place to mend.
"""

import contextvars
import textwrap

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
