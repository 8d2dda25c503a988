"""What the directory target owns, as a careless user, a neighbouring stack and a hostile program would
test it (issue 20): the engine writes and deletes only the files it recorded writing, a directory is
one stack's (its claim file), a file or kustomization of the user's where clusterstack would write is
named and nothing is written, file names come from one function that makes neither a path nor a
reserved name nor one too long, and no symlink is followed out of the target. What it writes is
recorded only once durable: a run killed before its sync, or whose sync meets a full disk, records
none of it (a sync failing midway: exactly what was synced before), and the next run takes what it
left (whole files, or the start of one) as its own."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from clusterstack import files
from clusterstack.engine import target as target_module
from clusterstack.engine.store import StateStore
from tests.test_engine import DEV, cs, edit


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


def test_files_and_directories_the_engine_did_not_write_survive_up_and_destroy(make_project):
    project = make_project({"dev": DEV})
    deploy = project / "deploy" / "dev"
    (deploy / "overlays" / "prod").mkdir(parents=True)
    (deploy / "overlays" / "prod" / "kustomization.yaml").write_text("resources: [../..]\n")
    (deploy / "empty").mkdir()
    (deploy / "NOTES.md").write_text("ours\n")
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0  # a no-change up: its clean-up too
    assert cs(project, "destroy", "-s", "dev", "--yes", "--allow-namespace-deletion").exit_code == 0
    assert (deploy / "overlays" / "prod" / "kustomization.yaml").read_text() == "resources: [../..]\n"
    assert (deploy / "empty").is_dir()
    assert (deploy / "NOTES.md").read_text() == "ours\n"
    assert sorted(p.name for p in deploy.iterdir()) == ["NOTES.md", "empty", "overlays"], "the claim and every managed file are gone"


def test_a_users_file_where_a_managed_file_belongs_stops_the_run_before_anything_is_written(make_project):
    project = make_project({"dev": DEV})
    deploy = project / "deploy" / "dev"
    deploy.mkdir(parents=True)
    (deploy / "namespace--payments.yaml").write_text("# the user's own\n")
    (deploy / "kustomization.yaml").write_text("resources: [namespace--payments.yaml]\n")
    before = _tree(deploy)
    refused = cs(project, "up", "-s", "dev", "--yes")
    assert refused.exit_code == 1
    assert f"error: {deploy / 'namespace--payments.yaml'}: a file clusterstack did not write is where Namespace payments belongs" in refused.output
    assert f"error: {deploy / 'kustomization.yaml'}: a kustomization clusterstack did not write is where it keeps its own" in refused.output
    assert _tree(deploy) == before
    assert StateStore(project / ".clusterstack", "dev").load() is None


def test_two_stacks_cannot_share_a_target(make_project):
    shared = "  clusterstack:target: {path: deploy/shared}\n"
    project = make_project({"dev": DEV + shared, "staging": DEV.replace("payments", "orders") + shared})
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    deploy = project / "deploy" / "shared"
    before = _tree(deploy)
    for command in (["up", "-s", "staging", "--yes"], ["destroy", "-s", "staging", "--yes", "--allow-namespace-deletion"]):
        refused = cs(project, *command)
        if command[0] == "destroy":  # staging has no state: nothing to destroy, nothing touched
            assert refused.exit_code == 0
            continue
        assert refused.exit_code == 1
        assert f"is the target of stack 'dev' of project 'clusterstack' ({project.resolve()}), not of this one ('staging'" in refused.output
    assert _tree(deploy) == before
    claim = json.loads((deploy / ".clusterstack-target").read_text())
    assert (claim["project"], claim["stack"]) == ("clusterstack", "dev")


def test_a_tenant_named_kustomization_gets_a_file_of_its_own_in_the_namespace_layout(make_project):
    project = make_project({"dev": "config:\n  clusterstack:target: {layout: namespace}\n  clusterstack:namespaces:\n    kustomization: {quota: {pods: '3'}}\n"})
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    deploy = project / "deploy" / "dev"
    kustomization = yaml.safe_load((deploy / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Kustomization"
    assert "_6bustomization.yaml" in kustomization["resources"]
    assert "kustomization.yaml" not in kustomization["resources"]


PROGRAM = """\
import pulumi
import pulumi_kubernetes as k8s

for index, (namespace, kind, name) in enumerate({objects!r}):
    k8s.apiextensions.CustomResource(
        f"o{{index}}", api_version="example.com/v1", kind=kind, metadata={{"name": name, "namespace": namespace}}, spec={{}}
    )
"""


def _program_project(tmp_path: Path, objects: list[tuple[str, str, str]], target: str) -> Path:
    root = tmp_path / "own"
    (root / "stacks").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: own\nruntime: python\nstackConfigDir: stacks\n")
    (root / "__main__.py").write_text(PROGRAM.format(objects=objects))
    (root / "stacks" / "Pulumi.dev.yaml").write_text(f"config:\n  clusterstack:target: {target}\n")
    return root


def test_names_from_a_program_never_leave_the_target_nor_share_a_file(tmp_path):
    objects = [("../../../x", "Bar", "a"), ("ns", "Bar", "b"), ("ns", "BAR", "b"), ("ns", "Bar", "x" * 253)]
    for layout in ("object", "namespace"):
        root = _program_project(tmp_path / layout, objects, f"{{layout: {layout}}}")
        done = cs(root, "up", "-s", "dev", "--yes")
        assert done.exit_code == 0, done.output
        deploy = root / "deploy" / "dev"
        outside = [p for p in (tmp_path / layout).rglob("*") if p.is_file() and root not in p.parents]
        assert outside == [], f"{layout}: written outside the project: {outside}"
        assert {p.relative_to(root).parts[0] for p in root.rglob("*") if p.is_file()} == {"Pulumi.yaml", "__main__.py", "stacks", ".clusterstack", "deploy"}
        files = [p for p in deploy.rglob("*.yaml") if p.name != "kustomization.yaml"]
        assert all(len(p.name.encode()) <= 255 for p in files)
        documents = [d for p in files for d in yaml.safe_load_all(p.read_text()) if d]
        assert sorted((d["metadata"]["namespace"], d["kind"], d["metadata"]["name"]) for d in documents) == sorted(objects), layout
        if layout == "object":
            names = [p.name.lower() for p in files]
            assert len(names) == len(set(names)) == 4, "one file per object, also on a case-insensitive file system"


def test_a_managed_file_turned_symlink_is_drift_never_read_through_and_is_replaced(make_project, tmp_path):
    secret = tmp_path / "elsewhere" / "id_rsa"
    secret.parent.mkdir()
    secret.write_text("PRIVATE KEY hunter2\n")
    secret.chmod(0o600)
    project = make_project({"dev": DEV})
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    managed = project / "deploy" / "dev" / "namespace--payments.yaml"
    managed.unlink()
    managed.symlink_to(secret)
    previewed = cs(project, "preview", "-s", "dev", "--diff")
    assert "hunter2" not in previewed.output
    refreshed = cs(project, "refresh", "-s", "dev")
    assert "drift: Namespace payments: modified" in refreshed.output
    assert "hunter2" not in refreshed.output
    state_files = [p for p in (project / ".clusterstack").rglob("*") if p.is_file()]
    assert not [p for p in state_files if b"hunter2" in p.read_bytes()]
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    assert not managed.is_symlink()
    assert yaml.safe_load(managed.read_text())["kind"] == "Namespace"
    assert secret.read_text() == "PRIVATE KEY hunter2\n"


def test_a_symlinked_directory_in_the_target_is_refused(make_project, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    stack = DEV + "  clusterstack:target: {path: deploy/dev}\n"
    project = make_project({"dev": stack})
    deploy = project / "deploy" / "dev"
    deploy.mkdir(parents=True)
    (deploy / "patches").symlink_to(outside, target_is_directory=True)
    with (project / "stacks" / "Pulumi.dev.yaml").open("a") as stack_file:  # a Namespace patch: patches/ is written
        stack_file.write("  clusterstack:existingNamespaces:\n    kube-system: {podSecurity: {enforce: privileged}}\n")
    refused = cs(project, "up", "-s", "dev", "--yes")
    assert refused.exit_code == 1, refused.output
    assert "a directory on its way is a symlink; clusterstack never writes through one" in refused.output
    assert list(outside.iterdir()) == []


def test_temporary_files_are_unpredictable_and_a_planted_symlink_redirects_nothing(make_project, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("untouched\n")
    project = make_project({"dev": DEV})
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    deploy = project / "deploy" / "dev"
    for name in ("namespace--payments.yaml", "kustomization.yaml"):  # the names 0.x used for its temporary files
        os.symlink(victim, deploy / f".{name}.tmp")
    (project / "stacks" / "Pulumi.dev.yaml").write_text(DEV.replace('pods: "10"', 'pods: "11"').replace("labels: {team: payments}", "labels: {team: pay}"))
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    assert victim.read_text() == "untouched\n"
    assert yaml.safe_load((deploy / "namespace--payments.yaml").read_text())["metadata"]["labels"]["team"] == "pay"


def test_a_name_of_253_characters_is_valid_and_up_writes_it(make_project):
    """The API server admits a PriorityClass name of 253 characters (a DNS-1123 subdomain); its file
    name would be longer than a file system takes: it keeps its start and a digest of the whole."""
    name = ("p" * 61 + ".") * 4 + "p" * 5
    assert len(name) == 253
    project = make_project({"dev": f"config:\n  clusterstack:priorityClasses:\n    {name}: {{value: 1000}}\n"})
    assert cs(project, "validate", "-s", "dev").exit_code == 0
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    [written] = (project / "deploy" / "dev").glob("priorityclass-*.yaml")
    assert len(written.name.encode()) <= 255
    assert yaml.safe_load(written.read_text())["metadata"]["name"] == name
    assert cs(project, "preview", "-s", "dev").output.strip() == "No changes."


# The CLI killed (SIGKILL: nothing unwinds) the moment it would make what it wrote durable.
_KILLED_AT_SYNC = """
import os, signal, sys
from clusterstack import files
from clusterstack.engine import target as target_module

real = files.Batch.sync

def sync(self):
    if len(self):
        os.kill(os.getpid(), signal.SIGKILL)
    real(self)

files.Batch.sync = sync
from clusterstack.cli import main
sys.argv[0] = "clusterstack"
main()
"""


def test_an_up_killed_before_it_synced_records_nothing_it_wrote_and_the_next_up_takes_the_files_as_its_own(make_project):
    """A change is recorded only once its file is durable (target.py's batches): a crash between the
    writes and their sync leaves files that no record vouches for, which the next run recognises as
    its own (they hold exactly what it puts there) and converges."""
    project = make_project({"dev": DEV})
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_AT_SYNC, "--project-dir", str(project), "up", "-s", "dev", "--yes"],
        check=False, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    deploy = project / "deploy" / "dev"
    assert (deploy / "namespace--payments.yaml").is_file()
    state = StateStore(project / ".clusterstack", "dev").load()
    assert state is not None
    assert state.entries == {}, "nothing recorded before the sync"
    finished = cs(project, "up", "-s", "dev", "--yes")
    assert finished.exit_code == 0, finished.output
    assert cs(project, "preview", "-s", "dev", "--detailed-exitcode").exit_code == 0


def test_the_start_of_a_file_a_killed_run_was_creating_is_taken_as_its_own(make_project):
    """files.create writes a new file in place: a SIGKILL or a power cut mid-write can leave its first
    bytes, or none. The next run takes a file holding the start of exactly what it writes there as its
    own; anything else stays a file it did not write (the test above this one's neighbour)."""
    project = make_project({"dev": DEV})
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    deploy = project / "deploy" / "dev"
    payments = deploy / "namespace--payments.yaml"
    whole = payments.read_bytes()
    others = sorted(p for p in deploy.glob("*--checkout*.yaml"))
    shutil.rmtree(project / ".clusterstack")  # the run that wrote them never recorded them
    payments.write_bytes(whole[: len(whole) // 2])
    others[0].write_bytes(b"")
    finished = cs(project, "up", "-s", "dev", "--yes")
    assert finished.exit_code == 0, finished.output
    assert payments.read_bytes() == whole
    assert others[0].stat().st_size > 0
    assert cs(project, "preview", "-s", "dev", "--detailed-exitcode").exit_code == 0


def test_a_full_disk_met_by_the_sync_is_one_line_records_nothing_unsynced_and_the_next_run_converges(make_project, monkeypatch):
    """A file system that reports a full disk (or an I/O error) only when the data is written back:
    the batch sync fails, the run says so in one line, and no change whose file was not made durable is
    recorded."""
    if files.syncfs() is None:
        pytest.skip("no syncfs here")

    def full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    project = make_project({"dev": DEV})
    monkeypatch.setattr(files, "_SYNCFS", [full])
    failed = cs(project, "up", "-s", "dev", "--yes")
    assert failed.exit_code == 1
    [line] = [line for line in failed.output.splitlines() if line.startswith("error:")]
    assert line.endswith("cannot write the target: No space left on device (the file system is full; free space and run again)"), line
    state = StateStore(project / ".clusterstack", "dev").load()
    assert state is not None
    assert state.entries == {}
    monkeypatch.undo()
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    assert cs(project, "preview", "-s", "dev", "--detailed-exitcode").exit_code == 0


def test_a_sync_that_fails_midway_records_exactly_the_changes_synced_before_it(make_project, monkeypatch):
    """With a sync after every file, the third fails: the two changes synced before it are recorded,
    none after it, and the next run converges."""
    if files.syncfs() is None:
        pytest.skip("no syncfs here")
    real = files.syncfs()
    assert real is not None
    calls = []

    def third_fails(descriptor: int) -> None:
        calls.append(descriptor)
        if len(calls) == 3:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real(descriptor)

    project = make_project({"dev": DEV})
    monkeypatch.setattr(target_module, "SYNC_EVERY", 0.0)
    monkeypatch.setattr(files, "_SYNCFS", [third_fails])
    failed = cs(project, "up", "-s", "dev", "--yes")
    assert failed.exit_code == 1
    assert "cannot write the target: Input/output error" in failed.output
    state = StateStore(project / ".clusterstack", "dev").load()
    assert state is not None
    assert len(state.entries) == 2
    monkeypatch.undo()
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    assert cs(project, "preview", "-s", "dev", "--detailed-exitcode").exit_code == 0


def test_a_pipe_planted_where_a_file_is_or_goes_never_blocks_a_run(make_project):
    """Reading a pipe waits for a writer: the target opens what it reads without waiting, so a pipe at
    a managed file's place is drift and one where a new file goes is a file clusterstack did not write."""
    project = make_project({"dev": DEV})
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    deploy = project / "deploy" / "dev"
    managed = deploy / "namespace--payments.yaml"
    managed.unlink()
    os.mkfifo(managed)
    assert "drift: Namespace payments: modified" in cs(project, "refresh", "-s", "dev").output
    edit(project, "    checkout:\n", "    orders:\n      quota: {pods: \"3\"}\n    checkout:\n")
    os.mkfifo(deploy / "namespace--orders.yaml")
    refused = cs(project, "up", "-s", "dev", "--yes")
    assert refused.exit_code == 1
    assert "namespace--orders.yaml: a file clusterstack did not write is where Namespace orders belongs" in refused.output
