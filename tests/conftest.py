"""Shared fixtures: the Pulumi mocks (set once, here, with clusterstack.testing), and throwaway projects
built from the real program."""

from __future__ import annotations

import gc
import shutil
import textwrap
from pathlib import Path

import pytest
import yaml

from clusterstack.program.cache import CACHE_DIR_ENV
from clusterstack.testing import Recorder, set_mocks

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _private_evaluation_cache(tmp_path_factory, monkeypatch):
    """Each test caches evaluations in a directory of its own: none in the repository, none shared."""
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path_factory.mktemp("evaluation-cache")))


@pytest.fixture(autouse=True)
def _no_collection_inside_ast_parse(request):
    """A test module that parses Python with ``ast`` runs with the collector off, after a collection.
    CPython 3.11 keeps the AST converter's recursion depth in global state: a collection in the middle
    of ``ast.parse`` that finalizes an asyncio Future an earlier test left with an exception logs its
    traceback, 3.11's traceback module calls ``ast.parse`` for its carets, and the outer parse fails
    ("SystemError: AST constructor recursion depth mismatch") depending on test order."""
    if getattr(request.module, "ast", None) is None:
        yield
        return
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.fixture
def pulumi_mocks(request) -> Recorder:
    """Pulumi's mock runtime with clusterstack's recording monitor (URNs as the engine names them);
    ``@pytest.mark.pulumi(project=..., stack=...)`` names the project and stack."""
    marker = request.node.get_closest_marker("pulumi")
    options = {"project": "clusterstack", "stack": "test", **(marker.kwargs if marker else {})}
    return set_mocks(project=options["project"], stack=options["stack"])


@pytest.fixture
def make_project(tmp_path: Path):
    """A copy of this project's program (Pulumi.yaml, __main__.py) with the given stack files, under a
    common.yaml that only names the cluster (kubernetes:context) unless one is given, so a test sees
    only the stack it writes."""

    def make(stacks: dict[str, str | dict], common: str | dict | None = None) -> Path:
        root = tmp_path / "project"
        (root / "stacks").mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
        shutil.copy(REPO / "__main__.py", root / "__main__.py")
        common_text = _text(common if common is not None else {"config": {"kubernetes:context": "test"}})
        (root / "stacks" / "common.yaml").write_text(common_text)
        for name, content in stacks.items():
            (root / "stacks" / f"Pulumi.{name}.yaml").write_text(_text(content))
        return root

    return make


def _text(content: str | dict) -> str:
    return yaml.safe_dump(content) if isinstance(content, dict) else textwrap.dedent(content)
