"""Shared fixtures: the Pulumi mocks (set once, here), and throwaway projects built from the real program."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pulumi
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent


class RecordingMocks(pulumi.runtime.Mocks):
    """Echo each resource's inputs back as its state, and keep them for assertions."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append(args)
        return args.name, dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}

    def of_type(self, type_token: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [r for r in self.resources if r.typ == type_token]


@pytest.fixture
def pulumi_mocks(request) -> RecordingMocks:
    """Pulumi's mock runtime; ``@pytest.mark.pulumi(project=..., stack=...)`` names the project and stack."""
    marker = request.node.get_closest_marker("pulumi")
    options = {"project": "clusterstack", "stack": "test", **(marker.kwargs if marker else {})}
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project=options["project"], stack=options["stack"], preview=False)
    return mocks


@pytest.fixture
def make_project(tmp_path: Path):
    """A copy of this project's program (Pulumi.yaml, __main__.py) with the given stack files, under an
    empty common.yaml unless one is given (so a test sees only the stack it writes)."""

    def make(stacks: dict[str, str | dict], common: str | dict | None = None) -> Path:
        root = tmp_path / "project"
        (root / "stacks").mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
        shutil.copy(REPO / "__main__.py", root / "__main__.py")
        common_text = _text(common if common is not None else {"config": {}})
        (root / "stacks" / "common.yaml").write_text(common_text)
        for name, content in stacks.items():
            (root / "stacks" / f"Pulumi.{name}.yaml").write_text(_text(content))
        return root

    return make


def _text(content: str | dict) -> str:
    return yaml.safe_dump(content) if isinstance(content, dict) else textwrap.dedent(content)
