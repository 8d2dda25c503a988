"""``clusterstack:target`` as the engine uses it (clusterstack/stack/target.py): TargetSettings default
to deploy/<stack> in the object layout with a kustomization and secrets omitted, and round-trip
through JSON (what a cached evaluation carries); ``target_problem`` refuses the project itself, a
directory holding it, ``.git``, the state and stack files' directories, the operating system's
directories, and a directory outside the project unless the stack allows it. How a user meets these
refusals is tested in tests/test_engine_target.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterstack.stack.target import TargetSettings, target_problem


def test_the_default_target_is_deploy_stack_under_the_project(tmp_path):
    settings = TargetSettings()
    assert settings.directory(tmp_path, "prod") == tmp_path / "deploy" / "prod"
    assert TargetSettings(path="out/here").directory(tmp_path, "prod") == tmp_path / "out" / "here"
    assert TargetSettings(path="/srv/x").directory(tmp_path, "prod") == Path("/srv/x")
    assert (settings.layout, settings.kustomization, settings.secrets, settings.allow_outside_project) == ("object", True, "omit", False)


def test_settings_round_trip_through_json_and_an_unknown_secrets_value_omits():
    settings = TargetSettings(path="out", layout="namespace", kustomization=False, secrets="plaintext", allow_outside_project=True, gitops="flux")
    assert TargetSettings.from_json(settings.to_json()) == settings
    assert TargetSettings.from_json({}) == TargetSettings()
    assert TargetSettings.from_json({"secrets": "yes please"}).secrets == "omit"
    assert TargetSettings.from_json({"gitops": "argo"}).gitops == "none", "a cache from before the setting"


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    (root / "stacks").mkdir()
    (root / ".state").mkdir()
    return root


def problem(project: Path, directory: Path, allow_outside: bool = False) -> str | None:
    return target_problem(directory, project, [project / ".state"], project / "stacks", allow_outside)


def test_a_directory_of_its_own_inside_the_project_is_fine(project):
    assert problem(project, project / "deploy" / "prod") is None


@pytest.mark.parametrize(
    ("where", "fragment"),
    [
        (lambda p: p, "is the project's own directory"),
        (lambda p: p.parent, "holds the project's directory"),
        (lambda p: p / ".git" / "objects", "inside a git repository's .git directory"),
        (lambda p: p / ".state" / "x", "clusterstack's state directory"),
        (lambda p: p / "stacks", "the stack files' directory"),
        (lambda p: Path("/"), "holds the project's directory"),
        (lambda p: Path("/etc/clusterstack"), "among the operating system's directories"),
    ],
)
def test_a_directory_that_is_not_clusterstacks_own_is_refused(project, where, fragment):
    assert fragment in (problem(project, where(project), allow_outside=True) or "")


def test_outside_the_project_only_when_the_stack_allows_it(project, tmp_path):
    outside = tmp_path / "elsewhere"
    assert "is outside the project" in (problem(project, outside) or "")
    assert "allowOutsideProject: true" in (problem(project, outside) or "")
    assert problem(project, outside, allow_outside=True) is None


def test_a_symlink_is_judged_by_where_it_leads(project, tmp_path):
    link = project / "deploy"
    link.symlink_to(project / "stacks")
    assert "the stack files' directory" in (problem(project, link) or "")
