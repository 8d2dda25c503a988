"""An evaluation restored from what ``to_json`` wrote is the evaluation that was written, and what is
not such a thing (a damaged or hand-edited cache) is refused part by part, never trusted and never a
crash: ``from_json`` and ``restore`` give None, ``Decoded`` runs the program after all (here, a
stand-in that counts its calls). The objects are decoded once, and only when asked for."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from clusterstack.program.evaluate import evaluate_stack
from clusterstack.program.evaluation import Decoded, Evaluation
from clusterstack.stack.project import Project
from tests.conftest import REPO

STACK = {
    "config": {
        "clusterstack:namespaces": {"payments": {"quota": {"pods": "10"}, "networkPolicy": {"defaultDeny": ["Ingress"]}}},
    }
}


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Any]:
    """What ``to_json`` writes of a real evaluation (the project's program on a small stack)."""
    root = tmp_path_factory.mktemp("evaluation")
    (root / "stacks").mkdir()
    shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copy(REPO / "__main__.py", root / "__main__.py")
    (root / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump(STACK))
    data: dict[str, Any] = evaluate_stack(Project.load(root), "dev").to_json()
    return data


def _no_config() -> Any:
    raise AssertionError("a restored evaluation parses no stack file unless asked to")


def test_what_to_json_wrote_is_restored_exactly(written):
    restored = Evaluation.from_json(json.loads(json.dumps(written)), "dev", _no_config)
    assert restored is not None
    assert restored.restored
    assert restored.to_json() == written
    assert restored.secret_values() == {}


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        node = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return change


def _drop(path: tuple[Any, ...]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        node = data
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return change


DAMAGE = {
    "objects not a list": _set(("objects",), {"a": 1}),
    "an object not a map": _set(("objects", 0), ["key"]),
    "an object without its manifest": _drop(("objects", 0, "manifest")),
    "a manifest not a map": _set(("objects", 0, "manifest"), "apiVersion: v1"),
    "a key part not a string": _set(("objects", 0, "key", "name"), 7),
    "a key with an unknown field": _set(("objects", 0, "key", "colour"), "red"),
    "a component of one part": _set(("objects", 0, "component"), ["clusterstack:tenant:TenantNamespace"]),
    "a deletion that is no holding": _set(("objects", 0, "deletion"), "shred"),
    "patch not a boolean": _set(("objects", 0, "patch"), "no"),
    "replaceOnChanges not paths": _set(("objects", 0, "replaceOnChanges"), [1]),
    "deleteBeforeReplace not a boolean": _set(("objects", 0, "deleteBeforeReplace"), "yes"),
    "the type not a string": _set(("objects", 0, "type"), None),
    "a warning of two parts": _set(("warnings",), [["stacks/Pulumi.dev.yaml", "x"]]),
    "warnings not a list": _set(("warnings",), None),
    "the target not a map": _set(("target",), "deploy/dev"),
    "outputs not a map": _set(("outputs",), []),
    "a provider's settings not a map": _set(("providers", ""), "context"),
    "the version not a string": _set(("kubernetesVersion",), 1.34),
    "no providers": _drop(("providers",)),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_what_is_not_an_evaluation_is_not_restored(written, damage):
    data = copy.deepcopy(written)
    damage(data)
    assert Evaluation.from_json(data, "dev", _no_config) is None


@pytest.mark.parametrize("data", [None, [], "evaluation", 3])
def test_what_is_not_even_a_map_is_not_restored(data):
    assert Evaluation.from_json(data, "dev", _no_config) is None
    assert Evaluation.restore(data, list, "dev", _no_config) is None


class _Program:
    """Stands in for running the program after all: counts its runs."""

    def __init__(self, objects: list[Any]) -> None:
        self.objects = objects
        self.runs = 0

    def __call__(self) -> list[Any]:
        self.runs += 1
        return self.objects


def test_objects_are_decoded_once_and_only_when_asked_for(written):
    loads: list[int] = []

    def load() -> Any:
        loads.append(1)
        return json.loads(json.dumps(written["objects"]))

    program = _Program([])
    summary = {name: value for name, value in written.items() if name != "objects"}
    restored = Evaluation.restore(summary, Decoded(load, program), "dev", _no_config)
    assert restored is not None
    assert [w.path for w in restored.warnings] == ["kubernetes:context"]
    assert restored.target.layout == "object"
    assert loads == [], "the summary is enough for what a no-op plan needs"
    assert restored.to_json() == written
    assert restored.objects is restored.objects
    assert loads == [1]
    assert program.runs == 0


@pytest.mark.parametrize(
    "load",
    [
        pytest.param(lambda: None, id="bytes not those the cache wrote"),
        pytest.param(lambda: {"objects": []}, id="not a list"),
        pytest.param(lambda: [{"key": {"name": "x"}}], id="an object of the wrong shape"),
    ],
)
def test_objects_that_are_not_an_evaluations_run_the_program_after_all(written, load):
    fresh = Evaluation.from_json(copy.deepcopy(written), "dev", _no_config)
    assert fresh is not None
    program = _Program(fresh.objects)
    decoded = Decoded(load, program)
    assert decoded() == fresh.objects
    assert decoded() == fresh.objects
    assert program.runs == 1
