"""Behaviour kept across refactors: what every shipped stack and example prints, byte for byte.

Each case runs one CLI command in a fresh process on a copy of a shipped project and compares its
stdout, stderr and exit code with the record under tests/data/golden/. A restructuring of the code
must leave every record as it is; a change of behaviour re-records them on purpose, so the diff
shows in review:

    CLUSTERSTACK_RECORD_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py -q

The cases cover what users see from every layer: the render (components), preview as text and
JSON and Markdown from an empty and from an applied state after an edit (engine: create, update,
replace and delete), validate (schemas and warnings), reach (as text and in its drawn formats),
capacity and diff (analysis).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "tests" / "data" / "golden"
RECORD = os.environ.get("CLUSTERSTACK_RECORD_GOLDEN") == "1"

PROJECTS = {"main": ROOT, "team-app": ROOT / "examples" / "team-app", "two-clusters": ROOT / "examples" / "two-clusters"}

CASES: list[tuple[str, str, tuple[str, ...]]] = [
    *[("main", f"render-{s}", ("render", "-s", s)) for s in ("dev", "staging", "prod")],
    *[("main", f"preview-{s}", ("preview", "-s", s)) for s in ("dev", "staging", "prod")],
    ("main", "preview-prod-json", ("preview", "-s", "prod", "--json")),
    ("main", "preview-prod-diff", ("preview", "-s", "prod", "--diff")),
    ("main", "preview-prod-markdown", ("preview", "-s", "prod", "--format", "markdown")),
    *[("main", f"validate-{s}", ("validate", "-s", s)) for s in ("dev", "staging", "prod")],
    *[("main", f"reach-{s}", ("reach", "-s", s)) for s in ("dev", "prod")],
    ("main", "reach-diff-dev-prod", ("reach", "-s", "dev", "--diff", "prod")),
    *[("main", f"reach-prod-{f}", ("reach", "-s", "prod", "--format", f)) for f in ("mermaid", "dot", "svg", "matrix", "csv")],
    ("main", "reach-diff-dev-prod-mermaid", ("reach", "-s", "dev", "--diff", "prod", "--format", "mermaid")),
    ("main", "capacity-prod", ("capacity", "-s", "prod")),
    ("main", "diff-dev-prod", ("diff", "dev", "prod")),
    ("main", "schema", ("schema",)),
    *[("team-app", f"render-{s}", ("render", "-s", s)) for s in ("dev", "staging", "prod")],
    *[("team-app", f"preview-{s}", ("preview", "-s", s)) for s in ("dev", "prod")],
    ("two-clusters", "render-dev", ("render", "-s", "dev")),
    ("two-clusters", "preview-dev", ("preview", "-s", "dev")),
]

# An edit after `up -s dev` that draws every kind of change from the plan: an update (a quota),
# a replace (a PriorityClass's value, which the API server cannot update), a create and a delete.
EDIT_FROM = "prod"


_NOT_PROJECT = (".*", "build", "*.egg-info", "__pycache__", "clusterstack", "components", "examples", "tests", "bench", "deploy")
_CLI = Path(sys.executable).parent / "clusterstack"


def _copy(project: str, into: Path) -> Path:
    target = into / project
    shutil.copytree(
        PROJECTS[project],
        target,
        # The project's files only: the package under test is the installed one.
        ignore=shutil.ignore_patterns(*_NOT_PROJECT),
    )
    return target


def _run(project_dir: Path, *args: str) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CLUSTERSTACK_", "PULUMI_"))}
    env["NO_COLOR"] = "1"
    completed = subprocess.run(
        [str(_CLI), *args],
        check=False,
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Temporary paths differ per run; nothing else may.
    text = f"exit: {completed.returncode}\n--- stdout\n{completed.stdout}--- stderr\n{completed.stderr}"
    return text.replace(str(project_dir), "<project>")


def _compare(name: str, text: str) -> None:
    record = RECORDS / f"{name}.txt"
    if RECORD:
        RECORDS.mkdir(parents=True, exist_ok=True)
        record.write_text(text)
        return
    assert record.exists(), f"no record {record.name}: run with CLUSTERSTACK_RECORD_GOLDEN=1 to make one"
    assert text == record.read_text(), f"{record.name} changed: the output differs from the record"


@pytest.mark.parametrize(("project", "name", "args"), CASES, ids=[f"{p}-{n}" for p, n, _ in CASES])
def test_output_is_as_recorded(tmp_path: Path, project: str, name: str, args: tuple[str, ...]) -> None:
    _compare(f"{project}-{name}", _run(_copy(project, tmp_path), *args))


def test_plan_after_an_edit_is_as_recorded(tmp_path: Path) -> None:
    project = _copy("main", tmp_path)
    applied = _run(project, "up", "-s", "dev", "--yes")
    assert applied.startswith("exit: 0"), applied
    # dev's state, planned against prod's declaration: every kind of change a real edit makes.
    shutil.copy(project / "stacks" / f"Pulumi.{EDIT_FROM}.yaml", project / "stacks" / "Pulumi.dev.yaml")
    _compare("main-preview-dev-edited", _run(project, "preview", "-s", "dev"))
    _compare("main-preview-dev-edited-json", _run(project, "preview", "-s", "dev", "--json"))
    _compare("main-preview-dev-edited-markdown", _run(project, "preview", "-s", "dev", "--format", "markdown"))
