"""clusterstack/adopt/importer.py: load → normalise → map → merge → validate → write.

What this verifies: every shipped stack survives the round trip (its render, read back as the API
server stores it, imported into an empty stack, gives the same tenants, existing namespaces, load
balancers and classes, and ``preview --live`` of that dump shows no changes); the stack file is written only when the result validates, atomically, and
is untouched on any error; common.yaml's values are not repeated; ``--common`` finds what every
stack shares; classes that quotas name but the dump lacks are listed as existing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from clusterstack.adopt import importer
from clusterstack.adopt.dump import LiveObject
from clusterstack.adopt.report import unfit
from clusterstack.cli import cli
from clusterstack.errors import ClusterstackError
from clusterstack.kube.live import read_back
from clusterstack.stack.files import read_stack
from clusterstack.stack.project import Project
from clusterstack.stack.spec import load_spec

REPO = Path(__file__).resolve().parent.parent
COMPARED = ("namespaces", "existing_namespaces", "load_balancers", "priority_classes", "storage_classes", "ip_masq")
"""What a cluster's objects say fully. Not compared: node pools, requireContext and namespaceDeletion
(no object carries them) and dns (adopt/dns.py's round trip is its own suite's)."""


def _dump(tmp_path: Path, stack: str) -> Path:
    rendered = CliRunner().invoke(cli, ["--project-dir", str(REPO), "render", "-s", stack])
    assert rendered.exit_code == 0, rendered.output
    items = [read_back(doc) for doc in yaml.safe_load_all(rendered.stdout) if doc]
    path = tmp_path / f"{stack}-cluster.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}}))
    return path


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_shipped_stack_survives_render_read_back_and_import(stack, tmp_path, make_project):
    dump = _dump(tmp_path, stack)
    project = Project.load(make_project({}, common=(REPO / "stacks" / "common.yaml").read_text()))
    outcome = importer.run(project, stack, [dump])
    assert unfit(outcome.imported.notes) == []
    original = load_spec(read_stack(Project.load(REPO), stack)).args
    imported = load_spec(read_stack(project, stack)).args
    for field in COMPARED:
        ours, theirs = getattr(imported, field), getattr(original, field)
        if isinstance(ours, dict):  # the import marks what it writes onExisting: adopt; the stack's own say fail
            ours, theirs = ({k: v.model_dump(exclude={"on_existing"}) for k, v in d.items()} for d in (ours, theirs))
        assert ours == theirs, field
    assert project.stack_file(stack).read_text() == outcome.text
    # And the plan against the same dump (preview --live) is empty: the first up changes nothing.
    live = CliRunner().invoke(cli, ["--project-dir", str(project.root), "preview", "-s", stack, "--live", str(dump), "--detailed-exitcode"])
    assert (live.exit_code, live.stdout.splitlines()[-1:]) == (0, ["No changes."]), live.output


def test_the_import_is_deterministic(tmp_path, make_project):
    dump = _dump(tmp_path, "staging")
    texts = set()
    for attempt in range(2):
        project = Project.load(make_project({}, common=(REPO / "stacks" / "common.yaml").read_text()))
        texts.add(importer.run(project, "staging", [dump], write=False).text)
        assert not project.stack_file("staging").exists(), attempt
    assert len(texts) == 1


def _namespace_dump(tmp_path: Path, **labels: str) -> Path:
    path = tmp_path / "ns.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": dict(labels)}}))
    return path


def test_the_stack_file_is_untouched_when_the_input_is_bad(tmp_path, make_project):
    original = "# mine\nconfig:\n  clusterstack:namespaces:\n    a: {}\n"
    project = Project.load(make_project({"live": original}))
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [\n")
    with pytest.raises(ClusterstackError, match=r"bad.yaml: is not valid YAML or JSON"):
        importer.run(project, "live", [bad])
    assert project.stack_file("live").read_text() == original


def test_the_stack_file_is_untouched_when_the_result_does_not_validate(tmp_path, make_project):
    original = "config:\n  clusterstack:namespaces:\n    a: {qouta: {pods: '1'}}\n"
    project = Project.load(make_project({"live": original}))
    with pytest.raises(ClusterstackError) as raised:
        importer.run(project, "live", [_namespace_dump(tmp_path, team="shop")])
    assert "clusterstack:namespaces.a.qouta" in str(raised.value)
    assert "the stack file is untouched" in str(raised.value)
    assert project.stack_file("live").read_text() == original
    assert sorted(p.name for p in project.stack_file("live").parent.iterdir()) == ["Pulumi.live.yaml", "common.yaml"]


def test_values_common_yaml_already_holds_are_not_repeated(tmp_path, make_project):
    common = "config:\n  kubernetes:context: test\n  clusterstack:existingNamespaces:\n    kube-system: {podSecurity: {enforce: privileged}}\n"
    project = Project.load(make_project({}, common=common))
    dump = tmp_path / "ns.yaml"
    dump.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Namespace",
                                    "metadata": {"name": "kube-system", "labels": {"pod-security.kubernetes.io/enforce": "privileged"}}}))
    assert importer.run(project, "live", [dump]).text.endswith("config: {}\n")


def test_common_lists_what_every_other_stack_holds_too(tmp_path, make_project):
    other = {"config": {"clusterstack:namespaces": {"shop": {"labels": {"team": "shop"}}, "only-here": {}}}}
    project = Project.load(make_project({"a": other, "b": other}))
    outcome = importer.run(project, "live", [_namespace_dump(tmp_path, team="shop")], write=False)
    assert outcome.common == {"namespaces": {"shop": {"labels": {"team": "shop"}}}}
    assert list(importer.leaves(outcome.common)) == ["clusterstack:namespaces.shop.labels.team"]


def test_classes_quotas_name_but_the_dump_lacks_are_listed_as_existing():
    quota = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "gold", "namespace": "shop"},
             "spec": {"hard": {"gold.storageclass.storage.k8s.io/requests.storage": "1Ti"}}}
    imported = importer.read([LiveObject("d.yaml", quota)])
    assert imported.values["cluster"] == {"existing": {"storageClasses": ["gold"]}}
    assert [(n.object, n.outcome) for n in imported.notes] == [("StorageClass gold", "adopted")]


def test_kinds_the_import_does_not_read_are_report_lines():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"}}
    imported = importer.read([LiveObject("d.yaml#0", pod)])
    assert imported.values == {}
    assert [str(n) for n in imported.notes] == ["Pod shop/p (d.yaml#0): clusterstack does not manage Pod objects"]


def test_what_the_stack_as_a_whole_refuses_is_left_out_with_a_note(tmp_path, make_project):
    """A load balancer the namespace's quota has no room for (created before the quota), a namespace
    name the API would not take (a manifest directory can hold one): each left out, named, the rest written."""
    dump = tmp_path / "d.yaml"
    dump.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
        {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "tenant-quota", "namespace": "shop"}, "spec": {"hard": {"services.loadbalancers": "0"}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
         "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": 80}]}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "Bad_Name"}},
    ]}))
    outcome = importer.run(Project.load(make_project({})), "live", [dump])
    assert outcome.text.endswith('config:\n  clusterstack:namespaces:\n    shop:\n      quota: {services.loadbalancers: "0"}\n      onExisting: adopt\n')
    assert [(n.object, n.field, n.outcome) for n in outcome.imported.notes] == [("Namespace Bad_Name", "", "unfit"), ("Service web", "namespace", "unfit")]
    assert outcome.imported.notes[1].reason.startswith("shop allows 0 Services of type LoadBalancer")


def test_a_refusal_of_the_files_own_values_is_the_users_to_fix(tmp_path, make_project):
    """The file's own load balancer, which a quota the cluster has leaves no room for."""
    own = "config:\n  clusterstack:loadBalancers:\n    web: {namespace: shop, selector: {app: web}, ports: [{port: 80}]}\n"
    project = Project.load(make_project({"live": own}))
    dump = tmp_path / "q.yaml"
    dump.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "tenant-quota", "namespace": "shop"},
                                    "spec": {"hard": {"services.loadbalancers": "0"}}}))
    with pytest.raises(ClusterstackError, match="the stack file is untouched"):
        importer.run(project, "live", [dump])
    assert project.stack_file("live").read_text() == own


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": "team=shop"}}, "metadata.labels"),
        ({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "shop"}, "spec": {"hard": ["pods"]}}, "spec.hard"),
        ({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "shop"}, "spec": {"type": "LoadBalancer", "ports": [{"port": "80"}]}},
         "spec.ports[0].port"),
        ({"apiVersion": "extensions/v1beta1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "shop"}}, ""),
    ],
)
def test_an_object_the_api_schema_refuses_is_a_report_line_not_a_crash(body, field):
    imported = importer.read([LiveObject("d.yaml#0", body)])
    assert imported.values == {}
    [note] = imported.notes
    assert (note.field, note.outcome) == (field, "unfit")
    assert note.reason.startswith(f"not a valid {body['kind']}: ")
