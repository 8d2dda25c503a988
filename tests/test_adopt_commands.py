"""clusterstack/cli/adopt_commands.py: ``clusterstack import`` as a user runs it, on real dumps from
public sources (tests/data/live/README.md): exit 0 with the report, the stack file written and valid;
``--strict`` exits 1 when anything did not fit; ``--print`` writes nothing; every error names the
file, exits 1, prints no traceback and leaves the stack file as it was."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from clusterstack.cli import cli
from clusterstack.kube.live import read_back
from tests.conftest import REPO

LIVE = Path(__file__).resolve().parent / "data" / "live"
REAL = sorted((LIVE / "real").iterdir())


def run(project: Path, *args: str):
    result = CliRunner().invoke(cli, ["--project-dir", str(project), *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.mark.parametrize("dump", [*REAL, *sorted((LIVE / "cluster").glob("*.yaml"))], ids=lambda p: p.name)
def test_a_real_dump_imports_with_a_report_and_validates(dump, make_project):
    project = make_project({})
    result = run(project, "import", "-s", "live", "--from", str(dump))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("stacks/Pulumi.live.yaml: read ")
    validated = run(project, "validate", "-s", "live")
    assert validated.exit_code == 0, validated.output


def test_the_report_of_a_real_cluster_names_each_object_and_what_became_of_it(make_project):
    project = make_project({})
    result = run(project, "import", "-s", "live", "--from", str(LIVE / "real" / "k8s-jumper-namespaces.yaml"))
    dump = LIVE / "real" / "k8s-jumper-namespaces.yaml"
    assert result.stdout == (
        "stacks/Pulumi.live.yaml: read 5 objects; 0 not imported, 0 in the raw form, 2 adopted\n"
        "adopted (the cluster has it; the stack takes it over, never creates it):\n"
        f"  Namespace calico-system ({dump}#3): owned by Installation default (operator.tigera.io/v1): never a tenant; "
        "the stack patches only its labels (existingNamespaces)\n"
        f"  Namespace default ({dump}#4): a namespace of Kubernetes itself: never a tenant; left as it is (it has no labels to keep)\n"
        "recorded 4 object(s) the cluster has in the state of stack live, as applied (nothing is sent to the cluster)\n"
    )
    written = (project / "stacks" / "Pulumi.live.yaml").read_text()
    assert written.endswith(
        "config:\n"
        "  clusterstack:namespaces:\n"
        "    admin:\n      labels: {istio-injection: enabled}\n      onExisting: adopt\n"
        "    agile-tracking:\n      labels: {istio-injection: enabled}\n      onExisting: adopt\n"
        "    argocd: {onExisting: adopt}\n"
        "  clusterstack:existingNamespaces:\n"
        "    calico-system:\n      podSecurity: {enforce: privileged}\n      labels: {control-plane: \"true\", name: calico-system}\n"
    )


def test_a_directory_of_manifests_imports_every_file_in_order(make_project, tmp_path):
    repo = tmp_path / "gitops"
    (repo / "b").mkdir(parents=True)
    (repo / "a.yaml").write_text((LIVE / "real" / "k8s-jumper-namespaces.yaml").read_text())
    (repo / "b" / "apps.yaml").write_text((LIVE / "real" / "kubectl-neat-multidoc.yaml").read_text())
    result = run(make_project({}), "import", "-s", "live", "--from", str(repo), "--print")
    assert result.exit_code == 0, result.output
    assert "read 9 objects; 4 not imported, 0 in the raw form, 2 adopted" in result.stderr
    assert f"Service default/myappservice ({repo}/b/apps.yaml#1)" in result.stderr


def test_the_same_object_in_two_real_dumps_is_refused_naming_both(make_project):
    """The source's Service is in its multi-document file and in its JSON one."""
    result = run(make_project({}), "import", "-s", "live", "--from", str(LIVE / "real"))
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {LIVE}/real/kubectl-neat-service.json: Service default/myappservice: is the same object as "
        f"Service default/myappservice ({LIVE}/real/kubectl-neat-multidoc.yaml#1); keep one of them\n"
    )


def test_strict_exits_1_when_something_did_not_fit(make_project):
    project = make_project({})
    assert run(project, "import", "-s", "live", "--strict", "--from", str(LIVE / "real" / "kubectl-neat-multidoc.yaml")).exit_code == 1
    assert run(project, "import", "-s", "other", "--strict", "--from", str(LIVE / "real" / "k8s-jumper-namespaces.yaml")).exit_code == 0


def test_print_writes_nothing_and_prints_the_file(make_project):
    project = make_project({})
    result = run(project, "import", "-s", "live", "--print", "--from", str(LIVE / "real" / "k8s-jumper-namespaces.yaml"))
    assert result.exit_code == 0
    assert result.stdout.startswith("# yaml-language-server: $schema=stack-file.schema.json\n")
    assert "read 5 objects" in result.stderr
    assert not (project / "stacks" / "Pulumi.live.yaml").exists()


def test_values_the_file_has_are_kept_and_named_unless_overwrite(make_project, tmp_path):
    project = make_project({"live": "config:\n  clusterstack:namespaces:\n    admin:\n      labels: {istio-injection: disabled}  # on purpose\n"})
    dump = str(LIVE / "real" / "k8s-jumper-namespaces.yaml")
    kept = run(project, "import", "-s", "live", "--from", dump)
    assert "kept: clusterstack:namespaces.admin.labels.istio-injection: the stack file's value stays (--overwrite takes the cluster's)" in kept.stdout
    assert "labels: {istio-injection: disabled}  # on purpose" in (project / "stacks" / "Pulumi.live.yaml").read_text()
    run(project, "import", "-s", "live", "--from", dump, "--overwrite")
    line = (project / "stacks" / "Pulumi.live.yaml").read_text().splitlines()[3]
    assert line.split() == ["labels:", "{istio-injection:", "enabled}", "#", "on", "purpose"]  # the comment keeps its column


def test_common_suggests_what_every_stack_shares(make_project):
    project = make_project({"a": {"config": {"clusterstack:namespaces": {"admin": {"labels": {"istio-injection": "enabled"}}}}}})
    result = run(project, "import", "-s", "live", "--common", "--from", str(LIVE / "real" / "k8s-jumper-namespaces.yaml"))
    assert "every stack holds these too; move them to common.yaml:\nconfig:\n  clusterstack:namespaces:\n    admin:\n      labels: {istio-injection: enabled}\n" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "nope.yaml: does not exist; give a file kubectl get -o yaml wrote, or a directory of manifests"),
        ("kind: [\n", "dump.yaml: is not valid YAML or JSON"),
        ("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n",
         "dump.yaml#1: Namespace a: is the same object as Namespace a (%s#0); keep one of them"),
    ],
)
def test_bad_input_is_one_error_line_naming_the_file_and_the_stack_file_stays(make_project, tmp_path, content, message):
    original = "config:\n  clusterstack:namespaces:\n    a: {}\n"
    project = make_project({"live": original})
    dump = tmp_path / ("nope.yaml" if content is None else "dump.yaml")
    if content is not None:
        dump.write_text(content)
    result = run(project, "import", "-s", "live", "--from", str(dump))
    assert result.exit_code == 1
    expected = message % dump if "%s" in message else message
    assert f"error: {tmp_path}/{expected}" in result.stderr
    assert (project / "stacks" / "Pulumi.live.yaml").read_text() == original


@pytest.mark.parametrize("stack", ["../outside", "a/b", "", "x" * 101, "sp ace"])
def test_a_stack_name_that_is_not_pulumis_is_refused_before_anything_is_read(make_project, stack):
    project = make_project({})
    result = run(project, "import", "-s", stack, "--from", str(LIVE / "real" / "kubectl-neat-service.json"))
    assert result.exit_code == 1
    assert result.stderr == f"error: {stack!r} is not a stack name: at most 100 letters, digits, '-', '_' or '.' (Pulumi's rule)\n"
    assert sorted(p.name for p in (project / "stacks").iterdir()) == ["common.yaml"]
    assert not (project.parent / "outside.yaml").exists()


def _process(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """clusterstack as a user runs it: its own process, the state under the project (the default)."""
    done = subprocess.run([sys.executable, "-m", "clusterstack", "--project-dir", str(project), *args], check=False, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    return done


_NOT_PROJECT = (".*", "build", "*.egg-info", "__pycache__", "clusterstack", "components", "examples", "tests", "bench", "deploy", "docs")


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_after_import_preview_shows_no_changes_for_every_shipped_stack(stack, tmp_path):
    """The issue's acceptance, in real processes: render → read back as the API server stores it →
    import into a new stack of a fresh copy of the project → preview has nothing to do, and neither has
    preview --live of the same dump."""
    rendered = _process(REPO, "render", "-s", stack)
    assert rendered.returncode == 0, rendered.stderr
    dump = tmp_path / "cluster.yaml"
    items = [read_back(doc) for doc in yaml.safe_load_all(rendered.stdout) if doc]
    dump.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
    root = tmp_path / "project"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(*_NOT_PROJECT))
    (root / "stacks" / f"Pulumi.{stack}.yaml").unlink()  # a new stack of that name: no file, no state
    imported = _process(root, "import", "-s", stack, "--from", str(dump))
    assert imported.returncode == 0, imported.stderr
    assert f"recorded {len(items)} object(s) the cluster has in the state of stack {stack}" in imported.stdout
    preview = _process(root, "preview", "-s", stack, "--detailed-exitcode")
    assert (preview.returncode, preview.stdout.splitlines()[-1:]) == (0, ["No changes."]), preview.stdout
    live = _process(root, "preview", "-s", stack, "--live", str(dump), "--detailed-exitcode")
    assert (live.returncode, live.stdout.splitlines()[-1:]) == (0, ["No changes."]), live.stdout
    # Importing again records nothing more: the state holds it all.
    again = _process(root, "import", "-s", stack, "--from", str(dump))
    assert f"recorded nothing: the state of stack {stack} holds every object of it the dump has" in again.stdout


@pytest.mark.parametrize("dump", [*REAL[:1], *REAL[2:]], ids=lambda p: p.name)
def test_after_importing_a_real_dump_preview_shows_only_what_the_dump_lacks(dump, make_project):
    """Nothing the dump has is planned as a create after the import; and the plan against state after the import is
    exactly the plan against the dump (preview --live): what the first up really changes there (the
    stack's own labels on the adopted namespaces)."""
    project = make_project({})
    state = project / "state"
    assert run(project, "--state-dir", str(state), "import", "-s", "live", "--from", str(dump)).exit_code == 0
    preview = run(project, "--state-dir", str(state), "preview", "-s", "live", "--json")
    changes = json.loads(preview.stdout)["changes"]
    dumped = set()
    for doc in yaml.safe_load_all(dump.read_text()):
        for body in doc.get("items", [doc]):
            where = body["metadata"].get("namespace")
            dumped.add(f"{body['kind']} {where}/{body['metadata']['name']}" if where else f"{body['kind']} {body['metadata']['name']}")
    created = {f"{c['identity'].split(' ')[0].split('.')[0]} {c['identity'].split(' ')[1]}" for c in changes if c["action"] == "create"}
    assert not created & dumped, changes
    live = run(project, "--state-dir", str(state), "preview", "-s", "live", "--live", str(dump), "--json")
    assert sorted((c["action"], c["identity"]) for c in json.loads(live.stdout)["changes"]) == sorted((c["action"], c["identity"]) for c in changes)


def test_no_record_writes_the_stack_file_only(make_project):
    project = make_project({})
    result = run(project, "--state-dir", str(project / "state"), "import", "-s", "live", "--no-record", "--from", str(REAL[0]))
    assert result.exit_code == 0
    assert "recorded" not in result.stdout
    assert (project / "stacks" / "Pulumi.live.yaml").exists()
    assert not (project / "state").exists()


def test_a_held_lock_writes_nothing(make_project):
    from clusterstack.engine.store import StateStore
    from clusterstack.stack.project import Project

    project = make_project({})
    state = project / "state"
    hold = (
        "import sys, time; from pathlib import Path; from clusterstack.engine.store import StateStore\n"
        "with StateStore(Path(sys.argv[1]), 'live').lock('up'):\n    print('held', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen([sys.executable, "-c", hold, str(state)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        result = run(project, "--state-dir", str(state), "import", "-s", "live", "--from", str(REAL[0]))
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 1
    assert "lock" in result.stderr
    assert not (project / "stacks" / "Pulumi.live.yaml").exists()
    assert StateStore(state, "live").load() is None
    assert Project.load(project).stacks() == []


def test_when_recording_fails_the_stack_file_is_valid_and_the_error_says_what_records_the_rest(make_project):
    """The target cannot be written (its directory is a file): the stack file, written first, stays
    valid; the error names up --adopt, which then records everything."""
    project = make_project({})
    state = project / "state"
    (project / "deploy").write_text("not a directory")
    result = run(project, "--state-dir", str(state), "import", "-s", "live", "--from", str(REAL[0]))
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "error: stacks/Pulumi.live.yaml is written and valid, but its objects are not all recorded in the stack's state; "
        f"record them with: clusterstack up -s live --adopt {REAL[0]}\n"
    )
    assert run(project, "validate", "-s", "live").exit_code == 0
    (project / "deploy").unlink()
    adopted = run(project, "--state-dir", str(state), "up", "-s", "live", "--adopt", str(REAL[0]), "--yes")
    assert adopted.exit_code == 0, adopted.output
    assert "Adopted 4 object(s)" in adopted.stdout


def test_an_object_the_stack_names_otherwise_is_the_one_change_after_import(make_project, tmp_path):
    """A LimitRange named otherwise than the stack's tenant-limits: the note says to create it under
    that name before the first pulumi up; the engine recorded what the dump has, so it plans that
    create (and the stack's own labels on the namespace), as preview --live plans them."""
    dump = tmp_path / "cluster.yaml"
    dump.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
        {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "mem-limits", "namespace": "shop"},
         "spec": {"limits": [{"type": "Container", "default": {"memory": "512Mi"}}]}},
    ]}))  # fmt: skip
    project = make_project({})
    state = str(project / "state")
    result = run(project, "--state-dir", state, "import", "-s", "live", "--from", str(dump))
    assert result.exit_code == 0, result.output
    assert "before the first pulumi up, create tenant-limits as a copy of mem-limits, then delete mem-limits" in result.stdout
    assert "recorded 1 object(s)" in result.stdout
    for extra in ([], ["--live", str(dump)]):
        preview = run(project, "--state-dir", state, "preview", "-s", "live", "--json", *extra)
        assert [(c["action"], c["identity"]) for c in json.loads(preview.stdout)["changes"]] == [
            ("update", "Namespace shop"), ("create", "LimitRange shop/tenant-limits"),
        ], extra
