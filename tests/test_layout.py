"""The directory target's namespace layout: one multi-document file per namespace and one for the other
cluster-scoped objects, which kustomize and GitOps controllers read far faster than one file per
object; switching layouts rewrites the directory; refresh reads objects back out of the shared files;
file names are injective, and the shortcut for plain names escapes as the character loop does."""

from __future__ import annotations

import re

import yaml

from clusterstack.engine.layout import NAMING
from clusterstack.engine.store import StateStore
from clusterstack.kube.kinds import ObjectKey
from tests.test_engine import cs, edit

STACK = """\
config:
  clusterstack:target: {layout: namespace}
  clusterstack:namespaces:
    payments:
      quota: {pods: "10"}
      limits: {container: {default: {cpu: 500m}, defaultRequest: {cpu: 100m}}}
    checkout:
      quota: {pods: "5"}
      networkPolicy: {defaultDeny: [Ingress]}
  clusterstack:dns:
    autoscaler: {linear: {coresPerReplica: 256, nodesPerReplica: 16, min: 2}}
"""


def _documents(path):
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def _names(path):
    return [(d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]) for d in _documents(path)]


def test_one_file_per_namespace_in_apply_order(make_project):
    root = make_project({"dev": STACK})
    applied = cs(root, "up", "-s", "dev", "--yes")
    assert applied.exit_code == 0, applied.output
    deploy = root / "deploy" / "dev"
    assert sorted(p.name for p in deploy.iterdir()) == [".clusterstack-target", "_cluster.yaml", "checkout.yaml", "kube-system.yaml", "kustomization.yaml", "payments.yaml"]
    assert _names(deploy / "payments.yaml") == [
        ("Namespace", "", "payments"),
        ("ResourceQuota", "payments", "tenant-quota"),
        ("LimitRange", "payments", "tenant-limits"),
    ]
    assert _names(deploy / "checkout.yaml")[-1] == ("NetworkPolicy", "checkout", "default-deny")
    assert {kind for kind, _, _ in _names(deploy / "_cluster.yaml")} == {"ClusterRole", "ClusterRoleBinding"}
    kustomization = yaml.safe_load((deploy / "kustomization.yaml").read_text())
    assert kustomization["resources"] == ["checkout.yaml", "payments.yaml", "kube-system.yaml", "_cluster.yaml"]
    state = StateStore(root / ".clusterstack", "dev").load()
    assert state.layout == "namespace"
    held = [d for path in deploy.glob("*.yaml") if path.name != "kustomization.yaml" for d in _documents(path)]
    assert sorted(map(str, held)) == sorted(str(e.manifest) for e in state.entries.values())
    assert cs(root, "preview", "-s", "dev", "--detailed-exitcode").exit_code == 0


def test_a_change_rewrites_only_its_namespace_file_and_an_emptied_namespace_loses_its_file(make_project):
    root = make_project({"dev": STACK})
    assert cs(root, "up", "-s", "dev", "--yes").exit_code == 0
    deploy = root / "deploy" / "dev"
    before = {p.name: p.read_bytes() for p in deploy.iterdir()}
    edit(root, 'quota: {pods: "5"}', 'quota: {pods: "6"}')
    assert cs(root, "up", "-s", "dev", "--yes").exit_code == 0
    after = {p.name: p.read_bytes() for p in deploy.iterdir()}
    assert [name for name in after if after[name] != before[name]] == ["checkout.yaml"]

    edit(root, '    checkout:\n      quota: {pods: "6"}\n      networkPolicy: {defaultDeny: [Ingress]}\n', "")
    removed = cs(root, "up", "-s", "dev", "--yes", "--allow-namespace-deletion")
    assert removed.exit_code == 0, removed.output
    assert not (deploy / "checkout.yaml").exists()
    assert "checkout.yaml" not in yaml.safe_load((deploy / "kustomization.yaml").read_text())["resources"]


def test_refresh_reads_objects_out_of_the_shared_files(make_project):
    root = make_project({"dev": STACK})
    assert cs(root, "up", "-s", "dev", "--yes").exit_code == 0
    path = root / "deploy" / "dev" / "payments.yaml"
    documents = _documents(path)
    documents[1]["spec"]["hard"]["pods"] = "99"  # the quota, edited by hand
    del documents[2]  # the limit range, deleted by hand
    path.write_text(yaml.safe_dump_all(documents))
    refreshed = cs(root, "refresh", "-s", "dev")
    assert refreshed.exit_code == 0, refreshed.output
    assert "ResourceQuota payments/tenant-quota: modified" in refreshed.output
    assert "LimitRange payments/tenant-limits: deleted" in refreshed.output
    restored = cs(root, "up", "-s", "dev", "--yes")
    assert restored.exit_code == 0
    assert _names(path)[1:] == [("ResourceQuota", "payments", "tenant-quota"), ("LimitRange", "payments", "tenant-limits")]
    assert _documents(path)[1]["spec"]["hard"]["pods"] == "10"


def test_switching_layouts_rewrites_the_directory_both_ways(make_project):
    root = make_project({"dev": STACK.replace("  clusterstack:target: {layout: namespace}\n", "")})
    assert cs(root, "up", "-s", "dev", "--yes").exit_code == 0
    deploy = root / "deploy" / "dev"
    per_object = sorted(p.name for p in deploy.iterdir())
    assert "namespace--payments.yaml" in per_object

    edit(root, "config:\n", "config:\n  clusterstack:target: {layout: namespace}\n")
    preview = cs(root, "preview", "-s", "dev")
    assert preview.output.splitlines()[0] == "No changes."
    assert "The target's layout changes from object to namespace: up rewrites every file" in preview.stderr
    assert sorted(p.name for p in deploy.iterdir()) == per_object, "preview writes nothing"
    assert cs(root, "up", "-s", "dev", "--yes").exit_code == 0
    assert sorted(p.name for p in deploy.iterdir()) == [".clusterstack-target", "_cluster.yaml", "checkout.yaml", "kube-system.yaml", "kustomization.yaml", "payments.yaml"]
    assert StateStore(root / ".clusterstack", "dev").load().layout == "namespace"

    edit(root, "  clusterstack:target: {layout: namespace}\n", "")
    assert cs(root, "up", "-s", "dev", "--yes").exit_code == 0
    assert sorted(p.name for p in deploy.iterdir()) == per_object


def test_without_a_kustomization_the_directory_is_plain_manifests(make_project):
    root = make_project({"dev": STACK.replace("{layout: namespace}", "{layout: namespace, kustomization: false}")})
    assert cs(root, "up", "-s", "dev", "--yes").exit_code == 0
    deploy = root / "deploy" / "dev"
    assert not (deploy / "kustomization.yaml").exists()
    for path in deploy.glob("*.yaml"):  # (and the claim file, .clusterstack-target)
        assert all("kind" in document for document in _documents(path)), path


def test_a_retained_object_leaves_its_namespace_file_for_a_file_of_its_own(make_project):
    root = make_project({"dev": STACK.replace('    checkout:\n      quota: {pods: "5"}', '    checkout:\n      deletion: retain\n      quota: {pods: "5"}')})
    assert cs(root, "up", "-s", "dev", "--yes").exit_code == 0
    edit(root, '    checkout:\n      deletion: retain\n      quota: {pods: "5"}\n      networkPolicy: {defaultDeny: [Ingress]}\n', "")
    result = cs(root, "up", "-s", "dev", "--yes", "--allow-namespace-deletion")
    assert result.exit_code == 0, result.output
    deploy = root / "deploy" / "dev"
    assert _names(deploy / "namespace--checkout.yaml") == [("Namespace", "", "checkout")], "the retained Namespace stays, unmanaged"
    assert not (deploy / "checkout.yaml").exists()
    assert "namespace--checkout.yaml" not in yaml.safe_load((deploy / "kustomization.yaml").read_text())["resources"]


def test_file_names_are_injective_and_a_stack_written_with_the_old_names_is_renamed(make_project):
    """Namespace a with a quota b--tenant-quota and namespace a--b with its tenant-quota once shared
    resourcequota--a--b--tenant-quota.yaml; now each has a file of its own. A state written with the
    old names (naming 1) has its files renamed by the next up, and the old ones removed."""
    from clusterstack.engine.layout import file_name

    first = file_name(ObjectKey("", "ResourceQuota", "a", "b--tenant-quota"))
    second = file_name(ObjectKey("", "ResourceQuota", "a--b", "tenant-quota"))
    assert first != second
    assert file_name(ObjectKey("", "ResourceQuota", "a", "b--tenant-quota"), naming=1) == file_name(ObjectKey("", "ResourceQuota", "a--b", "tenant-quota"), naming=1)
    assert file_name(ObjectKey("", "Namespace", "", "payments")) == "namespace--payments.yaml", "plain names read as they are"

    root = make_project({"dev": STACK.replace("  clusterstack:target: {layout: namespace}\n", "")})
    assert cs(root, "up", "-s", "dev", "--yes").exit_code == 0
    deploy = root / "deploy" / "dev"
    store = StateStore(root / ".clusterstack", "dev")
    state = store.load()
    assert state is not None
    old_names = {e.key: deploy / file_name(e.key, naming=1) for e in state.entries.values()}
    for path in deploy.glob("*.yaml"):  # as clusterstack 0.2 left it: the old names, no naming in state
        if path.name != "kustomization.yaml":
            path.unlink()
    for key, path in old_names.items():
        path.write_text(yaml.safe_dump(state.entries[key].manifest))
    state.naming = 1
    store.write(state)
    preview = cs(root, "preview", "-s", "dev")
    assert "get their new, unambiguous names" in preview.stderr
    assert cs(root, "up", "-s", "dev", "--yes").exit_code == 0
    renamed = deploy / "clusterrole-rbac.authorization.k8s.io--system_3akube-dns-autoscaler.yaml"
    assert renamed.exists()
    assert not (deploy / "clusterrole-rbac.authorization.k8s.io--system_kube-dns-autoscaler.yaml").exists()
    assert StateStore(root / ".clusterstack", "dev").load().naming == NAMING
    assert cs(root, "preview", "-s", "dev", "--detailed-exitcode").exit_code == 0


def test_a_name_left_as_it_is_is_one_the_escaping_loop_leaves_as_it_is():
    """layout._escaped takes a shortcut for plain names: every part of an alphabet holding each edge
    case (dashes at either end and doubled, dots first, upper case, '_', '~', non-ASCII) escapes as
    the character loop escapes it."""
    import itertools

    from clusterstack.engine import layout

    def loop(part: str, naming: int) -> str:
        saved = layout._PLAIN
        layout._PLAIN = {True: re.compile(r"(?!)"), False: re.compile(r"(?!)")}  # never plain: the loop alone
        try:
            return layout._escaped(part, naming)
        finally:
            layout._PLAIN = saved

    alphabet = "a0.-A_~é"
    parts = ["", *("".join(p) for length in range(1, 5) for p in itertools.product(alphabet, repeat=length))]
    for naming in (2, 3):
        for part in parts:
            assert layout._escaped(part, naming) == loop(part, naming), (part, naming)
