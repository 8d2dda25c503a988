"""Saved plans apply exactly as reviewed or not at all: ``up --plan`` evaluates the program and plans
again, and refuses, naming what differs, a plan edited by hand (even with its content digest made
to match, as a deliberate editor would), truncated, made in another project or for another stack,
stale, or made before the program or the target changed; and ``preview --out`` never leaves a
previous plan half-written, whatever stops it."""

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from clusterstack.engine import saved
from clusterstack.engine.store import StateStore
from clusterstack.errors import ClusterstackError
from tests.test_engine import DEV, cs, edit


@pytest.fixture
def project(make_project):
    return make_project({"dev": DEV, "prod": DEV})


def _applied(project):
    """The target's files and the state's serial: what a refused plan must leave exactly as it was."""
    deploy = project / "deploy" / "dev"
    files = {p.name: p.read_bytes() for p in sorted(deploy.iterdir())} if deploy.exists() else {}
    state = StateStore(project / ".clusterstack", "dev").load()
    return files, (state.lineage, state.serial) if state is not None else None


def _rewrite(path, change, *, digest=True):
    """Edit a saved plan as a person would; with ``digest``, as a deliberate one, who also makes its
    content digest match again."""
    document = json.loads(path.read_text())
    change(document)
    if digest:
        document["digest"] = saved._digest({k: v for k, v in document.items() if k != "digest"})
    path.write_text(json.dumps(document, indent=1))


def _update_of(document, kind):
    [found] = [c for c in document["changes"] if c["key"]["kind"] == kind]
    return found


@pytest.fixture
def reviewed(project):
    """dev applied, then a change to review: payments' pod quota 10 -> 12, saved to dev.plan."""
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    edit(project, 'pods: "10"', 'pods: "12"')
    result = cs(project, "preview", "-s", "dev", "--out", str(project / "dev.plan"))
    assert result.exit_code == 0, result.output
    return project / "dev.plan"


def test_a_saved_plan_records_what_it_is_bound_to_and_applies_as_reviewed(project, reviewed):
    document = json.loads(reviewed.read_text())
    assert set(document) == {"format", "project", "stack", "state", "refresh", "evaluation", "changes", "digest"}
    assert document["project"] == {"name": "clusterstack", "root": saved._digest(str(project.resolve()))}
    assert (document["stack"], document["refresh"]) == ("dev", True)
    assert document["state"]["existed"] is True
    assert document["evaluation"].startswith("sha256:")
    assert reviewed.stat().st_mode & 0o777 == 0o600
    applied = cs(project, "up", "-s", "dev", "--plan", str(reviewed))
    assert applied.exit_code == 0, applied.output
    assert 'spec.hard.pods: "10" → "12"' in applied.output
    quota = yaml.safe_load((project / "deploy" / "dev" / "resourcequota--payments--tenant-quota.yaml").read_text())
    assert quota["spec"]["hard"]["pods"] == "12"


def _change_a_value(document):
    _update_of(document, "ResourceQuota")["after"]["spec"]["hard"]["pods"] = "9999"


def _append_cluster_admin(document):
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "everyone-admin"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"}],
    }
    document["changes"].append(
        {
            "action": "create", "key": {"group": "rbac.authorization.k8s.io", "kind": "ClusterRoleBinding", "namespace": "", "name": "everyone-admin"},
            "identity": "ClusterRoleBinding everyone-admin", "component": "(program)", "before": None, "after": binding, "fields": [],
            "replaceReasons": [], "deleteBeforeReplace": False, "patch": False, "deletion": "delete", "replacedDeletion": None,
        }
    )  # fmt: skip


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (_change_a_value, "ResourceQuota payments/tenant-quota: spec.hard.pods differs from the plan file"),
        (_append_cluster_admin, "ClusterRoleBinding.rbac.authorization.k8s.io everyone-admin: the plan file has a create of it, now there is none"),
    ],
)
@pytest.mark.parametrize("digest", [False, True], ids=["careless-editor", "deliberate-editor"])
def test_a_hand_edited_plan_is_refused_naming_what_differs_and_writes_nothing(project, reviewed, change, named, digest):
    before = _applied(project)
    _rewrite(reviewed, change, digest=digest)
    refused = cs(project, "up", "-s", "dev", "--plan", str(reviewed))
    assert refused.exit_code == 1
    if digest:
        assert "refused: the plan file differs from the plan made again now (it was edited, or the target changed since preview read it)" in refused.output
        assert named in refused.output, refused.output
    else:
        assert "the plan was changed after preview wrote it (its content digest does not match); it is refused" in refused.output
    assert refused.output.count("\n") == 1, refused.output  # one line, and no plan printed as if it would apply
    assert _applied(project) == before
    assert not (project / ".clusterstack" / "dev.lock").exists()


def test_a_protected_namespace_stays_protected_whatever_the_plan_file_says(make_project):
    project = make_project({"dev": DEV.replace("config:\n", "config:\n  clusterstack:namespaceDeletion: protect\n")})
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    edit(project, '    checkout:\n      quota: {pods: "5"}\n', "")
    plan_file = project / "dev.plan"
    preview = cs(project, "preview", "-s", "dev", "--out", str(plan_file))
    assert "REFUSED" in preview.output

    def release(document):
        for change in document["changes"]:
            change["deletion"] = "delete"

    before = _applied(project)
    _rewrite(plan_file, release)
    refused = cs(project, "up", "-s", "dev", "--plan", str(plan_file), "--allow-namespace-deletion")
    assert refused.exit_code == 1
    assert "Namespace checkout: deletion: delete in the plan file, protect now" in refused.output
    assert _applied(project) == before
    assert (project / "deploy" / "dev" / "namespace--checkout.yaml").exists()


@pytest.mark.parametrize("keep", [0, 1, 100, -2])
def test_a_truncated_plan_is_refused(project, reviewed, keep):
    data = reviewed.read_bytes()
    reviewed.write_bytes(data[:keep])
    before = _applied(project)
    refused = cs(project, "up", "-s", "dev", "--plan", str(reviewed))
    assert refused.exit_code == 1
    assert f"{reviewed}: not a whole clusterstack plan: " in refused.output
    if keep > 1:
        assert "it is cut short (truncated)" in refused.output
    assert _applied(project) == before


def test_a_plan_made_in_another_project_is_refused(project, reviewed, tmp_path):
    other = tmp_path / "copy"
    shutil.copytree(project, other)
    refused = cs(other, "up", "-s", "dev", "--plan", str(reviewed))
    assert refused.exit_code == 1
    assert "the plan was made in a copy of this project in another directory (project 'clusterstack'), not in project 'clusterstack' at" in refused.output
    (other / "Pulumi.yaml").write_text((other / "Pulumi.yaml").read_text().replace("name: clusterstack", "name: shop"))
    renamed = cs(other, "up", "-s", "dev", "--plan", str(reviewed))
    assert "the plan was made in another project (project 'clusterstack'), not in project 'shop'" in renamed.output


def test_a_plan_for_another_stack_is_refused(project, reviewed):
    refused = cs(project, "up", "-s", "prod", "--plan", str(reviewed))
    assert refused.exit_code == 1
    assert "the plan is for stack dev, not prod; it is refused" in refused.output
    assert not (project / "deploy" / "prod").exists()


def test_a_plan_made_before_the_program_changed_is_refused(project, reviewed):
    edit(project, 'pods: "12"', 'pods: "13"')
    before = _applied(project)
    refused = cs(project, "up", "-s", "dev", "--plan", str(reviewed))
    assert refused.exit_code == 1
    assert "refused: the program or its stack files now declare something else than when the plan was made" in refused.output
    assert "ResourceQuota payments/tenant-quota: spec.hard.pods differs from the plan file" in refused.output
    assert _applied(project) == before


def test_a_plan_made_before_the_target_drifted_is_refused(project, reviewed):
    """preview read the target back (--refresh, the default): up --plan reads it again, and a file
    edited since then makes another plan than the one reviewed."""
    namespace = project / "deploy" / "dev" / "namespace--checkout.yaml"
    namespace.write_text(namespace.read_text().replace("name: checkout", "name: checkout\n  labels: {edited: by-hand}"))
    refused = cs(project, "up", "-s", "dev", "--plan", str(reviewed))
    assert refused.exit_code == 1
    assert "Namespace checkout: the plan file has no change for it, now it is an update" in refused.output


def test_a_stale_plan_is_refused(project, reviewed):
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    refused = cs(project, "up", "-s", "dev", "--plan", str(reviewed))
    assert refused.exit_code == 1
    assert "the plan is stale: it was made from state lineage" in refused.output


# --- Writing a plan ------------------------------------------------------------------------------


def test_a_failed_write_leaves_the_previous_plan_whole_and_no_temporary_file(project, reviewed, monkeypatch):
    previous = reviewed.read_bytes()

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ClusterstackError, match=r"--out .*dev\.plan: cannot write the plan there \(No space left on device\); the previous file, if any, is unchanged"):
        saved.save_plan(reviewed, {"format": 2, "changes": ["x" * 100_000]})
    assert reviewed.read_bytes() == previous
    assert sorted(p.name for p in reviewed.parent.iterdir() if p.name.startswith(".dev.plan")) == []


def _mount_tmpfs(directory: Path, size: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)], check=False, capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip()}): the full disk is covered by the fault-injection test")


def fill(directory: Path) -> None:
    """The file system of ``directory`` full to the last byte."""
    failure = None
    with (directory / "filler").open("wb", buffering=0) as filler:
        while failure is None:
            try:
                filler.write(b"\0" * 512)
            except OSError as error:
                failure = error.errno
    assert failure == errno.ENOSPC


@pytest.fixture
def small_tmpfs(tmp_path):
    directory = tmp_path / "small"
    _mount_tmpfs(directory, "64k")
    yield directory
    subprocess.run(["umount", "-l", str(directory)], check=False)


def test_preview_out_on_a_full_disk_is_one_line_and_keeps_the_previous_plan(project, reviewed, small_tmpfs):
    plan_file = small_tmpfs / "dev.plan"
    shutil.copy(reviewed, plan_file)
    previous = plan_file.read_bytes()
    fill(small_tmpfs)
    edit(project, 'pods: "12"', 'pods: "14"')
    big = 'config:\n  clusterstack:namespaces:\n' + "".join(f"    team-{i:03d}: {{quota: {{pods: '5'}}}}\n" for i in range(40))
    (project / "stacks" / "Pulumi.dev.yaml").write_text(big)
    result = subprocess.run(
        [sys.executable, "-m", "clusterstack", "--project-dir", str(project), "preview", "-s", "dev", "--out", str(plan_file)],
        check=False, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout
    assert result.stderr.strip().splitlines() == [f"error: --out {plan_file}: cannot write the plan there (No space left on device); the previous file, if any, is unchanged"]
    assert plan_file.read_bytes() == previous
    assert sorted(p.name for p in small_tmpfs.iterdir()) == ["dev.plan", "filler"]


# preview --out with os.fsync slowed down while the plan's temporary file is written: so a test can
# signal it exactly in the window where a plain rewrite would have left the old plan 0 bytes.
_SLOW_WRITE = """
import os, sys, time
real = os.fsync
def slow(descriptor):
    if os.readlink(f"/proc/self/fd/{descriptor}").endswith(".tmp") and ".dev.plan." in os.readlink(f"/proc/self/fd/{descriptor}"):
        print("writing", flush=True)
        time.sleep(60)
    real(descriptor)
os.fsync = slow
from clusterstack.cli import main
sys.argv[0] = "clusterstack"
main()
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_preview_out_interrupted_mid_write_leaves_the_previous_plan_whole(project, reviewed, sig):
    previous = reviewed.read_bytes()
    edit(project, 'pods: "12"', 'pods: "14"')
    process = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITE, "--project-dir", str(project), "preview", "-s", "dev", "--out", str(reviewed)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while process.stdout.readline().strip() != "writing":
            assert time.monotonic() < deadline
            assert process.poll() is None, process.stderr.read()
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode != 0
    assert "Traceback" not in stderr, stderr
    assert reviewed.read_bytes() == previous
    leftovers = sorted(p.name for p in reviewed.parent.iterdir() if p.name.startswith(".dev.plan."))
    assert leftovers == ([] if sig != signal.SIGKILL else leftovers)  # only SIGKILL can leave the temporary file
    if sig == signal.SIGKILL:
        assert len(leftovers) == 1
    assert cs(project, "up", "-s", "dev", "--plan", str(reviewed)).exit_code == 1  # the old plan: whole, and no longer what the program gives


def test_a_plan_whose_target_moved_since_preview_is_refused(project, reviewed):
    """Same changes (planned against state alone), another target directory: not what was reviewed."""
    assert cs(project, "preview", "-s", "dev", "--refresh=false", "--out", str(reviewed)).exit_code == 0
    assert json.loads(reviewed.read_text())["refresh"] is False
    (project / "stacks" / "Pulumi.dev.yaml").write_text(DEV.replace('pods: "10"', 'pods: "12"') + "  clusterstack:target: {path: deploy/elsewhere}\n")
    refused = cs(project, "up", "-s", "dev", "--plan", str(reviewed))
    assert refused.exit_code == 1
    assert refused.output.endswith(
        "now declare something else than when the plan was made: its changes are the same, but not what they apply with (the target or the provider settings); "
        f"run clusterstack preview -s dev --out {reviewed} again and review it\n"
    ), refused.output
    assert not (project / "deploy" / "elsewhere").exists()


def test_a_foreign_plan_dressed_as_this_projects_is_refused_by_what_it_would_do(project, reviewed, tmp_path):
    """A copy of the project (same state: same lineage and serial) plans something else; its plan,
    given this project's identity and a matching digest, still is not what this project plans."""
    other = tmp_path / "copy"
    shutil.copytree(project, other)
    edit(other, 'pods: "12"', 'pods: "40"')
    foreign = tmp_path / "foreign.plan"
    assert cs(other, "preview", "-s", "dev", "--out", str(foreign)).exit_code == 0
    here = json.loads(reviewed.read_text())["project"]
    _rewrite(foreign, lambda document: document.update(project=here))
    before = _applied(project)
    refused = cs(project, "up", "-s", "dev", "--plan", str(foreign))
    assert refused.exit_code == 1
    assert "refused: the program or its stack files now declare something else than when the plan was made" in refused.output
    assert "ResourceQuota payments/tenant-quota: spec.hard.pods differs from the plan file" in refused.output
    assert _applied(project) == before
