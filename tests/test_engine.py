"""The embedded engine end to end, as a user drives it: preview, up, saved plans, drift, destroy,
state commands; and real processes killed mid-apply or racing for the lock."""

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml
from click.testing import CliRunner

from clusterstack.cli import cli
from clusterstack.cli.progress import Progress
from clusterstack.engine.store import StateStore

DEV = """\
config:
  clusterstack:namespaces:
    payments:
      labels: {team: payments}
      quota: {requests.cpu: "1", pods: "10"}
      limits: {container: {defaultRequest: {cpu: 100m}, default: {cpu: 500m}}}
    checkout:
      quota: {pods: "5"}
"""


def cs(root, *args, input=None):
    result = CliRunner().invoke(cli, ["--project-dir", str(root), *args], input=input)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


@pytest.fixture
def project(make_project):
    return make_project({"dev": DEV, "prod": DEV})


def edit(root, old, new, stack="dev"):
    path = root / "stacks" / f"Pulumi.{stack}.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_the_whole_workflow(project):
    first = cs(project, "preview", "-s", "dev")
    assert first.exit_code == 0
    assert first.output.rstrip().endswith("Plan: 5 to add, 0 to change, 0 to destroy.")
    assert "+ Namespace payments" in first.output
    assert "TenantNamespace platform/payments" in first.output
    assert cs(project, "preview", "-s", "dev", "--detailed-exitcode").exit_code == 2

    applied = cs(project, "up", "-s", "dev", "--yes")
    assert applied.exit_code == 0, applied.output
    assert re.search(r"Apply complete! Resources: 5 added, 0 changed, 0 destroyed in \d+\.\ds\. Target: directory ", applied.output)
    deploy = project / "deploy" / "dev"
    kustomization = yaml.safe_load((deploy / "kustomization.yaml").read_text())
    assert kustomization["resources"][:2] == ["namespace--checkout.yaml", "namespace--payments.yaml"]
    assert sorted(kustomization["resources"]) == sorted(p.name for p in deploy.iterdir() if p.name not in ("kustomization.yaml", ".clusterstack-target"))

    again = cs(project, "preview", "-s", "dev", "--detailed-exitcode")
    assert (again.exit_code, again.output.strip()) == (0, "No changes.")

    edit(project, 'requests.cpu: "1"', 'requests.cpu: "1000m"')  # same value, other spelling
    assert cs(project, "preview", "-s", "dev", "--detailed-exitcode").exit_code == 0

    edit(project, 'pods: "10"', 'pods: "12"')
    changed = cs(project, "preview", "-s", "dev", "--detailed-exitcode")
    assert changed.exit_code == 2
    assert [line.strip() for line in changed.output.splitlines() if line.startswith("      ")] == ['spec.hard.pods: "10" → "12"']
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in changed.output

    saved = cs(project, "preview", "-s", "dev", "--out", str(project / "plan.json"))
    assert "Saved the plan" in saved.output
    assert cs(project, "up", "-s", "dev", "--plan", str(project / "plan.json")).exit_code == 0
    assert yaml.safe_load((deploy / "resourcequota--payments--tenant-quota.yaml").read_text())["spec"]["hard"]["pods"] == "12"

    stale = cs(project, "up", "-s", "dev", "--plan", str(project / "plan.json"))
    assert stale.exit_code == 1
    assert "stale" in stale.output
    assert cs(project, "preview", "-s", "dev", "--detailed-exitcode").exit_code == 0


def test_a_plan_made_from_empty_state_applies_once(project):
    cs(project, "preview", "-s", "dev", "--out", str(project / "first.json"))
    assert json.loads((project / "first.json").read_text())["state"]["existed"] is False
    assert cs(project, "up", "-s", "dev", "--plan", str(project / "first.json")).exit_code == 0
    second = cs(project, "up", "-s", "dev", "--plan", str(project / "first.json"))
    assert second.exit_code == 1
    assert "stale: it was made before stack dev had state" in second.output


def test_a_plan_for_another_stack_is_refused(project):
    cs(project, "preview", "-s", "prod", "--out", str(project / "prod.json"))
    refused = cs(project, "up", "-s", "dev", "--plan", str(project / "prod.json"))
    assert refused.exit_code == 1
    assert "the plan is for stack prod, not dev; it is refused" in refused.output
    assert not (project / "deploy" / "dev").exists()


def test_up_without_a_terminal_or_yes_refuses_and_writes_nothing(project):
    refused = cs(project, "up", "-s", "dev")
    assert refused.exit_code == 1
    assert "error: no terminal to confirm on: pass --yes, or apply a saved plan with --plan" in refused.output
    assert not (project / "deploy").exists()
    assert not (project / ".clusterstack" / "dev.json").exists()
    assert not (project / ".clusterstack" / "dev.lock").exists()


def test_deleting_a_namespace_needs_the_flag(project):
    cs(project, "up", "-s", "dev", "--yes")
    edit(project, '    checkout:\n      quota: {pods: "5"}\n', "")
    refused = cs(project, "up", "-s", "dev", "--yes")
    assert refused.exit_code == 1
    assert "UNSAFE: deletes namespace(s) checkout" in refused.output
    assert "error: the plan deletes namespace(s) checkout" in refused.output
    assert (project / "deploy" / "dev" / "namespace--checkout.yaml").exists()
    allowed = cs(project, "up", "-s", "dev", "--yes", "--allow-namespace-deletion")
    assert allowed.exit_code == 0
    assert "- ResourceQuota checkout/tenant-quota: deleted" in allowed.output
    assert allowed.output.index("ResourceQuota checkout/tenant-quota: deleted") < allowed.output.index("Namespace checkout: deleted")
    assert not (project / "deploy" / "dev" / "namespace--checkout.yaml").exists()


def test_drift_is_found_by_refresh_and_restored_by_up(project):
    cs(project, "up", "-s", "dev", "--yes")
    deploy = project / "deploy" / "dev"
    quota = deploy / "resourcequota--payments--tenant-quota.yaml"
    quota.write_text(quota.read_text().replace("pods: '10'", "pods: '99'"))
    (deploy / "limitrange--payments--tenant-limits.yaml").unlink()

    planned = cs(project, "preview", "-s", "dev", "--detailed-exitcode")  # preview reads the target back first
    assert planned.exit_code == 2
    assert "modified: ResourceQuota payments/tenant-quota" in planned.output
    assert "deleted: LimitRange payments/tenant-limits" in planned.output
    assert 'spec.hard.pods: "99" → "10"' in planned.output
    assert "+ LimitRange payments/tenant-limits" in planned.output
    assert cs(project, "preview", "-s", "dev", "--refresh=false", "--detailed-exitcode").exit_code == 0  # state alone says all is well

    restored = cs(project, "up", "-s", "dev", "--yes")  # up reads the target back too, and restores it
    assert restored.exit_code == 0, restored.output
    assert "Drift found by refresh" in restored.output
    assert "pods: '10'" in quota.read_text()
    assert (deploy / "limitrange--payments--tenant-limits.yaml").exists()
    assert cs(project, "refresh", "-s", "dev").output.strip() == "No drift: the target matches state."
    assert cs(project, "preview", "-s", "dev", "--detailed-exitcode").exit_code == 0


def test_up_restores_files_replaced_by_garbage_and_says_what_to_do_about_a_directory(project):
    cs(project, "up", "-s", "dev", "--yes")
    deploy = project / "deploy" / "dev"
    quota = deploy / "resourcequota--payments--tenant-quota.yaml"
    quota.write_bytes(bytes(range(256)))  # binary garbage
    restored = cs(project, "up", "-s", "dev", "--yes")
    assert restored.exit_code == 0, restored.output
    assert "modified: ResourceQuota payments/tenant-quota" in restored.output
    assert "kind: ResourceQuota" in quota.read_text()
    quota.unlink()
    quota.mkdir()
    blocked = cs(project, "up", "-s", "dev", "--yes")
    assert blocked.exit_code == 1
    assert f"error: {quota} is a directory, where clusterstack keeps a file of its target; move it away, then run up again" in blocked.output
    quota.rmdir()
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    assert cs(project, "preview", "-s", "dev", "--detailed-exitcode").exit_code == 0


def test_destroy_removes_everything_behind_the_guard(project):
    cs(project, "up", "-s", "dev", "--yes")
    assert cs(project, "destroy", "-s", "dev", "--yes").exit_code == 1
    destroyed = cs(project, "destroy", "-s", "dev", "--yes", "--allow-namespace-deletion")
    assert destroyed.exit_code == 0
    assert "0 added, 0 changed, 5 destroyed" in destroyed.output
    assert not (project / "deploy" / "dev").exists()
    assert cs(project, "state", "list", "-s", "dev").output == ""
    assert cs(project, "preview", "-s", "dev").output.rstrip().endswith("Plan: 5 to add, 0 to change, 0 to destroy.")


def test_json_and_full_diff_output(project):
    cs(project, "up", "-s", "dev", "--yes")
    edit(project, 'pods: "5"', 'pods: "6"')
    document = json.loads(cs(project, "preview", "-s", "dev", "--json").output)
    [change] = document["changes"]
    assert (change["action"], change["identity"], change["component"]) == ("update", "ResourceQuota checkout/tenant-quota", "TenantNamespace platform/checkout")
    assert change["fields"] == [{"path": "spec.hard.pods", "keys": ["spec", "hard", "pods"], "before": "5", "after": "6"}]
    assert document["summary"] == {"add": 0, "change": 1, "destroy": 0, "unchanged": 4}
    full = cs(project, "preview", "-s", "prod", "--diff").output
    assert "      + apiVersion: v1" in full


def test_state_commands_and_the_state_dir_override(project, tmp_path, monkeypatch):
    elsewhere = tmp_path / "state-elsewhere"
    monkeypatch.setenv("CLUSTERSTACK_STATE_DIR", str(elsewhere))
    cs(project, "up", "-s", "dev", "--yes")
    assert (elsewhere / "dev.json").exists()
    assert not (project / ".clusterstack").exists()
    listing = cs(project, "state", "list", "-s", "dev").output.splitlines()
    assert listing[0] == "Namespace checkout  [TenantNamespace platform/checkout]"
    assert len(listing) == 5
    summary = json.loads(cs(project, "state", "show", "-s", "dev").output)
    assert summary["objects"] == 5
    assert summary["serial"] == 5
    shown = cs(project, "state", "show", "-s", "dev", "ResourceQuota payments/tenant-quota").output
    assert shown.startswith("# ResourceQuota payments/tenant-quota  [TenantNamespace platform/payments]")
    assert "pods: '10'" in shown
    assert cs(project, "state", "unlock", "-s", "dev").output.strip() == "Stack dev is not locked."
    (elsewhere / "dev.lock").write_text(json.dumps({"pid": 1, "host": "another-host", "time": "t", "operation": "up"}))
    blocked = cs(project, "up", "-s", "dev", "--yes")
    assert blocked.exit_code == 1
    assert "locked by pid 1 on another-host (up, since t); if that run is over, remove the lock" in blocked.output
    assert "Removed the lock" in cs(project, "state", "unlock", "-s", "dev", "--yes").output
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    (elsewhere / "dev.lock").write_text(json.dumps({"pid": 2**22 + 7, "host": os.uname().nodename, "time": "t", "operation": "up"}))
    taken = cs(project, "up", "-s", "dev", "--yes")
    assert taken.exit_code == 0, taken.output
    assert f"warning: took over the lock of pid {2**22 + 7} on {os.uname().nodename} (up, since t): that run ended without releasing it" in taken.output


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed, so kustomize cannot be run on the target")
def test_kubectl_kustomize_builds_the_target(project):
    cs(project, "up", "-s", "dev", "--yes")
    built = subprocess.run(["kubectl", "kustomize", str(project / "deploy" / "dev")], check=False, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    assert [doc["kind"] for doc in yaml.safe_load_all(built.stdout)].count("Namespace") == 2


# --- Real processes ----------------------------------------------------------------------------


@pytest.fixture
def big_project(make_project):
    namespaces = {f"team-{i:03d}": {"quota": {"pods": "10"}, "limits": {"pod": {"max": {"cpu": "2"}}}} for i in range(150)}
    return make_project({"big": {"config": {"clusterstack:namespaces": namespaces}}})


# The CLI with a slow target (each object takes APPLY_DELAY seconds) and, when GATE names a file, a
# plan that waits for that file: so a test can act mid-apply, or while the lock is held, however
# fast the engine is.
_INSTRUMENTED_CLI = """
import os, sys, time
from pathlib import Path
from clusterstack.engine import run, target

apply, make_plan = target.DirectoryTarget.apply, run.make_plan
delay, gate = float(os.environ.get("APPLY_DELAY", "0")), os.environ.get("GATE")

def slow_apply(self, changes, held):
    for change in apply(self, changes, held):
        time.sleep(delay)
        yield change

def gated_plan(*args, **kwargs):
    while gate and not Path(gate).exists():
        time.sleep(0.01)
    return make_plan(*args, **kwargs)

target.DirectoryTarget.apply, run.make_plan = slow_apply, gated_plan
from clusterstack.cli import main
sys.argv[0] = "clusterstack"
main()
"""


def _up(root, *extra, apply_delay=0.005, gate=None):
    environment = {**os.environ, "APPLY_DELAY": str(apply_delay), **({"GATE": str(gate)} if gate else {})}
    return subprocess.Popen(
        [sys.executable, "-c", _INSTRUMENTED_CLI, "--project-dir", str(root), "up", "-s", "big", "--yes", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=environment,
    )


def _wait_for(predicate, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return False


def _journal_lines(root) -> int:
    try:
        return (root / ".clusterstack" / "big.journal").read_text().count("\n")
    except FileNotFoundError:
        return 0


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_an_up_killed_mid_apply_leaves_loadable_state_and_the_next_up_converges(big_project, sig):
    process = _up(big_project)
    try:
        assert _wait_for(lambda: _journal_lines(big_project) >= 20), "up never started applying"
        process.send_signal(sig)
        process.wait(timeout=60)
    finally:
        process.kill()
    state = StateStore(big_project / ".clusterstack", "big").load()
    assert 20 <= len(state.entries) < 450, "the kill did not land mid-apply"
    deploy = big_project / "deploy" / "big"
    from clusterstack.engine.layout import file_name

    for key, entry in state.entries.items():  # everything recorded was applied
        assert yaml.safe_load((deploy / file_name(key)).read_text()) == entry.manifest
    if sig == signal.SIGTERM:
        assert not (big_project / ".clusterstack" / "big.lock").exists()  # SIGTERM unwinds and releases the lock
    finished = cs(big_project, "up", "-s", "big", "--yes")
    assert finished.exit_code == 0, finished.output
    if sig == signal.SIGKILL:  # the killed run's lock: its holder is provably gone, so the next run takes it over
        assert f"warning: took over the lock of pid {process.pid} on " in finished.output
    assert cs(big_project, "preview", "-s", "big", "--detailed-exitcode").exit_code == 0
    assert len(StateStore(big_project / ".clusterstack", "big").load().entries) == 450


def test_a_second_up_fails_at_once_naming_the_first(big_project, tmp_path):
    gate = tmp_path / "go"
    first = _up(big_project, gate=gate)  # holds the lock until the gate opens
    try:
        assert _wait_for((big_project / ".clusterstack" / "big.lock").exists)
        second = subprocess.run(
            [sys.executable, "-m", "clusterstack", "--project-dir", str(big_project), "up", "-s", "big", "--yes"],
            check=False, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120,
        )
        assert second.returncode == 1
        assert f"error: the state of stack big is locked by pid {first.pid} on " in second.stderr
        assert "(up, since " in second.stderr
    finally:
        gate.touch()
        first.wait(timeout=300)
    assert first.returncode == 0, first.stderr


def _snapshot(*directories):
    """Every file under the directories, with its modification time and content."""
    return {
        path: (path.stat().st_mtime_ns, path.read_bytes())
        for directory in directories
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_a_no_change_up_writes_nothing(project):
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    before = _snapshot(project / "deploy", project / ".clusterstack")
    again = cs(project, "up", "-s", "dev", "--yes")
    assert (again.exit_code, again.output.strip()) == (0, "No changes.")
    assert _snapshot(project / "deploy", project / ".clusterstack") == before


def test_an_up_rewrites_only_the_files_that_change(project):
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    deploy = project / "deploy" / "dev"
    before = _snapshot(deploy)
    edit(project, 'quota: {pods: "5"}', 'quota: {pods: "6"}')
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    after = _snapshot(deploy)
    assert set(after) == set(before)
    assert [path.name for path in after if after[path] != before[path]] == ["resourcequota--checkout--tenant-quota.yaml"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_drawn_on_a_terminal_under_the_log_lines():
    terminal = _Terminal()
    progress = Progress(3, "applying", stream=terminal, interval=0)
    for step in range(3):
        progress.step(f"+ object {step}: created")
    progress.close()
    drawn = terminal.getvalue()
    assert "applying 1/3 (33%)" in drawn
    assert "applying 3/3 (100%)" in drawn
    assert drawn.endswith("\r\x1b[K"), "the progress line is taken away at the end"


def test_no_progress_line_when_stderr_is_not_a_terminal(project):
    result = cs(project, "up", "-s", "dev", "--yes")
    assert "applying" not in result.stderr
    assert "\x1b[K" not in result.output


def test_a_target_file_hand_edited_into_a_tag_yaml_cannot_read_is_drift(project):
    cs(project, "up", "-s", "dev", "--yes")
    quota = project / "deploy" / "dev" / "resourcequota--payments--tenant-quota.yaml"
    quota.write_text(quota.read_text().replace("pods: '10'", "pods: !!int ten"))
    planned = cs(project, "preview", "-s", "dev", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    assert "ResourceQuota payments/tenant-quota" in planned.output
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    assert "pods: '10'" in quota.read_text()


@pytest.mark.parametrize("command", [["admit", "-s", "dev", "-f"], ["import", "-s", "dev", "--print", "--from"], ["preview", "-s", "dev", "--live"]])
def test_a_manifest_with_a_tag_yaml_cannot_read_is_an_error_not_a_traceback(project, command):
    manifest = project / "bad.yaml"
    manifest.write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels: {x: !!bool maybe}\n")
    result = cs(project, *command, str(manifest))
    assert result.exit_code == 1
    assert "'maybe' is not a !!bool value" in result.output
