"""The layers hold: the Pulumi program loads no part of the embedded engine, a command reads each stack
file once, the component library registers built-in kinds by their full API group, and the command
line leaves the process as it found it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pulumi
import pytest
from click.testing import CliRunner

from clusterstack.cli import cli
from clusterstack.components.register import resource_class
from clusterstack.stack.files import as_pulumi_config
from tests.conftest import REPO

ENGINE_MODULES = ("deepdiff", "kubernetes_validate", "clusterstack.engine.plan", "clusterstack.engine.state", "clusterstack.engine.store", "clusterstack.engine.target", "clusterstack.cli")


def _fresh(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_program_loads_no_part_of_the_engine():
    """What ``pulumi up`` runs: the program's loader and the components, and nothing the embedded engine needs."""
    loaded = json.loads(
        _fresh(
            "import json, sys; from clusterstack.program import stack_args; from clusterstack.components import ClusterPlatform; "
            "print(json.dumps(sorted(sys.modules)))"
        )
    )
    assert "clusterstack.program.loader" in loaded
    assert "clusterstack.components.platform" in loaded
    assert [name for name in ENGINE_MODULES if name in loaded] == []


def test_running_the_program_under_pulumi_loads_no_part_of_the_engine():
    """The whole of ``__main__.py`` on the prod stack, given its config as the Pulumi CLI's language host
    gives it (PULUMI_CONFIG), under the SDK's mocks."""
    import os

    import yaml

    config = yaml.safe_load((REPO / "stacks" / "Pulumi.prod.yaml").read_text())["config"]
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PULUMI_")}
    environment["PULUMI_CONFIG"] = json.dumps(as_pulumi_config(config))  # strings as they are, the rest as JSON
    done = subprocess.run(
        [sys.executable, "-c", _RUN_UNDER_MOCKS, str(REPO / "__main__.py")],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=120, env=environment,
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert "clusterstack.components.tenant" in loaded
    assert "clusterstack.components.nodelocaldns" in loaded
    assert [name for name in ENGINE_MODULES if name in loaded] == []


_RUN_UNDER_MOCKS = """
import json, runpy, sys
import pulumi

class Echo(pulumi.runtime.Mocks):
    def new_resource(self, args):
        return args.name, dict(args.inputs)
    def call(self, args):
        return {}, None

pulumi.runtime.set_mocks(Echo(), project="clusterstack", stack="prod", preview=False)
runpy.run_path(sys.argv[1], run_name="__main__")
print(json.dumps(sorted(sys.modules)))
"""


def test_a_preview_reads_each_stack_file_once():
    """Read once, validated once, handed down: the engine gives the program the spec it validated."""
    code = (
        "import collections, json, os, sys\n"
        "opened = collections.Counter()\n"
        "def audit(event, args):\n"
        "    if event == 'open' and isinstance(args[0], str) and os.path.basename(args[0]).endswith('.yaml'):\n"
        "        opened[os.path.relpath(args[0])] += 1\n"
        "sys.addaudithook(audit)\n"
        "from clusterstack.cli import cli\n"
        "try:\n"
        "    cli(['--state-dir', sys.argv[1], 'preview', '-s', 'prod'], prog_name='clusterstack')\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "print(json.dumps(opened), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, "/nonexistent-state"], cwd=REPO, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    opened = json.loads(done.stderr.strip().splitlines()[-1])
    assert opened["stacks/common.yaml"] == 1
    assert opened["stacks/Pulumi.prod.yaml"] == 1


@pytest.mark.parametrize(
    ("api_version", "kind", "module"),
    [
        ("v1", "Namespace", "pulumi_kubernetes.core.v1"),
        ("apps/v1", "Deployment", "pulumi_kubernetes.apps.v1"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "pulumi_kubernetes.rbac.v1"),
        ("networking.k8s.io/v1", "NetworkPolicy", "pulumi_kubernetes.networking.v1"),
        ("policy/v1", "PodDisruptionBudget", "pulumi_kubernetes.policy.v1"),
    ],
)
def test_built_in_kinds_register_as_their_pulumi_kubernetes_class(api_version, kind, module):
    found = resource_class(api_version, kind)
    assert found is not None
    assert (found.__module__.rpartition(".")[0], found.__name__) == (module, kind)


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("apps.example.com/v1", "Deployment"),  # a custom group whose first segment is a built-in one
        ("networking.example.io/v1alpha1", "NetworkPolicy"),
        ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ],
)
def test_custom_groups_are_custom_resources_whatever_their_first_segment(api_version, kind):
    assert resource_class(api_version, kind) is None


@pulumi.runtime.test
def test_a_custom_group_registers_with_its_own_type_token(pulumi_mocks):
    from clusterstack.components.register import register_object

    resource = register_object(
        {"apiVersion": "apps.example.com/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"size": 2}},
        pulumi.ResourceOptions(),
        "web",
    )

    def check(_):
        [registered] = pulumi_mocks.recording().resources
        assert registered.type == "kubernetes:apps.example.com/v1:Deployment"
        assert registered.inputs["spec"] == {"size": 2}

    return resource.urn.apply(check)


def test_up_leaves_the_sigterm_handler_as_it_found_it(make_project, tmp_path):
    root = make_project({"dev": {"config": {"clusterstack:namespaces": {"team": {}}}}})
    before = signal.getsignal(signal.SIGTERM)
    result = CliRunner().invoke(cli, ["--project-dir", str(root), "--state-dir", str(tmp_path / "state"), "up", "-s", "dev", "--yes"])
    assert result.exit_code == 0, result.output
    assert signal.getsignal(signal.SIGTERM) is before


HEAVY = ("pulumi", "pulumi_kubernetes", "pydantic", "deepdiff", "kubernetes_validate")


def _loaded_by(args: list[str]) -> set[str]:
    """The top-level packages of HEAVY a ``clusterstack`` command imports, in a fresh interpreter."""
    code = (
        "import json, os, sys\n"
        "os.environ.pop('CLUSTERSTACK_CACHE_DIR', None)\n"
        "from clusterstack.cli import main\n"
        f"sys.argv = ['clusterstack', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))\n"
    )
    return set(json.loads(_fresh(code).splitlines()[-1]))


def test_help_and_stacks_import_nothing_heavy():
    """Start-up: --help and stacks load neither Pulumi nor the models, the differ or the schemas
    (bench/preview.py times them; python -X importtime shows the rest)."""
    assert _loaded_by(["--help"]) == set()
    assert _loaded_by(["stacks"]) == set()


def test_validating_a_stack_loads_no_differ(tmp_path):
    """validate runs the program (Pulumi, the models) and the schemas, never the plan's differ; run
    again on unchanged files, it takes the cached evaluation and loads neither Pulumi nor the models."""
    state = ["--state-dir", str(tmp_path)]
    assert _loaded_by([*state, "validate", "-s", "dev"]) == {"pulumi", "pulumi_kubernetes", "pydantic", "kubernetes_validate"}
    assert _loaded_by([*state, "validate", "-s", "dev"]) == {"kubernetes_validate"}


def test_a_cached_preview_loads_neither_pulumi_nor_the_models(tmp_path):
    state = ["--state-dir", str(tmp_path)]
    assert "pulumi" in _loaded_by([*state, "preview", "-s", "prod"])
    assert _loaded_by([*state, "preview", "-s", "prod"]) == set()
