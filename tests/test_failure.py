"""A failing program, as its author meets it (issue 19, issue 20): the exception's type and message at
the user's own file and line, with the source line, on both evaluation paths; the whole traceback
with --debug; sys.exit in the program is an error, never the command's exit code; what the program
prints goes to stderr, so render and --json stay machine-readable; Args and dns= mistakes name the
component; messages keep their advice whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from clusterstack.cli import cli
from clusterstack.components import TenantNamespace
from clusterstack.components.model import ArgsError
from clusterstack.errors import Problem, cut_long_values
from clusterstack.testing import run

TYPO = """\
import pulumi_kubernetes as k8s

from tenants import TEAMS

for team in TEAMS:
    k8s.core.v1.ResourceQuota(team["name"], metadata={"name": "q", "namespace": team["name"]}, spec={"hard": {"cpu": team["cpus"]}})
"""
TENANTS = 'TEAMS = [{"name": "shop", "cpu": "2"}]\n'


def _project(tmp_path: Path, program: str, **modules: str) -> Path:
    root = tmp_path / "p"
    (root / "stacks").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: p\nruntime: python\nstackConfigDir: stacks\n")
    (root / "stacks" / "Pulumi.dev.yaml").write_text("config:\n  kubernetes:context: dev\n")
    (root / "__main__.py").write_text(program)
    for name, text in modules.items():
        (root / f"{name}.py").write_text(text)
    return root


def _cli(root: Path, *args: str, debug: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CLUSTERSTACK_DEBUG"}
    argv = [sys.executable, "-m", "clusterstack", "--project-dir", str(root), *(["--debug"] if debug else []), *args]
    return subprocess.run(argv, capture_output=True, text=True, check=False, env=env, timeout=300)


@pytest.mark.parametrize("path", ["fast", "sdk"])
def test_a_typo_in_the_program_names_its_file_line_and_exception_type(tmp_path, monkeypatch, path):
    monkeypatch.setenv("CLUSTERSTACK_EVAL", path)
    root = _project(tmp_path, TYPO, tenants=TENANTS)
    result = CliRunner().invoke(cli, ["--project-dir", str(root), "preview", "-s", "dev"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert lines[0] == "error: __main__.py:6: the program failed: KeyError: 'cpus'"
    assert lines[1:3] == ["  __main__.py:6, in <module>", '    k8s.core.v1.ResourceQuota(team["name"], metadata={"name": "q", "namespace": team["name"]}, spec={"hard": {"cpu": team["cpus"]}})']
    assert "--debug" in lines[3]
    assert "runpy" not in result.output
    assert "pulumi" not in result.output.replace("pulumi_kubernetes", "")


def test_a_failure_in_a_module_of_the_users_shows_each_of_their_frames(tmp_path):
    helper = "def quota(team):\n    return {'cpu': team['cpus']}\n"
    # (a module name of its own: the in-process runs of the test suite share sys.modules)
    program = "import pulumi_kubernetes as k8s\nfrom team_quota_helper import quota\n\nspec = quota({'cpu': '1'})\n"
    root = _project(tmp_path, program, team_quota_helper=helper)
    result = CliRunner().invoke(cli, ["--project-dir", str(root), "validate", "-s", "dev"])
    assert result.exit_code == 1
    assert result.output.splitlines()[:5] == [
        "error: team_quota_helper.py:2: the program failed: KeyError: 'cpus'",
        "  __main__.py:4, in <module>",
        "    spec = quota({'cpu': '1'})",
        "  team_quota_helper.py:2, in quota",
        "    return {'cpu': team['cpus']}",
    ]


def test_debug_prints_the_whole_traceback(tmp_path):
    root = _project(tmp_path, TYPO, tenants=TENANTS)
    plain, debugged = _cli(root, "preview", "-s", "dev"), _cli(root, "preview", "-s", "dev", debug=True)
    assert "Traceback" not in plain.stderr
    assert debugged.returncode == plain.returncode == 1
    assert "Traceback (most recent call last)" in debugged.stderr
    assert "KeyError: 'cpus'" in debugged.stderr
    assert "error: __main__.py:6: the program failed: KeyError: 'cpus'" in debugged.stderr


@pytest.mark.parametrize("code", [0, 2, "bye"])
@pytest.mark.parametrize("command", [["preview", "-s", "dev", "--detailed-exitcode"], ["validate", "-s", "dev"], ["up", "-s", "dev", "--yes"]])
def test_sys_exit_in_the_program_is_an_error_whatever_its_code(tmp_path, code, command):
    root = _project(tmp_path, f"import sys\nsys.exit({code!r})\n")
    done = _cli(root, *command)
    assert done.returncode == 1, done
    assert f"error: __main__.py: the program called sys.exit({code!r}) before it finished" in done.stderr
    assert not (root / "deploy").exists()
    assert not (root / ".clusterstack" / "dev.json").exists()


PRINTING = """\
import pulumi
import pulumi_kubernetes as k8s

print("hello from the program")
ns = k8s.core.v1.Namespace("shop", metadata={"name": "shop"})
ns.metadata.apply(lambda m: print("resolved", m["name"]))
pulumi.export("name", "shop")
"""


def test_what_the_program_prints_goes_to_stderr(tmp_path):
    root = _project(tmp_path, PRINTING)
    rendered = _cli(root, "render", "-s", "dev")
    assert rendered.returncode == 0, rendered.stderr
    assert [d["kind"] for d in yaml.safe_load_all(rendered.stdout)] == ["Namespace"]
    assert "hello from the program" in rendered.stderr
    previewed = _cli(root, "preview", "-s", "dev", "--json", "--no-cache")
    assert previewed.returncode == 0, previewed.stderr
    assert json.loads(previewed.stdout)["changes"][0]["action"] == "create"
    assert "hello from the program" in previewed.stderr


def test_args_errors_name_the_component_the_field_and_the_key_meant():
    with pytest.raises(ArgsError) as caught:
        run(lambda: TenantNamespace("b", {"podSecurity": "restricted", "qouta": {"pods": "3"}}))  # type: ignore[arg-type]  # the typo a type checker also sees
    assert str(caught.value) == 'TenantNamespace "b": qouta: unknown key; did you mean quota?'


def test_a_string_for_dns_is_refused_at_the_component_with_what_to_pass():
    with pytest.raises(TypeError) as caught:
        run(lambda: TenantNamespace("b", {"networkPolicy": {"allowDNS": True}}, dns="kube-dns"))  # type: ignore[arg-type]
    assert str(caught.value).startswith('TenantNamespace "b": dns must be a ClusterDns: ClusterDns.kube_dns(), ClusterDns.node_local("169.254.20.10")')
    assert "not the str 'kube-dns'" in str(caught.value)


def test_an_apostrophe_is_not_a_quote_and_advice_is_never_cut():
    from clusterstack.components.network_policy import MISSING_DNS

    assert cut_long_values(MISSING_DNS) == MISSING_DNS
    assert str(Problem("f", "k", MISSING_DNS)).endswith("breaks every lookup")
    long_value = "x" * 300
    assert cut_long_values(f"name '{long_value}' is too long; use at most 63 characters") == (
        f"name '{long_value[:59]}…' (300 characters) is too long; use at most 63 characters"
    )
    assert cut_long_values(f'the node\'s "{long_value}" and the pod\'s') == f'the node\'s "{long_value[:59]}…" (300 characters) and the pod\'s'
